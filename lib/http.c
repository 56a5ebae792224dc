#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cancel.h"
#include "log.h"

enum { QUOTA_MAX = 500, QUOTA_RETRY = 5, QUOTA_TIMEOUT = 10, QUOTA_REFUND = 1 };

struct ecl_http {
    ecl_http_policy pol;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t mu; /* quota and counters */
    int quota;
    long retries;
    /* Idle easy handles for reuse: a handle keeps its buffers and DNS/TLS state between requests,
     * connections live in the shared cache either way. */
    pthread_mutex_t pool_mu;
    CURL *pool[64];
    int npool;
};

static CURL *handle_take(ecl_http *h)
{
    CURL *c = NULL;
    pthread_mutex_lock(&h->pool_mu);
    if (h->npool)
        c = h->pool[--h->npool];
    pthread_mutex_unlock(&h->pool_mu);
    return c ? c : curl_easy_init();
}

static void handle_give(ecl_http *h, CURL *c)
{
    curl_easy_reset(c);
    pthread_mutex_lock(&h->pool_mu);
    if (h->npool < (int)(sizeof h->pool / sizeof h->pool[0])) {
        h->pool[h->npool++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&h->pool_mu);
    if (c)
        curl_easy_cleanup(c);
}

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static int env_double(const char *name, double min, double max, double *out, ecl_err *e)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || !(d >= min && d <= max))
        return ecl_err_set(e, ECL_ECONFIG, "%s='%s' is not a number between %g and %g", name, v, min, max);
    *out = d;
    return 0;
}

int ecl_http_policy_default(ecl_http_policy *p, ecl_err *e)
{
    /* The plan's defaults: 3 retries whose ceilings add up to 5, 15 and 35 s. */
    *p = (ecl_http_policy){.retries = 3, .base_s = 5, .cap_s = 60, .budget_s = 900,
                           .connect_timeout_s = 15, .low_speed_time_s = 60};
    double d = p->retries;
    if (env_double("ECOMLAKE_UPLOAD_RETRIES", 0, 100, &d, e))
        return e->code;
    p->retries = (int)d;
    if (env_double("ECOMLAKE_UPLOAD_BACKOFF_BASE", 0, 3600, &p->base_s, e) ||
        env_double("ECOMLAKE_UPLOAD_BACKOFF_CAP", 0, 3600, &p->cap_s, e) ||
        env_double("ECOMLAKE_UPLOAD_BUDGET", 0.1, 86400 * 7, &p->budget_s, e))
        return e->code;
    d = (double)p->connect_timeout_s;
    if (env_double("ECOMLAKE_HTTP_CONNECT_TIMEOUT", 1, 3600, &d, e))
        return e->code;
    p->connect_timeout_s = (long)d;
    d = (double)p->low_speed_time_s;
    if (env_double("ECOMLAKE_HTTP_STALL_TIMEOUT", 1, 3600, &d, e))
        return e->code;
    p->low_speed_time_s = (long)d;
    return 0;
}

double ecl_http_backoff_ceiling(const ecl_http_policy *p, int retry)
{
    if (retry < 1)
        retry = 1;
    double c = p->base_s * ldexp(1.0, retry > 60 ? 60 : retry - 1);
    return c < p->cap_s ? c : p->cap_s;
}

double ecl_http_backoff_delay(const ecl_http_policy *p, int retry, double u, double retry_after_s)
{
    double d = u * ecl_http_backoff_ceiling(p, retry);
    if (retry_after_s >= 0 && retry_after_s > d)
        d = retry_after_s; /* the server knows better than our jitter, even beyond our cap */
    return d;
}

double ecl_http_parse_retry_after(const char *v, time_t now)
{
    if (!v)
        return -1;
    while (*v == ' ')
        v++;
    if (!*v)
        return -1;
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (!errno && end != v && (*end == 0 || *end == ' ' || *end == '\r') && d >= 0)
        return d;
    struct tm tm = {0};
    const char *r = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!r)
        return -1;
    time_t t = timegm(&tm);
    return t > now ? (double)(t - now) : 0;
}

void ecl_http_s3_code(const char *body, size_t n, char *out, size_t cap)
{
    out[0] = 0;
    if (!body || !cap)
        return;
    const char *p = memmem(body, n, "<Code>", 6);
    if (!p)
        return;
    p += 6;
    const char *q = memmem(p, n - (size_t)(p - body), "</Code>", 7);
    if (!q)
        return;
    size_t l = (size_t)(q - p);
    if (l >= cap)
        l = cap - 1;
    memcpy(out, p, l);
    out[l] = 0;
}

