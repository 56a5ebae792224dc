/* Unit tests for the Parquet writer and reader: round trips of edge-case data through both, footer
 * statistics, determinism, hand-built files for encodings our writer does not produce, and refusal
 * of what we do not support. */
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
#include "../../lib/pq_format.h"
#include "../../lib/rle.h"
#include "../../lib/thrift.h"

/* Writes batch b (one or several calls) with opts into memory. */
static void write_mem(const ecl_schema *s, const ecl_batch *b, const ecl_pq_opts *o, ecl_buf *file,
                      size_t chunk)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_out out;
    ecl_out_mem(&out, file);
    ecl_pq_writer *w;
    assert_int_equal(ecl_pq_writer_open(&w, &out, s, o, &e), 0);
    if (!chunk || chunk >= b->nrows) {
        assert_int_equal(ecl_pq_writer_write(w, b, &e), 0);
    } else {
        ecl_batch part;
        ecl_batch_init(&part, s);
        for (size_t i = 0; i < b->nrows; i++) {
            assert_int_equal(ecl_batch_append_row(&part, b, i), 0);
            if (part.cols[0].len == chunk || i + 1 == b->nrows) {
                assert_int_equal(ecl_batch_seal(&part, &e), 0);
                assert_int_equal(ecl_pq_writer_write(w, &part, &e), 0);
                ecl_batch_clear(&part);
            }
        }
        ecl_batch_release(&part);
    }
    assert_int_equal(ecl_pq_writer_finish(w, &e), 0);
    ecl_pq_writer_free(w);
}

static void assert_batches_equal(const ecl_batch *a, const ecl_batch *b)
{
    assert_int_equal(a->nrows, b->nrows);
    for (size_t c = 0; c < a->schema->nfields; c++) {
        const ecl_column *x = &a->cols[c], *y = &b->cols[c];
        for (size_t i = 0; i < a->nrows; i++) {
            assert_int_equal(ecl_col_is_null(x, i), ecl_col_is_null(y, i));
            if (ecl_col_is_null(x, i))
                continue;
            size_t w = ecl_type_width(x->type);
            if (w) {
                assert_memory_equal((const uint8_t *)x->values + i * w, (const uint8_t *)y->values + i * w, w);
            } else {
                size_t n1, n2;
                const char *s1 = ecl_col_str(x, i, &n1), *s2 = ecl_col_str(y, i, &n2);
                assert_int_equal(n1, n2);
                assert_memory_equal(s1, s2, n1);
            }
        }
    }
}

/* Reads every row group of file into a fresh batch and compares it with want. */
static ecl_pq_reader *read_back(const ecl_buf *file, const ecl_batch *want, ecl_batch *got)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file->data, file->len, &e), 0);
    const ecl_schema *rs = ecl_pq_reader_schema(r);
    assert_int_equal(rs->nfields, want->schema->nfields);
    for (size_t i = 0; i < rs->nfields; i++) {
        assert_string_equal(rs->fields[i].name, want->schema->fields[i].name);
        assert_int_equal(rs->fields[i].type, want->schema->fields[i].type);
        assert_int_equal(rs->fields[i].nullable, want->schema->fields[i].nullable);
        assert_int_equal(rs->fields[i].precision, want->schema->fields[i].precision);
        assert_int_equal(rs->fields[i].scale, want->schema->fields[i].scale);
    }
    assert_int_equal(ecl_pq_reader_num_rows(r), (int64_t)want->nrows);
    assert_int_equal(ecl_batch_init(got, rs), 0);
    for (size_t g = 0; g < ecl_pq_reader_num_row_groups(r); g++) {
        int rc = ecl_pq_reader_read_row_group(r, g, got, &e);
        if (rc)
            print_error("%s\n", e.msg);
        assert_int_equal(rc, 0);
    }
    assert_batches_equal(want, got);
    return r;
}

static void round_trip(const ecl_schema *s, const ecl_batch *b, const ecl_pq_opts *o, size_t chunk,
                       size_t *nrg)
{
    ecl_buf file = ECL_BUF_INIT;
    write_mem(s, b, o, &file, chunk);
    ecl_batch got;
    ecl_pq_reader *r = read_back(&file, b, &got);
    if (nrg)
        *nrg = ecl_pq_reader_num_row_groups(r);
    ecl_batch_release(&got); /* before the reader: the batch borrows its schema */
    ecl_pq_reader_free(r);
    ecl_buf_release(&file);
}

