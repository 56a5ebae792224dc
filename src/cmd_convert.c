/* ecomlake convert - CSV to Parquet (and back) under a schema contract.
 *
 * The source (a CSV read against the contract, or a Parquet file) yields column batches; the sink
 * (Parquet or CSV writer) consumes them. Output goes to a hidden temp file beside the target and is
 * renamed into place only when every row was accepted, so a failed or interrupted run leaves nothing
 * at the output path. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cancel.h"
#include "../lib/contract.h"
#include "../lib/csv.h"
#include "../lib/io.h"
#include "../lib/parquet.h"
#include "commands.h"

static const char help[] =
    "usage: ecomlake convert --schema CONTRACT.yaml --input DATA.csv --output DATA.parquet [options]\n"
    "       ecomlake convert --input DATA.parquet --output DATA.csv [--schema CONTRACT.yaml] [options]\n"
    "\n"
    "Converts CSV to Parquet under a schema contract, checking every value, or Parquet back to CSV.\n"
    "The contract (YAML, see docs/contract.md) names each column's name, type and nullability and the\n"
    "CSV dialect. A value that does not fit (a letter in an int64, 2024-02-30 in a date, an empty\n"
    "field in a column that is not nullable, a row with the wrong number of fields) is reported as\n"
    "FILE:LINE:COLUMN and the run fails with nothing left at the output path: output is written to a\n"
    "hidden temp file in the same directory and renamed into place only on success.\n"
    "\n"
    "The direction follows the file extensions (.csv, .tsv, .txt / .parquet, .pq); --from and --to\n"
    "override them. With a header row, CSV columns are matched to the contract by name (any order);\n"
    "without one, by position. Parquet input carries its own schema: --schema is then optional and,\n"
    "when given, must match it and sets the CSV dialect of the output.\n"
    "\n"
    "Options:\n"
    "  -s, --schema FILE          the schema contract (required for CSV input)\n"
    "  -i, --input FILE           file to read\n"
    "  -o, --output FILE          file to write (replaced if it exists)\n"
    "      --from csv|parquet     input format (default: from the extension)\n"
    "      --to csv|parquet       output format (default: from the extension)\n"
    "      --compression CODEC    snappy (default), zstd, gzip or none\n"
    "      --compression-level N  zstd 1..22 (default 3), gzip 1..9 (default 6)\n"
    "      --row-group-mb N       target uncompressed row group size, MiB (default 128)\n"
    "      --page-kb N            target uncompressed data page size, KiB (default 1024)\n"
    "      --max-errors N         report up to N rejected rows before failing (default 1)\n"
    "      --dry-run              check every row against the contract; write nothing\n"
    "      --json                 print the summary as one JSON object on stdout\n"
    "\n"
    "Exit codes: 0 converted, 1 rejected rows or another failure (nothing written), 2 usage error,\n"
    "130 interrupted (nothing written).\n"
    "\n"
    "Examples:\n"
    "  ecomlake convert --schema samples/orders.contract.yaml --input samples/orders.csv \\\n"
    "                   --output orders.parquet\n"
    "  ecomlake convert -s orders.contract.yaml -i orders.csv -o orders.parquet --compression zstd \\\n"
    "                   --compression-level 9 --row-group-mb 64\n"
    "  ecomlake convert -s orders.contract.yaml -i orders.csv -o x.parquet --max-errors 50 --dry-run\n"
    "  ecomlake convert --input orders.parquet --output orders.csv --schema orders.contract.yaml\n";

enum { BATCH_ROWS = 65536, BATCH_BYTES = 64 << 20, PROGRESS_MIN_BYTES = 16 << 20 };

typedef enum { FMT_NONE, FMT_CSV, FMT_PARQUET } fmt;

typedef struct opts {
    const char *schema, *input, *output;
    fmt from, to;
    ecl_codec codec;
    long level;
    bool level_set;
    long row_group_mb, page_kb, max_errors;
    bool dry_run, json;
} opts;

typedef struct job {
    const opts *o;
    ecl_contract contract;
    bool have_contract;
    const ecl_schema *schema;     /* the contract's, or the Parquet input's */
    ecl_csv_dialect in_dialect, out_dialect;
    /* source */
    ecl_csv_reader *csv;
    size_t *map;                  /* schema column -> CSV field index */
    ecl_pq_reader *pq;
    size_t next_rg;
    /* sink */
    char *tmp;
    ecl_out out;
    bool out_open;
    ecl_pq_writer *pw;
    /* two batches: the reading thread fills one while the writer drains the other */
    ecl_batch batches[2];
    bool batch_init;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool ready[2], last[2];
    bool stop;              /* the writer failed: the reader stops */
    uint64_t rejected_seen; /* j->rejected as of the last published batch */
    int prod_rc;
    ecl_err prod_err;
    /* accounting */
    uint64_t rows, rejected, in_bytes;
    cli_progress *progress;
    uint64_t last_in, last_out; /* last_in: reading thread only; last_out: writer only */
} job;