static bool transient_code(const char *c)
{
    static const char *const codes[] = {
        "SlowDown", "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottled",
        "RequestThrottledException", "TooManyRequestsException", "RequestLimitExceeded",
        "BandwidthLimitExceeded", "ProvisionedThroughputExceededException", "RequestTimeout",
        "RequestTimeoutException", "PriorRequestNotComplete", "InternalError", "ServiceUnavailable",
        "EC2ThrottledException", "TransactionInProgressException", NULL};
    for (int i = 0; codes[i]; i++)
        if (strcmp(c, codes[i]) == 0)
            return true;
    return false;
}

ecl_http_class ecl_http_classify(int curl_code, long status, const char *body, size_t n, char *reason,
                                 size_t cap)
{
    if (curl_code != CURLE_OK) {
        switch (curl_code) {
        case CURLE_OPERATION_TIMEDOUT:
            snprintf(reason, cap, "timed out");
            return ECL_HTTP_TIMEOUT;
        case CURLE_COULDNT_CONNECT:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_PARTIAL_FILE:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM:
        case CURLE_WEIRD_SERVER_REPLY:
            snprintf(reason, cap, "%s", curl_easy_strerror((CURLcode)curl_code));
            return ECL_HTTP_RETRY;
        default:
            snprintf(reason, cap, "%s", curl_easy_strerror((CURLcode)curl_code));
            return ECL_HTTP_FINAL;
        }
    }
    char code[64];
    ecl_http_s3_code(body, n, code, sizeof code);
    if (status == 408 || status == 429 || status == 500 || status == 502 || status == 503 ||
        status == 504 || (code[0] && transient_code(code) &&
                          (status >= 400 || (body && memmem(body, n < 256 ? n : 256, "<Error>", 7))))) {
        snprintf(reason, cap, "HTTP %ld%s%s", status, code[0] ? " " : "", code);
        return ECL_HTTP_RETRY;
    }
    snprintf(reason, cap, "HTTP %ld%s%s", status, code[0] ? " " : "", code);
    return status >= 400 ? ECL_HTTP_FINAL : ECL_HTTP_OK;
}

static void share_lock(CURL *c, curl_lock_data d, curl_lock_access a, void *u)
{
    (void)c;
    (void)a;
    pthread_mutex_lock(&((ecl_http *)u)->locks[d]);
}

static void share_unlock(CURL *c, curl_lock_data d, void *u)
{
    (void)c;
    pthread_mutex_unlock(&((ecl_http *)u)->locks[d]);
}

int ecl_http_new(ecl_http **out, const ecl_http_policy *p, ecl_err *e)
{
    pthread_once(&g_curl_once, curl_init_once);
    ecl_http *h = calloc(1, sizeof *h);
    if (!h)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    h->pol = *p;
    h->quota = QUOTA_MAX;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->pool_mu, NULL);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&h->locks[i], NULL);
    h->share = curl_share_init();
    if (!h->share) {
        ecl_http_free(h);
        return ecl_err_set(e, ECL_ENOMEM, "cannot create the http connection cache");
    }
    curl_share_setopt(h->share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(h->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(h->share, CURLSHOPT_USERDATA, h);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    curl_share_setopt(h->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
    *out = h;
    return 0;
}

void ecl_http_free(ecl_http *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->npool; i++)
        curl_easy_cleanup(h->pool[i]); /* before the share they use */
    pthread_mutex_destroy(&h->pool_mu);
    if (h->share)
        curl_share_cleanup(h->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&h->locks[i]);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

const ecl_http_policy *ecl_http_get_policy(const ecl_http *h) { return &h->pol; }

long ecl_http_retries(const ecl_http *h)
{
    pthread_mutex_lock((pthread_mutex_t *)&h->mu);
    long r = h->retries;
    pthread_mutex_unlock((pthread_mutex_t *)&h->mu);
    return r;
}

void ecl_http_resp_init(ecl_http_resp *r)
{
    memset(r, 0, sizeof *r);
    ecl_buf_init(&r->headers, 1 << 20);
    ecl_buf_init(&r->body, 0);
}

void ecl_http_resp_release(ecl_http_resp *r)
{
    ecl_buf_release(&r->headers);
    ecl_buf_release(&r->body);
}

const char *ecl_http_header(const ecl_http_resp *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    const char *p = (const char *)r->headers.data, *end = p + r->headers.len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && p[nl] == ':' && strncasecmp(p, name, nl) == 0) {
            const char *v = p + nl + 1;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            size_t l = (size_t)(ve - v);
            if (l >= cap)
                l = cap - 1;
            memcpy(out, v, l);
            out[l] = 0;
            return out;
        }
        p = eol + 1;
    }
    return NULL;
}

