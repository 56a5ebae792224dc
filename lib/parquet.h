/* parquet.h - our Parquet writer and reader (flat schemas only).
 *
 * Writer: streaming; memory is bounded by one row group. Values come in as ecl_batch (column.h).
 * Logical types: DATE (INT32), TIMESTAMP(MICROS, isAdjustedToUTC) (INT64), DECIMAL(p,s) in INT32 (p<=9)
 * or INT64, STRING (BYTE_ARRAY, UTF8). Encodings: RLE_DICTIONARY with fallback to PLAIN when the
 * dictionary outgrows dict_max_bytes; RLE/bit-packed hybrid definition levels. Data page v1.
 * Output is a pure function of (schema, rows, options): no wall clock, no addresses, no thread timing.
 *
 * Reader: footer, schema, row groups into ecl_batch; PLAIN, RLE_DICTIONARY/PLAIN_DICTIONARY,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; data page v1 and v2; all codecs
 * below. Refuses nested schemas with ECL_EUNSUPPORTED. Never trusts sizes in the file. */
#ifndef ECL_PARQUET_H
#define ECL_PARQUET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column.h"
#include "err.h"
#include "io.h"
#include "version.h"

/* created_by in every file we write: "<application> version <semver> (build <id>)" as readers parse it. */
#define ECL_PQ_CREATED_BY "ecomlake version " ECL_VERSION " (build " ECL_VERSION ")"

typedef enum ecl_codec {
    ECL_CODEC_NONE,
    ECL_CODEC_SNAPPY,
    ECL_CODEC_GZIP,
    ECL_CODEC_ZSTD,
} ecl_codec;

const char *ecl_codec_name(ecl_codec c);
int ecl_codec_parse(const char *name, ecl_codec *c); /* "snappy", "zstd", "gzip", "none"/"uncompressed" */

typedef struct ecl_kv {
    const char *key;
    const char *value;
} ecl_kv;

typedef struct ecl_pq_opts {
    ecl_codec codec;        /* default SNAPPY */
    int level;              /* codec level, 0 = codec default */
    size_t page_bytes;      /* target uncompressed data page size, default 1 MiB */
    size_t row_group_bytes; /* target uncompressed row group size, default 128 MiB */
    size_t dict_max_bytes;  /* dictionary page size limit before PLAIN fallback, default 1 MiB */
    int threads;            /* column compression workers, 0 = online cores (max 8) */
    const ecl_kv *kv;       /* extra key-value metadata (copied at open) */
    size_t nkv;
    bool no_dictionary;     /* force PLAIN everywhere */
    bool always_compress;   /* snappy even for chunks it barely shrinks (see parquet_write.c) */
} ecl_pq_opts;

void ecl_pq_opts_default(ecl_pq_opts *o);

typedef struct ecl_pq_writer ecl_pq_writer;

int ecl_pq_writer_open(ecl_pq_writer **w, ecl_out *out, const ecl_schema *schema,
                       const ecl_pq_opts *opts, ecl_err *e);
/* Buffers the batch; flushes a row group whenever row_group_bytes is reached. */
int ecl_pq_writer_write(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e);
/* Ends the current row group now (no-op when empty). */
int ecl_pq_writer_flush(ecl_pq_writer *w, ecl_err *e);
/* ecl_pq_writer_write then ecl_pq_writer_flush, with the same bytes as a result; when nothing is
 * buffered and the rows fit one row group they are encoded straight from b, without a copy. */
int ecl_pq_writer_write_group(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e);
/* The size of b's rows in the writer's row group accounting (plain-encoded bytes). */
uint64_t ecl_pq_writer_plain_bytes(const ecl_pq_writer *w, const ecl_batch *b);
/* Bytes already handed to the output plus the buffered row group's estimated encoded size. */
uint64_t ecl_pq_writer_bytes(const ecl_pq_writer *w);
uint64_t ecl_pq_writer_rows(const ecl_pq_writer *w);
/* Flushes, writes the footer. Does not close the ecl_out. */
int ecl_pq_writer_finish(ecl_pq_writer *w, ecl_err *e);
void ecl_pq_writer_free(ecl_pq_writer *w);

