/* Unit tests for the CSV reader, value parsing and the writer's formatting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/csv.h"

typedef struct rec {
    size_t n;
    char f[16][64];
    bool quoted[16];
    uint32_t col[16];
    uint64_t line[16];
} rec;

static ecl_csv_reader *open_text(const char *text, size_t len, const ecl_csv_dialect *d)
{
    ecl_csv_reader *r = NULL;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_csv_open_mem(&r, "in.csv", (const uint8_t *)text, len, d, &e))
        fail_msg("open: %s", e.msg);
    return r;
}

static int next(ecl_csv_reader *r, rec *out, ecl_err *e)
{
    const ecl_csv_field *f;
    size_t n;
    int rc = ecl_csv_next(r, &f, &n, e);
    if (rc)
        return rc;
    out->n = n;
    for (size_t i = 0; i < n && i < 16; i++) {
        snprintf(out->f[i], sizeof out->f[i], "%.*s", (int)f[i].n, f[i].p);
        out->quoted[i] = f[i].quoted;
        out->col[i] = f[i].col;
        out->line[i] = f[i].line;
    }
    return 0;
}

static ecl_csv_dialect plain(void)
{
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    d.header = false;
    return d;
}

static void quotes_and_newlines(void **state)
{
    (void)state;
    ecl_csv_dialect d = plain();
    const char *t = "a,\"b,1\",\"say \"\"hi\"\"\"\r\n"
                    "\"multi\nline\",x,\r\n"
                    "\"\",,z";
    ecl_csv_reader *r = open_text(t, strlen(t), &d);
    ecl_err e = ECL_ERR_INIT;
    rec x;
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.f[0], "a");
    assert_string_equal(x.f[1], "b,1");
    assert_true(x.quoted[1]);
    assert_string_equal(x.f[2], "say \"hi\"");
    assert_int_equal(x.col[2], 9);
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(x.n, 3);
    assert_string_equal(x.f[0], "multi\nline");
    assert_int_equal(x.line[0], 2);
    assert_int_equal(x.line[1], 3); /* after the embedded newline */
    assert_int_equal(x.col[1], 7);
    assert_string_equal(x.f[2], "");
    assert_false(x.quoted[2]);
    assert_int_equal(ecl_csv_line(r), 2);
    assert_int_equal(next(r, &x, &e), 0); /* last line without a newline */
    assert_int_equal(x.n, 3);
    assert_string_equal(x.f[0], "");
    assert_true(x.quoted[0]);
    assert_false(x.quoted[1]);
    assert_string_equal(x.f[2], "z");
    assert_int_equal(x.line[2], 4);
    assert_int_equal(next(r, &x, &e), ECL_ENOTFOUND);
    ecl_csv_free(r);
}

static void line_ends_bom_blank_lines(void **state)
{
    (void)state;
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    const char *t = "\xEF\xBB\xBFid;name\r\n1;x\n\n2;y\r3;z\r\n\r\n";
    d.delimiter = ';';
    ecl_csv_reader *r = open_text(t, strlen(t), &d);
    const ecl_csv_field *h;
    size_t nh;
    ecl_csv_header(r, &h, &nh);
    assert_int_equal(nh, 2);
    assert_int_equal(h[0].n, 2);
    assert_memory_equal(h[0].p, "id", 2); /* BOM skipped */
    assert_int_equal(h[0].col, 1);
    ecl_err e = ECL_ERR_INIT;
    rec x;
    const char *want[] = {"1", "2", "3"};
    const uint64_t lines[] = {2, 4, 5};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(next(r, &x, &e), 0);
        assert_int_equal(x.n, 2);
        assert_string_equal(x.f[0], want[i]);
        assert_int_equal(x.line[0], lines[i]);
    }
    assert_int_equal(next(r, &x, &e), ECL_ENOTFOUND);
    ecl_csv_free(r);

    /* a one-column file keeps blank lines as empty records */
    d = plain();
    t = "a\n\nb\n";
    r = open_text(t, strlen(t), &d);
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.f[0], "");
    assert_int_equal(next(r, &x, &e), 0);
    assert_string_equal(x.f[0], "b");
    assert_int_equal(next(r, &x, &e), ECL_ENOTFOUND);
    ecl_csv_free(r);
}