/* A table of every type with awkward values: extremes, negatives, empty and multibyte strings. */
static void edge_table(ecl_schema *s, ecl_batch *b, size_t rows, bool nullable, unsigned seed)
{
    ecl_schema_init(s);
    ecl_schema_add(s, "b", ECL_T_BOOL, nullable);
    ecl_schema_add(s, "i32", ECL_T_INT32, nullable);
    ecl_schema_add(s, "i64", ECL_T_INT64, nullable);
    ecl_schema_add(s, "f", ECL_T_DOUBLE, nullable);
    ecl_schema_add(s, "s", ECL_T_STRING, nullable);
    ecl_schema_add(s, "d", ECL_T_DATE, nullable);
    ecl_schema_add(s, "ts", ECL_T_TIMESTAMP, nullable);
    ecl_schema_add_decimal(s, "m9", 9, 2, nullable);
    ecl_schema_add_decimal(s, "m18", 18, 6, nullable);
    ecl_batch_init(b, s);
    static const char *strs[] = {"", "ä", "日本語", "plain", "emoji 😀", "a\0b"};
    uint64_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < rows; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        for (size_t c = 0; c < s->nfields; c++) {
            ecl_column *col = &b->cols[c];
            if (nullable && ((x >> (c + 3)) % 5 == 0)) {
                ecl_col_push_null(col);
                continue;
            }
            int k = (int)((x >> 40) % 7);
            switch (s->fields[c].type) {
            case ECL_T_BOOL: ecl_col_push_bool(col, (x >> 33) & 1); break;
            case ECL_T_INT32: ecl_col_push_i32(col, k == 0 ? INT32_MIN : k == 1 ? INT32_MAX : (int32_t)(x >> 20)); break;
            case ECL_T_INT64: ecl_col_push_i64(col, k == 0 ? INT64_MIN : k == 1 ? INT64_MAX : (int64_t)x); break;
            case ECL_T_DOUBLE: ecl_col_push_f64(col, k == 0 ? -0.0 : k == 1 ? 0.0 : (double)(int64_t)x / 3e9); break;
            case ECL_T_STRING: {
                if (k == 6) {
                    char buf[32];
                    int n = snprintf(buf, sizeof buf, "v%llu", (unsigned long long)(x % 1000));
                    ecl_col_push_str(col, buf, (size_t)n);
                } else {
                    ecl_col_push_str(col, strs[k], k == 5 ? 3 : strlen(strs[k]));
                }
                break;
            }
            case ECL_T_DATE: ecl_col_push_i32(col, (int32_t)((int64_t)(x % 200000) - 100000)); break;
            case ECL_T_TIMESTAMP: ecl_col_push_i64(col, (int64_t)(x % 4000000000000000ULL) - 2000000000000000LL); break;
            case ECL_T_DECIMAL: {
                int64_t lim = s->fields[c].precision == 9 ? 999999999LL : 999999999999999999LL;
                ecl_col_push_i64(col, k == 0 ? -lim : k == 1 ? lim : (int64_t)(x % (uint64_t)lim) * (k == 2 ? -1 : 1));
                break;
            }
            }
        }
    }
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(b, &e), 0);
}

static void edge_values_every_codec(void **state)
{
    (void)state;
    ecl_codec codecs[] = {ECL_CODEC_SNAPPY, ECL_CODEC_ZSTD, ECL_CODEC_GZIP, ECL_CODEC_NONE};
    for (int nullable = 0; nullable < 2; nullable++) {
        ecl_schema s;
        ecl_batch b;
        edge_table(&s, &b, 3000, nullable, 7);
        for (size_t c = 0; c < 4; c++) {
            ecl_pq_opts o;
            ecl_pq_opts_default(&o);
            o.codec = codecs[c];
            round_trip(&s, &b, &o, 0, NULL);
            o.no_dictionary = true;
            round_trip(&s, &b, &o, 0, NULL);
        }
        ecl_batch_release(&b);
        ecl_schema_release(&s);
    }
}

static void pages_row_groups_and_fallback(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_batch b;
    edge_table(&s, &b, 5000, true, 3);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    o.page_bytes = 512;          /* many pages */
    o.row_group_bytes = 60000;   /* several row groups */
    o.dict_max_bytes = 300;      /* dictionaries overflow mid-chunk */
    size_t nrg = 0;
    round_trip(&s, &b, &o, 0, &nrg);
    assert_true(nrg > 3);
    round_trip(&s, &b, &o, 333, NULL); /* same through many small batches */
    o.page_bytes = 1;                  /* one value per page */
    o.row_group_bytes = 1;             /* one row per group */
    ecl_batch small;
    ecl_batch_init(&small, &s);
    for (size_t i = 0; i < 20; i++)
        ecl_batch_append_row(&small, &b, i);
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&small, &e);
    round_trip(&s, &small, &o, 0, &nrg);
    assert_int_equal(nrg, 20);
    ecl_batch_release(&small);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

static void single_row_zero_rows_all_null(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_batch b;
    edge_table(&s, &b, 1, false, 9);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    round_trip(&s, &b, &o, 0, NULL);
    ecl_batch_clear(&b);
    b.nrows = 0;
    size_t nrg = 9;
    round_trip(&s, &b, &o, 0, &nrg);
    assert_int_equal(nrg, 0);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
    /* all-null columns of every type */
    edge_table(&s, &b, 0, true, 1);
    for (size_t i = 0; i < 100; i++)
        for (size_t c = 0; c < s.nfields; c++)
            ecl_col_push_null(&b.cols[c]);
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&b, &e);
    round_trip(&s, &b, &o, 0, NULL);
    ecl_buf file = ECL_BUF_INIT;
    write_mem(&s, &b, &o, &file, 0);
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    for (size_t c = 0; c < s.nfields; c++) {
        ecl_pq_stats st;
        assert_int_equal(ecl_pq_reader_stats(r, 0, c, &st), 0);
        assert_true(st.has_null_count);
        assert_int_equal(st.null_count, 100);
        assert_false(st.has_min_max);
    }
    ecl_pq_reader_free(r);
    ecl_buf_release(&file);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

static void long_strings(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "big", ECL_T_STRING, true);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    size_t n = (1 << 20) + 77;
    char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 23);
    ecl_col_push_str(&b.cols[0], big, n);
    ecl_col_push_null(&b.cols[0]);
    ecl_col_push_str(&b.cols[0], "", 0);
    big[0] = 'z';
    ecl_col_push_str(&b.cols[0], big, n);
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&b, &e);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    o.page_bytes = 4096;
    round_trip(&s, &b, &o, 0, NULL);
    o.no_dictionary = true;
    round_trip(&s, &b, &o, 0, NULL);
    /* statistics longer than 4 KiB are left out, the null count stays */
    ecl_buf file = ECL_BUF_INIT;
    write_mem(&s, &b, &o, &file, 0);
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    ecl_pq_stats st;
    ecl_pq_reader_stats(r, 0, 0, &st);
    assert_false(st.has_min_max);
    assert_int_equal(st.null_count, 1);
    ecl_pq_reader_free(r);
    ecl_buf_release(&file);
    free(big);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

