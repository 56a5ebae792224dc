#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"

struct cli_progress {
    pthread_mutex_t lock;
    const char *what;
    const char *unit;
    uint64_t total, done, rows, bytes;
    double start, last_draw;
    bool tty;
    bool enabled;
};

cli_progress *cli_progress_start(const char *what, uint64_t total, const char *unit)
{
    cli_progress *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->what = what;
    p->unit = unit;
    p->total = total;
    p->start = p->last_draw = cli_now();
    p->tty = isatty(STDERR_FILENO);
    p->enabled = !g_cli.no_progress && !g_cli.quiet;
    return p;
}

static void draw(cli_progress *p, bool final)
{
    double el = cli_now() - p->start;
    char rows[32], bytes[32], eta[32], elapsed[32];
    cli_fmt_count(el > 0 ? (double)p->rows / el : 0, rows);
    cli_fmt_bytes(el > 0 ? (double)p->bytes / el : 0, bytes);
    double frac = p->total ? (double)p->done / (double)p->total : 0;
    cli_fmt_duration(frac > 0 ? el / frac - el : 0, eta);
    cli_fmt_duration(el, elapsed);
    if (p->tty) {
        char bar[31];
        int filled = (int)(frac * 30);
        for (int i = 0; i < 30; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[30] = 0;
        fprintf(stderr, "\r%s [%s] %llu/%llu %s  %s rows/s  %s/s  %s %s\033[K%s", p->what, bar,
                (unsigned long long)p->done, (unsigned long long)p->total, p->unit, rows, bytes,
                final ? "done in" : "ETA", final ? elapsed : eta, final ? "\n" : "");
    } else {
        fprintf(stderr, "%s: %llu/%llu %s, %s rows/s, %s/s, %s %s\n", p->what,
                (unsigned long long)p->done, (unsigned long long)p->total, p->unit, rows, bytes,
                final ? "done in" : "ETA", final ? elapsed : eta);
    }
    fflush(stderr);
}

void cli_progress_add(cli_progress *p, uint64_t units, uint64_t rows, uint64_t bytes)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->done += units;
    p->rows += rows;
    p->bytes += bytes;
    double now = cli_now();
    /* A terminal redraws often; a log file gets a line every 10 seconds at most. */
    if (p->enabled && now - p->last_draw >= (p->tty ? 0.2 : 10.0)) {
        p->last_draw = now;
        draw(p, false);
    }
    pthread_mutex_unlock(&p->lock);
}

void cli_progress_finish(cli_progress *p)
{
    if (!p)
        return;
    if (p->enabled && (p->tty || p->done))
        draw(p, true);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
