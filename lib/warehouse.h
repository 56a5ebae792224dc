/* warehouse.h - the bronze warehouse (SQLite or PostgreSQL through db.h) and its load ledger.
 *
 * Bronze tables (created when missing): orders, order_items, products, units, states, countries,
 * each with _source_file, _ingest_timestamp and _ingest_date; ingest_rejects (one row per rejected
 * row or file problem: file, line, column, rule, message); ingest_ledger (one row per source file:
 * path, SHA-256 of its bytes, size, status loaded|partial|quarantined, row counts, load time).
 *
 * Loads are idempotent: a source file's rows are replaced (delete by _source_file, then insert)
 * inside the caller's transaction, and the ledger row is written in the same transaction, so a file
 * is either fully loaded with its ledger entry or not at all. Rows go in through COPY on PostgreSQL
 * and a prepared INSERT on SQLite.
 *
 * Concurrency: ecl_wh_lock takes a PostgreSQL session advisory lock that serializes ingest runs on one
 * warehouse (a second run waits, then sees the first's ledger); on SQLite transactions are BEGIN
 * IMMEDIATE with a busy timeout and callers re-check the ledger inside each transaction. */
#ifndef ECL_WAREHOUSE_H
#define ECL_WAREHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

typedef struct ecl_wh ecl_wh;

typedef enum ecl_wh_table {
    ECL_WH_ORDERS,
    ECL_WH_ORDER_ITEMS,
    ECL_WH_PRODUCTS,
    ECL_WH_UNITS,
    ECL_WH_STATES,
    ECL_WH_COUNTRIES,
    ECL_WH_REJECTS,
    ECL_WH_NTABLES
} ecl_wh_table;

/* Opens the warehouse by URL (sqlite:PATH, a path, or postgresql://...) and creates missing tables. */
int ecl_wh_open(ecl_wh **w, const char *url, ecl_err *e);
void ecl_wh_close(ecl_wh *w);
ecl_db *ecl_wh_db(ecl_wh *w);
const char *ecl_wh_table_name(ecl_wh_table t);
/* Column names of a table's data part, in load order (the lineage columns follow). */
size_t ecl_wh_table_columns(ecl_wh_table t, const char *const **cols);

/* Serializes concurrent ingest runs (PostgreSQL advisory lock; a no-op on SQLite). Logs while it
 * waits. ecl_wh_unlock releases it. */
int ecl_wh_lock(ecl_wh *w, ecl_err *e);
void ecl_wh_unlock(ecl_wh *w);

/* The ledger. */
enum { ECL_WH_STAT_KEY_MAX = 96 };
typedef struct ecl_wh_entry {
    char sha256[65];
    uint64_t size;
    char stat_key[ECL_WH_STAT_KEY_MAX]; /* "" when unknown */
    char status[16];
} ecl_wh_entry;

/* Loads the whole ledger into memory (for the skip check of an unchanged file). */
int ecl_wh_ledger_load(ecl_wh *w, ecl_err *e);
/* From the in-memory copy: false when the file was never seen, else true with *out filled (out may
 * be NULL). */
bool ecl_wh_ledger_cached(const ecl_wh *w, const char *source_file, ecl_wh_entry *out);
/* The same for a path of len bytes (not necessarily NUL-terminated). */
bool ecl_wh_ledger_find(const ecl_wh *w, const char *source_file, size_t len, ecl_wh_entry *out);
/* Does the in-memory ledger hold this stat key for the path? (The per-file check of a re-ingest.) */
bool ecl_wh_ledger_stat_same(const ecl_wh *w, const char *source_file, size_t len, const char *stat_key);
/* From the database (inside a transaction: sees other processes' committed loads). */
int ecl_wh_ledger_get(ecl_wh *w, const char *source_file, ecl_wh_entry *out, bool *found, ecl_err *e);
int ecl_wh_ledger_put(ecl_wh *w, const char *source_file, const char *sha256, uint64_t size,
                      const char *stat_key, const char *status, uint64_t rows_total, uint64_t rows_loaded,
                      uint64_t rows_rejected, const char *loaded_at, ecl_err *e);

/* Transactions (retry on ECL_ETRANSIENT is the caller's choice). */
int ecl_wh_begin(ecl_wh *w, ecl_err *e);
int ecl_wh_commit(ecl_wh *w, ecl_err *e);
void ecl_wh_rollback(ecl_wh *w);

/* Deletes a source file's rows from a table (and from ingest_rejects). */
int ecl_wh_delete_source(ecl_wh *w, ecl_wh_table t, const char *source_file, ecl_err *e);

/* Bulk rows: open a load on a table, add rows (vals[0..ncols-1] are the data columns followed by
 * _source_file, _ingest_timestamp, _ingest_date for bronze tables; NULL = SQL NULL), close it. Only one
 * load is open at a time. */
int ecl_wh_load_open(ecl_wh *w, ecl_wh_table t, ecl_err *e);
int ecl_wh_load_row(ecl_wh *w, const char *const *vals, ecl_err *e);
int ecl_wh_load_close(ecl_wh *w, ecl_err *e);

/* Sorted distinct ids of a reference column ("units" -> id_unidade, "products" -> id_produto). */
int ecl_wh_ref_ids(ecl_wh *w, ecl_wh_table t, int64_t **ids, size_t *n, ecl_err *e);

/* Builds the silver and/or gold layer (layer: "silver", "gold" or "all") by running the embedded
 * sql/ files for this engine in order, all in one transaction: readers see the old layer or the new
 * one. Each step is logged at debug level. */
int ecl_wh_build(ecl_wh *w, const char *layer, ecl_err *e);
/* Table names a layer's build creates (NULL-terminated). */
const char *const *ecl_wh_layer_tables(const char *layer);

#endif