static void expect_error(const char *text, size_t len, const char *want, int code)
{
    ecl_csv_dialect d = plain();
    ecl_csv_reader *r = open_text(text, len, &d);
    ecl_err e = ECL_ERR_INIT;
    rec x;
    int rc;
    while ((rc = next(r, &x, &e)) == 0)
        ;
    assert_int_equal(rc, code);
    if (!strstr(e.msg, want))
        fail_msg("'%s' lacks '%s'", e.msg, want);
    ecl_csv_free(r);
}

static void syntax_errors(void **state)
{
    (void)state;
    expect_error("a,b\n1,\"open\n2,3\n", 16, "in.csv:2:3: unterminated quoted field", ECL_EFORMAT);
    expect_error("a,b\n1,x\"y\n", 10, "in.csv:2:4: stray quote in an unquoted field", ECL_EFORMAT);
    expect_error("a,b\n1,\"x\"y\n", 11, "in.csv:2:6: unexpected 'y' after the closing quote", ECL_EFORMAT);
    expect_error("a,b,c\n1,2\n", 10, "in.csv:2:4: expected 3 fields, got 2", ECL_EINVAL);
    expect_error("a,b\n1,2,3\n", 10, "in.csv:2:5: expected 2 fields, got 3", ECL_EINVAL);
    /* a multi-line quoted field shifts the lines after it */
    expect_error("a,b\n\"x\ny\nz\",1\n2,\"q\"\"\n", 21, "in.csv:5:3: unterminated", ECL_EFORMAT);
    expect_error("a,b\n\"x\ny\nz\",1\n2\n", 16, "in.csv:5:2: expected 2 fields, got 1", ECL_EINVAL);
}

static void bad_utf8(void **state)
{
    (void)state;
    expect_error("ok,\xC3\xA9t\xC3\xA9,\xFF\n", 11, "in.csv:1:8: invalid UTF-8: byte that never appears in UTF-8 (byte 0xFF at byte column 10)", ECL_EFORMAT);
    expect_error("a,\xC0\xAF\n", 5, "in.csv:1:3: invalid UTF-8: overlong encoding (byte 0xC0", ECL_EFORMAT);
    expect_error("a,\xE0\x80\xAF\n", 6, "overlong encoding", ECL_EFORMAT);
    expect_error("a,\xED\xA0\x80\n", 6, "UTF-16 surrogate", ECL_EFORMAT);
    expect_error("a,\xF4\x90\x80\x80\n", 7, "above U+10FFFF", ECL_EFORMAT);
    expect_error("a,\xE2\x82", 4, "truncated sequence", ECL_EFORMAT);
    expect_error("a,\"\xE2\x82\"", 6, "truncated sequence", ECL_EFORMAT);
    expect_error("a,\x80", 3, "unexpected continuation byte", ECL_EFORMAT);
    /* valid multibyte text passes and columns count characters */
    ecl_csv_dialect d = plain();
    const char *t = "\xE2\x82\xAC\xF0\x9F\x98\x80,x";
    ecl_csv_reader *r = open_text(t, strlen(t), &d);
    ecl_err e = ECL_ERR_INIT;
    rec x;
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(x.col[1], 4);
    ecl_csv_free(r);
}

static void recovers_after_errors(void **state)
{
    (void)state;
    ecl_csv_dialect d = plain();
    const char *t = "a,b\n1,x\"y\n2,3,4\n5,6\n";
    ecl_csv_reader *r = open_text(t, strlen(t), &d);
    ecl_err e = ECL_ERR_INIT;
    rec x;
    assert_int_equal(next(r, &x, &e), 0);
    assert_int_equal(next(r, &x, &e), ECL_EFORMAT);
    ecl_err_clear(&e);
    assert_int_equal(next(r, &x, &e), ECL_EINVAL);
    ecl_err_clear(&e);
    assert_int_equal(next(r, &x, &e), 0);
    assert_string_equal(x.f[0], "5");
    assert_int_equal(x.line[0], 4);
    ecl_csv_free(r);
}

