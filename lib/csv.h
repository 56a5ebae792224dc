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
    bool quote_empty;        /* writer: an empty string is written "" so it differs from an empty
                              * null token (default false: Python csv writes both as nothing) */
} ecl_csv_dialect;

/* Python csv module defaults: ',', '"', header, null "", CRLF, True/False, isoformat timestamps. */
void ecl_csv_dialect_default(ecl_csv_dialect *d);

/* Reader */
typedef struct ecl_csv_reader ecl_csv_reader;

typedef struct ecl_csv_field {
    const char *p; /* not NUL-terminated; valid until the next ecl_csv_next */
    size_t n;
    bool quoted;
    uint32_t col;  /* 1-based column (character) where the field starts */
    uint64_t line; /* 1-based line where the field starts (records may span lines) */
} ecl_csv_field;

int ecl_csv_open(ecl_csv_reader **r, const char *path, const ecl_csv_dialect *d, ecl_err *e);
int ecl_csv_open_mem(ecl_csv_reader **r, const char *name, const uint8_t *data, size_t n,
                     const ecl_csv_dialect *d, ecl_err *e);
/* Reads the next record. Returns 0 with *nfields set, ECL_ENOTFOUND at end of input, or an error
 * whose message is "FILE:LINE:COL: ...": ECL_EFORMAT for broken syntax (unterminated or stray quote,
 * invalid UTF-8, a record over 256 MiB) and ECL_EINVAL for a wrong number of fields. After an error
 * the reader stays usable: the next call resumes after the bad record (after broken syntax, at the
 * next line), so a caller can report several errors.
 *
 * Accepted: RFC 4180 quoting (a field starting with the quote character is quoted; a quote inside
 * is doubled; delimiters and line breaks inside are data); records end at LF, CRLF or a lone CR, or
 * at the end of input; a UTF-8 byte order mark at the very start is skipped. Blank lines are skipped,
 * except in one-column files where they are records with one empty field. */
int ecl_csv_next(ecl_csv_reader *r, const ecl_csv_field **fields, size_t *nfields, ecl_err *e);
/* The header row (read at open when the dialect has a header; 0 fields if the input was empty). */
void ecl_csv_header(const ecl_csv_reader *r, const ecl_csv_field **fields, size_t *nfields);
/* Number of fields every record must have: 0 (default) = as many as the header or the first record;
 * SIZE_MAX = any number. */
void ecl_csv_expect_fields(ecl_csv_reader *r, size_t n);
/* Bytes of input consumed so far (for progress). */
uint64_t ecl_csv_bytes_read(const ecl_csv_reader *r);
/* Line where the last record started (1-based). */
uint64_t ecl_csv_line(const ecl_csv_reader *r);
const char *ecl_csv_name(const ecl_csv_reader *r);
void ecl_csv_free(ecl_csv_reader *r);

/* Parses one field into column c by its type; errors are "FILE:LINE:COL: column 'x': ..." (ECL_EINVAL)
 * and leave c unchanged. An unquoted field equal to the dialect's null token is a null (an error in
 * a non-nullable column); a quoted field is never null. Accepted text per type:
 *   boolean    true/false in any letter case, 1/0
 *   int32/64   [+-]digits, range-checked
 *   double     decimal or exponent notation, inf/infinity/nan (any case, signed); no hex
 *   decimal    [+-]digits[.digits] read exactly (never via double); at most p-s integer digits;
 *              fraction digits beyond the scale are accepted only when they are zeros
 *   date       YYYY-MM-DD, a real calendar date
 *   timestamp  as ecl_parse_timestamp
 *   string     any (already UTF-8 checked) */
int ecl_csv_parse_value(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld,
                        const ecl_csv_dialect *d, ecl_column *c, ecl_err *e);

/* Batch reading: records parsed straight into typed columns, a bounded number at a time, so a file
 * of any size streams through a fixed amount of memory. */

/* Maps the header onto schema s: map[k] = the CSV column of field k, or -1 when the header has no
 * such column (the field reads as NULL). *unknown (may be NULL) counts header columns that are not
 * in the schema (they are skipped). Fails with ECL_EINVAL ("FILE:1:COL: ...") when a column is named
 * twice, ECL_EFORMAT when the input has no header. */
int ecl_csv_map_header(const ecl_csv_reader *r, const ecl_schema *s, int *map, size_t *unknown, ecl_err *e);

/* Appends up to max_rows records to b (schema s; b is not sealed), field k parsed from CSV column
 * map[k] (-1 = NULL) by ecl_csv_parse_value. Returns 0 with *done set at the end of input, or the
 * error of the first malformed record ("FILE:LINE:COL: ...": broken syntax, a wrong field count or a
 * value that does not parse); the values that record had already appended are removed, the rows
 * before it stay in b, and the next call continues after it, so a caller can report every bad row.
 * Rows read so far (good and bad) are counted by ecl_csv_line / ecl_csv_bytes_read. */
int ecl_csv_read_batch(ecl_csv_reader *r, const ecl_schema *s, const int *map, const ecl_csv_dialect *d,
                       ecl_batch *b, size_t max_rows, bool *done, ecl_err *e);

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
/* Decimal text -> unscaled value at scale (see ecl_csv_parse_value); ECL_EINVAL with a reason. */
int ecl_parse_decimal(const char *s, size_t n, int precision, int scale, int64_t *v, const char **why);
/* Writes v in decimal; returns the length (at most 20). */
size_t ecl_format_i64(int64_t v, char *out);

#endif
