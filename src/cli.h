/* cli.h - what every command shares: the command table, option parsing that names the bad flag,
 * exit codes, error reporting, logging and progress. Only src/ prints or exits. */
#ifndef ECL_CLI_H
#define ECL_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/err.h"

/* Documented exit codes (README, docs/exit-codes.md). */
enum {
    EXIT_OK = 0,
    EXIT_FAILURE_ = 1,
    EXIT_USAGE = 2,
    EXIT_PARTIAL = 3,
    EXIT_MISMATCH = 4,
    EXIT_INTERRUPTED = 130,
};

typedef struct cli_cmd {
    const char *name;
    const char *summary; /* one line for 'ecomlake commands' */
    const char *help;    /* full text for --help: usage, options, examples */
    int (*run)(int argc, char **argv);
} cli_cmd;

typedef enum { CLI_LOG_TEXT, CLI_LOG_JSON } cli_log_format;

/* Global settings, parsed by main before dispatch (they may appear anywhere on the line). */
typedef struct cli_globals {
    int log_level; /* ecl_level */
    cli_log_format log_format;
    bool no_progress;
    bool quiet;
    const char *command;
} cli_globals;

extern cli_globals g_cli;

/* Option parsing: wraps getopt_long with opterr off. Returns the option's value, -1 at the end, or
 * '?' after printing a usage error naming the flag (the caller returns EXIT_USAGE). --help/-h is
 * handled here: it prints the command's help and returns 'h'. */
int cli_getopt(const cli_cmd *cmd, int argc, char **argv, const char *shortopts,
               const struct option *longopts);
/* Prints "error: <msg>" and the "see 'ecomlake help CMD'" hint; returns EXIT_USAGE. */
int cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Value parsers that report a usage error naming the flag; return 0 on success, -1 after reporting. */
int cli_parse_long(const cli_cmd *cmd, const char *flag, const char *val, long min, long max, long *out);
int cli_parse_double(const cli_cmd *cmd, const char *flag, const char *val, double min, double max,
                     double *out);
int cli_parse_date(const cli_cmd *cmd, const char *flag, const char *val, int32_t *days);
/* Prints a library error as "error: <message>" (plus advice if any) and returns its exit code. */
int cli_fail(const ecl_err *e);
/* Exit code for a library code: EPARTIAL -> 3, EMISMATCH -> 4, EINTR -> 130, others -> 1. */
int cli_exit_code(ecl_code code);
/* Messages to the user on stderr; info is suppressed by --quiet. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Reads "ECOMLAKE_<NAME>" from the environment (flags > environment > config > defaults). */
const char *cli_env(const char *name);

/* Progress: a bar with rate and ETA on a terminal, a plain line every few seconds otherwise,
 * nothing with --no-progress or --quiet. Thread-safe. */
typedef struct cli_progress cli_progress;
cli_progress *cli_progress_start(const char *what, uint64_t total, const char *unit);
/* Adds done units, rows and bytes since the last call. */
void cli_progress_add(cli_progress *p, uint64_t units, uint64_t rows, uint64_t bytes);
void cli_progress_finish(cli_progress *p);

/* Human formats: "1.2M", "35.0 MB", "1:02:03". */
void cli_fmt_count(double v, char out[32]);
void cli_fmt_bytes(double v, char out[32]);
void cli_fmt_duration(double seconds, char out[32]);
double cli_now(void); /* monotonic seconds */

#endif