typedef struct xfer {
    const ecl_http_req *r;
    uint64_t *body_seen; /* bytes already passed to r->on_body, across attempts */
    uint64_t pos;
    ecl_http_resp *resp;
    size_t max_body;
    int read_errno;
} xfer;

static size_t read_cb(char *buf, size_t size, size_t nitems, void *u)
{
    xfer *x = u;
    uint64_t left = x->r->len - x->pos;
    size_t n = size * nitems;
    if (n > left)
        n = (size_t)left;
    if (n == 0)
        return 0;
    if (x->r->mem) {
        memcpy(buf, (const uint8_t *)x->r->mem + x->pos, n);
    } else {
        ssize_t got = pread(x->r->fd, buf, n, (off_t)(x->r->off + x->pos));
        if (got <= 0) {
            x->read_errno = got < 0 ? errno : EIO;
            return CURL_READFUNC_ABORT;
        }
        n = (size_t)got;
    }
    /* Each body byte reaches on_body once, in order, however often curl rewinds for a retry. */
    if (x->r->on_body && x->pos <= *x->body_seen && x->pos + n > *x->body_seen) {
        size_t skip = (size_t)(*x->body_seen - x->pos);
        x->r->on_body(x->r->body_ctx, buf + skip, n - skip);
        *x->body_seen = x->pos + n;
    }
    x->pos += n;
    return n;
}

static int seek_cb(void *u, curl_off_t off, int origin)
{
    xfer *x = u;
    if (origin != SEEK_SET || off < 0 || (uint64_t)off > x->r->len)
        return CURL_SEEKFUNC_CANTSEEK;
    x->pos = (uint64_t)off;
    return CURL_SEEKFUNC_OK;
}

static size_t write_cb(char *p, size_t size, size_t n, void *u)
{
    xfer *x = u;
    size_t len = size * n;
    size_t room = x->max_body > x->resp->body.len ? x->max_body - x->resp->body.len : 0;
    if (ecl_buf_append(&x->resp->body, p, len < room ? len : room))
        return 0;
    return len;
}

static size_t header_cb(char *p, size_t size, size_t n, void *u)
{
    xfer *x = u;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
        ecl_buf_clear(&x->resp->headers); /* a new response (after 100 Continue) starts over */
    ecl_buf_append(&x->resp->headers, p, len);
    return len;
}

/* Thread-local jitter source; jitter needs no reproducibility, only independence between threads. */
static double jitter_u(void)
{
    static _Thread_local uint64_t s;
    if (!s) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&s;
        s |= 1;
    }
    s += 0x9e3779b97f4a7c15ULL;
    uint64_t z = s;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Sleeps in short slices so Ctrl-C is honoured; returns false when cancelled. */
