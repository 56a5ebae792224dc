/* pq_check.h - checks that the statistics a Parquet file states are true of its data (verify --deep).
 *
 * Checked: null_count for every column; min/max (min_value/max_value and, for non-string columns,
 * the deprecated min/max) for BOOLEAN, INT32/INT64 (dates, timestamps, decimals), DOUBLE (NaN never
 * counts; a zero minimum must be -0.0 and a zero maximum +0.0) and STRING (unsigned byte order;
 * omitted when a value is over 4096 bytes, as Arrow and our writer do); at the column chunk level and
 * in every data page header. A stated statistic must be exact. With ours (files our writer made),
 * statistics it always writes must also be there. */
#ifndef ECL_PQ_CHECK_H
#define ECL_PQ_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "column.h"
#include "parquet.h"

/* c holds the n values of column col of row group rg (as ecl_pq_reader_read_row_group read them).
 * Returns 0 when every statistic agrees, else -1 with why = "chunk statistics: max_value is ..., the
 * data's maximum is ..." or "data page 2 (rows 40000-59999) statistics: null_count is ...". */
int ecl_pq_check_stats(const ecl_pq_reader *r, size_t rg, size_t col, const ecl_column *c, size_t n, bool ours,
                       char *why, size_t whylen);
/* True when created_by names our writer. */
bool ecl_pq_written_by_us(const ecl_pq_reader *r);

#endif