static void statistics_semantics(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "f", ECL_T_DOUBLE, true);
    ecl_schema_add(&s, "z", ECL_T_DOUBLE, false);
    ecl_schema_add(&s, "n", ECL_T_DOUBLE, false);
    ecl_schema_add(&s, "s", ECL_T_STRING, false);
    ecl_schema_add_decimal(&s, "m", 9, 2, false);
    ecl_schema_add(&s, "d", ECL_T_DATE, false);
    ecl_schema_add(&s, "i", ECL_T_INT64, false);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    double fs[] = {NAN, 3.5, 0, -2.25}; /* [2] is replaced by a null */
    double zs[] = {0.0, -0.0, 0.0, 0.0};
    const char *ss[] = {"b", "\xc3\xa9", "B", "ab"}; /* é (0xC3...) sorts after ASCII, unsigned */
    int64_t ms[] = {-5, -700, 12, 0};
    int32_t ds[] = {-1, -719162, 0, 5};
    int64_t is[] = {INT64_MIN, 0, INT64_MAX, -1};
    for (int i = 0; i < 4; i++) {
        if (i == 2)
            ecl_col_push_null(&b.cols[0]);
        else
            ecl_col_push_f64(&b.cols[0], fs[i]);
        ecl_col_push_f64(&b.cols[1], zs[i]);
        ecl_col_push_f64(&b.cols[2], NAN);
        ecl_col_push_cstr(&b.cols[3], ss[i]);
        ecl_col_push_i64(&b.cols[4], ms[i]);
        ecl_col_push_i32(&b.cols[5], ds[i]);
        ecl_col_push_i64(&b.cols[6], is[i]);
    }
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&b, &e);
    for (int dict = 0; dict < 2; dict++) {
        ecl_pq_opts o;
        ecl_pq_opts_default(&o);
        o.no_dictionary = dict == 0;
        ecl_buf file = ECL_BUF_INIT;
        write_mem(&s, &b, &o, &file, 0);
        ecl_pq_reader *r;
        assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
        ecl_pq_stats st;
        ecl_pq_reader_stats(r, 0, 0, &st);
        assert_true(st.has_min_max);
        assert_true(st.min.d == -2.25 && st.max.d == 3.5);
        assert_int_equal(st.null_count, 1);
        ecl_pq_reader_stats(r, 0, 1, &st);
        assert_true(st.min.d == 0 && signbit(st.min.d)); /* zero min written as -0.0 */
        assert_true(st.max.d == 0 && !signbit(st.max.d)); /* zero max written as +0.0 */
        ecl_pq_reader_stats(r, 0, 2, &st);
        assert_false(st.has_min_max); /* only NaN: no bounds */
        ecl_pq_reader_stats(r, 0, 3, &st);
        assert_int_equal(st.min_len, 1);
        assert_memory_equal(st.min_str, "B", 1);
        assert_int_equal(st.max_len, 2);
        assert_memory_equal(st.max_str, "\xc3\xa9", 2);
        ecl_pq_reader_stats(r, 0, 4, &st);
        assert_true(st.min.i == -700 && st.max.i == 12);
        ecl_pq_reader_stats(r, 0, 5, &st);
        assert_true(st.min.i == -719162 && st.max.i == 5);
        ecl_pq_reader_stats(r, 0, 6, &st);
        assert_true(st.min.i == INT64_MIN && st.max.i == INT64_MAX);
        assert_string_equal(ecl_pq_reader_kv(r, "writer"), ECL_WRITER_NAME);
        assert_string_equal(ecl_pq_reader_created_by(r), ECL_PQ_CREATED_BY);
        ecl_pq_reader_free(r);
        ecl_buf_release(&file);
    }
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