static void long_fields_from_file(void **state)
{
    (void)state;
    /* a file larger than the read window, with a 3 MB quoted field and multibyte text across refills */
    char path[] = "/tmp/ecl-csv-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("id,text\n", f);
    fputs("1,\"", f);
    for (int i = 0; i < 1000000; i++)
        fputs("\xC3\xA9\"\"", f); /* é and an escaped quote */
    fputs("\"\n", f);
    for (int i = 0; i < 100000; i++)
        fprintf(f, "%d,row \xE2\x82\xAC %d\n", i + 2, i);
    fclose(f);
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    ecl_csv_reader *r = NULL;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_csv_open(&r, path, &d, &e), 0);
    const ecl_csv_field *fl;
    size_t n;
    assert_int_equal(ecl_csv_next(r, &fl, &n, &e), 0);
    assert_int_equal(fl[1].n, 3000000);
    assert_memory_equal(fl[1].p, "\xC3\xA9\"", 3);
    size_t rows = 1;
    while (ecl_csv_next(r, &fl, &n, &e) == 0) {
        rows++;
        assert_int_equal(n, 2);
        assert_int_equal(fl[0].line, rows + 1);
    }
    assert_int_equal(e.code, ECL_OK);
    assert_int_equal(rows, 100001);
    ecl_csv_free(r);
    unlink(path);
}

/* ---------------------------------------------------------------- batches */

/* Batches of at most 2 rows; a bad value, a bad field count and a stray quote are each reported
 * with file:line:col, the good rows around them are all delivered, and nothing of a bad row stays. */
static void read_batches(void **state)
{
    (void)state;
    static const char text[] = "id,extra,name,when\n"
                               "1,x,alpha,2024-01-02\n"
                               "2,x,,2024-01-03\n"
                               "three,x,gamma,2024-01-04\n"
                               "4,x,delta\n"
                               "5,x,\"eps\"\"ilon\",2024-01-06\n"
                               "6,x,zeta\"oops,2024-01-07\n"
                               "7,x,\"\",\n";
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    ecl_csv_reader *r = open_text(text, sizeof text - 1, &d);
    ecl_schema s;
    ecl_schema_init(&s);
    assert_int_equal(ecl_schema_add(&s, "id", ECL_T_INT64, false), 0);
    assert_int_equal(ecl_schema_add(&s, "name", ECL_T_STRING, true), 0);
    assert_int_equal(ecl_schema_add(&s, "when", ECL_T_DATE, true), 0);
    assert_int_equal(ecl_schema_add(&s, "absent", ECL_T_DOUBLE, true), 0);
    int map[4];
    size_t unknown = 9;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_csv_map_header(r, &s, map, &unknown, &e), 0);
    assert_int_equal(unknown, 1);
    assert_int_equal(map[0], 0);
    assert_int_equal(map[1], 2);
    assert_int_equal(map[2], 3);
    assert_int_equal(map[3], -1);
    ecl_batch b, all;
    assert_int_equal(ecl_batch_init(&b, &s), 0);
    assert_int_equal(ecl_batch_init(&all, &s), 0);
    const char *errs[3] = {"in.csv:4:1: column 'id'", "in.csv:5:", "in.csv:7:"};
    size_t nerr = 0, calls = 0;
    for (bool done = false; !done; calls++) {
        ecl_batch_clear(&b);
        ecl_err re = ECL_ERR_INIT;
        int rc = ecl_csv_read_batch(r, &s, map, &d, &b, 2, &done, &re);
        assert_true(b.nrows <= 2);
        for (size_t k = 0; k < s.nfields; k++)
            assert_int_equal(b.cols[k].len, b.nrows);
        for (size_t i = 0; i < b.nrows; i++)
            assert_int_equal(ecl_batch_append_row(&all, &b, i), 0);
        if (rc) {
            assert_true(nerr < 3);
            if (strncmp(re.msg, errs[nerr], strlen(errs[nerr])) != 0)
                fail_msg("error %zu: %s", nerr, re.msg);
            nerr++;
        }
        assert_true(calls < 20);
    }
    assert_int_equal(nerr, 3);
    assert_int_equal(ecl_batch_seal(&all, &e), 0);
    assert_int_equal(all.nrows, 4);
    int64_t ids[4] = {1, 2, 5, 7};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(ecl_col_i64(&all.cols[0], i), ids[i]);
        assert_true(ecl_col_is_null(&all.cols[3], i));
    }
    size_t n;
    const char *p = ecl_col_str(&all.cols[1], 2, &n);
    assert_int_equal(n, 8);
    assert_memory_equal(p, "eps\"ilon", 8);
    assert_true(ecl_col_is_null(&all.cols[1], 1));  /* unquoted empty: null */
    assert_false(ecl_col_is_null(&all.cols[1], 3)); /* quoted empty: "" */
    assert_true(ecl_col_is_null(&all.cols[2], 3));
    assert_int_equal(all.cols[1].nnull, 1);
    ecl_batch_release(&b);
    ecl_batch_release(&all);
    ecl_csv_free(r);

    /* a column named twice, and a file without a header */
    static const char twice[] = "id,name,id\n1,a,1\n";
    r = open_text(twice, sizeof twice - 1, &d);
    ecl_err_clear(&e);
    assert_int_equal(ecl_csv_map_header(r, &s, map, NULL, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "in.csv:1:9: header column 'id' appears twice"));
    ecl_csv_free(r);
    r = open_text("", 0, &d);
    ecl_err_clear(&e);
    assert_int_equal(ecl_csv_map_header(r, &s, map, NULL, &e), ECL_EFORMAT);
    ecl_csv_free(r);
    ecl_schema_release(&s);
}

