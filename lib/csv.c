#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ecl_csv_dialect_default(ecl_csv_dialect *d)
{
    d->delimiter = ',';
    d->quote = '"';
    d->header = true;
    d->null_token = "";
    d->crlf = true;
    d->bools = ECL_BOOL_PYTHON;
    d->timestamps = ECL_TS_ISO_T;
    d->quote_empty = false;
}

/* ================================================================ reader */

enum {
    READ_CHUNK = 1 << 20,
    MAX_RECORD = 256 << 20, /* bytes of one record after unquoting */
};

struct ecl_csv_reader {
    char *name;
    int fd;              /* -1 for memory input */
    uint8_t *buf;        /* file input: owned window; memory input: the caller's bytes */
    size_t cap, pos, end;
    bool eof;
    uint64_t consumed;   /* bytes before buf[0] */
    char delim, quote;
    char *null_token;
    uint64_t line;       /* position of buf[pos] */
    uint32_t col;        /* characters into the line, 1-based */
    uint32_t bcol;       /* bytes into the line, 1-based */
    ecl_buf scratch;     /* unquoted bytes of the current record */
    ecl_csv_field *fields;
    size_t nfields, capfields;
    size_t expect;       /* 0 = unknown yet */
    bool resync;         /* skip to the next line before reading (after a syntax error) */
    uint64_t end_line;   /* where the last record's text ended (for "missing field" messages) */
    uint32_t end_col;
    ecl_buf hdr_bytes;
    ecl_csv_field *hdr;
    size_t nhdr;
};

static int rd_error(ecl_csv_reader *r, ecl_code code, uint64_t line, uint32_t col, ecl_err *e,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int rd_error(ecl_csv_reader *r, ecl_code code, uint64_t line, uint32_t col, ecl_err *e,
                    const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ecl_err_set(e, code, "%s:%llu:%u: %s", r->name, (unsigned long long)line, col, msg);
}

/* Makes at least need bytes available at pos unless the input ends first; returns what is there. */
static size_t fill(ecl_csv_reader *r, size_t need, ecl_err *e, int *rc)
{
    while (r->end - r->pos < need && !r->eof) {
        if (r->pos > 0) {
            memmove(r->buf, r->buf + r->pos, r->end - r->pos);
            r->consumed += r->pos;
            r->end -= r->pos;
            r->pos = 0;
        }
        ssize_t got = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            *rc = ecl_err_errno(e, errno, "cannot read '%s'", r->name);
            return 0;
        }
        if (got == 0)
            r->eof = true;
        r->end += (size_t)got;
    }
    return r->end - r->pos;
}

static int reader_new(ecl_csv_reader **out, const char *name, const ecl_csv_dialect *d, ecl_err *e)
{
    ecl_csv_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->name = strdup(name)) || !(r->null_token = strdup(d->null_token ? d->null_token : ""))) {
        if (r)
            free(r->name);
        free(r);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening '%s'", name);
    }
    r->fd = -1;
    r->delim = d->delimiter;
    r->quote = d->quote ? d->quote : '"';
    r->line = 1;
    r->col = r->bcol = 1;
    ecl_buf_init(&r->scratch, MAX_RECORD);
    ecl_buf_init(&r->hdr_bytes, 0);
    *out = r;
    return 0;
}