static void deterministic_across_threads_and_batches(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_batch b;
    edge_table(&s, &b, 40000, true, 5);
    ecl_buf f1 = ECL_BUF_INIT, f2 = ECL_BUF_INIT, f3 = ECL_BUF_INIT;
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    o.row_group_bytes = 300000;
    o.threads = 1;
    write_mem(&s, &b, &o, &f1, 0);
    o.threads = 4;
    write_mem(&s, &b, &o, &f2, 0);
    write_mem(&s, &b, &o, &f3, 4999);
    assert_int_equal(f1.len, f2.len);
    assert_memory_equal(f1.data, f2.data, f1.len);
    assert_int_equal(f1.len, f3.len);
    assert_memory_equal(f1.data, f3.data, f1.len);
    ecl_buf_release(&f1);
    ecl_buf_release(&f2);
    ecl_buf_release(&f3);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

/* write_group (no copy when the rows fit one row group) gives the bytes of write + flush, with and
 * without nulls, after buffered rows, and when the rows need several row groups. */
static void write_group_same_bytes(void **state)
{
    (void)state;
    for (int nullable = 0; nullable < 2; nullable++) {
        ecl_schema s;
        ecl_batch b;
        edge_table(&s, &b, 9000, nullable, 11);
        const size_t limits[] = {300000, 128u << 20}; /* several row groups, then one */
        for (size_t li = 0; li < 2; li++) {
            ecl_pq_opts o;
            ecl_pq_opts_default(&o);
            o.threads = 1;
            o.row_group_bytes = limits[li];
            for (int buffered = 0; buffered < 2; buffered++) {
                ecl_buf f1 = ECL_BUF_INIT, f2 = ECL_BUF_INIT;
                ecl_buf *files[2] = {&f1, &f2};
                for (int way = 0; way < 2; way++) {
                    ecl_err e = ECL_ERR_INIT;
                    ecl_out out;
                    ecl_out_mem(&out, files[way]);
                    ecl_pq_writer *w;
                    assert_int_equal(ecl_pq_writer_open(&w, &out, &s, &o, &e), 0);
                    if (buffered) {
                        ecl_batch head;
                        ecl_batch_init(&head, &s);
                        for (size_t i = 0; i < 100; i++)
                            assert_int_equal(ecl_batch_append_row(&head, &b, i), 0);
                        assert_int_equal(ecl_batch_seal(&head, &e), 0);
                        assert_int_equal(ecl_pq_writer_write(w, &head, &e), 0);
                        ecl_batch_release(&head);
                    }
                    if (way == 0) {
                        assert_int_equal(ecl_pq_writer_write(w, &b, &e), 0);
                        assert_int_equal(ecl_pq_writer_flush(w, &e), 0);
                    } else {
                        assert_int_equal(ecl_pq_writer_write_group(w, &b, &e), 0);
                    }
                    assert_true(ecl_pq_writer_plain_bytes(w, &b) > 0);
                    assert_int_equal(ecl_pq_writer_finish(w, &e), 0);
                    ecl_pq_writer_free(w);
                }
                assert_int_equal(f1.len, f2.len);
                assert_memory_equal(f1.data, f2.data, f1.len);
                if (!buffered) {
                    ecl_batch got;
                    ecl_pq_reader *r = read_back(&f2, &b, &got);
                    ecl_batch_release(&got);
                    ecl_pq_reader_free(r);
                }
                ecl_buf_release(&f1);
                ecl_buf_release(&f2);
            }
        }
        ecl_batch_release(&b);
        ecl_schema_release(&s);
    }
}

static void writer_rejects_bad_input(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add_decimal(&s, "m", 4, 2, true);
    ecl_schema_add(&s, "r", ECL_T_INT32, false);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    ecl_col_push_i64(&b.cols[0], 10000); /* 5 digits in decimal(4,2) */
    ecl_col_push_i32(&b.cols[1], 1);
    ecl_err e = ECL_ERR_INIT;
    ecl_batch_seal(&b, &e);
    ecl_buf file = ECL_BUF_INIT;
    ecl_out out;
    ecl_out_mem(&out, &file);
    ecl_pq_writer *w;
    assert_int_equal(ecl_pq_writer_open(&w, &out, &s, NULL, &e), 0);
    assert_int_equal(ecl_pq_writer_write(w, &b, &e), 0);
    assert_int_equal(ecl_pq_writer_finish(w, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "decimal(4,2)"));
    ecl_pq_writer_free(w);
    ecl_batch_clear(&b);
    ecl_col_push_i64(&b.cols[0], 1);
    ecl_col_push_null(&b.cols[1]);
    ecl_batch_seal(&b, &e);
    ecl_err_clear(&e);
    assert_int_equal(ecl_pq_writer_open(&w, &out, &s, NULL, &e), 0);
    assert_int_equal(ecl_pq_writer_write(w, &b, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "not nullable"));
    ecl_pq_writer_free(w);
    ecl_schema empty;
    ecl_schema_init(&empty);
    assert_int_equal(ecl_pq_writer_open(&w, &out, &empty, NULL, &e), ECL_EINVAL);
    ecl_buf_release(&file);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

/* The column chunk layout the format asks for: dictionary page first at dictionary_page_offset,
 * dictionary-encoded pages next, PLAIN pages after a fallback, sizes that include page headers,
 * num_values that count nulls, and the encodings list. */
static void chunk_layout(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_batch b;
    edge_table(&s, &b, 4000, true, 11);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    o.page_bytes = 2048;
    o.dict_max_bytes = 4000;
    o.codec = ECL_CODEC_ZSTD;
    ecl_buf file = ECL_BUF_INIT;
    write_mem(&s, &b, &o, &file, 0);
    assert_memory_equal(file.data, "PAR1", 4);
    assert_memory_equal(file.data + file.len - 4, "PAR1", 4);
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    bool saw_fallback = false;
    int64_t expect_off = 4;
    for (size_t c = 0; c < s.nfields; c++) {
        ecl_pq_chunk_info ci;
        assert_int_equal(ecl_pq_reader_chunk_info(r, 0, c, &ci), 0);
        assert_int_equal(ci.num_values, 4000);
        assert_int_equal(ci.codec, 6);
        ecl_pq_page_info pages[512];
        size_t n;
        assert_int_equal(ecl_pq_reader_pages(r, 0, c, pages, 512, &n, &e), 0);
        assert_true(n >= 1 && n <= 512);
        int64_t comp = 0, unc = 0, values = 0;
        int phase = 0; /* 0 dictionary, 1 dictionary-encoded, 2 plain */
        unsigned encs = 1u << PQ_ENC_RLE;
        for (size_t i = 0; i < n; i++) {
            const ecl_pq_page_info *pg = &pages[i];
            assert_int_equal(pg->offset, expect_off); /* chunks and pages back to back */
            expect_off += (int64_t)pg->header_len + pg->compressed;
            comp += (int64_t)pg->header_len + pg->compressed;
            unc += (int64_t)pg->header_len + pg->uncompressed;
            encs |= 1u << pg->encoding;
            if (pg->type == PQ_PAGE_DICTIONARY) {
                assert_int_equal(i, 0);
                assert_int_equal(pg->offset, ci.dict_page_offset);
                assert_int_equal(pg->encoding, PQ_ENC_PLAIN);
                continue;
            }
            assert_int_equal(pg->type, PQ_PAGE_DATA);
            if (i == 0 || (i == 1 && ci.dict_page_offset >= 0))
                assert_int_equal(pg->offset, ci.data_page_offset);
            values += pg->num_values;
            int ph = pg->encoding == PQ_ENC_RLE_DICTIONARY ? 1 : 2;
            assert_true(ph >= phase);
            if (ph == 2 && phase == 1)
                saw_fallback = true;
            phase = ph;
        }
        if (s.fields[c].type == ECL_T_BOOL)
            assert_int_equal(ci.dict_page_offset, -1);
        assert_int_equal(values, 4000);
        assert_int_equal(comp, ci.total_compressed);
        assert_int_equal(unc, ci.total_uncompressed);
        assert_int_equal(encs, ci.encodings);
    }
    assert_true(saw_fallback);
    assert_int_equal(ecl_pq_reader_num_row_groups(r), 1);
    ecl_pq_reader_free(r);
    ecl_buf_release(&file);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

/* Columns whose values never repeat are written PLAIN (a dictionary of distinct values is larger);
 * a column with 5,000 distinct values in 100,000 rows, a constant column and one that repeats only
 * late keep their dictionaries; every value reads back. */
static void dictionary_choice(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "id", ECL_T_INT64, false);
    ecl_schema_add(&s, "hex", ECL_T_STRING, false);
    ecl_schema_add(&s, "code", ECL_T_STRING, false);
    ecl_schema_add(&s, "constant", ECL_T_STRING, false);
    ecl_schema_add(&s, "amount", ECL_T_DOUBLE, true);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    size_t n = 100000;
    for (size_t i = 0; i < n; i++) {
        char t[32];
        ecl_col_push_i64(&b.cols[0], (int64_t)(i * 7 + 3));
        snprintf(t, sizeof t, "%016llx", (unsigned long long)(i * 0x9E3779B97F4A7C15ull));
        ecl_col_push_cstr(&b.cols[1], t);
        snprintf(t, sizeof t, "code-%zu", (i * 7919) % 5000);
        ecl_col_push_cstr(&b.cols[2], t);
        ecl_col_push_cstr(&b.cols[3], "batch-2024-01-01");
        if (i % 10 == 0)
            ecl_col_push_null(&b.cols[4]);
        else
            ecl_col_push_f64(&b.cols[4], (double)(i % 2000) / 4);
    }
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    round_trip(&s, &b, &o, 0, NULL);
    ecl_buf file = ECL_BUF_INIT;
    write_mem(&s, &b, &o, &file, 0);
    ecl_pq_reader *r;
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    const bool dict[] = {false, false, true, true, true};
    for (size_t c = 0; c < s.nfields; c++) {
        ecl_pq_chunk_info ci;
        assert_int_equal(ecl_pq_reader_chunk_info(r, 0, c, &ci), 0);
        assert_int_equal(ci.dict_page_offset >= 0, dict[c]);
        assert_int_equal((ci.encodings >> PQ_ENC_RLE_DICTIONARY) & 1, dict[c]);
    }
    ecl_pq_reader_free(r);
    ecl_buf_release(&file);
    /* a short chunk is judged on every value: one repeat at the end keeps the dictionary */
    ecl_batch_clear(&b);
    for (size_t i = 0; i < 600; i++) {
        char t[32];
        ecl_col_push_i64(&b.cols[0], i == 599 ? 0 : (int64_t)i);
        snprintf(t, sizeof t, "%zu", i == 599 ? 0 : i);
        ecl_col_push_cstr(&b.cols[1], t);
        ecl_col_push_cstr(&b.cols[2], t);
        ecl_col_push_cstr(&b.cols[3], "c");
        ecl_col_push_f64(&b.cols[4], (double)i);
    }
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    write_mem(&s, &b, &o, &file, 0);
    assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
    const bool dict2[] = {true, true, true, true, false};
    for (size_t c = 0; c < s.nfields; c++) {
        ecl_pq_chunk_info ci;
        assert_int_equal(ecl_pq_reader_chunk_info(r, 0, c, &ci), 0);
        assert_int_equal(ci.dict_page_offset >= 0, dict2[c]);
    }
    ecl_pq_reader_free(r);
    round_trip(&s, &b, &o, 0, NULL);
    ecl_buf_release(&file);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

/* A PLAIN chunk the codec shrinks by less than 1/8 (hex digests) is stored uncompressed; values
 * that compress keep the codec, and always_compress keeps it everywhere. */
static void incompressible_chunks(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_schema_init(&s);
    ecl_schema_add(&s, "digest", ECL_T_STRING, false);
    ecl_schema_add(&s, "key", ECL_T_STRING, false);
    ecl_schema_add(&s, "ts", ECL_T_TIMESTAMP, false);
    ecl_batch b;
    ecl_batch_init(&b, &s);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < 5000; i++) {
        char t[40];
        for (int k = 0; k < 32; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            t[k] = "0123456789abcdef"[x & 15];
        }
        ecl_col_push_str(&b.cols[0], t, 32);
        snprintf(t, sizeof t, "ORD-%09zu", 1000000 + i * 3);
        ecl_col_push_cstr(&b.cols[1], t);
        ecl_col_push_i64(&b.cols[2], 1704067200000000LL + (int64_t)i * 1234567);
    }
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_batch_seal(&b, &e), 0);
    for (int always = 0; always < 2; always++) {
        ecl_pq_opts o;
        ecl_pq_opts_default(&o);
        o.always_compress = always;
        round_trip(&s, &b, &o, 0, NULL);
        ecl_buf file = ECL_BUF_INIT;
        write_mem(&s, &b, &o, &file, 0);
        ecl_pq_reader *r;
        assert_int_equal(ecl_pq_reader_open_mem(&r, file.data, file.len, &e), 0);
        for (size_t c = 0; c < s.nfields; c++) {
            ecl_pq_chunk_info ci;
            assert_int_equal(ecl_pq_reader_chunk_info(r, 0, c, &ci), 0);
            assert_int_equal(ci.codec, c == 0 && !always ? 0 : 1); /* UNCOMPRESSED : SNAPPY */
        }
        ecl_pq_reader_free(r);
        ecl_buf_release(&file);
    }
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

/* ---- hand-built files ---- */

/* A minimal DELTA_BINARY_PACKED encoder: block 128, 4 miniblocks of 32. */
static void delta_encode(ecl_buf *o, const int64_t *v, size_t n)
{
    ecl_thr_w w;
    ecl_thr_w_init(&w, o);
    ecl_thr_w_varint(&w, 128);
    ecl_thr_w_varint(&w, 4);
    ecl_thr_w_varint(&w, n);
    ecl_thr_w_i64(&w, n ? v[0] : 0);
    for (size_t i = 1; i < n; i += 128) {
        size_t m = n - i < 128 ? n - i : 128;
        int64_t d[128], mind = INT64_MAX;
        for (size_t k = 0; k < m; k++) {
            d[k] = (int64_t)((uint64_t)v[i + k] - (uint64_t)v[i + k - 1]);
            if (d[k] < mind)
                mind = d[k];
        }
        ecl_thr_w_i64(&w, mind);
        uint8_t widths[4] = {0};
        for (size_t k = 0; k < m; k++) {
            int bw = ecl_bit_width((uint64_t)d[k] - (uint64_t)mind);
            if (bw > widths[k / 32])
                widths[k / 32] = (uint8_t)bw;
        }
        ecl_buf_append(o, widths, 4);
        for (size_t mb = 0; mb < 4 && mb * 32 < m; mb++) {
            uint8_t bytes[32 * 8] = {0};
            for (size_t k = 0; k < 32; k++) {
                size_t idx = mb * 32 + k;
                uint64_t u = idx < m ? (uint64_t)d[idx] - (uint64_t)mind : 0;
                for (int bit = 0; bit < widths[mb]; bit++)
                    if ((u >> bit) & 1) {
                        size_t pos = k * widths[mb] + (size_t)bit;
                        bytes[pos / 8] |= (uint8_t)(1u << (pos % 8));
                    }
            }
            ecl_buf_append(o, bytes, 32 * (size_t)widths[mb] / 8);
        }
    }
}

/* One-column file with one data page of the given encoding (v2 page when v2). */
static void hand_file(ecl_buf *f, int phys, int lt, bool optional, int enc, const ecl_buf *values,
                      const uint8_t *nulls, size_t rows, bool v2)
{
    ecl_buf_append(f, "PAR1", 4);
    int64_t page_off = (int64_t)f->len;
    ecl_buf body = ECL_BUF_INIT, hdr = ECL_BUF_INIT, lev = ECL_BUF_INIT;
    size_t nn = rows;
    if (optional) {
        ecl_buf_grow(&lev, ecl_rle_max_size(rows, 1));
        ecl_buf_setlen(&lev, ecl_rle_encode_deflevels(lev.data, nulls, rows));
        for (size_t i = 0; i < rows; i++)
            nn -= nulls[i];
        if (!v2) {
            uint32_t l = (uint32_t)lev.len;
            ecl_buf_append(&body, &l, 4);
        }
        ecl_buf_append(&body, lev.data, lev.len);
    }
    ecl_buf_append(&body, values->data, values->len);
    ecl_thr_w t;
    ecl_thr_w_init(&t, &hdr);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i32_field(&t, 1, v2 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DATA);
    ecl_thr_w_i32_field(&t, 2, (int32_t)body.len);
    ecl_thr_w_i32_field(&t, 3, (int32_t)body.len);
    if (v2) {
        ecl_thr_w_struct_field(&t, 8);
        ecl_thr_w_i32_field(&t, 1, (int32_t)rows);
        ecl_thr_w_i32_field(&t, 2, (int32_t)(rows - nn));
        ecl_thr_w_i32_field(&t, 3, (int32_t)rows);
        ecl_thr_w_i32_field(&t, 4, enc);
        ecl_thr_w_i32_field(&t, 5, (int32_t)lev.len);
        ecl_thr_w_i32_field(&t, 6, 0);
        ecl_thr_w_bool_field(&t, 7, false);
    } else {
        ecl_thr_w_struct_field(&t, 5);
        ecl_thr_w_i32_field(&t, 1, (int32_t)rows);
        ecl_thr_w_i32_field(&t, 2, enc);
        ecl_thr_w_i32_field(&t, 3, PQ_ENC_RLE);
        ecl_thr_w_i32_field(&t, 4, PQ_ENC_RLE);
    }
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_struct_end(&t);
    ecl_buf_append(f, hdr.data, hdr.len);
    ecl_buf_append(f, body.data, body.len);
    int64_t chunk_len = (int64_t)(hdr.len + body.len);
    /* footer */
    ecl_buf meta = ECL_BUF_INIT;
    ecl_thr_w_init(&t, &meta);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i32_field(&t, 1, 1);
    ecl_thr_w_list_field(&t, 2, ECL_THR_STRUCT, 2);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_string_field(&t, 4, "root");
    ecl_thr_w_i32_field(&t, 5, 1);
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i32_field(&t, 1, phys);
    ecl_thr_w_i32_field(&t, 3, optional ? PQ_OPTIONAL : PQ_REQUIRED);
    ecl_thr_w_string_field(&t, 4, "c");
    if (lt) {
        ecl_thr_w_struct_field(&t, 10);
        ecl_thr_w_struct_field(&t, (int16_t)lt);
        ecl_thr_w_struct_end(&t);
        ecl_thr_w_struct_end(&t);
    }
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_i64_field(&t, 3, (int64_t)rows);
    ecl_thr_w_list_field(&t, 4, ECL_THR_STRUCT, 1);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_list_field(&t, 1, ECL_THR_STRUCT, 1);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i64_field(&t, 2, page_off);
    ecl_thr_w_struct_field(&t, 3);
    ecl_thr_w_i32_field(&t, 1, phys);
    ecl_thr_w_list_field(&t, 2, ECL_THR_I32, 1);
    ecl_thr_w_i32(&t, enc);
    ecl_thr_w_list_field(&t, 3, ECL_THR_BINARY, 1);
    ecl_thr_w_binary(&t, "c", 1);
    ecl_thr_w_i32_field(&t, 4, 0);
    ecl_thr_w_i64_field(&t, 5, (int64_t)rows);
    ecl_thr_w_i64_field(&t, 6, chunk_len);
    ecl_thr_w_i64_field(&t, 7, chunk_len);
    ecl_thr_w_i64_field(&t, 9, page_off);
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_i64_field(&t, 2, chunk_len);
    ecl_thr_w_i64_field(&t, 3, (int64_t)rows);
    ecl_thr_w_struct_end(&t);
    ecl_thr_w_struct_end(&t);
    assert_int_equal(ecl_thr_w_error(&t), 0);
    uint32_t ml = (uint32_t)meta.len;
    ecl_buf_append(f, meta.data, meta.len);
    ecl_buf_append(f, &ml, 4);
    ecl_buf_append(f, "PAR1", 4);
    ecl_buf_release(&meta);
    ecl_buf_release(&body);
    ecl_buf_release(&hdr);
    ecl_buf_release(&lev);
}

static ecl_pq_reader *open_read(const ecl_buf *f, ecl_batch *b)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    int rc = ecl_pq_reader_open_mem(&r, f->data, f->len, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, 0);
    ecl_batch_init(b, ecl_pq_reader_schema(r));
    rc = ecl_pq_reader_read_row_group(r, 0, b, &e);
    if (rc)
        print_error("%s\n", e.msg);
    assert_int_equal(rc, 0);
    return r;
}

static void delta_encodings(void **state)
{
    (void)state;
    size_t n = 1000;
    int64_t *v = malloc(n * sizeof *v);
    uint8_t *nulls = calloc(n, 1);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 97 == 0 ? INT64_MIN + (int64_t)i : i % 89 == 0 ? INT64_MAX : (int64_t)(i * i) - 5000;
        nulls[i] = i % 7 == 3;
    }
    for (int v2 = 0; v2 < 2; v2++) {
        /* INT64, DELTA_BINARY_PACKED, optional: values are the non-null ones */
        int64_t *nv = malloc(n * sizeof *nv);
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (!nulls[i])
                nv[k++] = v[i];
        ecl_buf vals = ECL_BUF_INIT, f = ECL_BUF_INIT;
        delta_encode(&vals, nv, k);
        hand_file(&f, PQ_INT64, 0, true, PQ_ENC_DELTA_BINARY_PACKED, &vals, nulls, n, v2);
        ecl_batch b;
        ecl_pq_reader *r = open_read(&f, &b);
        assert_int_equal(b.nrows, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(ecl_col_is_null(&b.cols[0], i), nulls[i]);
            if (!nulls[i])
                assert_true(ecl_col_i64(&b.cols[0], i) == v[i]);
        }
        ecl_batch_release(&b);
        ecl_pq_reader_free(r);
        ecl_buf_release(&f);
        ecl_buf_clear(&vals);
        /* INT32 with wrapping deltas, required */
        for (size_t i = 0; i < n; i++)
            nv[i] = (int32_t)(uint32_t)(i * 2654435761u);
        delta_encode(&vals, nv, n);
        hand_file(&f, PQ_INT32, PQ_LT_DATE, false, PQ_ENC_DELTA_BINARY_PACKED, &vals, NULL, n, v2);
        r = open_read(&f, &b);
        assert_int_equal(b.schema->fields[0].type, ECL_T_DATE);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(ecl_col_i32(&b.cols[0], i), (int32_t)nv[i]);
        ecl_batch_release(&b);
        ecl_pq_reader_free(r);
        ecl_buf_release(&f);
        ecl_buf_clear(&vals);
        /* DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY strings */
        const char *words[] = {"apple", "applesauce", "apply", "", "banana", "band", "bandana", "日本", "日本語"};
        size_t nw = sizeof words / sizeof *words;
        for (int prefixed = 0; prefixed < 2; prefixed++) {
            int64_t lens[16], pre[16];
            for (size_t i = 0; i < nw; i++) {
                size_t p = 0;
                if (prefixed && i)
                    while (words[i][p] && words[i - 1][p] == words[i][p])
                        p++;
                pre[i] = (int64_t)p;
                lens[i] = (int64_t)(strlen(words[i]) - p);
            }
            if (prefixed)
                delta_encode(&vals, pre, nw);
            delta_encode(&vals, lens, nw);
            for (size_t i = 0; i < nw; i++)
                ecl_buf_append(&vals, words[i] + pre[i], (size_t)lens[i]);
            hand_file(&f, PQ_BYTE_ARRAY, PQ_LT_STRING, false,
                      prefixed ? PQ_ENC_DELTA_BYTE_ARRAY : PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, &vals, NULL,
                      nw, v2);
            r = open_read(&f, &b);
            for (size_t i = 0; i < nw; i++) {
                size_t len;
                const char *s = ecl_col_str(&b.cols[0], i, &len);
                assert_int_equal(len, strlen(words[i]));
                assert_memory_equal(s, words[i], len);
            }
            ecl_batch_release(&b);
            ecl_pq_reader_free(r);
            ecl_buf_release(&f);
            ecl_buf_clear(&vals);
        }
        ecl_buf_release(&vals);
        free(nv);
    }
    free(v);
    free(nulls);
}

