/* ecomlake status - what ran, what is committed, what failed: a report over the ledger. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/db.h"
#include "../lib/ledger.h"
#include "commands.h"
#include "rawzone.h"

extern const cli_cmd cmd_status;

enum { OPT_STATE = 1000, OPT_DEST, OPT_JSON, OPT_LIMIT, OPT_BACKFILL };

static const struct option longopts[] = {
    {"state", required_argument, NULL, OPT_STATE},
    {"dest", required_argument, NULL, OPT_DEST},
    {"json", no_argument, NULL, OPT_JSON},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"backfill", required_argument, NULL, OPT_BACKFILL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

typedef struct report {
    bool json;
    bool first_section;
} report;

/* Prints a query's rows: a JSON array of objects, or an aligned text table. */
static int print_query(ecl_db *db, report *rp, const char *title, const char *sql, int nparams,
                       const char *const *params, ecl_err *e)
{
    ecl_stmt *st;
    int rc = ecl_db_prepare(db, &st, sql, e);
    for (int i = 0; !rc && i < nparams; i++)
        ecl_stmt_bind_text(st, i + 1, params[i]);
    if (rc)
        return rc;
    bool row = false;
    int n = 0;
    if (rp->json)
        printf("%s\"%s\":[", rp->first_section ? "" : ",", title);
    else
        printf("%s%s\n", rp->first_section ? "" : "\n", title);
    rp->first_section = false;
    while (!(rc = ecl_stmt_next(st, &row, e)) && row) {
        int nc = ecl_stmt_ncols(st);
        if (!rp->json && n == 0) {
            printf(" ");
            for (int c = 0; c < nc; c++)
                printf(" %s%s", ecl_stmt_colname(st, c), c + 1 < nc ? " |" : "");
            printf("\n");
        }
        if (rp->json) {
            printf("%s{", n ? "," : "");
            for (int c = 0; c < nc; c++) {
                printf("%s", c ? "," : "");
                rz_json_str(stdout, ecl_stmt_colname(st, c));
                putchar(':');
                const char *v = ecl_stmt_text(st, c);
                const char *name = ecl_stmt_colname(st, c);
                bool numeric = v && (strstr(name, "rows") || strstr(name, "bytes") || strcmp(name, "partitions") == 0 ||
                                     strcmp(name, "count") == 0 || strcmp(name, "attempts") == 0 ||
                                     strcmp(name, "chunk_index") == 0 || strcmp(name, "seed") == 0);
                if (!v)
                    printf("null");
                else if (numeric)
                    printf("%lld", (long long)ecl_stmt_int(st, c));
                else
                    rz_json_str(stdout, v);
            }
            printf("}");
        } else {
            printf(" ");
            for (int c = 0; c < nc; c++) {
                const char *v = ecl_stmt_text(st, c);
                printf(" %s%s", v ? v : "-", c + 1 < nc ? " |" : "");
            }
            printf("\n");
        }
        n++;
    }
    if (rp->json)
        printf("]");
    else if (!n)
        printf("  (none)\n");
    ecl_stmt_free(st);
    return rc;
}

