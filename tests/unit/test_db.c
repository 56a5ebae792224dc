/* Unit tests for the database layer: SQLite always; PostgreSQL too when ECOMLAKE_TEST_PG_URL names
 * a server (the same checks run against both engines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/tmpdir.h"
#include "../../lib/db.h"

static char tmpdir_[256];

static const char *sqlite_url(const char *name)
{
    static char url[512];
    snprintf(url, sizeof url, "sqlite:%s/%s", tmpdir_, name);
    return url;
}

static int setup(void **state)
{
    (void)state;
    return ecl_test_mkdtemp(tmpdir_, sizeof tmpdir_, "ecl-db-");
}

static int teardown(void **state)
{
    (void)state;
    return ecl_test_rmtree(tmpdir_);
}

/* The checks every engine must pass. */
static void crud_checks(ecl_db *db)
{
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_exec(db, "DROP TABLE IF EXISTS t; CREATE TABLE t (id BIGINT PRIMARY KEY,"
                                     " name TEXT, score DOUBLE PRECISION)", &e), 0);
    ecl_stmt *st;
    assert_int_equal(ecl_db_prepare(db, &st, "INSERT INTO t (id, name, score) VALUES (?, ?, ?)", &e), 0);
    for (int i = 1; i <= 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "n'%d?", i); /* quotes and '?' inside values are data */
        assert_int_equal(ecl_stmt_bind_int(st, 1, i), 0);
        if (i == 2)
            assert_int_equal(ecl_stmt_bind_null(st, 2), 0);
        else
            assert_int_equal(ecl_stmt_bind_text(st, 2, name), 0);
        assert_int_equal(ecl_stmt_bind_double(st, 3, i * 1.5), 0);
        assert_int_equal(ecl_stmt_run(st, &e), 0);
        assert_int_equal(ecl_stmt_changes(st), 1);
        ecl_stmt_reset(st);
    }
    assert_int_not_equal(ecl_stmt_bind_int(st, 9, 1), 0);
    ecl_stmt_free(st);

    /* A '?' inside a string literal is not a parameter. */
    assert_int_equal(ecl_db_prepare(db, &st, "SELECT id, name, score, 'lit?' FROM t WHERE id >= ? ORDER BY id", &e), 0);
    assert_int_equal(ecl_stmt_bind_int(st, 1, 1), 0);
    bool row;
    int n = 0;
    for (;;) {
        assert_int_equal(ecl_stmt_next(st, &row, &e), 0);
        if (!row)
            break;
        n++;
        assert_int_equal(ecl_stmt_int(st, 0), n);
        assert_int_equal(ecl_stmt_ncols(st), 4);
        assert_string_equal(ecl_stmt_colname(st, 1), "name");
        if (n == 2) {
            assert_true(ecl_stmt_is_null(st, 1));
            assert_null(ecl_stmt_text(st, 1));
        } else {
            char want[16];
            snprintf(want, sizeof want, "n'%d?", n);
            assert_string_equal(ecl_stmt_text(st, 1), want);
        }
        assert_true(ecl_stmt_double(st, 2) == n * 1.5);
        assert_string_equal(ecl_stmt_text(st, 3), "lit?");
    }
    assert_int_equal(n, 3);
    ecl_stmt_free(st);

    /* Upsert through ON CONFLICT, counted changes, convenience helpers. */
    const char *p[] = {"2", "two"};
    int64_t changes = 0;
    assert_int_equal(ecl_db_execp(db, "INSERT INTO t (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE"
                                      " SET name = excluded.name", 2, p, &changes, &e), 0);
    assert_int_equal(changes, 1);
    int64_t v = 0;
    bool found;
    const char *q[] = {"two"};
    assert_int_equal(ecl_db_query_int(db, "SELECT id FROM t WHERE name = ?", 1, q, &v, &found, &e), 0);
    assert_true(found);
    assert_int_equal(v, 2);
    const char *q2[] = {"none"};
    assert_int_equal(ecl_db_query_int(db, "SELECT id FROM t WHERE name = ?", 1, q2, &v, &found, &e), 0);
    assert_false(found);

    /* A rolled-back transaction leaves nothing behind. */
    assert_int_equal(ecl_db_begin(db, &e), 0);
    assert_true(ecl_db_in_transaction(db));
    assert_int_equal(ecl_db_exec(db, "DELETE FROM t", &e), 0);
    ecl_db_rollback(db);
    assert_false(ecl_db_in_transaction(db));
    assert_int_equal(ecl_db_query_int(db, "SELECT COUNT(*) FROM t", 0, NULL, &v, &found, &e), 0);
    assert_int_equal(v, 3);

    /* Errors carry the engine's message and never crash. */
    ecl_err bad = ECL_ERR_INIT;
    assert_int_not_equal(ecl_db_exec(db, "SELECT * FROM no_such_table", &bad), 0);
    assert_non_null(strstr(bad.msg, "no_such_table"));
    assert_int_equal(ecl_db_exec(db, "DROP TABLE t", &e), 0);
}