static bool nap(double s)
{
    double until = mono_now() + s;
    for (;;) {
        if (ecl_cancelled())
            return false;
        double left = until - mono_now();
        if (left <= 0)
            return true;
        if (left > 0.1)
            left = 0.1;
        struct timespec ts = {(time_t)left, (long)((left - (double)(time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static int attempt(ecl_http *h, const ecl_http_req *r, bool auth_retry, ecl_http_resp *resp, int *curl_code,
                   char *errbuf, uint64_t *body_seen, ecl_err *e)
{
    struct curl_slist *hdrs = NULL;
    if (r->sign && r->sign(r->sign_ctx, auth_retry, &hdrs, e)) {
        curl_slist_free_all(hdrs);
        return e->code;
    }
    struct curl_slist *t = curl_slist_append(hdrs, "Expect:");
    if (!t) {
        curl_slist_free_all(hdrs);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    hdrs = t;
    CURL *c = handle_take(h);
    if (!c) {
        curl_slist_free_all(hdrs);
        return ecl_err_set(e, ECL_ENOMEM, "cannot create an http handle");
    }
    ecl_buf_clear(&resp->headers);
    ecl_buf_clear(&resp->body);
    xfer x = {r, body_seen, 0, resp, r->max_body ? r->max_body : (size_t)64 << 20, 0};
    errbuf[0] = 0;
    curl_easy_setopt(c, CURLOPT_SHARE, h->share);
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->pol.connect_timeout_s);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, h->pol.low_speed_time_s);
    curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
    /* Room in the shared cache for every worker's connection: at curl's default of 5, parallel
     * workers close each other's idle connections and reconnect for almost every request. */
    curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 256L);
    curl_easy_setopt(c, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "ecomlake");
    if (strcmp(r->method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(r->method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(r->has_body ? r->len : 0));
        if (r->has_body && r->len) {
            curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
            curl_easy_setopt(c, CURLOPT_READDATA, &x);
            curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
            curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        }
    } else if (r->has_body || strcmp(r->method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(r->has_body ? r->len : 0));
        curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
        curl_easy_setopt(c, CURLOPT_READDATA, &x);
        curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, seek_cb);
        curl_easy_setopt(c, CURLOPT_SEEKDATA, &x);
        if (strcmp(r->method, "PUT") != 0)
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    } else if (strcmp(r->method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
    }
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    handle_give(h, c);
    curl_slist_free_all(hdrs);
    if (x.read_errno)
        return ecl_err_errno(e, x.read_errno, "cannot read the upload body of '%s'",
                             r->subject ? r->subject : r->url);
    if (ecl_buf_oom(&resp->body))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading the response of '%s'", r->url);
    resp->status = cc == CURLE_OK ? status : 0;
    *curl_code = (int)cc;
    return 0;
}

int ecl_http_do(ecl_http *h, const ecl_http_req *req, ecl_http_resp *resp, ecl_err *e)
{
    ecl_http_req cur = *req;
    ecl_http_req *r = &cur;
    double t0 = mono_now();
    int retry = 0;
    bool auth_retry = false;
    resp->attempts = 0;
    const char *subj = r->subject ? r->subject : r->url;
    uint64_t body_seen = 0;
    for (;;) {
        if (ecl_cancelled())
            return ecl_err_set(e, ECL_EINTR, "interrupted during %s '%s'", r->method, subj);
        int cc = 0;
        char errbuf[CURL_ERROR_SIZE];
        resp->attempts++;
        if (attempt(h, r, auth_retry, resp, &cc, errbuf, &body_seen, e))
            return e->code;
        char reason[CURL_ERROR_SIZE + 64];
        ecl_http_class k = ecl_http_classify(cc, resp->status, (const char *)resp->body.data, resp->body.len,
                                             reason, sizeof reason);
        if (cc && errbuf[0])
            snprintf(reason, sizeof reason, "%s", errbuf);
        if (cc == 0 && resp->status == 401 && r->refresh_on_401 && !auth_retry) {
            ecl_log(ECL_LOG_INFO, subj, "%s answered 401: refreshing credentials and retrying", r->method);
            auth_retry = true;
            continue;
        }
        auth_retry = false;
        if (k == ECL_HTTP_OK || (k == ECL_HTTP_FINAL && cc == 0)) {
            if (retry == 0) {
                pthread_mutex_lock(&h->mu);
                h->quota = h->quota + QUOTA_REFUND > QUOTA_MAX ? QUOTA_MAX : h->quota + QUOTA_REFUND;
                pthread_mutex_unlock(&h->mu);
            }
            return 0;
        }
        if (k == ECL_HTTP_FINAL)
            return ecl_err_set(e, ECL_EPERMANENT, "%s '%s' failed: %s", r->method, subj, reason);
        double elapsed = mono_now() - t0;
        retry++;
        if (retry > h->pol.retries)
            return ecl_err_set(e, ECL_ETRANSIENT, "%s '%s' failed after %d attempts in %.1f s: %s", r->method,
                               subj, resp->attempts, elapsed, reason);
        char ra[64];
        double ra_s = ecl_http_parse_retry_after(ecl_http_header(resp, "retry-after", ra, sizeof ra), time(NULL));
        if (cc)
            ra_s = -1;
        double delay = ecl_http_backoff_delay(&h->pol, retry, jitter_u(), ra_s);
        if (elapsed + delay > h->pol.budget_s)
            return ecl_err_set(e, ECL_ETRANSIENT,
                               "%s '%s' failed after %d attempts in %.1f s (retry budget of %.0f s spent): %s",
                               r->method, subj, resp->attempts, elapsed, h->pol.budget_s, reason);
        int cost = k == ECL_HTTP_TIMEOUT ? QUOTA_TIMEOUT : QUOTA_RETRY;
        pthread_mutex_lock(&h->mu);
        bool ok = h->quota >= cost;
        if (ok) {
            h->quota -= cost;
            h->retries++;
        }
        pthread_mutex_unlock(&h->mu);
        if (!ok)
            return ecl_err_set(e, ECL_ETRANSIENT,
                               "%s '%s' failed: %s; not retried because too many requests failed in this "
                               "run (retry quota exhausted)",
                               r->method, subj, reason);
        ecl_log(ECL_LOG_WARN, subj, "retry %d/%d of %s in %.2f s%s: %s", retry, h->pol.retries, r->method, delay,
                ra_s >= 0 ? " (Retry-After)" : "", reason);
        if (!nap(delay))
            return ecl_err_set(e, ECL_EINTR, "interrupted while waiting to retry %s '%s'", r->method, subj);
        if (r->before_retry) {
            int br = r->before_retry(r->retry_ctx, r, e);
            if (br == 1)
                return 0;
            if (br)
                return br;
        }
    }
}