static int reader_start(ecl_csv_reader *r, const ecl_csv_dialect *d, ecl_err *e)
{
    int rc = 0;
    size_t have = fill(r, 3, e, &rc);
    if (rc)
        return rc;
    if (have >= 3 && memcmp(r->buf + r->pos, "\xEF\xBB\xBF", 3) == 0)
        r->pos += 3;
    if (!d->header)
        return 0;
    const ecl_csv_field *f;
    size_t n;
    rc = ecl_csv_next(r, &f, &n, e);
    if (rc == ECL_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    r->hdr = calloc(n, sizeof *r->hdr);
    if (!r->hdr || ecl_buf_append(&r->hdr_bytes, r->scratch.data, r->scratch.len))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the header of '%s'", r->name);
    for (size_t i = 0; i < n; i++) {
        r->hdr[i] = f[i];
        r->hdr[i].p = (const char *)r->hdr_bytes.data + (f[i].p - (const char *)r->scratch.data);
    }
    r->nhdr = n;
    return 0;
}

int ecl_csv_open(ecl_csv_reader **out, const char *path, const ecl_csv_dialect *d, ecl_err *e)
{
    *out = NULL;
    ecl_csv_reader *r;
    int rc = reader_new(&r, path, d, e);
    if (rc)
        return rc;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) {
        rc = ecl_err_errno(e, errno, "cannot open '%s'", path);
        ecl_csv_free(r);
        return rc;
    }
    r->cap = READ_CHUNK;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        ecl_csv_free(r);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening '%s'", path);
    }
    if ((rc = reader_start(r, d, e))) {
        ecl_csv_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int ecl_csv_open_mem(ecl_csv_reader **out, const char *name, const uint8_t *data, size_t n,
                     const ecl_csv_dialect *d, ecl_err *e)
{
    *out = NULL;
    ecl_csv_reader *r;
    int rc = reader_new(&r, name, d, e);
    if (rc)
        return rc;
    r->buf = (uint8_t *)data; /* never written: memory input is never refilled */
    r->cap = r->end = n;
    r->eof = true;
    if ((rc = reader_start(r, d, e))) {
        ecl_csv_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

void ecl_csv_free(ecl_csv_reader *r)
{
    if (!r)
        return;
    if (r->fd >= 0) {
        close(r->fd);
        free(r->buf);
    }
    ecl_buf_release(&r->scratch);
    ecl_buf_release(&r->hdr_bytes);
    free(r->fields);
    free(r->hdr);
    free(r->null_token);
    free(r->name);
    free(r);
}

uint64_t ecl_csv_line(const ecl_csv_reader *r) { return r->fields ? r->fields[0].line : r->line; }
const char *ecl_csv_name(const ecl_csv_reader *r) { return r->name; }
uint64_t ecl_csv_bytes_read(const ecl_csv_reader *r) { return r->consumed + r->pos; }
void ecl_csv_expect_fields(ecl_csv_reader *r, size_t n) { r->expect = n; }

void ecl_csv_header(const ecl_csv_reader *r, const ecl_csv_field **fields, size_t *nfields)
{
    *fields = r->hdr;
    *nfields = r->nhdr;
}

/* Length of the UTF-8 sequence at p (avail bytes there), or 0 with *why set. */
static size_t utf8_seq(const uint8_t *p, size_t avail, const char **why)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *why = c >= 0x80 && c <= 0xBF ? "unexpected continuation byte"
               : c == 0xC0 || c == 0xC1 ? "overlong encoding"
                                        : "byte that never appears in UTF-8";
        return 0;
    }
    if (avail < 2) {
        *why = "truncated sequence";
        return 0;
    }
    if (p[1] < lo || p[1] > hi) {
        if (p[1] < 0x80 || p[1] > 0xBF)
            *why = "truncated sequence";
        else if (c == 0xE0 || c == 0xF0)
            *why = "overlong encoding";
        else if (c == 0xED)
            *why = "UTF-16 surrogate";
        else
            *why = "code point above U+10FFFF";
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (i >= avail || p[i] < 0x80 || p[i] > 0xBF) {
            *why = "truncated sequence";
            return 0;
        }
    }
    return len;
}

static int utf8_error(ecl_csv_reader *r, const char *why, ecl_err *e)
{
    r->resync = true;
    return rd_error(r, ECL_EFORMAT, r->line, r->col, e, "invalid UTF-8: %s (byte 0x%02X at byte column %u)", why,
                    r->buf[r->pos], r->bcol);
}

/* Copies one multi-byte character from pos to the scratch buffer after checking it. */
static int take_utf8(ecl_csv_reader *r, ecl_err *e)
{
    int rc = 0;
    size_t avail = fill(r, 4, e, &rc);
    if (rc)
        return rc;
    const char *why = NULL;
    size_t len = utf8_seq(r->buf + r->pos, avail, &why);
    if (!len)
        return utf8_error(r, why, e);
    if (ecl_buf_append(&r->scratch, r->buf + r->pos, len))
        return ECL_ENOMEM;
    r->pos += len;
    r->col++;
    r->bcol += (uint32_t)len;
    return 0;
}

static int too_big(ecl_csv_reader *r, uint64_t line, uint32_t col, ecl_err *e)
{
    r->resync = true;
    return rd_error(r, ECL_EFORMAT, line, col, e, "record is larger than %d MiB", MAX_RECORD >> 20);
}

static int push_field(ecl_csv_reader *r, size_t off, bool quoted, uint64_t line, uint32_t col, ecl_err *e)
{
    if (r->nfields == r->capfields) {
        size_t nc = r->capfields ? r->capfields * 2 : 16;
        ecl_csv_field *f = realloc(r->fields, nc * sizeof *f);
        if (!f)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory reading '%s'", r->name);
        r->fields = f;
        r->capfields = nc;
    }
    /* p holds the offset until the record is complete (the scratch buffer may move meanwhile). */
    r->fields[r->nfields++] = (ecl_csv_field){(const char *)(uintptr_t)off, r->scratch.len - off, quoted, col, line};
    return 0;
}

static void newline(ecl_csv_reader *r)
{
    r->line++;
    r->col = r->bcol = 1;
}

/* Consumes the line end at pos (CR, LF or CRLF). */
static int eat_eol(ecl_csv_reader *r, ecl_err *e)
{
    int rc = 0;
    if (r->buf[r->pos] == '\r') {
        r->pos++;
        if (fill(r, 1, e, &rc) && r->buf[r->pos] == '\n')
            r->pos++;
    } else {
        r->pos++;
    }
    newline(r);
    return rc;
}

/* Skips to just after the next line end (used to resume after a syntax error). */
static int skip_line(ecl_csv_reader *r, ecl_err *e)
{
    int rc = 0;
    while (fill(r, 1, e, &rc)) {
        uint8_t c = r->buf[r->pos];
        if (c == '\n' || c == '\r')
            return eat_eol(r, e);
        r->pos++;
    }
    return rc;
}

/* Copies the ASCII run from pos up to i into the record. */
static int take_run(ecl_csv_reader *r, size_t i)
{
    if (i == r->pos)
        return 0;
    if (ecl_buf_append(&r->scratch, r->buf + r->pos, i - r->pos))
        return ECL_ENOMEM;
    r->col += (uint32_t)(i - r->pos);
    r->bcol += (uint32_t)(i - r->pos);
    r->pos = i;
    return 0;
}

static int read_quoted(ecl_csv_reader *r, uint64_t fline, uint32_t fcol, ecl_err *e)
{
    int rc = 0;
    const uint8_t q = (uint8_t)r->quote;
    r->pos++; /* opening quote */
    r->col++;
    r->bcol++;
    for (;;) {
        if (!fill(r, 1, e, &rc)) {
            if (rc)
                return rc;
            r->resync = false; /* nothing left to resync to */
            return rd_error(r, ECL_EFORMAT, fline, fcol, e,
                            "unterminated quoted field: the input ends before its closing quote");
        }
        size_t i = r->pos;
        const uint8_t *b = r->buf;
        while (i < r->end && b[i] != q && b[i] != '\n' && b[i] < 0x80)
            i++;
        if (take_run(r, i))
            return too_big(r, fline, fcol, e);
        if (i == r->end)
            continue;
        uint8_t c = b[i];
        if (c == '\n') {
            if (ecl_buf_putc(&r->scratch, c))
                return too_big(r, fline, fcol, e);
            r->pos++;
            newline(r);
        } else if (c >= 0x80) {
            if ((rc = take_utf8(r, e)))
                return rc == ECL_ENOMEM ? too_big(r, fline, fcol, e) : rc;
        } else { /* quote: doubled, or the end of the field */
            size_t avail = fill(r, 2, e, &rc);
            if (rc)
                return rc;
            if (avail >= 2 && r->buf[r->pos + 1] == q) {
                if (ecl_buf_putc(&r->scratch, q))
                    return too_big(r, fline, fcol, e);
                r->pos += 2;
                r->col += 2;
                r->bcol += 2;
                continue;
            }
            r->pos++;
            r->col++;
            r->bcol++;
            if (avail >= 2) {
                uint8_t nx = r->buf[r->pos];
                if (nx != (uint8_t)r->delim && nx != '\n' && nx != '\r') {
                    r->resync = true;
                    if (nx >= 0x20 && nx < 0x7f)
                        return rd_error(r, ECL_EFORMAT, r->line, r->col, e,
                                        "unexpected '%c' after the closing quote of a quoted field (a quote "
                                        "inside a quoted field must be doubled)",
                                        nx);
                    return rd_error(r, ECL_EFORMAT, r->line, r->col, e,
                                    "unexpected byte 0x%02X after the closing quote of a quoted field", nx);
                }
            }
            return 0;
        }
    }
}

static int read_plain(ecl_csv_reader *r, uint64_t fline, uint32_t fcol, ecl_err *e)
{
    int rc = 0;
    const uint8_t d = (uint8_t)r->delim, q = (uint8_t)r->quote;
    for (;;) {
        if (!fill(r, 1, e, &rc))
            return rc;
        size_t i = r->pos;
        const uint8_t *b = r->buf;
        while (i < r->end && b[i] != d && b[i] != '\n' && b[i] != '\r' && b[i] != q && b[i] < 0x80)
            i++;
        if (take_run(r, i))
            return too_big(r, fline, fcol, e);
        if (i == r->end)
            continue;
        uint8_t c = b[i];
        if (c == q) {
            r->resync = true;
            return rd_error(r, ECL_EFORMAT, r->line, r->col, e,
                            "stray quote in an unquoted field (quote the whole field and double the quotes "
                            "inside)");
        }
        if (c < 0x80)
            return 0; /* delimiter or line end */
        if ((rc = take_utf8(r, e)))
            return rc == ECL_ENOMEM ? too_big(r, fline, fcol, e) : rc;
    }
}

static int read_record(ecl_csv_reader *r, ecl_err *e)
{
    int rc = 0;
    const uint8_t d = (uint8_t)r->delim;
    for (;;) {
        uint64_t fline = r->line;
        uint32_t fcol = r->col;
        size_t off = r->scratch.len;
        bool quoted = fill(r, 1, e, &rc) && r->buf[r->pos] == (uint8_t)r->quote;
        if (rc)
            return rc;
        rc = quoted ? read_quoted(r, fline, fcol, e) : read_plain(r, fline, fcol, e);
        if (rc)
            return rc;
        if ((rc = push_field(r, off, quoted, fline, fcol, e)))
            return rc;
        r->end_line = r->line;
        r->end_col = r->col;
        if (!fill(r, 1, e, &rc))
            return rc; /* end of input ends the record */
        uint8_t c = r->buf[r->pos];
        if (c == d) {
            r->pos++;
            r->col++;
            r->bcol++;
            continue;
        }
        r->end_line = r->line;
        r->end_col = r->col;
        return eat_eol(r, e); /* read_* stop only at a delimiter or a line end */
    }
}

int ecl_csv_next(ecl_csv_reader *r, const ecl_csv_field **fields, size_t *nfields, ecl_err *e)
{
    int rc = 0;
    *fields = NULL;
    *nfields = 0;
    if (r->resync) {
        r->resync = false;
        if ((rc = skip_line(r, e)))
            return rc;
    }
    for (;;) {
        if (!fill(r, 1, e, &rc))
            return rc ? rc : ECL_ENOTFOUND;
        uint8_t c = r->buf[r->pos];
        if (c != '\n' && c != '\r')
            break;
        /* A blank line: a record of one empty field in a one-column file, else nothing. */
        if (r->expect == 1) {
            ecl_buf_clear(&r->scratch);
            r->nfields = 0;
            if ((rc = push_field(r, 0, false, r->line, r->col, e)))
                return rc;
            r->fields[0].p = (const char *)r->scratch.data;
            if ((rc = eat_eol(r, e)))
                return rc;
            *fields = r->fields;
            *nfields = 1;
            return 0;
        }
        if ((rc = eat_eol(r, e)))
            return rc;
    }
    ecl_buf_clear(&r->scratch);
    r->nfields = 0;
    rc = read_record(r, e);
    if (rc == ECL_ENOMEM && !r->resync)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading '%s'", r->name);
    if (rc)
        return rc;
    for (size_t i = 0; i < r->nfields; i++)
        r->fields[i].p = (const char *)r->scratch.data + (uintptr_t)r->fields[i].p;
    if (r->expect == 0)
        r->expect = r->nfields;
    if (r->expect != SIZE_MAX && r->nfields != r->expect) {
        bool more = r->nfields > r->expect;
        return rd_error(r, ECL_EINVAL, more ? r->fields[r->expect].line : r->end_line,
                        more ? r->fields[r->expect].col : r->end_col, e, "expected %zu fields, got %zu", r->expect,
                        r->nfields);
    }
    *fields = r->fields;
    *nfields = r->nfields;
    return 0;
}

/* ================================================================ batches */

int ecl_csv_map_header(const ecl_csv_reader *r, const ecl_schema *s, int *map, size_t *unknown, ecl_err *e)
{
    if (unknown)
        *unknown = 0;
    if (!r->hdr || !r->nhdr)
        return ecl_err_set(e, ECL_EFORMAT, "%s:1:1: no header row", r->name);
    for (size_t k = 0; k < s->nfields; k++)
        map[k] = -1;
    for (size_t i = 0; i < r->nhdr; i++) {
        const ecl_csv_field *h = &r->hdr[i];
        size_t k = 0;
        while (k < s->nfields && !(strlen(s->fields[k].name) == h->n && memcmp(s->fields[k].name, h->p, h->n) == 0))
            k++;
        if (k == s->nfields) {
            if (unknown)
                (*unknown)++;
            continue;
        }
        if (map[k] >= 0)
            return rd_error((ecl_csv_reader *)r, ECL_EINVAL, h->line, h->col, e, "header column '%s' appears twice",
                            s->fields[k].name);
        map[k] = (int)i;
    }
    return 0;
}

int ecl_csv_read_batch(ecl_csv_reader *r, const ecl_schema *s, const int *map, const ecl_csv_dialect *d,
                       ecl_batch *b, size_t max_rows, bool *done, ecl_err *e)
{
    *done = false;
    size_t base = s->nfields ? b->cols[0].len : 0;
    for (size_t got = 0; got < max_rows; got++) {
        const ecl_csv_field *f;
        size_t n;
        int rc = ecl_csv_next(r, &f, &n, e);
        if (rc == ECL_ENOTFOUND) {
            *done = true;
            break;
        }
        if (rc) {
            b->nrows = base;
            return rc;
        }
        for (size_t k = 0; !rc && k < s->nfields; k++) {
            if (map[k] >= 0 && (size_t)map[k] < n)
                rc = ecl_csv_parse_value(r, &s->fields[k], &f[map[k]], d, &b->cols[k], e);
            else if (!s->fields[k].nullable)
                rc = rd_error(r, ECL_EINVAL, ecl_csv_line(r), 1, e, "column '%s': missing, and it cannot be null",
                              s->fields[k].name);
            else if (ecl_col_push_null(&b->cols[k]))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading '%s'", r->name);
        }
        if (rc) {
            for (size_t k = 0; k < s->nfields; k++)
                ecl_col_truncate(&b->cols[k], base);
            b->nrows = base;
            return rc;
        }
        base++;
    }
    b->nrows = base;
    return 0;
}

/* ================================================================ values */

static int value_error(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld, ecl_err *e,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int value_error(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld, ecl_err *e,
                       const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ecl_err_set(e, ECL_EINVAL, "%s:%llu:%u: column '%s': %s", r ? r->name : "<input>",
                       (unsigned long long)fld->line, fld->col, f->name, msg);
}

/* The field as shown in messages: at most 40 bytes, control characters escaped. */
static void show(const ecl_csv_field *fld, char out[200])
{
    size_t w = 0;
    for (size_t i = 0; i < fld->n && w < 180; i++) {
        unsigned char c = (unsigned char)fld->p[i];
        if (i == 40) {
            w += (size_t)snprintf(out + w, 200 - w, "...");
            break;
        }
        if (c < 0x20 || c == 0x7f || c == '\'')
            w += (size_t)snprintf(out + w, 200 - w, "\\x%02x", c);
        else
            out[w++] = (char)c;
    }
    out[w] = 0;
}

static bool parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out, bool *range)
{
    *range = false;
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return false;
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned dgt = (unsigned)(s[i] - '0');
        if (dgt > 9) {
            *range = false;
            return false;
        }
        if (v > (lim - dgt) / 10) {
            *range = true; /* keep scanning: "9999999999x" is not a number at all */
            v = lim;
        } else {
            v = v * 10 + dgt;
        }
    }
    if (*range)
        return false;
    int64_t x = neg ? (int64_t)(0 - v) : (int64_t)v;
    if (x < min || x > max) {
        *range = true;
        return false;
    }
    *out = x;
    return true;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    if (n != l)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return false;
    }
    return true;
}

