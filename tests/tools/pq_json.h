/* pq_json.h - JSON printing shared by the Parquet test tools (pqwrite, pqdump): values of an
 * ecl_batch column in the form the end-to-end tests compare. Header-only so each tool stays one
 * program. Integers wider than 2^53 are strings; NaN and infinities are strings; dates are
 * "YYYY-MM-DD"; timestamps are microseconds as strings; decimals are unscaled integers as strings. */
#ifndef PQ_JSON_H
#define PQ_JSON_H

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/column.h"

static void pqj_str(FILE *f, const uint8_t *p, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void pqj_double(FILE *f, double d)
{
    if (isnan(d))
        fputs("\"NaN\"", f);
    else if (isinf(d))
        fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
    else if (d == 0 && signbit(d))
        fputs("\"-0\"", f);
    else
        fprintf(f, "%.17g", d);
}

/* Prints one value of a column of type t given as int64 / double / bytes. */
static void pqj_value(FILE *f, ecl_type t, int64_t i, double d, const uint8_t *s, size_t n)
{
    switch (t) {
    case ECL_T_BOOL: fputs(i ? "true" : "false", f); break;
    case ECL_T_INT32: fprintf(f, "%" PRId64, i); break;
    case ECL_T_INT64:
    case ECL_T_TIMESTAMP:
    case ECL_T_DECIMAL: fprintf(f, "\"%" PRId64 "\"", i); break;
    case ECL_T_DOUBLE: pqj_double(f, d); break;
    case ECL_T_STRING: pqj_str(f, s, n); break;
    case ECL_T_DATE: {
        char buf[11];
        ecl_date_format((int32_t)i, buf);
        fprintf(f, "\"%s\"", buf);
        break;
    }
    }
}

static void pqj_cell(FILE *f, const ecl_column *c, size_t r)
{
    if (ecl_col_is_null(c, r)) {
        fputs("null", f);
        return;
    }
    switch (c->type) {
    case ECL_T_BOOL: pqj_value(f, c->type, ecl_col_bool(c, r), 0, NULL, 0); break;
    case ECL_T_INT32:
    case ECL_T_DATE: pqj_value(f, c->type, ecl_col_i32(c, r), 0, NULL, 0); break;
    case ECL_T_DOUBLE: pqj_value(f, c->type, 0, ecl_col_f64(c, r), NULL, 0); break;
    case ECL_T_STRING: {
        size_t n;
        const char *s = ecl_col_str(c, r, &n);
        pqj_value(f, c->type, 0, 0, (const uint8_t *)s, n);
        break;
    }
    default: pqj_value(f, c->type, ecl_col_i64(c, r), 0, NULL, 0); break;
    }
}

static void pqj_schema(FILE *f, const ecl_schema *s)
{
    fputs("[", f);
    for (size_t i = 0; i < s->nfields; i++) {
        const ecl_field *fl = &s->fields[i];
        fprintf(f, "%s{\"name\":", i ? "," : "");
        pqj_str(f, (const uint8_t *)fl->name, strlen(fl->name));
        fprintf(f, ",\"type\":\"%s\",\"nullable\":%s", ecl_type_name(fl->type),
                fl->nullable ? "true" : "false");
        if (fl->type == ECL_T_DECIMAL)
            fprintf(f, ",\"precision\":%d,\"scale\":%d", fl->precision, fl->scale);
        fputs("}", f);
    }
    fputs("]", f);
}

#endif
