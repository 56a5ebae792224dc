/* libFuzzer target for the CSV reader and value parsers: the first input byte picks the dialect
 * (delimiter, header, null token); every record is parsed against a fixed mixed-type schema, and
 * every value that parses is written back out and must parse again to the same value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/csv.h"

static const ecl_type types[] = {ECL_T_STRING, ECL_T_INT32, ECL_T_INT64, ECL_T_DOUBLE, ECL_T_BOOL,
                                 ECL_T_DATE,   ECL_T_TIMESTAMP, ECL_T_DECIMAL};
enum { NT = sizeof types / sizeof types[0] };

static void rewrite_check(const ecl_schema *s, const ecl_batch *b, const ecl_csv_dialect *din)
{
    /* quote_empty keeps empty strings apart from an empty null token, so the trip is exact */
    ecl_csv_dialect dd = *din;
    dd.quote_empty = true;
    const ecl_csv_dialect *d = &dd;
    ecl_buf out = ECL_BUF_INIT;
    ecl_out o;
    ecl_out_mem(&o, &out);
    ecl_err e = ECL_ERR_INIT;
    if (ecl_csv_write_batch(&o, b, d, &e))
        abort();
    ecl_csv_dialect rd = *d;
    rd.header = false;
    ecl_csv_reader *r;
    if (ecl_csv_open_mem(&r, "again", out.data, out.len, &rd, &e))
        abort();
    ecl_batch back;
    if (ecl_batch_init(&back, s))
        abort();
    const ecl_csv_field *f;
    size_t n, row = 0;
    while (ecl_csv_next(r, &f, &n, &e) == 0) {
        if (n != s->nfields)
            abort();
        for (size_t k = 0; k < n; k++)
            if (ecl_csv_parse_value(r, &s->fields[k], &f[k], &rd, &back.cols[k], &e))
                abort();
        row++;
    }
    if (e.code || row != b->nrows)
        abort();
    for (size_t k = 0; k < s->nfields; k++) {
        const ecl_column *x = &b->cols[k], *y = &back.cols[k];
        for (size_t i = 0; i < row; i++) {
            if (ecl_col_is_null(x, i) != ecl_col_is_null(y, i))
                abort();
            if (ecl_col_is_null(x, i))
                continue;
            size_t w = ecl_type_width(x->type);
            if (w == 0) {
                size_t n1, n2;
                const char *p1 = ecl_col_str(x, i, &n1), *p2 = ecl_col_str(y, i, &n2);
                if (n1 != n2 || memcmp(p1, p2, n1))
                    abort();
            } else if (x->type == ECL_T_DOUBLE) {
                double a = ecl_col_f64(x, i), c = ecl_col_f64(y, i);
                if (!(a == c || (a != a && c != c)))
                    abort();
            } else if (memcmp((const uint8_t *)x->values + i * w, (const uint8_t *)y->values + i * w, w)) {
                abort();
            }
        }
    }
    ecl_batch_release(&back);
    ecl_csv_free(r);
    ecl_buf_release(&out);
}

/* The batch reader on the same input: columns always as long as the rows delivered, at most
 * `max` rows per call, only row errors (EINVAL/EFORMAT), and an end. */
static void batch_check(const ecl_schema *s, const uint8_t *data, size_t size, const ecl_csv_dialect *d)
{
    ecl_csv_reader *r;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_csv_open_mem(&r, "fuzz", data, size, d, &e))
        return;
    int map[NT];
    if (d->header) {
        if (ecl_csv_map_header(r, s, map, NULL, &e)) {
            if (e.code != ECL_EINVAL && e.code != ECL_EFORMAT)
                abort();
            ecl_csv_free(r);
            return;
        }
    } else {
        for (int k = 0; k < NT; k++)
            map[k] = k;
        ecl_csv_expect_fields(r, SIZE_MAX);
    }
    ecl_batch b;
    if (ecl_batch_init(&b, s))
        abort();
    int guard = 0;
    for (bool done = false; !done && guard++ < 20000;) {
        ecl_batch_clear(&b);
        ecl_err re = ECL_ERR_INIT;
        int rc = ecl_csv_read_batch(r, s, map, d, &b, 3, &done, &re);
        if (rc && rc != ECL_EINVAL && rc != ECL_EFORMAT)
            abort();
        if (b.nrows > 3)
            abort();
        for (size_t k = 0; k < s->nfields; k++)
            if (b.cols[k].len != b.nrows)
                abort();
    }
    ecl_batch_release(&b);
    ecl_csv_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    uint8_t mode = data[0];
    d.delimiter = (mode & 3) == 0 ? ',' : (mode & 3) == 1 ? ';' : (mode & 3) == 2 ? '\t' : '|';
    d.header = mode & 4;
    d.null_token = mode & 8 ? "NULL" : "";
    d.quote_empty = mode & 16;
    d.crlf = mode & 32;
    data++;
    size--;

    ecl_schema s;
    ecl_schema_init(&s);
    char name[8];
    for (int i = 0; i < 8; i++) {
        name[0] = 'c';
        name[1] = (char)('0' + i);
        name[2] = 0;
        if (types[i] == ECL_T_DECIMAL)
            ecl_schema_add_decimal(&s, name, 12, 2, true);
        else
            ecl_schema_add(&s, name, types[i], true);
    }
    ecl_csv_reader *r;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_csv_open_mem(&r, "fuzz", data, size, &d, &e) == 0) {
        ecl_csv_expect_fields(r, SIZE_MAX);
        ecl_batch b, tmp;
        if (ecl_batch_init(&b, &s) || ecl_batch_init(&tmp, &s))
            abort();
        const ecl_csv_field *f;
        size_t n;
        int rc;
        int guard = 0;
        while ((rc = ecl_csv_next(r, &f, &n, &e)) != ECL_ENOTFOUND && guard++ < 10000) {
            ecl_err_clear(&e);
            if (rc)
                continue; /* the reader resumes after errors */
            /* each field goes to the column its index picks; a row is kept only when all parse */
            if (n > NT)
                n = NT;
            ecl_batch_clear(&tmp);
            bool ok = true;
            for (size_t k = 0; k < NT; k++) {
                ecl_csv_field fld = k < n ? f[k] : (ecl_csv_field){"", 0, false, 1, 1};
                if (ecl_csv_parse_value(r, &s.fields[k], &fld, &d, &tmp.cols[k], &e)) {
                    if (e.code != ECL_EINVAL)
                        abort();
                    ecl_err_clear(&e);
                    ok = false;
                    break;
                }
            }
            if (ok) {
                tmp.nrows = 1;
                if (ecl_batch_append_row(&b, &tmp, 0))
                    abort();
            }
        }
        ecl_batch_release(&tmp);
        rewrite_check(&s, &b, &d);
        ecl_batch_release(&b);
        ecl_csv_free(r);
    }
    batch_check(&s, data, size, &d);
    ecl_schema_release(&s);
    return 0;
}
