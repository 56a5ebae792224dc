/* Unit tests for the statistics checker behind `verify --deep`: files our writer makes pass (every
 * type, nulls, NaN, signed zeros, strings over 4096 bytes, many pages), and each kind of lie patched
 * into their bytes (chunk and page, min/max and the deprecated fields, null_count) is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/parquet.h"
#include "../../lib/pq_check.h"
#include "../../lib/pq_format.h"

enum { C_STR, C_I32, C_I64, C_DBL, C_BOOL, C_DATE, C_NAN, C_LONG, C_ZERO, C_NULL, NCOL };

static ecl_schema schema;
static ecl_buf file;

static int setup(void **state)
{
    (void)state;
    ecl_schema_init(&schema);
    static const struct {
        const char *name;
        ecl_type t;
    } cols[NCOL] = {{"s", ECL_T_STRING}, {"i", ECL_T_INT32},     {"l", ECL_T_INT64}, {"d", ECL_T_DOUBLE},
                    {"b", ECL_T_BOOL},   {"day", ECL_T_DATE},    {"nan", ECL_T_DOUBLE}, {"long", ECL_T_STRING},
                    {"z", ECL_T_DOUBLE}, {"none", ECL_T_INT64}};
    for (int k = 0; k < NCOL; k++)
        assert_int_equal(ecl_schema_add(&schema, cols[k].name, cols[k].t, true), 0);
    ecl_batch b;
    assert_int_equal(ecl_batch_init(&b, &schema), 0);
    char *big = malloc(5000);
    memset(big, 'q', 5000);
    for (int i = 0; i < 3000; i++) {
        char s[32];
        snprintf(s, sizeof s, "k%05d", (i * 7919) % 3000);
        bool null = i % 17 == 3;
        null ? ecl_col_push_null(&b.cols[C_STR]) : ecl_col_push_cstr(&b.cols[C_STR], s);
        null ? ecl_col_push_null(&b.cols[C_I32]) : ecl_col_push_i32(&b.cols[C_I32], (i * 37) % 1001 - 500);
        ecl_col_push_i64(&b.cols[C_I64], (int64_t)i * 1000003 - 7);
        ecl_col_push_f64(&b.cols[C_DBL], i % 5 == 0 ? NAN : i % 7 == 0 ? -0.0 : (i % 100) * 0.25 - 10);
        ecl_col_push_bool(&b.cols[C_BOOL], i % 3 == 0);
        ecl_col_push_i32(&b.cols[C_DATE], 18000 + i % 400);
        i % 2 ? ecl_col_push_f64(&b.cols[C_NAN], NAN) : ecl_col_push_null(&b.cols[C_NAN]);
        ecl_col_push_str(&b.cols[C_LONG], big, i == 1500 ? 5000 : (size_t)(i % 50));
        ecl_col_push_f64(&b.cols[C_ZERO], i % 2 ? 0.0 : 3.5); /* minimum +0.0: stated as -0.0 */
        ecl_col_push_null(&b.cols[C_NULL]);
    }
    free(big);
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    o.page_bytes = 512; /* many pages per column */
    o.threads = 1;
    ecl_buf_init(&file, 0);
    ecl_out out;
    ecl_out_mem(&out, &file);
    ecl_pq_writer *w;
    assert_int_equal(ecl_pq_writer_open(&w, &out, &schema, &o, &e), 0);
    assert_int_equal(ecl_pq_writer_write(w, &b, &e), 0);
    assert_int_equal(ecl_pq_writer_finish(w, &e), 0);
    ecl_pq_writer_free(w);
    ecl_batch_release(&b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ecl_buf_release(&file);
    ecl_schema_release(&schema);
    return 0;
}

/* Checks every column of every row group of data; returns the first complaint ("" when none). */
static void check_all(const uint8_t *data, size_t n, char *why, size_t whylen)
{
    ecl_pq_reader *r;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_pq_reader_open_mem(&r, data, n, &e), 0);
    assert_true(ecl_pq_written_by_us(r));
    why[0] = 0;
    for (size_t rg = 0; !why[0] && rg < ecl_pq_reader_num_row_groups(r); rg++) {
        ecl_batch b;
        assert_int_equal(ecl_batch_init(&b, ecl_pq_reader_schema(r)), 0);
        assert_int_equal(ecl_pq_reader_read_row_group(r, rg, &b, &e), 0);
        for (size_t c = 0; !why[0] && c < NCOL; c++) {
            char w[900];
            if (ecl_pq_check_stats(r, rg, c, &b.cols[c], b.cols[c].len, true, w, sizeof w))
                snprintf(why, whylen, "column '%s' %s", schema.fields[c].name, w);
        }
        ecl_batch_release(&b);
    }
    ecl_pq_reader_free(r);
}

static void honest_file_passes(void **state)
{
    (void)state;
    char why[1000];
    check_all(file.data, file.len, why, sizeof why);
    if (why[0])
        fail_msg("%s", why);
    /* and the file is what the cases below assume */
    ecl_pq_reader *r;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    ecl_pq_raw_stats st;
    assert_int_equal(ecl_pq_reader_raw_stats(r, 0, C_NAN, &st), 0);
    assert_null(st.min); /* all NaN or null: no min/max */
    assert_int_equal(ecl_pq_reader_raw_stats(r, 0, C_LONG, &st), 0);
    assert_null(st.min); /* a 5000-byte value: left out */
    assert_int_equal(ecl_pq_reader_raw_stats(r, 0, C_ZERO, &st), 0);
    double z;
    memcpy(&z, st.min, 8);
    assert_true(z == 0 && signbit(z));
    size_t np = 0;
    assert_int_equal(ecl_pq_reader_pages(r, 0, C_STR, NULL, 0, &np, &e), 0);
    assert_true(np > 3);
    ecl_pq_reader_free(r);
}

