/* dataset.h - the contract between a dataset model (ecom, restaurant) and everything that publishes
 * its rows (run-generator, backfill, export, benchmarks).
 *
 * A model is a pure function (config, seed, messiness, day) -> rows. It is simulated day by day from
 * the config's epoch with per-entity state; a cursor is a position in that world. Emitting day D gives
 * byte-identical batches whether the cursor started at the epoch, at D, or anywhere between, so any
 * range can be split into chunks or shards and generated on any number of threads (one cursor each).
 * Seeking (simulating without emitting) is cheap: only emitted days pay for formatting and messiness.
 *
 * Tables are either daily (every row belongs to the day its event happened: partitioned by the
 * table's partition key, "ingest_dt" for facts, "signup_date" for customers) or static (emitted once,
 * partitioned by a column value, e.g. product_catalog by "category"). */
#ifndef ECL_DATASET_H
#define ECL_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "column.h"
#include "err.h"

typedef struct ecl_model ecl_model;
typedef struct ecl_cursor ecl_cursor;

typedef enum ecl_table_kind { ECL_TABLE_DAILY, ECL_TABLE_STATIC } ecl_table_kind;

typedef struct ecl_model_table {
    const char *name;
    ecl_table_kind kind;
    const char *partition_key;    /* "ingest_dt", "signup_date" or a column name for static tables */
    const char *primary_key;      /* comma-separated column names, e.g. "order_id,product_id" */
    const char *event_time_column;/* column holding the row's event time (TIMESTAMP or DATE), or NULL */
    ecl_schema schema;            /* the model's own columns (lineage columns are added by the publisher) */
} ecl_model_table;

typedef struct ecl_model_opts {
    const char *dataset;     /* "ecom" (default) or "restaurant" */
    const char *config_path; /* NULL = the shipped default config */
    uint64_t seed;
    bool seed_set;           /* false = the config's seed */
    const char *messiness;   /* NULL = the config's level; none|baseline|light_mess|medium_mess|heavy_mess */
} ecl_model_opts;

/* Messiness ground truth: how many faults of each kind were injected into each column. */
typedef struct ecl_mess_count {
    const char *table;
    const char *column;
    const char *kind; /* "null", "typo", "duplicate", "late_arrival", ... */
    uint64_t count;
} ecl_mess_count;

typedef struct ecl_mess_counts {
    ecl_mess_count *items;
    size_t n, cap;
} ecl_mess_counts;

void ecl_mess_counts_clear(ecl_mess_counts *c);
void ecl_mess_counts_release(ecl_mess_counts *c);

/* Opens a model: loads and validates the config (errors carry file:line:col and the key), resolves
 * defaults. Warnings (unknown keys) go through ecl_log. */
int ecl_model_open(ecl_model **m, const ecl_model_opts *o, ecl_err *e);
void ecl_model_free(ecl_model *m);

size_t ecl_model_ntables(const ecl_model *m);
const ecl_model_table *ecl_model_table_at(const ecl_model *m, size_t i);
/* Index by name, or -1. */
int ecl_model_table_index(const ecl_model *m, const char *name);
/* The first day of the world (the config's epoch). */
int32_t ecl_model_epoch(const ecl_model *m);
uint64_t ecl_model_seed(const ecl_model *m);
const char *ecl_model_messiness(const ecl_model *m);
/* SHA-256 (hex) of the canonical resolved config: same knobs -> same hash, whatever the file layout. */
const char *ecl_model_config_hash(const ecl_model *m);
const char *ecl_model_version(const ecl_model *m); /* generator version string */

/* Static tables: appends all rows of table i to out (initialised with that table's schema). */
int ecl_model_emit_static(ecl_model *m, size_t table, ecl_batch *out, ecl_err *e);
/* The same, also adding the injected faults to counts and, as JSON lines, to mess_log (either may
 * be NULL; see ecl_cursor_set_mess_log). */
int ecl_model_emit_static_mess(ecl_model *m, size_t table, ecl_batch *out, ecl_mess_counts *counts,
                               ecl_buf *mess_log, ecl_err *e);

/* A cursor positioned at day `start` (>= epoch). Cursors are independent and may run on separate
 * threads; the model itself is read-only after open. */
