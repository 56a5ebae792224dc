/* Unit tests for the core: error slot, byte buffer, column batches, calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/buf.h"
#include "../../lib/column.h"
#include "../../lib/err.h"

static void err_is_sticky(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_err_set(&e, ECL_EIO, "first %d", 1), ECL_EIO);
    assert_int_equal(ecl_err_set(&e, ECL_EINVAL, "second"), ECL_EIO);
    assert_string_equal(e.msg, "first 1");
    ecl_err_prefix(&e, "partition '%s'", "x");
    assert_string_equal(e.msg, "partition 'x': first 1");
    ecl_err_clear(&e);
    assert_int_equal(e.code, ECL_OK);
    assert_int_equal(ecl_err_errno(&e, 28 /* ENOSPC */, "cannot write '%s'", "f"), ECL_ENOSPC);
}

static void buf_invariants(void **state)
{
    (void)state;
    ecl_buf b = ECL_BUF_INIT;
    assert_non_null(b.data);
    assert_int_equal(b.data[0], 0);
    assert_int_equal(ecl_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_int_equal(b.data[3], 0);
    assert_int_equal(ecl_buf_printf(&b, "%05d", 42), 0);
    assert_memory_equal(b.data, "a\0b00042", 8);
    size_t n;
    uint8_t *p = ecl_buf_detach(&b, &n);
    assert_int_equal(n, 8);
    assert_int_equal(b.len, 0);
    free(p);
    ecl_buf capped;
    ecl_buf_init(&capped, 4);
    assert_int_equal(ecl_buf_append(&capped, "abcd", 4), 0);
    assert_int_equal(ecl_buf_append(&capped, "e", 1), ECL_ENOMEM);
    assert_true(ecl_buf_oom(&capped));
    assert_int_equal(capped.len, 4);
    ecl_buf_release(&capped);
}

static void array_grow(void **state)
{
    (void)state;
    int *v = NULL;
    size_t cap = 0;
    for (size_t n = 0; n < 1000; n++) {
        assert_int_equal(ecl_array_grow((void **)&v, &cap, n, sizeof *v), 0);
        assert_true(cap > n);
        assert_int_equal(v[n], 0); /* new slots are zeroed */
        v[n] = (int)n + 1;
    }
    assert_int_equal(v[999], 1000);
    size_t before = cap;
    assert_int_equal(ecl_array_grow((void **)&v, &cap, 10, sizeof *v), 0);
    assert_int_equal(cap, before);
    size_t huge = SIZE_MAX / 2;
    assert_int_equal(ecl_array_grow((void **)&v, &cap, huge, sizeof *v), ECL_ENOMEM);
    assert_int_equal(cap, before);
    free(v);
}

static void batch_push_and_copy(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    assert_int_equal(ecl_schema_add(&s, "id", ECL_T_INT64, false), 0);
    assert_int_equal(ecl_schema_add(&s, "name", ECL_T_STRING, true), 0);
    assert_int_equal(ecl_schema_add_decimal(&s, "amt", 12, 2, true), 0);
    assert_int_equal(ecl_schema_add_decimal(&s, "bad", 19, 2, true), ECL_EINVAL);
    assert_int_equal(ecl_schema_find(&s, "name"), 1);
    assert_int_equal(ecl_schema_find(&s, "nope"), -1);
    ecl_batch b, c;
    assert_int_equal(ecl_batch_init(&b, &s), 0);
    assert_int_equal(ecl_batch_init(&c, &s), 0);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(ecl_col_push_i64(&b.cols[0], i), 0);
        if (i % 7 == 0)
            assert_int_equal(ecl_col_push_null(&b.cols[1]), 0);
        else
            assert_int_equal(ecl_col_push_cstr(&b.cols[1], i % 2 ? "odd" : "ünïcødé"), 0);
        assert_int_equal(ecl_col_push_i64(&b.cols[2], -i * 100 - 1), 0);
    }
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    assert_int_equal(b.nrows, 1000);
    assert_int_equal(b.cols[1].nnull, 143);
    for (size_t i = 0; i < b.nrows; i += 3)
        assert_int_equal(ecl_batch_append_row(&c, &b, i), 0);
    assert_int_equal(c.nrows, 334);
    size_t n;
    const char *p = ecl_col_str(&c.cols[1], 1, &n); /* row 3: odd */
    assert_int_equal(n, 3);
    assert_memory_equal(p, "odd", 3);
    assert_true(ecl_col_is_null(&c.cols[1], 0));
    assert_int_equal(ecl_col_i64(&c.cols[2], 2), -601);
    ecl_col_push_i64(&b.cols[0], 5);
    ecl_err_clear(&e);
    assert_int_equal(ecl_batch_seal(&b, &e), ECL_EINVAL);
    ecl_batch_clear(&b);
    assert_int_equal(b.cols[1].len, 0);
    ecl_batch_release(&b);
    ecl_batch_release(&c);
    ecl_schema_release(&s);
}

static void types_parse(void **state)
{
    (void)state;
    ecl_type t;
    int p, s;
    assert_int_equal(ecl_type_parse("decimal(12,2)", &t, &p, &s), 0);
    assert_int_equal(t, ECL_T_DECIMAL);
    assert_int_equal(p, 12);
    assert_int_equal(s, 2);
    assert_int_equal(ecl_type_parse("decimal(12,13)", &t, &p, &s), ECL_EINVAL);
    assert_int_equal(ecl_type_parse("decimal(12,2)x", &t, &p, &s), ECL_EINVAL);
    assert_int_equal(ecl_type_parse("timestamp", &t, &p, &s), 0);
    assert_int_equal(t, ECL_T_TIMESTAMP);
    assert_int_equal(ecl_type_parse("varchar", &t, &p, &s), ECL_EINVAL);
}

static void calendar(void **state)
{
    (void)state;
    assert_int_equal(ecl_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(ecl_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(ecl_days_from_civil(1969, 12, 31), -1);
    int32_t d;
    assert_int_equal(ecl_date_parse("2024-02-29", 10, &d), 0);
    assert_int_equal(ecl_date_parse("2023-02-29", 10, &d), ECL_EINVAL);
    assert_int_equal(ecl_date_parse("2024-02-30", 10, &d), ECL_EINVAL);
    assert_int_equal(ecl_date_parse("2024-2-01", 9, &d), ECL_EINVAL);
    assert_int_equal(ecl_date_parse("1900-02-29", 10, &d), ECL_EINVAL);
    assert_int_equal(ecl_date_parse("2000-02-29", 10, &d), 0);
    /* every day from 1800 to 2200 round-trips */
    for (int32_t x = ecl_days_from_civil(1800, 1, 1); x < ecl_days_from_civil(2200, 1, 1); x++) {
        char s[11];
        ecl_date_format(x, s);
        int32_t back;
        assert_int_equal(ecl_date_parse(s, 10, &back), 0);
        assert_int_equal(back, x);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(err_is_sticky),        cmocka_unit_test(buf_invariants), cmocka_unit_test(array_grow),
        cmocka_unit_test(batch_push_and_copy),  cmocka_unit_test(types_parse),
        cmocka_unit_test(calendar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
