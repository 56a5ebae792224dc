#include "codec.h"

#include <limits.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

struct ecl_codec_ctx {
    ZSTD_CCtx *zc;
    ZSTD_DCtx *zd;
};

const char *ecl_codec_name(ecl_codec c)
{
    switch (c) {
    case ECL_CODEC_NONE: return "none";
    case ECL_CODEC_SNAPPY: return "snappy";
    case ECL_CODEC_GZIP: return "gzip";
    case ECL_CODEC_ZSTD: return "zstd";
    }
    return "?";
}

int ecl_codec_parse(const char *name, ecl_codec *c)
{
    if (!strcasecmp(name, "snappy"))
        *c = ECL_CODEC_SNAPPY;
    else if (!strcasecmp(name, "zstd"))
        *c = ECL_CODEC_ZSTD;
    else if (!strcasecmp(name, "gzip"))
        *c = ECL_CODEC_GZIP;
    else if (!strcasecmp(name, "none") || !strcasecmp(name, "uncompressed"))
        *c = ECL_CODEC_NONE;
    else
        return ECL_EINVAL;
    return 0;
}

int ecl_codec_to_parquet(ecl_codec c)
{
    switch (c) {
    case ECL_CODEC_NONE: return 0;
    case ECL_CODEC_SNAPPY: return 1;
    case ECL_CODEC_GZIP: return 2;
    case ECL_CODEC_ZSTD: return 6;
    }
    return -1;
}

int ecl_codec_from_parquet(int v, ecl_codec *c)
{
    switch (v) {
    case 0: *c = ECL_CODEC_NONE; return 0;
    case 1: *c = ECL_CODEC_SNAPPY; return 0;
    case 2: *c = ECL_CODEC_GZIP; return 0;
    case 6: *c = ECL_CODEC_ZSTD; return 0;
    }
    return -1;
}

ecl_codec_ctx *ecl_codec_ctx_new(void) { return calloc(1, sizeof(ecl_codec_ctx)); }

void ecl_codec_ctx_free(ecl_codec_ctx *c)
{
    if (!c)
        return;
    ZSTD_freeCCtx(c->zc);
    ZSTD_freeDCtx(c->zd);
    free(c);
}

static int nomem(ecl_err *e) { return ecl_err_set(e, ECL_ENOMEM, "out of memory compressing a page"); }

static int gzip_compress(int level, const uint8_t *src, size_t n, ecl_buf *dst, ecl_err *e)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return nomem(e);
    size_t bound = deflateBound(&zs, (uLong)n) + 32;
    if (ecl_buf_grow(dst, bound)) {
        deflateEnd(&zs);
        return nomem(e);
    }
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst->data + dst->len;
    zs.avail_out = (uInt)bound;
    int rc = deflate(&zs, Z_FINISH);
    size_t out = bound - zs.avail_out;
    deflateEnd(&zs);
    if (rc != Z_STREAM_END)
        return ecl_err_set(e, ECL_EIO, "gzip compression failed");
    ecl_buf_setlen(dst, dst->len + out);
    return 0;
}

int ecl_compress(ecl_codec_ctx *c, ecl_codec codec, int level, const uint8_t *src, size_t n,
                 ecl_buf *dst, ecl_err *e)
{
    if (n > UINT_MAX)
        return ecl_err_set(e, ECL_EINVAL, "page of %zu bytes is too large to compress", n);
    switch (codec) {
    case ECL_CODEC_NONE:
        return ecl_buf_append(dst, src, n) ? nomem(e) : 0;
    case ECL_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        if (ecl_buf_grow(dst, bound))
            return nomem(e);
        size_t out = bound;
        if (snappy_compress((const char *)src, n, (char *)dst->data + dst->len, &out) != SNAPPY_OK)
            return ecl_err_set(e, ECL_EIO, "snappy compression failed");
        ecl_buf_setlen(dst, dst->len + out);
        return 0;
    }
    case ECL_CODEC_ZSTD: {
        if (!c->zc && !(c->zc = ZSTD_createCCtx()))
            return nomem(e);
        size_t bound = ZSTD_compressBound(n);
        if (ecl_buf_grow(dst, bound))
            return nomem(e);
        size_t out = ZSTD_compressCCtx(c->zc, dst->data + dst->len, bound, src, n,
                                       level ? level : 3);
        if (ZSTD_isError(out))
            return ecl_err_set(e, ECL_EIO, "zstd compression failed: %s", ZSTD_getErrorName(out));
        ecl_buf_setlen(dst, dst->len + out);
        return 0;
    }
    case ECL_CODEC_GZIP:
        return gzip_compress(level, src, n, dst, e);
    }
    return ecl_err_set(e, ECL_EINVAL, "unknown codec %d", (int)codec);
}

