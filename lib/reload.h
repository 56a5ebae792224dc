/* reload.h - delete-and-reload of a date range of a warehouse table from committed lake partitions,
 * the managed-backfill operation done safely: each chunk's DELETE and INSERTs run in one transaction,
 * only committed partitions (_SUCCESS + manifest) are read, and the counts are real.
 *
 * The warehouse table has the Parquet files' columns plus the partition key column (a DATE named like
 * the partition key, e.g. ingest_dt); it is created when missing. */
#ifndef ECL_RELOAD_H
#define ECL_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "db.h"
#include "err.h"

typedef struct ecl_reload_src {
    const char *lake;          /* local lake root */
    const char *table;         /* lake table directory and warehouse table name */
    char partition_key[64];    /* filled by ecl_reload_probe, e.g. "ingest_dt" */
} ecl_reload_src;

typedef struct ecl_reload_counts {
    uint64_t deleted;     /* rows removed (or that would be) */
    uint64_t inserted;    /* rows loaded (or that would be) */
    uint32_t partitions;  /* committed partitions read */
    uint32_t missing;     /* days in the range with no partition at all */
} ecl_reload_counts;

/* Is name a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*, at most 63 chars)? */
bool ecl_sql_ident_ok(const char *name);
/* Finds the table in the lake and its date partition key; ECL_ENOTFOUND when the table is not
 * there, ECL_EINVAL when it is not partitioned by a date. */
int ecl_reload_probe(ecl_reload_src *src, ecl_err *e);
/* Rows in the warehouse table with partition key in [start, end] (0 when the table is missing). */
int ecl_reload_count(ecl_db *db, const ecl_reload_src *src, int32_t start, int32_t end,
                     uint64_t *rows, ecl_err *e);
/* Replaces the rows of [start, end] with those of the committed partitions, in one transaction.
 * dry_run counts what would be deleted and inserted and changes nothing. A partition directory
 * without _SUCCESS fails the chunk before anything is deleted (ECL_EPARTIAL). */
int ecl_reload_chunk(ecl_db *db, const ecl_reload_src *src, int32_t start, int32_t end, bool dry_run,
                     ecl_reload_counts *out, ecl_err *e);

#endif
