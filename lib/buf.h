/* buf.h - the one growable byte buffer.
 *
 * Invariants: data is never NULL after ecl_buf_init (an empty buffer points at a shared static byte),
 * data[len] is always '\0', the contents may hold embedded NULs, and len never exceeds max (0 = no cap).
 * A failing append leaves the buffer as it was and returns ECL_ENOMEM; callers that build a long
 * sequence may instead check ecl_buf_oom() once at the end (the failure is sticky).
 * Verbs: init sets up without allocating, release frees the contents, clear empties but keeps memory,
 * detach hands the memory to the caller. */
#ifndef ECL_BUF_H
#define ECL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct ecl_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;
    bool oom;
} ecl_buf;

extern uint8_t ecl_buf_empty_[1];
#define ECL_BUF_INIT {ecl_buf_empty_, 0, 0, 0, false}

void ecl_buf_init(ecl_buf *b, size_t max);
void ecl_buf_release(ecl_buf *b);
static inline void ecl_buf_clear(ecl_buf *b)
{
    b->len = 0;
    b->data[0] = 0;
}
/* Ensures room for extra more bytes (plus the terminator). */
int ecl_buf_grow(ecl_buf *b, size_t extra);
int ecl_buf_append_grow_(ecl_buf *b, const void *p, size_t n);
/* Inline for the common case of room already there (buf.c holds the external definition). */
inline int ecl_buf_append(ecl_buf *b, const void *p, size_t n)
{
    if (b->oom || n >= b->cap - b->len || (b->max && n > b->max - b->len))
        return ecl_buf_append_grow_(b, p, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}
int ecl_buf_putc(ecl_buf *b, uint8_t c);
int ecl_buf_puts(ecl_buf *b, const char *s);
int ecl_buf_printf(ecl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int ecl_buf_vprintf(ecl_buf *b, const char *fmt, va_list ap);
/* Marks len bytes written directly into the spare room after ecl_buf_grow. */
static inline void ecl_buf_setlen(ecl_buf *b, size_t len)
{
    b->len = len;
    b->data[len] = 0;
}
uint8_t *ecl_buf_detach(ecl_buf *b, size_t *len);
static inline bool ecl_buf_oom(const ecl_buf *b) { return b->oom; }

/* The one growth rule for plain arrays: makes room for element n of *v (so *cap > n), doubling from
 * 16, with overflow checks; new slots are zeroed. Returns 0 or ECL_ENOMEM (the array is unchanged).
 * Call as ecl_array_grow((void **)&list->items, &list->cap, list->n, sizeof *list->items). */
int ecl_array_grow(void **v, size_t *cap, size_t n, size_t elem);

#endif
