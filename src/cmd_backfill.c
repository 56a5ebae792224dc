/* ecomlake backfill - hydrate a lake with a date range of partitions, chunked, resumable and audited.
 *
 * Generates straight to Parquet (no CSV detour): one generator steps the world day by day, encoding
 * threads publish every pending (table, day) partition atomically, and commit threads make groups of
 * them durable and record them in the ledger.
 * A re-run of the same command skips partitions already committed with the same batch, config, seed
 * and messiness, and redoes everything else. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/cancel.h"
#include "../lib/dataset.h"
#include "../lib/hash.h"
#include "../lib/io.h"
#include "../lib/ledger.h"
#include "../lib/log.h"
#include "../lib/publish.h"
#include "../lib/sink.h"
#include "commands.h"
#include "rawzone.h"

extern const cli_cmd cmd_backfill;

enum { MAX_TABLES = 32, MAX_FAILED_LISTED = 50 };


typedef struct bf_cfg {
    const char *dataset, *config, *messiness, *dest, *state, *staging, *batch_id;
    uint64_t seed;
    bool seed_set;
    int32_t start, end;
    bool have_start, have_end;
    long chunk_days, jobs, max_days, target_mb;
    const char *compression;
    bool dry_run, allow_future, json, keep_staging;
    const char *tables[MAX_TABLES];
    int ntables;
    rz_hooks hooks;
} bf_cfg;

typedef struct chunk_tab {
    int pending;
    bool started, failed, finished;
    uint64_t rows, bytes, parts;
    char err[512];
} chunk_tab;

typedef struct bf_run {
    bf_cfg *cfg;
    ecl_model *model;
    size_t ntab;                 /* selected tables */
    size_t tab_model[MAX_TABLES]; /* model index */
    size_t tab_pub[MAX_TABLES];   /* publisher index */
    size_t ndaily;
    size_t daily[MAX_TABLES];    /* indexes into tab_* of the daily tables */
    size_t nstatic;
    size_t statics[MAX_TABLES];
    int ndays, nchunks;
    uint8_t *done; /* [day * ndaily + k]: committed before this run */
    chunk_tab *ct; /* [chunk * ndaily + k]; static tables use the chunk range of the whole run */
    ecl_publisher *pub;
    ecl_ledger *ledger;
    ecl_sink *sink;   /* the destination (file sink for local lakes) */
    bool remote;
    char root[4096];  /* where partitions are built: the lake, or the staging root */
    char dest_key[4096];
    char state[4096];
    char backfill_id[40], run_id[80], batch_id[128];
    int64_t ingestion_ts;
    pthread_mutex_t mu;
    uint64_t rows, bytes, written, skipped, failed, hook_failures;
    char failed_list[MAX_FAILED_LISTED][160];
    int nfailed_list;
    ecl_err err;
    int stop;
    struct io_pool *io; /* commits staged partitions off the encoding threads (NULL = inline) */
    cli_progress *prog;
} bf_run;

static int chunk_of(const bf_run *r, int day) { return day / (int)r->cfg->chunk_days; }

static void chunk_range(const bf_run *r, int c, char s[11], char e[11])
{
    int32_t a = r->cfg->start + c * (int32_t)r->cfg->chunk_days;
    int32_t b = a + (int32_t)r->cfg->chunk_days - 1;
    if (b > r->cfg->end)
        b = r->cfg->end;
    ecl_date_format(a, s);
    ecl_date_format(b, e);
}

/* ---- options ---- */

enum {
    OPT_START = 1000, OPT_END, OPT_DATASET, OPT_CONFIG, OPT_SEED, OPT_MESS, OPT_CHUNK, OPT_DEST,
    OPT_STATE, OPT_JOBS, OPT_DRY, OPT_MAXDAYS, OPT_FUTURE, OPT_TABLES, OPT_HOOK, OPT_HOOKMODE, OPT_JSON,
    OPT_BATCH, OPT_TARGET, OPT_STAGING, OPT_KEEP, OPT_COMPRESSION,
};

static const struct option longopts[] = {
    {"start-date", required_argument, NULL, OPT_START},
    {"end-date", required_argument, NULL, OPT_END},
    {"dataset", required_argument, NULL, OPT_DATASET},
    {"config", required_argument, NULL, OPT_CONFIG},
    {"seed", required_argument, NULL, OPT_SEED},
    {"messiness-level", required_argument, NULL, OPT_MESS},
    {"chunk-days", required_argument, NULL, OPT_CHUNK},
    {"dest", required_argument, NULL, OPT_DEST},
    {"state", required_argument, NULL, OPT_STATE},
    {"jobs", required_argument, NULL, OPT_JOBS},
    {"dry-run", no_argument, NULL, OPT_DRY},
    {"max-days", required_argument, NULL, OPT_MAXDAYS},
    {"allow-future", no_argument, NULL, OPT_FUTURE},
    {"tables", required_argument, NULL, OPT_TABLES},
    {"table", required_argument, NULL, OPT_TABLES},
    {"post-export-hook", required_argument, NULL, OPT_HOOK},
    {"hook-failure", required_argument, NULL, OPT_HOOKMODE},
    {"json", no_argument, NULL, OPT_JSON},
    {"batch-id", required_argument, NULL, OPT_BATCH},
    {"target-size-mb", required_argument, NULL, OPT_TARGET},
    {"staging-dir", required_argument, NULL, OPT_STAGING},
    {"keep-staging", no_argument, NULL, OPT_KEEP},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int add_tables(bf_cfg *c, char *list)
{
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!*t)
            continue;
        if (c->ntables == MAX_TABLES)
            return cli_usage_error(&cmd_backfill, "too many tables (at most %d)", MAX_TABLES), -1;
        c->tables[c->ntables++] = t;
    }
    return 0;
}

/* Date parsing with the managed-backfill wording. */
static int parse_day(const char *flag, const char *v, int32_t *out)
{
    if (ecl_date_parse(v, strlen(v), out)) {
        cli_usage_error(&cmd_backfill, "invalid date format for %s: '%s' (expected YYYY-MM-DD)", flag, v);
        return -1;
    }
    return 0;
}

