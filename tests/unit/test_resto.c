/* Unit tests for the restaurant model: reference data, unit list, window table and skip rule,
 * volumes per window, money identities, reference integrity, timestamps, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/resto/resto.h"

static void products_and_prices(void **state)
{
    (void)state;
    int64_t sum = 0, lo = INT64_MAX, hi = 0;
    for (int i = 0; i < ECL_RESTO_NPRODUCTS; i++) {
        assert_int_equal(ecl_resto_products[i].id, i + 1);
        sum += ecl_resto_products[i].price_cents;
        lo = ecl_resto_products[i].price_cents < lo ? ecl_resto_products[i].price_cents : lo;
        hi = ecl_resto_products[i].price_cents > hi ? ecl_resto_products[i].price_cents : hi;
    }
    assert_int_equal(sum, 68240);
    assert_int_equal(lo, 790);
    assert_int_equal(hi, 5290);
    assert_string_equal(ecl_resto_product_by_id(25)->name, "Salmao ao Molho de Maracuja");
    assert_null(ecl_resto_product_by_id(0));
    assert_null(ecl_resto_product_by_id(31));
}

static void unit_list_split_and_unique_names(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_resto_unit *u;
    assert_int_equal(ecl_resto_units(50, &u, &e), 0);
    int per[4] = {0};
    for (int i = 0; i < 50; i++) {
        assert_int_equal(u[i].id, i + 1);
        per[u[i].state_id]++;
        assert_memory_equal(u[i].name, "Mr. Health - ", 13);
        for (int j = 0; j < i; j++)
            assert_string_not_equal(u[i].name, u[j].name);
    }
    assert_int_equal(per[1], 20);
    assert_int_equal(per[2], 18);
    assert_int_equal(per[3], 12);
    assert_string_equal(u[20].name, "Mr. Health - Florianopolis");
    assert_string_equal(u[35].name, "Mr. Health - Florianopolis II");
    assert_string_equal(u[38].name, "Mr. Health - Curitiba");
    assert_string_equal(u[49].name, "Mr. Health - Toledo");
    free(u);

    /* Small N as the original, and the surplus case (18 rounds to 7+6+4=17) dealt deterministically. */
    static const int small[][6] = {{1, 1}, {2, 1, 2}, {3, 1, 2, 3}, {5, 1, 1, 2, 2, 3}};
    for (size_t k = 0; k < 4; k++) {
        int n = small[k][0];
        assert_int_equal(ecl_resto_units(n, &u, &e), 0);
        for (int i = 0; i < n; i++)
            assert_int_equal(u[i].state_id, small[k][i + 1]);
        free(u);
    }
    for (int n = 1; n <= 200; n++) {
        assert_int_equal(ecl_resto_units(n, &u, &e), 0);
        for (int i = 0; i < n; i++) {
            assert_int_equal(u[i].id, i + 1);
            for (int j = 0; j < i; j++)
                assert_string_not_equal(u[i].name, u[j].name);
        }
        free(u);
    }
    assert_int_equal(ecl_resto_units(0, &u, &e), ECL_EINVAL);
}

static void window_table_tags_and_skip_rule(void **state)
{
    (void)state;
    static const char *const tags[] = {"window_1012", "window_1214", "window_1416", "window_1618",
                                       "window_1820", "window_2022", "window_2224"};
    for (int h = 0; h < 24; h++) {
        const ecl_resto_window *w = ecl_resto_window_starting(h);
        if (h >= 10 && h <= 22 && h % 2 == 0) {
            assert_non_null(w);
            assert_string_equal(w->tag, tags[(h - 10) / 2]);
            assert_int_equal(w->end_hour, h + 2);
            assert_ptr_equal(ecl_resto_window_find(h, h + 2), w);
        } else {
            assert_null(w); /* outside business hours: skipped */
        }
    }
    assert_ptr_equal(ecl_resto_window_find(22, 0), ecl_resto_window_find(22, 24));
    assert_null(ecl_resto_window_find(12, 13));
    assert_null(ecl_resto_window_find(22, 23));
    ecl_err e = ECL_ERR_INIT;
    int h;
    assert_int_equal(ecl_resto_parse_hhmm("22:00", &h, &e), 0);
    assert_int_equal(h, 22);
    assert_int_equal(ecl_resto_parse_hhmm("24:00", &h, &e), 0);
    ecl_err_clear(&e);
    assert_int_equal(ecl_resto_parse_hhmm("12:30", &h, &e), ECL_EINVAL);
    ecl_err_clear(&e);
    assert_int_equal(ecl_resto_parse_hhmm("1200", &h, &e), ECL_EINVAL);
    ecl_err_clear(&e);
    assert_int_equal(ecl_resto_parse_hhmm("25:00", &h, &e), ECL_EINVAL);
}

