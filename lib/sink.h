/* sink.h - where published objects go: a local directory, S3 (SigV4) or GCS (JSON API).
 *
 * Keys are '/'-separated paths relative to the sink's root (bucket + prefix, or directory).
 * A sink is safe to use from several threads at once. Every operation either completes or returns an
 * error; transient failures are retried inside the sink per its retry policy, each retry logged. */
#ifndef ECL_SINK_H
#define ECL_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct ecl_obj_info {
    uint64_t size;
    char md5_hex[33];   /* "" when unknown */
    char sha256_hex[65];/* from object metadata when we set it, "" when unknown */
    char crc32c_b64[13];/* "" when unknown */
    char etag[80];      /* S3 ETag without quotes (multipart: "md5-of-part-md5s-N"), "" when unknown */
    char modified[32];  /* last modification as the listing gives it (ISO 8601 UTC), "" when unknown */
} ecl_obj_info;

typedef struct ecl_put_opts {
    const char *sha256_hex;   /* stored as metadata, compared by skip-if-same; may be NULL */
    const char *content_type; /* may be NULL */
    bool skip_if_same;        /* HEAD first; skip when size and checksum already match */
} ecl_put_opts;

typedef struct ecl_put_result {
    bool skipped;
    uint64_t bytes_sent;
    int retries;
} ecl_put_result;

typedef struct ecl_sink ecl_sink;

typedef int (*ecl_list_cb)(const char *key, const ecl_obj_info *info, void *ctx);

typedef struct ecl_sink_ops {
    const char *scheme; /* "file", "s3", "gs" */
    /* Uploads or copies a local file to key; the object appears complete or not at all. */
    int (*put_file)(ecl_sink *s, const char *local_path, const char *key, const ecl_put_opts *o,
                    ecl_put_result *res, ecl_err *e);
    int (*put_bytes)(ecl_sink *s, const void *data, size_t n, const char *key, const ecl_put_opts *o,
                     ecl_put_result *res, ecl_err *e);
    /* ECL_ENOTFOUND when absent. */
    int (*head)(ecl_sink *s, const char *key, ecl_obj_info *info, ecl_err *e);
    int (*get)(ecl_sink *s, const char *key, ecl_buf *out, ecl_err *e);
    /* Every key under prefix, in lexical order; cb returning nonzero stops the listing. */
    int (*list)(ecl_sink *s, const char *prefix, ecl_list_cb cb, void *ctx, ecl_err *e);
    int (*del)(ecl_sink *s, const char *key, ecl_err *e);
    void (*free)(ecl_sink *s);
} ecl_sink_ops;

struct ecl_sink {
    const ecl_sink_ops *ops;
    char *url; /* as given, for messages */
};

typedef struct ecl_sink_opts {
    const char *endpoint_url; /* S3: overrides AWS_ENDPOINT_URL */
    const char *region;
    const char *profile;
    bool path_style;
    int jobs; /* parallel parts */
} ecl_sink_opts;

void ecl_sink_opts_default(ecl_sink_opts *o);
/* Opens by URL: "s3://bucket/prefix", "gs://bucket/prefix", "file:///dir" or a plain path. */
int ecl_sink_open(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e);
static inline void ecl_sink_free(ecl_sink *s)
{
    if (s)
        s->ops->free(s);
}
/* Is url a remote (non-file) destination? */
bool ecl_sink_is_remote(const char *url);

/* Deletes every object under dir_key + "/" whose name below it is not one of keep[0..nkeep): what
 * a republished directory's new version no longer has must not linger next to it. */
int ecl_sink_delete_except(ecl_sink *sink, const char *dir_key, const char *const *keep, size_t nkeep,
                           ecl_err *e);

/* Scheme back ends, called by ecl_sink_open: the local directory sink (sink_file.c) and the object
 * stores (s3:// and gs://). */
int ecl_sink_open_file(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e);
int ecl_sink_open_s3(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e);
int ecl_sink_open_gs(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e);
/* The local directory of a file sink URL ("file:///x" or a plain path), or NULL for remote URLs. */
const char *ecl_sink_local_dir(const char *url);

#endif
