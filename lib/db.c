#include "db.h"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

struct ecl_db {
    ecl_db_kind kind;
    sqlite3 *lite;
    PGconn *pg;
    bool in_tx;
    char *name;
};

struct ecl_stmt {
    ecl_db *db;
    /* SQLite */
    sqlite3_stmt *ls;
    bool lite_started;
    /* PostgreSQL */
    char *sql;       /* with $n placeholders */
    int nparams;
    char **params;   /* owned text values, NULL = SQL NULL */
    PGresult *res;
    int row;         /* current row index, -1 before the first */
    int64_t changes;
};

bool ecl_db_url_is_postgres(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

ecl_db_kind ecl_db_kind_of(const ecl_db *db) { return db->kind; }
const char *ecl_db_name(const ecl_db *db) { return db->name; }
bool ecl_db_in_transaction(const ecl_db *db) { return db->in_tx; }

/* Replaces the password of a URL ("scheme://user:pass@host") with "***". */
static char *redact_url(const char *url)
{
    char *out = malloc(strlen(url) + 4);
    if (!out)
        return NULL;
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = NULL;
    if (at)
        for (const char *p = scheme + 3; p < at; p++)
            if (*p == ':') {
                colon = p;
                break;
            }
    if (colon)
        sprintf(out, "%.*s:***%s", (int)(colon - url), url, at);
    else
        strcpy(out, url);
    return out;
}

static int lite_fail(ecl_db *db, int rc, ecl_err *e, const char *what)
{
    ecl_code code = rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? ECL_ETRANSIENT
                    : rc == SQLITE_FULL                     ? ECL_ENOSPC
                    : rc == SQLITE_NOMEM                    ? ECL_ENOMEM
                    : rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB ? ECL_EFORMAT
                    : rc == SQLITE_READONLY || rc == SQLITE_PERM || rc == SQLITE_AUTH ? ECL_EPERM
                    : rc == SQLITE_CONSTRAINT || rc == SQLITE_ERROR ? ECL_EINVAL
                                                              : ECL_EIO;
    return ecl_err_set(e, code, "%s on '%s': %s", what, db->name,
                       db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc));
}

static ecl_code pg_code(const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (!state)
        return ECL_EIO;
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strncmp(state, "08", 2) == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "57P01") == 0)
        return ECL_ETRANSIENT;
    if (strncmp(state, "28", 2) == 0)
        return ECL_EAUTH;
    if (strcmp(state, "53100") == 0)
        return ECL_ENOSPC;
    if (strcmp(state, "42501") == 0)
        return ECL_EPERM;
    return ECL_EINVAL;
}

static int pg_fail(ecl_db *db, const PGresult *r, ecl_err *e, const char *what)
{
    const char *msg = r ? PQresultErrorMessage(r) : PQerrorMessage(db->pg);
    char clean[512];
    snprintf(clean, sizeof clean, "%s", msg && *msg ? msg : "unknown error");
    size_t n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = 0;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    return ecl_err_set(e, r ? pg_code(r) : ECL_ETRANSIENT, "%s on '%s': %s%s%s%s", what, db->name,
                       clean, state ? " (SQLSTATE " : "", state ? state : "", state ? ")" : "");
}

static int open_sqlite(ecl_db *db, const char *path, ecl_err *e)
{
    int rc = sqlite3_open_v2(path, &db->lite,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        int r = ecl_err_set(e, rc == SQLITE_CANTOPEN ? ECL_ENOTFOUND : ECL_EIO,
                            "cannot open database '%s': %s", path,
                            db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc));
        sqlite3_close(db->lite);
        db->lite = NULL;
        return r;
    }
    sqlite3_busy_timeout(db->lite, ECL_DB_BUSY_MS);
    sqlite3_extended_result_codes(db->lite, 0);
    /* WAL lets readers (status) run while a backfill writes; NORMAL sync is durable across a
     * process crash, which is what resume needs (the lake, not the ledger, is the source of truth
     * for committed partitions). */
    const char *setup = strcmp(path, ":memory:") == 0
                            ? "PRAGMA foreign_keys=ON;"
                            : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";
    return ecl_db_exec(db, setup, e);
}