/* 0 ok, 1 not a number, 2 out of range. */
static int parse_f64(const char *s, size_t n, double *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (ieq(s + i, n - i, "inf") || ieq(s + i, n - i, "infinity")) {
        *out = neg ? -INFINITY : INFINITY;
        return 0;
    }
    if (ieq(s + i, n - i, "nan")) {
        *out = neg ? -NAN : NAN;
        return 0;
    }
    /* digits [. digits] | . digits, then [eE][+-]digits */
    size_t j = i, mant = 0;
    while (j < n && s[j] >= '0' && s[j] <= '9')
        j++, mant++;
    if (j < n && s[j] == '.') {
        j++;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++, mant++;
    }
    if (!mant)
        return 1;
    if (j < n && (s[j] == 'e' || s[j] == 'E')) {
        j++;
        if (j < n && (s[j] == '+' || s[j] == '-'))
            j++;
        size_t k = j;
        while (j < n && s[j] >= '0' && s[j] <= '9')
            j++;
        if (j == k)
            return 1;
    }
    if (j != n)
        return 1;
    char small[128];
    char *tmp = n < sizeof small ? small : malloc(n + 1);
    if (!tmp)
        return 1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    errno = 0;
    double v = strtod(tmp, NULL);
    int err = errno;
    if (tmp != small)
        free(tmp);
    if (err == ERANGE && isinf(v))
        return 2;
    *out = v;
    return 0;
}

