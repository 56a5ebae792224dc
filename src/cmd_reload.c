/* ecomlake reload - delete and reload a date range of a warehouse table from a lake, chunk by chunk,
 * each chunk in one transaction, audited in backfill_log; the managed backfill done right. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cancel.h"
#include "../lib/column.h"
#include "../lib/db.h"
#include "../lib/hash.h"
#include "../lib/ledger.h"
#include "../lib/reload.h"
#include "commands.h"

static const char help[] =
    "usage: ecomlake reload --warehouse URL --table T --source LAKE --start-date D --end-date D\n"
    "                       [--chunk-days N] [--max-days N] [--dry-run] [--allow-future]\n"
    "                       [--state URL] [--triggered-by NAME] [--force] [--json]\n"
    "\n"
    "Replaces the rows of a date range in a warehouse table with the rows of the lake's committed\n"
    "partitions for those days. The range is cut into chunks of --chunk-days; each chunk deletes\n"
    "and inserts inside one transaction, so a failure never leaves a range empty. Only partitions\n"
    "with _SUCCESS and a manifest are read; a partition directory without _SUCCESS fails its chunk\n"
    "before anything is deleted. The table is created from the Parquet schema when missing, with\n"
    "the partition key (e.g. ingest_dt) as an extra DATE column.\n"
    "\n"
    "Every chunk gets a backfill_log row (in_progress, then completed or failed; simulated for a dry\n"
    "run) in the --state ledger. Re-running the same reload skips chunks already completed (--force\n"
    "redoes them). Run with --dry-run first: it counts the rows each chunk would delete and insert.\n"
    "\n"
    "Validation: dates are YYYY-MM-DD; start <= end (equal is one day); the end is not after today\n"
    "(UTC) unless --allow-future; the range is at most --max-days days (default 30; 0 = no limit);\n"
    "1 <= --chunk-days <= --max-days; the table exists in the lake.\n"
    "\n"
    "Options:\n"
    "  --warehouse URL     sqlite:PATH, a plain path, or postgresql://...\n"
    "  --table T           lake table directory and warehouse table name\n"
    "  --source LAKE       local lake root (as written by backfill)\n"
    "  --start-date D      first day (YYYY-MM-DD)\n"
    "  --end-date D        last day, inclusive\n"
    "  --chunk-days N      days per chunk and transaction (default 7)\n"
    "  --max-days N        largest range accepted (default 30, 0 = no limit)\n"
    "  --dry-run           count what would be deleted and inserted; change nothing\n"
    "  --allow-future      accept an end date after today\n"
    "  --state URL         ledger for backfill_log (default: the warehouse itself)\n"
    "  --triggered-by NAME who started it, for the audit log (default: $USER@host)\n"
    "  --force             redo chunks an earlier run of this reload completed\n"
    "  --json              print the summary as JSON on stdout\n"
    "\n"
    "Examples:\n"
    "  ecomlake reload --warehouse wh.sqlite --table orders --source lake \\\n"
    "      --start-date 2024-10-01 --end-date 2024-10-14 --dry-run\n"
    "  ecomlake reload --warehouse postgresql://etl@db/bronze --table orders --source lake \\\n"
    "      --start-date 2024-10-01 --end-date 2024-10-14 --chunk-days 1\n";

enum {
    O_WH = 1000, O_TABLE, O_SOURCE, O_START, O_END, O_CHUNK, O_MAX, O_DRY, O_FUTURE, O_STATE, O_BY,
    O_FORCE, O_JSON
};

static int run(int argc, char **argv);
const cli_cmd cmd_reload = {"reload", "delete and reload a date range of a warehouse table, audited", help,
                            run};

static int32_t today_utc(void)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    return ecl_days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* A stable id for "this reload", so a re-run finds the chunks it already completed. */
static void make_backfill_id(const char *wh, const char *table, const char *source, const char *s,
                             const char *e, char out[64])
{
    char key[8192];
    snprintf(key, sizeof key, "reload|%s|%s|%s|%s|%s", wh, table, source, s, e);
    uint8_t d[32];
    ecl_sha256(key, strlen(key), d);
    char hex[65];
    ecl_hex(d, 32, hex);
    snprintf(out, 64, "reload-%s-%.12s", table, hex);
}

