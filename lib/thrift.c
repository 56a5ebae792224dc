#include "thrift.h"

#include <string.h>

#include "err.h"

void ecl_thr_w_init(ecl_thr_w *w, ecl_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
}

void ecl_thr_w_byte(ecl_thr_w *w, uint8_t v) { ecl_buf_putc(w->b, v); }

void ecl_thr_w_varint(ecl_thr_w *w, uint64_t v)
{
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    ecl_buf_append(w->b, tmp, n);
}

static uint64_t zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void ecl_thr_w_i32(ecl_thr_w *w, int32_t v) { ecl_thr_w_varint(w, zigzag64(v)); }
void ecl_thr_w_i64(ecl_thr_w *w, int64_t v) { ecl_thr_w_varint(w, zigzag64(v)); }

void ecl_thr_w_double(ecl_thr_w *w, double v)
{
    uint8_t le[8];
    memcpy(le, &v, 8); /* compact protocol doubles are little-endian; so is every target we build */
    ecl_buf_append(w->b, le, 8);
}

void ecl_thr_w_binary(ecl_thr_w *w, const void *p, size_t n)
{
    ecl_thr_w_varint(w, n);
    ecl_buf_append(w->b, p, n);
}

void ecl_thr_w_field(ecl_thr_w *w, int16_t id, int type)
{
    if (w->depth <= 0) {
        w->err = ECL_EINVAL;
        return;
    }
    int16_t *last = &w->last[w->depth - 1];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        ecl_thr_w_byte(w, (uint8_t)(delta << 4 | type));
    } else {
        ecl_thr_w_byte(w, (uint8_t)type);
        ecl_thr_w_i32(w, id);
    }
    *last = id;
}

void ecl_thr_w_bool_field(ecl_thr_w *w, int16_t id, bool v)
{
    ecl_thr_w_field(w, id, v ? ECL_THR_TRUE : ECL_THR_FALSE);
}

void ecl_thr_w_i32_field(ecl_thr_w *w, int16_t id, int32_t v)
{
    ecl_thr_w_field(w, id, ECL_THR_I32);
    ecl_thr_w_i32(w, v);
}

void ecl_thr_w_i64_field(ecl_thr_w *w, int16_t id, int64_t v)
{
    ecl_thr_w_field(w, id, ECL_THR_I64);
    ecl_thr_w_i64(w, v);
}

void ecl_thr_w_binary_field(ecl_thr_w *w, int16_t id, const void *p, size_t n)
{
    ecl_thr_w_field(w, id, ECL_THR_BINARY);
    ecl_thr_w_binary(w, p, n);
}

void ecl_thr_w_string_field(ecl_thr_w *w, int16_t id, const char *s)
{
    ecl_thr_w_binary_field(w, id, s, strlen(s));
}

void ecl_thr_w_struct_begin(ecl_thr_w *w)
{
    if (w->depth >= ECL_THRIFT_MAX_DEPTH) {
        w->err = ECL_EINVAL;
        return;
    }
    w->last[w->depth++] = 0;
}

void ecl_thr_w_struct_field(ecl_thr_w *w, int16_t id)
{
    ecl_thr_w_field(w, id, ECL_THR_STRUCT);
    ecl_thr_w_struct_begin(w);
}

void ecl_thr_w_struct_end(ecl_thr_w *w)
{
    if (w->depth <= 0) {
        w->err = ECL_EINVAL;
        return;
    }
    ecl_thr_w_byte(w, ECL_THR_STOP);
    w->depth--;
}

void ecl_thr_w_list_header(ecl_thr_w *w, int elem_type, size_t n)
{
    if (n < 15) {
        ecl_thr_w_byte(w, (uint8_t)(n << 4 | (size_t)elem_type));
    } else {
        ecl_thr_w_byte(w, (uint8_t)(0xF0 | elem_type));
        ecl_thr_w_varint(w, n);
    }
}

void ecl_thr_w_list_field(ecl_thr_w *w, int16_t id, int elem_type, size_t n)
{
    ecl_thr_w_field(w, id, ECL_THR_LIST);
    ecl_thr_w_list_header(w, elem_type, n);
}

/* ---- reader ---- */

void ecl_thr_r_init(ecl_thr_r *r, const uint8_t *p, size_t n)
{
    r->p = p;
    r->end = p + n;
    r->depth = 0;
    r->err = 0;
}

void ecl_thr_r_fail(ecl_thr_r *r)
{
    r->err = ECL_EFORMAT;
    r->p = r->end;
}

uint8_t ecl_thr_r_byte(ecl_thr_r *r)
{
    if (r->err || r->p >= r->end) {
        ecl_thr_r_fail(r);
        return 0;
    }
    return *r->p++;
}

uint64_t ecl_thr_r_varint(ecl_thr_r *r)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->err || r->p >= r->end)
            break;
        uint8_t c = *r->p++;
        if (shift == 63 && (c & 0x7E)) /* more than 64 bits */
            break;
        v |= (uint64_t)(c & 0x7F) << shift;
        if (!(c & 0x80))
            return v;
    }
    ecl_thr_r_fail(r);
    return 0;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

int64_t ecl_thr_r_i64(ecl_thr_r *r) { return unzigzag(ecl_thr_r_varint(r)); }

int32_t ecl_thr_r_i32(ecl_thr_r *r)
{
    int64_t v = ecl_thr_r_i64(r);
    if (v < INT32_MIN || v > INT32_MAX) {
        ecl_thr_r_fail(r);
        return 0;
    }
    return (int32_t)v;
}

