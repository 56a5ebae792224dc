/* manifest.h - a partition's _MANIFEST.json: which files make up the partition and how to check them.
 *
 * Written as JSON with 2-space indent and keys sorted (stable, diffable, byte-reproducible: the same
 * partition gives the same bytes). Every file is listed with its path relative to the lake root,
 * byte size, row count and the SHA-256 of its bytes, so a reader can check "files present == files
 * listed" and detect corruption without trusting a bare _SUCCESS marker.
 *
 * Fields (schema_version 1):
 *   batch_id, table, partition ("ingest_dt=2024-10-01"), partition_key, partition_value,
 *   dataset, generator_version, writer, config_hash, seed (number), messiness,
 *   format ("parquet"), compression, created_at (ISO UTC seconds, SOURCE_DATE_EPOCH-controlled),
 *   ingestion_ts (ISO UTC microseconds, the lineage column's value),
 *   files [{path, bytes, rows, sha256}], total_rows, total_bytes,
 *   event_time_column, min_event_time / max_event_time (ISO, or null), min_event_dt / max_event_dt
 *   (YYYY-MM-DD, or null), schema [{name, type, nullable}], mess {injected [{column, kind, count}],
 *   total}, schema_version. */
#ifndef ECL_MANIFEST_H
#define ECL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define ECL_MANIFEST_NAME "_MANIFEST.json"
#define ECL_SUCCESS_NAME "_SUCCESS"
#define ECL_MANIFEST_SCHEMA_VERSION 1

typedef struct ecl_manifest_file {
    char *path; /* relative to the lake root, '/'-separated */
    uint64_t bytes;
    uint64_t rows;
    char sha256[65];
} ecl_manifest_file;

typedef struct ecl_manifest_field {
    char *name;
    char *type; /* ecl_type_name(): "int64", "string", "decimal(12,2)", ... */
    bool nullable;
} ecl_manifest_field;

typedef struct ecl_manifest_mess {
    char *column;
    char *kind;
    uint64_t count;
} ecl_manifest_mess;

typedef struct ecl_manifest {
    char *batch_id;
    char *table;
    char *partition_key;
    char *partition_value; /* unescaped */
    char *partition;       /* "key=escaped value" as on disk */
    char *dataset;
    char *generator_version;
    char *writer;
    char *config_hash;
    uint64_t seed;
    char *messiness;
    char *format;
    char *compression;
    char *created_at;
    char *ingestion_ts;
    char *event_time_column;            /* may be NULL */
    char *min_event_time, *max_event_time; /* may be NULL */
    char *min_event_dt, *max_event_dt;     /* may be NULL */
    uint64_t total_rows;
    uint64_t total_bytes;
    int schema_version;
    ecl_manifest_file *files;
    size_t nfiles;
    ecl_manifest_field *schema;
    size_t nschema;
    ecl_manifest_mess *mess;
    size_t nmess;
} ecl_manifest;

void ecl_manifest_init(ecl_manifest *m);
void ecl_manifest_release(ecl_manifest *m);
/* Setters copy the string (NULL clears). Return 0 or ECL_ENOMEM. */
int ecl_manifest_set(char **field, const char *value);
int ecl_manifest_add_file(ecl_manifest *m, const char *path, uint64_t bytes, uint64_t rows,
                          const char *sha256_hex);
int ecl_manifest_add_field(ecl_manifest *m, const char *name, const char *type, bool nullable);
int ecl_manifest_add_mess(ecl_manifest *m, const char *column, const char *kind, uint64_t count);

/* Serialises to JSON (sorted keys, 2-space indent, trailing newline) into out (appended). */
int ecl_manifest_write(const ecl_manifest *m, ecl_buf *out, ecl_err *e);
/* Parses JSON; errors (ECL_EFORMAT) name `name` and the offending field. */
int ecl_manifest_parse(ecl_manifest *m, const char *name, const void *data, size_t n, ecl_err *e);

/* Formats microseconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (secs) or with ".ffffffZ". */
void ecl_iso_utc(int64_t micros, bool with_micros, char out[32]);

#endif
