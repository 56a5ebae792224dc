/* ecomlake run-generator - generate the synthetic e-commerce dataset for a date range: one file per
 * table (CSV like the original generator, or Parquet), written under temporary names and renamed
 * into place only when every table is complete.
 *
 * Two threads: one simulates the world and builds each day's batches (a cursor), the other writes
 * them. The output is the writer's sequence of days, so it is identical to a single-threaded run. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cancel.h"
#include "../lib/dataset.h"
#include "../lib/io.h"
#include "../lib/tablewriter.h"
#include "../lib/version.h"
#include "commands.h"

#define MAXT 16
#define SLOTS 4

static const char k_help[] =
    "usage: ecomlake run-generator [options]\n"
    "\n"
    "Generates the synthetic e-commerce dataset (customers, product_catalog, shopping_carts,\n"
    "cart_items, orders, order_items, returns, return_items) for a date range and writes one file per\n"
    "table. The world is simulated from the config's epoch, so any range gives the same rows for its\n"
    "days as any other range that contains them.\n"
    "\n"
    "options:\n"
    "  --config FILE           ecom YAML config (default: the shipped defaults, configs/ecom.yaml)\n"
    "  --start-date YYYY-MM-DD first day (default: the config's epoch)\n"
    "  --end-date YYYY-MM-DD   last day, inclusive\n"
    "  --days N                number of days (default 30 when --end-date is not given)\n"
    "  --seed N                random seed (default: the config's seed)\n"
    "  --messiness-level L     none|baseline|light_mess|medium_mess|heavy_mess (default: config)\n"
    "  --output-dir DIR        write the files into DIR (default: output)\n"
    "  --artifact-root DIR     write into DIR/raw_run_<UTC YYYYMMDDTHHMMSSZ> instead (time from\n"
    "                          SOURCE_DATE_EPOCH when set)\n"
    "  --format csv|parquet    file format (default csv)\n"
    "  --tables a,b            only these tables\n"
    "  --mess-log FILE         row-level ground truth of injected faults (JSON Lines: table, pk,\n"
    "                          column, kind, original, new)\n"
    "\n"
    "Customers appear on their signup day (guests on their first visit): a range that does not start\n"
    "at the epoch references customers, orders and carts from before it.\n"
    "\n"
    "examples:\n"
    "  ecomlake run-generator --start-date 2024-01-01 --days 7 --output-dir out\n"
    "  ecomlake run-generator --config configs/ecom.yaml --start-date 2023-01-01 \\\n"
    "      --end-date 2023-12-31 --format parquet --messiness-level medium_mess --mess-log out/mess.jsonl\n";

static int run(int argc, char **argv);

const cli_cmd cmd_run_generator = {
    "run-generator",
    "generate the synthetic e-commerce dataset for a date range (CSV or Parquet)",
    k_help,
    run,
};

typedef struct slot {
    ecl_batch b[MAXT];
    ecl_buf log;
    int32_t day;
    int rc;
    bool full;
} slot;

typedef struct gen {
    ecl_model *m;
    size_t nt;
    int32_t start, end;
    bool want_log;
    slot slots[SLOTS];
    pthread_mutex_t lock;
    pthread_cond_t cv;
    bool abort;
    ecl_err err; /* producer's error */
    ecl_mess_counts counts;
} gen;

static void *producer(void *arg)
{
    gen *g = arg;
    ecl_cursor *c = NULL;
    int rc = ecl_cursor_open(&c, g->m, g->start, &g->err);
    for (int32_t d = g->start; d <= g->end; d++) {
        slot *s = &g->slots[(d - g->start) % SLOTS];
        pthread_mutex_lock(&g->lock);
        while (s->full && !g->abort)
            pthread_cond_wait(&g->cv, &g->lock);
        bool stop = g->abort;
        pthread_mutex_unlock(&g->lock);
        if (stop)
            break;
        for (size_t t = 0; t < g->nt; t++)
            ecl_batch_clear(&s->b[t]);
        ecl_buf_clear(&s->log);
        if (!rc && ecl_cancelled())
            rc = ecl_err_set(&g->err, ECL_EINTR, "interrupted");
        if (!rc) {
            ecl_cursor_set_mess_log(c, g->want_log ? &s->log : NULL);
            rc = ecl_cursor_step(c, true, s->b, &g->counts, &g->err);
        }
        pthread_mutex_lock(&g->lock);
        s->day = d;
        s->rc = rc;
        s->full = true;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->lock);
        if (rc)
            break;
    }
    ecl_cursor_free(c);
    return NULL;
}