static fmt fmt_of_name(const char *s)
{
    return !strcmp(s, "csv") ? FMT_CSV : !strcmp(s, "parquet") ? FMT_PARQUET : FMT_NONE;
}

static fmt fmt_of_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return FMT_NONE;
    static const char *const csv[] = {".csv", ".tsv", ".txt"};
    static const char *const pq[] = {".parquet", ".pq"};
    for (size_t i = 0; i < 3; i++)
        if (!strcasecmp(dot, csv[i]))
            return FMT_CSV;
    for (size_t i = 0; i < 2; i++)
        if (!strcasecmp(dot, pq[i]))
            return FMT_PARQUET;
    return FMT_NONE;
}

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_FROM = 256, O_TO, O_COMP, O_LEVEL, O_RG, O_PAGE, O_MAXERR, O_DRY, O_JSON };
    static const struct option longopts[] = {
        {"schema", required_argument, NULL, 's'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, O_FROM},
        {"to", required_argument, NULL, O_TO},
        {"compression", required_argument, NULL, O_COMP},
        {"compression-level", required_argument, NULL, O_LEVEL},
        {"row-group-mb", required_argument, NULL, O_RG},
        {"page-kb", required_argument, NULL, O_PAGE},
        {"max-errors", required_argument, NULL, O_MAXERR},
        {"dry-run", no_argument, NULL, O_DRY},
        {"json", no_argument, NULL, O_JSON},
        {NULL, 0, NULL, 0},
    };
    *o = (opts){.codec = ECL_CODEC_SNAPPY, .row_group_mb = 128, .page_kb = 1024, .max_errors = 1};
    int c;
    optind = 1;
    while ((c = cli_getopt(&cmd_convert, argc, argv, "s:i:o:", longopts)) != -1) {
        switch (c) {
        case 'h': return -1;
        case 's': o->schema = optarg; break;
        case 'i': o->input = optarg; break;
        case 'o': o->output = optarg; break;
        case O_FROM:
        case O_TO: {
            fmt f = fmt_of_name(optarg);
            if (f == FMT_NONE)
                return cli_usage_error(&cmd_convert, "%s: '%s' is not one of csv, parquet",
                                       c == O_FROM ? "--from" : "--to", optarg);
            *(c == O_FROM ? &o->from : &o->to) = f;
            break;
        }
        case O_COMP:
            if (ecl_codec_parse(optarg, &o->codec))
                return cli_usage_error(&cmd_convert, "--compression: '%s' is not one of snappy, zstd, gzip, none",
                                       optarg);
            break;
        case O_LEVEL:
            if (cli_parse_long(&cmd_convert, "--compression-level", optarg, 1, 22, &o->level))
                return EXIT_USAGE;
            o->level_set = true;
            break;
        case O_RG:
            if (cli_parse_long(&cmd_convert, "--row-group-mb", optarg, 1, 4096, &o->row_group_mb))
                return EXIT_USAGE;
            break;
        case O_PAGE:
            if (cli_parse_long(&cmd_convert, "--page-kb", optarg, 1, 1024 * 1024, &o->page_kb))
                return EXIT_USAGE;
            break;
        case O_MAXERR:
            if (cli_parse_long(&cmd_convert, "--max-errors", optarg, 1, 1000000000, &o->max_errors))
                return EXIT_USAGE;
            break;
        case O_DRY: o->dry_run = true; break;
        case O_JSON: o->json = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_convert, "unexpected argument '%s'", argv[optind]);
    if (!o->input)
        return cli_usage_error(&cmd_convert, "--input is required");
    if (!o->output && !o->dry_run)
        return cli_usage_error(&cmd_convert, "--output is required (or --dry-run to only check the input)");
    if (!o->from && !(o->from = fmt_of_path(o->input)))
        return cli_usage_error(&cmd_convert,
                               "--input: cannot tell the format of '%s' from its extension; add --from csv|parquet",
                               o->input);
    if (!o->to && o->output && !(o->to = fmt_of_path(o->output)))
        return cli_usage_error(&cmd_convert,
                               "--output: cannot tell the format of '%s' from its extension; add --to csv|parquet",
                               o->output);
    if (!o->to)
        o->to = o->from == FMT_CSV ? FMT_PARQUET : FMT_CSV;
    if (o->from == FMT_CSV && !o->schema)
        return cli_usage_error(&cmd_convert, "--schema is required to read CSV (the contract gives the column types)");
    if (o->level_set) {
        long max = o->codec == ECL_CODEC_ZSTD ? 22 : o->codec == ECL_CODEC_GZIP ? 9 : 0;
        if (!max)
            return cli_usage_error(&cmd_convert, "--compression-level applies to zstd and gzip, not %s",
                                   ecl_codec_name(o->codec));
        if (o->level > max)
            return cli_usage_error(&cmd_convert, "--compression-level: %ld is out of range for %s (1..%ld)", o->level,
                                   ecl_codec_name(o->codec), max);
    }
    if (o->output && strcmp(o->input, o->output) == 0)
        return cli_usage_error(&cmd_convert, "--output: '%s' is also the input", o->output);
    return 0;
}

