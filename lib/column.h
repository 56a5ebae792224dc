/* column.h - schemas and typed column batches: the one in-memory form between a dataset model and a
 * table writer (Parquet or CSV). Models append typed values; no text round trip.
 *
 * Physical representation per logical type:
 *   ECL_T_BOOL       uint8_t   (0 or 1)
 *   ECL_T_INT32      int32_t
 *   ECL_T_INT64      int64_t
 *   ECL_T_DOUBLE     double
 *   ECL_T_STRING     offsets[len+1] (int64_t) into the bytes buffer; UTF-8
 *   ECL_T_DATE       int32_t   days since 1970-01-01 (negative before)
 *   ECL_T_TIMESTAMP  int64_t   microseconds since 1970-01-01T00:00:00Z
 *   ECL_T_DECIMAL    int64_t   unscaled value; precision 1..18 (stored INT32 in Parquet when p <= 9)
 * A null slot holds 0 (or an empty string) so buffers are always fully defined. */
#ifndef ECL_COLUMN_H
#define ECL_COLUMN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "err.h"

typedef enum ecl_type {
    ECL_T_BOOL,
    ECL_T_INT32,
    ECL_T_INT64,
    ECL_T_DOUBLE,
    ECL_T_STRING,
    ECL_T_DATE,
    ECL_T_TIMESTAMP,
    ECL_T_DECIMAL,
} ecl_type;

typedef struct ecl_field {
    char *name;
    ecl_type type;
    uint8_t precision; /* DECIMAL only */
    uint8_t scale;     /* DECIMAL only */
    bool nullable;
} ecl_field;

typedef struct ecl_schema {
    ecl_field *fields;
    size_t nfields;
} ecl_schema;

/* Schema building: names are copied. */
void ecl_schema_init(ecl_schema *s);
int ecl_schema_add(ecl_schema *s, const char *name, ecl_type type, bool nullable);
int ecl_schema_add_decimal(ecl_schema *s, const char *name, int precision, int scale, bool nullable);
int ecl_schema_copy(ecl_schema *dst, const ecl_schema *src);
void ecl_schema_release(ecl_schema *s);
/* Index of a field by name, or -1. */
int ecl_schema_find(const ecl_schema *s, const char *name);
/* "int64", "decimal(12,2)", ... and the reverse (returns ECL_EINVAL for unknown names). */
const char *ecl_type_name(ecl_type t);
int ecl_type_parse(const char *text, ecl_type *t, int *precision, int *scale);
/* Width in bytes of one fixed-width value (0 for strings). */
size_t ecl_type_width(ecl_type t);

typedef struct ecl_column {
    ecl_type type;
    size_t len;
    size_t cap;
    size_t nnull;
    uint8_t *nulls;   /* NULL while no value is null; else nulls[i] = 1 marks a null */
    void *values;     /* fixed-width values, or NULL for strings */
    int64_t *offsets; /* strings only: len + 1 entries */
    ecl_buf bytes;    /* strings only */
} ecl_column;

typedef struct ecl_batch {
    const ecl_schema *schema; /* borrowed */
    ecl_column *cols;
    size_t nrows;
} ecl_batch;

int ecl_batch_init(ecl_batch *b, const ecl_schema *schema);
/* Empties every column and keeps their memory. */
void ecl_batch_clear(ecl_batch *b);
void ecl_batch_release(ecl_batch *b);
/* Sets nrows from the columns after a round of appends; fails if the columns disagree. */
int ecl_batch_seal(ecl_batch *b, ecl_err *e);
/* Appends row i of src (same schema) to dst; used to split and merge batches. */
int ecl_batch_append_row(ecl_batch *dst, const ecl_batch *src, size_t i);

/* Appends: return 0 or ECL_ENOMEM. The typed pushes must match the column's physical type. */
int ecl_col_push_null(ecl_column *c);
int ecl_col_reserve(ecl_column *c, size_t rows);
/* The value pushes are C99 inline definitions (column.c holds the external ones): models push
 * hundreds of millions of values and the call itself used to cost more than the store. */
#define ECL_COL_PUSH_FIXED_(fn, ctype, arg)                                                         \
    inline int fn(ecl_column *c, arg v)                                                             \
    {                                                                                               \
        if (c->len >= c->cap && ecl_col_reserve(c, c->len + 1))                                     \
            return ECL_ENOMEM;                                                                      \
        ((ctype *)c->values)[c->len] = (ctype)v;                                                    \
        if (c->nulls)                                                                               \
            c->nulls[c->len] = 0;                                                                   \
        c->len++;                                                                                   \
        return 0;                                                                                   \
    }
ECL_COL_PUSH_FIXED_(ecl_col_push_bool, uint8_t, bool)
ECL_COL_PUSH_FIXED_(ecl_col_push_i32, int32_t, int32_t) /* INT32, DATE */
ECL_COL_PUSH_FIXED_(ecl_col_push_i64, int64_t, int64_t) /* INT64, TIMESTAMP, DECIMAL */
ECL_COL_PUSH_FIXED_(ecl_col_push_f64, double, double)
inline int ecl_col_push_str(ecl_column *c, const char *s, size_t n)
{
    if ((c->len >= c->cap && ecl_col_reserve(c, c->len + 1)) || ecl_buf_append(&c->bytes, s, n))
        return ECL_ENOMEM;
    c->offsets[c->len + 1] = (int64_t)c->bytes.len;
    if (c->nulls)
        c->nulls[c->len] = 0;
    c->len++;
    return 0;
}
inline int ecl_col_push_cstr(ecl_column *c, const char *s) { return ecl_col_push_str(c, s, strlen(s)); }
/* Drops the values from row len on (len <= c->len), keeping the memory: undoes a partial append. */
void ecl_col_truncate(ecl_column *c, size_t len);

static inline bool ecl_col_is_null(const ecl_column *c, size_t i) { return c->nulls && c->nulls[i]; }
static inline int32_t ecl_col_i32(const ecl_column *c, size_t i) { return ((const int32_t *)c->values)[i]; }
static inline int64_t ecl_col_i64(const ecl_column *c, size_t i) { return ((const int64_t *)c->values)[i]; }
static inline double ecl_col_f64(const ecl_column *c, size_t i) { return ((const double *)c->values)[i]; }
static inline bool ecl_col_bool(const ecl_column *c, size_t i) { return ((const uint8_t *)c->values)[i] != 0; }
static inline const char *ecl_col_str(const ecl_column *c, size_t i, size_t *n)
{
    *n = (size_t)(c->offsets[i + 1] - c->offsets[i]);
    return (const char *)c->bytes.data + c->offsets[i];
}

/* Calendar helpers shared by every model, parser and writer (proleptic Gregorian, UTC). */
int32_t ecl_days_from_civil(int y, int m, int d);
void ecl_civil_from_days(int32_t days, int *y, int *m, int *d);
bool ecl_date_valid(int y, int m, int d);
/* "YYYY-MM-DD" -> days; ECL_EINVAL on anything else, including 2024-02-30. */
int ecl_date_parse(const char *s, size_t n, int32_t *days);
/* Writes "YYYY-MM-DD" (10 chars + NUL) into out[11]. */
void ecl_date_format(int32_t days, char out[11]);

#endif