typedef struct gen_fix {
    ecl_resto_unit *units;
    ecl_batch o, i;
} gen_fix;

static int find_str(const ecl_column *c, size_t n, const char *s)
{
    size_t len = strlen(s), m;
    for (size_t k = 0; k < n; k++) {
        const char *p = ecl_col_str(c, k, &m);
        if (m == len && memcmp(p, s, m) == 0)
            return (int)k;
    }
    return -1;
}

static void volumes_money_and_integrity(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_resto_unit *u;
    assert_int_equal(ecl_resto_units(50, &u, &e), 0);
    ecl_resto_gen g = {7, "America/Sao_Paulo"};
    int32_t d0 = ecl_days_from_civil(2026, 2, 1);
    for (int wi = 0; wi < ECL_RESTO_NWINDOWS; wi++) {
        const ecl_resto_window *w = &ecl_resto_windows[wi];
        int seen_min = 0, seen_max = 0;
        for (int32_t d = d0; d < d0 + 3; d++) {
            for (int k = 0; k < 50; k++) {
                ecl_batch o, it;
                assert_int_equal(ecl_batch_init(&o, ecl_resto_schema(ECL_RESTO_PEDIDO)), 0);
                assert_int_equal(ecl_batch_init(&it, ecl_resto_schema(ECL_RESTO_ITEM_PEDIDO)), 0);
                assert_int_equal(ecl_resto_gen_window(&g, d, &u[k], w, &o, &it, &e), 0);
                int n = (int)o.nrows;
                assert_true(n >= w->min_orders && n <= w->max_orders);
                seen_min |= n == w->min_orders;
                seen_max |= n == w->max_orders;
                /* window start/end instants: Sao Paulo is UTC-3 all year since 2019 */
                int64_t ws = ((int64_t)d * 86400 + w->start_hour * 3600 + 3 * 3600) * 1000000;
                int64_t we = ws + 2LL * 3600 * 1000000;
                int64_t itemsum[8] = {0};
                for (size_t r = 0; r < it.nrows; r++) {
                    size_t m;
                    const char *oid = ecl_col_str(&it.cols[0], r, &m);
                    char buf[40];
                    memcpy(buf, oid, m);
                    buf[m] = 0;
                    int oi = find_str(&o.cols[1], o.nrows, buf);
                    assert_true(oi >= 0); /* every item references an order of its window */
                    const ecl_resto_product *p = ecl_resto_product_by_id(ecl_col_i32(&it.cols[2], r));
                    assert_non_null(p);
                    int q = ecl_col_i32(&it.cols[3], r);
                    assert_true(q >= 1 && q <= 3);
                    assert_int_equal(ecl_col_i64(&it.cols[4], r), p->price_cents);
                    itemsum[oi] += q * p->price_cents;
                }
                for (size_t r = 0; r < o.nrows; r++) {
                    assert_int_equal(ecl_col_i32(&o.cols[0], r), u[k].id);
                    assert_int_equal(ecl_col_i32(&o.cols[3], r), d);
                    size_t m;
                    const char *type = ecl_col_str(&o.cols[2], r, &m);
                    int64_t fee = ecl_col_i64(&o.cols[6], r);
                    const char *addr = ecl_col_str(&o.cols[5], r, &m);
                    if (strncmp(type, "Loja Online", 11) == 0) {
                        assert_true(fee >= 500 && fee <= 2500);
                        assert_true(m > 0);
                        char want[64];
                        snprintf(want, sizeof want, "%s / %s", u[k].city,
                                 ecl_resto_state_by_id(u[k].state_id)->abbrev);
                        assert_non_null(memmem(addr, m, want, strlen(want)));
                        assert_null(memchr(addr, ';', m));
                    } else {
                        assert_memory_equal(type, "Loja Fisica", 11);
                        assert_int_equal(fee, 0);
                        assert_int_equal(m, 0);
                    }
                    assert_int_equal(ecl_col_i64(&o.cols[4], r), itemsum[r] + fee);
                    int64_t ts = ecl_col_i64(&o.cols[8], r);
                    assert_true(ts >= ws && ts < we);
                    if (r > 0)
                        assert_true(ts >= ecl_col_i64(&o.cols[8], r - 1));
                }
                ecl_batch_release(&o);
                ecl_batch_release(&it);
            }
        }
        assert_true(seen_min && seen_max);
    }
    free(u);
}

