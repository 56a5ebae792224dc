/* db.h - a thin database layer over SQLite and PostgreSQL (libpq), for the ledger and warehouses.
 *
 * Open by URL:
 *   "sqlite:PATH", "sqlite://PATH" or a plain path      embedded SQLite file (created if missing;
 *                                                         ":memory:" for an in-memory database)
 *   "postgresql://user:pass@host:port/db?..." or "postgres://..."  a PostgreSQL server (libpq URI)
 *
 * SQL is written once for both engines: parameters are '?' placeholders (rewritten to $1, $2, ... for
 * PostgreSQL, outside string literals), types are TEXT / BIGINT / INTEGER / DOUBLE PRECISION, and
 * upserts use "INSERT ... ON CONFLICT (...) DO UPDATE SET x = excluded.x" (SQLite >= 3.24 and
 * PostgreSQL >= 9.5 both accept it).
 *
 * Concurrency: several processes may share one database. SQLite runs in WAL mode with a busy timeout
 * (ECL_DB_BUSY_MS) and ecl_db_begin takes the write lock up front (BEGIN IMMEDIATE), so two writers
 * wait for each other instead of deadlocking on a lock upgrade. PostgreSQL transactions are plain
 * BEGIN/COMMIT; serialization failures and deadlocks (SQLSTATE 40001/40P01) come back as
 * ECL_ETRANSIENT so a caller can retry its transaction (ecl_db_with_retry does that).
 *
 * A connection is not thread-safe: use one per thread, or serialize calls with a mutex.
 *
 * Statement life cycle: ecl_db_prepare, bind parameters (1-based), ecl_stmt_next until it reports no
 * row, read columns (0-based) of the current row, ecl_stmt_reset to run it again with new bindings,
 * ecl_stmt_free. Column text stays valid until the next ecl_stmt_next / reset / free. */
#ifndef ECL_DB_H
#define ECL_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum { ECL_DB_BUSY_MS = 30000 };

typedef enum ecl_db_kind { ECL_DB_SQLITE, ECL_DB_POSTGRES } ecl_db_kind;

typedef struct ecl_db ecl_db;
typedef struct ecl_stmt ecl_stmt;

/* Is url a PostgreSQL URL (postgresql:// or postgres://)? */
bool ecl_db_url_is_postgres(const char *url);
int ecl_db_open(ecl_db **db, const char *url, ecl_err *e);
void ecl_db_close(ecl_db *db);
ecl_db_kind ecl_db_kind_of(const ecl_db *db);
/* The URL with any password replaced by "***", for messages. */
const char *ecl_db_name(const ecl_db *db);

/* Runs one or more ';'-separated statements without parameters (DDL, PRAGMA, BEGIN ...). */
int ecl_db_exec(ecl_db *db, const char *sql, ecl_err *e);

/* Transactions. begin on SQLite is BEGIN IMMEDIATE (takes the write lock, waits up to the busy
 * timeout). rollback never fails (errors are logged and ignored: the connection discards the
 * transaction anyway). */
int ecl_db_begin(ecl_db *db, ecl_err *e);
int ecl_db_commit(ecl_db *db, ecl_err *e);
void ecl_db_rollback(ecl_db *db);
bool ecl_db_in_transaction(const ecl_db *db);

/* Runs fn inside a transaction, retrying the whole transaction (up to `attempts` times, with a short
 * growing sleep) when it fails with ECL_ETRANSIENT (busy database, serialization failure). */
int ecl_db_with_retry(ecl_db *db, int attempts, int (*fn)(ecl_db *db, void *ctx, ecl_err *e),
                      void *ctx, ecl_err *e);

int ecl_db_prepare(ecl_db *db, ecl_stmt **st, const char *sql, ecl_err *e);
/* Bindings are copied; idx is 1-based. Return 0 or ECL_EINVAL (bad index) / ECL_ENOMEM. */
int ecl_stmt_bind_text(ecl_stmt *st, int idx, const char *v); /* NULL binds SQL NULL */
int ecl_stmt_bind_int(ecl_stmt *st, int idx, int64_t v);
int ecl_stmt_bind_double(ecl_stmt *st, int idx, double v);
int ecl_stmt_bind_null(ecl_stmt *st, int idx);
/* Executes on the first call after prepare/reset, then moves to the next row: *row = true while a
 * row is current. Statements without a result (INSERT, UPDATE) finish on the first call. */
int ecl_stmt_next(ecl_stmt *st, bool *row, ecl_err *e);
/* Runs the statement to completion, ignoring rows (for INSERT/UPDATE/DELETE). */
int ecl_stmt_run(ecl_stmt *st, ecl_err *e);
int ecl_stmt_ncols(const ecl_stmt *st);
const char *ecl_stmt_colname(const ecl_stmt *st, int col);
bool ecl_stmt_is_null(const ecl_stmt *st, int col);
/* NULL for SQL NULL. */
const char *ecl_stmt_text(const ecl_stmt *st, int col);
int64_t ecl_stmt_int(const ecl_stmt *st, int col); /* 0 for NULL or non-numeric */
double ecl_stmt_double(const ecl_stmt *st, int col);
/* Rows changed by the last INSERT/UPDATE/DELETE run through this statement. */
int64_t ecl_stmt_changes(const ecl_stmt *st);
/* Clears the result so the statement can run again; bindings are kept. */
void ecl_stmt_reset(ecl_stmt *st);
void ecl_stmt_free(ecl_stmt *st);

/* Convenience: prepare + bind text params (NULL entries bind NULL) + run; *changes may be NULL. */
int ecl_db_execp(ecl_db *db, const char *sql, int nparams, const char *const *params,
                 int64_t *changes, ecl_err *e);
/* Convenience: the first column of the first row as int64 (*found = false when no row). */
int ecl_db_query_int(ecl_db *db, const char *sql, int nparams, const char *const *params,
                     int64_t *out, bool *found, ecl_err *e);

/* PostgreSQL bulk load (COPY ... FROM STDIN, text format) for warehouse loads; ECL_EUNSUPPORTED on
 * SQLite (use a prepared INSERT there). Between begin and end only copy_put may be called. On a put
 * error the COPY is still open: call ecl_db_copy_end, which then reports the first error. */
int ecl_db_copy_begin(ecl_db *db, const char *copy_sql, ecl_err *e);
int ecl_db_copy_put(ecl_db *db, const void *data, size_t n, ecl_err *e);
int ecl_db_copy_end(ecl_db *db, ecl_err *e);

#endif
