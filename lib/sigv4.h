/* sigv4.h - AWS Signature Version 4 for S3 and S3-compatible services (MinIO, R2, Ceph, GCS XML API).
 *
 * The caller builds the request pieces (URI-encoded path, canonical query, headers to sign, payload
 * hash); this module turns them into the Authorization header value. Pure functions, thread-safe. */
#ifndef ECL_SIGV4_H
#define ECL_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"

#define ECL_SIGV4_UNSIGNED "UNSIGNED-PAYLOAD"
/* SHA-256 of the empty string: the payload hash of bodiless requests. */
#define ECL_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct ecl_sigv4_header {
    const char *name;  /* any case; lowercased for signing */
    const char *value; /* surrounding spaces trimmed, inner runs of spaces folded for signing */
} ecl_sigv4_header;

typedef struct ecl_sigv4_req {
    const char *method;
    const char *canonical_uri;   /* already URI-encoded path, e.g. "/bucket/a%20b" */
    const char *canonical_query; /* from ecl_sigv4_query(), "" when none */
    const ecl_sigv4_header *headers; /* every header to sign, including host and x-amz-date */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256, ECL_SIGV4_UNSIGNED, ... */
    const char *amz_date;     /* "YYYYMMDDTHHMMSSZ" */
    const char *region;
    const char *service; /* "s3" */
    const char *access_key;
    const char *secret_key;
} ecl_sigv4_req;

/* Appends s URI-encoded the way SigV4 wants: unreserved A-Z a-z 0-9 - _ . ~ kept, everything else
 * %XX with uppercase hex (UTF-8 bytes one by one); '/' kept when keep_slash. */
void ecl_uri_encode(ecl_buf *out, const char *s, size_t n, bool keep_slash);

/* Builds the canonical query string from n raw (name, value) pairs: each encoded, sorted by name
 * then value, joined with '&'. The result is also a valid URL query. kv holds 2n strings; a NULL
 * value means an empty one ("uploads="). */
int ecl_sigv4_query(ecl_buf *out, const char *const *kv, size_t n);

/* "YYYYMMDDTHHMMSSZ" for t (UTC). */
void ecl_sigv4_date(time_t t, char out[17]);

/* Appends the canonical request (for tests and debug logs). */
int ecl_sigv4_canonical(const ecl_sigv4_req *r, ecl_buf *out, ecl_buf *signed_headers);
/* Appends the Authorization header value:
 * "AWS4-HMAC-SHA256 Credential=AK/20150830/us-east-1/s3/aws4_request, SignedHeaders=..., Signature=..." */
int ecl_sigv4_authorization(const ecl_sigv4_req *r, ecl_buf *out);

/* Hex SHA-256 of bytes (the payload hash when the payload is signed). */
void ecl_sha256_hex(const void *p, size_t n, char out[65]);

#endif