static int run(int argc, char **argv)
{
    const char *state = cli_env("STATE"), *dest = NULL, *backfill = NULL;
    bool json = false;
    long limit = 20;
    int opt;
    while ((opt = cli_getopt(&cmd_status, argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'h': return EXIT_OK;
        case OPT_STATE: state = optarg; break;
        case OPT_DEST: dest = optarg; break;
        case OPT_JSON: json = true; break;
        case OPT_LIMIT:
            if (cli_parse_long(&cmd_status, "--limit", optarg, 1, 100000, &limit))
                return EXIT_USAGE;
            break;
        case OPT_BACKFILL: backfill = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_status, "unexpected argument '%s'", argv[optind]);
    char def[4200];
    if (!state) {
        rz_default_state(dest ? dest : (cli_env("DEST") ? cli_env("DEST") : "./lake"), def, sizeof def);
        state = def;
    }
    if (!ecl_db_url_is_postgres(state)) {
        const char *path = state;
        if (strncmp(path, "sqlite:", 7) == 0)
            path += strncmp(path, "sqlite://", 9) == 0 ? 9 : 7;
        if (access(path, F_OK) != 0) {
            ecl_err e = ECL_ERR_INIT;
            ecl_err_set(&e, ECL_ENOTFOUND, "no ledger at '%s' (run a backfill first, or pass --state or --dest)",
                        path);
            return cli_fail(&e);
        }
    }
    ecl_ledger *l;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_ledger_open(&l, state, &e))
        return cli_fail(&e);
    ecl_db *db = ecl_ledger_db(l);
    report rp = {json, true};
    char lim[32];
    snprintf(lim, sizeof lim, "%ld", limit);
    const char *bf = backfill ? backfill : "%";
    const char *p2[] = {bf, lim};
    const char *p1[] = {bf};
    if (json)
        printf("{\"state\":"), rz_json_str(stdout, ecl_db_name(db)), printf(",");
    else
        printf("ledger: %s\n\n", ecl_db_name(db));
    rp.first_section = true;
    int rc = print_query(db, &rp, "runs",
                         "SELECT run_id, command, status, start_date, end_date, rows_written AS rows,"
                         " bytes_written AS bytes, partitions, started_at, finished_at, error_message"
                         " FROM runs WHERE COALESCE(backfill_id, '') LIKE ?"
                         " ORDER BY started_at DESC, run_id DESC LIMIT CAST(? AS INTEGER)",
                         2, p2, &e);
    if (!rc)
        rc = print_query(db, &rp, "partitions_by_state",
                         "SELECT table_name, state, COUNT(*) AS count, SUM(rows_written) AS rows,"
                         " SUM(bytes_written) AS bytes,"
                         " SUM(CASE WHEN hook_status = 'failed' THEN 1 ELSE 0 END) AS hook_failures"
                         " FROM partitions GROUP BY table_name, state ORDER BY table_name, state",
                         0, NULL, &e);
    if (!rc)
        rc = print_query(db, &rp, "problem_partitions",
                         "SELECT table_name, partition_name, state, hook_status, attempts, error_message"
                         " FROM partitions WHERE state <> 'committed' OR hook_status = 'failed'"
                         " ORDER BY table_name, partition_name LIMIT CAST(? AS INTEGER)",
                         1, (const char *const[]){lim}, &e);
    if (!rc)
        rc = print_query(db, &rp, "chunks_by_status",
                         "SELECT backfill_id, status, COUNT(*) AS count, SUM(rows_affected) AS rows,"
                         " SUM(bytes_written) AS bytes FROM backfill_log WHERE backfill_id LIKE ?"
                         " GROUP BY backfill_id, status ORDER BY backfill_id, status",
                         1, p1, &e);
    if (!rc)
        rc = print_query(db, &rp, "backfill_log",
                         "SELECT backfill_id, chunk_index, table_name, start_date, end_date, status,"
                         " rows_affected, error_message, started_at, completed_at, triggered_by, attempts"
                         " FROM backfill_log WHERE backfill_id LIKE ?"
                         " ORDER BY COALESCE(completed_at, started_at) DESC, start_date DESC, table_name"
                         " LIMIT CAST(? AS INTEGER)",
                         2, p2, &e);
    if (json)
        printf("}\n");
    ecl_ledger_close(l);
    return rc ? cli_fail(&e) : EXIT_OK;
}

const cli_cmd cmd_status = {
    "status",
    "show runs, chunks and partitions by state from the ledger (the backfill_log)",
    "usage: ecomlake status [--state FILE|URL | --dest DIR] [--backfill ID] [--limit N] [--json]\n"
    "\n"
    "Reports, from the ledger a backfill writes: recent runs, partitions by table and state\n"
    "(with failed hooks), partitions that are not committed, chunks by status and the most recent\n"
    "backfill_log rows.\n"
    "\n"
    "Options:\n"
    "  --state FILE|URL   the ledger (SQLite path or postgresql:// URL); default\n"
    "                     <dest>/_ecomlake_state.sqlite\n"
    "  --dest DIR         the lake whose default ledger to read (default ./lake)\n"
    "  --backfill ID      only this backfill (bf-...)\n"
    "  --limit N          rows per list (default 20)\n"
    "  --json             one JSON object on stdout\n"
    "\n"
    "Examples:\n"
    "  ecomlake status\n"
    "  ecomlake status --state postgresql://db/ecomlake --json\n",
    run,
};