static void byte_stream_split_and_float(void **state)
{
    (void)state;
    float fv[] = {1.5f, -0.0f, 3.25f, -1e30f, 7.0f};
    size_t n = 5;
    ecl_buf vals = ECL_BUF_INIT, f = ECL_BUF_INIT;
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < n; i++)
            ecl_buf_putc(&vals, ((const uint8_t *)&fv[i])[k]);
    hand_file(&f, PQ_FLOAT, 0, false, PQ_ENC_BYTE_STREAM_SPLIT, &vals, NULL, n, false);
    ecl_batch b;
    ecl_pq_reader *r = open_read(&f, &b);
    assert_int_equal(b.schema->fields[0].type, ECL_T_DOUBLE);
    for (size_t i = 0; i < n; i++)
        assert_true(ecl_col_f64(&b.cols[0], i) == (double)fv[i]);
    ecl_batch_release(&b);
    ecl_pq_reader_free(r);
    ecl_buf_release(&f);
    ecl_buf_release(&vals);
}

static void refuses_nested_and_repeated(void **state)
{
    (void)state;
    for (int repeated = 0; repeated < 2; repeated++) {
        ecl_buf f = ECL_BUF_INIT, meta = ECL_BUF_INIT;
        ecl_buf_append(&f, "PAR1", 4);
        ecl_thr_w t;
        ecl_thr_w_init(&t, &meta);
        ecl_thr_w_struct_begin(&t);
        ecl_thr_w_i32_field(&t, 1, 1);
        ecl_thr_w_list_field(&t, 2, ECL_THR_STRUCT, repeated ? 2 : 3);
        ecl_thr_w_struct_begin(&t);
        ecl_thr_w_string_field(&t, 4, "root");
        ecl_thr_w_i32_field(&t, 5, 1);
        ecl_thr_w_struct_end(&t);
        if (!repeated) {
            ecl_thr_w_struct_begin(&t);
            ecl_thr_w_i32_field(&t, 3, PQ_OPTIONAL);
            ecl_thr_w_string_field(&t, 4, "group");
            ecl_thr_w_i32_field(&t, 5, 1);
            ecl_thr_w_struct_end(&t);
        }
        ecl_thr_w_struct_begin(&t);
        ecl_thr_w_i32_field(&t, 1, PQ_INT32);
        ecl_thr_w_i32_field(&t, 3, repeated ? PQ_REPEATED : PQ_OPTIONAL);
        ecl_thr_w_string_field(&t, 4, "leaf");
        ecl_thr_w_struct_end(&t);
        ecl_thr_w_i64_field(&t, 3, 0);
        ecl_thr_w_list_field(&t, 4, ECL_THR_STRUCT, 0);
        ecl_thr_w_struct_end(&t);
        uint32_t ml = (uint32_t)meta.len;
        ecl_buf_append(&f, meta.data, meta.len);
        ecl_buf_append(&f, &ml, 4);
        ecl_buf_append(&f, "PAR1", 4);
        ecl_err e = ECL_ERR_INIT;
        ecl_pq_reader *r;
        assert_int_equal(ecl_pq_reader_open_mem(&r, f.data, f.len, &e), ECL_EUNSUPPORTED);
        assert_non_null(strstr(e.msg, "flat"));
        ecl_buf_release(&f);
        ecl_buf_release(&meta);
    }
}

