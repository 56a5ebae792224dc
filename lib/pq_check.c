/* pq_check.c - checks that the statistics a Parquet file states match its data.
 *
 * Every statistic a file states is checked against the values it describes: the column chunk's and
 * every data page header's; null_count for all columns; min/max (fields 5-6, and the deprecated 1-2
 * for non-string columns) for every type we write:
 *   integers, dates, timestamps, decimals  signed order;
 *   BOOLEAN                                false < true;
 *   DOUBLE                                 NaN never counts (all-NaN: no min/max), a zero minimum
 *                                          is written -0.0 and a zero maximum +0.0 (Parquet spec);
 *   STRING                                 unsigned byte-wise order; like Arrow, our writer leaves
 *                                          min/max out when either is longer than 4096 bytes.
 * A statistic that is present must be exact. For files our own writer made (created_by), a missing
 * statistic it always writes is a problem too. */

#include "pq_check.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "pq_format.h"

enum { STAT_STR_MAX = 4096, SHOW_MAX = 200 };

typedef struct vstat {
    int64_t nulls;
    bool any; /* a value that counts for min/max */
    int64_t imin, imax;
    double dmin, dmax;
    const char *smin, *smax;
    size_t sminl, smaxl;
} vstat;

static int bytes_cmp(const void *a, size_t an, const void *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static bool is_int_type(ecl_type t)
{
    return t == ECL_T_INT32 || t == ECL_T_DATE || t == ECL_T_INT64 || t == ECL_T_TIMESTAMP || t == ECL_T_DECIMAL;
}

/* What rows [a, b) of c say the statistics must be. */
static void vstat_of(const ecl_column *c, size_t a, size_t b, vstat *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = a; i < b; i++) {
        if (ecl_col_is_null(c, i)) {
            s->nulls++;
            continue;
        }
        if (c->type == ECL_T_DOUBLE) {
            double x = ecl_col_f64(c, i);
            if (isnan(x))
                continue;
            if (!s->any || x < s->dmin)
                s->dmin = x;
            if (!s->any || x > s->dmax)
                s->dmax = x;
        } else if (c->type == ECL_T_STRING) {
            size_t n;
            const char *p = ecl_col_str(c, i, &n);
            if (!s->any || bytes_cmp(p, n, s->smin, s->sminl) < 0) {
                s->smin = p;
                s->sminl = n;
            }
            if (!s->any || bytes_cmp(p, n, s->smax, s->smaxl) > 0) {
                s->smax = p;
                s->smaxl = n;
            }
        } else {
            int64_t x = c->type == ECL_T_BOOL                              ? (int64_t)ecl_col_bool(c, i)
                        : (c->type == ECL_T_INT32 || c->type == ECL_T_DATE) ? ecl_col_i32(c, i)
                                                                           : ecl_col_i64(c, i);
            if (!s->any || x < s->imin)
                s->imin = x;
            if (!s->any || x > s->imax)
                s->imax = x;
        }
        s->any = true;
    }
}

/* A value as a person reads it (strings quoted and cut at 60 bytes). */
static void show_value(const ecl_field *f, int64_t i, double d, const char *s, size_t sl, char out[SHOW_MAX])
{
    switch (f->type) {
    case ECL_T_BOOL: snprintf(out, SHOW_MAX, "%s", i ? "true" : "false"); break;
    case ECL_T_DATE: ecl_date_format((int32_t)i, out); break;
    case ECL_T_TIMESTAMP: ecl_format_timestamp(i, ECL_TS_ISO_T, out); break;
    case ECL_T_DECIMAL: ecl_format_decimal(i, f->scale, out); break;
    case ECL_T_DOUBLE:
        if (d == 0)
            snprintf(out, SHOW_MAX, "%s0.0", signbit(d) ? "-" : "+");
        else
            snprintf(out, SHOW_MAX, "%.17g", d);
        break;
    case ECL_T_STRING: {
        size_t k = 0;
        out[k++] = '"';
        for (size_t j = 0; j < sl && j < 40; j++) {
            unsigned char ch = (unsigned char)s[j];
            if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
                k += (size_t)snprintf(out + k, SHOW_MAX - k, "\\x%02x", ch);
            else
                out[k++] = (char)ch;
        }
        if (sl > 40)
            snprintf(out + k, SHOW_MAX - k, "...\" (%zu bytes)", sl);
        else
            snprintf(out + k, SHOW_MAX - k, "\"");
        break;
    }
    default: snprintf(out, SHOW_MAX, "%lld", (long long)i); break;
    }
}