static void sqlite_crud(void **state)
{
    (void)state;
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_open(&db, sqlite_url("a.sqlite"), &e), 0);
    assert_int_equal(ecl_db_kind_of(db), ECL_DB_SQLITE);
    crud_checks(db);
    ecl_db_close(db);
    /* A plain path works too. */
    char path[512];
    snprintf(path, sizeof path, "%s/plain.sqlite", tmpdir_);
    assert_int_equal(ecl_db_open(&db, path, &e), 0);
    ecl_db_close(db);
    assert_int_equal(access(path, F_OK), 0);
}

static void sqlite_bad_path(void **state)
{
    (void)state;
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    assert_int_not_equal(ecl_db_open(&db, "sqlite:/nonexistent-dir/x/y.sqlite", &e), 0);
    assert_null(db);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x/y.sqlite"));
}

static void url_redaction(void **state)
{
    (void)state;
    assert_true(ecl_db_url_is_postgres("postgresql://u:p@h/db"));
    assert_true(ecl_db_url_is_postgres("postgres://h/db"));
    assert_false(ecl_db_url_is_postgres("sqlite:x"));
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    /* Port 1 on loopback refuses at once; the message must not leak the password. */
    assert_int_not_equal(ecl_db_open(&db, "postgresql://user:secret@127.0.0.1:1/db?connect_timeout=2", &e), 0);
    assert_null(strstr(e.msg, "secret"));
    assert_non_null(strstr(e.msg, "user:***@127.0.0.1"));
}

typedef struct writer_ctx {
    const char *url;
    int rc;
} writer_ctx;

static int add_row(ecl_db *db, void *ctx, ecl_err *e)
{
    (void)ctx;
    return ecl_db_exec(db, "INSERT INTO c (v) VALUES (1)", e);
}

static void *writer(void *arg)
{
    writer_ctx *w = arg;
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    w->rc = ecl_db_open(&db, w->url, &e);
    for (int i = 0; !w->rc && i < 50; i++)
        w->rc = ecl_db_with_retry(db, 10, add_row, NULL, &e);
    ecl_db_close(db);
    return NULL;
}

/* Two connections writing at once (as two processes would) both succeed, nothing is lost. */
static void sqlite_concurrent_writers(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "%s", sqlite_url("c.sqlite"));
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_open(&db, url, &e), 0);
    assert_int_equal(ecl_db_exec(db, "CREATE TABLE c (v INTEGER)", &e), 0);
    /* Hold the write lock briefly while the writers start: they must wait, not fail. */
    assert_int_equal(ecl_db_begin(db, &e), 0);
    writer_ctx w[2] = {{url, -1}, {url, -1}};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, writer, &w[i]);
    usleep(200000);
    assert_int_equal(ecl_db_commit(db, &e), 0);
    for (int i = 0; i < 2; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].rc, 0);
    }
    int64_t n = 0;
    bool found;
    assert_int_equal(ecl_db_query_int(db, "SELECT COUNT(*) FROM c", 0, NULL, &n, &found, &e), 0);
    assert_int_equal(n, 100);
    ecl_db_close(db);
}

static void postgres_crud(void **state)
{
    (void)state;
    const char *url = getenv("ECOMLAKE_TEST_PG_URL");
    ecl_db *db;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_open(&db, url, &e), 0);
    assert_int_equal(ecl_db_kind_of(db), ECL_DB_POSTGRES);
    crud_checks(db);
    ecl_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_crud),
        cmocka_unit_test(sqlite_bad_path),
        cmocka_unit_test(url_redaction),
        cmocka_unit_test(sqlite_concurrent_writers),
        cmocka_unit_test(postgres_crud),
    };
    /* The PostgreSQL case (last) runs only when a server is given. */
    const char *pg = getenv("ECOMLAKE_TEST_PG_URL");
    size_t n = sizeof tests / sizeof tests[0] - (pg && *pg ? 0 : 1);
    return _cmocka_run_group_tests("test_db", tests, n, setup, teardown);
}