static int open_pg(ecl_db *db, const char *url, ecl_err *e)
{
    db->pg = PQconnectdb(url);
    if (!db->pg)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory connecting to '%s'", db->name);
    if (PQstatus(db->pg) != CONNECTION_OK) {
        const char *m = PQerrorMessage(db->pg);
        char clean[512];
        snprintf(clean, sizeof clean, "%s", m ? m : "");
        size_t n = strlen(clean);
        while (n && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
            clean[--n] = 0;
        ecl_code code = strstr(clean, "password") || strstr(clean, "authentication") ? ECL_EAUTH
                                                                                       : ECL_ETRANSIENT;
        return ecl_err_set(e, code, "cannot connect to '%s': %s", db->name, clean);
    }
    /* Keep server notices ("relation already exists, skipping") off the terminal. */
    PQsetNoticeProcessor(db->pg, NULL, NULL);
    return ecl_db_exec(db, "SET client_min_messages = warning", e);
}

int ecl_db_open(ecl_db **out, const char *url, ecl_err *e)
{
    *out = NULL;
    ecl_db *db = calloc(1, sizeof *db);
    if (!db || !(db->name = redact_url(url))) {
        free(db);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a database");
    }
    int rc;
    if (ecl_db_url_is_postgres(url)) {
        db->kind = ECL_DB_POSTGRES;
        rc = open_pg(db, url, e);
    } else {
        const char *path = url;
        if (strncmp(path, "sqlite://", 9) == 0)
            path += 9;
        else if (strncmp(path, "sqlite:", 7) == 0)
            path += 7;
        else if (strncmp(path, "file://", 7) == 0)
            path += 7;
        db->kind = ECL_DB_SQLITE;
        rc = *path ? open_sqlite(db, path, e)
                   : ecl_err_set(e, ECL_EINVAL, "empty database path in '%s'", url);
    }
    if (rc) {
        ecl_db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void ecl_db_close(ecl_db *db)
{
    if (!db)
        return;
    if (db->lite)
        sqlite3_close_v2(db->lite);
    if (db->pg)
        PQfinish(db->pg);
    free(db->name);
    free(db);
}

int ecl_db_exec(ecl_db *db, const char *sql, ecl_err *e)
{
    if (db->kind == ECL_DB_SQLITE) {
        int rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
        return rc == SQLITE_OK ? 0 : lite_fail(db, rc, e, "query failed");
    }
    PGresult *r = PQexec(db->pg, sql);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    int rc = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY)
        rc = pg_fail(db, r, e, "query failed");
    PQclear(r);
    return rc;
}

int ecl_db_begin(ecl_db *db, ecl_err *e)
{
    int rc = ecl_db_exec(db, db->kind == ECL_DB_SQLITE ? "BEGIN IMMEDIATE" : "BEGIN", e);
    if (!rc)
        db->in_tx = true;
    return rc;
}

int ecl_db_commit(ecl_db *db, ecl_err *e)
{
    int rc = ecl_db_exec(db, "COMMIT", e);
    if (rc)
        ecl_db_rollback(db);
    db->in_tx = false;
    return rc;
}

void ecl_db_rollback(ecl_db *db)
{
    ecl_err ignore = ECL_ERR_INIT;
    if (ecl_db_exec(db, "ROLLBACK", &ignore) && db->in_tx)
        ecl_log(ECL_LOG_DEBUG, db->name, "rollback: %s", ignore.msg);
    db->in_tx = false;
}

int ecl_db_with_retry(ecl_db *db, int attempts, int (*fn)(ecl_db *db, void *ctx, ecl_err *e),
                      void *ctx, ecl_err *e)
{
    for (int i = 1;; i++) {
        ecl_err local = ECL_ERR_INIT;
        int rc = ecl_db_begin(db, &local);
        if (!rc)
            rc = fn(db, ctx, &local);
        if (!rc)
            rc = ecl_db_commit(db, &local);
        else if (db->in_tx)
            ecl_db_rollback(db);
        if (!rc)
            return 0;
        if (rc != ECL_ETRANSIENT || i >= attempts) {
            if (e && e->code == ECL_OK)
                *e = local;
            return rc;
        }
        ecl_log(ECL_LOG_DEBUG, db->name, "transaction retry %d: %s", i, local.msg);
        struct timespec ts = {0, (long)(20 + 30 * i) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* '?' -> '$n' outside quoted literals and identifiers; returns the number of parameters. */
static char *pg_placeholders(const char *sql, int *n)
{
    size_t len = strlen(sql);
    char *out = malloc(len * 4 + 1);
    if (!out)
        return NULL;
    char *o = out;
    char quote = 0;
    *n = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            if (*p == quote)
                quote = 0;
            *o++ = *p;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
            *o++ = *p;
        } else if (*p == '?') {
            o += sprintf(o, "$%d", ++*n);
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
    return out;
}

int ecl_db_prepare(ecl_db *db, ecl_stmt **out, const char *sql, ecl_err *e)
{
    *out = NULL;
    ecl_stmt *st = calloc(1, sizeof *st);
    if (!st)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory preparing a statement");
    st->db = db;
    st->row = -1;
    if (db->kind == ECL_DB_SQLITE) {
        int rc = sqlite3_prepare_v2(db->lite, sql, -1, &st->ls, NULL);
        if (rc != SQLITE_OK) {
            free(st);
            return lite_fail(db, rc, e, "cannot prepare statement");
        }
    } else {
        st->sql = pg_placeholders(sql, &st->nparams);
        st->params = st->nparams ? calloc((size_t)st->nparams, sizeof *st->params) : NULL;
        if (!st->sql || (st->nparams && !st->params)) {
            ecl_stmt_free(st);
            return ecl_err_set(e, ECL_ENOMEM, "out of memory preparing a statement");
        }
    }
    *out = st;
    return 0;
}

static int pg_set_param(ecl_stmt *st, int idx, char *v)
{
    if (idx < 1 || idx > st->nparams) {
        free(v);
        return ECL_EINVAL;
    }
    free(st->params[idx - 1]);
    st->params[idx - 1] = v;
    return 0;
}

int ecl_stmt_bind_text(ecl_stmt *st, int idx, const char *v)
{
    if (st->ls) {
        int rc = v ? sqlite3_bind_text(st->ls, idx, v, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st->ls, idx);
        return rc == SQLITE_OK ? 0 : rc == SQLITE_NOMEM ? ECL_ENOMEM : ECL_EINVAL;
    }
    char *copy = NULL;
    if (v && !(copy = strdup(v)))
        return ECL_ENOMEM;
    return pg_set_param(st, idx, copy);
}

int ecl_stmt_bind_int(ecl_stmt *st, int idx, int64_t v)
{
    if (st->ls)
        return sqlite3_bind_int64(st->ls, idx, v) == SQLITE_OK ? 0 : ECL_EINVAL;
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    return ecl_stmt_bind_text(st, idx, tmp);
}

int ecl_stmt_bind_double(ecl_stmt *st, int idx, double v)
{
    if (st->ls)
        return sqlite3_bind_double(st->ls, idx, v) == SQLITE_OK ? 0 : ECL_EINVAL;
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.17g", v);
    return ecl_stmt_bind_text(st, idx, tmp);
}

int ecl_stmt_bind_null(ecl_stmt *st, int idx) { return ecl_stmt_bind_text(st, idx, NULL); }

int ecl_stmt_next(ecl_stmt *st, bool *row, ecl_err *e)
{
    *row = false;
    ecl_db *db = st->db;
    if (st->ls) {
        int rc = sqlite3_step(st->ls);
        st->lite_started = true;
        if (rc == SQLITE_ROW) {
            *row = true;
            return 0;
        }
        if (rc == SQLITE_DONE) {
            st->changes = sqlite3_changes(db->lite);
            return 0;
        }
        rc = lite_fail(db, rc, e, "query failed");
        sqlite3_reset(st->ls);
        return rc;
    }
    if (!st->res) {
        st->res = PQexecParams(db->pg, st->sql, st->nparams, NULL, (const char *const *)st->params,
                               NULL, NULL, 0);
        ExecStatusType s = st->res ? PQresultStatus(st->res) : PGRES_FATAL_ERROR;
        if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
            int rc = pg_fail(db, st->res, e, "query failed");
            PQclear(st->res);
            st->res = NULL;
            return rc;
        }
        const char *ct = PQcmdTuples(st->res);
        st->changes = ct && *ct ? strtoll(ct, NULL, 10) : 0;
        st->row = -1;
    }
    if (PQresultStatus(st->res) == PGRES_TUPLES_OK && st->row + 1 < PQntuples(st->res)) {
        st->row++;
        *row = true;
    }
    return 0;
}

int ecl_stmt_run(ecl_stmt *st, ecl_err *e)
{
    bool row = true;
    while (row) {
        int rc = ecl_stmt_next(st, &row, e);
        if (rc)
            return rc;
    }
    return 0;
}

int ecl_stmt_ncols(const ecl_stmt *st)
{
    if (st->ls)
        return sqlite3_column_count(st->ls);
    return st->res ? PQnfields(st->res) : 0;
}

const char *ecl_stmt_colname(const ecl_stmt *st, int col)
{
    if (st->ls)
        return sqlite3_column_name(st->ls, col);
    return st->res ? PQfname(st->res, col) : NULL;
}

bool ecl_stmt_is_null(const ecl_stmt *st, int col)
{
    if (st->ls)
        return sqlite3_column_type(st->ls, col) == SQLITE_NULL;
    return !st->res || st->row < 0 || PQgetisnull(st->res, st->row, col);
}

const char *ecl_stmt_text(const ecl_stmt *st, int col)
{
    if (ecl_stmt_is_null(st, col))
        return NULL;
    if (st->ls)
        return (const char *)sqlite3_column_text(st->ls, col);
    return PQgetvalue(st->res, st->row, col);
}

int64_t ecl_stmt_int(const ecl_stmt *st, int col)
{
    if (ecl_stmt_is_null(st, col))
        return 0;
    if (st->ls)
        return sqlite3_column_int64(st->ls, col);
    const char *v = PQgetvalue(st->res, st->row, col);
    if (strcmp(v, "t") == 0)
        return 1;
    return strtoll(v, NULL, 10);
}

double ecl_stmt_double(const ecl_stmt *st, int col)
{
    if (ecl_stmt_is_null(st, col))
        return 0;
    if (st->ls)
        return sqlite3_column_double(st->ls, col);
    return strtod(PQgetvalue(st->res, st->row, col), NULL);
}

int64_t ecl_stmt_changes(const ecl_stmt *st) { return st->changes; }

void ecl_stmt_reset(ecl_stmt *st)
{
    if (st->ls) {
        sqlite3_reset(st->ls);
        st->lite_started = false;
    }
    if (st->res) {
        PQclear(st->res);
        st->res = NULL;
    }
    st->row = -1;
}

void ecl_stmt_free(ecl_stmt *st)
{
    if (!st)
        return;
    if (st->ls)
        sqlite3_finalize(st->ls);
    if (st->res)
        PQclear(st->res);
    for (int i = 0; i < st->nparams && st->params; i++)
        free(st->params[i]);
    free(st->params);
    free(st->sql);
    free(st);
}

static int prepare_bound(ecl_db *db, ecl_stmt **st, const char *sql, int nparams,
                         const char *const *params, ecl_err *e)
{
    int rc = ecl_db_prepare(db, st, sql, e);
    for (int i = 0; !rc && i < nparams; i++)
        if (ecl_stmt_bind_text(*st, i + 1, params[i]))
            rc = ecl_err_set(e, ECL_EINVAL, "cannot bind parameter %d of '%s'", i + 1, sql);
    if (rc) {
        ecl_stmt_free(*st);
        *st = NULL;
    }
    return rc;
}

int ecl_db_execp(ecl_db *db, const char *sql, int nparams, const char *const *params,
                 int64_t *changes, ecl_err *e)
{
    ecl_stmt *st;
    int rc = prepare_bound(db, &st, sql, nparams, params, e);
    if (!rc)
        rc = ecl_stmt_run(st, e);
    if (!rc && changes)
        *changes = ecl_stmt_changes(st);
    ecl_stmt_free(st);
    return rc;
}

int ecl_db_query_int(ecl_db *db, const char *sql, int nparams, const char *const *params,
                     int64_t *out, bool *found, ecl_err *e)
{
    ecl_stmt *st;
    *found = false;
    int rc = prepare_bound(db, &st, sql, nparams, params, e);
    bool row = false;
    if (!rc)
        rc = ecl_stmt_next(st, &row, e);
    if (!rc && row) {
        *found = !ecl_stmt_is_null(st, 0);
        *out = ecl_stmt_int(st, 0);
    }
    ecl_stmt_free(st);
    return rc;
}

int ecl_db_copy_begin(ecl_db *db, const char *copy_sql, ecl_err *e)
{
    if (db->kind != ECL_DB_POSTGRES)
        return ecl_err_set(e, ECL_EUNSUPPORTED, "COPY is only available on PostgreSQL ('%s')", db->name);
    PGresult *r = PQexec(db->pg, copy_sql);
    int rc = r && PQresultStatus(r) == PGRES_COPY_IN ? 0 : pg_fail(db, r, e, "COPY failed");
    PQclear(r);
    return rc;
}

int ecl_db_copy_put(ecl_db *db, const void *data, size_t n, ecl_err *e)
{
    const char *p = data;
    while (n > 0) {
        int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
        if (PQputCopyData(db->pg, p, chunk) != 1)
            return pg_fail(db, NULL, e, "COPY data failed");
        p += chunk;
        n -= (size_t)chunk;
    }
    return 0;
}

int ecl_db_copy_end(ecl_db *db, ecl_err *e)
{
    int rc = 0;
    if (PQputCopyEnd(db->pg, NULL) != 1)
        rc = pg_fail(db, NULL, e, "COPY end failed");
    PGresult *r;
    while ((r = PQgetResult(db->pg)) != NULL) {
        if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
            rc = pg_fail(db, r, e, "COPY failed");
        PQclear(r);
    }
    return rc;
}