static int parse_args(bf_cfg *c, int argc, char **argv)
{
    int opt;
    long v;
    c->dataset = "ecom";
    c->dest = "./lake";
    c->chunk_days = 7;
    c->jobs = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    if (c->jobs > 16)
        c->jobs = 16;
    c->target_mb = 16;
    const char *env;
    if ((env = cli_env("DEST")))
        c->dest = env;
    if ((env = cli_env("STATE")))
        c->state = env;
    while ((opt = cli_getopt(&cmd_backfill, argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'h': return 1;
        case '?': return -1;
        case OPT_START:
            if (parse_day("--start-date", optarg, &c->start))
                return -1;
            c->have_start = true;
            break;
        case OPT_END:
            if (parse_day("--end-date", optarg, &c->end))
                return -1;
            c->have_end = true;
            break;
        case OPT_DATASET: c->dataset = optarg; break;
        case OPT_CONFIG: c->config = optarg; break;
        case OPT_SEED:
            if (rz_parse_seed(&cmd_backfill, optarg, &c->seed))
                return -1;
            c->seed_set = true;
            break;
        case OPT_MESS:
            if (rz_parse_messiness(&cmd_backfill, optarg))
                return -1;
            c->messiness = optarg;
            break;
        case OPT_CHUNK: {
            char *end;
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end)
                return cli_usage_error(&cmd_backfill, "--chunk-days: '%s' is not a whole number", optarg), -1;
            if (v < 1)
                return cli_usage_error(&cmd_backfill, "--chunk-days must be at least 1 (got %ld)", v), -1;
            c->chunk_days = v > 100000 ? 100000 : v;
            break;
        }
        case OPT_DEST: c->dest = optarg; break;
        case OPT_STATE: c->state = optarg; break;
        case OPT_JOBS:
            if (cli_parse_long(&cmd_backfill, "--jobs", optarg, 1, 256, &c->jobs))
                return -1;
            break;
        case OPT_DRY: c->dry_run = true; break;
        case OPT_MAXDAYS:
            if (cli_parse_long(&cmd_backfill, "--max-days", optarg, 1, 1000000, &c->max_days))
                return -1;
            break;
        case OPT_FUTURE: c->allow_future = true; break;
        case OPT_TABLES:
            if (add_tables(c, optarg))
                return -1;
            break;
        case OPT_HOOK:
            if (rz_hooks_add(&c->hooks, &cmd_backfill, optarg))
                return -1;
            break;
        case OPT_HOOKMODE:
            if (rz_hooks_mode(&c->hooks, &cmd_backfill, optarg))
                return -1;
            break;
        case OPT_JSON: c->json = true; break;
        case OPT_BATCH:
            if (rz_parse_batch_id(&cmd_backfill, optarg))
                return -1;
            c->batch_id = optarg;
            break;
        case OPT_TARGET:
            if (cli_parse_long(&cmd_backfill, "--target-size-mb", optarg, 1, 4096, &c->target_mb))
                return -1;
            break;
        case OPT_STAGING: c->staging = optarg; break;
        case OPT_KEEP: c->keep_staging = true; break;
        case OPT_COMPRESSION: {
            ecl_codec codec;
            if (ecl_codec_parse(optarg, &codec))
                return cli_usage_error(&cmd_backfill, "--compression: '%s' is not one of snappy, zstd, "
                                                      "gzip, none", optarg), -1;
            c->compression = optarg;
            break;
        }
        default: return -1;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_backfill, "unexpected argument '%s'", argv[optind]), -1;
    return 0;
}

/* The managed-backfill validation rules, in the original's order: order, future, range. */
static int validate(bf_cfg *c)
{
    if (!c->have_start)
        return cli_usage_error(&cmd_backfill, "--start-date is required"), -1;
    if (!c->have_end)
        return cli_usage_error(&cmd_backfill, "--end-date is required"), -1;
    char s[11], e[11], t[11];
    ecl_date_format(c->start, s);
    ecl_date_format(c->end, e);
    if (c->start > c->end)
        return cli_usage_error(&cmd_backfill, "start date (%s) must not be after end date (%s)", s, e), -1;
    int32_t today = (int32_t)(time(NULL) / 86400);
    ecl_date_format(today, t);
    if (c->end > today && !c->allow_future)
        return cli_usage_error(&cmd_backfill,
                               "end date (%s) cannot be in the future (today is %s UTC); pass "
                               "--allow-future to generate it anyway",
                               e, t),
               -1;
    long days = (long)(c->end - c->start) + 1;
    if (c->max_days && days > c->max_days)
        return cli_usage_error(&cmd_backfill,
                               "date range (%ld days) exceeds maximum (%ld days); split into smaller "
                               "batches or raise --max-days",
                               days, c->max_days),
               -1;
    return 0;
}

/* Selects tables (all by default); unknown names are a usage error listing the known ones. */
static int select_tables(bf_run *r)
{
    size_t nt = ecl_model_ntables(r->model);
    bool want[MAX_TABLES] = {0};
    if (nt > MAX_TABLES)
        nt = MAX_TABLES;
    if (r->cfg->ntables == 0)
        for (size_t i = 0; i < nt; i++)
            want[i] = true;
    for (int k = 0; k < r->cfg->ntables; k++) {
        int i = ecl_model_table_index(r->model, r->cfg->tables[k]);
        if (i < 0 || (size_t)i >= nt) {
            char known[1024] = "";
            for (size_t j = 0; j < nt; j++) {
                size_t l = strlen(known);
                snprintf(known + l, sizeof known - l, "%s%s", j ? ", " : "", ecl_model_table_at(r->model, j)->name);
            }
            return cli_usage_error(&cmd_backfill, "unknown table '%s' for dataset '%s' (known: %s)",
                                   r->cfg->tables[k], r->cfg->dataset, known),
                   -1;
        }
        want[i] = true;
    }
    for (size_t i = 0; i < nt; i++) {
        if (!want[i])
            continue;
        const ecl_model_table *t = ecl_model_table_at(r->model, i);
        r->tab_model[r->ntab] = i;
        if (t->kind == ECL_TABLE_STATIC)
            r->statics[r->nstatic++] = r->ntab;
        else
            r->daily[r->ndaily++] = r->ntab;
        r->ntab++;
    }
    return 0;
}

/* ---- ledger helpers ---- */

static void ledger_warn(const char *what, const ecl_err *e)
{
    ecl_log(ECL_LOG_WARN, "ledger", "%s: %s", what, e->msg);
}

static void chunk_rec(const bf_run *r, int c, size_t k, ecl_chunk_rec *out, char s[11], char e[11])
{
    const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
    chunk_range(r, c, s, e);
    const chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
    *out = (ecl_chunk_rec){.backfill_id = r->backfill_id, .run_id = r->run_id, .chunk_index = c + 1,
                           .table = t->name, .start_date = s, .end_date = e, .rows = ct->rows,
                           .bytes = ct->bytes, .partitions = ct->parts,
                           .triggered_by = rz_triggered_by()};
}

/* Called with r->mu held. */
static void chunk_touch(bf_run *r, int c, size_t k)
{
    chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
    if (ct->started || !r->ledger)
        return;
    ct->started = true;
    ecl_chunk_rec rec;
    char s[11], e[11];
    chunk_rec(r, c, k, &rec, s, e);
    ecl_err err = ECL_ERR_INIT;
    if (ecl_ledger_chunk_start(r->ledger, &rec, &err))
        ledger_warn("cannot record chunk start", &err);
}

/* Called with r->mu held. */
static void chunk_close(bf_run *r, int c, size_t k, const char *status, const char *msg)
{
    chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
    if (ct->finished || !r->ledger)
        return;
    ct->finished = true;
    ecl_chunk_rec rec;
    char s[11], e[11];
    chunk_rec(r, c, k, &rec, s, e);
    rec.status = status;
    rec.error = msg;
    ecl_err err = ECL_ERR_INIT;
    if (ecl_ledger_chunk_finish(r->ledger, &rec, &err))
        ledger_warn("cannot record chunk end", &err);
}

static void note_failure(bf_run *r, const char *dir_key, const ecl_err *e)
{
    pthread_mutex_lock(&r->mu);
    r->failed++;
    if (r->nfailed_list < MAX_FAILED_LISTED)
        snprintf(r->failed_list[r->nfailed_list++], sizeof r->failed_list[0], "%s", dir_key);
    if (r->err.code == ECL_OK)
        r->err = *e;
    r->stop = 1;
    pthread_mutex_unlock(&r->mu);
}

/* ---- publishing one partition ---- */

static void part_ledger(bf_run *r, const char *table, const char *partition, const char *state,
                        const ecl_pub_result *res, const char *error)
{
    if (!r->ledger)
        return;
    ecl_part_rec p = {.dest = r->dest_key, .table = table, .partition = partition, .state = state,
                      .run_id = r->run_id, .batch_id = r->batch_id, .error = error};
    if (res) {
        p.rows = res->rows;
        p.bytes = res->bytes;
        p.files = (int64_t)res->files;
        p.manifest_sha256 = res->manifest_sha256;
    }
    ecl_err e = ECL_ERR_INIT;
    if (ecl_ledger_part_set(r->ledger, &p, &e))
        ledger_warn("cannot record partition state", &e);
}

/* After a local build: upload to a remote destination and drop the staging copy. */
static int commit_remote(bf_run *r, const ecl_pub_result *res, ecl_err *e)
{
    if (!r->remote)
        return 0;
    uint64_t sent = 0;
    int rc = ecl_publish_upload(r->sink, r->root, res, &sent, e);
    if (!rc) {
        bool ok = false;
        ecl_part_expect x = {.batch_id = r->batch_id};
        rc = ecl_partition_committed(r->sink, res->dir_key, &x, &ok, NULL, NULL, e);
        if (!rc && !ok)
            rc = ecl_err_set(e, ECL_EMISMATCH, "'%s' does not read back complete after upload", res->dir_key);
    }
    return rc;
}

static void drop_staging(bf_run *r, const ecl_pub_result *res)
{
    if (!r->remote || r->cfg->keep_staging)
        return;
    char dir[8200];
    snprintf(dir, sizeof dir, "%s/%s", r->root, res->dir_key);
    ecl_err ignore = ECL_ERR_INIT;
    /* The staging partition only holds files we wrote: remove them and the directory. */
    ecl_manifest m;
    if (ecl_manifest_parse(&m, res->dir_key, res->manifest_json.data, res->manifest_json.len, &ignore) == 0) {
        char path[8400];
        for (size_t i = 0; i < m.nfiles; i++) {
            snprintf(path, sizeof path, "%s/%s", r->root, m.files[i].path);
            unlink(path);
        }
        ecl_manifest_release(&m);
    }
    char path[8400];
    snprintf(path, sizeof path, "%s/%s", dir, ECL_MANIFEST_NAME);
    unlink(path);
    snprintf(path, sizeof path, "%s/%s", dir, ECL_SUCCESS_NAME);
    unlink(path);
    rmdir(dir);
}

static void run_hooks(bf_run *r, const ecl_pub_result *res)
{
    if (!r->cfg->hooks.n)
        return;
    char dir[8200], manifest[8400], prefix[8400];
    snprintf(dir, sizeof dir, "%s/%s", r->root, res->dir_key);
    snprintf(manifest, sizeof manifest, "%s/%s", dir, ECL_MANIFEST_NAME);
    snprintf(prefix, sizeof prefix, "%s/%s/", r->cfg->dest, res->dir_key);
    ecl_hook_ctx hc = {.dest = r->cfg->dest, .table = res->table, .partition = res->partition,
                       .partition_dir = dir, .manifest_path = manifest, .object_prefix = prefix,
                       .batch_id = r->batch_id, .rows = res->rows, .manifest_json = &res->manifest_json};
    int failed = rz_hooks_run(&r->cfg->hooks, &hc, r->ledger, r->dest_key);
    if (failed) {
        pthread_mutex_lock(&r->mu);
        r->hook_failures += (uint64_t)failed;
        pthread_mutex_unlock(&r->mu);
    }
}

static void day_names(const bf_run *r, size_t k, int day, char value[11], char partition[128],
                      char dir_key[256])
{
    const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
    ecl_date_format(r->cfg->start + day, value);
    snprintf(partition, 128, "%s=%s", t->partition_key, value);
    snprintf(dir_key, 256, "%s/%s", t->name, partition);
}

static void day_failed(bf_run *r, size_t k, int day, const ecl_err *e)
{
    const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
    char value[11], partition[128], dir_key[256];
    day_names(r, k, day, value, partition, dir_key);
    int c = chunk_of(r, day);
    part_ledger(r, t->name, partition, "failed", NULL, e->msg);
    note_failure(r, dir_key, e);
    pthread_mutex_lock(&r->mu);
    chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
    ct->failed = true;
    snprintf(ct->err, sizeof ct->err, "%s", e->msg);
    chunk_close(r, c, k, "failed", e->msg);
    pthread_mutex_unlock(&r->mu);
}

/* Makes a staged daily partition durable and visible, then does the bookkeeping. Returns nonzero
 * when the run must stop. */
static int day_committed(bf_run *r, size_t k, int day, ecl_pub_result *res, int rc, ecl_err *e)
{
    const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
    int c = chunk_of(r, day);
    if (!rc) {
        rc = commit_remote(r, res, e);
        if (rc)
            ecl_pub_result_release(res);
    }
    if (rc) {
        day_failed(r, k, day, e);
        return rc;
    }
    part_ledger(r, t->name, res->partition, "committed", res, NULL);
    run_hooks(r, res);
    drop_staging(r, res);
    pthread_mutex_lock(&r->mu);
    chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
    ct->pending--;
    ct->rows += res->rows;
    ct->bytes += res->bytes;
    ct->parts++;
    r->rows += res->rows;
    r->bytes += res->bytes;
    r->written++;
    if (ct->pending == 0 && !ct->failed)
        chunk_close(r, c, k, "completed", NULL);
    pthread_mutex_unlock(&r->mu);
    cli_progress_add(r->prog, 1, res->rows, res->bytes);
    ecl_pub_result_release(res);
    return 0;
}

static int finish_day(bf_run *r, size_t k, int day, ecl_pub_staged *staged)
{
    ecl_pub_result res;
    ecl_err e = ECL_ERR_INIT;
    int rc = ecl_publish_commit(staged, &res, &e);
    return day_committed(r, k, day, &res, rc, &e);
}

/* ---- the commit pool: fsync, rename and ledger updates wait for the disk on their own threads,
 * so the encoding threads never sit idle in fsync ---- */

enum { IO_QUEUE_MAX = 64, IO_THREADS_MAX = 8, IO_GROUP = 32, IO_GROUP_WAIT_MS = 200 };

typedef struct io_job {
    struct io_job *next;
    ecl_pub_staged *staged;
    size_t k;
    int day;
} io_job;

/* Commits the jobs a thread took from the queue as one group (see ecl_publish_commit_group): while
 * one group waits for the disk, the next one gathers, so the number of flushes follows the disk's
 * pace instead of the number of partitions. */
static void finish_group(bf_run *r, io_job **jobs, size_t n)
{
    ecl_pub_staged **v = calloc(n, sizeof *v);
    ecl_pub_result *res = calloc(n, sizeof *res);
    int *rcs = calloc(n, sizeof *rcs);
    ecl_err *errs = calloc(n, sizeof *errs);
    if (!v || !res || !rcs || !errs) {
        for (size_t i = 0; i < n; i++)
            finish_day(r, jobs[i]->k, jobs[i]->day, jobs[i]->staged);
    } else {
        for (size_t i = 0; i < n; i++) {
            v[i] = jobs[i]->staged;
            errs[i] = (ecl_err)ECL_ERR_INIT;
        }
        ecl_publish_commit_group(v, n, res, rcs, errs);
        for (size_t i = 0; i < n; i++)
            day_committed(r, jobs[i]->k, jobs[i]->day, &res[i], rcs[i], &errs[i]);
    }
    free(v);
    free(res);
    free(rcs);
    free(errs);
}

typedef struct io_pool {
    bf_run *r;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    io_job *head, *tail;
    size_t n;
    bool closing;
    pthread_t th[IO_THREADS_MAX];
    int nth;
} io_pool;

static void *io_main(void *arg)
{
    io_pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->head && !p->closing)
            pthread_cond_wait(&p->more, &p->mu);
        if (!p->head)
            break;
        /* Local partitions wait a moment for company: a group of IO_GROUP costs two flushes of the
         * file system, the same as a single one. Uploads go one partition per thread, in parallel. */
        size_t want = p->r->remote ? 1 : IO_GROUP;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += IO_GROUP_WAIT_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (p->n < want && !p->closing && !__atomic_load_n(&p->r->stop, __ATOMIC_RELAXED))
            if (pthread_cond_timedwait(&p->more, &p->mu, &until) == ETIMEDOUT)
                break;
        if (!p->head)
            continue;
        io_job *jobs[IO_QUEUE_MAX];
        size_t n = 0;
        while (p->head && n < want) {
            jobs[n++] = p->head;
            p->head = p->head->next;
        }
        if (!p->head)
            p->tail = NULL;
        p->n -= n;
        pthread_cond_broadcast(&p->room);
        pthread_mutex_unlock(&p->mu);
        finish_group(p->r, jobs, n);
        for (size_t i = 0; i < n; i++)
            free(jobs[i]);
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Starts the pool; on failure the run commits inline. */
static void io_start(bf_run *r, int nthreads)
{
    io_pool *p = calloc(1, sizeof *p);
    if (!p)
        return;
    p->r = r;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->more, NULL);
    pthread_cond_init(&p->room, NULL);
    if (nthreads > IO_THREADS_MAX)
        nthreads = IO_THREADS_MAX;
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&p->th[p->nth], NULL, io_main, p) == 0)
            p->nth++;
    if (!p->nth) {
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->more);
        pthread_cond_destroy(&p->room);
        free(p);
        return;
    }
    r->io = p;
}

