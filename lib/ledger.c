#include "ledger.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { STMT_CACHE = 16 };

/* Statements run_stmt prepared, by the address of their SQL text (always a literal): a backfill
 * records every partition twice, and preparing the upsert each time cost as much as running it. */
typedef struct cached_stmt {
    const char *sql;
    ecl_stmt *st;
} cached_stmt;

struct ecl_ledger {
    ecl_db *db;
    pthread_mutex_t lock;
    cached_stmt cache[STMT_CACHE];
    int ncache;
};

enum { LEDGER_SCHEMA_VERSION = 1 };

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS ecl_ledger_meta ("
    " key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id TEXT PRIMARY KEY, backfill_id TEXT, command TEXT, dataset TEXT, dest TEXT,"
    " start_date TEXT, end_date TEXT, seed BIGINT, messiness TEXT, config_hash TEXT,"
    " generator_version TEXT, batch_id TEXT, ingestion_ts BIGINT, args TEXT, status TEXT,"
    " rows_written BIGINT DEFAULT 0, bytes_written BIGINT DEFAULT 0, partitions BIGINT DEFAULT 0,"
    " error_message TEXT, triggered_by TEXT, host TEXT, started_at TEXT, finished_at TEXT);"
    "CREATE INDEX IF NOT EXISTS runs_backfill ON runs (backfill_id, started_at);"
    "CREATE TABLE IF NOT EXISTS partitions ("
    " dest TEXT NOT NULL, table_name TEXT NOT NULL, partition_name TEXT NOT NULL, state TEXT NOT NULL,"
    " run_id TEXT, batch_id TEXT, rows_written BIGINT DEFAULT 0, bytes_written BIGINT DEFAULT 0,"
    " files BIGINT DEFAULT 0, manifest_sha256 TEXT, hook_status TEXT DEFAULT 'none',"
    " error_message TEXT, attempts INTEGER DEFAULT 0, updated_at TEXT,"
    " PRIMARY KEY (dest, table_name, partition_name));"
    "CREATE TABLE IF NOT EXISTS backfill_log ("
    " backfill_id TEXT NOT NULL, table_name TEXT NOT NULL, start_date TEXT NOT NULL,"
    " end_date TEXT NOT NULL, chunk_index INTEGER, status TEXT NOT NULL,"
    " rows_affected BIGINT DEFAULT 0, bytes_written BIGINT DEFAULT 0, partitions BIGINT DEFAULT 0,"
    " error_message TEXT, started_at TEXT, completed_at TEXT, triggered_by TEXT, run_id TEXT,"
    " attempts INTEGER DEFAULT 0,"
    " PRIMARY KEY (backfill_id, table_name, start_date, end_date));";

void ecl_ledger_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int create_schema(ecl_db *db, void *ctx, ecl_err *e)
{
    (void)ctx;
    int rc = ecl_db_exec(db, schema_sql, e);
    if (rc)
        return rc;
    char v[16];
    snprintf(v, sizeof v, "%d", LEDGER_SCHEMA_VERSION);
    const char *p[] = {"schema_version", v};
    return ecl_db_execp(db,
                        "INSERT INTO ecl_ledger_meta (key, value) VALUES (?, ?) "
                        "ON CONFLICT (key) DO NOTHING",
                        2, p, NULL, e);
}

int ecl_ledger_open(ecl_ledger **out, const char *url, ecl_err *e)
{
    *out = NULL;
    ecl_ledger *l = calloc(1, sizeof *l);
    if (!l)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening the ledger");
    int rc = ecl_db_open(&l->db, url, e);
    if (!rc)
        rc = ecl_db_with_retry(l->db, 5, create_schema, NULL, e);
    int64_t ver = 0;
    bool found = false;
    const char *p[] = {"schema_version"};
    if (!rc)
        rc = ecl_db_query_int(l->db, "SELECT value FROM ecl_ledger_meta WHERE key = ?", 1, p, &ver,
                              &found, e);
    if (!rc && ver > LEDGER_SCHEMA_VERSION)
        rc = ecl_err_set(e, ECL_EFORMAT,
                         "ledger '%s' has schema version %lld, newer than this tool's (%d)",
                         ecl_db_name(l->db), (long long)ver, LEDGER_SCHEMA_VERSION);
    if (rc) {
        ecl_err_prefix(e, "ledger");
        ecl_db_close(l->db);
        free(l);
        return rc;
    }
    pthread_mutex_init(&l->lock, NULL);
    *out = l;
    return 0;
}

void ecl_ledger_close(ecl_ledger *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->ncache; i++)
        ecl_stmt_free(l->cache[i].st);
    ecl_db_close(l->db);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

ecl_db *ecl_ledger_db(ecl_ledger *l) { return l->db; }
void ecl_ledger_lock(ecl_ledger *l) { pthread_mutex_lock(&l->lock); }
void ecl_ledger_unlock(ecl_ledger *l) { pthread_mutex_unlock(&l->lock); }

/* Runs one statement with typed parameters: 's' text (NULL -> NULL), 'i' int64. Retries briefly on
 * a busy database when not inside the caller's transaction. sql must be a string literal: it is
 * prepared once and cached by its address. */
static int run_stmt(ecl_ledger *l, const char *sql, const char *types, ecl_err *e, ...)
{
    va_list ap;
    ecl_stmt *st = NULL;
    pthread_mutex_lock(&l->lock);
    int slot = -1, rc = 0;
    for (int i = 0; i < l->ncache && slot < 0; i++)
        if (l->cache[i].sql == sql)
            slot = i;
    if (slot >= 0) {
        st = l->cache[slot].st;
    } else {
        rc = ecl_db_prepare(l->db, &st, sql, e);
        if (!rc && l->ncache < STMT_CACHE) {
            slot = l->ncache++;
            l->cache[slot] = (cached_stmt){sql, st};
        }
    }
    va_start(ap, e);
    for (int i = 0; !rc && types[i]; i++) {
        int b = types[i] == 'i' ? ecl_stmt_bind_int(st, i + 1, va_arg(ap, int64_t))
                                : ecl_stmt_bind_text(st, i + 1, va_arg(ap, const char *));
        if (b)
            rc = ecl_err_set(e, ECL_EINVAL, "ledger: cannot bind parameter %d", i + 1);
    }
    va_end(ap);
    for (int attempt = 1; !rc; attempt++) {
        ecl_err local = ECL_ERR_INIT;
        rc = ecl_stmt_run(st, &local);
        if (!rc)
            break;
        if (rc == ECL_ETRANSIENT && attempt < 5 && !ecl_db_in_transaction(l->db)) {
            ecl_stmt_reset(st);
            struct timespec ts = {0, 50000000L * attempt};
            nanosleep(&ts, NULL);
            rc = 0;
            continue;
        }
        if (e && e->code == ECL_OK)
            *e = local;
        ecl_err_prefix(e, "ledger");
    }
    /* a reset statement holds no read transaction open */
    if (slot >= 0)
        ecl_stmt_reset(st);
    else
        ecl_stmt_free(st);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int ecl_ledger_run_start(ecl_ledger *l, const ecl_run_rec *r, ecl_err *e)
{
    char now[32], host[256] = "";
    ecl_ledger_now(now);
    FILE *f = fopen("/proc/sys/kernel/hostname", "r");
    if (f) {
        if (fgets(host, sizeof host, f))
            host[strcspn(host, "\n")] = 0;
        fclose(f);
    }
    return run_stmt(l,
                    "INSERT INTO runs (run_id, backfill_id, command, dataset, dest, start_date, end_date,"
                    " seed, messiness, config_hash, generator_version, batch_id, ingestion_ts, args,"
                    " status, triggered_by, host, started_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (run_id) DO UPDATE SET status = excluded.status,"
                    " started_at = excluded.started_at",
                    "sssssssissssisssss", e, r->run_id, r->backfill_id, r->command, r->dataset, r->dest,
                    r->start_date, r->end_date, (int64_t)r->seed, r->messiness, r->config_hash,
                    r->generator_version, r->batch_id, r->ingestion_ts, r->args,
                    r->status ? r->status : "running", r->triggered_by, host, now);
}

int ecl_ledger_run_finish(ecl_ledger *l, const char *run_id, const char *status, uint64_t rows,
                          uint64_t bytes, uint64_t partitions, const char *error, ecl_err *e)
{
    char now[32];
    ecl_ledger_now(now);
    return run_stmt(l,
                    "UPDATE runs SET status = ?, rows_written = ?, bytes_written = ?, partitions = ?,"
                    " error_message = ?, finished_at = ? WHERE run_id = ?",
                    "siiisss", e, status, (int64_t)rows, (int64_t)bytes, (int64_t)partitions, error, now,
                    run_id);
}

int ecl_ledger_find_backfill(ecl_ledger *l, const char *backfill_id, char batch_id[128],
                             int64_t *ingestion_ts, bool *found, ecl_err *e)
{
    *found = false;
    pthread_mutex_lock(&l->lock);
    ecl_stmt *st;
    int rc = ecl_db_prepare(l->db, &st,
                            "SELECT batch_id, ingestion_ts FROM runs WHERE backfill_id = ? AND"
                            " status <> 'simulated' ORDER BY started_at, run_id LIMIT 1",
                            e);
    bool row = false;
    if (!rc && !(rc = ecl_stmt_bind_text(st, 1, backfill_id)))
        rc = ecl_stmt_next(st, &row, e);
    if (!rc && row && ecl_stmt_text(st, 0)) {
        snprintf(batch_id, 128, "%s", ecl_stmt_text(st, 0));
        *ingestion_ts = ecl_stmt_int(st, 1);
        *found = true;
    }
    ecl_stmt_free(st);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int ecl_ledger_count_runs(ecl_ledger *l, const char *backfill_id, int64_t *n, ecl_err *e)
{
    bool found;
    const char *p[] = {backfill_id};
    pthread_mutex_lock(&l->lock);
    int rc = ecl_db_query_int(l->db, "SELECT COUNT(*) FROM runs WHERE backfill_id = ?", 1, p, n,
                              &found, e);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int ecl_ledger_part_set(ecl_ledger *l, const ecl_part_rec *p, ecl_err *e)
{
    char now[32];
    ecl_ledger_now(now);
    int64_t inc = strcmp(p->state, "writing") == 0 ? 1 : 0;
    return run_stmt(l,
                    "INSERT INTO partitions (dest, table_name, partition_name, state, run_id, batch_id,"
                    " rows_written, bytes_written, files, manifest_sha256, hook_status, error_message,"
                    " attempts, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE(?, 'none'), ?, ?, ?)"
                    " ON CONFLICT (dest, table_name, partition_name) DO UPDATE SET"
                    " state = excluded.state, run_id = excluded.run_id, batch_id = excluded.batch_id,"
                    " rows_written = excluded.rows_written, bytes_written = excluded.bytes_written,"
                    " files = excluded.files, manifest_sha256 = excluded.manifest_sha256,"
                    " hook_status = COALESCE(?, partitions.hook_status),"
                    " error_message = excluded.error_message,"
                    " attempts = partitions.attempts + ?, updated_at = excluded.updated_at",
                    "ssssssiiisssissi", e, p->dest, p->table, p->partition,
                    p->state, p->run_id, p->batch_id, (int64_t)p->rows, (int64_t)p->bytes, p->files,
                    p->manifest_sha256, p->hook_status, p->error, inc, now, p->hook_status, inc);
}

int ecl_ledger_part_get(ecl_ledger *l, const char *dest, const char *table, const char *partition,
                        ecl_part_state *out, bool *found, ecl_err *e)
{
    *found = false;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&l->lock);
    ecl_stmt *st;
    int rc = ecl_db_prepare(l->db, &st,
                            "SELECT state, batch_id, manifest_sha256, hook_status, rows_written,"
                            " bytes_written FROM partitions WHERE dest = ? AND table_name = ? AND"
                            " partition_name = ?",
                            e);
    bool row = false;
    if (!rc) {
        ecl_stmt_bind_text(st, 1, dest);
        ecl_stmt_bind_text(st, 2, table);
        ecl_stmt_bind_text(st, 3, partition);
        rc = ecl_stmt_next(st, &row, e);
    }
    if (!rc && row) {
        *found = true;
        const char *v;
        if ((v = ecl_stmt_text(st, 0)))
            snprintf(out->state, sizeof out->state, "%s", v);
        if ((v = ecl_stmt_text(st, 1)))
            snprintf(out->batch_id, sizeof out->batch_id, "%s", v);
        if ((v = ecl_stmt_text(st, 2)))
            snprintf(out->manifest_sha256, sizeof out->manifest_sha256, "%s", v);
        if ((v = ecl_stmt_text(st, 3)))
            snprintf(out->hook_status, sizeof out->hook_status, "%s", v);
        out->rows = (uint64_t)ecl_stmt_int(st, 4);
        out->bytes = (uint64_t)ecl_stmt_int(st, 5);
    }
    ecl_stmt_free(st);
    pthread_mutex_unlock(&l->lock);
    return rc;
}

int ecl_ledger_part_hook(ecl_ledger *l, const char *dest, const char *table, const char *partition,
                         const char *hook_status, const char *error, ecl_err *e)
{
    char now[32];
    ecl_ledger_now(now);
    return run_stmt(l,
                    "UPDATE partitions SET hook_status = ?, error_message = ?, updated_at = ?"
                    " WHERE dest = ? AND table_name = ? AND partition_name = ?",
                    "ssssss", e, hook_status, error, now, dest, table, partition);
}

/* The original's rule for stored error text: at most 1000 characters. */
static void clip_error(const char *in, char out[1001])
{
    snprintf(out, 1001, "%s", in ? in : "");
}

int ecl_ledger_chunk_start(ecl_ledger *l, const ecl_chunk_rec *c, ecl_err *e)
{
    char now[32];
    ecl_ledger_now(now);
    bool simulated = c->status && strcmp(c->status, "simulated") == 0;
    return run_stmt(l,
                    "INSERT INTO backfill_log (backfill_id, table_name, start_date, end_date, chunk_index,"
                    " status, rows_affected, bytes_written, partitions, error_message, started_at,"
                    " completed_at, triggered_by, run_id, attempts)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, 1)"
                    " ON CONFLICT (backfill_id, table_name, start_date, end_date) DO UPDATE SET"
                    " chunk_index = excluded.chunk_index, status = excluded.status,"
                    " rows_affected = excluded.rows_affected, bytes_written = excluded.bytes_written,"
                    " partitions = excluded.partitions, error_message = NULL,"
                    " started_at = excluded.started_at, completed_at = excluded.completed_at,"
                    " triggered_by = excluded.triggered_by, run_id = excluded.run_id,"
                    " attempts = backfill_log.attempts + 1",
                    "ssssisiiissss", e, c->backfill_id, c->table, c->start_date, c->end_date,
                    (int64_t)c->chunk_index, simulated ? "simulated" : "in_progress", (int64_t)c->rows,
                    (int64_t)c->bytes, (int64_t)c->partitions, now, simulated ? now : NULL,
                    c->triggered_by, c->run_id);
}

int ecl_ledger_chunk_finish(ecl_ledger *l, const ecl_chunk_rec *c, ecl_err *e)
{
    char now[32], err[1001];
    ecl_ledger_now(now);
    clip_error(c->error, err);
    return run_stmt(l,
                    "UPDATE backfill_log SET status = ?, rows_affected = ?, bytes_written = ?,"
                    " partitions = ?, error_message = ?, completed_at = ?, run_id = ?"
                    " WHERE backfill_id = ? AND table_name = ? AND start_date = ? AND end_date = ?",
                    "siiisssssss", e, c->status, (int64_t)c->rows, (int64_t)c->bytes,
                    (int64_t)c->partitions, c->error ? err : NULL, now, c->run_id, c->backfill_id,
                    c->table, c->start_date, c->end_date);
}
