#include "column.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ecl_schema_init(ecl_schema *s)
{
    s->fields = NULL;
    s->nfields = 0;
}

static int schema_push(ecl_schema *s, const char *name, ecl_type type, int p, int sc, bool nullable)
{
    ecl_field *f = realloc(s->fields, (s->nfields + 1) * sizeof *f);
    if (!f)
        return ECL_ENOMEM;
    s->fields = f;
    char *nm = strdup(name);
    if (!nm)
        return ECL_ENOMEM;
    f[s->nfields++] = (ecl_field){nm, type, (uint8_t)p, (uint8_t)sc, nullable};
    return 0;
}

int ecl_schema_add(ecl_schema *s, const char *name, ecl_type type, bool nullable)
{
    return schema_push(s, name, type, 0, 0, nullable);
}

int ecl_schema_add_decimal(ecl_schema *s, const char *name, int precision, int scale, bool nullable)
{
    if (precision < 1 || precision > 18 || scale < 0 || scale > precision)
        return ECL_EINVAL;
    return schema_push(s, name, ECL_T_DECIMAL, precision, scale, nullable);
}

int ecl_schema_copy(ecl_schema *dst, const ecl_schema *src)
{
    ecl_schema_init(dst);
    for (size_t i = 0; i < src->nfields; i++) {
        const ecl_field *f = &src->fields[i];
        if (schema_push(dst, f->name, f->type, f->precision, f->scale, f->nullable)) {
            ecl_schema_release(dst);
            return ECL_ENOMEM;
        }
    }
    return 0;
}

void ecl_schema_release(ecl_schema *s)
{
    for (size_t i = 0; i < s->nfields; i++)
        free(s->fields[i].name);
    free(s->fields);
    ecl_schema_init(s);
}

int ecl_schema_find(const ecl_schema *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *ecl_type_name(ecl_type t)
{
    switch (t) {
    case ECL_T_BOOL: return "boolean";
    case ECL_T_INT32: return "int32";
    case ECL_T_INT64: return "int64";
    case ECL_T_DOUBLE: return "double";
    case ECL_T_STRING: return "string";
    case ECL_T_DATE: return "date";
    case ECL_T_TIMESTAMP: return "timestamp";
    case ECL_T_DECIMAL: return "decimal";
    }
    return "?";
}

int ecl_type_parse(const char *text, ecl_type *t, int *precision, int *scale)
{
    static const struct { const char *name; ecl_type t; } names[] = {
        {"boolean", ECL_T_BOOL}, {"bool", ECL_T_BOOL},       {"int32", ECL_T_INT32},
        {"int", ECL_T_INT32},    {"int64", ECL_T_INT64},     {"bigint", ECL_T_INT64},
        {"double", ECL_T_DOUBLE}, {"float64", ECL_T_DOUBLE}, {"string", ECL_T_STRING},
        {"date", ECL_T_DATE},    {"timestamp", ECL_T_TIMESTAMP},
    };
    *precision = *scale = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(text, names[i].name) == 0) {
            *t = names[i].t;
            return 0;
        }
    }
    int p, s, used = 0;
    if (sscanf(text, "decimal(%d,%d)%n", &p, &s, &used) == 2 && text[used] == '\0' && p >= 1 &&
        p <= 18 && s >= 0 && s <= p) {
        *t = ECL_T_DECIMAL;
        *precision = p;
        *scale = s;
        return 0;
    }
    return ECL_EINVAL;
}

size_t ecl_type_width(ecl_type t)
{
    switch (t) {
    case ECL_T_BOOL: return 1;
    case ECL_T_INT32:
    case ECL_T_DATE: return 4;
    case ECL_T_INT64:
    case ECL_T_TIMESTAMP:
    case ECL_T_DECIMAL:
    case ECL_T_DOUBLE: return 8;
    case ECL_T_STRING: return 0;
    }
    return 0;
}

int ecl_col_reserve(ecl_column *c, size_t rows)
{
    if (rows <= c->cap)
        return 0;
    size_t ncap = c->cap ? c->cap : 256;
    while (ncap < rows)
        ncap *= 2;
    size_t w = ecl_type_width(c->type);
    if (w) {
        void *v = realloc(c->values, ncap * w);
        if (!v)
            return ECL_ENOMEM;
        c->values = v;
    } else {
        int64_t *o = realloc(c->offsets, (ncap + 1) * sizeof *o);
        if (!o)
            return ECL_ENOMEM;
        if (!c->offsets)
            o[0] = 0;
        c->offsets = o;
    }
    if (c->nulls) {
        uint8_t *n = realloc(c->nulls, ncap);
        if (!n)
            return ECL_ENOMEM;
        memset(n + c->cap, 0, ncap - c->cap);
        c->nulls = n;
    }
    c->cap = ncap;
    return 0;
}

static inline int col_room(ecl_column *c)
{
    return c->len < c->cap ? 0 : ecl_col_reserve(c, c->len + 1);
}

int ecl_col_push_null(ecl_column *c)
{
    if (col_room(c))
        return ECL_ENOMEM;
    if (!c->nulls) {
        c->nulls = calloc(c->cap ? c->cap : 1, 1);
        if (!c->nulls)
            return ECL_ENOMEM;
    }
    size_t w = ecl_type_width(c->type);
    if (w)
        memset((uint8_t *)c->values + c->len * w, 0, w);
    else
        c->offsets[c->len + 1] = c->offsets[c->len];
    c->nulls[c->len++] = 1;
    c->nnull++;
    return 0;
}