int ecl_parse_decimal(const char *s, size_t n, int precision, int scale, int64_t *out, const char **why)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t v = 0;
    int intdigits = 0, fracdigits = 0;
    bool any = false, seen_nonzero = false;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        any = true;
        if (s[i] != '0')
            seen_nonzero = true;
        if (seen_nonzero) {
            if (++intdigits > precision - scale) {
                *why = "too many digits before the decimal point";
                return ECL_EINVAL;
            }
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    }
    if (i < n && s[i] == '.') {
        i++;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            any = true;
            if (fracdigits < scale) {
                v = v * 10 + (uint64_t)(s[i] - '0');
                fracdigits++;
            } else if (s[i] != '0') {
                *why = "more digits after the decimal point than the scale allows";
                return ECL_EINVAL;
            }
        }
    }
    if (!any || i != n) {
        *why = NULL;
        return ECL_EINVAL;
    }
    for (; fracdigits < scale; fracdigits++)
        v *= 10;
    /* precision <= 18 keeps v below 10^18: no overflow above */
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static int two(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
        return -1;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 0;
}

int ecl_parse_timestamp(const char *s, size_t n, int64_t *micros)
{
    int32_t days;
    if (n < 10 || ecl_date_parse(s, 10, &days))
        return ECL_EINVAL;
    int64_t secs = 0, frac = 0, offset = 0;
    size_t i = 10;
    if (i < n) {
        if ((s[i] != 'T' && s[i] != ' ') || n - i < 6)
            return ECL_EINVAL;
        int hh, mm, ss = 0;
        if (two(s + i + 1, &hh) || s[i + 3] != ':' || two(s + i + 4, &mm) || hh > 23 || mm > 59)
            return ECL_EINVAL;
        i += 6;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || two(s + i + 1, &ss) || ss > 59)
                return ECL_EINVAL;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                int nd = 0;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (nd < 6)
                        frac = frac * 10 + (s[i] - '0');
                    nd++;
                    i++;
                }
                if (nd == 0 || nd > 9)
                    return ECL_EINVAL;
                for (int k = nd; k < 6; k++)
                    frac *= 10;
            }
        }
        secs = (int64_t)hh * 3600 + mm * 60 + ss;
        if (i < n) {
            if (s[i] == 'Z' && i + 1 == n) {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                int oh, om = 0;
                size_t rest = n - i - 1;
                const char *o = s + i + 1;
                if (rest == 2 ? two(o, &oh)
                    : rest == 4 ? two(o, &oh) || two(o + 2, &om)
                    : rest == 5 ? two(o, &oh) || o[2] != ':' || two(o + 3, &om)
                                : -1)
                    return ECL_EINVAL;
                if (oh > 23 || om > 59)
                    return ECL_EINVAL;
                offset = (s[i] == '-' ? -1 : 1) * ((int64_t)oh * 3600 + om * 60);
                i = n;
            } else {
                return ECL_EINVAL;
            }
        }
    }
    if (i != n)
        return ECL_EINVAL;
    *micros = ((int64_t)days * 86400 + secs - offset) * 1000000 + frac;
    return 0;
}