static int corrupt(ecl_err *e, const char *codec, const char *why)
{
    return ecl_err_set(e, ECL_EFORMAT, "corrupt %s page: %s", codec, why);
}

static int gzip_decompress(const uint8_t *src, size_t n, size_t expect, ecl_buf *dst, ecl_err *e)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory decompressing a page");
    zs.next_in = (Bytef *)(uintptr_t)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst->data + dst->len;
    zs.avail_out = (uInt)expect;
    size_t start = dst->len;
    int rc;
    for (;;) {
        rc = inflate(&zs, Z_FINISH);
        if (rc == Z_STREAM_END && zs.avail_in > 0 && zs.avail_out > 0) {
            /* concatenated gzip members */
            if (inflateReset(&zs) != Z_OK)
                break;
            continue;
        }
        break;
    }
    size_t out = expect - zs.avail_out;
    inflateEnd(&zs);
    if (rc == Z_BUF_ERROR && zs.avail_out == 0)
        return corrupt(e, "gzip", "size differs from the page header");
    if (rc != Z_STREAM_END)
        return corrupt(e, "gzip", "inflate failed");
    if (out != expect)
        return corrupt(e, "gzip", "size differs from the page header");
    ecl_buf_setlen(dst, start + out);
    return 0;
}

int ecl_decompress(ecl_codec_ctx *c, ecl_codec codec, const uint8_t *src, size_t n, size_t expect,
                   ecl_buf *dst, ecl_err *e)
{
    if (expect > UINT_MAX || n > UINT_MAX)
        return ecl_err_set(e, ECL_EFORMAT, "page of %zu bytes is too large", expect);
    if (codec == ECL_CODEC_NONE) {
        if (n != expect)
            return corrupt(e, "uncompressed", "size differs from the page header");
        return ecl_buf_append(dst, src, n) ? ecl_err_set(e, ECL_ENOMEM, "out of memory reading a page")
                                           : 0;
    }
    if (codec == ECL_CODEC_SNAPPY) {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK || ulen != expect)
            return corrupt(e, "snappy", "size differs from the page header");
    }
    if (ecl_buf_grow(dst, expect))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading a page of %zu bytes", expect);
    switch (codec) {
    case ECL_CODEC_SNAPPY: {
        size_t out = expect;
        if (snappy_uncompress((const char *)src, n, (char *)dst->data + dst->len, &out) != SNAPPY_OK ||
            out != expect)
            return corrupt(e, "snappy", "bad compressed data");
        ecl_buf_setlen(dst, dst->len + out);
        return 0;
    }
    case ECL_CODEC_ZSTD: {
        if (!c->zd && !(c->zd = ZSTD_createDCtx()))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory decompressing a page");
        size_t out = ZSTD_decompressDCtx(c->zd, dst->data + dst->len, expect, src, n);
        if (ZSTD_isError(out))
            return corrupt(e, "zstd", ZSTD_getErrorName(out));
        if (out != expect)
            return corrupt(e, "zstd", "size differs from the page header");
        ecl_buf_setlen(dst, dst->len + out);
        return 0;
    }
    case ECL_CODEC_GZIP:
        return gzip_decompress(src, n, expect, dst, e);
    default:
        return ecl_err_set(e, ECL_EUNSUPPORTED, "unsupported codec %d", (int)codec);
    }
}