typedef enum { AT_CHUNK, AT_PAGE } where;
typedef enum { F_MIN, F_MAX, F_MIN_DEP, F_MAX_DEP, F_NULLS } field;

/* Patches one statistic of column col (the chunk's, or that of data page `page`) in a copy of the
 * file with fn and returns the checker's complaint. */
static void lie(int col, where at, int page, field f, void (*fn)(uint8_t *p, size_t n), char *why, size_t whylen)
{
    ecl_pq_reader *r;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    ecl_pq_raw_stats st;
    if (at == AT_CHUNK) {
        assert_int_equal(ecl_pq_reader_raw_stats(r, 0, (size_t)col, &st), 0);
    } else {
        ecl_pq_page_info pages[256];
        size_t np = 0;
        assert_int_equal(ecl_pq_reader_pages(r, 0, (size_t)col, pages, 256, &np, &e), 0);
        int k = -1;
        for (size_t p = 0; p < np && p < 256; p++)
            if (pages[p].type == PQ_PAGE_DATA && ++k == page)
                st = pages[p].stats;
        assert_true(k >= page);
    }
    const uint8_t *p = NULL;
    size_t n = 0;
    switch (f) {
    case F_MIN: p = st.min, n = st.min_len; break;
    case F_MAX: p = st.max, n = st.max_len; break;
    case F_MIN_DEP: p = st.min_dep, n = st.min_dep_len; break;
    case F_MAX_DEP: p = st.max_dep, n = st.max_dep_len; break;
    case F_NULLS:
        /* field 3 (i64) right after the deprecated min: header byte 0x16, then a zigzag varint */
        assert_non_null(st.min_dep);
        p = st.min_dep + st.min_dep_len;
        assert_int_equal(p[0], 0x16);
        p++;
        n = 1;
        assert_true((p[0] & 0x7f) < 0x7c); /* room to add 4 without a carry */
        break;
    }
    assert_non_null(p);
    size_t off = (size_t)(p - file.data);
    ecl_pq_reader_free(r);
    uint8_t *copy = malloc(file.len);
    memcpy(copy, file.data, file.len);
    fn(copy + off, n);
    check_all(copy, file.len, why, whylen);
    free(copy);
}

static void bump_last(uint8_t *p, size_t n) { p[n - 1]++; }
static void bump_first(uint8_t *p, size_t n) { (void)n; p[0]++; }
static void drop_first(uint8_t *p, size_t n) { (void)n; p[0]--; }
static void plus_zero(uint8_t *p, size_t n) { p[n - 1] &= 0x7f; } /* -0.0 -> +0.0 */
static void make_nan(uint8_t *p, size_t n)
{
    double d = NAN;
    assert_int_equal(n, 8);
    memcpy(p, &d, 8);
}
static void two_more_nulls(uint8_t *p, size_t n) { (void)n; p[0] += 4; } /* zigzag: +2 */

static void expect(const char *why, const char *want)
{
    if (!strstr(why, want))
        fail_msg("expected '%s' in '%s'", want, why);
}

static void lies_are_named(void **state)
{
    (void)state;
    char why[1000];
    lie(C_STR, AT_CHUNK, 0, F_MAX, bump_last, why, sizeof why);
    expect(why, "column 's' chunk statistics: max_value is \"k0299:\", the data's maximum is \"k02999\"");
    lie(C_STR, AT_PAGE, 2, F_MIN, bump_first, why, sizeof why);
    expect(why, "column 's' data page 2 (rows ");
    expect(why, "statistics: min_value is \"l");
    lie(C_I32, AT_CHUNK, 0, F_NULLS, two_more_nulls, why, sizeof why);
    expect(why, "column 'i' chunk statistics: null_count is ");
    lie(C_I32, AT_PAGE, 1, F_NULLS, two_more_nulls, why, sizeof why);
    expect(why, "column 'i' data page 1 (rows ");
    expect(why, "null_count is ");
    lie(C_I64, AT_CHUNK, 0, F_MIN_DEP, bump_first, why, sizeof why);
    expect(why, "column 'l' chunk statistics: min (deprecated) is -6, the data's minimum is -7");
    lie(C_I64, AT_PAGE, 0, F_MAX, drop_first, why, sizeof why);
    expect(why, "column 'l' data page 0 (rows 0-");
    expect(why, "max_value is ");
    lie(C_DBL, AT_CHUNK, 0, F_MAX, make_nan, why, sizeof why);
    expect(why, "column 'd' chunk statistics: max_value is nan, the data's maximum is 14.75");
    lie(C_ZERO, AT_CHUNK, 0, F_MIN, plus_zero, why, sizeof why);
    expect(why, "column 'z' chunk statistics: min_value is +0.0; the Parquet spec asks for -0.0 when the minimum is zero");
    lie(C_BOOL, AT_CHUNK, 0, F_MAX, drop_first, why, sizeof why);
    expect(why, "column 'b' chunk statistics: max_value is false, the data's maximum is true");
    lie(C_BOOL, AT_PAGE, 0, F_MAX_DEP, drop_first, why, sizeof why);
    expect(why, "column 'b' data page 0 (rows 0-");
    expect(why, "max (deprecated) is false");
    lie(C_DATE, AT_CHUNK, 0, F_MIN, bump_first, why, sizeof why);
    expect(why, "column 'day' chunk statistics: min_value is 2019-04-15, the data's minimum is 2019-04-14");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(honest_file_passes),
        cmocka_unit_test(lies_are_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
