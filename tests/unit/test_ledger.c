/* Unit tests for the ledger: runs, partitions and the backfill_log audit table (SQLite; PostgreSQL
 * too when ECOMLAKE_TEST_PG_URL names a server). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/tmpdir.h"
#include "../../lib/ledger.h"

static char tmpdir_[256];

static int setup(void **state)
{
    (void)state;
    return ecl_test_mkdtemp(tmpdir_, sizeof tmpdir_, "ecl-ledger-");
}

static int teardown(void **state)
{
    (void)state;
    return ecl_test_rmtree(tmpdir_);
}

static void text_of(ecl_ledger *l, const char *sql, const char *param, char *out, size_t n)
{
    ecl_stmt *st;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_prepare(ecl_ledger_db(l), &st, sql, &e), 0);
    if (param)
        ecl_stmt_bind_text(st, 1, param);
    bool row;
    assert_int_equal(ecl_stmt_next(st, &row, &e), 0);
    assert_true(row);
    snprintf(out, n, "%s", ecl_stmt_text(st, 0) ? ecl_stmt_text(st, 0) : "(null)");
    ecl_stmt_free(st);
}

static void ledger_checks(const char *url, const char *bf)
{
    ecl_ledger *l;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_ledger_open(&l, url, &e), 0);
    bool found;
    char batch[128];
    int64_t ts = 0;
    assert_int_equal(ecl_ledger_find_backfill(l, bf, batch, &ts, &found, &e), 0);
    assert_false(found);

    char run1[64];
    snprintf(run1, sizeof run1, "%s-r1", bf);
    ecl_run_rec r = {.run_id = run1, .backfill_id = bf, .command = "backfill", .dataset = "ecom",
                     .dest = "lake", .start_date = "2024-01-01", .end_date = "2024-01-31", .seed = 42,
                     .messiness = "none", .config_hash = "abc", .generator_version = "1",
                     .batch_id = "backfill-1", .ingestion_ts = 1700000000000000LL, .args = "x",
                     .triggered_by = "tester"};
    assert_int_equal(ecl_ledger_run_start(l, &r, &e), 0);
    assert_int_equal(ecl_ledger_find_backfill(l, bf, batch, &ts, &found, &e), 0);
    assert_true(found);
    assert_string_equal(batch, "backfill-1");
    assert_int_equal(ts, 1700000000000000LL);

    /* A later run of the same backfill must not change what a resume reuses. */
    char run2[64];
    snprintf(run2, sizeof run2, "%s-r2", bf);
    ecl_run_rec r2 = r;
    r2.run_id = run2;
    r2.batch_id = "other";
    r2.ingestion_ts = 5;
    sleep(1); /* started_at has second resolution */
    assert_int_equal(ecl_ledger_run_start(l, &r2, &e), 0);
    assert_int_equal(ecl_ledger_find_backfill(l, bf, batch, &ts, &found, &e), 0);
    assert_string_equal(batch, "backfill-1");
    int64_t nruns = 0;
    assert_int_equal(ecl_ledger_count_runs(l, bf, &nruns, &e), 0);
    assert_int_equal(nruns, 2);
    assert_int_equal(ecl_ledger_run_finish(l, run1, "completed", 10, 20, 3, NULL, &e), 0);
    char v[128];
    text_of(l, "SELECT status FROM runs WHERE run_id = ?", run1, v, sizeof v);
    assert_string_equal(v, "completed");

    /* Partitions: writing -> committed, attempts counted, hook status kept unless given. */
    ecl_part_rec p = {.dest = bf, .table = "orders", .partition = "ingest_dt=2024-01-01",
                      .state = "writing", .run_id = run1, .batch_id = "backfill-1"};
    assert_int_equal(ecl_ledger_part_set(l, &p, &e), 0);
    ecl_part_state ps;
    assert_int_equal(ecl_ledger_part_get(l, bf, "orders", "ingest_dt=2024-01-01", &ps, &found, &e), 0);
    assert_true(found);
    assert_string_equal(ps.state, "writing");
    assert_string_equal(ps.hook_status, "none");
    p.state = "committed";
    p.rows = 600;
    p.bytes = 12345;
    p.files = 1;
    p.manifest_sha256 = "ff";
    assert_int_equal(ecl_ledger_part_set(l, &p, &e), 0);
    assert_int_equal(ecl_ledger_part_hook(l, bf, "orders", "ingest_dt=2024-01-01", "failed", "exit 1", &e), 0);
    p.state = "writing";
    assert_int_equal(ecl_ledger_part_set(l, &p, &e), 0);
    p.state = "committed";
    assert_int_equal(ecl_ledger_part_set(l, &p, &e), 0);
    assert_int_equal(ecl_ledger_part_get(l, bf, "orders", "ingest_dt=2024-01-01", &ps, &found, &e), 0);
    assert_string_equal(ps.state, "committed");
    assert_string_equal(ps.hook_status, "failed");
    assert_string_equal(ps.manifest_sha256, "ff");
    assert_int_equal(ps.rows, 600);
    text_of(l, "SELECT CAST(attempts AS TEXT) FROM partitions WHERE dest = ?", bf, v, sizeof v);
    assert_string_equal(v, "2");
    assert_int_equal(ecl_ledger_part_get(l, bf, "orders", "ingest_dt=2024-01-02", &ps, &found, &e), 0);
    assert_false(found);

    /* backfill_log: start -> failed (message clipped to 1000 chars) -> restarted -> completed. */
    ecl_chunk_rec c = {.backfill_id = bf, .run_id = run1, .chunk_index = 1, .table = "orders",
                       .start_date = "2024-01-01", .end_date = "2024-01-07", .triggered_by = "tester"};
    assert_int_equal(ecl_ledger_chunk_start(l, &c, &e), 0);
    text_of(l, "SELECT status FROM backfill_log WHERE backfill_id = ?", bf, v, sizeof v);
    assert_string_equal(v, "in_progress");
    char longmsg[2000];
    memset(longmsg, 'x', sizeof longmsg - 1);
    longmsg[sizeof longmsg - 1] = 0;
    c.status = "failed";
    c.error = longmsg;
    assert_int_equal(ecl_ledger_chunk_finish(l, &c, &e), 0);
    text_of(l, "SELECT CAST(LENGTH(error_message) AS TEXT) FROM backfill_log WHERE backfill_id = ?", bf, v,
            sizeof v);
    assert_string_equal(v, "1000");
    c.status = NULL;
    c.error = NULL;
    c.run_id = run2;
    assert_int_equal(ecl_ledger_chunk_start(l, &c, &e), 0);
    c.status = "completed";
    c.rows = 4200;
    c.partitions = 7;
    assert_int_equal(ecl_ledger_chunk_finish(l, &c, &e), 0);
    text_of(l, "SELECT status || ' ' || CAST(rows_affected AS TEXT) || ' ' || CAST(attempts AS TEXT) || ' ' ||"
               " run_id || ' ' || COALESCE(error_message, 'none') || ' ' || triggered_by"
               " FROM backfill_log WHERE backfill_id = ?", bf, v, sizeof v);
    char want[160];
    snprintf(want, sizeof want, "completed 4200 2 %s none tester", run2);
    assert_string_equal(v, want);
    text_of(l, "SELECT CASE WHEN completed_at IS NOT NULL AND started_at IS NOT NULL THEN 'y' ELSE 'n' END"
               " FROM backfill_log WHERE backfill_id = ?", bf, v, sizeof v);
    assert_string_equal(v, "y");
    /* A simulated chunk is recorded complete at once. */
    ecl_chunk_rec sim = c;
    sim.start_date = "2024-01-08";
    sim.end_date = "2024-01-14";
    sim.status = "simulated";
    assert_int_equal(ecl_ledger_chunk_start(l, &sim, &e), 0);
    text_of(l, "SELECT status FROM backfill_log WHERE backfill_id = ? AND start_date = '2024-01-08'", bf, v,
            sizeof v);
    assert_string_equal(v, "simulated");
    ecl_ledger_close(l);

    /* Reopening keeps everything (schema creation is idempotent). */
    assert_int_equal(ecl_ledger_open(&l, url, &e), 0);
    assert_int_equal(ecl_ledger_find_backfill(l, bf, batch, &ts, &found, &e), 0);
    assert_true(found);
    ecl_ledger_close(l);
}

static void sqlite_ledger(void **state)
{
    (void)state;
    char url[512];
    snprintf(url, sizeof url, "%s/state.sqlite", tmpdir_);
    ledger_checks(url, "bf-test");
}

static void postgres_ledger(void **state)
{
    (void)state;
    const char *url = getenv("ECOMLAKE_TEST_PG_URL");
    char bf[64];
    snprintf(bf, sizeof bf, "bf-pg-%ld", (long)getpid());
    ledger_checks(url, bf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sqlite_ledger),
        cmocka_unit_test(postgres_ledger),
    };
    /* The PostgreSQL case (last) runs only when a server is given. */
    const char *pg = getenv("ECOMLAKE_TEST_PG_URL");
    size_t n = sizeof tests / sizeof tests[0] - (pg && *pg ? 0 : 1);
    return _cmocka_run_group_tests("test_ledger", tests, n, setup, teardown);
}