/* Decodes one stated min or max (plain encoding of the physical type) into *i / *d / *s. */
static bool decode_stat(int phys, const uint8_t *p, size_t n, int64_t *i, double *d, const char **s, size_t *sl)
{
    switch (phys) {
    case PQ_BOOLEAN:
        if (n != 1)
            return false;
        *i = p[0] != 0;
        return true;
    case PQ_INT32: {
        int32_t v;
        if (n != 4)
            return false;
        memcpy(&v, p, 4);
        *i = v;
        return true;
    }
    case PQ_INT64:
        if (n != 8)
            return false;
        memcpy(i, p, 8);
        return true;
    case PQ_DOUBLE:
        if (n != 8)
            return false;
        memcpy(d, p, 8);
        return true;
    case PQ_BYTE_ARRAY:
        *s = (const char *)p;
        *sl = n;
        return true;
    }
    return false;
}

/* Checks one stated min/max pair; "min_value"/"max_value" or "min"/"max" (deprecated) in names. */
static int check_pair(const ecl_field *f, int phys, const vstat *v, const uint8_t *pmin, size_t lmin,
                      const uint8_t *pmax, size_t lmax, const char *nmin, const char *nmax, bool expected,
                      char *why, size_t whylen)
{
    if (!pmin != !pmax) {
        snprintf(why, whylen, "%s without %s", pmin ? nmin : nmax, pmin ? nmax : nmin);
        return -1;
    }
    if (!pmin) {
        if (expected) {
            snprintf(why, whylen, "%s/%s missing (the writer always writes them for these values)", nmin, nmax);
            return -1;
        }
        return 0;
    }
    if (!v->any) {
        snprintf(why, whylen, "%s/%s present, but there is no %svalue", nmin, nmax,
                 f->type == ECL_T_DOUBLE ? "non-NaN non-null " : "non-null ");
        return -1;
    }
    const uint8_t *pp[2] = {pmin, pmax};
    size_t ll[2] = {lmin, lmax};
    const char *names[2] = {nmin, nmax};
    for (int k = 0; k < 2; k++) {
        int64_t i = 0;
        double d = 0;
        const char *s = NULL;
        size_t sl = 0;
        if (!decode_stat(phys, pp[k], ll[k], &i, &d, &s, &sl)) {
            snprintf(why, whylen, "%s has %zu bytes, not a plain %s value", names[k], ll[k], ecl_type_name(f->type));
            return -1;
        }
        bool ok;
        int64_t wi = k ? v->imax : v->imin;
        double wd = k ? v->dmax : v->dmin;
        const char *ws = k ? v->smax : v->smin;
        size_t wl = k ? v->smaxl : v->sminl;
        if (f->type == ECL_T_DOUBLE && phys == PQ_DOUBLE) {
            ok = !isnan(d) && d == wd;
            if (ok && d == 0 && signbit(d) != (k == 0)) {
                snprintf(why, whylen, "%s is %s0.0; the Parquet spec asks for %s0.0 when the %s is zero", names[k],
                         signbit(d) ? "-" : "+", k ? "+" : "-", k ? "maximum" : "minimum");
                return -1;
            }
        } else if (f->type == ECL_T_STRING && phys == PQ_BYTE_ARRAY) {
            ok = bytes_cmp(s, sl, ws, wl) == 0;
        } else if ((is_int_type(f->type) || f->type == ECL_T_BOOL) && phys != PQ_BYTE_ARRAY && phys != PQ_DOUBLE) {
            ok = i == wi;
        } else {
            continue; /* a conversion we do not write: nothing to compare */
        }
        if (!ok) {
            char got[SHOW_MAX], want[SHOW_MAX];
            show_value(f, i, d, s, sl, got);
            show_value(f, wi, wd, ws, wl, want);
            snprintf(why, whylen, "%s is %s, the data's %s is %s", names[k], got, k ? "maximum" : "minimum", want);
            return -1;
        }
    }
    return 0;
}