/* Hands a staged partition to the pool (waits while the queue is full); commits inline without one. */
static int io_submit(bf_run *r, size_t k, int day, ecl_pub_staged *staged)
{
    io_pool *p = r->io;
    io_job *j = p ? malloc(sizeof *j) : NULL;
    if (!j)
        return finish_day(r, k, day, staged);
    *j = (io_job){NULL, staged, k, day};
    pthread_mutex_lock(&p->mu);
    while (p->n >= IO_QUEUE_MAX)
        pthread_cond_wait(&p->room, &p->mu);
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->n++;
    pthread_cond_signal(&p->more);
    pthread_mutex_unlock(&p->mu);
    return 0;
}

/* Commits everything queued, then stops the threads. */
static void io_stop(bf_run *r)
{
    io_pool *p = r->io;
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->closing = true;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nth; i++)
        pthread_join(p->th[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->more);
    pthread_cond_destroy(&p->room);
    free(p);
    r->io = NULL;
}

/* Encodes one daily partition into its staging directory and queues its commit. Returns nonzero
 * when the run must stop. */
static int publish_day(bf_run *r, size_t k, int day, const ecl_batch *rows, const uint32_t *dup_seq,
                       const ecl_mess_counts *mc)
{
    size_t ti = r->daily[k];
    const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[ti]);
    int c = chunk_of(r, day);
    char value[11], partition[128], dir_key[256];
    day_names(r, k, day, value, partition, dir_key);
    pthread_mutex_lock(&r->mu);
    chunk_touch(r, c, k);
    pthread_mutex_unlock(&r->mu);
    part_ledger(r, t->name, partition, "writing", NULL, NULL);

    ecl_pub_staged *staged = NULL;
    ecl_err e = ECL_ERR_INIT;
    int rc = ecl_publish_stage(r->pub, r->tab_pub[ti], value, rows, dup_seq, mc, &staged, &e);
    if (rc) {
        day_failed(r, k, day, &e);
        return rc;
    }
    return io_submit(r, k, day, staged);
}

/* ---- workers ---- */

typedef struct seg {
    bf_run *r;
    int d0, d1; /* day indexes [d0, d1) */
    uint64_t *counts; /* [chunk * ndaily + k] */
    ecl_batch *sample; /* first non-empty batch per daily table (owned by the caller) */
    bool *sampled;
    ecl_err err;
    int rc;
} seg;

static bool day_pending(const bf_run *r, int d)
{
    for (size_t k = 0; k < r->ndaily; k++)
        if (!r->done[(size_t)d * r->ndaily + k])
            return true;
    return false;
}

/* A dry-run worker: counts the rows of its contiguous run of days (contiguous, so the sample day
 * does not depend on thread timing) and keeps the first non-empty batch of each table. */
