/* ecomlake - entry point: global options, the dispatch table, logging and signals. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cancel.h"
#include "../lib/log.h"
#include "../lib/version.h"
#include "commands.h"

static const cli_cmd *const commands[] = {
    &cmd_convert, &cmd_run_generator, &cmd_export_raw, &cmd_backfill, &cmd_verify,
    &cmd_status,  &cmd_upload_raw,    &cmd_window,     &cmd_continuous, &cmd_ingest,
    &cmd_build,   &cmd_reload,        &cmd_doctor,
};
enum { NCOMMANDS = sizeof commands / sizeof commands[0] };

static const char usage_text[] =
    "usage: ecomlake [--log-level LEVEL] [--log-format text|json] [--no-progress] [--quiet]\n"
    "                COMMAND [ARGS]\n"
    "\n"
    "Hydrates data lakes with realistic synthetic business data, reliably and fast.\n"
    "\n"
    "Global options (anywhere on the line):\n"
    "  --log-level debug|info|warn|error   how much to log on stderr (default info)\n"
    "  --log-format text|json              json: one object per line\n"
    "  --no-progress                       no progress bar or progress lines\n"
    "  --quiet                             only warnings and errors\n"
    "  --version                           print the version\n"
    "  --help                              this text\n"
    "\n"
    "Commands:\n";

static const cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void list_commands(FILE *f)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-14s %s\n", commands[i]->name, commands[i]->summary);
}

static void print_usage(FILE *f)
{
    fputs(usage_text, f);
    list_commands(f);
    fputs("\nExit codes: 0 ok, 1 failure, 2 usage error, 3 partial (resumable), 4 verification "
          "mismatch,\n130 interrupted. 'ecomlake help COMMAND' shows a command's options and "
          "examples.\n",
          f);
}

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static void log_hook(ecl_level level, const char *subject, const char *msg, void *ctx)
{
    (void)ctx;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (g_cli.log_format == CLI_LOG_JSON) {
        fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"command\":\"%s\"", ts, level_names[level],
                g_cli.command ? g_cli.command : "");
        const char *fields[2][2] = {{"subject", subject}, {"msg", msg}};
        for (int k = 0; k < 2; k++) {
            if (!fields[k][1])
                continue;
            fprintf(stderr, ",\"%s\":\"", fields[k][0]);
            for (const unsigned char *p = (const unsigned char *)fields[k][1]; *p; p++) {
                if (*p == '"' || *p == '\\')
                    fprintf(stderr, "\\%c", *p);
                else if (*p < 0x20)
                    fprintf(stderr, "\\u%04x", *p);
                else
                    fputc(*p, stderr);
            }
            fputc('"', stderr);
        }
        fputs("}\n", stderr);
    } else {
        fprintf(stderr, "%s %-5s %s%s%s\n", ts, level_names[level], subject ? subject : "",
                subject ? ": " : "", msg);
    }
}

static void on_signal(int sig)
{
    /* First signal: stop at the next clean point. Second: leave at once (state stays resumable
     * because every publish is atomic). */
    if (ecl_cancelled()) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    ecl_cancel_request();
}

/* Removes global options from argv wherever they stand; returns the new argc or -1 on a bad value. */
static int take_globals(int argc, char **argv)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            while (i < argc)
                argv[out++] = argv[i++];
            break;
        }
        const char *val = NULL;
        int consumed = 0;
        if (strncmp(a, "--log-level", 11) == 0 && (a[11] == '=' || a[11] == 0)) {
            val = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[i + 1] : NULL);
            consumed = a[11] == '=' ? 0 : 1;
            int lv = -1;
            for (int k = 0; val && k < 4; k++)
                if (strcmp(val, level_names[k]) == 0)
                    lv = k;
            if (lv < 0)
                return cli_usage_error(NULL, "--log-level: '%s' is not one of debug, info, warn, error",
                                       val ? val : ""),
                       -1;
            g_cli.log_level = lv;
        } else if (strncmp(a, "--log-format", 12) == 0 && (a[12] == '=' || a[12] == 0)) {
            val = a[12] == '=' ? a + 13 : (i + 1 < argc ? argv[i + 1] : NULL);
            consumed = a[12] == '=' ? 0 : 1;
            if (val && strcmp(val, "text") == 0)
                g_cli.log_format = CLI_LOG_TEXT;
            else if (val && strcmp(val, "json") == 0)
                g_cli.log_format = CLI_LOG_JSON;
            else
                return cli_usage_error(NULL, "--log-format: '%s' is not one of text, json",
                                       val ? val : ""),
                       -1;
        } else if (strcmp(a, "--no-progress") == 0) {
            g_cli.no_progress = true;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            g_cli.quiet = true;
        } else {
            argv[out++] = argv[i];
            continue;
        }
        i += consumed;
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    argc = take_globals(argc, argv);
    if (argc < 0)
        return EXIT_USAGE;
    if (g_cli.quiet && g_cli.log_level < ECL_LOG_WARN)
        g_cli.log_level = ECL_LOG_WARN;
    ecl_log_set_hook(log_hook, NULL, (ecl_level)g_cli.log_level);

    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("ecomlake %s\n", ECL_VERSION);
        return EXIT_OK;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(name, "commands") == 0) {
        for (size_t i = 0; i < NCOMMANDS; i++)
            printf("%-14s %s\n", commands[i]->name, commands[i]->summary);
        return EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_usage(stdout);
            return EXIT_OK;
        }
        const cli_cmd *c = find_command(argv[2]);
        if (!c)
            return cli_usage_error(NULL, "unknown command '%s'", argv[2]);
        fputs(c->help, stdout);
        return EXIT_OK;
    }
    if (name[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", name);
    const cli_cmd *c = find_command(name);
    if (!c)
        return cli_usage_error(NULL, "unknown command '%s' (try 'ecomlake commands')", name);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    g_cli.command = c->name;
    optind = 1;
    int rc = c->run(argc - 1, argv + 1);
    if (rc != EXIT_INTERRUPTED && ecl_cancelled() && rc != EXIT_OK)
        rc = EXIT_INTERRUPTED;
    return rc;
}
