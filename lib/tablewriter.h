/* tablewriter.h - one interface over the Parquet and CSV writers, so dataset models and commands
 * write batches without caring about the format. */
#ifndef ECL_TABLEWRITER_H
#define ECL_TABLEWRITER_H

#include "column.h"
#include "csv.h"
#include "err.h"
#include "io.h"
#include "parquet.h"

typedef enum ecl_format { ECL_FMT_PARQUET, ECL_FMT_CSV } ecl_format;

int ecl_format_parse(const char *name, ecl_format *f);
const char *ecl_format_ext(ecl_format f); /* ".parquet" / ".csv" */

typedef struct ecl_tw_opts {
    ecl_format format;
    ecl_pq_opts parquet;
    ecl_csv_dialect csv;
} ecl_tw_opts;

void ecl_tw_opts_default(ecl_tw_opts *o, ecl_format f);

typedef struct ecl_table_writer ecl_table_writer;

int ecl_tw_open(ecl_table_writer **w, ecl_out *out, const ecl_schema *s, const ecl_tw_opts *o,
                ecl_err *e);
int ecl_tw_write(ecl_table_writer *w, const ecl_batch *b, ecl_err *e);
/* Bytes written so far (plus buffered estimate for Parquet). */
uint64_t ecl_tw_bytes(const ecl_table_writer *w);
int ecl_tw_finish(ecl_table_writer *w, ecl_err *e);
void ecl_tw_free(ecl_table_writer *w);

#endif
