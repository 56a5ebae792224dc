/* ecomlake ingest - validate landed restaurant files and load them into bronze tables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/resto/ingest.h"
#include "../lib/resto/resto.h"
#include "commands.h"

static const char help[] =
    "usage: ecomlake ingest --source DIR|URL --warehouse URL [--quarantine DIR] [--max-file-size BYTES]\n"
    "                       [--timezone ZONE] [--batch N] [--no-reference-check] [--dry-run]\n"
    "                       [--rehash] [--no-commit-check] [--strict] [--json]\n"
    "\n"
    "Validates the restaurant files under DIR or an object-store prefix (s3://bucket/prefix,\n"
    "gs://bucket/prefix) (reference_data/*.csv and\n"
    "csv_sales/YYYY/MM/DD/unit_NNN[/window_HHHH]/{pedido,item_pedido}.csv, as written by 'window'\n"
    "and 'continuous' or by the original generators) and loads them into the bronze tables orders,\n"
    "order_items, products, units, states and countries, each with _source_file, _ingest_timestamp\n"
    "and _ingest_date.\n"
    "\n"
    "Parquet files (pedido.parquet, item_pedido.parquet, reference_data/*.parquet, as written by\n"
    "'window --format parquet') load the same rows as the CSV of the same window, by the same\n"
    "rules: columns are found by name and must have the documented types; an unreadable, truncated\n"
    "or mistyped file is quarantined like any unusable file. Where a directory holds both forms of\n"
    "a file, the CSV is loaded.\n"
    "\n"
    "Validation: the original csv-processor's rules (required columns and fields, numbers, strict\n"
    "dates, Status domain, duplicate ids within a file) plus the ones it lacked: Tipo_Pedido domain,\n"
    "no negative money, Qtd >= 1, no fee on Loja Fisica orders, Vlr_Pedido = sum(Qtd * Vlr_Item) +\n"
    "Taxa_Entrega, units and products exist in the reference tables, rows agree with their\n"
    "unit/date/window path, items reference orders of the same window, and an order loads with all\n"
    "its items or not at all. Rejected rows are recorded in ingest_rejects (file, line, column, rule,\n"
    "message). A file with problems and no valid row, or larger than --max-file-size, is moved to the\n"
    "quarantine directory with NAME_error.json beside it naming every problem.\n"
    "\n"
    "Idempotent: the load ledger (ingest_ledger) keys each file by path and SHA-256. A changed file\n"
    "replaces its rows in one transaction; an unchanged file is skipped, so re-ingesting\n"
    "everything changes nothing. A file whose size, mtime, ctime and inode are those recorded with\n"
    "its hash is not even read (like git's index); --rehash reads and hashes every file instead.\n"
    "PostgreSQL loads use COPY. Concurrent runs on one\n"
    "warehouse are safe (PostgreSQL: advisory lock; SQLite: write transactions and a ledger re-check).\n"
    "\n"
    "Object-store sources (the landing zone of 'window --dest s3://...'): one listing finds every\n"
    "object; an object whose key, size and ETag (GCS: MD5) are those the ledger recorded is skipped\n"
    "without downloading, any other is downloaded, hashed and loaded like a local file. Objects are\n"
    "uploaded one by one, so a window directory counts only once its _SUCCESS marker exists (the last\n"
    "object 'window' writes); windows without it are left for a later run (--no-commit-check loads\n"
    "them anyway, for landing zones written without markers). A quarantined object is copied to\n"
    "the quarantine prefix of the same bucket with its NAME_error.json, then deleted from the\n"
    "landing prefix. Credentials and endpoint come from the environment as for 'window --dest'.\n"
    "\n"
    "Options:\n"
    "  --source DIR|URL        the landed lake root, s3://... or gs://... (or ECOMLAKE_SOURCE)\n"
    "  --warehouse URL         sqlite:PATH, a path, or postgresql://... (or ECOMLAKE_WAREHOUSE)\n"
    "  --quarantine DIR        where bad files go (default DIR/quarantine; for a URL source a key\n"
    "                          prefix in the same bucket, default quarantine)\n"
    "  --max-file-size BYTES   larger files are quarantined unread (default 10485760, as the original)\n"
    "  --timezone ZONE         the chain's zone for the order-timestamp rule (default America/Sao_Paulo)\n"
    "  --batch N               window directories per transaction (default 64)\n"
    "  --no-reference-check    do not require units/products to exist (no reference data available)\n"
    "  --dry-run               validate and report only: no writes, no moves\n"
    "  --rehash                hash every file even when its stat data is unchanged\n"
    "  --no-commit-check       URL sources: load window directories that have no _SUCCESS yet\n"
    "  --strict                exit 3 when any row was rejected or any file quarantined\n"
    "  --json                  print a JSON summary on stdout\n"
    "\n"
    "Examples:\n"
    "  ecomlake ingest --source output --warehouse sqlite:bronze.db\n"
    "  ecomlake ingest --source lake --warehouse postgresql://etl@localhost/mrhealth --json\n"
    "  ecomlake ingest --source s3://landing/mrhealth --warehouse sqlite:bronze.db\n";

enum { O_SOURCE = 1000, O_WH, O_QUAR, O_MAX, O_TZ, O_BATCH, O_NOREF, O_DRY, O_STRICT, O_JSON, O_REHASH, O_NOCOMMIT };

static int run(int argc, char **argv);
const cli_cmd cmd_ingest = {"ingest", "validate landed restaurant CSV files and load them into bronze tables",
                            help, run};

typedef struct prog_ctx {
    cli_progress *p;
    uint64_t last_dirs, last_rows, last_bytes;
} prog_ctx;

static void on_progress(const ecl_resto_ingest_stats *st, uint64_t done, uint64_t total, void *ctx)
{
    prog_ctx *pc = ctx;
    if (!pc->p)
        pc->p = cli_progress_start("ingest", total, "dirs");
    if (!pc->p)
        return;
    cli_progress_add(pc->p, done - pc->last_dirs, st->rows_loaded - pc->last_rows, st->bytes_read - pc->last_bytes);
    pc->last_dirs = done;
    pc->last_rows = st->rows_loaded;
    pc->last_bytes = st->bytes_read;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"source", required_argument, 0, O_SOURCE}, {"warehouse", required_argument, 0, O_WH},
        {"quarantine", required_argument, 0, O_QUAR}, {"max-file-size", required_argument, 0, O_MAX},
        {"timezone", required_argument, 0, O_TZ},   {"batch", required_argument, 0, O_BATCH},
        {"no-reference-check", no_argument, 0, O_NOREF}, {"dry-run", no_argument, 0, O_DRY},
        {"strict", no_argument, 0, O_STRICT},       {"json", no_argument, 0, O_JSON},
        {"rehash", no_argument, 0, O_REHASH},       {"no-commit-check", no_argument, 0, O_NOCOMMIT},
        {0, 0, 0, 0},
    };
    ecl_resto_ingest_opts o = {0};
    const char *wh = cli_env("WAREHOUSE");
    o.source = cli_env("SOURCE");
    o.timezone = "America/Sao_Paulo";
    bool strict = false, json = false;
    long v;
    int c;
    while ((c = cli_getopt(&cmd_ingest, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_SOURCE: o.source = optarg; break;
        case O_WH: wh = optarg; break;
        case O_QUAR: o.quarantine = optarg; break;
        case O_MAX:
            if (cli_parse_long(&cmd_ingest, "--max-file-size", optarg, 1, INT64_MAX, &v))
                return EXIT_USAGE;
            o.max_file_size = (uint64_t)v;
            break;
        case O_TZ: o.timezone = optarg; break;
        case O_BATCH:
            if (cli_parse_long(&cmd_ingest, "--batch", optarg, 1, 100000, &v))
                return EXIT_USAGE;
            o.batch = (size_t)v;
            break;
        case O_NOREF: o.no_reference_check = true; break;
        case O_DRY: o.dry_run = true; break;
        case O_STRICT: strict = true; break;
        case O_JSON: json = true; break;
        case O_REHASH: o.rehash = true; break;
        case O_NOCOMMIT: o.no_commit_check = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_ingest, "unexpected argument '%s'", argv[optind]);
    if (!o.source || !*o.source)
        return cli_usage_error(&cmd_ingest, "--source is required");
    if (!wh || !*wh)
        return cli_usage_error(&cmd_ingest, "--warehouse is required");
    if (strstr(o.source, "://") && strncmp(o.source, "file://", 7) != 0 && strncmp(o.source, "s3://", 5) != 0 &&
        strncmp(o.source, "gs://", 5) != 0)
        return cli_usage_error(&cmd_ingest, "--source '%s': a directory, file://, s3:// or gs:// URL", o.source);
    if (strncmp(o.source, "file://", 7) == 0)
        o.source += 7;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_tz_check(o.timezone, &e))
        return cli_usage_error(&cmd_ingest, "--timezone: %s", e.msg);
    ecl_wh *w;
    if (ecl_wh_open(&w, wh, &e))
        return cli_fail(&e);
    double t0 = cli_now();
    prog_ctx pc = {NULL, 0, 0, 0};
    ecl_resto_ingest_stats st;
    int rc = ecl_resto_ingest(w, &o, &st, on_progress, &pc, &e);
    cli_progress_finish(pc.p);
    ecl_wh_close(w);
    double secs = cli_now() - t0;
    if (json)
        printf("{\"status\":\"%s\",\"files_seen\":%llu,\"files_loaded\":%llu,\"files_partial\":%llu,"
               "\"files_skipped\":%llu,\"files_quarantined\":%llu,\"rows_loaded\":%llu,"
               "\"rows_rejected\":%llu,\"problems\":%llu,\"bytes_read\":%llu,\"windows_uncommitted\":%llu,"
               "\"seconds\":%.3f}\n",
               rc ? "failed" : "ok", (unsigned long long)st.files_seen, (unsigned long long)st.files_loaded,
               (unsigned long long)st.files_partial, (unsigned long long)st.files_skipped,
               (unsigned long long)st.files_quarantined, (unsigned long long)st.rows_loaded,
               (unsigned long long)st.rows_rejected, (unsigned long long)st.problems,
               (unsigned long long)st.bytes_read, (unsigned long long)st.windows_uncommitted, secs);
    if (rc)
        return cli_fail(&e);
    cli_info("%s%llu files: %llu loaded, %llu partial, %llu unchanged, %llu quarantined; %llu rows loaded, "
             "%llu rejected in %.2fs", o.dry_run ? "dry run: " : "", (unsigned long long)st.files_seen,
             (unsigned long long)st.files_loaded, (unsigned long long)st.files_partial,
             (unsigned long long)st.files_skipped, (unsigned long long)st.files_quarantined,
             (unsigned long long)st.rows_loaded, (unsigned long long)st.rows_rejected, secs);
    if (st.windows_uncommitted)
        cli_warn("%llu window director%s without _SUCCESS left for a later run", (unsigned long long)st.windows_uncommitted,
                 st.windows_uncommitted == 1 ? "y" : "ies");
    if (strict && (st.rows_rejected || st.files_quarantined))
        return EXIT_PARTIAL;
    return EXIT_OK;
}
