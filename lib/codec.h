/* codec.h - page compression for Parquet: none, snappy, gzip (zlib), zstd.
 *
 * A context keeps codec state (zstd contexts, zlib streams) so pages reuse it; one context per thread.
 * Decompression never trusts the declared size: output is bounded by `expect` and must match it. */
#ifndef ECL_CODEC_H
#define ECL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "parquet.h"

typedef struct ecl_codec_ctx ecl_codec_ctx;

ecl_codec_ctx *ecl_codec_ctx_new(void);
void ecl_codec_ctx_free(ecl_codec_ctx *c);

/* Appends the compressed form of src to dst. level 0 = codec default. */
int ecl_compress(ecl_codec_ctx *c, ecl_codec codec, int level, const uint8_t *src, size_t n,
                 ecl_buf *dst, ecl_err *e);
/* Appends exactly expect decompressed bytes to dst or fails with ECL_EFORMAT. */
int ecl_decompress(ecl_codec_ctx *c, ecl_codec codec, const uint8_t *src, size_t n, size_t expect,
                   ecl_buf *dst, ecl_err *e);

/* Parquet CompressionCodec enum values and back (-1 for codecs we do not handle). */
int ecl_codec_to_parquet(ecl_codec c);
int ecl_codec_from_parquet(int v, ecl_codec *c);

#endif
