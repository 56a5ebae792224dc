/* Unit tests for the bronze warehouse on SQLite: schema, bulk load, replace by source, the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/warehouse.h"

static int64_t count(ecl_wh *w, const char *sql)
{
    int64_t n = -1;
    bool found;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_db_query_int(ecl_wh_db(w), sql, 0, NULL, &n, &found, &e), 0);
    return n;
}

static void load_replace_and_ledger(void **state)
{
    (void)state;
    char dir[] = "/tmp/ecl-wh-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char url[128];
    snprintf(url, sizeof url, "sqlite:%s/wh.db", dir);
    ecl_err e = ECL_ERR_INIT;
    ecl_wh *w;
    assert_int_equal(ecl_wh_open(&w, url, &e), 0);
    const char *src = "csv_sales/2026/02/01/unit_001/window_1214/pedido.csv";
    for (int round = 0; round < 2; round++) {
        assert_int_equal(ecl_wh_begin(w, &e), 0);
        assert_int_equal(ecl_wh_delete_source(w, ECL_WH_ORDERS, src, &e), 0);
        assert_int_equal(ecl_wh_load_open(w, ECL_WH_ORDERS, &e), 0);
        for (int i = 0; i < 3; i++) {
            char id[8];
            snprintf(id, sizeof id, "o%d", i);
            const char *vals[12] = {"1", id, "Loja Fisica", "2026-02-01", "10.50", NULL, "0.00",
                                    "Finalizado", NULL, src, "2026-02-02 00:00:00+00", "2026-02-02"};
            assert_int_equal(ecl_wh_load_row(w, vals, &e), 0);
        }
        assert_int_equal(ecl_wh_load_close(w, &e), 0);
        assert_int_equal(ecl_wh_ledger_put(w, src, "ab", 10, "10:1:1:7", "loaded", 3, 3, 0, "2026-02-02 00:00:00+00", &e), 0);
        assert_int_equal(ecl_wh_commit(w, &e), 0);
        assert_int_equal(count(w, "SELECT count(*) FROM orders"), 3); /* replaced, not appended */
    }
    assert_int_equal(count(w, "SELECT count(*) FROM orders WHERE endereco_entrega IS NULL"), 3);
    assert_int_equal(count(w, "SELECT CAST(sum(vlr_pedido) * 100 AS INTEGER) FROM orders"), 3150);
    /* a rolled back load leaves nothing */
    assert_int_equal(ecl_wh_begin(w, &e), 0);
    assert_int_equal(ecl_wh_delete_source(w, ECL_WH_ORDERS, src, &e), 0);
    ecl_wh_rollback(w);
    assert_int_equal(count(w, "SELECT count(*) FROM orders"), 3);

    assert_int_equal(ecl_wh_ledger_load(w, &e), 0);
    ecl_wh_entry cached;
    assert_true(ecl_wh_ledger_cached(w, src, &cached));
    assert_string_equal(cached.sha256, "ab");
    assert_string_equal(cached.status, "loaded");
    assert_string_equal(cached.stat_key, "10:1:1:7");
    assert_int_equal(cached.size, 10);
    assert_true(ecl_wh_ledger_stat_same(w, src, strlen(src), "10:1:1:7"));
    assert_false(ecl_wh_ledger_stat_same(w, src, strlen(src), "10:1:1:8"));
    assert_false(ecl_wh_ledger_cached(w, "other.csv", NULL));
    /* a put replaces the cached entry */
    assert_int_equal(ecl_wh_ledger_put(w, src, "cd", 11, "11:2:2:7", "partial", 3, 2, 1, "t", &e), 0);
    assert_true(ecl_wh_ledger_cached(w, src, &cached));
    assert_string_equal(cached.sha256, "cd");
    assert_string_equal(cached.status, "partial");
    assert_false(ecl_wh_ledger_stat_same(w, src, strlen(src), "10:1:1:7"));
    ecl_wh_entry got;
    bool found;
    assert_int_equal(ecl_wh_ledger_get(w, src, &got, &found, &e), 0);
    assert_true(found);
    assert_int_equal(got.size, 11); /* the put above, outside a transaction */

    /* reference ids come back sorted and distinct */
    assert_int_equal(ecl_wh_begin(w, &e), 0);
    assert_int_equal(ecl_wh_load_open(w, ECL_WH_UNITS, &e), 0);
    const char *ids[] = {"3", "1", "3", "2"};
    for (int i = 0; i < 4; i++) {
        const char *vals[6] = {ids[i], "u", "1", "reference_data/unidade.csv", "t", "d"};
        assert_int_equal(ecl_wh_load_row(w, vals, &e), 0);
    }
    assert_int_equal(ecl_wh_load_close(w, &e), 0);
    assert_int_equal(ecl_wh_commit(w, &e), 0);
    int64_t *v;
    size_t n;
    assert_int_equal(ecl_wh_ref_ids(w, ECL_WH_UNITS, &v, &n, &e), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0], 1);
    assert_int_equal(v[2], 3);
    free(v);
    ecl_wh_close(w);
    /* reopening finds the schema in place */
    assert_int_equal(ecl_wh_open(&w, url, &e), 0);
    assert_int_equal(count(w, "SELECT count(*) FROM ingest_ledger"), 1);
    ecl_wh_close(w);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_replace_and_ledger),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
