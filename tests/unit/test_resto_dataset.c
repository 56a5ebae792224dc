/* Unit tests for the restaurant dataset behind dataset.h: registry, tables, a day emitted from any
 * cursor start is identical, the day equals its seven windows, static snapshots, Parquet windows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dataset.h"
#include "../../lib/parquet.h"
#include "../../lib/resto/resto_publish.h"

static ecl_model *open_resto(uint64_t seed)
{
    ecl_model *m = NULL;
    ecl_err e = ECL_ERR_INIT;
    ecl_model_opts o = {.dataset = "restaurant", .seed = seed, .seed_set = true};
    assert_int_equal(ecl_model_open(&m, &o, &e), 0);
    return m;
}

static void registry_and_tables(void **state)
{
    (void)state;
    ecl_model *m = open_resto(1);
    assert_int_equal(ecl_model_ntables(m), 6);
    assert_int_equal(ecl_model_table_index(m, "orders"), 0);
    assert_int_equal(ecl_model_table_index(m, "order_items"), 1);
    const ecl_model_table *t = ecl_model_table_at(m, ecl_model_table_index(m, "units"));
    assert_int_equal(t->kind, ECL_TABLE_STATIC);
    assert_string_equal(t->partition_key, "reference_version");
    assert_true(ecl_schema_find(&t->schema, "reference_version") >= 0);
    assert_string_equal(ecl_model_messiness(m), "none");
    assert_int_equal(ecl_model_seed(m), 1);
    ecl_model_free(m);

    ecl_err e = ECL_ERR_INIT;
    ecl_model_opts bad = {.dataset = "pizzeria"};
    assert_int_equal(ecl_model_open(&m, &bad, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "known: ecom, restaurant"));
    ecl_err e2 = ECL_ERR_INIT;
    ecl_model_opts mess = {.dataset = "restaurant", .messiness = "light_mess"};
    assert_int_equal(ecl_model_open(&m, &mess, &e2), ECL_EINVAL);
}

/* Emits `day` from a cursor opened at `start` into fresh batches. */
static void emit_day(ecl_model *m, int32_t start, int32_t day, ecl_batch out[6])
{
    ecl_err e = ECL_ERR_INIT;
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(ecl_batch_init(&out[i], &ecl_model_table_at(m, i)->schema), 0);
    ecl_cursor *c;
    assert_int_equal(ecl_cursor_open(&c, m, start, &e), 0);
    while (ecl_cursor_day(c) < day)
        assert_int_equal(ecl_cursor_step(c, false, out, NULL, &e), 0);
    assert_int_equal(ecl_cursor_step(c, true, out, NULL, &e), 0);
    assert_int_equal(ecl_cursor_day(c), day + 1);
    ecl_cursor_free(c);
}

static void encode(const ecl_batch *b, ecl_buf *out)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_out o;
    ecl_out_mem(&o, out);
    assert_int_equal(ecl_resto_write_parquet(&o, b, "t", 0, NULL, &e), 0);
}

static void day_is_chunk_invariant_and_equals_windows(void **state)
{
    (void)state;
    ecl_model *m = open_resto(9);
    int32_t d = ecl_days_from_civil(2026, 2, 10);
    ecl_batch a[6], b[6];
    emit_day(m, d, d, a);
    emit_day(m, d - 5, d, b);
    for (size_t t = 0; t < 2; t++) {
        assert_true(a[t].nrows > 0);
        ecl_buf x = ECL_BUF_INIT, y = ECL_BUF_INIT;
        encode(&a[t], &x);
        encode(&b[t], &y);
        assert_int_equal(x.len, y.len);
        assert_memory_equal(x.data, y.data, x.len);
        ecl_buf_release(&x);
        ecl_buf_release(&y);
    }
    /* the day is its seven windows for every unit, in window then unit order */
    ecl_resto_unit *u;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_resto_units(50, &u, &e), 0);
    ecl_batch o, it;
    assert_int_equal(ecl_batch_init(&o, ecl_resto_schema(ECL_RESTO_PEDIDO)), 0);
    assert_int_equal(ecl_batch_init(&it, ecl_resto_schema(ECL_RESTO_ITEM_PEDIDO)), 0);
    ecl_resto_gen g = {9, NULL};
    for (int w = 0; w < ECL_RESTO_NWINDOWS; w++)
        for (int k = 0; k < 50; k++)
            assert_int_equal(ecl_resto_gen_window(&g, d, &u[k], &ecl_resto_windows[w], &o, &it, &e), 0);
    assert_int_equal(o.nrows, a[0].nrows);
    assert_int_equal(it.nrows, a[1].nrows);
    for (size_t r = 0; r < o.nrows; r++) {
        size_t n1, n2;
        const char *p1 = ecl_col_str(&o.cols[1], r, &n1), *p2 = ecl_col_str(&a[0].cols[1], r, &n2);
        assert_int_equal(n1, n2);
        assert_memory_equal(p1, p2, n1);
        assert_int_equal(ecl_col_i64(&o.cols[8], r), ecl_col_i64(&a[0].cols[8], r));
        assert_int_equal(ecl_col_is_null(&o.cols[5], r), ecl_col_is_null(&a[0].cols[5], r));
    }
    ecl_batch_release(&o);
    ecl_batch_release(&it);
    free(u);
    for (size_t t = 0; t < 6; t++) {
        ecl_batch_release(&a[t]);
        ecl_batch_release(&b[t]);
    }
    ecl_model_free(m);
}

