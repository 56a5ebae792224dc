#include "tablewriter.h"

#include <stdlib.h>
#include <string.h>

struct ecl_table_writer {
    ecl_format format;
    ecl_out *out;
    ecl_pq_writer *pq;
    ecl_csv_dialect csv;
};

int ecl_format_parse(const char *name, ecl_format *f)
{
    if (strcmp(name, "parquet") == 0)
        *f = ECL_FMT_PARQUET;
    else if (strcmp(name, "csv") == 0)
        *f = ECL_FMT_CSV;
    else
        return ECL_EINVAL;
    return 0;
}

const char *ecl_format_ext(ecl_format f) { return f == ECL_FMT_CSV ? ".csv" : ".parquet"; }

void ecl_tw_opts_default(ecl_tw_opts *o, ecl_format f)
{
    o->format = f;
    ecl_pq_opts_default(&o->parquet);
    ecl_csv_dialect_default(&o->csv);
}

int ecl_tw_open(ecl_table_writer **wp, ecl_out *out, const ecl_schema *s, const ecl_tw_opts *o,
                ecl_err *e)
{
    ecl_table_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a table writer");
    w->format = o->format;
    w->out = out;
    w->csv = o->csv;
    int rc = o->format == ECL_FMT_PARQUET ? ecl_pq_writer_open(&w->pq, out, s, &o->parquet, e)
             : o->csv.header             ? ecl_csv_write_header(out, s, &o->csv, e)
                                         : 0;
    if (rc) {
        free(w);
        return rc;
    }
    *wp = w;
    return 0;
}

int ecl_tw_write(ecl_table_writer *w, const ecl_batch *b, ecl_err *e)
{
    return w->pq ? ecl_pq_writer_write(w->pq, b, e) : ecl_csv_write_batch(w->out, b, &w->csv, e);
}

uint64_t ecl_tw_bytes(const ecl_table_writer *w)
{
    return w->pq ? ecl_pq_writer_bytes(w->pq) : w->out->written;
}

int ecl_tw_finish(ecl_table_writer *w, ecl_err *e) { return w->pq ? ecl_pq_writer_finish(w->pq, e) : 0; }

void ecl_tw_free(ecl_table_writer *w)
{
    if (!w)
        return;
    ecl_pq_writer_free(w->pq);
    free(w);
}
