/* thrift.h - Thrift compact protocol: the encoding of every Parquet footer and page header.
 *
 * The writer is sticky: each call appends to an ecl_buf and records the first failure (out of memory,
 * nesting too deep); callers check ecl_thr_w_error() once at the end, so struct writers stay flat.
 * The reader never trusts the input: every length is checked against the remaining bytes, varints
 * are limited to 10 bytes, nesting to ECL_THRIFT_MAX_DEPTH, and a failure is sticky (all later reads
 * return zeros), so a parser may read a whole struct and check ecl_thr_r_error() once. */
#ifndef ECL_THRIFT_H
#define ECL_THRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
    ECL_THR_STOP = 0,
    ECL_THR_TRUE = 1,
    ECL_THR_FALSE = 2,
    ECL_THR_BYTE = 3,
    ECL_THR_I16 = 4,
    ECL_THR_I32 = 5,
    ECL_THR_I64 = 6,
    ECL_THR_DOUBLE = 7,
    ECL_THR_BINARY = 8,
    ECL_THR_LIST = 9,
    ECL_THR_SET = 10,
    ECL_THR_MAP = 11,
    ECL_THR_STRUCT = 12,
};

#define ECL_THRIFT_MAX_DEPTH 32

typedef struct ecl_thr_w {
    ecl_buf *b;
    int16_t last[ECL_THRIFT_MAX_DEPTH]; /* last field id per open struct */
    int depth;
    int err; /* 0 or ECL_ENOMEM / ECL_EINVAL */
} ecl_thr_w;

void ecl_thr_w_init(ecl_thr_w *w, ecl_buf *b);
static inline int ecl_thr_w_error(const ecl_thr_w *w) { return w->err ? w->err : (w->b->oom ? 2 : 0); }

/* Field header for a field of the current struct (not for bools: use ecl_thr_w_bool_field). */
void ecl_thr_w_field(ecl_thr_w *w, int16_t id, int type);
void ecl_thr_w_bool_field(ecl_thr_w *w, int16_t id, bool v);
void ecl_thr_w_i32_field(ecl_thr_w *w, int16_t id, int32_t v);
void ecl_thr_w_i64_field(ecl_thr_w *w, int16_t id, int64_t v);
void ecl_thr_w_binary_field(ecl_thr_w *w, int16_t id, const void *p, size_t n);
void ecl_thr_w_string_field(ecl_thr_w *w, int16_t id, const char *s);
/* Opens a struct-typed field; ecl_thr_w_struct_end closes it (writes STOP). */
void ecl_thr_w_struct_field(ecl_thr_w *w, int16_t id);
/* Opens a struct that is a list element or the top level. */
void ecl_thr_w_struct_begin(ecl_thr_w *w);
void ecl_thr_w_struct_end(ecl_thr_w *w);
/* A list-typed field: header only, then n elements written with the raw writers below. */
void ecl_thr_w_list_field(ecl_thr_w *w, int16_t id, int elem_type, size_t n);
void ecl_thr_w_list_header(ecl_thr_w *w, int elem_type, size_t n);
/* Raw values (list elements, or after ecl_thr_w_field). */
void ecl_thr_w_varint(ecl_thr_w *w, uint64_t v);
void ecl_thr_w_i32(ecl_thr_w *w, int32_t v);
void ecl_thr_w_i64(ecl_thr_w *w, int64_t v);
void ecl_thr_w_double(ecl_thr_w *w, double v);
void ecl_thr_w_binary(ecl_thr_w *w, const void *p, size_t n);
void ecl_thr_w_byte(ecl_thr_w *w, uint8_t v);

typedef struct ecl_thr_r {
    const uint8_t *p, *end;
    int depth;
    int err; /* 0 or ECL_EFORMAT */
} ecl_thr_r;

void ecl_thr_r_init(ecl_thr_r *r, const uint8_t *p, size_t n);
static inline int ecl_thr_r_error(const ecl_thr_r *r) { return r->err; }
static inline size_t ecl_thr_r_used(const ecl_thr_r *r, const uint8_t *start) { return (size_t)(r->p - start); }

/* Struct traversal: call ecl_thr_r_struct_begin, then ecl_thr_r_field until it returns false (STOP
 * or error), reading or skipping each field's value, then ecl_thr_r_struct_end. For bool fields the
 * value is in *type (ECL_THR_TRUE / ECL_THR_FALSE) and there is nothing more to read. */
void ecl_thr_r_struct_begin(ecl_thr_r *r, int16_t *last);
bool ecl_thr_r_field(ecl_thr_r *r, int16_t *last, int *type, int16_t *id);
void ecl_thr_r_struct_end(ecl_thr_r *r);
uint64_t ecl_thr_r_varint(ecl_thr_r *r);
int32_t ecl_thr_r_i32(ecl_thr_r *r);
int64_t ecl_thr_r_i64(ecl_thr_r *r);
double ecl_thr_r_double(ecl_thr_r *r);
uint8_t ecl_thr_r_byte(ecl_thr_r *r);
/* Borrowed pointer into the input; *n is the length. */
const uint8_t *ecl_thr_r_binary(ecl_thr_r *r, size_t *n);
/* List (or set) header: element type and count; the count is checked against the remaining bytes. */
size_t ecl_thr_r_list(ecl_thr_r *r, int *elem_type);
/* Skips one value of the given type (bounded recursion). */
void ecl_thr_r_skip(ecl_thr_r *r, int type);
/* Reads an i32-typed value of a field whose header said type; anything else is a format error. */
int32_t ecl_thr_r_i32_typed(ecl_thr_r *r, int type);
int64_t ecl_thr_r_i64_typed(ecl_thr_r *r, int type);
/* Marks the reader failed (a parser found a semantic problem). */
void ecl_thr_r_fail(ecl_thr_r *r);

#endif
