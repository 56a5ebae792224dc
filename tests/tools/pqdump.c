/* pqdump - prints what our Parquet reader reads from a file, as JSON: schema, created_by, key-value
 * metadata, per row group row counts and column statistics, and every value.
 *
 *   pqdump [--no-values] [--max-bytes N] FILE
 *
 * Exit status 1 with the reader's error message on stderr when the file cannot be read. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/parquet.h"
#include "pq_json.h"

static void print_stat_value(const ecl_field *f, const ecl_pq_stats *st, bool max)
{
    switch (f->type) {
    case ECL_T_BOOL: fputs((max ? st->max.b : st->min.b) ? "true" : "false", stdout); break;
    case ECL_T_DOUBLE: pqj_double(stdout, max ? st->max.d : st->min.d); break;
    case ECL_T_STRING:
        pqj_str(stdout, max ? st->max_str : st->min_str, max ? st->max_len : st->min_len);
        break;
    default: pqj_value(stdout, f->type, max ? st->max.i : st->min.i, 0, NULL, 0); break;
    }
}

int main(int argc, char **argv)
{
    bool values = true;
    size_t max_bytes = 0;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--no-values"))
            values = false;
        else if (!strcmp(argv[i], "--max-bytes") && i + 1 < argc)
            max_bytes = strtoull(argv[++i], NULL, 10);
        else
            path = argv[i];
    }
    if (!path) {
        fprintf(stderr, "usage: pqdump [--no-values] [--max-bytes N] FILE\n");
        return 2;
    }
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    if (ecl_pq_reader_open(&r, path, &e)) {
        fprintf(stderr, "pqdump: %s (%s)\n", e.msg, ecl_code_name(e.code));
        return 1;
    }
    ecl_pq_reader_set_max_bytes(r, max_bytes);
    const ecl_schema *s = ecl_pq_reader_schema(r);
    ecl_batch b;
    if (ecl_batch_init(&b, s))
        return 1;
    size_t nrg = ecl_pq_reader_num_row_groups(r);
    for (size_t g = 0; values && g < nrg; g++) {
        if (ecl_pq_reader_read_row_group(r, g, &b, &e)) {
            fprintf(stderr, "pqdump: %s (%s)\n", e.msg, ecl_code_name(e.code));
            return 1;
        }
    }
    printf("{\"rows\":%" PRId64 ",\"schema\":", ecl_pq_reader_num_rows(r));
    pqj_schema(stdout, s);
    fputs(",\"created_by\":", stdout);
    const char *cb = ecl_pq_reader_created_by(r);
    if (cb)
        pqj_str(stdout, (const uint8_t *)cb, strlen(cb));
    else
        fputs("null", stdout);
    fputs(",\"kv\":{", stdout);
    for (size_t i = 0; i < ecl_pq_reader_num_kv(r); i++) {
        const char *k, *v;
        ecl_pq_reader_kv_at(r, i, &k, &v);
        if (i)
            fputc(',', stdout);
        pqj_str(stdout, (const uint8_t *)k, strlen(k));
        fputc(':', stdout);
        if (v)
            pqj_str(stdout, (const uint8_t *)v, strlen(v));
        else
            fputs("null", stdout);
    }
    fputs("},\"row_groups\":[", stdout);
    for (size_t g = 0; g < nrg; g++) {
        printf("%s{\"rows\":%" PRId64 ",\"stats\":[", g ? "," : "", ecl_pq_reader_row_group_rows(r, g));
        for (size_t c = 0; c < s->nfields; c++) {
            ecl_pq_stats st;
            ecl_pq_reader_stats(r, g, c, &st);
            fputs(c ? ",{" : "{", stdout);
            if (st.has_null_count)
                printf("\"null_count\":%" PRId64, st.null_count);
            else
                fputs("\"null_count\":null", stdout);
            if (st.has_min_max) {
                fputs(",\"min\":", stdout);
                print_stat_value(&s->fields[c], &st, false);
                fputs(",\"max\":", stdout);
                print_stat_value(&s->fields[c], &st, true);
            }
            fputs("}", stdout);
        }
        fputs("]}", stdout);
    }
    fputs("]", stdout);
    if (values) {
        fputs(",\"columns\":[", stdout);
        for (size_t c = 0; c < s->nfields; c++) {
            fputs(c ? ",[" : "[", stdout);
            for (size_t i = 0; i < b.nrows; i++) {
                if (i)
                    fputc(',', stdout);
                pqj_cell(stdout, &b.cols[c], i);
            }
            fputs("]", stdout);
        }
        fputs("]", stdout);
    }
    fputs("}\n", stdout);
    ecl_batch_release(&b);
    ecl_pq_reader_free(r);
    return 0;
}