static const char *month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                    "July",    "August",   "September", "October", "November", "December"};

static int date_error(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld, ecl_err *e,
                      const char *what)
{
    char shown[200];
    show(fld, shown);
    /* The right shape with an impossible day gets a precise reason. */
    const char *s = fld->p;
    if (fld->n >= 10 && s[4] == '-' && s[7] == '-') {
        int y = 0, m, d, ok = 1;
        for (int k = 0; k < 4; k++)
            ok &= s[k] >= '0' && s[k] <= '9', y = y * 10 + (s[k] - '0');
        if (ok && !two(s + 5, &m) && !two(s + 8, &d)) {
            if (m < 1 || m > 12)
                return value_error(r, f, fld, e, "'%s' is not a valid %s: there is no month %d", shown, what, m);
            int lim = 31;
            while (lim > 28 && !ecl_date_valid(y, m, lim))
                lim--;
            if (y >= 1 && (d < 1 || d > lim))
                return value_error(r, f, fld, e, "'%s' is not a valid %s: %s %d has %d days", shown, what,
                                   month_names[m - 1], y, lim);
        }
    }
    if (strcmp(what, "date") == 0)
        return value_error(r, f, fld, e, "expected a date YYYY-MM-DD, got '%s'", shown);
    return value_error(r, f, fld, e,
                       "expected a timestamp YYYY-MM-DD[Thh:mm[:ss[.ffffff]]][Z|+hh:mm], got '%s'", shown);
}

