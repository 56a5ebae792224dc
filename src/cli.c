#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/column.h"

cli_globals g_cli = {1, CLI_LOG_TEXT, false, false, NULL};

int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "see 'ecomlake help %s'\n", cmd->name);
    else
        fputs("see 'ecomlake --help'\n", stderr);
    return EXIT_USAGE;
}

int cli_getopt(const cli_cmd *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts)
{
    opterr = 0;
    char sopts[128];
    /* A leading ':' makes getopt report a missing argument as ':' rather than '?'. */
    snprintf(sopts, sizeof sopts, ":%sh", shortopts ? shortopts : "");
    size_t n = 0;
    while (longopts && longopts[n].name)
        n++;
    struct option all[96];
    if (n > 94)
        n = 94;
    memcpy(all, longopts, n * sizeof *all);
    all[n] = (struct option){"help", no_argument, NULL, 'h'};
    all[n + 1] = (struct option){0, 0, 0, 0};
    int prev = optind;
    int c = getopt_long(argc, argv, sopts, all, NULL);
    if (c == 'h') {
        fputs(cmd->help, stdout);
        return 'h';
    }
    if (c == '?' || c == ':') {
        const char *arg = prev < argc ? argv[prev] : "?";
        if (optopt && !(arg[0] == '-' && arg[1] == '-'))
            return cli_usage_error(cmd, c == ':' ? "option '-%c' needs a value" : "unknown option '-%c' for '%s'",
                                   optopt, cmd->name),
                   '?';
        char name[128];
        snprintf(name, sizeof name, "%s", arg);
        char *eq = strchr(name, '=');
        if (eq)
            *eq = '\0';
        if (c == ':')
            cli_usage_error(cmd, "option '%s' needs a value", name);
        else
            cli_usage_error(cmd, "unknown option '%s' for '%s'", name, cmd->name);
        return '?';
    }
    return c;
}

int cli_parse_long(const cli_cmd *cmd, const char *flag, const char *val, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(val, &end, 10);
    if (errno || end == val || *end) {
        cli_usage_error(cmd, "%s: '%s' is not a whole number", flag, val);
        return -1;
    }
    if (v < min || v > max) {
        cli_usage_error(cmd, "%s: %ld is out of range (%ld..%ld)", flag, v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const cli_cmd *cmd, const char *flag, const char *val, double min, double max,
                     double *out)
{
    char *end;
    errno = 0;
    double v = strtod(val, &end);
    if (errno || end == val || *end || isnan(v)) {
        cli_usage_error(cmd, "%s: '%s' is not a number", flag, val);
        return -1;
    }
    if (v < min || v > max) {
        cli_usage_error(cmd, "%s: %g is out of range (%g..%g)", flag, v, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_date(const cli_cmd *cmd, const char *flag, const char *val, int32_t *days)
{
    if (ecl_date_parse(val, strlen(val), days)) {
        cli_usage_error(cmd, "%s: '%s' is not a valid date (expected YYYY-MM-DD)", flag, val);
        return -1;
    }
    return 0;
}

int cli_exit_code(ecl_code code)
{
    switch (code) {
    case ECL_OK: return EXIT_OK;
    case ECL_EPARTIAL: return EXIT_PARTIAL;
    case ECL_EMISMATCH: return EXIT_MISMATCH;
    case ECL_EINTR: return EXIT_INTERRUPTED;
    default: return EXIT_FAILURE_;
    }
}

int cli_fail(const ecl_err *e)
{
    if (g_cli.log_format == CLI_LOG_JSON) {
        /* keep stderr machine-readable: one JSON object */
        fprintf(stderr, "{\"level\":\"error\",\"command\":\"%s\",\"code\":\"%s\",\"msg\":\"",
                g_cli.command ? g_cli.command : "", ecl_code_name(e->code));
        for (const char *p = e->msg; *p; p++) {
            if (*p == '"' || *p == '\\')
                fprintf(stderr, "\\%c", *p);
            else if ((unsigned char)*p < 0x20)
                fprintf(stderr, "\\u%04x", *p);
            else
                fputc(*p, stderr);
        }
        fputs("\"}\n", stderr);
    } else {
        fprintf(stderr, "error: %s\n", e->msg[0] ? e->msg : ecl_code_name(e->code));
    }
    return cli_exit_code(e->code);
}

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
    if (prefix)
        fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_info(const char *fmt, ...)
{
    if (g_cli.quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", fmt, ap);
    va_end(ap);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", fmt, ap);
    va_end(ap);
}

const char *cli_env(const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "ECOMLAKE_%s", name);
    const char *v = getenv(key);
    return v && *v ? v : NULL;
}

void cli_fmt_count(double v, char out[32])
{
    if (v >= 1e9)
        snprintf(out, 32, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, 32, "%.1fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, 32, "%.1fk", v / 1e3);
    else
        snprintf(out, 32, "%.0f", v);
}

void cli_fmt_bytes(double v, char out[32])
{
    if (v >= 1e9)
        snprintf(out, 32, "%.2f GB", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, 32, "%.1f MB", v / 1e6);
    else if (v >= 1e3)
        snprintf(out, 32, "%.1f kB", v / 1e3);
    else
        snprintf(out, 32, "%.0f B", v);
}

void cli_fmt_duration(double s, char out[32])
{
    if (s < 0 || !isfinite(s))
        s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else if (s < 10)
        snprintf(out, 32, "%.1fs", s);
    else
        snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