/* ---------------------------------------------------------------- errors */

/* Reports one rejected row; returns nonzero when the run must stop now. */
static bool reject(job *j, const ecl_err *e)
{
    j->rejected++;
    cli_fail(e);
    return (long)j->rejected >= j->o->max_errors;
}

static const char *nothing_written(const job *j)
{
    static char note[512];
    if (j->o->dry_run || !j->o->output)
        return "";
    snprintf(note, sizeof note, "; nothing was written to '%s'", j->o->output);
    return note;
}

static int stopped(job *j, ecl_err *e)
{
    if (j->o->max_errors == 1)
        return ecl_err_set(e, ECL_EINVAL, "stopped at the first rejected row (--max-errors N reports more)%s",
                           nothing_written(j));
    return ecl_err_set(e, ECL_EINVAL, "stopped after %llu rejected rows (--max-errors %ld)%s",
                       (unsigned long long)j->rejected, j->o->max_errors, nothing_written(j));
}

static bool recoverable(int rc) { return rc == ECL_EINVAL || rc == ECL_EFORMAT; }

/* ---------------------------------------------------------------- sources */

static int open_csv_source(job *j, ecl_err *e)
{
    const ecl_schema *s = j->schema;
    int rc = ecl_csv_open(&j->csv, j->o->input, &j->in_dialect, e);
    if (rc)
        return rc;
    j->map = calloc(s->nfields, sizeof *j->map);
    if (!j->map)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    const char *name = ecl_csv_name(j->csv);
    if (!j->in_dialect.header) {
        for (size_t k = 0; k < s->nfields; k++)
            j->map[k] = k;
        ecl_csv_expect_fields(j->csv, s->nfields);
        return 0;
    }
    const ecl_csv_field *h;
    size_t nh;
    ecl_csv_header(j->csv, &h, &nh);
    if (nh == 0)
        return ecl_err_set(e, ECL_EINVAL, "%s:1:1: the file is empty, but the contract '%s' expects a header row",
                           name, j->contract.name);
    for (size_t k = 0; k < s->nfields; k++)
        j->map[k] = SIZE_MAX;
    for (size_t i = 0; i < nh; i++) {
        int k = -1;
        for (size_t m = 0; m < s->nfields; m++)
            if (strlen(s->fields[m].name) == h[i].n && memcmp(s->fields[m].name, h[i].p, h[i].n) == 0)
                k = (int)m;
        if (k < 0)
            return ecl_err_set(e, ECL_EINVAL, "%s:%llu:%u: header column '%.*s' is not in the contract '%s'", name,
                               (unsigned long long)h[i].line, h[i].col, (int)(h[i].n > 200 ? 200 : h[i].n), h[i].p,
                               j->contract.name);
        if (j->map[k] != SIZE_MAX)
            return ecl_err_set(e, ECL_EINVAL, "%s:%llu:%u: header column '%s' appears twice", name,
                               (unsigned long long)h[i].line, h[i].col, s->fields[k].name);
        j->map[k] = i;
    }
    for (size_t k = 0; k < s->nfields; k++)
        if (j->map[k] == SIZE_MAX)
            return ecl_err_set(e, ECL_EINVAL, "%s:1:1: the header has no column '%s' (the contract '%s' requires it)",
                               name, s->fields[k].name, j->contract.name);
    ecl_csv_expect_fields(j->csv, nh);
    return 0;
}

