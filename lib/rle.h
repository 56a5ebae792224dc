/* rle.h - the RLE / bit-packed hybrid encoding of Parquet (definition levels, dictionary indices,
 * booleans in v2 pages), and plain bit packing.
 *
 * Encoder: runs of 8 or more equal values become RLE runs, everything else bit-packed groups of 8
 * (the last group zero-padded). Output goes to a caller buffer sized with ecl_rle_max_size().
 * Decoder: never reads outside its input; a truncated or malformed stream sets err and yields no
 * more values. Bit widths 0..32. */
#ifndef ECL_RLE_H
#define ECL_RLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Upper bound of the encoded size of n values of width bw (0..32). */
static inline size_t ecl_rle_max_size(size_t n, int bw) { return (n / 8 + 2) * ((size_t)bw + 10); }

/* Each returns the number of bytes written to dst. */
size_t ecl_rle_encode_u32(uint8_t *dst, const uint32_t *v, size_t n, int bw);
size_t ecl_rle_encode_u8(uint8_t *dst, const uint8_t *v, size_t n, int bw);
/* Definition levels (bit width 1) of an optional column from a null map (1 = null, NULL = none). */
size_t ecl_rle_encode_deflevels(uint8_t *dst, const uint8_t *nulls, size_t n);

/* Packs 8 values of width bw into bw bytes, LSB first. */
void ecl_bitpack8(uint8_t *dst, const uint32_t *v, int bw);
/* Smallest bit width that holds v (0 for 0). */
static inline int ecl_bit_width(uint64_t v) { return v ? 64 - __builtin_clzll(v) : 0; }

typedef struct ecl_rle_dec {
    const uint8_t *p, *end;
    int bw;
    uint64_t rle_left; /* values left in the current RLE run */
    uint32_t rle_val;
    uint64_t bp_left; /* values left in the current bit-packed run */
    const uint8_t *bp, *bp_end;
    uint64_t bp_bit;
    bool err;
} ecl_rle_dec;

void ecl_rle_dec_init(ecl_rle_dec *d, const uint8_t *p, size_t n, int bw);
/* Decodes up to n values; returns how many were produced (fewer only at end of data or error). */
size_t ecl_rle_dec_u32(ecl_rle_dec *d, uint32_t *out, size_t n);
size_t ecl_rle_dec_u8(ecl_rle_dec *d, uint8_t *out, size_t n);

/* Reads value i (width bw <= 64) of a bit-packed array of nbytes bytes; bits past the end read 0. */
uint64_t ecl_bitunpack_one(const uint8_t *p, size_t nbytes, uint64_t i, int bw);

#endif