int ecl_cursor_open(ecl_cursor **c, ecl_model *m, int32_t start, ecl_err *e);
/* Emits the cursor's current day into out[0..ntables-1] (batches initialised with each table's
 * schema; static tables are left untouched), adds the day's injected faults to counts (may be NULL),
 * and advances one day. emit = false only advances (cheap seek). Rows are appended after whatever
 * the batches already hold (callers normally clear them first); ecl_cursor_dup_seq row numbers are
 * positions in the batch. */
int ecl_cursor_step(ecl_cursor *c, bool emit, ecl_batch *out, ecl_mess_counts *counts, ecl_err *e);
int32_t ecl_cursor_day(const ecl_cursor *c);
void ecl_cursor_free(ecl_cursor *c);

/* Row-level messiness ground truth: when set, each emitting step appends one JSON object per
 * injected fault to out (JSON Lines: table, pk, column, kind, original, new; values as JSON strings or
 * null). The buffer belongs to the caller, who writes it out in day order. */
void ecl_cursor_set_mess_log(ecl_cursor *c, ecl_buf *out);

/* Duplicate rows (messiness "duplicate"): a duplicated row is emitted again with identical column
 * values. Publishers derive event_id from (table, primary key); for row `row` of the batch of table
 * `table` produced by the last emitting step this returns 0 for an original row and n >= 1 for its
 * n-th duplicate, which publishers add to the event_id payload as "_dup": n so every emitted row has
 * its own event id. */
uint32_t ecl_cursor_dup_seq(const ecl_cursor *c, size_t table, size_t row);

/* Adds n faults of (table, column, kind) to c; the strings must outlive c (model-owned literals). */
int ecl_mess_counts_add(ecl_mess_counts *c, const char *table, const char *column, const char *kind,
                        uint64_t n);
/* Count for (table, column, kind), any of which may be NULL meaning "all". */
uint64_t ecl_mess_counts_get(const ecl_mess_counts *c, const char *table, const char *column,
                             const char *kind);
/* Adds every entry of src to dst. */
int ecl_mess_counts_merge(ecl_mess_counts *dst, const ecl_mess_counts *src);

/* ---- Implementing a model (lib/dataset.c dispatches through these) ----
 * A model's open function fills the generic fields of ecl_model and sets ops/impl; cursors start with
 * the ecl_cursor header. */
typedef struct ecl_model_ops {
    void (*free)(ecl_model *m);
    int (*emit_static)(ecl_model *m, size_t table, ecl_batch *out, ecl_mess_counts *counts, ecl_buf *mess_log,
                       ecl_err *e);
    int (*cursor_open)(ecl_cursor **c, ecl_model *m, int32_t start, ecl_err *e);
    int (*cursor_step)(ecl_cursor *c, bool emit, ecl_batch *out, ecl_mess_counts *counts, ecl_err *e);
    void (*cursor_free)(ecl_cursor *c);
} ecl_model_ops;

struct ecl_model {
    const ecl_model_ops *ops;
    void *impl;
    ecl_model_table *tables; /* owned by the model implementation */
    size_t ntables;
    int32_t epoch;
    uint64_t seed;
    char messiness[16];
    char config_hash[65];
    const char *version;
};

typedef struct ecl_dup_list {
    size_t *rows;
    uint32_t *seq;
    size_t n, cap;
} ecl_dup_list;

struct ecl_cursor {
    ecl_model *m;
    int32_t day;         /* the day the next step emits */
    ecl_buf *mess_log;   /* NULL = no row-level log */
    /* duplicate bookkeeping of the last emitting step, per table: rows with dup_seq > 0 */
    ecl_dup_list *dups;
};

/* Dataset registry entry: opens the named model into m (generic fields zeroed by the caller). */
typedef int (*ecl_model_open_fn)(ecl_model *m, const ecl_model_opts *o, ecl_err *e);
int ecl_ecom_open(ecl_model *m, const ecl_model_opts *o, ecl_err *e);
int ecl_resto_open(ecl_model *m, const ecl_model_opts *o, ecl_err *e); /* lib/resto/resto_dataset.c */
/* Helpers for implementations: record a duplicate row for the current step; reset before a step. */
int ecl_cursor_note_dup(ecl_cursor *c, size_t table, size_t row, uint32_t seq);
void ecl_cursor_reset_dups(ecl_cursor *c);
int ecl_cursor_base_init(ecl_cursor *c, ecl_model *m, int32_t day, ecl_err *e);
void ecl_cursor_base_release(ecl_cursor *c);

#endif