/* Fills b with up to BATCH_ROWS accepted rows; *done at the end of input. */
static int next_csv_batch(job *j, ecl_batch *b, bool *done, ecl_err *e)
{
    const ecl_schema *s = j->schema;
    size_t bytes = 0;
    *done = false;
    while (b->nrows < BATCH_ROWS && bytes < BATCH_BYTES) {
        const ecl_csv_field *f;
        size_t n;
        ecl_err row_err = ECL_ERR_INIT;
        int rc = ecl_csv_next(j->csv, &f, &n, &row_err);
        if (rc == ECL_ENOTFOUND) {
            *done = true;
            return 0;
        }
        if (rc) {
            if (!recoverable(rc))
                return ecl_err_set(e, row_err.code, "%s", row_err.msg);
            if (reject(j, &row_err))
                return stopped(j, e);
            continue;
        }
        size_t k;
        for (k = 0; k < s->nfields; k++) {
            rc = ecl_csv_parse_value(j->csv, &s->fields[k], &f[j->map[k]], &j->in_dialect, &b->cols[k], &row_err);
            if (rc)
                break;
            bytes += f[j->map[k]].n;
        }
        if (k < s->nfields) {
            for (size_t m = 0; m < k; m++)
                ecl_col_truncate(&b->cols[m], b->nrows);
            if (!recoverable(rc))
                return ecl_err_set(e, row_err.code, "%s", row_err.msg);
            if (reject(j, &row_err))
                return stopped(j, e);
            continue;
        }
        b->nrows++;
    }
    return 0;
}

static int next_pq_batch(job *j, ecl_batch *b, bool *done, ecl_err *e)
{
    *done = j->next_rg >= ecl_pq_reader_num_row_groups(j->pq);
    if (*done)
        return 0;
    int rc = ecl_pq_reader_read_row_group(j->pq, j->next_rg++, b, e);
    if (!rc)
        rc = ecl_batch_seal(b, e);
    return rc;
}

/* With both a contract and a Parquet schema, they must describe the same columns. */
static int check_pq_schema(job *j, const ecl_schema *ps, ecl_err *e)
{
    const ecl_schema *cs = &j->contract.schema;
    if (ps->nfields != cs->nfields)
        return ecl_err_set(e, ECL_EINVAL, "'%s' has %zu columns, the contract '%s' has %zu", j->o->input, ps->nfields,
                           j->contract.name, cs->nfields);
    for (size_t k = 0; k < cs->nfields; k++) {
        const ecl_field *a = &ps->fields[k], *c = &cs->fields[k];
        if (strcmp(a->name, c->name) != 0)
            return ecl_err_set(e, ECL_EINVAL, "'%s' column %zu is '%s', the contract '%s' names it '%s'", j->o->input,
                               k + 1, a->name, j->contract.name, c->name);
        if (a->type != c->type || (a->type == ECL_T_DECIMAL && (a->precision != c->precision || a->scale != c->scale)))
            return ecl_err_set(e, ECL_EINVAL, "'%s' column '%s' is %s, the contract '%s' says %s", j->o->input, a->name,
                               ecl_type_name(a->type), j->contract.name, ecl_type_name(c->type));
    }
    return 0;
}