/* Wall-clock now, or SOURCE_DATE_EPOCH when set (reproducible runs). */
static time_t build_time(void)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!*end && v >= 0)
            return (time_t)v;
        cli_warn("SOURCE_DATE_EPOCH='%s' is not a number of seconds; using the clock", s);
    }
    return time(NULL);
}

typedef struct outfile {
    int table;
    char final[4096], tmp[4096];
    ecl_out out;
    bool open;
    ecl_table_writer *w;
    uint64_t rows;
} outfile;

static int open_outfile(outfile *f, const char *dir, const char *name, const char *ext, ecl_err *e)
{
    snprintf(f->final, sizeof f->final, "%s/%s%s", dir, name, ext);
    snprintf(f->tmp, sizeof f->tmp, "%s/.%s%s.tmp-%ld", dir, name, ext, (long)getpid());
    int rc = ecl_out_file(&f->out, f->tmp, e);
    f->open = rc == 0;
    return rc;
}

static void abort_outfile(outfile *f)
{
    if (f->w) {
        ecl_tw_free(f->w);
        f->w = NULL;
    }
    if (f->open) {
        ecl_out_abort(&f->out);
        f->open = false;
    }
}

static bool table_selected(const char *list, const char *name)
{
    if (!list)
        return true;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == n && strncmp(p, name, n) == 0)
            return true;
        p += len + (q ? 1 : 0);
    }
    return false;
}

/* Every name in --tables must be a table of the model. */
static int check_tables(const ecl_model *m, const char *list)
{
    if (!list)
        return 0;
    for (const char *p = list; *p;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)(len < 127 ? len : 127), p);
        if (ecl_model_table_index(m, name) < 0) {
            char known[512] = "";
            for (size_t i = 0; i < ecl_model_ntables(m); i++) {
                if (i)
                    strncat(known, ", ", sizeof known - strlen(known) - 1);
                strncat(known, ecl_model_table_at(m, i)->name, sizeof known - strlen(known) - 1);
            }
            cli_usage_error(&cmd_run_generator, "--tables: unknown table '%s' (tables: %s)", name, known);
            return -1;
        }
        p += len + (q ? 1 : 0);
    }
    return 0;
}

static int write_batch(outfile *f, const ecl_batch *b, ecl_err *e)
{
    if (b->nrows == 0)
        return 0;
    f->rows += b->nrows;
    return ecl_tw_write(f->w, b, e);
}

