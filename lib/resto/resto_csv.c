/* resto_csv.c - the original restaurant CSV dialect: ';', header, LF, money "%.2f", empty strings for
 * empty text. Kept beside the model because the dialect (and local-time timestamps with the zone's
 * offset) belongs to the MR. HEALTH file contract, not to the general CSV writer. */
#include "resto.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../buf.h"

static void put_decimal(ecl_buf *b, int64_t v, int scale)
{
    uint64_t a = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v, p = 1;
    for (int i = 0; i < scale; i++)
        p *= 10;
    if (scale > 0)
        ecl_buf_printf(b, "%s%" PRIu64 ".%0*" PRIu64, v < 0 ? "-" : "", a / p, scale, a % p);
    else
        ecl_buf_printf(b, "%" PRId64, v);
}

static void put_text(ecl_buf *b, const char *s, size_t n)
{
    bool quote = false;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ';' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        ecl_buf_append(b, s, n);
        return;
    }
    ecl_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            ecl_buf_putc(b, '"');
        ecl_buf_putc(b, (uint8_t)s[i]);
    }
    ecl_buf_putc(b, '"');
}

typedef struct tz_cache {
    int64_t hour; /* UTC hour the offset was computed for */
    int offset;
    bool valid;
} tz_cache;

static int put_timestamp(ecl_buf *b, int64_t micros, const char *zone, tz_cache *tc, ecl_err *e)
{
    int64_t secs = micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
    int64_t hour = secs >= 0 ? secs / 3600 : -((-secs + 3599) / 3600);
    /* Zone offsets change on hour boundaries in practice, so one lookup per UTC hour suffices. */
    if (!tc->valid || tc->hour != hour) {
        int32_t d;
        int sod, off;
        if (ecl_tz_utc_to_local(zone, hour * 3600, &d, &sod, &off, e))
            return e->code;
        tc->hour = hour;
        tc->offset = off;
        tc->valid = true;
    }
    int64_t local = secs + tc->offset;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int sod = (int)(local - days * 86400);
    char date[11];
    ecl_date_format((int32_t)days, date);
    int off = tc->offset < 0 ? -tc->offset : tc->offset;
    ecl_buf_printf(b, "%sT%02d:%02d:%02d%c%02d:%02d", date, sod / 3600, sod / 60 % 60, sod % 60,
                   tc->offset < 0 ? '-' : '+', off / 3600, off / 60 % 60);
    return 0;
}

int ecl_resto_write_csv(ecl_out *o, const ecl_batch *bt, const char *zone, ecl_err *e)
{
    if (!zone)
        zone = "America/Sao_Paulo";
    ecl_buf b = ECL_BUF_INIT;
    const ecl_schema *s = bt->schema;
    for (size_t j = 0; j < s->nfields; j++) {
        if (j)
            ecl_buf_putc(&b, ';');
        ecl_buf_puts(&b, s->fields[j].name);
    }
    ecl_buf_putc(&b, '\n');
    tz_cache tc = {0, 0, false};
    int rc = 0;
    for (size_t i = 0; i < bt->nrows && !rc; i++) {
        for (size_t j = 0; j < s->nfields && !rc; j++) {
            const ecl_column *c = &bt->cols[j];
            if (j)
                ecl_buf_putc(&b, ';');
            if (ecl_col_is_null(c, i))
                continue;
            switch (c->type) {
            case ECL_T_INT32: ecl_buf_printf(&b, "%" PRId32, ecl_col_i32(c, i)); break;
            case ECL_T_INT64: ecl_buf_printf(&b, "%" PRId64, ecl_col_i64(c, i)); break;
            case ECL_T_DECIMAL: put_decimal(&b, ecl_col_i64(c, i), s->fields[j].scale); break;
            case ECL_T_DATE: {
                char d[11];
                ecl_date_format(ecl_col_i32(c, i), d);
                ecl_buf_puts(&b, d);
                break;
            }
            case ECL_T_TIMESTAMP: rc = put_timestamp(&b, ecl_col_i64(c, i), zone, &tc, e); break;
            case ECL_T_STRING: {
                size_t n;
                const char *p = ecl_col_str(c, i, &n);
                put_text(&b, p, n);
                break;
            }
            case ECL_T_BOOL: ecl_buf_puts(&b, ecl_col_bool(c, i) ? "True" : "False"); break;
            case ECL_T_DOUBLE: ecl_buf_printf(&b, "%.17g", ecl_col_f64(c, i)); break;
            }
        }
        ecl_buf_putc(&b, '\n');
        if (b.len >= 1 << 16 && !rc) {
            rc = ecl_out_write(o, b.data, b.len, e);
            ecl_buf_clear(&b);
        }
    }
    if (!rc && ecl_buf_oom(&b))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory formatting CSV");
    if (!rc && b.len)
        rc = ecl_out_write(o, b.data, b.len, e);
    ecl_buf_release(&b);
    return rc;
}
