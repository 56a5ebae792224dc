/* Unit tests for page compression: every codec round-trips and rejects corrupt input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/codec.h"

static const ecl_codec codecs[] = {ECL_CODEC_NONE, ECL_CODEC_SNAPPY, ECL_CODEC_GZIP, ECL_CODEC_ZSTD};

static void round_trip_all(void **state)
{
    (void)state;
    ecl_codec_ctx *cc = ecl_codec_ctx_new();
    size_t sizes[] = {0, 1, 100, 70000, 1 << 20};
    uint8_t *src = malloc(1 << 20);
    for (size_t i = 0; i < (1 << 20); i++)
        src[i] = (uint8_t)((i * 2654435761u) >> (i % 7 ? 24 : 3));
    for (size_t c = 0; c < 4; c++) {
        for (size_t s = 0; s < 5; s++) {
            ecl_err e = ECL_ERR_INIT;
            ecl_buf z = ECL_BUF_INIT, out = ECL_BUF_INIT;
            assert_int_equal(ecl_compress(cc, codecs[c], 0, src, sizes[s], &z, &e), 0);
            int drc = ecl_decompress(cc, codecs[c], z.data, z.len, sizes[s], &out, &e);
            if (drc)
                print_error("codec %zu size %zu: %s\n", c, sizes[s], e.msg);
            assert_int_equal(drc, 0);
            assert_int_equal(out.len, sizes[s]);
            if (sizes[s])
                assert_memory_equal(out.data, src, sizes[s]);
            /* the wrong expected size is an error, never an overflow */
            ecl_buf_clear(&out);
            if (sizes[s] > 1) {
                assert_int_equal(ecl_decompress(cc, codecs[c], z.data, z.len, sizes[s] - 1, &out, &e),
                                 ECL_EFORMAT);
                ecl_err_clear(&e);
            }
            ecl_buf_release(&z);
            ecl_buf_release(&out);
        }
    }
    free(src);
    ecl_codec_ctx_free(cc);
}

static void corrupt_input(void **state)
{
    (void)state;
    ecl_codec_ctx *cc = ecl_codec_ctx_new();
    const uint8_t junk[] = {0xFF, 0x13, 0x37, 0x00, 0x42, 0x99, 0x10, 0x20};
    for (size_t c = 1; c < 4; c++) {
        ecl_err e = ECL_ERR_INIT;
        ecl_buf out = ECL_BUF_INIT;
        assert_int_equal(ecl_decompress(cc, codecs[c], junk, sizeof junk, 100, &out, &e), ECL_EFORMAT);
        assert_true(strstr(e.msg, "corrupt") != NULL);
        ecl_buf_release(&out);
    }
    ecl_codec_ctx_free(cc);
}

static void names(void **state)
{
    (void)state;
    ecl_codec c;
    assert_int_equal(ecl_codec_parse("ZSTD", &c), 0);
    assert_int_equal(c, ECL_CODEC_ZSTD);
    assert_int_equal(ecl_codec_parse("uncompressed", &c), 0);
    assert_int_equal(c, ECL_CODEC_NONE);
    assert_int_equal(ecl_codec_parse("lzo", &c), ECL_EINVAL);
    assert_string_equal(ecl_codec_name(ECL_CODEC_GZIP), "gzip");
    for (size_t i = 0; i < 4; i++) {
        ecl_codec back;
        assert_int_equal(ecl_codec_from_parquet(ecl_codec_to_parquet(codecs[i]), &back), 0);
        assert_int_equal(back, codecs[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_all),
        cmocka_unit_test(corrupt_input),
        cmocka_unit_test(names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