static void *count_worker(void *arg)
{
    seg *s = arg;
    bf_run *r = s->r;
    if (s->d0 >= s->d1)
        return NULL;
    size_t nt = ecl_model_ntables(r->model);
    ecl_batch *b = calloc(nt, sizeof *b);
    ecl_cursor *cur = NULL;
    ecl_mess_counts mc = {0};
    int rc = b ? 0 : ecl_err_set(&s->err, ECL_ENOMEM, "out of memory starting a worker");
    for (size_t i = 0; !rc && i < nt; i++)
        if (ecl_batch_init(&b[i], &ecl_model_table_at(r->model, i)->schema))
            rc = ecl_err_set(&s->err, ECL_ENOMEM, "out of memory starting a worker");
    if (!rc)
        rc = ecl_cursor_open(&cur, r->model, r->cfg->start + s->d0, &s->err);
    for (int d = s->d0; !rc && d < s->d1; d++) {
        if (ecl_cancelled()) {
            rc = ecl_err_set(&s->err, ECL_EINTR, "interrupted");
            break;
        }
        if (__atomic_load_n(&r->stop, __ATOMIC_RELAXED))
            break;
        for (size_t i = 0; i < nt; i++)
            if (ecl_model_table_at(r->model, i)->kind == ECL_TABLE_DAILY)
                ecl_batch_clear(&b[i]);
        ecl_mess_counts_clear(&mc);
        if ((rc = ecl_cursor_step(cur, true, b, &mc, &s->err)))
            break;
        int c = chunk_of(r, d);
        for (size_t k = 0; !rc && k < r->ndaily; k++) {
            size_t mi = r->tab_model[r->daily[k]];
            s->counts[(size_t)c * r->ndaily + k] += b[mi].nrows;
            if (s->sampled[k] || !b[mi].nrows)
                continue;
            s->sampled[k] = true;
            ecl_batch_release(&s->sample[k]);
            if (ecl_batch_init(&s->sample[k], &ecl_model_table_at(r->model, mi)->schema))
                rc = ecl_err_set(&s->err, ECL_ENOMEM, "out of memory sampling");
            for (size_t row = 0; !rc && row < b[mi].nrows; row++)
                if (ecl_batch_append_row(&s->sample[k], &b[mi], row))
                    rc = ecl_err_set(&s->err, ECL_ENOMEM, "out of memory sampling");
            if (!rc)
                rc = ecl_batch_seal(&s->sample[k], &s->err);
        }
    }
    ecl_cursor_free(cur);
    for (size_t i = 0; b && i < nt; i++)
        ecl_batch_release(&b[i]);
    free(b);
    ecl_mess_counts_release(&mc);
    s->rc = rc;
    if (rc && rc != ECL_EINTR) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_mutex_unlock(&r->mu);
    }
    return NULL;
}

/* ---- real runs: one generator, `jobs` encoders ----
 * The world is simulated once, day after day, by one generator; encoders take the (day, table)
 * partitions it fills. Before, each worker stepped its own copy of the world through every day,
 * emitting one day in `jobs` and re-simulating the rest. Days go through a few slots, so the
 * generator stays at most NSLOTS days ahead of the encoders. */

typedef struct day_slot {
    int day;      /* -1: free */
    size_t next;  /* next daily table index k to hand out */
    int busy;     /* partitions of this day being encoded */
    ecl_batch *b; /* [ntables of the model] */
    uint32_t **dup; /* [ntables]: duplicate numbers per row */
    size_t *dupcap;
    ecl_mess_counts mc;
} day_slot;

typedef struct gen_pipe {
    bf_run *r;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    day_slot *slots;
    int nslots;
    bool gen_done;
    int rc; /* first error of the generator or an encoder */
    ecl_err err;
} gen_pipe;