/* Checks stated statistics st against rows [a, b) of c. */
static int check_raw_stats(const ecl_pq_raw_stats *st, const ecl_field *f, int phys, const ecl_column *c, size_t a,
                           size_t b, bool ours, char *why, size_t whylen)
{
    if (!st->present) {
        if (ours) {
            snprintf(why, whylen, "statistics missing (the writer always writes them)");
            return -1;
        }
        return 0;
    }
    vstat v;
    vstat_of(c, a, b, &v);
    if (st->has_null_count && st->null_count != v.nulls) {
        snprintf(why, whylen, "null_count is %lld, the data has %lld null(s)", (long long)st->null_count,
                 (long long)v.nulls);
        return -1;
    }
    if (!st->has_null_count && ours) {
        snprintf(why, whylen, "null_count missing (the writer always writes it)");
        return -1;
    }
    bool str = f->type == ECL_T_STRING;
    bool expected = ours && v.any && (!str || (v.sminl <= STAT_STR_MAX && v.smaxl <= STAT_STR_MAX));
    if (str && v.any && (v.sminl > STAT_STR_MAX || v.smaxl > STAT_STR_MAX) && ours && (st->min || st->max)) {
        snprintf(why, whylen, "min_value/max_value present, but a value of %zu bytes is over the %d-byte limit "
                 "under which the writer keeps them", v.sminl > v.smaxl ? v.sminl : v.smaxl, STAT_STR_MAX);
        return -1;
    }
    if (check_pair(f, phys, &v, st->min, st->min_len, st->max, st->max_len, "min_value", "max_value", expected, why,
                   whylen))
        return -1;
    /* the deprecated fields use signed byte order for strings: meaningless there, so unchecked */
    if (phys != PQ_BYTE_ARRAY &&
        check_pair(f, phys, &v, st->min_dep, st->min_dep_len, st->max_dep, st->max_dep_len, "min (deprecated)",
                   "max (deprecated)", expected, why, whylen))
        return -1;
    return 0;
}

int ecl_pq_check_stats(const ecl_pq_reader *r, size_t rg, size_t col, const ecl_column *c, size_t n, bool ours,
                       char *why, size_t whylen)
{
    const ecl_schema *sc = ecl_pq_reader_schema(r);
    if (col >= sc->nfields) {
        snprintf(why, whylen, "no column %zu", col);
        return -1;
    }
    const ecl_field *f = &sc->fields[col];
    int phys = ecl_pq_reader_physical_type(r, col);
    ecl_pq_raw_stats st;
    char w[700];
    if (ecl_pq_reader_raw_stats(r, rg, col, &st) == 0 && check_raw_stats(&st, f, phys, c, 0, n, ours, w, sizeof w)) {
        snprintf(why, whylen, "chunk statistics: %s", w);
        return -1;
    }
    size_t np = 0;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_pq_reader_pages(r, rg, col, NULL, 0, &np, &e)) {
        snprintf(why, whylen, "%s", e.msg);
        return -1;
    }
    ecl_pq_page_info *pages = calloc(np ? np : 1, sizeof *pages);
    if (!pages) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    int bad = ecl_pq_reader_pages(r, rg, col, pages, np, &np, &e) ? -1 : 0;
    if (bad)
        snprintf(why, whylen, "%s", e.msg);
    size_t at = 0, k = 0;
    for (size_t p = 0; !bad && p < np; p++) {
        if (pages[p].type != PQ_PAGE_DATA && pages[p].type != PQ_PAGE_DATA_V2)
            continue;
        size_t nv = pages[p].num_values < 0 ? 0 : (size_t)pages[p].num_values;
        if (nv > n - at) {
            snprintf(why, whylen, "data page %zu holds %zu values past the chunk's %zu rows", k, nv, n);
            bad = -1;
            break;
        }
        if (check_raw_stats(&pages[p].stats, f, phys, c, at, at + nv, ours, w, sizeof w)) {
            snprintf(why, whylen, "data page %zu (rows %zu-%zu) statistics: %s", k, at, at + nv - 1, w);
            bad = -1;
        }
        at += nv;
        k++;
    }
    if (!bad && at != n) {
        snprintf(why, whylen, "data pages hold %zu values, the chunk has %zu rows", at, n);
        bad = -1;
    }
    free(pages);
    return bad;
}

bool ecl_pq_written_by_us(const ecl_pq_reader *r)
{
    const char *cb = ecl_pq_reader_created_by(r);
    return cb && strncmp(cb, "ecomlake ", 9) == 0;
}