static void regeneration_is_byte_identical(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_resto_unit *u;
    assert_int_equal(ecl_resto_units(5, &u, &e), 0);
    ecl_resto_gen g = {42, NULL};
    int32_t d = ecl_days_from_civil(2026, 2, 1);
    ecl_buf out[3] = {ECL_BUF_INIT, ECL_BUF_INIT, ECL_BUF_INIT};
    uint64_t seeds[3] = {42, 42, 43};
    for (int run = 0; run < 3; run++) {
        g.seed = seeds[run];
        ecl_batch o, it;
        assert_int_equal(ecl_batch_init(&o, ecl_resto_schema(ECL_RESTO_PEDIDO)), 0);
        assert_int_equal(ecl_batch_init(&it, ecl_resto_schema(ECL_RESTO_ITEM_PEDIDO)), 0);
        /* run 1 generates the units in reverse: each (unit, window) is independent of the others */
        for (int k = 0; k < 5; k++) {
            int uk = run == 1 ? 4 - k : k;
            ecl_batch_clear(&o);
            ecl_batch_clear(&it);
            assert_int_equal(ecl_resto_gen_window(&g, d, &u[uk], &ecl_resto_windows[4], &o, &it, &e), 0);
            ecl_buf one = ECL_BUF_INIT;
            ecl_out o1;
            ecl_out_mem(&o1, &one);
            assert_int_equal(ecl_resto_write_csv(&o1, &o, NULL, &e), 0);
            assert_int_equal(ecl_resto_write_csv(&o1, &it, NULL, &e), 0);
            /* the reversed run prepends, so the concatenation is in unit order for every run */
            ecl_buf joined = ECL_BUF_INIT;
            ecl_buf_append(&joined, run == 1 ? one.data : out[run].data, run == 1 ? one.len : out[run].len);
            ecl_buf_append(&joined, run == 1 ? out[run].data : one.data, run == 1 ? out[run].len : one.len);
            ecl_buf_release(&out[run]);
            ecl_buf_release(&one);
            out[run] = joined;
        }
        ecl_batch_release(&o);
        ecl_batch_release(&it);
    }
    assert_int_equal(out[0].len, out[1].len);
    assert_memory_equal(out[0].data, out[1].data, out[0].len);
    assert_true(out[0].len != out[2].len || memcmp(out[0].data, out[2].data, out[0].len) != 0);
    for (int run = 0; run < 3; run++)
        ecl_buf_release(&out[run]);
    free(u);
}

static void ids_are_derived_and_distinct(void **state)
{
    (void)state;
    char a[37], b[37], c[37];
    int32_t d = ecl_days_from_civil(2026, 2, 1);
    ecl_resto_order_id(1, d, 1, 12, 1, a);
    ecl_resto_order_id(1, d, 1, 12, 1, b);
    assert_string_equal(a, b);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[14], '8');
    assert_true(strchr("89ab", a[19]) != NULL);
    ecl_resto_order_id(1, d, 1, 12, 2, c);
    assert_string_not_equal(a, c);
    ecl_resto_order_id(1, d, 2, 12, 1, c);
    assert_string_not_equal(a, c);
    ecl_resto_order_id(1, d, 1, 14, 1, c);
    assert_string_not_equal(a, c);
    ecl_resto_order_id(1, d + 1, 1, 12, 1, c);
    assert_string_not_equal(a, c);
    ecl_resto_item_id(1, d, 1, 12, 1, 1, c);
    assert_string_not_equal(a, c);
}

static void timezone_conversions(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    int64_t t;
    int32_t d = ecl_days_from_civil(2026, 2, 1), dd;
    assert_int_equal(ecl_tz_local_to_utc("America/Sao_Paulo", d, 12 * 3600, &t, &e), 0);
    assert_int_equal(t, (int64_t)d * 86400 + 15 * 3600);
    int sod, off;
    assert_int_equal(ecl_tz_utc_to_local("America/Sao_Paulo", t, &dd, &sod, &off, &e), 0);
    assert_int_equal(dd, d);
    assert_int_equal(sod, 12 * 3600);
    assert_int_equal(off, -3 * 3600);
    /* a zone with DST: Berlin is UTC+2 in July, UTC+1 in January */
    int32_t jul = ecl_days_from_civil(2026, 7, 1);
    assert_int_equal(ecl_tz_local_to_utc("Europe/Berlin", jul, 12 * 3600, &t, &e), 0);
    assert_int_equal(t, (int64_t)jul * 86400 + 10 * 3600);
    assert_int_equal(ecl_tz_check("America/Sao_Paulo", &e), 0);
    assert_int_equal(ecl_tz_check("Mars/Olympus", &e), ECL_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(products_and_prices),
        cmocka_unit_test(unit_list_split_and_unique_names),
        cmocka_unit_test(window_table_tags_and_skip_rule),
        cmocka_unit_test(volumes_money_and_integrity),
        cmocka_unit_test(regeneration_is_byte_identical),
        cmocka_unit_test(ids_are_derived_and_distinct),
        cmocka_unit_test(timezone_conversions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