static void pipe_fail(gen_pipe *g, int rc, const ecl_err *e)
{
    pthread_mutex_lock(&g->mu);
    if (!g->rc || g->rc == ECL_EINTR) {
        g->rc = rc;
        if (e)
            g->err = *e;
    }
    if (rc != ECL_EINTR)
        g->r->stop = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static bool pipe_stopped(const gen_pipe *g)
{
    return __atomic_load_n(&g->r->stop, __ATOMIC_RELAXED) || ecl_cancelled();
}

/* The next pending table of slot s at or after s->next, or ndaily when none is left. */
static size_t slot_next_table(const bf_run *r, const day_slot *s)
{
    size_t k = s->next;
    while (k < r->ndaily && r->done[(size_t)s->day * r->ndaily + k])
        k++;
    return k;
}

static void *encoder_main(void *arg)
{
    gen_pipe *g = arg;
    bf_run *r = g->r;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        /* the oldest day with a partition left */
        day_slot *s = NULL;
        size_t k = 0;
        for (int i = 0; i < g->nslots; i++) {
            day_slot *c = &g->slots[i];
            if (c->day < 0 || (s && c->day > s->day))
                continue;
            size_t ck = slot_next_table(r, c);
            if (ck < r->ndaily) {
                s = c;
                k = ck;
            }
        }
        if (pipe_stopped(g) || (!s && g->gen_done))
            break;
        if (!s) {
            pthread_cond_wait(&g->cv, &g->mu);
            continue;
        }
        s->next = k + 1;
        s->busy++;
        pthread_mutex_unlock(&g->mu);
        size_t mi = r->tab_model[r->daily[k]];
        /* A failed partition is recorded in the run, which stops taking new ones. */
        publish_day(r, k, s->day, &s->b[mi], s->dup[mi], &s->mc);
        pthread_mutex_lock(&g->mu);
        if (--s->busy == 0 && slot_next_table(r, s) >= r->ndaily) {
            s->day = -1;
            pthread_cond_broadcast(&g->cv);
        }
    }
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* Steps the world through every day of the run, filling a free slot for each day with pending
 * partitions and merely simulating the others. */
static void generate(gen_pipe *g)
{
    bf_run *r = g->r;
    ecl_err e = ECL_ERR_INIT;
    ecl_cursor *cur = NULL;
    size_t nt = ecl_model_ntables(r->model);
    ecl_batch *scratch = calloc(nt, sizeof *scratch); /* for days only simulated */
    int rc = scratch ? 0 : ecl_err_set(&e, ECL_ENOMEM, "out of memory starting the generator");
    for (size_t i = 0; !rc && i < nt; i++)
        if (ecl_batch_init(&scratch[i], &ecl_model_table_at(r->model, i)->schema))
            rc = ecl_err_set(&e, ECL_ENOMEM, "out of memory starting the generator");
    if (!rc)
        rc = ecl_cursor_open(&cur, r->model, r->cfg->start, &e);
    for (int d = 0; !rc && d < r->ndays; d++) {
        if (pipe_stopped(g))
            break;
        if (!day_pending(r, d)) {
            rc = ecl_cursor_step(cur, false, scratch, NULL, &e);
            continue;
        }
        pthread_mutex_lock(&g->mu);
        day_slot *s = NULL;
        while (!s && !pipe_stopped(g)) {
            for (int i = 0; i < g->nslots && !s; i++)
                if (g->slots[i].day < 0)
                    s = &g->slots[i];
            if (!s)
                pthread_cond_wait(&g->cv, &g->mu);
        }
        pthread_mutex_unlock(&g->mu);
        if (!s)
            break;
        for (size_t i = 0; i < nt; i++)
            if (ecl_model_table_at(r->model, i)->kind == ECL_TABLE_DAILY)
                ecl_batch_clear(&s->b[i]);
        ecl_mess_counts_clear(&s->mc);
        if ((rc = ecl_cursor_step(cur, true, s->b, &s->mc, &e)))
            break;
        for (size_t k = 0; !rc && k < r->ndaily; k++) {
            size_t mi = r->tab_model[r->daily[k]];
            if (s->b[mi].nrows > s->dupcap[mi]) {
                uint32_t *nd = realloc(s->dup[mi], s->b[mi].nrows * sizeof *nd);
                if (!nd) {
                    rc = ecl_err_set(&e, ECL_ENOMEM, "out of memory");
                    break;
                }
                s->dup[mi] = nd;
                s->dupcap[mi] = s->b[mi].nrows;
            }
            for (size_t row = 0; row < s->b[mi].nrows; row++)
                s->dup[mi][row] = ecl_cursor_dup_seq(cur, mi, row);
        }
        if (rc)
            break;
        pthread_mutex_lock(&g->mu);
        s->next = 0;
        s->day = d;
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    if (!rc && ecl_cancelled())
        rc = ecl_err_set(&e, ECL_EINTR, "interrupted");
    ecl_cursor_free(cur);
    for (size_t i = 0; scratch && i < nt; i++)
        ecl_batch_release(&scratch[i]);
    free(scratch);
    if (rc)
        pipe_fail(g, rc, &e);
    pthread_mutex_lock(&g->mu);
    g->gen_done = true;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static void pipe_release(gen_pipe *g, size_t nt)
{
    for (int i = 0; g->slots && i < g->nslots; i++) {
        day_slot *s = &g->slots[i];
        for (size_t t = 0; t < nt; t++) {
            if (s->b)
                ecl_batch_release(&s->b[t]);
            if (s->dup)
                free(s->dup[t]);
        }
        free(s->b);
        free(s->dup);
        free(s->dupcap);
        ecl_mess_counts_release(&s->mc);
    }
    free(g->slots);
    pthread_mutex_destroy(&g->mu);
    pthread_cond_destroy(&g->cv);
}

static int run_pipeline(bf_run *r, ecl_err *e)
{
    int jobs = (int)r->cfg->jobs;
    size_t nt = ecl_model_ntables(r->model);
    gen_pipe g = {.r = r, .nslots = jobs + 2, .err = ECL_ERR_INIT};
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.slots = calloc((size_t)g.nslots, sizeof *g.slots);
    int rc = g.slots ? 0 : ECL_ENOMEM;
    for (int i = 0; !rc && i < g.nslots; i++) {
        day_slot *s = &g.slots[i];
        s->day = -1;
        s->b = calloc(nt, sizeof *s->b);
        s->dup = calloc(nt, sizeof *s->dup);
        s->dupcap = calloc(nt, sizeof *s->dupcap);
        if (!s->b || !s->dup || !s->dupcap)
            rc = ECL_ENOMEM;
        for (size_t t = 0; !rc && t < nt; t++)
            if (ecl_batch_init(&s->b[t], &ecl_model_table_at(r->model, t)->schema))
                rc = ECL_ENOMEM;
    }
    pthread_t *th = rc ? NULL : calloc((size_t)jobs, sizeof *th);
    if (rc || !th) {
        free(th);
        pipe_release(&g, nt);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory starting the workers");
    }
    io_start(r, jobs * 2 < 4 ? 4 : jobs * 2);
    int started = 0;
    for (int j = 0; j < jobs; j++)
        if (pthread_create(&th[started], NULL, encoder_main, &g) == 0)
            started++;
    if (!started) {
        g.rc = ecl_err_set(&g.err, ECL_ENOMEM, "cannot start an encoding thread");
    } else {
        generate(&g);
    }
    for (int j = 0; j < started; j++)
        pthread_join(th[j], NULL);
    io_stop(r);
    free(th);
    rc = g.rc;
    if (rc)
        *e = g.err;
    pipe_release(&g, nt);
    return rc;
}

/* Dry runs: `jobs` workers over contiguous, equal runs of days, each counting what it emits. */
static int run_counts(bf_run *r, uint64_t *counts, ecl_batch *samples, bool *sampled, ecl_err *e)
{
    int jobs = (int)r->cfg->jobs;
    if (jobs > r->ndays)
        jobs = r->ndays;
    seg *segs = calloc((size_t)jobs, sizeof *segs);
    pthread_t *th = calloc((size_t)jobs, sizeof *th);
    bool *started = calloc((size_t)jobs, sizeof *started);
    if (!segs || !th || !started) {
        free(segs), free(th), free(started);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory starting workers");
    }
    size_t ncounts = (size_t)r->nchunks * r->ndaily;
    int rc = 0;
    for (int j = 0; j < jobs; j++) {
        segs[j] = (seg){.r = r, .d0 = (int)((long)r->ndays * j / jobs), .d1 = (int)((long)r->ndays * (j + 1) / jobs)};
        segs[j].counts = calloc(ncounts ? ncounts : 1, sizeof *segs[j].counts);
        segs[j].sample = calloc(r->ndaily ? r->ndaily : 1, sizeof *segs[j].sample);
        segs[j].sampled = calloc(r->ndaily ? r->ndaily : 1, sizeof *segs[j].sampled);
        if (!segs[j].counts || !segs[j].sample || !segs[j].sampled)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory starting workers");
    }
    for (int j = 1; !rc && j < jobs; j++) {
        if (pthread_create(&th[j], NULL, count_worker, &segs[j]) == 0)
            started[j] = true;
        else
            count_worker(&segs[j]); /* no thread: do the work here */
    }
    if (!rc)
        count_worker(&segs[0]);
    for (int j = 0; j < jobs; j++)
        if (started[j])
            pthread_join(th[j], NULL);
    for (int j = 0; j < jobs; j++) {
        if (segs[j].rc && (!rc || rc == ECL_EINTR)) {
            rc = segs[j].rc;
            *e = segs[j].err;
        }
        for (size_t i = 0; segs[j].counts && i < ncounts; i++)
            counts[i] += segs[j].counts[i];
        for (size_t k = 0; segs[j].sampled && k < r->ndaily; k++) {
            if (segs[j].sampled[k] && !sampled[k]) {
                samples[k] = segs[j].sample[k];
                sampled[k] = true;
            } else if (segs[j].sampled[k]) {
                ecl_batch_release(&segs[j].sample[k]);
            }
        }
        free(segs[j].counts);
        free(segs[j].sample);
        free(segs[j].sampled);
    }
    free(segs), free(th), free(started);
    return rc;
}

/* ---- static tables ---- */

typedef struct static_ctx {
    bf_run *r;
    size_t ti;
    uint64_t rows, bytes, parts;
} static_ctx;

static bool static_skip(const char *dir_key, uint64_t rows, void *arg)
{
    (void)rows;
    static_ctx *sc = arg;
    bf_run *r = sc->r;
    ecl_part_expect x = {.batch_id = r->batch_id, .config_hash = ecl_model_config_hash(r->model),
                         .generator_version = ecl_model_version(r->model),
                         .messiness = ecl_model_messiness(r->model), .check_seed = true,
                         .seed = ecl_model_seed(r->model)};
    bool ok = false;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_partition_committed(r->sink, dir_key, &x, &ok, NULL, NULL, &e))
        return false;
    if (ok)
        r->skipped++;
    return ok;
}

static int static_done(const ecl_pub_result *res, void *arg, ecl_err *e)
{
    static_ctx *sc = arg;
    bf_run *r = sc->r;
    int rc = commit_remote(r, res, e);
    if (rc) {
        part_ledger(r, res->table, res->partition, "failed", NULL, e->msg);
        return rc;
    }
    part_ledger(r, res->table, res->partition, "committed", res, NULL);
    run_hooks(r, res);
    drop_staging(r, res);
    sc->rows += res->rows;
    sc->bytes += res->bytes;
    sc->parts++;
    r->rows += res->rows;
    r->bytes += res->bytes;
    r->written++;
    cli_progress_add(r->prog, 0, res->rows, res->bytes);
    return 0;
}

static int publish_statics(bf_run *r, ecl_err *e)
{
    for (size_t s = 0; s < r->nstatic; s++) {
        size_t ti = r->statics[s];
        size_t mi = r->tab_model[ti];
        const ecl_model_table *t = ecl_model_table_at(r->model, mi);
        ecl_batch b;
        if (ecl_batch_init(&b, &t->schema))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        int rc = ecl_model_emit_static(r->model, mi, &b, e);
        static_ctx sc = {r, ti, 0, 0, 0};
        char sd[11], ed[11];
        ecl_date_format(r->cfg->start, sd);
        ecl_date_format(r->cfg->end, ed);
        ecl_chunk_rec rec = {.backfill_id = r->backfill_id, .run_id = r->run_id, .chunk_index = 0,
                             .table = t->name, .start_date = sd, .end_date = ed,
                             .triggered_by = rz_triggered_by()};
        ecl_err le = ECL_ERR_INIT;
        if (!rc && r->ledger && ecl_ledger_chunk_start(r->ledger, &rec, &le))
            ledger_warn("cannot record chunk start", &le);
        if (!rc)
            rc = ecl_publish_static(r->pub, r->tab_pub[ti], &b, NULL, static_skip, static_done, &sc, e);
        rec.status = rc ? "failed" : "completed";
        rec.error = rc ? e->msg : NULL;
        rec.rows = sc.rows;
        rec.bytes = sc.bytes;
        rec.partitions = sc.parts;
        if (r->ledger && ecl_ledger_chunk_finish(r->ledger, &rec, &le))
            ledger_warn("cannot record chunk end", &le);
        ecl_batch_release(&b);
        if (rc) {
            char dk[200];
            snprintf(dk, sizeof dk, "%s/*", t->name);
            note_failure(r, dk, e);
            return rc;
        }
    }
    return 0;
}

/* ---- plan: what is already committed ---- */

/* A check that fails transiently (the store kept failing past its retries) ends the plan there:
 * *failed names the partition (rc ECL_ETRANSIENT) so the run can record it as failed and end partial. */
static int plan_resume(bf_run *r, char *failed, size_t cap, ecl_err *e)
{
    ecl_part_expect x = {.batch_id = r->batch_id, .config_hash = ecl_model_config_hash(r->model),
                         .generator_version = ecl_model_version(r->model),
                         .messiness = ecl_model_messiness(r->model), .check_seed = true,
                         .seed = ecl_model_seed(r->model), .check_hashes = true};
    for (int d = 0; d < r->ndays; d++) {
        char value[11];
        ecl_date_format(r->cfg->start + d, value);
        int c = chunk_of(r, d);
        for (size_t k = 0; k < r->ndaily; k++) {
            const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
            char dir_key[256];
            snprintf(dir_key, sizeof dir_key, "%s/%s=%s", t->name, t->partition_key, value);
            bool ok = false;
            uint64_t rows = 0, bytes = 0;
            int rc = ecl_partition_committed(r->sink, dir_key, &x, &ok, &rows, &bytes, e);
            if (rc == ECL_ETRANSIENT)
                snprintf(failed, cap, "%s", dir_key);
            if (rc)
                return rc;
            chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
            if (ok) {
                r->done[(size_t)d * r->ndaily + k] = 1;
                r->skipped++;
                ct->rows += rows;
                ct->bytes += bytes;
                ct->parts++;
            } else {
                ct->pending++;
            }
        }
    }
    /* Chunks complete before this run: make sure the audit log says so (e.g. after a lost ledger). */
    for (int c = 0; r->ledger && c < r->nchunks; c++)
        for (size_t k = 0; k < r->ndaily; k++) {
            chunk_tab *ct = &r->ct[(size_t)c * r->ndaily + k];
            if (ct->pending)
                continue;
            ecl_chunk_rec rec;
            char s[11], en[11];
            chunk_rec(r, c, k, &rec, s, en);
            rec.status = "completed";
            ecl_err le = ECL_ERR_INIT;
            bool found = false;
            int64_t have = 0;
            const char *p[] = {r->backfill_id, rec.table, s, en};
            ecl_ledger_lock(r->ledger);
            int q = ecl_db_query_int(ecl_ledger_db(r->ledger),
                                     "SELECT COUNT(*) FROM backfill_log WHERE backfill_id = ? AND table_name = ?"
                                     " AND start_date = ? AND end_date = ? AND status = 'completed'",
                                     4, p, &have, &found, &le);
            ecl_ledger_unlock(r->ledger);
            if (q || have)
                continue;
            if (ecl_ledger_chunk_start(r->ledger, &rec, &le) || ecl_ledger_chunk_finish(r->ledger, &rec, &le))
                ledger_warn("cannot record a completed chunk", &le);
            ct->finished = true;
        }
    return 0;
}

/* ---- output ---- */

static void print_summary(bf_run *r, double secs, const char *status)
{
    bf_cfg *c = r->cfg;
    char sd[11], ed[11];
    ecl_date_format(c->start, sd);
    ecl_date_format(c->end, ed);
    double rps = secs > 0 ? (double)r->rows / secs : 0, bps = secs > 0 ? (double)r->bytes / secs : 0;
    if (c->json) {
        printf("{\"command\":\"backfill\",\"status\":");
        rz_json_str(stdout, status);
        printf(",\"backfill_id\":");
        rz_json_str(stdout, r->backfill_id);
        printf(",\"run_id\":");
        rz_json_str(stdout, r->run_id);
        printf(",\"batch_id\":");
        rz_json_str(stdout, r->batch_id);
        printf(",\"dest\":");
        rz_json_str(stdout, c->dest);
        printf(",\"state\":");
        rz_json_str(stdout, r->state);
        printf(",\"start_date\":\"%s\",\"end_date\":\"%s\",\"days\":%d,\"chunks\":%d,\"chunk_days\":%ld,"
               "\"jobs\":%ld,\"tables\":[",
               sd, ed, r->ndays, r->nchunks, c->chunk_days, c->jobs);
        for (size_t i = 0; i < r->ntab; i++) {
            if (i)
                putchar(',');
            rz_json_str(stdout, ecl_model_table_at(r->model, r->tab_model[i])->name);
        }
        printf("],\"partitions_written\":%llu,\"partitions_skipped\":%llu,\"partitions_failed\":%llu,"
               "\"hook_failures\":%llu,\"rows\":%llu,\"bytes\":%llu,\"seconds\":%.3f,"
               "\"rows_per_second\":%.0f,\"bytes_per_second\":%.0f,\"failed_partitions\":[",
               (unsigned long long)r->written, (unsigned long long)r->skipped, (unsigned long long)r->failed,
               (unsigned long long)r->hook_failures, (unsigned long long)r->rows,
               (unsigned long long)r->bytes, secs, rps, bps);
        for (int i = 0; i < r->nfailed_list; i++) {
            if (i)
                putchar(',');
            rz_json_str(stdout, r->failed_list[i]);
        }
        printf("],\"error\":");
        if (r->err.code)
            rz_json_str(stdout, r->err.msg);
        else
            printf("null");
        printf("}\n");
        return;
    }
    if (g_cli.quiet && strcmp(status, "completed") == 0)
        return;
    char rows[32], bytes[32], dur[32], rrate[32], brate[32];
    cli_fmt_count((double)r->rows, rows);
    cli_fmt_bytes((double)r->bytes, bytes);
    cli_fmt_duration(secs, dur);
    cli_fmt_count(rps, rrate);
    cli_fmt_bytes(bps, brate);
    printf("backfill %s %s: %s..%s (%d days in %d chunks of %ld days) into %s\n", r->backfill_id, status,
           sd, ed, r->ndays, r->nchunks, c->chunk_days, c->dest);
    printf("  partitions: %llu written, %llu already committed, %llu failed; %s rows, %s in %s "
           "(%s rows/s, %s/s)\n",
           (unsigned long long)r->written, (unsigned long long)r->skipped, (unsigned long long)r->failed,
           rows, bytes, dur, rrate, brate);
    printf("  batch %s, seed %llu, messiness %s, state %s\n", r->batch_id,
           (unsigned long long)ecl_model_seed(r->model), ecl_model_messiness(r->model), r->state);
    if (r->hook_failures)
        printf("  post-export hooks failed %llu time(s)%s\n", (unsigned long long)r->hook_failures,
               c->hooks.warn_only ? " (--hook-failure=warn)" : "");
    for (int i = 0; i < r->nfailed_list; i++)
        printf("  failed: %s\n", r->failed_list[i]);
    if (r->failed || strcmp(status, "interrupted") == 0)
        printf("  re-run the same command to resume\n");
}

static void print_plan(bf_run *r, const uint64_t *counts, const double *bpr, uint64_t static_rows,
                       uint64_t static_bytes)
{
    bf_cfg *c = r->cfg;
    uint64_t total_rows = static_rows, total_bytes = static_bytes;
    if (c->json) {
        printf("{\"command\":\"backfill\",\"dry_run\":true,\"backfill_id\":");
        rz_json_str(stdout, r->backfill_id);
        printf(",\"dest\":");
        rz_json_str(stdout, c->dest);
        printf(",\"chunks\":[");
    } else {
        printf("dry run: backfill %s into %s, %d days in %d chunks (nothing is written)\n",
               r->backfill_id, c->dest, r->ndays, r->nchunks);
        printf("  %-5s %-10s %-10s %12s %12s  %s\n", "chunk", "start", "end", "rows", "est. bytes",
               "partitions");
    }
    for (int ch = 0; ch < r->nchunks; ch++) {
        char s[11], e[11];
        chunk_range(r, ch, s, e);
        uint64_t rows = 0;
        double bytes = 0;
        for (size_t k = 0; k < r->ndaily; k++) {
            uint64_t n = counts[(size_t)ch * r->ndaily + k];
            rows += n;
            bytes += (double)n * bpr[k];
        }
        int32_t a = c->start + ch * (int32_t)c->chunk_days;
        int32_t b = a + (int32_t)c->chunk_days - 1 > c->end ? c->end : a + (int32_t)c->chunk_days - 1;
        int parts = (int)(b - a + 1) * (int)r->ndaily;
        total_rows += rows;
        total_bytes += (uint64_t)bytes;
        if (c->json) {
            printf("%s{\"chunk\":%d,\"start_date\":\"%s\",\"end_date\":\"%s\",\"partitions\":%d,\"rows\":%llu,"
                   "\"estimated_bytes\":%.0f,\"tables\":{",
                   ch ? "," : "", ch + 1, s, e, parts, (unsigned long long)rows, bytes);
            for (size_t k = 0; k < r->ndaily; k++) {
                const ecl_model_table *t = ecl_model_table_at(r->model, r->tab_model[r->daily[k]]);
                uint64_t n = counts[(size_t)ch * r->ndaily + k];
                printf("%s\"%s\":{\"rows\":%llu,\"estimated_bytes\":%.0f}", k ? "," : "", t->name,
                       (unsigned long long)n, (double)n * bpr[k]);
            }
            printf("}}");
        } else {
            char rb[32];
            cli_fmt_bytes(bytes, rb);
            printf("  %-5d %-10s %-10s %12llu %12s  %d\n", ch + 1, s, e, (unsigned long long)rows, rb, parts);
        }
    }
    if (c->json) {
        printf("],\"static_rows\":%llu,\"static_estimated_bytes\":%llu,\"total_rows\":%llu,"
               "\"total_estimated_bytes\":%llu}\n",
               (unsigned long long)static_rows, (unsigned long long)static_bytes,
               (unsigned long long)total_rows, (unsigned long long)total_bytes);
    } else {
        char tb[32];
        cli_fmt_bytes((double)total_bytes, tb);
        if (r->nstatic)
            printf("  static tables: %llu rows\n", (unsigned long long)static_rows);
        printf("  total: %llu rows, about %s (bytes estimated from a measured sample day per table)\n",
               (unsigned long long)total_rows, tb);
        printf("This was a dry run. Run without --dry-run to write it.\n");
    }
}

static int dry_run(bf_run *r)
{
    size_t n = (size_t)r->nchunks * r->ndaily;
    uint64_t *counts = calloc(n ? n : 1, sizeof *counts);
    ecl_batch *samples = calloc(r->ndaily ? r->ndaily : 1, sizeof *samples);
    bool *sampled = calloc(r->ndaily ? r->ndaily : 1, sizeof *sampled);
    double *bpr = calloc(r->ndaily ? r->ndaily : 1, sizeof *bpr);
    ecl_err e = ECL_ERR_INIT;
    int rc = counts && samples && sampled && bpr ? 0 : ecl_err_set(&e, ECL_ENOMEM, "out of memory");
    if (!rc)
        rc = run_counts(r, counts, samples, sampled, &e);
    for (size_t k = 0; !rc && k < r->ndaily; k++) {
        if (!sampled[k])
            continue;
        uint64_t bytes = 0;
        rc = ecl_publish_measure(r->pub, r->tab_pub[r->daily[k]], &samples[k], &bytes, &e);
        bpr[k] = samples[k].nrows ? (double)bytes / (double)samples[k].nrows : 0;
    }
    uint64_t static_rows = 0, static_bytes = 0;
    for (size_t s = 0; !rc && s < r->nstatic; s++) {
        size_t mi = r->tab_model[r->statics[s]];
        ecl_batch b;
        if (ecl_batch_init(&b, &ecl_model_table_at(r->model, mi)->schema)) {
            rc = ecl_err_set(&e, ECL_ENOMEM, "out of memory");
            break;
        }
        rc = ecl_model_emit_static(r->model, mi, &b, &e);
        uint64_t bytes = 0;
        if (!rc)
            rc = ecl_publish_measure(r->pub, r->tab_pub[r->statics[s]], &b, &bytes, &e);
        static_rows += b.nrows;
        static_bytes += bytes;
        ecl_batch_release(&b);
    }
    if (!rc)
        print_plan(r, counts, bpr, static_rows, static_bytes);
    /* The audit log records simulated chunks only in an explicitly named state store: a dry run
     * must not create anything inside the destination. */
    for (int c = 0; !rc && r->ledger && c < r->nchunks; c++)
        for (size_t k = 0; k < r->ndaily; k++) {
            ecl_chunk_rec rec;
            char s[11], en[11];
            chunk_rec(r, c, k, &rec, s, en);
            rec.status = "simulated";
            rec.rows = counts[(size_t)c * r->ndaily + k];
            rec.bytes = (uint64_t)((double)rec.rows * bpr[k]);
            rec.partitions = 0;
            ecl_err le = ECL_ERR_INIT;
            if (ecl_ledger_chunk_start(r->ledger, &rec, &le))
                ledger_warn("cannot record a simulated chunk", &le);
        }
    for (size_t k = 0; samples && k < r->ndaily; k++)
        if (sampled[k])
            ecl_batch_release(&samples[k]);
    free(counts);
    free(samples);
    free(sampled);
    free(bpr);
    return rc ? cli_fail(&e) : EXIT_OK;
}

/* ---- setup ---- */

static void make_ids(bf_run *r)
{
    char sd[11], ed[11];
    ecl_date_format(r->cfg->start, sd);
    ecl_date_format(r->cfg->end, ed);
    ecl_buf b = ECL_BUF_INIT;
    ecl_buf_printf(&b, "%s|%s|%llu|%s|%s|%s|%s|", r->cfg->dataset, ecl_model_config_hash(r->model),
                   (unsigned long long)ecl_model_seed(r->model), ecl_model_messiness(r->model), sd, ed,
                   r->dest_key);
    for (size_t i = 0; i < r->ntab; i++)
        ecl_buf_printf(&b, "%s,", ecl_model_table_at(r->model, r->tab_model[i])->name);
    uint8_t d[32];
    char hex[65];
    ecl_sha256(b.data, b.len, d);
    ecl_hex(d, 32, hex);
    snprintf(r->backfill_id, sizeof r->backfill_id, "bf-%.12s", hex);
    ecl_buf_release(&b);
}

static int lock_dest(const char *dir, int *fd)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/.ecomlake.lock", dir);
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (*fd < 0)
        return errno;
    if (flock(*fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(*fd);
        *fd = -1;
        return err == EWOULDBLOCK ? EBUSY : err;
    }
    return 0;
}

static int run(int argc, char **argv)
{
    /* Every partition allocates and frees writer buffers of a few MB: keep freed memory in the heap
     * instead of returning it to the kernel and faulting it in again (a third of the CPU time). */
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TOP_PAD, 64 << 20);
    bf_cfg cfg = {0};
    int prc = parse_args(&cfg, argc, argv);
    if (prc)
        return prc > 0 ? EXIT_OK : EXIT_USAGE;
    if (validate(&cfg))
        return EXIT_USAGE;

    bf_run r = {0};
    r.cfg = &cfg;
    pthread_mutex_init(&r.mu, NULL);
    ecl_err e = ECL_ERR_INIT;
    int exit_code = EXIT_OK, lock_fd = -1;
    double t0 = cli_now();

    ecl_model_opts mo = {.dataset = cfg.dataset, .config_path = cfg.config, .seed = cfg.seed,
                         .seed_set = cfg.seed_set, .messiness = cfg.messiness};
    if (ecl_model_open(&r.model, &mo, &e)) {
        /* An unknown dataset, or a setting the dataset does not offer, is a usage error. */
        exit_code = e.code == ECL_EINVAL ? cli_usage_error(&cmd_backfill, "%s", e.msg) : cli_fail(&e);
        goto out;
    }
    if (select_tables(&r)) {
        exit_code = EXIT_USAGE;
        goto out;
    }
    if (cfg.start < ecl_model_epoch(r.model)) {
        char s[11], ep[11];
        ecl_date_format(cfg.start, s);
        ecl_date_format(ecl_model_epoch(r.model), ep);
        exit_code = cli_usage_error(&cmd_backfill, "start date (%s) is before the dataset's first day (%s)", s, ep);
        goto out;
    }
    r.ndays = (int)(cfg.end - cfg.start) + 1;
    r.nchunks = (int)((r.ndays + cfg.chunk_days - 1) / cfg.chunk_days);
    r.done = calloc((size_t)r.ndays * (r.ndaily ? r.ndaily : 1), 1);
    r.ct = calloc((size_t)r.nchunks * (r.ndaily ? r.ndaily : 1), sizeof *r.ct);
    if (!r.done || !r.ct) {
        exit_code = cli_fail(&(ecl_err){ECL_ENOMEM, "out of memory planning the backfill"});
        goto out;
    }

    /* Where things go. */
    r.remote = ecl_sink_is_remote(cfg.dest);
    const char *local = ecl_sink_local_dir(cfg.dest);
    if (!r.remote && !local) {
        ecl_sink *probe = NULL;
        ecl_sink_open(&probe, cfg.dest, NULL, &e); /* names the bad scheme */
        exit_code = EXIT_USAGE;
        cli_usage_error(&cmd_backfill, "%s", e.msg);
        goto out;
    }
    if (!cfg.dry_run && !r.remote && ecl_mkdirs(local, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    if (r.remote) {
        snprintf(r.dest_key, sizeof r.dest_key, "%s", cfg.dest);
    } else {
        char *real = realpath(local, NULL);
        snprintf(r.dest_key, sizeof r.dest_key, "%s", real ? real : local);
        free(real);
    }
    make_ids(&r);
    if (cfg.state)
        snprintf(r.state, sizeof r.state, "%s", cfg.state);
    else
        rz_default_state(cfg.dest, r.state, sizeof r.state);

    /* Lineage values: reuse the first run's on resume. */
    bool from_env = false;
    if (rz_source_time(&r.ingestion_ts, &from_env)) {
        exit_code = EXIT_USAGE;
        goto out;
    }
    bool use_ledger = !cfg.dry_run || cfg.state;
    if (use_ledger) {
        if (!ecl_db_url_is_postgres(r.state)) {
            const char *path = r.state;
            if (strncmp(path, "sqlite:", 7) == 0)
                path += strncmp(path, "sqlite://", 9) == 0 ? 9 : 7;
            char dir[4096];
            snprintf(dir, sizeof dir, "%s", path);
            char *slash = strrchr(dir, '/');
            if (slash && slash != dir) {
                *slash = 0;
                if (ecl_mkdirs(dir, &e)) {
                    exit_code = cli_fail(&e);
                    goto out;
                }
            }
        }
        if (ecl_ledger_open(&r.ledger, r.state, &e)) {
            exit_code = cli_fail(&e);
            goto out;
        }
    }
    bool found = false;
    if (r.ledger && ecl_ledger_find_backfill(r.ledger, r.backfill_id, r.batch_id, &r.ingestion_ts, &found, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    if (cfg.batch_id)
        snprintf(r.batch_id, sizeof r.batch_id, "%s", cfg.batch_id);
    else if (!found) {
        char iso[32];
        ecl_iso_utc(r.ingestion_ts, false, iso);
        /* backfill-YYYYMMDDTHHMMSSZ */
        snprintf(r.batch_id, sizeof r.batch_id, "backfill-%.4s%.2s%.2sT%.2s%.2s%.2sZ", iso, iso + 5, iso + 8,
                 iso + 11, iso + 14, iso + 17);
    }
    int64_t nruns = 0;
    if (r.ledger && ecl_ledger_count_runs(r.ledger, r.backfill_id, &nruns, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    snprintf(r.run_id, sizeof r.run_id, "%s-r%lld-%ld", r.backfill_id, (long long)nruns + 1, (long)getpid());

    /* Publisher. */
    ecl_pub_opts po;
    ecl_pub_opts_default(&po);
    if (r.remote) {
        if (cfg.staging)
            snprintf(r.root, sizeof r.root, "%s", cfg.staging);
        else
            snprintf(r.root, sizeof r.root, ".ecomlake/staging/%s", r.backfill_id);
    } else {
        snprintf(r.root, sizeof r.root, "%s", local);
    }
    po.root = r.root;
    po.target_bytes = (uint64_t)cfg.target_mb << 20;
    po.batch_id = r.batch_id;
    po.ingestion_ts = r.ingestion_ts;
    po.created_at = r.ingestion_ts;
    po.dataset = cfg.dataset;
    po.generator_version = ecl_model_version(r.model);
    po.config_hash = ecl_model_config_hash(r.model);
    po.messiness = ecl_model_messiness(r.model);
    po.seed = ecl_model_seed(r.model);
    po.parquet.threads = 1; /* parallelism comes from partitions */
    if (cfg.compression)
        ecl_codec_parse(cfg.compression, &po.parquet.codec);
    if (ecl_publisher_open(&r.pub, &po, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    for (size_t i = 0; i < r.ntab; i++)
        if (ecl_publisher_add_table(r.pub, ecl_model_table_at(r.model, r.tab_model[i]), &r.tab_pub[i], &e)) {
            exit_code = cli_fail(&e);
            goto out;
        }

    if (cfg.dry_run) {
        exit_code = dry_run(&r);
        goto out;
    }

    /* Destination, lock, crash leftovers, what is already there. */
    if (ecl_sink_open(&r.sink, cfg.dest, NULL, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    if (!r.remote) {
        int err = lock_dest(local, &lock_fd);
        if (err) {
            exit_code = err == EBUSY ? cli_fail(&(ecl_err){ECL_EEXISTS, "another backfill is writing to this lake"})
                                     : cli_fail(&(ecl_err){ECL_EIO, "cannot lock the lake"});
            if (err == EBUSY)
                cli_error("lake: '%s'", local);
            goto out;
        }
    }
    int recovered = 0;
    if (ecl_publish_recover(r.root, NULL, &recovered, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    if (recovered)
        cli_info("removed %d staging director%s left by an interrupted run", recovered, recovered == 1 ? "y" : "ies");
    char unchecked[256] = "";
    ecl_err pe = ECL_ERR_INIT;
    if (plan_resume(&r, unchecked, sizeof unchecked, &pe) && !unchecked[0]) {
        exit_code = cli_fail(&pe);
        goto out;
    }
    ecl_run_rec rr = {.run_id = r.run_id, .backfill_id = r.backfill_id, .command = "backfill",
                      .dataset = cfg.dataset, .dest = r.dest_key, .seed = ecl_model_seed(r.model),
                      .messiness = ecl_model_messiness(r.model), .config_hash = ecl_model_config_hash(r.model),
                      .generator_version = ecl_model_version(r.model), .batch_id = r.batch_id,
                      .ingestion_ts = r.ingestion_ts, .triggered_by = rz_triggered_by()};
    char sd[11], ed[11], args[2048] = "";
    ecl_date_format(cfg.start, sd);
    ecl_date_format(cfg.end, ed);
    rr.start_date = sd;
    rr.end_date = ed;
    for (int i = 1; i < argc; i++) {
        size_t l = strlen(args);
        snprintf(args + l, sizeof args - l, "%s%s", i > 1 ? " " : "", argv[i]);
    }
    rr.args = args;
    if (ecl_ledger_run_start(r.ledger, &rr, &e)) {
        exit_code = cli_fail(&e);
        goto out;
    }
    if (r.skipped)
        cli_info("resuming %s: %llu partition%s already committed", r.backfill_id,
                 (unsigned long long)r.skipped, r.skipped == 1 ? "" : "s");

    if (unchecked[0]) {
        /* Whether it is committed is unknown: failed for now; a re-run checks again and resumes. */
        char *slash = strchr(unchecked, '/');
        if (slash)
            *slash = 0;
        part_ledger(&r, unchecked, slash ? slash + 1 : "", "failed", NULL, pe.msg);
        if (slash)
            *slash = '/';
        ecl_err_prefix(&pe, "cannot tell whether '%s' is committed", unchecked);
        note_failure(&r, unchecked, &pe);
    }

    uint64_t pending = (uint64_t)r.ndays * r.ndaily - r.skipped;
    r.prog = cli_progress_start("backfill", pending, "partitions");
    ecl_err we = ECL_ERR_INIT;
    int rc = r.stop ? 0 : publish_statics(&r, &we);
    if (!rc && pending)
        rc = run_pipeline(&r, &we);
    cli_progress_finish(r.prog);

    const char *status = "completed";
    bool interrupted = ecl_cancelled() || rc == ECL_EINTR;
    if (rc && !interrupted && r.err.code == ECL_OK)
        r.err = we;
    if (interrupted)
        status = "interrupted";
    else if (r.failed || rc)
        status = r.written ? "partial" : "failed";
    else if (r.hook_failures && !cfg.hooks.warn_only)
        status = "partial";
    /* Chunks left open end as failed, with the reason. */
    for (int c = 0; c < r.nchunks; c++)
        for (size_t k = 0; k < r.ndaily; k++) {
            chunk_tab *ct = &r.ct[(size_t)c * r.ndaily + k];
            if (ct->started && !ct->finished)
                chunk_close(&r, c, k, "failed",
                            interrupted ? "interrupted; re-run the same command to resume"
                                        : r.err.code ? r.err.msg : "stopped after an earlier failure");
        }
    ecl_err fe = ECL_ERR_INIT;
    if (ecl_ledger_run_finish(r.ledger, r.run_id, status, r.rows, r.bytes, r.written,
                              r.err.code ? r.err.msg : NULL, &fe))
        ledger_warn("cannot record the end of the run", &fe);
    if (r.err.code && !interrupted)
        cli_fail(&r.err);
    print_summary(&r, cli_now() - t0, status);
    if (interrupted)
        exit_code = EXIT_INTERRUPTED;
    else if (r.failed || rc)
        exit_code = r.err.code == ECL_ENOSPC || r.err.code == ECL_ETRANSIENT || r.written || r.skipped
                        ? EXIT_PARTIAL
                        : cli_exit_code(r.err.code);
    else if (r.hook_failures && !cfg.hooks.warn_only)
        exit_code = EXIT_PARTIAL;

out:
    if (lock_fd >= 0)
        close(lock_fd);
    ecl_sink_free(r.sink);
    ecl_publisher_free(r.pub);
    ecl_ledger_close(r.ledger);
    ecl_model_free(r.model);
    free(r.done);
    free(r.ct);
    pthread_mutex_destroy(&r.mu);
    return exit_code;
}

const cli_cmd cmd_backfill = {
    "backfill",
    "hydrate a lake with a date range of partitions, chunked, resumable and audited",
    "usage: ecomlake backfill --start-date D --end-date D [options]\n"
    "\n"
    "Generates the dataset straight to Parquet and publishes it partition by partition\n"
    "(<dest>/<table>/ingest_dt=YYYY-MM-DD/part-00000.parquet, _MANIFEST.json, _SUCCESS last),\n"
    "recording every chunk in the ledger's backfill_log. Re-running the same command resumes:\n"
    "committed partitions are skipped, everything else is redone. Files are byte-identical for\n"
    "any --chunk-days and --jobs.\n"
    "\n"
    "Options:\n"
    "  --start-date D, --end-date D  the range, inclusive (YYYY-MM-DD; start <= end)\n"
    "  --dataset NAME                ecom (default) or restaurant\n"
    "  --config FILE                 dataset config (YAML); default: the shipped config\n"
    "  --seed N                      override the config's seed\n"
    "  --messiness-level L           none|baseline|light_mess|medium_mess|heavy_mess\n"
    "  --chunk-days N                days per audited chunk (default 7; >= 1)\n"
    "  --dest DIR|URL                lake root: a path, file://, s3://bucket/prefix, gs://bucket/prefix\n"
    "                                (default ./lake, or $ECOMLAKE_DEST)\n"
    "  --state FILE|URL              ledger: SQLite path or postgresql:// URL (default\n"
    "                                <dest>/_ecomlake_state.sqlite; .ecomlake/state.sqlite for remote)\n"
    "  --jobs N                      parallel workers (default: online cores)\n"
    "  --tables T1,T2                only these tables (repeatable; default all)\n"
    "  --max-days N                  refuse ranges longer than N days (default: no limit)\n"
    "  --allow-future                allow an end date after today (UTC)\n"
    "  --target-size-mb N            split files at N MB written (default 16)\n"
    "  --compression C               snappy (default), zstd, gzip, none\n"
    "  --batch-id ID                 lineage batch id (default backfill-<ingestion time>)\n"
    "  --post-export-hook CMD        run CMD (sh -c) after each partition commits; repeatable\n"
    "  --hook-failure fail|warn      a failing hook ends the run with exit 3 (fail, default) or not\n"
    "  --staging-dir DIR             remote dests: where chunks are built before upload\n"
    "  --keep-staging                remote dests: keep the local copy after upload\n"
    "  --dry-run                     print the plan with row and byte estimates; write nothing\n"
    "  --json                        print the summary (or plan) as JSON on stdout\n"
    "\n"
    "Exit codes: 0 done, 1 failure, 2 usage, 3 partial (some partitions or hooks failed;\n"
    "re-run to resume), 130 interrupted (resumable).\n"
    "\n"
    "Examples:\n"
    "  ecomlake backfill --start-date 2024-10-01 --end-date 2024-12-31 --dest ./lake\n"
    "  ecomlake backfill --start-date 2020-01-01 --end-date 2024-12-31 --messiness-level medium_mess \\\n"
    "      --chunk-days 30 --jobs 4 --dest s3://bucket/ecom/raw --state postgresql://db/ecomlake\n"
    "  ecomlake backfill --start-date 2024-01-01 --end-date 2024-01-31 --dry-run\n",
    run,
};