/* ---------------------------------------------------------------- values */

static int parse(ecl_type t, int p, int s, bool nullable, const char *text, bool quoted, ecl_column *c, ecl_err *e)
{
    ecl_field f = {"v", t, (uint8_t)p, (uint8_t)s, nullable};
    ecl_csv_field fld = {text, strlen(text), quoted, 3, 7};
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    return ecl_csv_parse_value(NULL, &f, &fld, &d, c, e);
}

static void value_ok(ecl_type t, int p, int s, const char *text, int64_t want_i, double want_d)
{
    ecl_column c = {0};
    c.type = t;
    ecl_err e = ECL_ERR_INIT;
    if (parse(t, p, s, true, text, false, &c, &e))
        fail_msg("'%s' as %s: %s", text, ecl_type_name(t), e.msg);
    assert_int_equal(c.len, 1);
    switch (t) {
    case ECL_T_DOUBLE:
        if (isnan(want_d))
            assert_true(isnan(ecl_col_f64(&c, 0)));
        else
            assert_true(ecl_col_f64(&c, 0) == want_d);
        break;
    case ECL_T_BOOL: assert_int_equal(ecl_col_bool(&c, 0), want_i); break;
    case ECL_T_INT32:
    case ECL_T_DATE: assert_int_equal(ecl_col_i32(&c, 0), want_i); break;
    default: assert_true(ecl_col_i64(&c, 0) == want_i); break;
    }
    free(c.values);
    free(c.nulls);
}

static void value_bad(ecl_type t, int p, int s, bool nullable, const char *text, const char *want)
{
    ecl_column c = {0};
    c.type = t;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(parse(t, p, s, nullable, text, false, &c, &e), ECL_EINVAL);
    assert_int_equal(c.len, 0);
    if (!strstr(e.msg, want))
        fail_msg("'%s' lacks '%s'", e.msg, want);
    free(c.values);
    free(c.nulls);
    free(c.offsets);
    ecl_buf_release(&c.bytes);
}

