/* remote.h - what the remote sinks (S3, GCS) offer beyond ecl_sink_ops: local digests that decide
 * skip-if-same from a listing alone, counters for summaries, and cleanup of abandoned uploads.
 *
 * Settings read from the environment (flags override them through ecl_sink_opts):
 *   ECOMLAKE_MULTIPART_THRESHOLD  bytes (suffix K/M/G allowed) above which S3 uses multipart and GCS
 *                                 a chunked resumable session (default 64M)
 *   ECOMLAKE_PART_SIZE            part / chunk size (default 16M; S3 minimum 5M, GCS multiple of 256K)
 *   ECOMLAKE_S3_CHECKSUM          md5 (default) | crc32c | sha256 | off - what each S3 PUT carries
 *   ECOMLAKE_S3_ADDRESSING        auto (default) | path | virtual
 *   ECOMLAKE_S3_MAX_KEYS          page size of listings (default 1000) */
#ifndef ECL_REMOTE_H
#define ECL_REMOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "sink.h"

/* What a local file looks like to the remote side. */
typedef struct ecl_local_digest {
    uint64_t size;
    char sha256_hex[65];
    char md5_hex[33];
    char md5_b64[25];
    char crc32c_b64[13];
    char etag[80]; /* the ETag S3 will report for this sink's upload of the file */
} ecl_local_digest;

/* Hashes a file in one pass (or a memory buffer when path is NULL) and predicts the ETag the sink
 * will give it (MD5, or the multipart form for files above the sink's threshold). */
int ecl_sink_digest(ecl_sink *s, const char *path, const void *mem, size_t n, ecl_local_digest *d, ecl_err *e);
/* Only the digests asked for (the size always); the others stay "". ECL_DIGEST_ETAG predicts the ETag
 * (the MD5, or the multipart form above the sink's threshold). */
enum {
    ECL_DIGEST_SHA256 = 1,
    ECL_DIGEST_MD5 = 2,
    ECL_DIGEST_CRC32C = 4,
    ECL_DIGEST_ETAG = 8,
    ECL_DIGEST_ALL = 15,
};
int ecl_sink_digest_some(ecl_sink *s, const char *path, const void *mem, size_t n, unsigned what,
                         ecl_local_digest *d, ecl_err *e);
/* Does a remote object (from list or head) hold exactly the local bytes? Size must match and the
 * strongest checksum both sides know (sha256 metadata, MD5, CRC32C, predicted ETag) must agree; with
 * no comparable checksum the answer is false. */
bool ecl_sink_matches(const ecl_obj_info *remote, const ecl_local_digest *local);
/* Is s 32 hex digits (a plain MD5, as a single-part ETag is)? */
bool ecl_is_md5_hex(const char *s);
/* The MD5 of a remote object as hex when its info proves it (md5Hash, or a plain-MD5 ETag), else NULL. */
const char *ecl_obj_md5(const ecl_obj_info *r);

/* The start of every remote put: digests the bytes, checks them against the manifest's sha256 when
 * given, and with skip_if_same asks the sink (head) whether the remote copy already matches. */
int ecl_remote_prepare(ecl_sink *s, const char *path, const void *mem, size_t n, const char *key,
                       const ecl_put_opts *o, ecl_local_digest *d, bool *skip, ecl_err *e);
/* The same computing only the digests in `what` before sending. With skip_if_same and a manifest
 * sha256, a remote copy carrying the same size and sha256 is recognised without reading the bytes.
 * When `what` lacks the SHA-256, the caller checks the manifest hash while streaming. */
int ecl_remote_prepare_some(ecl_sink *s, const char *path, const void *mem, size_t n, const char *key,
                            const ecl_put_opts *o, unsigned what, ecl_local_digest *d, bool *skip, ecl_err *e);

typedef struct ecl_sink_stats {
    long retries;
    long requests;
    uint64_t bytes_sent;
} ecl_sink_stats;
void ecl_sink_get_stats(ecl_sink *s, ecl_sink_stats *st);

/* Aborts our multipart uploads (S3) under prefix initiated more than older_than_s seconds ago. GCS
 * sessions expire by themselves after a week and need no cleanup (returns 0 with *aborted = 0). */
int ecl_sink_cleanup_uploads(ecl_sink *s, const char *prefix, double older_than_s, int *aborted, ecl_err *e);

/* Parses "64M", "5242880", "256K", "1G". */
int ecl_parse_size(const char *v, uint64_t *out);
/* Reads key=value from an INI section ("default", "profile x"); returns a malloc'ed value or NULL. */
char *ecl_ini_get(const char *path, const char *section, const char *key);

/* Internal to the remote sinks. */
typedef struct ecl_remote_cfg {
    uint64_t threshold;
    uint64_t part_size;
    int jobs;
} ecl_remote_cfg;
int ecl_remote_cfg_load(ecl_remote_cfg *c, const ecl_sink_opts *o, uint64_t min_part, uint64_t part_align,
                        ecl_err *e);
/* Part size actually used for an object of size n (grows so that at most 10000 parts are needed). */
uint64_t ecl_remote_part_size(const ecl_remote_cfg *c, uint64_t n, uint64_t part_align);

/* The common head of the remote sink structs (S3 and GCS). */
struct ecl_http;
typedef struct ecl_remote_base {
    ecl_sink base;
    ecl_remote_cfg cfg;
    struct ecl_http *http;
    _Atomic long requests;
    _Atomic uint64_t bytes_sent;
    bool multipart_etag; /* S3: predict the multipart ETag form */
} ecl_remote_base;

#endif