/* The external definitions of the inline pushes in column.h. */
extern inline int ecl_col_push_bool(ecl_column *c, bool v);
extern inline int ecl_col_push_i32(ecl_column *c, int32_t v);
extern inline int ecl_col_push_i64(ecl_column *c, int64_t v);
extern inline int ecl_col_push_f64(ecl_column *c, double v);
extern inline int ecl_col_push_str(ecl_column *c, const char *s, size_t n);
extern inline int ecl_col_push_cstr(ecl_column *c, const char *s);

static void col_clear(ecl_column *c)
{
    c->len = 0;
    c->nnull = 0;
    if (c->offsets)
        c->offsets[0] = 0;
    ecl_buf_clear(&c->bytes);
    if (c->nulls)
        memset(c->nulls, 0, c->cap);
}

static void col_release(ecl_column *c)
{
    free(c->nulls);
    free(c->values);
    free(c->offsets);
    ecl_buf_release(&c->bytes);
    memset(c, 0, sizeof *c);
}

void ecl_col_truncate(ecl_column *c, size_t len)
{
    for (size_t i = len; i < c->len; i++)
        if (c->nulls && c->nulls[i]) {
            c->nulls[i] = 0;
            c->nnull--;
        }
    if (c->offsets)
        ecl_buf_setlen(&c->bytes, (size_t)c->offsets[len]);
    if (len < c->len)
        c->len = len;
}

int ecl_batch_init(ecl_batch *b, const ecl_schema *schema)
{
    b->schema = schema;
    b->nrows = 0;
    b->cols = calloc(schema->nfields ? schema->nfields : 1, sizeof *b->cols);
    if (!b->cols)
        return ECL_ENOMEM;
    for (size_t i = 0; i < schema->nfields; i++) {
        b->cols[i].type = schema->fields[i].type;
        ecl_buf_init(&b->cols[i].bytes, 0);
        if (ecl_col_reserve(&b->cols[i], 256)) {
            ecl_batch_release(b);
            return ECL_ENOMEM;
        }
    }
    return 0;
}

void ecl_batch_clear(ecl_batch *b)
{
    for (size_t i = 0; i < b->schema->nfields; i++)
        col_clear(&b->cols[i]);
    b->nrows = 0;
}

void ecl_batch_release(ecl_batch *b)
{
    if (b->cols && b->schema)
        for (size_t i = 0; i < b->schema->nfields; i++)
            col_release(&b->cols[i]);
    free(b->cols);
    b->cols = NULL;
    b->nrows = 0;
}

int ecl_batch_seal(ecl_batch *b, ecl_err *e)
{
    size_t n = b->schema->nfields ? b->cols[0].len : 0;
    for (size_t i = 1; i < b->schema->nfields; i++)
        if (b->cols[i].len != n)
            return ecl_err_set(e, ECL_EINVAL, "column '%s' has %zu rows, column '%s' has %zu",
                               b->schema->fields[i].name, b->cols[i].len, b->schema->fields[0].name, n);
    b->nrows = n;
    return 0;
}

int ecl_batch_append_row(ecl_batch *dst, const ecl_batch *src, size_t i)
{
    for (size_t k = 0; k < src->schema->nfields; k++) {
        const ecl_column *s = &src->cols[k];
        ecl_column *d = &dst->cols[k];
        int rc;
        if (ecl_col_is_null(s, i)) {
            rc = ecl_col_push_null(d);
        } else {
            switch (s->type) {
            case ECL_T_BOOL: rc = ecl_col_push_bool(d, ecl_col_bool(s, i)); break;
            case ECL_T_INT32:
            case ECL_T_DATE: rc = ecl_col_push_i32(d, ecl_col_i32(s, i)); break;
            case ECL_T_DOUBLE: rc = ecl_col_push_f64(d, ecl_col_f64(s, i)); break;
            case ECL_T_STRING: {
                size_t n;
                const char *p = ecl_col_str(s, i, &n);
                rc = ecl_col_push_str(d, p, n);
                break;
            }
            default: rc = ecl_col_push_i64(d, ecl_col_i64(s, i)); break;
            }
        }
        if (rc)
            return rc;
    }
    dst->nrows++;
    return 0;
}

/* Howard Hinnant's days-from-civil algorithm: exact for the whole int32 day range we use. */
int32_t ecl_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + (int)doe - 719468);
}

void ecl_civil_from_days(int32_t z0, int *y, int *m, int *d)
{
    int64_t z = (int64_t)z0 + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

bool ecl_date_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
        return false;
    int lim = mdays[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
    return d <= lim;
}

int ecl_date_parse(const char *s, size_t n, int32_t *days)
{
    if (n != 10 || s[4] != '-' || s[7] != '-')
        return ECL_EINVAL;
    int v[8], k = 0;
    for (size_t i = 0; i < 10; i++) {
        if (i == 4 || i == 7)
            continue;
        if (s[i] < '0' || s[i] > '9')
            return ECL_EINVAL;
        v[k++] = s[i] - '0';
    }
    int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
    int m = v[4] * 10 + v[5];
    int d = v[6] * 10 + v[7];
    if (!ecl_date_valid(y, m, d))
        return ECL_EINVAL;
    *days = ecl_days_from_civil(y, m, d);
    return 0;
}

void ecl_date_format(int32_t days, char out[11])
{
    int y, m, d;
    ecl_civil_from_days(days, &y, &m, &d);
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
}
