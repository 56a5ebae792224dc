/* http.h - the one HTTP client of the object-storage sinks: libcurl with a shared connection cache,
 * timeouts, and the retry policy.
 *
 * Retry policy (docs/object-storage.md): only transient failures are retried - connection
 * reset/refused, timeouts, HTTP 408/429/500/502/503/504 and S3 throttling or timeout codes in error
 * bodies. The n-th retry sleeps a uniformly random time in [0, min(cap, base * 2^(n-1))] ("full
 * jitter"), at least as long as a Retry-After header asks, within a per-request attempt cap and an
 * overall time budget. A process-wide retry quota (500 tokens, a retry costs 5, a timeout retry 10,
 * a first-try success refunds 1) stops retry storms when an endpoint is down for everyone. Every
 * retry is logged with its reason. Permanent answers (4xx other than the above) return at once. */
#ifndef ECL_HTTP_H
#define ECL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"

struct curl_slist;

typedef struct ecl_http_policy {
    int retries;            /* retries after the first attempt (ECOMLAKE_UPLOAD_RETRIES, default 3) */
    double base_s;          /* ceiling of the first backoff (ECOMLAKE_UPLOAD_BACKOFF_BASE, default 5) */
    double cap_s;           /* ceiling of one backoff (default 60) */
    double budget_s;        /* overall budget of one request incl. retries (ECOMLAKE_UPLOAD_BUDGET, 900) */
    long connect_timeout_s; /* ECOMLAKE_HTTP_CONNECT_TIMEOUT, default 15 */
    long low_speed_time_s;  /* abort a transfer stalled below 1 KiB/s this long (ECOMLAKE_HTTP_STALL_TIMEOUT, 60) */
} ecl_http_policy;

/* Defaults, then the ECOMLAKE_* environment overrides. Fails on a malformed value. */
int ecl_http_policy_default(ecl_http_policy *p, ecl_err *e);
/* Upper bound of the sleep before retry n (1-based): min(cap, base * 2^(n-1)). */
double ecl_http_backoff_ceiling(const ecl_http_policy *p, int retry);
/* The sleep before retry n given a uniform u in [0,1) and a Retry-After in seconds (< 0 = none). */
double ecl_http_backoff_delay(const ecl_http_policy *p, int retry, double u, double retry_after_s);
/* Retry-After: delta seconds or an HTTP date; returns seconds (>= 0) or -1 when absent/unparsable. */
double ecl_http_parse_retry_after(const char *v, time_t now);

/* Classification of one attempt's outcome. */
typedef enum ecl_http_class {
    ECL_HTTP_OK,        /* 2xx/3xx: the caller decides */
    ECL_HTTP_RETRY,     /* transient: retry per policy */
    ECL_HTTP_TIMEOUT,   /* transient, and costlier for the retry quota */
    ECL_HTTP_FINAL,     /* a definitive answer (4xx...): returned to the caller */
} ecl_http_class;
/* curl_code is a CURLcode (0 = transfer completed); status the HTTP status; body the response body
 * (S3 error XML). Writes a short human reason ("HTTP 503 SlowDown", "connection reset"). */
ecl_http_class ecl_http_classify(int curl_code, long status, const char *body, size_t n, char *reason,
                                 size_t cap);
/* The S3 error code in an error body ("<Code>SlowDown</Code>"), or "" . */
void ecl_http_s3_code(const char *body, size_t n, char *out, size_t cap);

typedef struct ecl_http ecl_http;
int ecl_http_new(ecl_http **h, const ecl_http_policy *p, ecl_err *e);
void ecl_http_free(ecl_http *h);
const ecl_http_policy *ecl_http_get_policy(const ecl_http *h);
/* Total retries performed through h so far (all threads). */
long ecl_http_retries(const ecl_http *h);

typedef struct ecl_http_resp {
    long status;
    ecl_buf headers; /* raw response header lines of the final attempt */
    ecl_buf body;
    int attempts;
} ecl_http_resp;
void ecl_http_resp_init(ecl_http_resp *r);
void ecl_http_resp_release(ecl_http_resp *r);
/* Case-insensitive header lookup in the final response; returns out or NULL when absent. */
const char *ecl_http_header(const ecl_http_resp *r, const char *name, char *out, size_t cap);

/* Builds the request headers of one attempt (signature, date, token). auth_retry is true after a
 * 401 asked for fresh credentials. The list is freed by the caller of the callback. */
typedef int (*ecl_http_sign_fn)(void *ctx, bool auth_retry, struct curl_slist **hdrs, ecl_err *e);

typedef struct ecl_http_req {
    const char *method;
    const char *url;
    /* Body: either memory (mem, len) or a byte range of a file (fd >= 0, off, len). */
    const void *mem;
    int fd;
    uint64_t off;
    uint64_t len;
    bool has_body;
    ecl_http_sign_fn sign;
    void *sign_ctx;
    const char *subject;   /* what the request concerns, for logs (an object key) */
    bool refresh_on_401;   /* one immediate retry with auth_retry=true after a 401 */
    size_t max_body;       /* cap on the response body kept (0 = 64 MiB) */
    /* Called before each retry with the request about to be re-sent (its body range may be moved,
     * e.g. to where a GCS session says it stands). Returns 0 to retry, 1 to stop and report success
     * (the callback has what it needs), or an error code. */
    int (*before_retry)(void *ctx, struct ecl_http_req *r, ecl_err *e);
    void *retry_ctx;
    /* Sees every body byte exactly once and in order as it is sent (a retry that re-sends bytes
     * does not repeat them), so digests can be computed while streaming. Not for requests whose
     * before_retry moves the body range. */
    void (*on_body)(void *ctx, const void *p, size_t n);
    void *body_ctx;
} ecl_http_req;

/* Performs r with retries. Returns 0 with the final response (any status that is not transient;
 * the caller interprets 4xx), or ECL_ETRANSIENT when the attempts or the budget ran out (message
 * says how often it tried, for how long, and the last reason), ECL_EINTR when cancelled. */
int ecl_http_do(ecl_http *h, const ecl_http_req *r, ecl_http_resp *resp, ecl_err *e);

#endif
