#include "rle.h"

#include <string.h>

static inline uint8_t *put_varint(uint8_t *o, uint64_t v)
{
    while (v >= 0x80) {
        *o++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *o++ = (uint8_t)v;
    return o;
}

void ecl_bitpack8(uint8_t *dst, const uint32_t *v, int bw)
{
    if (bw == 0)
        return;
    uint64_t acc = 0;
    int bits = 0;
    for (int k = 0; k < 8; k++) {
        acc |= (uint64_t)v[k] << bits;
        bits += bw;
        if (bits >= 32) {
            uint32_t w = (uint32_t)acc;
            memcpy(dst, &w, 4);
            dst += 4;
            acc >>= 32;
            bits -= 32;
        }
    }
    for (; bits > 0; bits -= 8) {
        *dst++ = (uint8_t)acc;
        acc >>= 8;
    }
}

/* One encoder body over any input element type; XF maps an input element to its level/value. */
#define RLE_ENCODER(NAME, T, XF)                                                                    \
    static size_t NAME##_run(const T *v, size_t i, size_t n, size_t cap)                            \
    {                                                                                               \
        uint32_t x = XF(v[i]);                                                                      \
        size_t j = i + 1;                                                                           \
        size_t lim = cap && n - i > cap ? i + cap : n;                                              \
        while (j < lim && XF(v[j]) == x)                                                            \
            j++;                                                                                    \
        return j - i;                                                                               \
    }                                                                                               \
    static size_t NAME##_impl(uint8_t *dst, const T *v, size_t n, int bw)                           \
    {                                                                                               \
        uint8_t *o = dst;                                                                           \
        size_t vb = ((size_t)bw + 7) / 8;                                                           \
        size_t i = 0;                                                                               \
        uint32_t grp[8];                                                                            \
        while (i < n) {                                                                             \
            size_t r = NAME##_run(v, i, n, 0);                                                      \
            if (r >= 8) {                                                                           \
                o = put_varint(o, (uint64_t)r << 1);                                                \
                uint32_t x = XF(v[i]);                                                              \
                for (size_t k = 0; k < vb; k++)                                                     \
                    *o++ = (uint8_t)(x >> (8 * k));                                                 \
                i += r;                                                                             \
                continue;                                                                           \
            }                                                                                       \
            size_t j = i + 8;                                                                       \
            while (j < n && NAME##_run(v, j, n, 8) < 8)                                             \
                j += 8;                                                                             \
            size_t groups = (j - i) / 8;                                                            \
            o = put_varint(o, (uint64_t)groups << 1 | 1);                                           \
            for (size_t g = 0; g < groups; g++, i += 8) {                                           \
                size_t m = n - i < 8 ? n - i : 8;                                                   \
                for (size_t k = 0; k < 8; k++)                                                      \
                    grp[k] = k < m ? XF(v[i + k]) : 0;                                              \
                ecl_bitpack8(o, grp, bw);                                                           \
                o += bw;                                                                            \
            }                                                                                       \
        }                                                                                           \
        return (size_t)(o - dst);                                                                   \
    }

#define XF_ID(x) ((uint32_t)(x))
#define XF_DEF(x) ((uint32_t)((x) == 0))
RLE_ENCODER(enc_u32, uint32_t, XF_ID)
RLE_ENCODER(enc_u8, uint8_t, XF_ID)
RLE_ENCODER(enc_def, uint8_t, XF_DEF)

size_t ecl_rle_encode_u32(uint8_t *dst, const uint32_t *v, size_t n, int bw)
{
    return enc_u32_impl(dst, v, n, bw);
}

size_t ecl_rle_encode_u8(uint8_t *dst, const uint8_t *v, size_t n, int bw)
{
    return enc_u8_impl(dst, v, n, bw);
}

size_t ecl_rle_encode_deflevels(uint8_t *dst, const uint8_t *nulls, size_t n)
{
    if (!nulls || n == 0) {
        if (n == 0)
            return 0;
        uint8_t *o = put_varint(dst, (uint64_t)n << 1);
        *o++ = 1;
        return (size_t)(o - dst);
    }
    return enc_def_impl(dst, nulls, n, 1);
}

/* ---- decoding ---- */

uint64_t ecl_bitunpack_one(const uint8_t *p, size_t nbytes, uint64_t i, int bw)
{
    if (bw == 0)
        return 0;
    uint64_t bit = i * (uint64_t)bw;
    uint64_t byte = bit >> 3;
    int sh = (int)(bit & 7);
    uint64_t lo = 0;
    if (byte < nbytes && nbytes - byte >= 8) {
        memcpy(&lo, p + byte, 8);
    } else {
        for (int k = 0; k < 8 && byte + (uint64_t)k < nbytes; k++)
            lo |= (uint64_t)p[byte + (uint64_t)k] << (8 * k);
    }
    uint64_t v = lo >> sh;
    if (bw + sh > 64) {
        uint64_t hi = byte + 8 < nbytes ? p[byte + 8] : 0;
        v |= hi << (64 - sh);
    }
    return bw == 64 ? v : v & ((UINT64_C(1) << bw) - 1);
}

void ecl_rle_dec_init(ecl_rle_dec *d, const uint8_t *p, size_t n, int bw)
{
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = p + n;
    d->bw = bw;
    d->err = bw < 0 || bw > 32;
}

static bool get_varint(ecl_rle_dec *d, uint64_t *v)
{
    uint64_t x = 0;
    for (int sh = 0; sh < 64 && d->p < d->end; sh += 7) {
        uint8_t c = *d->p++;
        x |= (uint64_t)(c & 0x7F) << sh;
        if (!(c & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Starts the next run; false at end of data or on a malformed header. */
static bool next_run(ecl_rle_dec *d)
{
    uint64_t h;
    if (d->err || d->p >= d->end || !get_varint(d, &h)) {
        d->err = true;
        return false;
    }
    if (h & 1) {
        uint64_t groups = h >> 1;
        size_t avail = (size_t)(d->end - d->p);
        uint64_t bytes = groups * (uint64_t)d->bw;
        if (groups > (UINT64_C(1) << 40))
            bytes = UINT64_MAX;
        if (bytes > avail)
            bytes = avail; /* tolerate a short final group */
        d->bp = d->p;
        d->bp_end = d->p + bytes;
        d->bp_bit = 0;
        d->bp_left = d->bw ? (bytes * 8) / (uint64_t)d->bw : groups * 8;
        if (d->bp_left > groups * 8)
            d->bp_left = groups * 8;
        d->p += bytes;
        if (d->bp_left == 0) {
            d->err = true;
            return false;
        }
    } else {
        size_t vb = ((size_t)d->bw + 7) / 8;
        if ((size_t)(d->end - d->p) < vb || (h >> 1) == 0) {
            d->err = true;
            return false;
        }
        uint32_t x = 0;
        for (size_t k = 0; k < vb; k++)
            x |= (uint32_t)d->p[k] << (8 * k);
        d->p += vb;
        if (d->bw < 32 && (x >> d->bw)) {
            d->err = true;
            return false;
        }
        d->rle_val = x;
        d->rle_left = h >> 1;
    }
    return true;
}

#define RLE_DECODER(NAME, T)                                                                        \
    size_t NAME(ecl_rle_dec *d, T *out, size_t n)                                                   \
    {                                                                                               \
        size_t got = 0;                                                                             \
        uint64_t mask = d->bw == 32 ? 0xFFFFFFFFu : ((UINT64_C(1) << d->bw) - 1);                   \
        while (got < n) {                                                                           \
            if (d->rle_left) {                                                                      \
                size_t m = n - got < d->rle_left ? n - got : (size_t)d->rle_left;                   \
                T x = (T)d->rle_val;                                                                \
                for (size_t k = 0; k < m; k++)                                                      \
                    out[got + k] = x;                                                               \
                got += m;                                                                           \
                d->rle_left -= m;                                                                   \
            } else if (d->bp_left) {                                                                \
                size_t m = n - got < d->bp_left ? n - got : (size_t)d->bp_left;                     \
                const uint8_t *b = d->bp;                                                           \
                size_t nb = (size_t)(d->bp_end - d->bp);                                            \
                uint64_t bit = d->bp_bit;                                                           \
                int bw = d->bw;                                                                     \
                for (size_t k = 0; k < m; k++, bit += (uint64_t)bw) {                               \
                    size_t byte = (size_t)(bit >> 3);                                               \
                    uint64_t w;                                                                     \
                    if (nb - byte >= 8) {                                                           \
                        memcpy(&w, b + byte, 8);                                                    \
                        out[got + k] = (T)((w >> (bit & 7)) & mask);                                \
                    } else {                                                                        \
                        out[got + k] = (T)ecl_bitunpack_one(b, nb, bit / (uint64_t)(bw ? bw : 1),   \
                                                            bw);                                    \
                    }                                                                               \
                }                                                                                   \
                d->bp_bit = bit;                                                                    \
                got += m;                                                                           \
                d->bp_left -= m;                                                                    \
            } else if (!next_run(d)) {                                                              \
                break;                                                                              \
            }                                                                                       \
        }                                                                                           \
        return got;                                                                                 \
    }

RLE_DECODER(ecl_rle_dec_u32, uint32_t)
RLE_DECODER(ecl_rle_dec_u8, uint8_t)