/* ---------------------------------------------------------------- sink */

static int open_sink(job *j, ecl_err *e)
{
    if (j->o->dry_run)
        return 0;
    /* a hidden, unique temp name beside the target, so the final rename stays on one file system */
    char *dup = strdup(j->o->output);
    if (!dup)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    const char *dir = dirname(dup);
    char *dup2 = strdup(j->o->output);
    const char *base = dup2 ? basename(dup2) : "out";
    size_t n = strlen(dir) + strlen(base) + 32;
    j->tmp = malloc(n);
    if (!j->tmp || !dup2) {
        free(dup);
        free(dup2);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    snprintf(j->tmp, n, "%s/.%s.tmp-XXXXXX", dir, base);
    free(dup);
    free(dup2);
    int fd = mkstemp(j->tmp);
    if (fd < 0) {
        int err = errno;
        free(j->tmp);
        j->tmp = NULL;
        return ecl_err_errno(e, err, "cannot create a temp file next to '%s'", j->o->output);
    }
    /* mkstemp makes the file 0600; the result should get the usual permissions */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        int err = errno;
        close(fd);
        unlink(j->tmp);
        return ecl_err_errno(e, err, "cannot set the mode of '%s'", j->tmp);
    }
    close(fd);
    int rc = ecl_out_file(&j->out, j->tmp, e);
    if (rc) {
        unlink(j->tmp);
        return rc;
    }
    j->out_open = true;
    if (j->o->to == FMT_PARQUET) {
        ecl_pq_opts po;
        ecl_pq_opts_default(&po);
        po.codec = j->o->codec;
        po.level = j->o->level_set ? (int)j->o->level : 0;
        po.row_group_bytes = (size_t)j->o->row_group_mb << 20;
        po.page_bytes = (size_t)j->o->page_kb << 10;
        ecl_kv kv[1] = {{"ecomlake.contract", j->have_contract ? j->contract.name : NULL}};
        po.kv = kv;
        po.nkv = j->have_contract ? 1 : 0;
        return ecl_pq_writer_open(&j->pw, &j->out, j->schema, &po, e);
    }
    return j->out_dialect.header ? ecl_csv_write_header(&j->out, j->schema, &j->out_dialect, e) : 0;
}

static int sink_write(job *j, const ecl_batch *b, ecl_err *e)
{
    if (j->o->dry_run)
        return 0;
    if (j->pw)
        return ecl_pq_writer_write(j->pw, b, e);
    return ecl_csv_write_batch(&j->out, b, &j->out_dialect, e);
}

static int sink_commit(job *j, ecl_err *e)
{
    if (j->o->dry_run)
        return 0;
    int rc = j->pw ? ecl_pq_writer_finish(j->pw, e) : 0;
    if (!rc) {
        j->out_open = false;
        rc = ecl_out_close(&j->out, e);
        if (rc)
            unlink(j->tmp);
    }
    if (!rc)
        rc = ecl_rename_durable(j->tmp, j->o->output, e);
    if (rc)
        unlink(j->tmp);
    return rc;
}

static void sink_abort(job *j)
{
    if (j->out_open)
        ecl_out_abort(&j->out); /* closes and unlinks the temp file */
    j->out_open = false;
    if (j->tmp)
        unlink(j->tmp);
}

/* ---------------------------------------------------------------- run */

