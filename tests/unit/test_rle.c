/* Unit tests for the RLE / bit-packed hybrid encoder and decoder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/rle.h"
#include "../../lib/rng.h"

static void round_trip(const uint32_t *v, size_t n, int bw)
{
    uint8_t *buf = malloc(ecl_rle_max_size(n, bw));
    size_t len = ecl_rle_encode_u32(buf, v, n, bw);
    assert_true(len <= ecl_rle_max_size(n, bw));
    uint32_t *out = malloc((n + 1) * sizeof *out);
    ecl_rle_dec d;
    ecl_rle_dec_init(&d, buf, len, bw);
    /* decode in uneven slices to cross run boundaries mid-call */
    size_t got = 0, step = 1;
    while (got < n) {
        size_t want = n - got < step ? n - got : step;
        size_t k = ecl_rle_dec_u32(&d, out + got, want);
        assert_int_equal(k, want);
        got += k;
        step = step * 3 + 1;
    }
    assert_memory_equal(out, v, n * sizeof *v);
    free(out);
    free(buf);
}

static void all_widths_random_and_runs(void **state)
{
    (void)state;
    size_t n = 5000;
    uint32_t *v = malloc(n * sizeof *v);
    for (int bw = 0; bw <= 32; bw++) {
        uint64_t mask = bw == 32 ? 0xFFFFFFFFu : (UINT64_C(1) << bw) - 1;
        ecl_rng r = ecl_rng_key(42, (uint64_t)bw, 0, 0);
        /* mixture: random stretches, long runs, runs of exactly 7, 8 and 9 */
        size_t i = 0;
        while (i < n) {
            size_t kind = ecl_rng_u64(&r) % 5;
            size_t len = kind == 0 ? 7 : kind == 1 ? 8 : kind == 2 ? 9 : 1 + ecl_rng_u64(&r) % 40;
            uint32_t x = (uint32_t)(ecl_rng_u64(&r) & mask);
            for (size_t k = 0; k < len && i < n; k++, i++)
                v[i] = kind == 4 ? (uint32_t)(ecl_rng_u64(&r) & mask) : x;
        }
        for (size_t m = 0; m <= 17; m++)
            round_trip(v, m, bw); /* tiny inputs: partial groups */
        round_trip(v, n, bw);
        for (size_t k = 0; k < n; k++)
            v[k] = (uint32_t)mask;
        round_trip(v, n, bw); /* a single run of the widest value */
    }
    free(v);
}

static void known_encoding(void **state)
{
    (void)state;
    /* 10 x value 5 at width 3: RLE run header (10<<1)=20, value byte 5 */
    uint32_t v[10];
    for (int i = 0; i < 10; i++)
        v[i] = 5;
    uint8_t buf[64];
    size_t len = ecl_rle_encode_u32(buf, v, 10, 3);
    assert_int_equal(len, 2);
    assert_int_equal(buf[0], 20);
    assert_int_equal(buf[1], 5);
    /* 0..7 at width 3, one bit-packed group: header 3, bytes 0x88 0xC6 0xFA (spec example) */
    for (uint32_t i = 0; i < 8; i++)
        v[i] = i;
    len = ecl_rle_encode_u32(buf, v, 8, 3);
    assert_int_equal(len, 4);
    const uint8_t want[] = {0x03, 0x88, 0xC6, 0xFA};
    assert_memory_equal(buf, want, 4);
}

static void def_levels(void **state)
{
    (void)state;
    uint8_t nulls[1000];
    for (int i = 0; i < 1000; i++)
        nulls[i] = (i % 13 == 0) || (i > 500 && i < 600);
    uint8_t buf[2048];
    size_t len = ecl_rle_encode_deflevels(buf, nulls, 1000);
    ecl_rle_dec d;
    ecl_rle_dec_init(&d, buf, len, 1);
    uint8_t lv[1000];
    assert_int_equal(ecl_rle_dec_u8(&d, lv, 1000), 1000);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(lv[i], !nulls[i]);
    len = ecl_rle_encode_deflevels(buf, NULL, 1000);
    assert_int_equal(len, 3); /* one run of 1000 ones */
}

static void decoder_is_defensive(void **state)
{
    (void)state;
    uint32_t out[64];
    ecl_rle_dec d;
    /* bit-packed header promising 1000 groups with 2 bytes of data */
    const uint8_t a[] = {0xD1, 0x0F, 0xFF, 0xFF};
    ecl_rle_dec_init(&d, a, sizeof a, 8);
    size_t got = ecl_rle_dec_u32(&d, out, 64);
    assert_int_equal(got, 2);
    /* RLE value wider than the bit width */
    const uint8_t b[] = {0x10, 0x09};
    ecl_rle_dec_init(&d, b, sizeof b, 3);
    assert_int_equal(ecl_rle_dec_u32(&d, out, 8), 0);
    assert_true(d.err);
    /* empty input, zero-length run, truncated varint, width over 32 */
    ecl_rle_dec_init(&d, b, 0, 3);
    assert_int_equal(ecl_rle_dec_u32(&d, out, 8), 0);
    const uint8_t c[] = {0x00, 0x01};
    ecl_rle_dec_init(&d, c, sizeof c, 1);
    assert_int_equal(ecl_rle_dec_u32(&d, out, 8), 0);
    const uint8_t t[] = {0x80};
    ecl_rle_dec_init(&d, t, sizeof t, 1);
    assert_int_equal(ecl_rle_dec_u32(&d, out, 8), 0);
    ecl_rle_dec_init(&d, c, sizeof c, 33);
    assert_int_equal(ecl_rle_dec_u32(&d, out, 8), 0);
}

static void bitunpack_wide(void **state)
{
    (void)state;
    uint8_t p[32];
    for (int i = 0; i < 32; i++)
        p[i] = (uint8_t)(i * 37 + 11);
    for (int bw = 1; bw <= 64; bw++) {
        uint64_t nvals = 32 * 8 / (uint64_t)bw;
        for (uint64_t i = 0; i < nvals; i++) {
            uint64_t want = 0;
            for (int k = 0; k < bw; k++) {
                uint64_t bit = i * (uint64_t)bw + (uint64_t)k;
                want |= (uint64_t)((p[bit / 8] >> (bit % 8)) & 1) << k;
            }
            assert_true(ecl_bitunpack_one(p, 32, i, bw) == want);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(all_widths_random_and_runs),
        cmocka_unit_test(known_encoding),
        cmocka_unit_test(def_levels),
        cmocka_unit_test(decoder_is_defensive),
        cmocka_unit_test(bitunpack_wide),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