double ecl_thr_r_double(ecl_thr_r *r)
{
    double d = 0;
    if (r->err || r->end - r->p < 8) {
        ecl_thr_r_fail(r);
        return 0;
    }
    memcpy(&d, r->p, 8);
    r->p += 8;
    return d;
}

const uint8_t *ecl_thr_r_binary(ecl_thr_r *r, size_t *n)
{
    uint64_t len = ecl_thr_r_varint(r);
    if (r->err || len > (uint64_t)(r->end - r->p)) {
        ecl_thr_r_fail(r);
        *n = 0;
        return r->end;
    }
    const uint8_t *p = r->p;
    r->p += len;
    *n = (size_t)len;
    return p;
}

size_t ecl_thr_r_list(ecl_thr_r *r, int *elem_type)
{
    uint8_t h = ecl_thr_r_byte(r);
    *elem_type = h & 0x0F;
    uint64_t n = h >> 4;
    if (n == 15)
        n = ecl_thr_r_varint(r);
    /* every element takes at least one byte, except bools in some writers: still one byte each */
    if (r->err || n > (uint64_t)(r->end - r->p)) {
        ecl_thr_r_fail(r);
        return 0;
    }
    return (size_t)n;
}

void ecl_thr_r_struct_begin(ecl_thr_r *r, int16_t *last)
{
    *last = 0;
    if (++r->depth > ECL_THRIFT_MAX_DEPTH)
        ecl_thr_r_fail(r);
}

void ecl_thr_r_struct_end(ecl_thr_r *r) { r->depth--; }

bool ecl_thr_r_field(ecl_thr_r *r, int16_t *last, int *type, int16_t *id)
{
    uint8_t h = ecl_thr_r_byte(r);
    if (r->err || h == ECL_THR_STOP)
        return false;
    *type = h & 0x0F;
    int delta = h >> 4;
    if (delta) {
        *id = (int16_t)(*last + delta);
    } else {
        int32_t v = ecl_thr_r_i32(r);
        if (v < INT16_MIN || v > INT16_MAX) {
            ecl_thr_r_fail(r);
            return false;
        }
        *id = (int16_t)v;
    }
    if (*type == ECL_THR_STOP || *type > ECL_THR_STRUCT) {
        ecl_thr_r_fail(r);
        return false;
    }
    *last = *id;
    return !r->err;
}

void ecl_thr_r_skip(ecl_thr_r *r, int type)
{
    if (r->err)
        return;
    switch (type) {
    case ECL_THR_TRUE:
    case ECL_THR_FALSE:
        return; /* value lives in the field header */
    case ECL_THR_BYTE:
        ecl_thr_r_byte(r);
        return;
    case ECL_THR_I16:
    case ECL_THR_I32:
    case ECL_THR_I64:
        ecl_thr_r_varint(r);
        return;
    case ECL_THR_DOUBLE:
        ecl_thr_r_double(r);
        return;
    case ECL_THR_BINARY: {
        size_t n;
        ecl_thr_r_binary(r, &n);
        return;
    }
    case ECL_THR_LIST:
    case ECL_THR_SET: {
        int et;
        size_t n = ecl_thr_r_list(r, &et);
        if (++r->depth > ECL_THRIFT_MAX_DEPTH) {
            ecl_thr_r_fail(r);
            return;
        }
        for (size_t i = 0; i < n && !r->err; i++) {
            if (et == ECL_THR_TRUE || et == ECL_THR_FALSE)
                ecl_thr_r_byte(r); /* list bools take one byte each */
            else
                ecl_thr_r_skip(r, et);
        }
        r->depth--;
        return;
    }
    case ECL_THR_MAP: {
        uint64_t n = ecl_thr_r_varint(r);
        if (n == 0)
            return;
        uint8_t kv = ecl_thr_r_byte(r);
        if (r->err || n > (uint64_t)(r->end - r->p) || ++r->depth > ECL_THRIFT_MAX_DEPTH) {
            ecl_thr_r_fail(r);
            return;
        }
        int kt = kv >> 4, vt = kv & 0x0F;
        for (uint64_t i = 0; i < n && !r->err; i++) {
            if (kt == ECL_THR_TRUE || kt == ECL_THR_FALSE)
                ecl_thr_r_byte(r);
            else
                ecl_thr_r_skip(r, kt);
            if (vt == ECL_THR_TRUE || vt == ECL_THR_FALSE)
                ecl_thr_r_byte(r);
            else
                ecl_thr_r_skip(r, vt);
        }
        r->depth--;
        return;
    }
    case ECL_THR_STRUCT: {
        int16_t last;
        int t;
        int16_t id;
        ecl_thr_r_struct_begin(r, &last);
        while (ecl_thr_r_field(r, &last, &t, &id))
            ecl_thr_r_skip(r, t);
        ecl_thr_r_struct_end(r);
        return;
    }
    default:
        ecl_thr_r_fail(r);
    }
}

int32_t ecl_thr_r_i32_typed(ecl_thr_r *r, int type)
{
    if (type == ECL_THR_I32 || type == ECL_THR_I16)
        return ecl_thr_r_i32(r);
    if (type == ECL_THR_BYTE)
        return (int8_t)ecl_thr_r_byte(r);
    ecl_thr_r_fail(r);
    return 0;
}

int64_t ecl_thr_r_i64_typed(ecl_thr_r *r, int type)
{
    if (type == ECL_THR_I64)
        return ecl_thr_r_i64(r);
    return ecl_thr_r_i32_typed(r, type);
}