/* The reading thread: fills the two batches in turn and publishes each one. */
static void *reader_main(void *arg)
{
    job *j = arg;
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&j->mu);
        while (j->ready[k] && !j->stop)
            pthread_cond_wait(&j->cv, &j->mu);
        bool stop = j->stop;
        pthread_mutex_unlock(&j->mu);
        if (stop)
            return NULL;
        ecl_batch *b = &j->batches[k];
        ecl_batch_clear(b);
        bool done = ecl_cancelled(); /* the writer reports the interruption */
        ecl_err err = ECL_ERR_INIT;
        int rc = 0;
        if (!done)
            rc = j->csv ? next_csv_batch(j, b, &done, &err) : next_pq_batch(j, b, &done, &err);
        uint64_t in = j->csv ? ecl_csv_bytes_read(j->csv) : j->next_rg;
        cli_progress_add(j->progress, in - j->last_in, b->nrows, 0);
        j->last_in = in;
        pthread_mutex_lock(&j->mu);
        j->rows += b->nrows;
        j->rejected_seen = j->rejected;
        j->ready[k] = true;
        j->last[k] = done || rc;
        if (rc) {
            j->prod_rc = rc;
            j->prod_err = err;
        }
        stop = j->stop;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        if (done || rc || stop)
            return NULL;
    }
}

/* The writing side: takes each published batch in turn. Once a row was rejected nothing will be
 * kept, so later batches are only checked, not written. */
static int pump(job *j, ecl_err *e)
{
    pthread_t th;
    if (pthread_create(&th, NULL, reader_main, j) != 0)
        return ecl_err_set(e, ECL_ENOMEM, "cannot start the reading thread");
    int rc = 0;
    for (int k = 0;; k ^= 1) {
        pthread_mutex_lock(&j->mu);
        while (!j->ready[k])
            pthread_cond_wait(&j->cv, &j->mu);
        bool last = j->last[k], rejected = j->rejected_seen > 0;
        pthread_mutex_unlock(&j->mu);
        const ecl_batch *b = &j->batches[k];
        if (b->nrows && !rejected && !ecl_cancelled()) {
            rc = sink_write(j, b, e);
            uint64_t out = j->o->dry_run ? 0 : j->pw ? ecl_pq_writer_bytes(j->pw) : j->out.written;
            if (out > j->last_out) {
                cli_progress_add(j->progress, 0, 0, out - j->last_out);
                j->last_out = out;
            }
        }
        pthread_mutex_lock(&j->mu);
        j->ready[k] = false;
        if (rc)
            j->stop = true;
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
        if (last || rc)
            break;
    }
    pthread_join(th, NULL);
    if (!rc && j->prod_rc)
        rc = ecl_err_set(e, (ecl_code)j->prod_err.code, "%s", j->prod_err.msg);
    return rc;
}

