/* Unit tests for the Thrift compact protocol writer and reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/err.h"
#include "../../lib/thrift.h"

/* Writes a nested structure touching every encoding rule, reads it back field by field. */
static void round_trip_nested(void **state)
{
    (void)state;
    ecl_buf b = ECL_BUF_INIT;
    ecl_thr_w w;
    ecl_thr_w_init(&w, &b);
    ecl_thr_w_struct_begin(&w);
    ecl_thr_w_i32_field(&w, 1, -1);
    ecl_thr_w_bool_field(&w, 2, true);
    ecl_thr_w_bool_field(&w, 3, false);
    ecl_thr_w_i64_field(&w, 20, INT64_MIN); /* delta > 15: long form */
    ecl_thr_w_struct_field(&w, 21);
    ecl_thr_w_i32_field(&w, 1, INT32_MAX);
    ecl_thr_w_struct_field(&w, 300);
    ecl_thr_w_string_field(&w, 2, "inner");
    ecl_thr_w_struct_end(&w);
    ecl_thr_w_struct_end(&w);
    ecl_thr_w_list_field(&w, 22, ECL_THR_I32, 20);
    for (int i = 0; i < 20; i++)
        ecl_thr_w_i32(&w, i - 10);
    ecl_thr_w_field(&w, 23, ECL_THR_DOUBLE);
    ecl_thr_w_double(&w, -2.5);
    ecl_thr_w_i32_field(&w, 5, 7); /* negative delta: long form */
    ecl_thr_w_struct_end(&w);
    assert_int_equal(ecl_thr_w_error(&w), 0);

    ecl_thr_r r;
    ecl_thr_r_init(&r, b.data, b.len);
    int16_t last, id;
    int type;
    ecl_thr_r_struct_begin(&r, &last);
    int seen = 0;
    while (ecl_thr_r_field(&r, &last, &type, &id)) {
        seen++;
        switch (id) {
        case 1: assert_int_equal(ecl_thr_r_i32_typed(&r, type), -1); break;
        case 2: assert_int_equal(type, ECL_THR_TRUE); break;
        case 3: assert_int_equal(type, ECL_THR_FALSE); break;
        case 20: assert_true(ecl_thr_r_i64_typed(&r, type) == INT64_MIN); break;
        case 21: {
            int16_t l2, id2;
            int t2;
            ecl_thr_r_struct_begin(&r, &l2);
            assert_true(ecl_thr_r_field(&r, &l2, &t2, &id2));
            assert_int_equal(id2, 1);
            assert_int_equal(ecl_thr_r_i32(&r), INT32_MAX);
            assert_true(ecl_thr_r_field(&r, &l2, &t2, &id2));
            assert_int_equal(id2, 300);
            assert_int_equal(t2, ECL_THR_STRUCT);
            ecl_thr_r_skip(&r, t2);
            assert_false(ecl_thr_r_field(&r, &l2, &t2, &id2));
            ecl_thr_r_struct_end(&r);
            break;
        }
        case 22: {
            int et;
            size_t n = ecl_thr_r_list(&r, &et);
            assert_int_equal(n, 20);
            assert_int_equal(et, ECL_THR_I32);
            for (int i = 0; i < 20; i++)
                assert_int_equal(ecl_thr_r_i32(&r), i - 10);
            break;
        }
        case 23: assert_true(ecl_thr_r_double(&r) == -2.5); break;
        case 5: assert_int_equal(ecl_thr_r_i32(&r), 7); break;
        default: fail();
        }
    }
    ecl_thr_r_struct_end(&r);
    assert_int_equal(ecl_thr_r_error(&r), 0);
    assert_int_equal(seen, 8);
    assert_ptr_equal(r.p, r.end);
    ecl_buf_release(&b);
}

static void wire_format(void **state)
{
    (void)state;
    ecl_buf b = ECL_BUF_INIT;
    ecl_thr_w w;
    ecl_thr_w_init(&w, &b);
    ecl_thr_w_struct_begin(&w);
    ecl_thr_w_i32_field(&w, 1, 3);    /* 0x15 0x06 */
    ecl_thr_w_i32_field(&w, 17, -2);  /* delta 16: 0x05, zigzag(17)=0x22, value 0x03 */
    ecl_thr_w_binary_field(&w, 18, "ab", 2); /* 0x18 0x02 'a' 'b' */
    ecl_thr_w_struct_end(&w);
    const uint8_t want[] = {0x15, 0x06, 0x05, 0x22, 0x03, 0x18, 0x02, 'a', 'b', 0x00};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    ecl_buf_clear(&b);
    ecl_thr_w_varint(&w, 300);
    assert_int_equal(b.len, 2);
    assert_int_equal(b.data[0], 0xAC);
    assert_int_equal(b.data[1], 0x02);
    ecl_buf_release(&b);
}

static void reader_rejects_garbage(void **state)
{
    (void)state;
    /* truncated varint, overlong varint, binary longer than input, list longer than input */
    const uint8_t a[] = {0x16, 0x80};
    const uint8_t v[] = {0x16, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01};
    const uint8_t s[] = {0x18, 0x7F, 'x'};
    const uint8_t l[] = {0x19, 0xF5, 0xFF, 0xFF, 0x03};
    const uint8_t *cases[] = {a, v, s, l};
    size_t lens[] = {sizeof a, sizeof v, sizeof s, sizeof l};
    for (int i = 0; i < 4; i++) {
        ecl_thr_r r;
        ecl_thr_r_init(&r, cases[i], lens[i]);
        ecl_thr_r_skip(&r, ECL_THR_STRUCT);
        assert_int_equal(ecl_thr_r_error(&r), ECL_EFORMAT);
    }
    /* nesting deeper than the limit */
    uint8_t deep[100];
    for (int i = 0; i < 100; i++)
        deep[i] = 0x1C; /* field 1, struct */
    ecl_thr_r r;
    ecl_thr_r_init(&r, deep, sizeof deep);
    ecl_thr_r_skip(&r, ECL_THR_STRUCT);
    assert_int_equal(ecl_thr_r_error(&r), ECL_EFORMAT);
}

static void writer_depth_errors_are_sticky(void **state)
{
    (void)state;
    ecl_buf b = ECL_BUF_INIT;
    ecl_thr_w w;
    ecl_thr_w_init(&w, &b);
    ecl_thr_w_i32_field(&w, 1, 1); /* no open struct */
    assert_int_equal(ecl_thr_w_error(&w), ECL_EINVAL);
    ecl_thr_w_struct_begin(&w);
    ecl_thr_w_struct_end(&w);
    assert_int_equal(ecl_thr_w_error(&w), ECL_EINVAL);
    ecl_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_nested),
        cmocka_unit_test(wire_format),
        cmocka_unit_test(reader_rejects_garbage),
        cmocka_unit_test(writer_depth_errors_are_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
