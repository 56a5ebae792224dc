#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ecl_hash_init(ecl_hash *h, ecl_hash_kind kind)
{
    h->kind = kind;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return ECL_ENOMEM;
    if (!EVP_DigestInit_ex(c, kind == ECL_HASH_MD5 ? EVP_md5() : EVP_sha256(), NULL)) {
        EVP_MD_CTX_free(c);
        return ECL_ENOMEM;
    }
    h->ctx = c;
    return 0;
}

void ecl_hash_update(ecl_hash *h, const void *p, size_t n) { EVP_DigestUpdate(h->ctx, p, n); }

size_t ecl_hash_final(ecl_hash *h, uint8_t out[32])
{
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, out, &len);
    ecl_hash_release(h);
    return len;
}

void ecl_hash_release(ecl_hash *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void ecl_sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void ecl_md5(const void *p, size_t n, uint8_t out[16])
{
    unsigned int len;
    EVP_Digest(p, n, out, &len, EVP_md5(), NULL);
}

int ecl_sha256_file(const char *path, char hex[65], uint64_t *size, ecl_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", path);
    ecl_hash h;
    if (ecl_hash_init(&h, ECL_HASH_SHA256)) {
        close(fd);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory hashing '%s'", path);
    }
    enum { CHUNK = 1 << 20 };
    uint8_t *buf = malloc(CHUNK);
    uint64_t total = 0;
    int rc = buf ? 0 : ecl_err_set(e, ECL_ENOMEM, "out of memory hashing '%s'", path);
    while (!rc) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            rc = ecl_err_errno(e, errno, "cannot read '%s'", path);
        } else if (r == 0) {
            break;
        } else {
            ecl_hash_update(&h, buf, (size_t)r);
            total += (uint64_t)r;
        }
    }
    free(buf);
    close(fd);
    uint8_t d[32];
    ecl_hash_final(&h, d);
    if (!rc) {
        ecl_hex(d, 32, hex);
        if (size)
            *size = total;
    }
    return rc;
}

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t ecl_crc32c(uint32_t crc, const void *data, size_t n)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    /* slicing-by-8: eight table lookups per 8 bytes */
    while (n >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^ crc_table[5][(lo >> 16) & 0xff] ^
              crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xff] ^ crc_table[2][(hi >> 8) & 0xff] ^
              crc_table[1][(hi >> 16) & 0xff] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
    return ~crc;
}

void ecl_hex(const uint8_t *p, size_t n, char *out)
{
    /* two digits per lookup: every row's event id goes through here */
    static const char pairs[513] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
    for (size_t i = 0; i < n; i++)
        memcpy(out + 2 * i, pairs + 2 * p[i], 2);
    out[2 * n] = 0;
}

void ecl_base64(const uint8_t *p, size_t n, char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = t[(v >> 6) & 63];
        out[o++] = t[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
        out[o++] = t[v >> 18];
        out[o++] = t[(v >> 12) & 63];
        out[o++] = i + 1 < n ? t[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    out[o] = 0;
}