static int run(int argc, char **argv)
{
    enum { O_CONFIG = 1000, O_START, O_END, O_DAYS, O_SEED, O_MESS, O_OUT, O_ART, O_FMT, O_TABLES, O_LOG };
    static const struct option longopts[] = {
        {"config", required_argument, 0, O_CONFIG},     {"start-date", required_argument, 0, O_START},
        {"end-date", required_argument, 0, O_END},       {"days", required_argument, 0, O_DAYS},
        {"seed", required_argument, 0, O_SEED},          {"messiness-level", required_argument, 0, O_MESS},
        {"output-dir", required_argument, 0, O_OUT},     {"artifact-root", required_argument, 0, O_ART},
        {"format", required_argument, 0, O_FMT},         {"tables", required_argument, 0, O_TABLES},
        {"mess-log", required_argument, 0, O_LOG},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *config = NULL, *mess = NULL, *outdir = NULL, *artroot = NULL, *tables = NULL, *logpath = NULL;
    const char *fmtname = "csv";
    int32_t start = 0, end = 0;
    bool have_start = false, have_end = false, have_days = false, have_seed = false;
    long days = 0;
    unsigned long long seed = 0;
    int opt;
    while ((opt = cli_getopt(&cmd_run_generator, argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'h': return EXIT_OK;
        case '?': return EXIT_USAGE;
        case O_CONFIG: config = optarg; break;
        case O_START:
            if (cli_parse_date(&cmd_run_generator, "--start-date", optarg, &start))
                return EXIT_USAGE;
            have_start = true;
            break;
        case O_END:
            if (cli_parse_date(&cmd_run_generator, "--end-date", optarg, &end))
                return EXIT_USAGE;
            have_end = true;
            break;
        case O_DAYS:
            if (cli_parse_long(&cmd_run_generator, "--days", optarg, 1, 36600, &days))
                return EXIT_USAGE;
            have_days = true;
            break;
        case O_SEED: {
            char *e;
            errno = 0;
            seed = strtoull(optarg, &e, 10);
            if (errno || *e || !*optarg || *optarg == '-')
                return cli_usage_error(&cmd_run_generator, "--seed: '%s' is not a non-negative whole number", optarg);
            have_seed = true;
            break;
        }
        case O_MESS: mess = optarg; break;
        case O_OUT: outdir = optarg; break;
        case O_ART: artroot = optarg; break;
        case O_FMT: fmtname = optarg; break;
        case O_TABLES: tables = optarg; break;
        case O_LOG: logpath = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_run_generator, "unexpected argument '%s'", argv[optind]);
    if (have_end && have_days)
        return cli_usage_error(&cmd_run_generator, "--end-date and --days are mutually exclusive");
    if (outdir && artroot)
        return cli_usage_error(&cmd_run_generator, "--output-dir and --artifact-root are mutually exclusive");
    ecl_format fmt;
    if (ecl_format_parse(fmtname, &fmt))
        return cli_usage_error(&cmd_run_generator, "--format: '%s' is not one of csv, parquet", fmtname);
    if (mess && strcmp(mess, "none") && strcmp(mess, "baseline") && strcmp(mess, "light_mess") &&
        strcmp(mess, "medium_mess") && strcmp(mess, "heavy_mess"))
        return cli_usage_error(&cmd_run_generator,
                               "--messiness-level: '%s' is not one of none, baseline, light_mess, medium_mess, heavy_mess",
                               mess);

    ecl_err e = ECL_ERR_INIT;
    ecl_model_opts mo = {.dataset = "ecom", .config_path = config, .seed = seed, .seed_set = have_seed,
                         .messiness = mess};
    ecl_model *m = NULL;
    if (ecl_model_open(&m, &mo, &e))
        return cli_fail(&e);
    int code = EXIT_OK;
    if (check_tables(m, tables)) {
        ecl_model_free(m);
        return EXIT_USAGE;
    }
    if (!have_start)
        start = ecl_model_epoch(m);
    if (start < ecl_model_epoch(m)) {
        char ep[11];
        ecl_date_format(ecl_model_epoch(m), ep);
        ecl_model_free(m);
        return cli_usage_error(&cmd_run_generator, "--start-date is before the world's epoch %s (world.epoch in the config)", ep);
    }
    if (!have_end)
        end = start + (int32_t)(have_days ? days : 30) - 1;
    if (end < start) {
        ecl_model_free(m);
        return cli_usage_error(&cmd_run_generator, "--end-date is before --start-date");
    }

    /* output directory */
    char dir[4096];
    if (artroot) {
        time_t now = build_time();
        struct tm tm;
        gmtime_r(&now, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
        snprintf(dir, sizeof dir, "%s/raw_run_%s", artroot, stamp);
        /* two runs in the same second get distinct directories */
        for (int i = 2; access(dir, F_OK) == 0 && i < 1000; i++)
            snprintf(dir, sizeof dir, "%s/raw_run_%s-%d", artroot, stamp, i);
    } else {
        snprintf(dir, sizeof dir, "%s", outdir ? outdir : "output");
    }
    if (ecl_mkdirs(dir, &e)) {
        ecl_model_free(m);
        return cli_fail(&e);
    }

    size_t nt = ecl_model_ntables(m);
    if (nt > MAXT)
        nt = MAXT;
    ecl_tw_opts two;
    ecl_tw_opts_default(&two, fmt);
    /* the original's CSV: CRLF from Python's csv module at baseline, LF once pandas rewrote the
     * files for messiness */
    if (strcmp(ecl_model_messiness(m), "baseline") != 0)
        two.csv.crlf = false;
    char seedstr[32];
    snprintf(seedstr, sizeof seedstr, "%llu", (unsigned long long)ecl_model_seed(m));
    ecl_kv kv[] = {{"ecomlake.dataset", "ecom"},
                   {"ecomlake.generator", ecl_model_version(m)},
                   {"ecomlake.config_hash", ecl_model_config_hash(m)},
                   {"ecomlake.seed", seedstr},
                   {"ecomlake.messiness", ecl_model_messiness(m)}};
    /* eight writers are open at once: smaller row groups keep memory near 300 MB */
    two.parquet.row_group_bytes = 32u << 20;
    two.parquet.kv = kv;
    two.parquet.nkv = sizeof kv / sizeof kv[0];

    outfile files[MAXT];
    memset(files, 0, sizeof files);
    outfile logf = {0};
    gen g = {.m = m, .nt = nt, .start = start, .end = end, .want_log = logpath != NULL};
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cv, NULL);
    for (int i = 0; i < SLOTS; i++) {
        for (size_t t = 0; t < nt; t++)
            ecl_batch_init(&g.slots[i].b[t], &ecl_model_table_at(m, t)->schema);
        ecl_buf_init(&g.slots[i].log, 0);
    }
    double t0 = cli_now();
    int rc = 0;
    ecl_buf static_log = ECL_BUF_INIT; /* faults of static tables, written first in the log */
    for (size_t t = 0; t < nt && !rc; t++) {
        const ecl_model_table *mt = ecl_model_table_at(m, t);
        files[t].table = (int)t;
        if (!table_selected(tables, mt->name))
            continue;
        rc = open_outfile(&files[t], dir, mt->name, ecl_format_ext(fmt), &e);
        if (!rc)
            rc = ecl_tw_open(&files[t].w, &files[t].out, &mt->schema, &two, &e);
        if (!rc && mt->kind == ECL_TABLE_STATIC) {
            ecl_batch sb;
            rc = ecl_batch_init(&sb, &mt->schema);
            if (!rc)
                rc = ecl_model_emit_static_mess(m, t, &sb, &g.counts, logpath ? &static_log : NULL, &e);
            if (!rc)
                rc = write_batch(&files[t], &sb, &e);
            ecl_batch_release(&sb);
        }
    }
    if (!rc && logpath) {
        snprintf(logf.final, sizeof logf.final, "%s", logpath);
        snprintf(logf.tmp, sizeof logf.tmp, "%s.tmp-%ld", logpath, (long)getpid());
        rc = ecl_out_file(&logf.out, logf.tmp, &e);
        logf.open = rc == 0;
        if (!rc && static_log.len)
            rc = ecl_out_write(&logf.out, static_log.data, static_log.len, &e);
    }
    ecl_buf_release(&static_log);

    char d0[11], d1[11];
    ecl_date_format(start, d0);
    ecl_date_format(end, d1);
    uint64_t ndays = (uint64_t)(end - start + 1);
    cli_info("generating %llu days %s..%s (seed %s, %s) into '%s'", (unsigned long long)ndays, d0, d1, seedstr,
             ecl_model_messiness(m), dir);
    cli_progress *prog = cli_progress_start("run-generator", ndays, "days");
    pthread_t th;
    bool started = false;
    if (!rc) {
        if (pthread_create(&th, NULL, producer, &g) != 0)
            rc = ecl_err_set(&e, ECL_ENOMEM, "cannot start the generator thread");
        else
            started = true;
    }
    for (int32_t d = start; !rc && d <= end; d++) {
        slot *s = &g.slots[(d - start) % SLOTS];
        pthread_mutex_lock(&g.lock);
        while (!s->full)
            pthread_cond_wait(&g.cv, &g.lock);
        pthread_mutex_unlock(&g.lock);
        if (s->rc) {
            rc = s->rc;
            e = g.err;
            break;
        }
        uint64_t rows = 0;
        for (size_t t = 0; t < nt && !rc; t++) {
            if (!files[t].w || ecl_model_table_at(m, t)->kind == ECL_TABLE_STATIC)
                continue;
            rows += s->b[t].nrows;
            rc = write_batch(&files[t], &s->b[t], &e);
        }
        if (!rc && logf.open && s->log.len)
            rc = ecl_out_write(&logf.out, s->log.data, s->log.len, &e);
        if (!rc && ecl_cancelled())
            rc = ecl_err_set(&e, ECL_EINTR, "interrupted");
        pthread_mutex_lock(&g.lock);
        s->full = false;
        pthread_cond_broadcast(&g.cv);
        pthread_mutex_unlock(&g.lock);
        cli_progress_add(prog, 1, rows, 0);
    }
    if (started) {
        pthread_mutex_lock(&g.lock);
        g.abort = true;
        pthread_cond_broadcast(&g.cv);
        pthread_mutex_unlock(&g.lock);
        pthread_join(th, NULL);
    }
    cli_progress_finish(prog);

    /* finish every file, then rename them all: a failed run leaves no half-written table */
    for (size_t t = 0; t < nt && !rc; t++) {
        if (!files[t].w)
            continue;
        rc = ecl_tw_finish(files[t].w, &e);
        ecl_tw_free(files[t].w);
        files[t].w = NULL;
        if (!rc)
            rc = ecl_out_close(&files[t].out, &e);
        files[t].open = false;
        if (rc)
            unlink(files[t].tmp);
    }
    if (!rc && logf.open) {
        rc = ecl_out_close(&logf.out, &e);
        logf.open = false;
        if (rc)
            unlink(logf.tmp);
    }
    for (size_t t = 0; t < nt && !rc; t++)
        if (files[t].tmp[0])
            rc = ecl_rename_durable(files[t].tmp, files[t].final, &e);
    if (!rc && logpath)
        rc = ecl_rename_durable(logf.tmp, logf.final, &e);
    double secs = cli_now() - t0;
    if (rc) {
        for (size_t t = 0; t < nt; t++) {
            abort_outfile(&files[t]);
            if (files[t].tmp[0])
                unlink(files[t].tmp);
        }
        abort_outfile(&logf);
        if (logf.tmp[0])
            unlink(logf.tmp);
        code = cli_fail(&e);
    } else if (!g_cli.quiet) {
        uint64_t total = 0;
        printf("run-generator: %s..%s, %llu days, seed %s, messiness %s, config %.12s\n", d0, d1,
               (unsigned long long)ndays, seedstr, ecl_model_messiness(m), ecl_model_config_hash(m));
        for (size_t t = 0; t < nt; t++) {
            if (!files[t].tmp[0])
                continue;
            total += files[t].rows;
            printf("  %-16s %12llu rows  %s\n", ecl_model_table_at(m, t)->name, (unsigned long long)files[t].rows,
                   files[t].final);
        }
        uint64_t faults = ecl_mess_counts_get(&g.counts, NULL, NULL, NULL);
        if (faults)
            printf("  injected faults  %12llu%s%s\n", (unsigned long long)faults, logpath ? "  " : "",
                   logpath ? logpath : "");
        printf("  total            %12llu rows in %.2f s (%.0f rows/s)\n", (unsigned long long)total, secs,
               secs > 0 ? (double)total / secs : 0.0);
    }
    for (int i = 0; i < SLOTS; i++) {
        for (size_t t = 0; t < nt; t++)
            ecl_batch_release(&g.slots[i].b[t]);
        ecl_buf_release(&g.slots[i].log);
    }
    ecl_mess_counts_release(&g.counts);
    pthread_mutex_destroy(&g.lock);
    pthread_cond_destroy(&g.cv);
    ecl_model_free(m);
    return code;
}