typedef struct ecl_pq_stats {
    bool has_min_max;
    bool has_null_count;
    int64_t null_count;
    /* min/max decoded to the column's physical representation (see column.h) */
    union { int64_t i; double d; bool b; } min, max;
    const uint8_t *min_str, *max_str; /* strings: borrowed from the reader */
    size_t min_len, max_len;
} ecl_pq_stats;

/* Statistics exactly as the file states them (a column chunk's or a data page header's), for
 * checking a writer: min/max are the plain encoding of the physical type, borrowed from the reader;
 * NULL when absent. min_dep/max_dep are the deprecated fields 1-2 (signed order), min/max the
 * min_value/max_value fields 5-6. */
typedef struct ecl_pq_raw_stats {
    bool present; /* a Statistics struct is there at all */
    bool has_null_count;
    int64_t null_count;
    const uint8_t *min, *max, *min_dep, *max_dep;
    size_t min_len, max_len, min_dep_len, max_dep_len;
} ecl_pq_raw_stats;

typedef struct ecl_pq_reader ecl_pq_reader;

int ecl_pq_reader_open(ecl_pq_reader **r, const char *path, ecl_err *e);
/* Reads from memory the caller keeps alive until ecl_pq_reader_free. */
int ecl_pq_reader_open_mem(ecl_pq_reader **r, const uint8_t *data, size_t n, ecl_err *e);
const ecl_schema *ecl_pq_reader_schema(const ecl_pq_reader *r);
int64_t ecl_pq_reader_num_rows(const ecl_pq_reader *r);
size_t ecl_pq_reader_num_row_groups(const ecl_pq_reader *r);
int64_t ecl_pq_reader_row_group_rows(const ecl_pq_reader *r, size_t rg);
/* Key-value metadata value for key, or NULL. */
const char *ecl_pq_reader_kv(const ecl_pq_reader *r, const char *key);
int ecl_pq_reader_stats(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_stats *st);
int ecl_pq_reader_raw_stats(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_raw_stats *st);
/* The column's Parquet physical type (PQ_BOOLEAN ... as pq_format.h numbers them). */
int ecl_pq_reader_physical_type(const ecl_pq_reader *r, size_t col);
/* Appends the row group's rows to out (initialised with ecl_pq_reader_schema). */
int ecl_pq_reader_read_row_group(ecl_pq_reader *r, size_t rg, ecl_batch *out, ecl_err *e);
void ecl_pq_reader_free(ecl_pq_reader *r);
/* The file's created_by string, or NULL. */
const char *ecl_pq_reader_created_by(const ecl_pq_reader *r);
/* All key-value metadata in file order (value may be NULL). */
size_t ecl_pq_reader_num_kv(const ecl_pq_reader *r);
int ecl_pq_reader_kv_at(const ecl_pq_reader *r, size_t i, const char **key, const char **value);
/* Caps the memory one row group may decode into (default 8 GiB): a file claiming more fails with
 * ECL_ENOMEM instead of exhausting memory. 0 restores the default. */
void ecl_pq_reader_set_max_bytes(ecl_pq_reader *r, size_t max);

/* Layout of a column chunk as its metadata describes it (offsets from the file start). */
typedef struct ecl_pq_chunk_info {
    int64_t dict_page_offset; /* -1 when there is none */
    int64_t data_page_offset;
    int64_t total_compressed, total_uncompressed; /* page headers included */
    int64_t num_values;
    int codec;          /* Parquet CompressionCodec value */
    unsigned encodings; /* bit n set: Parquet Encoding n listed */
} ecl_pq_chunk_info;
int ecl_pq_reader_chunk_info(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_chunk_info *ci);

/* The pages of a column chunk in file order, from their headers. */
typedef struct ecl_pq_page_info {
    int64_t offset;
    size_t header_len;
    int type;     /* Parquet PageType */
    int encoding; /* values encoding (dictionary pages: their encoding) */
    int32_t num_values, uncompressed, compressed;
    ecl_pq_raw_stats stats; /* data pages: the header's statistics (borrowed from the reader) */
} ecl_pq_page_info;
/* Fills up to max entries; *n is the number of pages (may exceed max). */
int ecl_pq_reader_pages(const ecl_pq_reader *r, size_t rg, size_t col, ecl_pq_page_info *pages,
                        size_t max, size_t *n, ecl_err *e);

#endif
