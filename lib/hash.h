/* hash.h - checksums for manifests and transfers: SHA-256 and MD5 (OpenSSL EVP) and CRC32C
 * (Castagnoli, as GCS and S3 use it). Streaming contexts plus one-shot helpers. */
#ifndef ECL_HASH_H
#define ECL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum ecl_hash_kind { ECL_HASH_SHA256, ECL_HASH_MD5 } ecl_hash_kind;

typedef struct ecl_hash {
    void *ctx; /* EVP_MD_CTX */
    ecl_hash_kind kind;
} ecl_hash;

int ecl_hash_init(ecl_hash *h, ecl_hash_kind kind);
void ecl_hash_update(ecl_hash *h, const void *p, size_t n);
/* Writes the digest (32 or 16 bytes) and frees the context. Returns the digest length. */
size_t ecl_hash_final(ecl_hash *h, uint8_t out[32]);
void ecl_hash_release(ecl_hash *h);

void ecl_sha256(const void *p, size_t n, uint8_t out[32]);
void ecl_md5(const void *p, size_t n, uint8_t out[16]);
/* SHA-256 of a file's bytes, as 64 lowercase hex digits; also returns the size. */
int ecl_sha256_file(const char *path, char hex[65], uint64_t *size, ecl_err *e);

uint32_t ecl_crc32c(uint32_t crc, const void *p, size_t n);

void ecl_hex(const uint8_t *p, size_t n, char *out); /* out: 2n + 1 */
/* Standard base64 with padding; out needs 4 * ((n + 2) / 3) + 1 bytes. */
void ecl_base64(const uint8_t *p, size_t n, char *out);

#endif
