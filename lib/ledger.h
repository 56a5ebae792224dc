/* ledger.h - what ran, what is committed, what failed: the backfill state and audit log.
 *
 * Backed by ecl_db: an SQLite file by default, PostgreSQL when given a postgresql:// URL (several
 * machines sharing one run). Tables (created on open, schema version in ecl_ledger_meta):
 *
 *   runs          one row per invocation: run_id, backfill_id, command, dataset, dest, range, seed,
 *                 messiness, config_hash, generator_version, batch_id, ingestion_ts (µs; reused by a
 *                 resume so files come out byte-identical), args, status (running, completed, failed,
 *                 partial, interrupted, simulated), counts, error_message, triggered_by, host, times.
 *   partitions    one row per (dest, table_name, partition): state (writing, committed, failed),
 *                 the run and batch that wrote it, rows, bytes, files, manifest_sha256, hook_status
 *                 (none, ok, failed), error_message, attempts, updated_at.
 *   backfill_log  the managed-backfill audit table, one row per (backfill_id, table_name, chunk):
 *                 chunk_index, start_date, end_date, status (in_progress, completed, failed,
 *                 simulated), rows_affected, bytes_written, partitions, error_message, started_at,
 *                 completed_at, triggered_by, run_id, attempts.
 *
 * Every call is one short transaction (or joins the caller's); the ledger serializes calls from
 * several threads with an internal lock. Timestamps are wall-clock UTC ("YYYY-MM-DDTHH:MM:SSZ"):
 * the ledger is an audit record, not data, so SOURCE_DATE_EPOCH does not apply to it. */
#ifndef ECL_LEDGER_H
#define ECL_LEDGER_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

typedef struct ecl_ledger ecl_ledger;

int ecl_ledger_open(ecl_ledger **l, const char *url, ecl_err *e);
void ecl_ledger_close(ecl_ledger *l);
/* The underlying connection, for reports (status). Take ecl_ledger_lock around use from threads. */
ecl_db *ecl_ledger_db(ecl_ledger *l);
void ecl_ledger_lock(ecl_ledger *l);
void ecl_ledger_unlock(ecl_ledger *l);
/* Current wall-clock UTC time in the ledger's format. */
void ecl_ledger_now(char out[32]);

typedef struct ecl_run_rec {
    const char *run_id;
    const char *backfill_id;
    const char *command;
    const char *dataset;
    const char *dest;
    const char *start_date, *end_date; /* may be NULL */
    uint64_t seed;
    const char *messiness;
    const char *config_hash;
    const char *generator_version;
    const char *batch_id;
    int64_t ingestion_ts; /* µs since the epoch */
    const char *args;
    const char *triggered_by;
    const char *status; /* initial status, "running" or "simulated" */
} ecl_run_rec;

int ecl_ledger_run_start(ecl_ledger *l, const ecl_run_rec *r, ecl_err *e);
int ecl_ledger_run_finish(ecl_ledger *l, const char *run_id, const char *status, uint64_t rows,
                          uint64_t bytes, uint64_t partitions, const char *error, ecl_err *e);
/* The batch id and ingestion_ts of the first run of backfill_id (so a resume reuses them). */
int ecl_ledger_find_backfill(ecl_ledger *l, const char *backfill_id, char batch_id[128],
                             int64_t *ingestion_ts, bool *found, ecl_err *e);
/* Number of earlier runs of backfill_id (to name the next run). */
int ecl_ledger_count_runs(ecl_ledger *l, const char *backfill_id, int64_t *n, ecl_err *e);

typedef struct ecl_part_rec {
    const char *dest;
    const char *table;
    const char *partition; /* "ingest_dt=2024-10-01" */
    const char *state;     /* writing, committed, failed */
    const char *run_id;
    const char *batch_id;
    uint64_t rows, bytes;
    int64_t files;
    const char *manifest_sha256; /* may be NULL */
    const char *hook_status;     /* may be NULL: keep the current one */
    const char *error;           /* may be NULL */
} ecl_part_rec;

/* Inserts or updates the partition row; attempts is incremented when state is "writing". */
int ecl_ledger_part_set(ecl_ledger *l, const ecl_part_rec *p, ecl_err *e);
typedef struct ecl_part_state {
    char state[16];
    char batch_id[128];
    char manifest_sha256[65];
    char hook_status[16];
    uint64_t rows, bytes;
} ecl_part_state;
int ecl_ledger_part_get(ecl_ledger *l, const char *dest, const char *table, const char *partition,
                        ecl_part_state *out, bool *found, ecl_err *e);
int ecl_ledger_part_hook(ecl_ledger *l, const char *dest, const char *table, const char *partition,
                         const char *hook_status, const char *error, ecl_err *e);

typedef struct ecl_chunk_rec {
    const char *backfill_id;
    const char *run_id;
    int chunk_index; /* 1-based */
    const char *table;
    const char *start_date, *end_date;
    const char *status;
    uint64_t rows, bytes, partitions;
    const char *error; /* truncated to 1000 characters */
    const char *triggered_by;
} ecl_chunk_rec;

/* Starts (in_progress, started_at = now, attempts + 1) or records a simulated chunk. */
int ecl_ledger_chunk_start(ecl_ledger *l, const ecl_chunk_rec *c, ecl_err *e);
/* Sets the final status, counts, error and completed_at = now. */
int ecl_ledger_chunk_finish(ecl_ledger *l, const ecl_chunk_rec *c, ecl_err *e);

#endif