static int convert(job *j, ecl_err *e)
{
    const opts *o = j->o;
    int rc = 0;
    if (o->schema) {
        if ((rc = ecl_contract_load_file(&j->contract, o->schema, e)))
            return rc;
        j->have_contract = true;
        j->in_dialect = j->out_dialect = j->contract.csv;
        j->schema = &j->contract.schema;
    } else {
        ecl_csv_dialect_default(&j->out_dialect);
        j->out_dialect.quote_empty = true; /* keep empty strings apart from nulls, as contracts do */
        j->in_dialect = j->out_dialect;
    }
    struct stat st;
    if (stat(o->input, &st) != 0)
        return ecl_err_errno(e, errno, "cannot read '%s'", o->input);
    j->in_bytes = (uint64_t)st.st_size;
    if (o->from == FMT_CSV) {
        rc = open_csv_source(j, e);
    } else {
        rc = ecl_pq_reader_open(&j->pq, o->input, e);
        if (!rc && j->have_contract)
            rc = check_pq_schema(j, ecl_pq_reader_schema(j->pq), e);
        if (!rc)
            j->schema = ecl_pq_reader_schema(j->pq);
    }
    if (rc)
        return rc;
    if (ecl_batch_init(&j->batches[0], j->schema))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    if (ecl_batch_init(&j->batches[1], j->schema)) {
        ecl_batch_release(&j->batches[0]);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    j->batch_init = true;
    if ((rc = open_sink(j, e)))
        return rc;
    /* small inputs finish before a progress line would help */
    if (j->in_bytes >= PROGRESS_MIN_BYTES)
        j->progress = cli_progress_start("convert", o->from == FMT_CSV ? j->in_bytes : ecl_pq_reader_num_row_groups(j->pq),
                                     o->from == FMT_CSV ? "bytes" : "row groups");
    rc = pump(j, e);
    cli_progress_finish(j->progress);
    j->progress = NULL;
    if (!rc && ecl_cancelled()) { /* a signal during the last read must not let the output through */
        rc = ecl_err_set(e, ECL_EINTR, "interrupted%s", nothing_written(j));
    }
    if (!rc && j->rejected)
        rc = ecl_err_set(e, ECL_EINVAL, "%llu row%s rejected%s", (unsigned long long)j->rejected,
                         j->rejected == 1 ? "" : "s", nothing_written(j));
    return rc ? rc : sink_commit(j, e);
}

static void job_release(job *j)
{
    ecl_pq_writer_free(j->pw);
    if (j->batch_init) {
        ecl_batch_release(&j->batches[0]);
        ecl_batch_release(&j->batches[1]);
    }
    ecl_csv_free(j->csv);
    if (j->pq)
        ecl_pq_reader_free(j->pq);
    free(j->map);
    free(j->tmp);
    if (j->have_contract)
        ecl_contract_release(&j->contract);
    pthread_cond_destroy(&j->cv);
    pthread_mutex_destroy(&j->mu);
}

static void summary(const job *j, double secs)
{
    const opts *o = j->o;
    uint64_t out_bytes = o->dry_run ? 0 : j->out.written;
    double rate = secs > 0 ? (double)j->rows / secs : 0;
    if (o->json) {
        printf("{\"input\":\"%s\",\"output\":%s%s%s,\"from\":\"%s\",\"to\":\"%s\",\"rows\":%llu,\"input_bytes\":%llu,"
               "\"output_bytes\":%llu,\"compression\":\"%s\",\"seconds\":%.3f,\"rows_per_second\":%.0f,"
               "\"dry_run\":%s}\n",
               o->input, o->output ? "\"" : "", o->output ? o->output : "null", o->output ? "\"" : "",
               o->from == FMT_CSV ? "csv" : "parquet", o->to == FMT_CSV ? "csv" : "parquet",
               (unsigned long long)j->rows, (unsigned long long)j->in_bytes, (unsigned long long)out_bytes,
               o->to == FMT_PARQUET ? ecl_codec_name(o->codec) : "none", secs, rate, o->dry_run ? "true" : "false");
        return;
    }
    char inb[32], outb[32], dur[32], rps[32];
    cli_fmt_bytes((double)j->in_bytes, inb);
    cli_fmt_bytes((double)out_bytes, outb);
    cli_fmt_duration(secs, dur);
    cli_fmt_count(rate, rps);
    if (o->dry_run)
        cli_info("checked %llu rows (%s) of '%s' against the contract: all fit; nothing written; %s, %s rows/s",
                 (unsigned long long)j->rows, inb, o->input, dur, rps);
    else
        cli_info("converted %llu rows: '%s' (%s) -> '%s' (%s%s%s); %s, %s rows/s", (unsigned long long)j->rows,
                 o->input, inb, o->output, outb, o->to == FMT_PARQUET ? ", " : "",
                 o->to == FMT_PARQUET ? ecl_codec_name(o->codec) : "", dur, rps);
}

static int run(int argc, char **argv)
{
    opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc < 0 ? EXIT_OK : rc;
    job j;
    memset(&j, 0, sizeof j);
    j.o = &o;
    pthread_mutex_init(&j.mu, NULL);
    pthread_cond_init(&j.cv, NULL);
    ecl_err e = ECL_ERR_INIT;
    double t0 = cli_now();
    rc = convert(&j, &e);
    if (rc) {
        sink_abort(&j);
        int code = cli_fail(&e);
        if (o.output && !o.dry_run && !j.rejected && e.code != ECL_EINTR)
            cli_error("nothing was written to '%s'", o.output);
        job_release(&j);
        return code;
    }
    summary(&j, cli_now() - t0);
    job_release(&j);
    return EXIT_OK;
}

const cli_cmd cmd_convert = {
    "convert",
    "convert CSV to Parquet (and back) under a schema contract, rejecting values that do not fit",
    help,
    run,
};