static void rejects_corrupt_files(void **state)
{
    (void)state;
    ecl_schema s;
    ecl_batch b;
    edge_table(&s, &b, 200, true, 2);
    ecl_buf file = ECL_BUF_INIT;
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    write_mem(&s, &b, &o, &file, 0);
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    /* truncations never crash: either the open or the read fails, or a prefix survives */
    for (size_t cut = 0; cut < file.len; cut += 1 + cut / 8) {
        ecl_err_clear(&e);
        if (ecl_pq_reader_open_mem(&r, file.data, cut, &e) == 0)
            ecl_pq_reader_free(r);
        else
            assert_true(e.code == ECL_EFORMAT);
    }
    /* flipping bytes inside the pages is caught or decodes to something, never overflows */
    uint8_t *copy = malloc(file.len);
    for (size_t pos = 4; pos < file.len - 8; pos += 7) {
        memcpy(copy, file.data, file.len);
        copy[pos] ^= 0x5A;
        ecl_err_clear(&e);
        if (ecl_pq_reader_open_mem(&r, copy, file.len, &e) == 0) {
            ecl_batch got;
            ecl_batch_init(&got, ecl_pq_reader_schema(r));
            ecl_pq_reader_read_row_group(r, 0, &got, &e);
            ecl_batch_release(&got);
            ecl_pq_reader_free(r);
        }
    }
    free(copy);
    assert_int_equal(ecl_pq_reader_open_mem(&r, (const uint8_t *)"PAR1xxxxPAR1", 12, &e), ECL_EFORMAT);
    ecl_buf_release(&file);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edge_values_every_codec),
        cmocka_unit_test(pages_row_groups_and_fallback),
        cmocka_unit_test(single_row_zero_rows_all_null),
        cmocka_unit_test(long_strings),
        cmocka_unit_test(statistics_semantics),
        cmocka_unit_test(deterministic_across_threads_and_batches),
        cmocka_unit_test(write_group_same_bytes),
        cmocka_unit_test(writer_rejects_bad_input),
        cmocka_unit_test(chunk_layout),
        cmocka_unit_test(dictionary_choice),
        cmocka_unit_test(incompressible_chunks),
        cmocka_unit_test(delta_encodings),
        cmocka_unit_test(byte_stream_split_and_float),
        cmocka_unit_test(refuses_nested_and_repeated),
        cmocka_unit_test(rejects_corrupt_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
