/* csv.h - RFC 4180 CSV reading and writing.
 *
 * Reader: streaming over a file or memory; configurable delimiter; quoted fields with doubled quotes
 * and embedded newlines; CRLF or LF; UTF-8 checked; every error names file, line and column.
 * Writer: formats typed batches (column.h) in a dialect; minimal quoting. */
#ifndef ECL_CSV_H
#define ECL_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "column.h"
#include "err.h"
#include "io.h"

typedef enum ecl_bool_style { ECL_BOOL_PYTHON /* True/False */, ECL_BOOL_LOWER /* true/false */ } ecl_bool_style;
typedef enum ecl_ts_style {
    ECL_TS_ISO_T,         /* 2024-01-02T03:04:05, ".ffffff" only when microseconds != 0 (Python isoformat) */
    ECL_TS_ISO_T_MICROS,  /* 2024-01-02T03:04:05.000000 always */
    ECL_TS_SPACE,         /* 2024-01-02 03:04:05 (fraction only when != 0) */
    ECL_TS_SPACE_MICROS,  /* 2024-01-02 03:04:05.000000 always */
} ecl_ts_style;

typedef struct ecl_csv_dialect {
    char delimiter;          /* ',' */
    char quote;              /* '"' */
    bool header;             /* true */
    const char *null_token;  /* "" */
    bool crlf;               /* writer: "\r\n" line ends (Python csv default); reader accepts both */
    ecl_bool_style bools;    /* writer */
    ecl_ts_style timestamps; /* writer */
} ecl_csv_dialect;

void ecl_csv_dialect_default(ecl_csv_dialect *d);

/* Reader */
typedef struct ecl_csv_reader ecl_csv_reader;

typedef struct ecl_csv_field {
    const char *p; /* not NUL-terminated; valid until the next ecl_csv_next */
    size_t n;
    bool quoted;
    uint32_t col;  /* 1-based column (character) where the field starts */
} ecl_csv_field;

int ecl_csv_open(ecl_csv_reader **r, const char *path, const ecl_csv_dialect *d, ecl_err *e);
int ecl_csv_open_mem(ecl_csv_reader **r, const char *name, const uint8_t *data, size_t n,
                     const ecl_csv_dialect *d, ecl_err *e);
/* Reads the next record. Returns 0 with *nfields set, ECL_ENOTFOUND at end of input, or an error
 * whose message is "FILE:LINE:COL: ...". */
int ecl_csv_next(ecl_csv_reader *r, const ecl_csv_field **fields, size_t *nfields, ecl_err *e);
/* Line where the last record started (1-based). */
uint64_t ecl_csv_line(const ecl_csv_reader *r);
const char *ecl_csv_name(const ecl_csv_reader *r);
void ecl_csv_free(ecl_csv_reader *r);

/* Parses one field into column c by its type (empty = null per dialect); errors are
 * "FILE:LINE:COL: column 'x': ..." */
int ecl_csv_parse_value(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld,
                        const ecl_csv_dialect *d, ecl_column *c, ecl_err *e);

/* Writer */
int ecl_csv_write_header(ecl_out *o, const ecl_schema *s, const ecl_csv_dialect *d, ecl_err *e);
int ecl_csv_write_batch(ecl_out *o, const ecl_batch *b, const ecl_csv_dialect *d, ecl_err *e);

/* Value formatting shared by the CSV writer and anything that prints values. */
void ecl_format_timestamp(int64_t micros, ecl_ts_style style, char out[32]);
/* Decimal unscaled value v with scale s, e.g. (-1234, 2) -> "-12.34". */
void ecl_format_decimal(int64_t v, int scale, char out[32]);
/* Shortest representation that reads back to the same double (Python repr style: "5.0", "0.1"). */
void ecl_format_double(double v, char out[32]);
/* ISO 8601 timestamp: 'T' or space, optional fraction (up to 9 digits, truncated to micros),
 * optional Z or +HH:MM offset. */
int ecl_parse_timestamp(const char *s, size_t n, int64_t *micros);

#endif