static void parse_values(void **state)
{
    (void)state;
    value_ok(ECL_T_INT32, 0, 0, "-2147483648", INT32_MIN, 0);
    value_ok(ECL_T_INT32, 0, 0, "+2147483647", INT32_MAX, 0);
    value_bad(ECL_T_INT32, 0, 0, true, "2147483648", "<input>:7:3: column 'v': '2147483648' is out of range for int32");
    value_ok(ECL_T_INT64, 0, 0, "-9223372036854775808", INT64_MIN, 0);
    value_ok(ECL_T_INT64, 0, 0, "9223372036854775807", INT64_MAX, 0);
    value_bad(ECL_T_INT64, 0, 0, true, "9223372036854775808", "out of range for int64");
    value_bad(ECL_T_INT64, 0, 0, true, "12a", "expected an int64, got '12a'");
    value_bad(ECL_T_INT64, 0, 0, true, " 1", "expected an int64");
    value_bad(ECL_T_INT64, 0, 0, true, "-", "expected an int64");
    value_bad(ECL_T_INT64, 0, 0, true, "99999999999999999999x", "expected an int64");
    value_ok(ECL_T_DOUBLE, 0, 0, "0.1", 0, 0.1);
    value_ok(ECL_T_DOUBLE, 0, 0, "-1.5e-3", 0, -1.5e-3);
    value_ok(ECL_T_DOUBLE, 0, 0, ".5", 0, 0.5);
    value_ok(ECL_T_DOUBLE, 0, 0, "5.", 0, 5.0);
    value_ok(ECL_T_DOUBLE, 0, 0, "1e-400", 0, 0.0);
    value_ok(ECL_T_DOUBLE, 0, 0, "-inf", 0, -INFINITY);
    value_ok(ECL_T_DOUBLE, 0, 0, "NaN", 0, NAN);
    value_bad(ECL_T_DOUBLE, 0, 0, true, "1e999", "out of range for double");
    value_bad(ECL_T_DOUBLE, 0, 0, true, "0x10", "expected a double");
    value_bad(ECL_T_DOUBLE, 0, 0, true, "1.2.3", "expected a double");
    value_bad(ECL_T_DOUBLE, 0, 0, true, "e5", "expected a double");
    value_ok(ECL_T_DECIMAL, 12, 2, "-1234.5", -123450, 0);
    value_ok(ECL_T_DECIMAL, 12, 2, "0.07", 7, 0);
    value_ok(ECL_T_DECIMAL, 12, 2, "-0.07", -7, 0);
    value_ok(ECL_T_DECIMAL, 12, 2, "1.2300", 123, 0);
    value_ok(ECL_T_DECIMAL, 12, 2, "0001234567890.12", 123456789012, 0);
    value_ok(ECL_T_DECIMAL, 18, 0, "999999999999999999", 999999999999999999LL, 0);
    value_ok(ECL_T_DECIMAL, 18, 18, "-0.999999999999999999", -999999999999999999LL, 0);
    value_bad(ECL_T_DECIMAL, 12, 2, true, "12345678901.5", "does not fit decimal(12,2): too many digits before the decimal point");
    value_bad(ECL_T_DECIMAL, 12, 2, true, "1.234", "more digits after the decimal point than the scale allows");
    value_bad(ECL_T_DECIMAL, 12, 2, true, "1e3", "expected a decimal(12,2), got '1e3'");
    value_bad(ECL_T_DECIMAL, 12, 2, true, ".", "expected a decimal(12,2)");
    value_ok(ECL_T_BOOL, 0, 0, "True", 1, 0);
    value_ok(ECL_T_BOOL, 0, 0, "false", 0, 0);
    value_ok(ECL_T_BOOL, 0, 0, "1", 1, 0);
    value_ok(ECL_T_BOOL, 0, 0, "0", 0, 0);
    value_bad(ECL_T_BOOL, 0, 0, true, "yes", "expected a boolean (true/false, True/False or 1/0), got 'yes'");
    value_ok(ECL_T_DATE, 0, 0, "1969-12-31", -1, 0);
    value_ok(ECL_T_DATE, 0, 0, "1900-01-01", -25567, 0);
    value_ok(ECL_T_DATE, 0, 0, "2024-02-29", 19782, 0);
    value_bad(ECL_T_DATE, 0, 0, true, "2024-02-30", "'2024-02-30' is not a valid date: February 2024 has 29 days");
    value_bad(ECL_T_DATE, 0, 0, true, "2023-13-01", "there is no month 13");
    value_bad(ECL_T_DATE, 0, 0, true, "2024/01/01", "expected a date YYYY-MM-DD, got '2024/01/01'");
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1970-01-01T00:00:00", 0, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1970-01-01 00:00:01.5", 1500000, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1970-01-01T00:00:00.123456789", 123456, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1970-01-01T01:00:00+01:00", 0, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1969-12-31T19:00:00-0500", 0, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1970-01-01T00:00:00Z", 0, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "1969-12-31 23:59:59.999999", -1, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "2024-03-10 12:34", 1710074040000000LL, 0);
    value_ok(ECL_T_TIMESTAMP, 0, 0, "2024-03-10", 1710028800000000LL, 0);
    value_bad(ECL_T_TIMESTAMP, 0, 0, true, "2024-03-10T25:00:00", "expected a timestamp");
    value_bad(ECL_T_TIMESTAMP, 0, 0, true, "2024-03-10T10:00:00.1234567890", "expected a timestamp");
    value_bad(ECL_T_TIMESTAMP, 0, 0, true, "2024-03-10T10:00:00+1", "expected a timestamp");
    value_bad(ECL_T_TIMESTAMP, 0, 0, true, "2023-02-29 10:00:00", "February 2023 has 28 days");
    value_bad(ECL_T_INT32, 0, 0, false, "", "<input>:7:3: column 'v': null (an empty field) in a column that is not nullable");

    /* the null token: unquoted only; a quoted empty field is an empty string */
    ecl_column c = {0};
    c.type = ECL_T_STRING;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(parse(ECL_T_STRING, 0, 0, true, "", false, &c, &e), 0);
    assert_int_equal(parse(ECL_T_STRING, 0, 0, true, "", true, &c, &e), 0);
    assert_int_equal(parse(ECL_T_STRING, 0, 0, false, "", true, &c, &e), 0);
    assert_true(ecl_col_is_null(&c, 0));
    assert_false(ecl_col_is_null(&c, 1));
    assert_int_equal(c.nnull, 1);
    free(c.nulls);
    free(c.offsets);
    ecl_buf_release(&c.bytes);
}