static int chunk_done(ecl_ledger *l, const char *bid, const char *table, const char *s, const char *e_,
                      bool *done, ecl_err *e)
{
    const char *p[4] = {bid, table, s, e_};
    int64_t n = 0;
    bool found;
    ecl_ledger_lock(l);
    int rc = ecl_db_query_int(ecl_ledger_db(l),
                              "SELECT count(*) FROM backfill_log WHERE backfill_id = ? AND table_name = ? "
                              "AND start_date = ? AND end_date = ? AND status = 'completed'",
                              4, p, &n, &found, e);
    ecl_ledger_unlock(l);
    *done = n > 0;
    return rc;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"warehouse", required_argument, 0, O_WH},   {"table", required_argument, 0, O_TABLE},
        {"source", required_argument, 0, O_SOURCE},  {"start-date", required_argument, 0, O_START},
        {"end-date", required_argument, 0, O_END},   {"chunk-days", required_argument, 0, O_CHUNK},
        {"max-days", required_argument, 0, O_MAX},   {"dry-run", no_argument, 0, O_DRY},
        {"allow-future", no_argument, 0, O_FUTURE},  {"state", required_argument, 0, O_STATE},
        {"triggered-by", required_argument, 0, O_BY}, {"force", no_argument, 0, O_FORCE},
        {"json", no_argument, 0, O_JSON},            {0, 0, 0, 0},
    };
    const char *wh = NULL, *table = NULL, *source = NULL, *state = NULL, *by = NULL;
    const char *start_s = NULL, *end_s = NULL;
    int32_t start = 0, end = 0;
    long chunk_days = 7, max_days = 30;
    bool dry = false, future = false, force = false, json = false;
    int c;
    while ((c = cli_getopt(&cmd_reload, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_WH: wh = optarg; break;
        case O_TABLE: table = optarg; break;
        case O_SOURCE: source = optarg; break;
        case O_START:
            start_s = optarg;
            if (cli_parse_date(&cmd_reload, "--start-date", optarg, &start))
                return EXIT_USAGE;
            break;
        case O_END:
            end_s = optarg;
            if (cli_parse_date(&cmd_reload, "--end-date", optarg, &end))
                return EXIT_USAGE;
            break;
        case O_CHUNK:
            if (cli_parse_long(&cmd_reload, "--chunk-days", optarg, 1, 100000, &chunk_days))
                return EXIT_USAGE;
            break;
        case O_MAX:
            if (cli_parse_long(&cmd_reload, "--max-days", optarg, 0, 1000000, &max_days))
                return EXIT_USAGE;
            break;
        case O_DRY: dry = true; break;
        case O_FUTURE: future = true; break;
        case O_STATE: state = optarg; break;
        case O_BY: by = optarg; break;
        case O_FORCE: force = true; break;
        case O_JSON: json = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_reload, "unexpected argument '%s'", argv[optind]);
    static const char *const req_names[] = {"--warehouse", "--table", "--source", "--start-date", "--end-date"};
    const char *req[] = {wh, table, source, start_s, end_s};
    for (size_t i = 0; i < 5; i++)
        if (!req[i])
            return cli_usage_error(&cmd_reload, "%s is required", req_names[i]);
    if (start > end)
        return cli_usage_error(&cmd_reload, "start date (%s) is after end date (%s)", start_s, end_s);
    int32_t today = today_utc();
    if (!future && end > today) {
        char t[11];
        ecl_date_format(today, t);
        return cli_usage_error(&cmd_reload, "end date (%s) is in the future (today is %s, UTC); "
                               "pass --allow-future to load it anyway", end_s, t);
    }
    long days = (long)(end - start) + 1;
    if (max_days && days > max_days)
        return cli_usage_error(&cmd_reload, "date range (%ld days) exceeds the maximum (%ld days): "
                               "split it into smaller runs or raise --max-days", days, max_days);
    if (max_days && chunk_days > max_days)
        return cli_usage_error(&cmd_reload, "--chunk-days (%ld) must be between 1 and --max-days (%ld)",
                               chunk_days, max_days);

    ecl_err e = ECL_ERR_INIT;
    ecl_reload_src src = {source, table, {0}};
    if (ecl_reload_probe(&src, &e))
        return cli_fail(&e);
    ecl_db *db = NULL;
    if (ecl_db_open(&db, wh, &e))
        return cli_fail(&e);
    ecl_ledger *led = NULL;
    if (ecl_ledger_open(&led, state ? state : wh, &e)) {
        ecl_db_close(db);
        return cli_fail(&e);
    }
    char who[256];
    if (!by) {
        char host[128] = "localhost";
        gethostname(host, sizeof host - 1);
        snprintf(who, sizeof who, "%s@%s", getenv("USER") ? getenv("USER") : "unknown", host);
        by = who;
    }
    char bid[64], run_id[96];
    make_backfill_id(wh, table, source, start_s, end_s, bid);
    int64_t nruns = 0;
    ecl_ledger_count_runs(led, bid, &nruns, &e);
    snprintf(run_id, sizeof run_id, "%s-r%lld", bid, (long long)nruns + 1);
    ecl_run_rec rr = {.run_id = run_id, .backfill_id = bid, .command = "reload", .dest = wh,
                      .start_date = start_s, .end_date = end_s, .triggered_by = by,
                      .status = dry ? "simulated" : "running"};
    if (ecl_ledger_run_start(led, &rr, &e)) {
        ecl_ledger_close(led);
        ecl_db_close(db);
        return cli_fail(&e);
    }

    if (!json)
        cli_info("%s %s: %s..%s (%ld days) from '%s' into %s, %ld-day chunks", dry ? "dry run of" : "reloading",
                 table, start_s, end_s, days, source, ecl_db_name(db), chunk_days);
    uint64_t tot_del = 0, tot_ins = 0, tot_parts = 0, tot_missing = 0;
    int chunks = 0, failed = 0, skipped = 0, printed = 0;
    ecl_err first_err = ECL_ERR_INIT;
    bool interrupted = false;
    if (json)
        printf("{\"backfill_id\":\"%s\",\"run_id\":\"%s\",\"table\":\"%s\",\"dry_run\":%s,\"chunks\":[", bid,
               run_id, table, dry ? "true" : "false");
    for (int32_t cs = start; cs <= end; cs += (int32_t)chunk_days) {
        if (ecl_cancelled()) {
            interrupted = true;
            break;
        }
        int32_t ce = cs + (int32_t)chunk_days - 1 > end ? end : cs + (int32_t)chunk_days - 1;
        char a[11], b[11];
        ecl_date_format(cs, a);
        ecl_date_format(ce, b);
        chunks++;
        bool done = false;
        ecl_err ce_err = ECL_ERR_INIT;
        if (!dry && !force && chunk_done(led, bid, table, a, b, &done, &ce_err) == 0 && done) {
            skipped++;
            if (!json)
                cli_info("  chunk %d %s..%s: already completed, skipped", chunks, a, b);
            continue;
        }
        ecl_chunk_rec cr = {.backfill_id = bid, .run_id = run_id, .chunk_index = chunks, .table = table,
                            .start_date = a, .end_date = b, .status = dry ? "simulated" : "in_progress",
                            .triggered_by = by};
        if (!dry)
            ecl_ledger_chunk_start(led, &cr, &ce_err);
        ecl_reload_counts cnt;
        int rc = ecl_reload_chunk(db, &src, cs, ce, dry, &cnt, &ce_err);
        cr.status = rc ? "failed" : dry ? "simulated" : "completed";
        cr.rows = cnt.inserted;
        cr.partitions = cnt.partitions;
        cr.error = rc ? ce_err.msg : NULL;
        ecl_err led_err = ECL_ERR_INIT;
        if (dry)
            ecl_ledger_chunk_start(led, &cr, &led_err);
        ecl_ledger_chunk_finish(led, &cr, &led_err);
        if (rc) {
            failed++;
            if (first_err.code == ECL_OK)
                first_err = ce_err;
        } else {
            tot_del += cnt.deleted;
            tot_ins += cnt.inserted;
            tot_parts += cnt.partitions;
            tot_missing += cnt.missing;
        }
        if (json) {
            printf("%s{\"index\":%d,\"start\":\"%s\",\"end\":\"%s\",\"status\":\"%s\",\"deleted\":%llu,"
                   "\"inserted\":%llu,\"partitions\":%u,\"missing_days\":%u}",
                   printed++ ? "," : "", chunks, a, b, cr.status,
                   (unsigned long long)cnt.deleted, (unsigned long long)cnt.inserted, cnt.partitions,
                   cnt.missing);
        } else if (rc) {
            cli_error("chunk %d %s..%s failed: %s", chunks, a, b, ce_err.msg);
        } else {
            cli_info("  chunk %d %s..%s: %s %llu rows, %s %llu rows from %u partitions%s", chunks, a, b,
                     dry ? "would delete" : "deleted", (unsigned long long)cnt.deleted,
                     dry ? "would insert" : "inserted", (unsigned long long)cnt.inserted, cnt.partitions,
                     cnt.missing ? " (some days have no partition)" : "");
        }
    }
    const char *status = interrupted ? "interrupted" : failed ? (failed == chunks ? "failed" : "partial")
                         : dry ? "simulated" : "completed";
    ecl_ledger_run_finish(led, run_id, status, tot_ins, 0, tot_parts, failed ? first_err.msg : NULL, &e);
    if (json) {
        printf("],\"status\":\"%s\",\"chunks_total\":%d,\"chunks_failed\":%d,\"chunks_skipped\":%d,"
               "\"rows_deleted\":%llu,\"rows_inserted\":%llu,\"partitions\":%llu,\"missing_days\":%llu}\n",
               status, chunks, failed, skipped, (unsigned long long)tot_del, (unsigned long long)tot_ins,
               (unsigned long long)tot_parts, (unsigned long long)tot_missing);
    } else {
        cli_info("%s: %d chunks (%d failed, %d skipped), %llu rows %s, %llu rows %s, %llu partitions read, "
                 "%llu days without a partition; audit: backfill_id %s",
                 status, chunks, failed, skipped, (unsigned long long)tot_del, dry ? "would be deleted" : "deleted",
                 (unsigned long long)tot_ins, dry ? "would be inserted" : "inserted",
                 (unsigned long long)tot_parts, (unsigned long long)tot_missing, bid);
        if (dry)
            cli_info("this was a dry run: nothing changed; run again without --dry-run to reload");
    }
    ecl_ledger_close(led);
    ecl_db_close(db);
    if (interrupted)
        return EXIT_INTERRUPTED;
    if (failed)
        return failed == chunks ? cli_exit_code(first_err.code == ECL_EPARTIAL ? ECL_EIO : first_err.code)
                                : EXIT_PARTIAL;
    return EXIT_OK;
}