int ecl_csv_parse_value(const ecl_csv_reader *r, const ecl_field *f, const ecl_csv_field *fld,
                        const ecl_csv_dialect *d, ecl_column *c, ecl_err *e)
{
    const char *tok = d && d->null_token ? d->null_token : "";
    size_t toklen = strlen(tok);
    const char *s = fld->p;
    size_t n = fld->n;
    char shown[200];
    int rc;
    if (!fld->quoted && n == toklen && memcmp(s, tok, n) == 0) {
        if (!f->nullable)
            return value_error(r, f, fld, e, "null (%s%s%s) in a column that is not nullable",
                               n ? "'" : "an empty field", n ? tok : "", n ? "'" : "");
        rc = ecl_col_push_null(c);
        goto pushed;
    }
    switch (f->type) {
    case ECL_T_STRING:
        rc = ecl_col_push_str(c, s, n);
        break;
    case ECL_T_BOOL:
        if (ieq(s, n, "true") || (n == 1 && s[0] == '1'))
            rc = ecl_col_push_bool(c, true);
        else if (ieq(s, n, "false") || (n == 1 && s[0] == '0'))
            rc = ecl_col_push_bool(c, false);
        else {
            show(fld, shown);
            return value_error(r, f, fld, e, "expected a boolean (true/false, True/False or 1/0), got '%s'", shown);
        }
        break;
    case ECL_T_INT32:
    case ECL_T_INT64: {
        int64_t v;
        bool range;
        bool i32 = f->type == ECL_T_INT32;
        if (!parse_i64(s, n, i32 ? INT32_MIN : INT64_MIN, i32 ? INT32_MAX : INT64_MAX, &v, &range)) {
            show(fld, shown);
            if (range)
                return value_error(r, f, fld, e, "'%s' is out of range for %s (%s..%s)", shown, i32 ? "int32" : "int64",
                                   i32 ? "-2147483648" : "-9223372036854775808",
                                   i32 ? "2147483647" : "9223372036854775807");
            return value_error(r, f, fld, e, "expected %s, got '%s'", i32 ? "an int32" : "an int64", shown);
        }
        rc = i32 ? ecl_col_push_i32(c, (int32_t)v) : ecl_col_push_i64(c, v);
        break;
    }
    case ECL_T_DOUBLE: {
        double v;
        int pr = parse_f64(s, n, &v);
        if (pr) {
            show(fld, shown);
            if (pr == 2)
                return value_error(r, f, fld, e, "'%s' is out of range for double", shown);
            return value_error(r, f, fld, e, "expected a double, got '%s'", shown);
        }
        rc = ecl_col_push_f64(c, v);
        break;
    }
    case ECL_T_DECIMAL: {
        int64_t v;
        const char *why = NULL;
        if (ecl_parse_decimal(s, n, f->precision, f->scale, &v, &why)) {
            show(fld, shown);
            if (why)
                return value_error(r, f, fld, e, "'%s' does not fit decimal(%d,%d): %s", shown, f->precision,
                                   f->scale, why);
            return value_error(r, f, fld, e, "expected a decimal(%d,%d), got '%s'", f->precision, f->scale, shown);
        }
        rc = ecl_col_push_i64(c, v);
        break;
    }
    case ECL_T_DATE: {
        int32_t days;
        if (ecl_date_parse(s, n, &days))
            return date_error(r, f, fld, e, "date");
        rc = ecl_col_push_i32(c, days);
        break;
    }
    case ECL_T_TIMESTAMP: {
        int64_t us;
        if (ecl_parse_timestamp(s, n, &us))
            return date_error(r, f, fld, e, "timestamp");
        rc = ecl_col_push_i64(c, us);
        break;
    }
    default:
        return ecl_err_set(e, ECL_EUNSUPPORTED, "column '%s': unsupported type", f->name);
    }
pushed:
    if (rc)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory parsing column '%s'", f->name);
    return 0;
}

/* ================================================================ formatting */

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                  "8081828384858687888990919293949596979899";

/* Writes v (no sign) right-aligned ending at end; returns the start. */
static char *utoa_back(uint64_t v, char *end)
{
    while (v >= 100) {
        unsigned k = (unsigned)(v % 100) * 2;
        v /= 100;
        *--end = digit_pairs[k + 1];
        *--end = digit_pairs[k];
    }
    if (v >= 10) {
        unsigned k = (unsigned)v * 2;
        *--end = digit_pairs[k + 1];
        *--end = digit_pairs[k];
    } else {
        *--end = (char)('0' + v);
    }
    return end;
}

size_t ecl_format_i64(int64_t v, char *out)
{
    char tmp[24];
    char *end = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *p = utoa_back(u, end);
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(end - p);
    memcpy(out, p, n);
    out[n] = 0;
    return n;
}

static void put2(char *p, unsigned v)
{
    p[0] = digit_pairs[v * 2];
    p[1] = digit_pairs[v * 2 + 1];
}

/* YYYY-MM-DD into p (10 bytes); years are 0001..9999 for any value we parse. */
static void put_date(char *p, int32_t days)
{
    int y, m, d;
    ecl_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        char tmp[16];
        snprintf(tmp, sizeof tmp, "%04d", y);
        memcpy(p, tmp, 4); /* outside what any parser accepts; kept visible, not wrapped */
    } else {
        put2(p, (unsigned)y / 100);
        put2(p + 2, (unsigned)y % 100);
    }
    p[4] = '-';
    put2(p + 5, (unsigned)m);
    p[7] = '-';
    put2(p + 8, (unsigned)d);
}

static size_t fmt_timestamp(int64_t us, ecl_ts_style style, char *out)
{
    int64_t days = us / 86400000000LL, rem = us % 86400000000LL;
    if (rem < 0) {
        rem += 86400000000LL;
        days--;
    }
    put_date(out, (int32_t)days);
    out[10] = style == ECL_TS_SPACE || style == ECL_TS_SPACE_MICROS ? ' ' : 'T';
    int64_t secs = rem / 1000000, frac = rem % 1000000;
    put2(out + 11, (unsigned)(secs / 3600));
    out[13] = ':';
    put2(out + 14, (unsigned)(secs / 60 % 60));
    out[16] = ':';
    put2(out + 17, (unsigned)(secs % 60));
    size_t n = 19;
    if (frac || style == ECL_TS_ISO_T_MICROS || style == ECL_TS_SPACE_MICROS) {
        out[n++] = '.';
        put2(out + n, (unsigned)(frac / 10000));
        put2(out + n + 2, (unsigned)(frac / 100 % 100));
        put2(out + n + 4, (unsigned)(frac % 100));
        n += 6;
    }
    out[n] = 0;
    return n;
}

