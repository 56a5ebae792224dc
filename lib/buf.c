#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

uint8_t ecl_buf_empty_[1];

void ecl_buf_init(ecl_buf *b, size_t max)
{
    b->data = ecl_buf_empty_;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->oom = false;
}

void ecl_buf_release(ecl_buf *b)
{
    if (b->cap)
        free(b->data);
    size_t max = b->max;
    ecl_buf_init(b, max);
}

int ecl_buf_grow(ecl_buf *b, size_t extra)
{
    if (b->oom)
        return ECL_ENOMEM;
    if (extra > SIZE_MAX - b->len - 1 || (b->max && b->len + extra > b->max)) {
        b->oom = true;
        return ECL_ENOMEM;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need)
        ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
    uint8_t *p = b->cap ? realloc(b->data, ncap) : malloc(ncap);
    if (!p) {
        b->oom = true;
        return ECL_ENOMEM;
    }
    if (!b->cap)
        p[0] = 0;
    b->data = p;
    b->cap = ncap;
    return 0;
}

extern inline int ecl_buf_append(ecl_buf *b, const void *p, size_t n);

int ecl_buf_append_grow_(ecl_buf *b, const void *p, size_t n)
{
    if (ecl_buf_grow(b, n))
        return ECL_ENOMEM;
    if (n)
        memcpy(b->data + b->len, p, n);
    ecl_buf_setlen(b, b->len + n);
    return 0;
}

int ecl_buf_putc(ecl_buf *b, uint8_t c) { return ecl_buf_append(b, &c, 1); }

int ecl_buf_puts(ecl_buf *b, const char *s) { return ecl_buf_append(b, s, strlen(s)); }

int ecl_buf_vprintf(ecl_buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return ECL_EINVAL;
    if (ecl_buf_grow(b, (size_t)n))
        return ECL_ENOMEM;
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    ecl_buf_setlen(b, b->len + (size_t)n);
    return 0;
}

int ecl_buf_printf(ecl_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = ecl_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int ecl_array_grow(void **v, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap : 16;
    while (nc <= n) {
        if (nc > SIZE_MAX / 2)
            return ECL_ENOMEM;
        nc *= 2;
    }
    if (elem && nc > SIZE_MAX / elem)
        return ECL_ENOMEM;
    void *p = realloc(*v, nc * elem);
    if (!p)
        return ECL_ENOMEM;
    memset((char *)p + *cap * elem, 0, (nc - *cap) * elem);
    *v = p;
    *cap = nc;
    return 0;
}

uint8_t *ecl_buf_detach(ecl_buf *b, size_t *len)
{
    uint8_t *p;
    if (b->cap) {
        p = b->data;
    } else {
        p = malloc(1);
        if (p)
            p[0] = 0;
    }
    if (len)
        *len = b->len;
    size_t max = b->max;
    ecl_buf_init(b, max);
    return p;
}