/* ---------------------------------------------------------------- writer */

static void format_doubles(void **state)
{
    (void)state;
    /* expected strings are Python's repr() of the same values */
    static const struct { double v; const char *s; } cases[] = {
        {5.0, "5.0"}, {0.1, "0.1"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"}, {123.456, "123.456"},
        {-0.0, "-0.0"}, {0.0001, "0.0001"}, {0.00001, "1e-05"}, {1.5e300, "1.5e+300"}, {5e-324, "5e-324"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"}, {1.0 / 3, "0.3333333333333333"},
        {2.0 / 3, "0.6666666666666666"}, {1e22, "1e+22"}, {1e23, "1e+23"},
        {9007199254740993.0, "9007199254740992.0"}, {0.1 + 0.2, "0.30000000000000004"}, {1676.43, "1676.43"},
        {-1.25e-7, "-1.25e-07"}, {123456789012345680.0, "1.2345678901234568e+17"},
        {1.7976931348623157e308, "1.7976931348623157e+308"}, {100.0, "100.0"}, {12345678.9, "12345678.9"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"}, {NAN, "nan"}, {0.001234, "0.001234"},
        {1234567.125, "1234567.125"}, {99999999999999.98, "99999999999999.98"}, {0.00011, "0.00011"},
        {45248.66, "45248.66"}, {-0.5, "-0.5"}, {999999999999999.9, "999999999999999.9"},
        {1e15 + 0.5, "1000000000000000.5"}, {2.675, "2.675"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[32];
        ecl_format_double(cases[i].v, out);
        assert_string_equal(out, cases[i].s);
    }
    /* every formatted value reads back to the same bits */
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (isnan(v))
            continue;
        char out[32];
        ecl_format_double(v, out);
        assert_true(strtod(out, NULL) == v);
    }
}

static void format_others(void **state)
{
    (void)state;
    char out[32];
    ecl_format_timestamp(0, ECL_TS_ISO_T, out);
    assert_string_equal(out, "1970-01-01T00:00:00");
    ecl_format_timestamp(-1, ECL_TS_ISO_T, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999");
    ecl_format_timestamp(1710074040000001LL, ECL_TS_SPACE, out);
    assert_string_equal(out, "2024-03-10 12:34:00.000001");
    ecl_format_timestamp(1710074040000000LL, ECL_TS_SPACE_MICROS, out);
    assert_string_equal(out, "2024-03-10 12:34:00.000000");
    ecl_format_timestamp(1710074040000000LL, ECL_TS_ISO_T_MICROS, out);
    assert_string_equal(out, "2024-03-10T12:34:00.000000");
    ecl_format_decimal(-1234, 2, out);
    assert_string_equal(out, "-12.34");
    ecl_format_decimal(-5, 2, out);
    assert_string_equal(out, "-0.05");
    ecl_format_decimal(0, 3, out);
    assert_string_equal(out, "0.000");
    ecl_format_decimal(42, 0, out);
    assert_string_equal(out, "42");
    ecl_format_decimal(-999999999999999999LL, 18, out);
    assert_string_equal(out, "-0.999999999999999999");
    assert_int_equal(ecl_format_i64(INT64_MIN, out), 20);
    assert_string_equal(out, "-9223372036854775808");
    ecl_format_i64(0, out);
    assert_string_equal(out, "0");
    ecl_format_i64(1234567, out);
    assert_string_equal(out, "1234567");
}

static void writer_round_trip(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "id", ECL_T_INT64, false);
    ecl_schema_add(&s, "name, quoted", ECL_T_STRING, true);
    ecl_schema_add(&s, "ok", ECL_T_BOOL, true);
    ecl_schema_add(&s, "ratio", ECL_T_DOUBLE, true);
    ecl_schema_add_decimal(&s, "amt", 12, 2, true);
    ecl_schema_add(&s, "day", ECL_T_DATE, true);
    ecl_schema_add(&s, "ts", ECL_T_TIMESTAMP, true);
    ecl_batch b;
    assert_int_equal(ecl_batch_init(&b, &s), 0);
    ecl_col_push_i64(&b.cols[0], -7);
    ecl_col_push_cstr(&b.cols[1], "say \"hi\", then\nleave");
    ecl_col_push_bool(&b.cols[2], true);
    ecl_col_push_f64(&b.cols[3], 0.1);
    ecl_col_push_i64(&b.cols[4], -1234);
    ecl_col_push_i32(&b.cols[5], -1);
    ecl_col_push_i64(&b.cols[6], 1500000);
    ecl_col_push_i64(&b.cols[0], 8);
    ecl_col_push_cstr(&b.cols[1], "");
    for (int k = 2; k < 7; k++)
        ecl_col_push_null(&b.cols[k]);
    ecl_col_push_i64(&b.cols[0], 9);
    ecl_col_push_null(&b.cols[1]);
    ecl_col_push_bool(&b.cols[2], false);
    ecl_col_push_f64(&b.cols[3], 1e16);
    ecl_col_push_i64(&b.cols[4], 5);
    ecl_col_push_i32(&b.cols[5], 19782);
    ecl_col_push_i64(&b.cols[6], 0);
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    ecl_buf out = ECL_BUF_INIT;
    ecl_out o;
    ecl_out_mem(&o, &out);
    assert_int_equal(ecl_csv_write_header(&o, &s, &d, &e), 0);
    assert_int_equal(ecl_csv_write_batch(&o, &b, &d, &e), 0);
    const char *want = "id,\"name, quoted\",ok,ratio,amt,day,ts\r\n"
                       "-7,\"say \"\"hi\"\", then\nleave\",True,0.1,-12.34,1969-12-31,1970-01-01T00:00:01.500000\r\n"
                       "8,,,,,,\r\n"
                       "9,,False,1e+16,0.05,2024-02-29,1970-01-01T00:00:00\r\n";
    assert_string_equal((char *)out.data, want);
    assert_int_equal(o.written, strlen(want));

    /* with quote_empty and lower-case booleans, LF: empty strings and nulls stay apart */
    d.quote_empty = true;
    d.crlf = false;
    d.bools = ECL_BOOL_LOWER;
    ecl_buf_clear(&out);
    assert_int_equal(ecl_csv_write_batch(&o, &b, &d, &e), 0);
    assert_non_null(strstr((char *)out.data, "\n8,\"\",,,,,\n9,,false,"));

    /* and the reader gives back the same values */
    ecl_csv_reader *r = NULL;
    d.header = false;
    assert_int_equal(ecl_csv_open_mem(&r, "w.csv", out.data, out.len, &d, &e), 0);
    ecl_batch back;
    assert_int_equal(ecl_batch_init(&back, &s), 0);
    const ecl_csv_field *f;
    size_t n;
    while (ecl_csv_next(r, &f, &n, &e) == 0) {
        assert_int_equal(n, 7);
        for (size_t k = 0; k < n; k++)
            assert_int_equal(ecl_csv_parse_value(r, &s.fields[k], &f[k], &d, &back.cols[k], &e), 0);
    }
    assert_int_equal(e.code, ECL_OK);
    assert_int_equal(ecl_batch_seal(&back, &e), 0);
    assert_int_equal(back.nrows, 3);
    size_t len;
    const char *p = ecl_col_str(&back.cols[1], 0, &len);
    assert_int_equal(len, strlen("say \"hi\", then\nleave"));
    assert_memory_equal(p, "say \"hi\", then\nleave", len);
    assert_false(ecl_col_is_null(&back.cols[1], 1));
    assert_true(ecl_col_is_null(&back.cols[1], 2));
    assert_true(ecl_col_f64(&back.cols[3], 2) == 1e16);
    assert_int_equal(ecl_col_i64(&back.cols[4], 0), -1234);
    assert_int_equal(ecl_col_i64(&back.cols[6], 0), 1500000);
    ecl_csv_free(r);
    ecl_batch_release(&back);
    ecl_batch_release(&b);
    ecl_buf_release(&out);
    ecl_schema_release(&s);
}

static void writer_single_column_and_null_token(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "v", ECL_T_STRING, true);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    ecl_col_push_cstr(&b.cols[0], "");
    ecl_col_push_null(&b.cols[0]);
    ecl_col_push_cstr(&b.cols[0], "NULL");
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&b, &e);
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    d.crlf = false;
    ecl_buf out = ECL_BUF_INIT;
    ecl_out o;
    ecl_out_mem(&o, &out);
    assert_int_equal(ecl_csv_write_batch(&o, &b, &d, &e), 0);
    assert_string_equal((char *)out.data, "\"\"\n\"\"\nNULL\n");
    ecl_buf_clear(&out);
    d.null_token = "NULL";
    assert_int_equal(ecl_csv_write_batch(&o, &b, &d, &e), 0);
    assert_string_equal((char *)out.data, "\"\"\nNULL\n\"NULL\"\n");
    ecl_batch_release(&b);
    ecl_buf_release(&out);
    ecl_schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(quotes_and_newlines),
        cmocka_unit_test(line_ends_bom_blank_lines),
        cmocka_unit_test(syntax_errors),
        cmocka_unit_test(bad_utf8),
        cmocka_unit_test(recovers_after_errors),
        cmocka_unit_test(long_fields_from_file),
        cmocka_unit_test(read_batches),
        cmocka_unit_test(parse_values),
        cmocka_unit_test(format_doubles),
        cmocka_unit_test(format_others),
        cmocka_unit_test(writer_round_trip),
        cmocka_unit_test(writer_single_column_and_null_token),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