void ecl_format_timestamp(int64_t micros, ecl_ts_style style, char out[32]) { fmt_timestamp(micros, style, out); }

static size_t fmt_decimal(int64_t v, int scale, char *out)
{
    char tmp[48];
    char *end = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    char *p = end;
    for (int i = 0; i < scale; i++) {
        *--p = (char)('0' + u % 10);
        u /= 10;
    }
    if (scale > 0)
        *--p = '.';
    p = utoa_back(u, p);
    if (v < 0)
        *--p = '-';
    size_t n = (size_t)(end - p);
    memcpy(out, p, n);
    out[n] = 0;
    return n;
}

void ecl_format_decimal(int64_t v, int scale, char out[32]) { fmt_decimal(v, scale, out); }

/* Fast path for the common case of values with few decimals (prices, ratios, rounded measures):
 * the smallest k such that m = round(v * 10^k) gives back v as m / 10^k. Both m (< 1e15) and 10^k
 * (k <= 15) are exact doubles, so IEEE division rounds m / 10^k exactly as strtod rounds the text
 * "m with k decimals": that text reads back to v, and no shorter one does (a smaller k failed).
 * m stays below 1e15, so the rounding of a * 10^k cannot move nearbyint off the right integer.
 * Only for the fixed-notation range, 1e-4 <= |v| < 1e15; returns 0 when it does not apply. */
static size_t fmt_double_short(double v, char *out)
{
    static const double p10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15))
        return 0;
    for (int k = 0; k <= 15; k++) {
        double m = nearbyint(a * p10[k]);
        if (m >= 1e15) /* keeps the product's rounding error far below 0.5 */
            return 0;
        if (m / p10[k] != a)
            continue;
        uint64_t u = (uint64_t)m, scale = (uint64_t)p10[k];
        char tmp[48];
        char *end = tmp + sizeof tmp, *p = end;
        uint64_t frac = u % scale;
        if (k == 0) {
            *--p = '0';
        } else {
            for (int i = 0; i < k; i++) {
                *--p = (char)('0' + frac % 10);
                frac /= 10;
            }
        }
        *--p = '.';
        p = utoa_back(u / scale, p);
        if (v < 0)
            *--p = '-';
        size_t n = (size_t)(end - p);
        memcpy(out, p, n);
        out[n] = 0;
        return n;
    }
    return 0;
}

/* Python repr(float): the shortest digits that read back to v, in fixed notation when the decimal
 * exponent is in [-4, 16), else d[.ddd]e[+-]XX. */
static size_t fmt_double(double v, char *out)
{
    if (isnan(v))
        return (size_t)sprintf(out, "nan");
    if (isinf(v))
        return (size_t)sprintf(out, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return (size_t)sprintf(out, signbit(v) ? "-0.0" : "0.0");
    size_t fast = fmt_double_short(v, out);
    if (fast)
        return fast;
    /* Shortest round trip: if 15 significant digits round-trip, the shortest digits are those with
     * trailing zeros removed (15-digit spacing is wider than a double's rounding interval); else 16,
     * else 17 (always enough). */
    char sci[40];
    int prec;
    /* Subnormals have so few significant bits that the shortcut does not hold: search upward. */
    for (prec = fabs(v) < 2.2250738585072014e-308 ? 1 : 15; prec <= 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec - 1, v);
        if (prec == 17 || strtod(sci, NULL) == v)
            break;
    }
    /* sci = [-]d.ddddde[+-]XX */
    const char *p = sci;
    bool neg = *p == '-';
    if (neg)
        p++;
    char dig[20];
    int nd = 0;
    for (; *p != 'e'; p++)
        if (*p != '.')
            dig[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && dig[nd - 1] == '0')
        nd--;
    size_t n = 0;
    if (neg)
        out[n++] = '-';
    if (exp10 >= -4 && exp10 < 16) {
        if (exp10 < 0) {
            out[n++] = '0';
            out[n++] = '.';
            for (int i = -1; i > exp10; i--)
                out[n++] = '0';
            memcpy(out + n, dig, (size_t)nd);
            n += (size_t)nd;
        } else {
            for (int i = 0; i <= exp10; i++)
                out[n++] = i < nd ? dig[i] : '0';
            out[n++] = '.';
            if (nd > exp10 + 1) {
                memcpy(out + n, dig + exp10 + 1, (size_t)(nd - exp10 - 1));
                n += (size_t)(nd - exp10 - 1);
            } else {
                out[n++] = '0';
            }
        }
    } else {
        out[n++] = dig[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, dig + 1, (size_t)(nd - 1));
            n += (size_t)(nd - 1);
        }
        out[n++] = 'e';
        out[n++] = exp10 < 0 ? '-' : '+';
        int ax = exp10 < 0 ? -exp10 : exp10;
        if (ax >= 100)
            out[n++] = (char)('0' + ax / 100);
        put2(out + n, (unsigned)(ax % 100));
        n += 2;
    }
    out[n] = 0;
    return n;
}

void ecl_format_double(double v, char out[32]) { fmt_double(v, out); }

/* ================================================================ writer */

enum { FLUSH_AT = 256 << 10 };

typedef struct wctx {
    ecl_out *o;
    ecl_buf b;
    const ecl_csv_dialect *d;
    size_t toklen;
    ecl_err *e;
} wctx;

static bool needs_quotes(const wctx *w, const char *s, size_t n)
{
    const char d = w->d->delimiter, q = w->d->quote ? w->d->quote : '"';
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == d || c == q || c == '\n' || c == '\r')
            return true;
    }
    /* text equal to a non-empty null token would read back as null; a leading byte order mark
     * would be dropped by readers if the field opens the file */
    return (w->toklen && n == w->toklen && memcmp(s, w->d->null_token, n) == 0) ||
           (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0);
}