static void static_snapshots(void **state)
{
    (void)state;
    ecl_model *m = open_resto(0);
    static const struct { const char *name; size_t rows; } want[] = {
        {"products", 30}, {"units", 50}, {"states", 3}, {"countries", 1}};
    for (size_t k = 0; k < 4; k++) {
        int i = ecl_model_table_index(m, want[k].name);
        assert_true(i >= 2);
        const ecl_model_table *t = ecl_model_table_at(m, (size_t)i);
        ecl_batch b;
        ecl_err e = ECL_ERR_INIT;
        assert_int_equal(ecl_batch_init(&b, &t->schema), 0);
        assert_int_equal(ecl_model_emit_static(m, (size_t)i, &b, &e), 0);
        assert_int_equal(b.nrows, want[k].rows);
        int vc = ecl_schema_find(&t->schema, "reference_version");
        for (size_t r = 0; r < b.nrows; r++)
            assert_int_equal(ecl_col_i32(&b.cols[vc], r), 1);
        assert_int_equal(ecl_col_i32(&b.cols[0], 0), 1); /* ids from 1 */
        ecl_batch_release(&b);
    }
    ecl_err e = ECL_ERR_INIT;
    ecl_batch b;
    assert_int_equal(ecl_batch_init(&b, &ecl_model_table_at(m, 0)->schema), 0);
    assert_int_equal(ecl_model_emit_static(m, 0, &b, &e), ECL_EINVAL); /* orders is daily */
    ecl_batch_release(&b);
    ecl_model_free(m);
}

static void parquet_window_reads_back(void **state)
{
    (void)state;
    ecl_resto_unit *u;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_resto_units(2, &u, &e), 0);
    ecl_batch o, it;
    assert_int_equal(ecl_batch_init(&o, ecl_resto_schema(ECL_RESTO_PEDIDO)), 0);
    assert_int_equal(ecl_batch_init(&it, ecl_resto_schema(ECL_RESTO_ITEM_PEDIDO)), 0);
    ecl_resto_gen g = {3, NULL};
    int32_t d = ecl_days_from_civil(2026, 2, 1);
    assert_int_equal(ecl_resto_gen_window(&g, d, &u[1], &ecl_resto_windows[4], &o, &it, &e), 0);
    ecl_buf x = ECL_BUF_INIT;
    encode(&o, &x);
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, x.data, x.len, &e), 0);
    assert_int_equal(ecl_pq_reader_num_rows(r), (int64_t)o.nrows);
    const ecl_schema *s = ecl_pq_reader_schema(r);
    assert_int_equal(s->nfields, o.schema->nfields);
    for (size_t j = 0; j < s->nfields; j++) {
        assert_string_equal(s->fields[j].name, o.schema->fields[j].name);
        assert_int_equal(s->fields[j].type, o.schema->fields[j].type);
    }
    assert_string_equal(ecl_pq_reader_kv(r, "ecomlake.dataset"), "restaurant");
    ecl_batch back;
    assert_int_equal(ecl_batch_init(&back, s), 0);
    assert_int_equal(ecl_pq_reader_read_row_group(r, 0, &back, &e), 0);
    for (size_t row = 0; row < o.nrows; row++) {
        assert_int_equal(ecl_col_i64(&back.cols[4], row), ecl_col_i64(&o.cols[4], row));
        assert_int_equal(ecl_col_i64(&back.cols[8], row), ecl_col_i64(&o.cols[8], row));
        assert_int_equal(ecl_col_is_null(&back.cols[5], row), ecl_col_is_null(&o.cols[5], row));
    }
    ecl_batch_release(&back);
    ecl_pq_reader_free(r);
    ecl_buf_release(&x);
    ecl_batch_release(&o);
    ecl_batch_release(&it);
    free(u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(registry_and_tables),
        cmocka_unit_test(day_is_chunk_invariant_and_equals_windows),
        cmocka_unit_test(static_snapshots),
        cmocka_unit_test(parquet_window_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
