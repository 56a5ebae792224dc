/* pq_render.c - a landed Parquet file of a restaurant table, rendered into the CSV dialect the
 * validation reads (see validate.h), so that one set of rules judges both formats. */
#include <stdio.h>
#include <string.h>

#include "../buf.h"
#include "../parquet.h"
#include "resto.h"
#include "validate.h"

/* A window or reference file is at most a few MiB: a file claiming far more decoded bytes than
 * that is refused as unusable instead of exhausting memory. */
enum { MAX_DECODED = 512u << 20 };

static void set_bad(ecl_resto_pq_bad *bad, const char *rule, const char *column, const char *what,
                    const char *detail)
{
    bad->rule = rule;
    snprintf(bad->column, sizeof bad->column, "%s", column ? column : "");
    snprintf(bad->message, sizeof bad->message, "%s%s", what, detail);
}

static void type_text(const ecl_field *f, char out[40])
{
    if (f->type == ECL_T_DECIMAL)
        snprintf(out, 40, "decimal(%d,%d)", f->precision, f->scale);
    else
        snprintf(out, 40, "%s", ecl_type_name(f->type));
}

/* Same logical type; money must keep 2 decimals (the precision may differ: the value decides). */
static bool same_type(const ecl_field *want, const ecl_field *got)
{
    if (want->type != got->type)
        return false;
    return want->type != ECL_T_DECIMAL || want->scale == got->scale;
}

int ecl_resto_parquet_render(ecl_resto_table t, const uint8_t *data, size_t n, const char *timezone,
                             ecl_buf *csv, ecl_resto_pq_bad *bad, ecl_err *e)
{
    memset(bad, 0, sizeof *bad);
    ecl_buf_clear(csv);
    const ecl_schema *want = ecl_resto_schema(t);
    ecl_pq_reader *r = NULL;
    ecl_err re = ECL_ERR_INIT;
    if (ecl_pq_reader_open_mem(&r, data, n, &re)) {
        if (re.code == ECL_ENOMEM && !strstr(re.msg, "limit"))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet file");
        set_bad(bad, "malformed", NULL, "not a readable Parquet file: ", re.msg);
        return 0;
    }
    ecl_pq_reader_set_max_bytes(r, MAX_DECODED);
    const ecl_schema *have = ecl_pq_reader_schema(r);
    int map[16];
    for (size_t j = 0; j < want->nfields && !bad->rule; j++) {
        const ecl_field *f = &want->fields[j];
        int at = ecl_schema_find(have, f->name);
        map[j] = at;
        char wt[40], ht[40];
        if (at < 0) {
            char msg[200];
            snprintf(msg, sizeof msg, "required column '%s' is missing", f->name);
            set_bad(bad, "missing_column", f->name, msg, "");
            continue;
        }
        if (!same_type(f, &have->fields[at])) {
            type_text(f, wt);
            type_text(&have->fields[at], ht);
            char msg[200];
            snprintf(msg, sizeof msg, "column '%s' is %s in the file, %s expected", f->name, ht, wt);
            set_bad(bad, "type", f->name, msg, "");
        }
    }
    ecl_batch all;
    int rc = 0;
    bool inited = false;
    if (!bad->rule) {
        rc = ecl_batch_init(&all, have);
        if (rc)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading a parquet file");
        inited = !rc;
    }
    for (size_t g = 0; !rc && !bad->rule && g < ecl_pq_reader_num_row_groups(r); g++) {
        re = (ecl_err)ECL_ERR_INIT;
        if (ecl_pq_reader_read_row_group(r, g, &all, &re)) {
            if (re.code == ECL_ENOMEM && !strstr(re.msg, "limit"))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading a parquet file");
            else {
                char where[64];
                snprintf(where, sizeof where, "unreadable Parquet data in row group %zu: ", g);
                set_bad(bad, "malformed", NULL, where, re.msg);
            }
        }
    }
    if (!rc && !bad->rule) {
        /* A view with the expected columns in CSV order; the columns stay owned by `all`. */
        ecl_column cols[16];
        for (size_t j = 0; j < want->nfields; j++)
            cols[j] = all.cols[map[j]];
        ecl_batch view = {.schema = want, .cols = cols, .nrows = all.nrows};
        const char *zone = ecl_pq_reader_kv(r, "ecomlake.timezone");
        ecl_err ze = ECL_ERR_INIT;
        /* Timestamps are written as the CSV of the same window has them: in the zone the file was
         * generated for (its metadata), else the ingest's zone. */
        if (!zone || ecl_tz_check(zone, &ze))
            zone = timezone;
        ecl_out o;
        ecl_out_mem(&o, csv);
        re = (ecl_err)ECL_ERR_INIT;
        if (ecl_resto_write_csv(&o, &view, zone, &re)) {
            if (re.code == ECL_ENOMEM)
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory rendering a parquet file");
            else
                set_bad(bad, "type", NULL, "cannot render the file's values: ", re.msg);
        }
        if (!rc && ecl_buf_oom(csv))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory rendering a parquet file");
    }
    if (inited)
        ecl_batch_release(&all);
    ecl_pq_reader_free(r);
    if (bad->rule)
        ecl_buf_clear(csv);
    return rc;
}