/* Appends one field; room for n*2+2 bytes must exist. */
static void put_field(wctx *w, const char *s, size_t n, bool force_quotes)
{
    uint8_t *p = w->b.data + w->b.len;
    if (!force_quotes && !needs_quotes(w, s, n)) {
        memcpy(p, s, n);
        ecl_buf_setlen(&w->b, w->b.len + n);
        return;
    }
    const char q = w->d->quote ? w->d->quote : '"';
    size_t k = 0;
    p[k++] = (uint8_t)q;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == q)
            p[k++] = (uint8_t)q;
        p[k++] = (uint8_t)s[i];
    }
    p[k++] = (uint8_t)q;
    ecl_buf_setlen(&w->b, w->b.len + k);
}

static int flush(wctx *w)
{
    if (ecl_buf_oom(&w->b))
        return ecl_err_set(w->e, ECL_ENOMEM, "out of memory writing CSV");
    int rc = w->b.len ? ecl_out_write(w->o, w->b.data, w->b.len, w->e) : 0;
    ecl_buf_clear(&w->b);
    return rc;
}

static void put_eol(wctx *w)
{
    if (w->d->crlf)
        w->b.data[w->b.len++] = '\r';
    w->b.data[w->b.len++] = '\n';
    w->b.data[w->b.len] = 0;
}

int ecl_csv_write_header(ecl_out *o, const ecl_schema *s, const ecl_csv_dialect *d, ecl_err *e)
{
    wctx w = {o, ECL_BUF_INIT, d, strlen(d->null_token ? d->null_token : ""), e};
    for (size_t i = 0; i < s->nfields; i++) {
        size_t n = strlen(s->fields[i].name);
        if (ecl_buf_grow(&w.b, 2 * n + 8))
            break;
        if (i)
            w.b.data[w.b.len++] = (uint8_t)d->delimiter;
        put_field(&w, s->fields[i].name, n, s->nfields == 1 && n == 0);
    }
    if (!ecl_buf_grow(&w.b, 4))
        put_eol(&w);
    int rc = flush(&w);
    ecl_buf_release(&w.b);
    return rc;
}

/* Formats value i of column c as text into tmp; returns its length. */
static size_t format_value(const ecl_column *c, const ecl_field *f, size_t i, const ecl_csv_dialect *d, char *tmp)
{
    switch (c->type) {
    case ECL_T_BOOL: {
        bool v = ecl_col_bool(c, i);
        const char *t = d->bools == ECL_BOOL_LOWER ? (v ? "true" : "false") : (v ? "True" : "False");
        size_t n = strlen(t);
        memcpy(tmp, t, n + 1);
        return n;
    }
    case ECL_T_INT32: return ecl_format_i64(ecl_col_i32(c, i), tmp);
    case ECL_T_INT64: return ecl_format_i64(ecl_col_i64(c, i), tmp);
    case ECL_T_DOUBLE: return fmt_double(ecl_col_f64(c, i), tmp);
    case ECL_T_DATE: put_date(tmp, ecl_col_i32(c, i)); tmp[10] = 0; return 10;
    case ECL_T_TIMESTAMP: return fmt_timestamp(ecl_col_i64(c, i), d->timestamps, tmp);
    case ECL_T_DECIMAL: return fmt_decimal(ecl_col_i64(c, i), f->scale, tmp);
    case ECL_T_STRING: break;
    }
    return 0;
}

int ecl_csv_write_batch(ecl_out *o, const ecl_batch *b, const ecl_csv_dialect *d, ecl_err *e)
{
    wctx w = {o, ECL_BUF_INIT, d, strlen(d->null_token ? d->null_token : ""), e};
    const ecl_schema *s = b->schema;
    const bool single = s->nfields == 1;
    int rc = 0;
    if (ecl_buf_grow(&w.b, 4096)) /* grows as needed; small batches stay cheap */
        return ecl_err_set(e, ECL_ENOMEM, "out of memory writing CSV");
    for (size_t r = 0; r < b->nrows && !rc; r++) {
        for (size_t k = 0; k < s->nfields; k++) {
            const ecl_column *c = &b->cols[k];
            const ecl_field *f = &s->fields[k];
            if (k)
                w.b.data[w.b.len++] = (uint8_t)d->delimiter;
            if (ecl_col_is_null(c, r)) {
                if (ecl_buf_grow(&w.b, w.toklen + 8))
                    break;
                if (single && w.toklen == 0 && !d->quote_empty) {
                    /* as Python does: a lone empty field would be a blank line */
                    put_field(&w, "", 0, true);
                } else {
                    memcpy(w.b.data + w.b.len, d->null_token ? d->null_token : "", w.toklen);
                    ecl_buf_setlen(&w.b, w.b.len + w.toklen);
                }
                continue;
            }
            if (c->type == ECL_T_STRING) {
                size_t n;
                const char *p = ecl_col_str(c, r, &n);
                if (ecl_buf_grow(&w.b, 2 * n + 8))
                    break;
                put_field(&w, p, n, n == 0 && (single || (d->quote_empty && w.toklen == 0)));
            } else {
                char tmp[48];
                size_t n = format_value(c, f, r, d, tmp);
                if (ecl_buf_grow(&w.b, 2 * n + 8))
                    break;
                put_field(&w, tmp, n, false);
            }
        }
        if (ecl_buf_grow(&w.b, 4))
            break;
        put_eol(&w);
        if (w.b.len >= FLUSH_AT)
            rc = flush(&w);
    }
    if (!rc)
        rc = flush(&w);
    ecl_buf_release(&w.b);
    return rc;
}
