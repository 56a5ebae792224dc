/* sink_s3.c - S3 and S3-compatible object storage (AWS, MinIO, R2, Ceph, GCS XML API with HMAC keys)
 * through SigV4-signed libcurl requests. See docs/object-storage.md for the settings. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <time.h>
#include <unistd.h>

#include "awscreds.h"
#include "cancel.h"
#include "hash.h"
#include "http.h"
#include "log.h"
#include "remote.h"
#include "sigv4.h"

typedef enum { CK_MD5, CK_CRC32C, CK_SHA256, CK_OFF } ck_mode;

typedef struct s3_sink {
    ecl_remote_base rb;
    char *bucket;
    char *prefix;   /* "" or ends with '/' */
    char *endpoint; /* scheme://host[:port] without trailing '/' */
    char *host;     /* Host header value */
    bool path_style;
    char *region;
    ecl_awscreds *creds; /* the credential chain, shared by all threads */
    ck_mode ck;
    int max_keys;
    pthread_mutex_t slots_mu; /* bounds part buffers in memory across all uploads */
    pthread_cond_t slots_cv;
    int slots;
} s3_sink;

/* ---------- small XML reading: the few elements S3 answers carry ---------- */

/* Finds the next <tag>...</tag> in [p, end); returns the start of its content or NULL. */
static const char *xml_find(const char *p, const char *end, const char *tag, const char **cend)
{
    char open[80], close[80];
    int ol = snprintf(open, sizeof open, "<%s>", tag), cl = snprintf(close, sizeof close, "</%s>", tag);
    const char *a = memmem(p, (size_t)(end - p), open, (size_t)ol);
    if (!a)
        return NULL;
    a += ol;
    const char *b = memmem(a, (size_t)(end - a), close, (size_t)cl);
    if (!b)
        return NULL;
    *cend = b;
    return a;
}

/* Copies element text with the XML entities resolved. */
static void xml_text(const char *a, const char *b, ecl_buf *out)
{
    while (a < b) {
        if (*a != '&') {
            ecl_buf_putc(out, (uint8_t)*a++);
            continue;
        }
        const char *semi = memchr(a, ';', (size_t)(b - a));
        if (!semi) {
            ecl_buf_putc(out, (uint8_t)*a++);
            continue;
        }
        size_t l = (size_t)(semi - a - 1);
        const char *ent = a + 1;
        unsigned long cp = 0;
        bool ok = true;
        if (l == 3 && !memcmp(ent, "amp", 3)) cp = '&';
        else if (l == 2 && !memcmp(ent, "lt", 2)) cp = '<';
        else if (l == 2 && !memcmp(ent, "gt", 2)) cp = '>';
        else if (l == 4 && !memcmp(ent, "quot", 4)) cp = '"';
        else if (l == 4 && !memcmp(ent, "apos", 4)) cp = '\'';
        else if (l >= 2 && ent[0] == '#') {
            char tmp[16];
            if (l > 12) { ok = false; }
            else {
                memcpy(tmp, ent + 1, l - 1);
                tmp[l - 1] = 0;
                char *e2;
                cp = (tmp[0] == 'x' || tmp[0] == 'X') ? strtoul(tmp + 1, &e2, 16) : strtoul(tmp, &e2, 10);
                ok = *e2 == 0 && cp > 0 && cp <= 0x10FFFF;
            }
        } else ok = false;
        if (!ok) {
            ecl_buf_putc(out, (uint8_t)*a++);
            continue;
        }
        if (cp < 0x80) ecl_buf_putc(out, (uint8_t)cp);
        else if (cp < 0x800) { ecl_buf_putc(out, (uint8_t)(0xC0 | (cp >> 6))); ecl_buf_putc(out, (uint8_t)(0x80 | (cp & 63))); }
        else if (cp < 0x10000) { ecl_buf_putc(out, (uint8_t)(0xE0 | (cp >> 12))); ecl_buf_putc(out, (uint8_t)(0x80 | ((cp >> 6) & 63))); ecl_buf_putc(out, (uint8_t)(0x80 | (cp & 63))); }
        else { ecl_buf_putc(out, (uint8_t)(0xF0 | (cp >> 18))); ecl_buf_putc(out, (uint8_t)(0x80 | ((cp >> 12) & 63))); ecl_buf_putc(out, (uint8_t)(0x80 | ((cp >> 6) & 63))); ecl_buf_putc(out, (uint8_t)(0x80 | (cp & 63))); }
        a = semi + 1;
    }
}

static void xml_get(const char *p, const char *end, const char *tag, char *out, size_t cap)
{
    out[0] = 0;
    const char *ce;
    const char *a = xml_find(p, end, tag, &ce);
    if (!a)
        return;
    ecl_buf b = ECL_BUF_INIT;
    xml_text(a, ce, &b);
    snprintf(out, cap, "%s", b.len ? (const char *)b.data : "");
    ecl_buf_release(&b);
}

static void strip_quotes(char *s)
{
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
        memmove(s, s + 1, n - 2);
        s[n - 2] = 0;
    }
}

/* ---------- requests ---------- */

typedef struct s3_hdr {
    const char *name;
    char value[200];
} s3_hdr;

typedef struct s3_call {
    s3_sink *s;
    const char *method;
    const char *key;   /* full key (prefix included) or NULL for bucket-level */
    const char *query; /* canonical query or "" */
    const char *payload_hash;
    s3_hdr extra[8];
    int nextra;
    ecl_buf uri;
    ecl_buf url;
    void (*on_body)(void *ctx, const void *p, size_t n); /* sees the body as it is sent */
    void *body_ctx;
    char signed_ak[256]; /* the access key id of the last signature */
} s3_call;

static void call_init(s3_call *c, s3_sink *s, const char *method, const char *key, const char *query)
{
    memset(c, 0, sizeof *c);
    c->s = s;
    c->method = method;
    c->key = key;
    c->query = query ? query : "";
    c->payload_hash = ECL_SIGV4_UNSIGNED;
    ecl_buf_init(&c->uri, 0);
    ecl_buf_init(&c->url, 0);
    if (s->path_style) {
        ecl_buf_putc(&c->uri, '/');
        ecl_uri_encode(&c->uri, s->bucket, strlen(s->bucket), false);
        if (key) {
            ecl_buf_putc(&c->uri, '/');
            ecl_uri_encode(&c->uri, key, strlen(key), true);
        } else {
            ecl_buf_putc(&c->uri, '/');
        }
    } else {
        ecl_buf_putc(&c->uri, '/');
        if (key)
            ecl_uri_encode(&c->uri, key, strlen(key), true);
    }
    ecl_buf_printf(&c->url, "%s%s%s%s", s->endpoint, (const char *)c->uri.data, c->query[0] ? "?" : "",
                   c->query);
}

static void call_hdr(s3_call *c, const char *name, const char *value)
{
    if (c->nextra < 8) {
        c->extra[c->nextra].name = name;
        snprintf(c->extra[c->nextra].value, sizeof c->extra[c->nextra].value, "%s", value);
        c->nextra++;
    }
}

static void call_release(s3_call *c)
{
    ecl_buf_release(&c->uri);
    ecl_buf_release(&c->url);
}

static int add_hdr(struct curl_slist **l, const char *name, const char *value)
{
    char *line = NULL; /* session tokens run to kilobytes */
    if (asprintf(&line, "%s: %s", name, value) < 0)
        return ECL_ENOMEM;
    struct curl_slist *t = curl_slist_append(*l, line);
    free(line);
    if (!t)
        return ECL_ENOMEM;
    *l = t;
    return 0;
}

static int s3_sign(void *ctx, bool auth_retry, struct curl_slist **hdrs, ecl_err *e)
{
    (void)auth_retry;
    s3_call *c = ctx;
    s3_sink *s = c->s;
    ecl_aws_key key;
    int rc = ecl_awscreds_get(s->creds, &key, e);
    if (rc)
        return rc;
    snprintf(c->signed_ak, sizeof c->signed_ak, "%s", key.access_key);
    char date[17];
    ecl_sigv4_date(time(NULL), date);
    ecl_sigv4_header h[12];
    size_t n = 0;
    h[n++] = (ecl_sigv4_header){"host", s->host};
    h[n++] = (ecl_sigv4_header){"x-amz-date", date};
    h[n++] = (ecl_sigv4_header){"x-amz-content-sha256", c->payload_hash};
    if (key.session_token[0])
        h[n++] = (ecl_sigv4_header){"x-amz-security-token", key.session_token};
    for (int i = 0; i < c->nextra; i++)
        h[n++] = (ecl_sigv4_header){c->extra[i].name, c->extra[i].value};
    ecl_sigv4_req r = {c->method, (const char *)c->uri.data, c->query, h, n, c->payload_hash, date,
                       s->region, "s3", key.access_key, key.secret_key};
    ecl_buf auth = ECL_BUF_INIT;
    rc = ecl_sigv4_authorization(&r, &auth);
    for (size_t i = 0; !rc && i < n; i++)
        rc = add_hdr(hdrs, h[i].name, h[i].value);
    if (!rc)
        rc = add_hdr(hdrs, "Authorization", (const char *)auth.data);
    ecl_buf_release(&auth);
    memset(&key, 0, sizeof key);
    if (rc)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory signing a request");
    return 0;
}

static bool token_refused(const ecl_http_resp *resp)
{
    if (resp->status != 400 && resp->status != 403)
        return false;
    char code[64];
    ecl_http_s3_code((const char *)resp->body.data, resp->body.len, code, sizeof code);
    return !strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken") || !strcmp(code, "TokenRefreshRequired");
}

/* Passes each body byte to the caller's on_body once, even when call_do sends the body twice. */
typedef struct body_gate {
    void (*fn)(void *ctx, const void *p, size_t n);
    void *ctx;
    uint64_t passed, pos;
} body_gate;

static void gated_feed(void *ctx, const void *p, size_t n)
{
    body_gate *g = ctx;
    uint64_t end = g->pos + n;
    if (end > g->passed) {
        size_t skip = g->passed > g->pos ? (size_t)(g->passed - g->pos) : 0;
        g->fn(g->ctx, (const uint8_t *)p + skip, n - skip);
        g->passed = end;
    }
    g->pos = end;
}

static int call_do(s3_call *c, const void *mem, int fd, uint64_t off, uint64_t len, bool has_body,
                   ecl_http_resp *resp, ecl_err *e)
{
    if (ecl_buf_oom(&c->uri) || ecl_buf_oom(&c->url))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_http_req r = {.method = c->method, .url = (const char *)c->url.data, .mem = mem, .fd = fd, .off = off,
                      .len = len, .has_body = has_body, .sign = s3_sign, .sign_ctx = c,
                      .subject = c->key ? c->key : c->s->bucket};
    body_gate gate = {c->on_body, c->body_ctx, 0, 0};
    if (c->on_body) {
        r.on_body = gated_feed;
        r.body_ctx = &gate;
    }
    c->s->rb.requests++;
    int rc = ecl_http_do(c->s->rb.http, &r, resp, e);
    if (!rc && token_refused(resp)) {
        /* keys revoked or expired ahead of their Expiration: fetch new ones once and retry */
        bool changed = false;
        ecl_err re = ECL_ERR_INIT;
        if (ecl_awscreds_refresh(c->s->creds, c->signed_ak, &changed, &re) == 0 && changed) {
            ecl_log(ECL_LOG_WARN, r.subject, "the store refused the session token; retrying with fresh credentials");
            ecl_http_resp_release(resp);
            ecl_http_resp_init(resp);
            gate.pos = 0;
            c->s->rb.requests++;
            rc = ecl_http_do(c->s->rb.http, &r, resp, e);
        }
    }
    if (!rc && has_body && resp->status < 300)
        c->s->rb.bytes_sent += len;
    return rc;
}

/* Turns a definitive S3 refusal into an error with advice. */
static int s3_fail(s3_sink *s, const char *op, const char *key, const ecl_http_resp *resp, ecl_err *e)
{
    char code[64], msg[256];
    ecl_http_s3_code((const char *)resp->body.data, resp->body.len, code, sizeof code);
    const char *b = (const char *)resp->body.data;
    xml_get(b, b + resp->body.len, "Message", msg, sizeof msg);
    char where[600];
    snprintf(where, sizeof where, "s3://%s/%s", s->bucket, key ? key : "");
    long st = resp->status;
    char ak[256];
    ecl_awscreds_access_key(s->creds, ak, sizeof ak);
    const char *src = ecl_awscreds_source(s->creds), *fix = ecl_awscreds_advice(s->creds);
    if (!strcmp(code, "InvalidAccessKeyId"))
        return ecl_err_set(e, ECL_EAUTH, "%s %s: %s does not know the access key id '%s' (from %s): %s", op, where,
                           s->endpoint, ak, src, fix);
    if (!strcmp(code, "SignatureDoesNotMatch"))
        return ecl_err_set(e, ECL_EAUTH,
                           "%s %s: request signature rejected by %s: the secret key of '%s' (from %s) is wrong: %s",
                           op, where, s->endpoint, ak, src, fix);
    if (!strcmp(code, "ExpiredToken") || !strcmp(code, "InvalidToken") || !strcmp(code, "TokenRefreshRequired"))
        return ecl_err_set(e, ECL_EAUTH,
                           "%s %s: the session token was refused (%s; credentials from %s): %s; finished objects "
                           "are kept, re-run to resume",
                           op, where, code, src, fix);
    if (!strcmp(code, "RequestTimeTooSkewed"))
        return ecl_err_set(e, ECL_EPERMANENT,
                           "%s %s: the system clock differs too much from the server's: sync it "
                           "(timedatectl set-ntp true)",
                           op, where);
    if (!strcmp(code, "AuthorizationHeaderMalformed") || !strcmp(code, "PermanentRedirect") || st == 301) {
        char reg[64];
        xml_get(b, b + resp->body.len, "Region", reg, sizeof reg);
        return ecl_err_set(e, ECL_ECONFIG, "%s %s: bucket is in another region%s%s: set AWS_REGION%s%s or --region",
                           op, where, reg[0] ? " " : "", reg, reg[0] ? "=" : "", reg);
    }
    if (!strcmp(code, "NoSuchBucket") || (st == 404 && !key))
        return ecl_err_set(e, ECL_ENOTFOUND,
                           "bucket '%s' does not exist at %s: create it (aws s3 mb s3://%s) or fix the "
                           "destination (--dest, --bucket, --endpoint-url)",
                           s->bucket, s->endpoint, s->bucket);
    if (st == 404)
        return ecl_err_set(e, ECL_ENOTFOUND, "%s %s: not found", op, where);
    if (st == 403)
        return ecl_err_set(e, ECL_EPERM,
                           "%s %s: access denied%s%s: the credentials (access key '%s' from %s) lack permission "
                           "for this bucket or prefix",
                           op, where, msg[0] ? ": " : "", msg, ak, src);
    if (st == 401)
        return ecl_err_set(e, ECL_EAUTH, "%s %s: unauthorized (credentials from %s): %s", op, where, src, fix);
    return ecl_err_set(e, ECL_EPERMANENT, "%s %s: HTTP %ld%s%s%s%s", op, where, st, code[0] ? " " : "", code,
                       msg[0] ? ": " : "", msg);
}

static char *full_key(s3_sink *s, const char *key)
{
    size_t n = strlen(s->prefix) + strlen(key) + 1;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%s%s", s->prefix, key);
    return k;
}

/* ---------- head / get / del / list ---------- */

static void info_from_headers(const ecl_http_resp *resp, ecl_obj_info *info)
{
    memset(info, 0, sizeof *info);
    char v[128];
    if (ecl_http_header(resp, "content-length", v, sizeof v))
        info->size = strtoull(v, NULL, 10);
    if (ecl_http_header(resp, "etag", v, sizeof v)) {
        strip_quotes(v);
        snprintf(info->etag, sizeof info->etag, "%s", v);
    }
    if (ecl_http_header(resp, "x-amz-meta-sha256", v, sizeof v) && strlen(v) == 64)
        snprintf(info->sha256_hex, sizeof info->sha256_hex, "%s", v);
    if (ecl_http_header(resp, "x-amz-checksum-crc32c", v, sizeof v) && strlen(v) < sizeof info->crc32c_b64)
        snprintf(info->crc32c_b64, sizeof info->crc32c_b64, "%s", v);
}

static int head_full(s3_sink *s, const char *fk, ecl_obj_info *info, ecl_err *e)
{
    s3_call c;
    call_init(&c, s, "HEAD", fk, "");
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
    if (!rc) {
        if (resp.status == 404)
            rc = ecl_err_set(e, ECL_ENOTFOUND, "s3://%s/%s not found", s->bucket, fk);
        else if (resp.status >= 300)
            rc = s3_fail(s, "HEAD", fk, &resp, e);
        else
            info_from_headers(&resp, info);
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    return rc;
}

/* Runs fn on the full key (prefix + key). */
static int with_key(ecl_sink *sk, const char *key, int (*fn)(s3_sink *, const char *, void *, ecl_err *), void *arg,
                    ecl_err *e)
{
    s3_sink *s = (s3_sink *)sk;
    char *fk = full_key(s, key);
    if (!fk)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    int rc = fn(s, fk, arg, e);
    free(fk);
    return rc;
}

static int head_fn(s3_sink *s, const char *fk, void *arg, ecl_err *e) { return head_full(s, fk, arg, e); }

static int s3_head(ecl_sink *sk, const char *key, ecl_obj_info *info, ecl_err *e)
{
    return with_key(sk, key, head_fn, info, e);
}

static int get_fn(s3_sink *s, const char *fk, void *arg, ecl_err *e)
{
    ecl_buf *out = arg;
    s3_call c;
    call_init(&c, s, "GET", fk, "");
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
    if (!rc) {
        if (resp.status >= 300)
            rc = s3_fail(s, "GET", fk, &resp, e);
        else if (ecl_buf_append(out, resp.body.data, resp.body.len))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading s3://%s/%s", s->bucket, fk);
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    return rc;
}

static int s3_get(ecl_sink *sk, const char *key, ecl_buf *out, ecl_err *e) { return with_key(sk, key, get_fn, out, e); }

static int del_full(s3_sink *s, const char *fk, const char *query, ecl_err *e)
{
    s3_call c;
    call_init(&c, s, "DELETE", fk, query);
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
    if (!rc && resp.status >= 300 && resp.status != 404)
        rc = s3_fail(s, "DELETE", fk, &resp, e);
    ecl_http_resp_release(&resp);
    call_release(&c);
    return rc;
}

static int del_fn(s3_sink *s, const char *fk, void *arg, ecl_err *e)
{
    (void)arg;
    return del_full(s, fk, "", e);
}

static int s3_del(ecl_sink *sk, const char *key, ecl_err *e) { return with_key(sk, key, del_fn, NULL, e); }

static int s3_list(ecl_sink *sk, const char *prefix, ecl_list_cb cb, void *ctx, ecl_err *e)
{
    s3_sink *s = (s3_sink *)sk;
    char *fp = full_key(s, prefix ? prefix : "");
    if (!fp)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    char mk[16];
    snprintf(mk, sizeof mk, "%d", s->max_keys);
    char *token = NULL;
    int rc = 0;
    size_t plen = strlen(s->prefix);
    for (;;) {
        const char *kv[8] = {"list-type", "2", "prefix", fp, "max-keys", mk, "continuation-token", token};
        ecl_buf q = ECL_BUF_INIT;
        if (ecl_sigv4_query(&q, kv, token ? 4 : 3)) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
            break;
        }
        s3_call c;
        call_init(&c, s, "GET", NULL, (const char *)q.data);
        ecl_http_resp resp;
        ecl_http_resp_init(&resp);
        rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
        if (!rc && resp.status >= 300)
            rc = s3_fail(s, "LIST", fp, &resp, e);
        const char *b = (const char *)resp.body.data, *end = b + resp.body.len;
        const char *p = b, *ce;
        ecl_buf key = ECL_BUF_INIT;
        int stop = 0;
        while (!rc && !stop && (p = xml_find(p, end, "Contents", &ce))) {
            ecl_obj_info info;
            memset(&info, 0, sizeof info);
            const char *ke;
            const char *ka = xml_find(p, ce, "Key", &ke);
            char v[128];
            xml_get(p, ce, "Size", v, sizeof v);
            info.size = strtoull(v, NULL, 10);
            xml_get(p, ce, "ETag", info.etag, sizeof info.etag);
            strip_quotes(info.etag);
            xml_get(p, ce, "LastModified", info.modified, sizeof info.modified);
            if (ka) {
                ecl_buf_clear(&key);
                xml_text(ka, ke, &key);
                const char *k = (const char *)key.data;
                if (key.len >= plen && !strncmp(k, s->prefix, plen))
                    stop = cb(k + plen, &info, ctx);
            }
            p = ce;
        }
        ecl_buf_release(&key);
        char trunc[16], next[1024];
        xml_get(b, end, "IsTruncated", trunc, sizeof trunc);
        xml_get(b, end, "NextContinuationToken", next, sizeof next);
        ecl_http_resp_release(&resp);
        call_release(&c);
        ecl_buf_release(&q);
        if (rc || stop || strcmp(trunc, "true") != 0 || !next[0])
            break;
        free(token);
        token = strdup(next);
        if (!token) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
            break;
        }
    }
    free(token);
    free(fp);
    return rc;
}

/* ---------- uploads ---------- */

typedef struct body_src {
    const char *path;
    const void *mem;
    int fd;
} body_src;

static void checksum_headers(s3_call *c, const void *data, size_t n, const char *md5_b64, const char *crc_b64,
                             char sha_hex[65])
{
    switch (c->s->ck) {
    case CK_MD5:
        call_hdr(c, "content-md5", md5_b64);
        break;
    case CK_CRC32C:
        call_hdr(c, "x-amz-checksum-crc32c", crc_b64);
        break;
    case CK_SHA256:
        ecl_sha256_hex(data, n, sha_hex);
        c->payload_hash = sha_hex;
        break;
    case CK_OFF:
        break;
    }
}

static int verify_remote(s3_sink *s, const char *fk, const ecl_local_digest *d, ecl_err *e)
{
    ecl_obj_info info;
    int rc = head_full(s, fk, &info, e);
    if (rc) {
        if (rc == ECL_ENOTFOUND) {
            ecl_err_clear(e);
            return ecl_err_set(e, ECL_EMISMATCH, "s3://%s/%s is missing right after its upload", s->bucket, fk);
        }
        return rc;
    }
    if (info.size != d->size)
        return ecl_err_set(e, ECL_EMISMATCH, "s3://%s/%s holds %llu bytes after upload, expected %llu", s->bucket,
                           fk, (unsigned long long)info.size, (unsigned long long)d->size);
    if (info.sha256_hex[0] && strcasecmp(info.sha256_hex, d->sha256_hex))
        return ecl_err_set(e, ECL_EMISMATCH, "s3://%s/%s carries sha256 %s after upload, expected %s", s->bucket,
                           fk, info.sha256_hex, d->sha256_hex);
    if (!ecl_sink_matches(&info, d) && info.etag[0] && strchr(info.etag, '-') == NULL && strlen(info.etag) == 32)
        return ecl_err_set(e, ECL_EMISMATCH, "s3://%s/%s has ETag %s after upload, expected %s", s->bucket, fk,
                           info.etag, d->md5_hex);
    return 0;
}

/* Digests computed from the body as it goes out, for what was not known before sending. */
typedef struct stream_dg {
    ecl_hash sha, md5;
} stream_dg;

static void stream_feed(void *ctx, const void *p, size_t n)
{
    stream_dg *g = ctx;
    if (g->sha.ctx)
        ecl_hash_update(&g->sha, p, n);
    if (g->md5.ctx)
        ecl_hash_update(&g->md5, p, n);
}

/* One PUT. The object is checked by the store's own answer: the ETag of a single-part PUT is the MD5
 * of the bytes the store holds, compared with the MD5 of the bytes we sent (size included, as equal
 * MD5s mean equal bytes). A store whose ETag is not a plain MD5 (SSE-KMS, some gateways) gets a HEAD
 * comparing size and checksums instead. The SHA-256 of the manifest is checked against the bytes
 * actually sent; a mismatch removes the object again. */
static int put_single(s3_sink *s, const char *fk, const body_src *b, ecl_local_digest *d, const ecl_put_opts *o,
                      ecl_err *e)
{
    s3_call c;
    call_init(&c, s, "PUT", fk, "");
    char sha_hex[65];
    if (s->ck == CK_SHA256) {
        /* the signed payload hash of a whole-object PUT is the object's sha256, already known */
        snprintf(sha_hex, sizeof sha_hex, "%s", d->sha256_hex);
        c.payload_hash = sha_hex;
    } else {
        checksum_headers(&c, NULL, 0, d->md5_b64, d->crc32c_b64, sha_hex);
    }
    const char *want_sha = d->sha256_hex[0] ? d->sha256_hex : o && o->sha256_hex ? o->sha256_hex : "";
    call_hdr(&c, "x-amz-meta-sha256", want_sha);
    if (o && o->content_type)
        call_hdr(&c, "content-type", o->content_type);
    stream_dg g = {{0}, {0}};
    int rc = 0;
    if ((!d->sha256_hex[0] && ecl_hash_init(&g.sha, ECL_HASH_SHA256)) ||
        (!d->md5_hex[0] && ecl_hash_init(&g.md5, ECL_HASH_MD5)))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    c.on_body = stream_feed;
    c.body_ctx = &g;
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    if (!rc)
        rc = call_do(&c, b->mem, b->fd, 0, d->size, true, &resp, e);
    if (!rc && resp.status >= 300)
        rc = s3_fail(s, "PUT", fk, &resp, e);
    uint8_t dg[32];
    if (g.sha.ctx) {
        ecl_hash_final(&g.sha, dg);
        if (!rc)
            ecl_hex(dg, 32, d->sha256_hex);
    }
    if (g.md5.ctx) {
        ecl_hash_final(&g.md5, dg);
        if (!rc) {
            ecl_hex(dg, 16, d->md5_hex);
            ecl_base64(dg, 16, d->md5_b64);
        }
    }
    if (!rc && strcasecmp(d->sha256_hex, want_sha)) {
        /* the file changed under its manifest: the object must not stay with a false sha256 */
        ecl_err de = ECL_ERR_INIT;
        del_full(s, fk, "", &de);
        rc = ecl_err_set(e, ECL_EMISMATCH, "'%s' has sha256 %s, its manifest says %s (the object was removed again)",
                         b->path ? b->path : fk, d->sha256_hex, want_sha);
    }
    char etag[128];
    if (!rc && ecl_http_header(&resp, "etag", etag, sizeof etag)) {
        strip_quotes(etag);
        if (!ecl_is_md5_hex(etag)) {
            rc = verify_remote(s, fk, d, e);
        } else if (strcasecmp(etag, d->md5_hex)) {
            rc = ecl_err_set(e, ECL_EMISMATCH, "s3://%s/%s has ETag %s after upload, expected the MD5 %s", s->bucket,
                             fk, etag, d->md5_hex);
        }
    } else if (!rc) {
        rc = verify_remote(s, fk, d, e);
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    return rc;
}

/* ----- multipart ----- */

typedef struct mp_part {
    char etag[80];
    uint64_t size;
    bool have; /* already on the server (resumed) */
} mp_part;

typedef struct mp_job {
    s3_sink *s;
    const char *fk;
    const body_src *b;
    char upload_id[256];
    uint64_t size, part_size;
    int nparts;
    mp_part *parts;   /* index 0 = part 1 */
    mp_part *remote;  /* parts the server already has (resume), or NULL */
    int nremote;
    _Atomic int next;
    _Atomic bool failed;
    pthread_mutex_t mu;
    ecl_err err;
    uint64_t reused_bytes;
} mp_job;

static void slot_take(s3_sink *s)
{
    pthread_mutex_lock(&s->slots_mu);
    while (s->slots <= 0)
        pthread_cond_wait(&s->slots_cv, &s->slots_mu);
    s->slots--;
    pthread_mutex_unlock(&s->slots_mu);
}

static void slot_give(s3_sink *s)
{
    pthread_mutex_lock(&s->slots_mu);
    s->slots++;
    pthread_cond_signal(&s->slots_cv);
    pthread_mutex_unlock(&s->slots_mu);
}

/* A 32-hex ETag is the MD5 of the bytes the server stored; anything else proves nothing. */
static bool is_plain_md5_mismatch(const char *etag, const char *md5hex)
{
    if (strlen(etag) != 32)
        return false;
    for (const char *p = etag; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return false;
    return strcasecmp(etag, md5hex) != 0;
}

static int upload_part(mp_job *j, int pn, uint8_t *buf, ecl_err *e)
{
    uint64_t off = (uint64_t)(pn - 1) * j->part_size;
    uint64_t n = j->size - off < j->part_size ? j->size - off : j->part_size;
    const uint8_t *data;
    if (j->b->mem) {
        data = (const uint8_t *)j->b->mem + off;
    } else {
        uint64_t got = 0;
        while (got < n) {
            ssize_t r = pread(j->b->fd, buf + got, (size_t)(n - got), (off_t)(off + got));
            if (r <= 0)
                return ecl_err_errno(e, r < 0 ? errno : EIO, "cannot read '%s'", j->b->path);
            got += (uint64_t)r;
        }
        data = buf;
    }
    uint8_t md5[16];
    ecl_md5(data, (size_t)n, md5);
    char md5hex[33], md5b64[25];
    ecl_hex(md5, 16, md5hex);
    ecl_base64(md5, 16, md5b64);
    if (pn <= j->nremote && j->remote[pn - 1].have && j->remote[pn - 1].size == n &&
        !strcasecmp(j->remote[pn - 1].etag, md5hex)) {
        snprintf(j->parts[pn - 1].etag, sizeof j->parts[pn - 1].etag, "%s", md5hex);
        j->parts[pn - 1].size = n;
        pthread_mutex_lock(&j->mu);
        j->reused_bytes += n;
        pthread_mutex_unlock(&j->mu);
        return 0;
    }
    char pns[16];
    snprintf(pns, sizeof pns, "%d", pn);
    const char *kv[] = {"partNumber", pns, "uploadId", j->upload_id};
    ecl_buf q = ECL_BUF_INIT;
    if (ecl_sigv4_query(&q, kv, 2))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    s3_call c;
    call_init(&c, j->s, "PUT", j->fk, (const char *)q.data);
    char sha_hex[65];
    uint32_t crc = ecl_crc32c(0, data, (size_t)n);
    uint8_t cb[4] = {(uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc};
    char crcb64[13];
    ecl_base64(cb, 4, crcb64);
    checksum_headers(&c, data, (size_t)n, md5b64, crcb64, sha_hex);
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = call_do(&c, data, -1, 0, n, true, &resp, e);
    if (!rc && resp.status >= 300)
        rc = s3_fail(j->s, "UploadPart", j->fk, &resp, e);
    if (!rc) {
        char et[128];
        if (!ecl_http_header(&resp, "etag", et, sizeof et)) {
            rc = ecl_err_set(e, ECL_EPERMANENT, "part %d of s3://%s/%s: no ETag in the answer", pn, j->s->bucket,
                             j->fk);
        } else {
            strip_quotes(et);
            if (is_plain_md5_mismatch(et, md5hex))
                rc = ecl_err_set(e, ECL_EMISMATCH, "part %d of s3://%s/%s: server stored ETag %s, sent MD5 %s", pn,
                                 j->s->bucket, j->fk, et, md5hex);
            snprintf(j->parts[pn - 1].etag, sizeof j->parts[pn - 1].etag, "%s", et);
            j->parts[pn - 1].size = n;
        }
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    ecl_buf_release(&q);
    return rc;
}

static void *part_worker(void *arg)
{
    mp_job *j = arg;
    uint8_t *buf = NULL;
    if (!j->b->mem) {
        buf = malloc((size_t)j->part_size);
        if (!buf) {
            pthread_mutex_lock(&j->mu);
            ecl_err_set(&j->err, ECL_ENOMEM, "out of memory for a %llu-byte part",
                        (unsigned long long)j->part_size);
            pthread_mutex_unlock(&j->mu);
            j->failed = true;
            return NULL;
        }
    }
    for (;;) {
        if (j->failed)
            break;
        int pn = ++j->next;
        if (pn > j->nparts)
            break;
        ecl_err e = ECL_ERR_INIT;
        slot_take(j->s);
        int rc = j->failed ? 0 : upload_part(j, pn, buf, &e);
        slot_give(j->s);
        if (rc) {
            pthread_mutex_lock(&j->mu);
            ecl_err_set(&j->err, e.code, "%s", e.msg);
            pthread_mutex_unlock(&j->mu);
            j->failed = true;
        }
    }
    free(buf);
    return NULL;
}

static bool unsupported(const ecl_http_resp *r)
{
    char code[64];
    ecl_http_s3_code((const char *)r->body.data, r->body.len, code, sizeof code);
    return r->status == 501 || r->status == 405 || !strcmp(code, "NotImplemented") ||
           !strcmp(code, "MethodNotAllowed");
}

typedef struct upload_ref {
    char key[1024];
    char id[256];
    char initiated[40];
} upload_ref;

/* ListMultipartUploads under prefix (all pages); *unsupported_out when the endpoint lacks it. */
static int list_uploads(s3_sink *s, const char *prefix, upload_ref **out, int *n, bool *unsup, ecl_err *e)
{
    *out = NULL;
    *n = 0;
    *unsup = false;
    char km[1024] = "", im[256] = "";
    int cap = 0, rc = 0;
    for (;;) {
        const char *kv[8] = {"uploads", NULL, "prefix", prefix, "key-marker", km, "upload-id-marker", im};
        ecl_buf q = ECL_BUF_INIT;
        ecl_sigv4_query(&q, kv, km[0] ? 4 : 2);
        s3_call c;
        call_init(&c, s, "GET", NULL, (const char *)q.data);
        ecl_http_resp resp;
        ecl_http_resp_init(&resp);
        rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
        if (!rc && resp.status >= 300) {
            if (unsupported(&resp))
                *unsup = true;
            else
                rc = s3_fail(s, "ListMultipartUploads", prefix, &resp, e);
        }
        const char *b = (const char *)resp.body.data, *end = b + resp.body.len, *p = b, *ce;
        char trunc[16] = "";
        if (!rc && !*unsup) {
            while ((p = xml_find(p, end, "Upload", &ce))) {
                if (*n == cap) {
                    cap = cap ? cap * 2 : 16;
                    upload_ref *t = realloc(*out, (size_t)cap * sizeof *t);
                    if (!t) {
                        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
                        break;
                    }
                    *out = t;
                }
                upload_ref *u = &(*out)[*n];
                xml_get(p, ce, "Key", u->key, sizeof u->key);
                xml_get(p, ce, "UploadId", u->id, sizeof u->id);
                xml_get(p, ce, "Initiated", u->initiated, sizeof u->initiated);
                (*n)++;
                p = ce;
            }
            xml_get(b, end, "IsTruncated", trunc, sizeof trunc);
            xml_get(b, end, "NextKeyMarker", km, sizeof km);
            xml_get(b, end, "NextUploadIdMarker", im, sizeof im);
        }
        ecl_http_resp_release(&resp);
        call_release(&c);
        ecl_buf_release(&q);
        if (rc || *unsup || strcmp(trunc, "true") || !km[0])
            break;
    }
    return rc;
}

static int list_parts(s3_sink *s, const char *fk, const char *id, mp_job *j, ecl_err *e)
{
    char marker[16] = "";
    int rc = 0;
    for (;;) {
        const char *kv[6] = {"uploadId", id, "part-number-marker", marker};
        ecl_buf q = ECL_BUF_INIT;
        ecl_sigv4_query(&q, kv, marker[0] ? 2 : 1);
        s3_call c;
        call_init(&c, s, "GET", fk, (const char *)q.data);
        ecl_http_resp resp;
        ecl_http_resp_init(&resp);
        rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
        if (!rc && resp.status >= 300)
            rc = unsupported(&resp) || resp.status == 404 ? ECL_ENOTFOUND : s3_fail(s, "ListParts", fk, &resp, e);
        const char *b = (const char *)resp.body.data, *end = b + resp.body.len, *p = b, *ce;
        char trunc[16] = "";
        if (!rc) {
            while ((p = xml_find(p, end, "Part", &ce))) {
                char v[128];
                xml_get(p, ce, "PartNumber", v, sizeof v);
                int pn = atoi(v);
                if (pn >= 1 && pn <= j->nremote) {
                    mp_part *mpp = &j->remote[pn - 1];
                    xml_get(p, ce, "ETag", mpp->etag, sizeof mpp->etag);
                    strip_quotes(mpp->etag);
                    xml_get(p, ce, "Size", v, sizeof v);
                    mpp->size = strtoull(v, NULL, 10);
                    mpp->have = true;
                }
                p = ce;
            }
            xml_get(b, end, "IsTruncated", trunc, sizeof trunc);
            xml_get(b, end, "NextPartNumberMarker", marker, sizeof marker);
        }
        ecl_http_resp_release(&resp);
        call_release(&c);
        ecl_buf_release(&q);
        if (rc || strcmp(trunc, "true") || !marker[0])
            break;
    }
    return rc;
}

static int abort_upload(s3_sink *s, const char *fk, const char *id, ecl_err *e)
{
    const char *kv[] = {"uploadId", id};
    ecl_buf q = ECL_BUF_INIT;
    ecl_sigv4_query(&q, kv, 1);
    int rc = del_full(s, fk, (const char *)q.data, e);
    ecl_buf_release(&q);
    return rc;
}

/* Reuses the newest unfinished upload of this key (its parts are checked against our bytes one by
 * one) and aborts older duplicates, so retries and crashes never pile up billed parts. */
static void find_resumable(s3_sink *s, mp_job *j)
{
    upload_ref *u = NULL;
    int n = 0;
    bool unsup = false;
    ecl_err e = ECL_ERR_INIT;
    if (list_uploads(s, j->fk, &u, &n, &unsup, &e) || unsup) {
        if (e.code)
            ecl_log(ECL_LOG_WARN, j->fk, "cannot list unfinished uploads (no resume): %s", e.msg);
        free(u);
        return;
    }
    int best = -1;
    for (int i = 0; i < n; i++)
        if (!strcmp(u[i].key, j->fk) && (best < 0 || strcmp(u[i].initiated, u[best].initiated) > 0))
            best = i;
    for (int i = 0; i < n; i++) {
        if (strcmp(u[i].key, j->fk) || i == best)
            continue;
        ecl_err_clear(&e);
        if (abort_upload(s, j->fk, u[i].id, &e) == 0)
            ecl_log(ECL_LOG_INFO, j->fk, "aborted an older unfinished upload %s", u[i].id);
    }
    if (best >= 0) {
        ecl_err_clear(&e);
        if (list_parts(s, j->fk, u[best].id, j, &e) == 0) {
            snprintf(j->upload_id, sizeof j->upload_id, "%s", u[best].id);
            int have = 0;
            for (int i = 0; i < j->nremote; i++)
                have += j->remote[i].have;
            ecl_log(ECL_LOG_INFO, j->fk, "resuming multipart upload %s (%d of %d parts on the server)", j->upload_id,
                    have, j->nparts);
        } else {
            for (int i = 0; i < j->nremote; i++)
                j->remote[i].have = false;
        }
    }
    free(u);
}

static int create_upload(s3_sink *s, mp_job *j, const ecl_local_digest *d, const ecl_put_opts *o, ecl_err *e)
{
    const char *kv[] = {"uploads", NULL};
    ecl_buf q = ECL_BUF_INIT;
    ecl_sigv4_query(&q, kv, 1);
    s3_call c;
    call_init(&c, s, "POST", j->fk, (const char *)q.data);
    c.payload_hash = ECL_SIGV4_EMPTY_SHA256;
    call_hdr(&c, "x-amz-meta-sha256", d->sha256_hex);
    if (s->ck == CK_CRC32C)
        call_hdr(&c, "x-amz-checksum-algorithm", "CRC32C");
    if (o && o->content_type)
        call_hdr(&c, "content-type", o->content_type);
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = call_do(&c, NULL, -1, 0, 0, false, &resp, e);
    if (!rc && resp.status >= 300)
        rc = s3_fail(s, "CreateMultipartUpload", j->fk, &resp, e);
    if (!rc) {
        const char *b = (const char *)resp.body.data;
        xml_get(b, b + resp.body.len, "UploadId", j->upload_id, sizeof j->upload_id);
        if (!j->upload_id[0])
            rc = ecl_err_set(e, ECL_EPERMANENT, "CreateMultipartUpload s3://%s/%s: no UploadId in the answer",
                             s->bucket, j->fk);
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    ecl_buf_release(&q);
    return rc;
}

static int complete_upload(s3_sink *s, mp_job *j, const ecl_local_digest *d, ecl_err *e)
{
    ecl_buf x = ECL_BUF_INIT;
    ecl_buf_puts(&x, "<CompleteMultipartUpload>");
    for (int i = 0; i < j->nparts; i++)
        ecl_buf_printf(&x, "<Part><PartNumber>%d</PartNumber><ETag>\"%s\"</ETag></Part>", i + 1, j->parts[i].etag);
    ecl_buf_puts(&x, "</CompleteMultipartUpload>");
    const char *kv[] = {"uploadId", j->upload_id};
    ecl_buf q = ECL_BUF_INIT;
    ecl_sigv4_query(&q, kv, 1);
    s3_call c;
    call_init(&c, s, "POST", j->fk, (const char *)q.data);
    char sha_hex[65];
    ecl_sha256_hex(x.data, x.len, sha_hex);
    c.payload_hash = sha_hex;
    call_hdr(&c, "content-type", "application/xml");
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = ecl_buf_oom(&x) ? ecl_err_set(e, ECL_ENOMEM, "out of memory")
                             : call_do(&c, x.data, -1, 0, x.len, true, &resp, e);
    if (!rc && resp.status >= 300) {
        rc = s3_fail(s, "CompleteMultipartUpload", j->fk, &resp, e);
    } else if (!rc && memmem(resp.body.data, resp.body.len, "<Error>", 7)) {
        ecl_http_s3_code((const char *)resp.body.data, resp.body.len, sha_hex, sizeof sha_hex);
        rc = ecl_err_set(e, ECL_ETRANSIENT, "CompleteMultipartUpload s3://%s/%s: %s", s->bucket, j->fk, sha_hex);
    }
    if (rc == ECL_ETRANSIENT || rc == ECL_ENOTFOUND) {
        /* Ambiguous: the first attempt may have completed the object. Believe only the object. */
        ecl_obj_info info;
        ecl_err he = ECL_ERR_INIT;
        if (head_full(s, j->fk, &info, &he) == 0 && info.size == d->size &&
            ((info.sha256_hex[0] && !strcasecmp(info.sha256_hex, d->sha256_hex)) ||
             (!info.sha256_hex[0] && !strcasecmp(info.etag, d->etag)))) {
            ecl_log(ECL_LOG_INFO, j->fk, "completion was ambiguous; the object is complete on the server");
            ecl_err_clear(e);
            rc = 0;
        }
    }
    ecl_http_resp_release(&resp);
    call_release(&c);
    ecl_buf_release(&q);
    ecl_buf_release(&x);
    return rc;
}

static int put_multipart(s3_sink *s, const char *fk, const body_src *b, const ecl_local_digest *d,
                         const ecl_put_opts *o, bool resume, ecl_err *e)
{
    mp_job j;
    memset(&j, 0, sizeof j);
    j.s = s;
    j.fk = fk;
    j.b = b;
    j.size = d->size;
    j.part_size = ecl_remote_part_size(&s->rb.cfg, d->size, 0);
    j.nparts = (int)((d->size + j.part_size - 1) / j.part_size);
    j.parts = calloc((size_t)j.nparts, sizeof *j.parts);
    j.remote = calloc((size_t)j.nparts, sizeof *j.remote);
    j.nremote = j.nparts;
    pthread_mutex_init(&j.mu, NULL);
    int rc = 0;
    if (!j.parts || !j.remote) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto done;
    }
    if (resume)
        find_resumable(s, &j);
    if (!j.upload_id[0] && (rc = create_upload(s, &j, d, o, e)))
        goto done;
    int nt = s->rb.cfg.jobs < j.nparts ? s->rb.cfg.jobs : j.nparts;
    if (nt < 1)
        nt = 1;
    pthread_t *th = calloc((size_t)nt, sizeof *th);
    if (!th) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto done;
    }
    int started = 0;
    for (int i = 0; i < nt; i++) {
        if (pthread_create(&th[i], NULL, part_worker, &j))
            break;
        started++;
    }
    if (started == 0)
        part_worker(&j);
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    if (j.failed) {
        rc = ecl_err_set(e, j.err.code ? j.err.code : ECL_EIO, "%s", j.err.msg);
        if (rc == ECL_ETRANSIENT || rc == ECL_EINTR) {
            ecl_log(ECL_LOG_WARN, fk, "multipart upload %s kept for resume by the next run", j.upload_id);
        } else {
            ecl_err ae = ECL_ERR_INIT;
            abort_upload(s, fk, j.upload_id, &ae);
        }
        goto done;
    }
    if (j.reused_bytes)
        ecl_log(ECL_LOG_INFO, fk, "resumed: %llu bytes were already on the server",
                (unsigned long long)j.reused_bytes);
    rc = complete_upload(s, &j, d, e);
done:
    pthread_mutex_destroy(&j.mu);
    free(j.parts);
    free(j.remote);
    return rc;
}

static int put_common(s3_sink *s, const char *key, const body_src *b, size_t memlen, const ecl_put_opts *o,
                      ecl_put_result *res, ecl_err *e)
{
    ecl_put_result dummy;
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof *res);
    char *fk = full_key(s, key);
    if (!fk)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    long r0 = ecl_http_retries(s->rb.http);
    ecl_local_digest d;
    bool skip = false;
    uint64_t size = memlen;
    struct stat st;
    if (b->fd >= 0 && fstat(b->fd, &st) == 0)
        size = (uint64_t)st.st_size;
    bool mp = size > s->rb.cfg.threshold;
    /* Single-part: only what the request headers need is computed before sending; the rest is
     * hashed while streaming and checked against the store's answer. Multipart: everything up front
     * (the parts' MD5s predict the ETag). */
    unsigned what = mp ? ECL_DIGEST_ALL
                    : s->ck == CK_MD5    ? ECL_DIGEST_MD5
                    : s->ck == CK_CRC32C ? ECL_DIGEST_CRC32C
                    : s->ck == CK_SHA256 ? ECL_DIGEST_SHA256
                                         : 0;
    int rc = ecl_remote_prepare_some(&s->rb.base, b->path, b->mem, memlen, key, o, what, &d, &skip, e);
    if (!rc && skip) {
        res->skipped = true;
        goto out;
    }
    if (!rc && !mp && d.size > s->rb.cfg.threshold) {
        mp = true; /* the file grew since it was sized */
        rc = ecl_sink_digest(&s->rb.base, b->path, b->mem, memlen, &d, e);
    }
    if (!rc) {
        if (mp) {
            rc = put_multipart(s, fk, b, &d, o, true, e);
            if (!rc)
                rc = verify_remote(s, fk, &d, e);
        } else {
            rc = put_single(s, fk, b, &d, o, e);
        }
        if (rc == ECL_EMISMATCH && mp) {
            /* a resumed upload may carry metadata of an older attempt: upload afresh once */
            ecl_log(ECL_LOG_WARN, fk, "%s; uploading again without resume", e->msg);
            ecl_err_clear(e);
            rc = put_multipart(s, fk, b, &d, o, false, e);
            if (!rc)
                rc = verify_remote(s, fk, &d, e);
        }
        if (!rc)
            res->bytes_sent = d.size;
    }
out:
    res->retries = (int)(ecl_http_retries(s->rb.http) - r0);
    free(fk);
    return rc;
}

static int s3_put_file(ecl_sink *sk, const char *path, const char *key, const ecl_put_opts *o, ecl_put_result *res,
                       ecl_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", path);
    body_src b = {path, NULL, fd};
    int rc = put_common((s3_sink *)sk, key, &b, 0, o, res, e);
    close(fd);
    return rc;
}

static int s3_put_bytes(ecl_sink *sk, const void *data, size_t n, const char *key, const ecl_put_opts *o,
                        ecl_put_result *res, ecl_err *e)
{
    static const uint8_t empty[1];
    body_src b = {NULL, n ? data : empty, -1};
    return put_common((s3_sink *)sk, key, &b, n, o, res, e);
}

static void s3_free(ecl_sink *sk)
{
    s3_sink *s = (s3_sink *)sk;
    if (!s)
        return;
    ecl_http_free(s->rb.http);
    pthread_mutex_destroy(&s->slots_mu);
    pthread_cond_destroy(&s->slots_cv);
    free(s->bucket);
    free(s->prefix);
    free(s->endpoint);
    free(s->host);
    free(s->region);
    ecl_awscreds_free(s->creds);
    free(s->rb.base.url);
    free(s);
}

static const ecl_sink_ops s3_ops = {"s3", s3_put_file, s3_put_bytes, s3_head, s3_get, s3_list, s3_del, s3_free};

int ecl_sink_cleanup_uploads(ecl_sink *sk, const char *prefix, double older_than_s, int *aborted, ecl_err *e)
{
    *aborted = 0;
    if (strcmp(sk->ops->scheme, "s3") != 0)
        return 0;
    s3_sink *s = (s3_sink *)sk;
    char *fp = full_key(s, prefix ? prefix : "");
    if (!fp)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    upload_ref *u = NULL;
    int n = 0;
    bool unsup = false;
    int rc = list_uploads(s, fp, &u, &n, &unsup, e);
    if (!rc && unsup)
        ecl_log(ECL_LOG_INFO, s->rb.base.url, "the endpoint cannot list unfinished uploads; none cleaned");
    time_t now = time(NULL);
    for (int i = 0; !rc && i < n; i++) {
        struct tm tm = {0};
        if (!strptime(u[i].initiated, "%Y-%m-%dT%H:%M:%S", &tm))
            continue;
        double age = difftime(now, timegm(&tm));
        if (age < older_than_s)
            continue;
        ecl_err ae = ECL_ERR_INIT;
        if (abort_upload(s, u[i].key, u[i].id, &ae) == 0) {
            (*aborted)++;
            ecl_log(ECL_LOG_INFO, u[i].key, "aborted unfinished upload %s started %s", u[i].id, u[i].initiated);
        } else {
            ecl_log(ECL_LOG_WARN, u[i].key, "cannot abort unfinished upload %s: %s", u[i].id, ae.msg);
        }
    }
    free(u);
    free(fp);
    return rc;
}

/* ---------- opening ---------- */

static char *home_path(const char *rel)
{
    const char *h = getenv("HOME");
    if (!h || !*h)
        return NULL;
    size_t n = strlen(h) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", h, rel);
    return p;
}

static const char *env_nonempty(const char *n)
{
    const char *v = getenv(n);
    return v && *v ? v : NULL;
}

static char *profile_region(const ecl_sink_opts *o)
{
    const char *profile = o && o->profile ? o->profile : env_nonempty("AWS_PROFILE");
    if (!profile)
        profile = env_nonempty("AWS_DEFAULT_PROFILE");
    const char *cf = env_nonempty("AWS_CONFIG_FILE");
    char *path = cf ? strdup(cf) : home_path(".aws/config");
    if (!path)
        return NULL;
    char sect[256];
    if (profile && strcmp(profile, "default"))
        snprintf(sect, sizeof sect, "profile %s", profile);
    else
        snprintf(sect, sizeof sect, "default");
    char *r = ecl_ini_get(path, sect, "region");
    free(path);
    return r;
}

int ecl_sink_open_s3(ecl_sink **out, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    *out = NULL;
    if (strncmp(url, "s3://", 5) != 0)
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not an s3:// URL", url);
    const char *bp = url + 5, *slash = strchr(bp, '/');
    size_t bl = slash ? (size_t)(slash - bp) : strlen(bp);
    if (bl < 3 || bl > 63)
        return ecl_err_set(e, ECL_EINVAL, "'%s': bucket names have 3 to 63 characters", url);
    s3_sink *s = calloc(1, sizeof *s);
    if (!s)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    s->rb.base.ops = &s3_ops;
    s->rb.multipart_etag = true;
    pthread_mutex_init(&s->slots_mu, NULL);
    pthread_cond_init(&s->slots_cv, NULL);
    int rc = 0;
    s->rb.base.url = strdup(url);
    s->bucket = strndup(bp, bl);
    /* prefix: without leading/trailing slashes, then one trailing slash */
    const char *pp = slash ? slash : "";
    while (*pp == '/')
        pp++;
    size_t pl = strlen(pp);
    while (pl && pp[pl - 1] == '/')
        pl--;
    s->prefix = malloc(pl + 2);
    if (s->prefix) {
        memcpy(s->prefix, pp, pl);
        if (pl)
            s->prefix[pl++] = '/';
        s->prefix[pl] = 0;
    }
    if (!s->rb.base.url || !s->bucket || !s->prefix) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto fail;
    }
    for (const char *c = s->bucket; *c; c++)
        if (!(islower((unsigned char)*c) || isdigit((unsigned char)*c) || *c == '-' || *c == '.' || *c == '_')) {
            rc = ecl_err_set(e, ECL_EINVAL, "'%s': invalid character '%c' in bucket name", url, *c);
            goto fail;
        }
    if ((rc = ecl_remote_cfg_load(&s->rb.cfg, o, 5ULL << 20, 0, e)))
        goto fail;
    /* region: flag > AWS_REGION > AWS_DEFAULT_REGION > profile config > us-east-1 */
    const char *reg = o && o->region ? o->region : env_nonempty("AWS_REGION");
    if (!reg)
        reg = env_nonempty("AWS_DEFAULT_REGION");
    s->region = reg ? strdup(reg) : profile_region(o);
    if (!s->region)
        s->region = strdup("us-east-1");
    const char *ep = o && o->endpoint_url ? o->endpoint_url : env_nonempty("AWS_ENDPOINT_URL_S3");
    if (!ep)
        ep = env_nonempty("AWS_ENDPOINT_URL");
    const char *addr = env_nonempty("ECOMLAKE_S3_ADDRESSING");
    if (addr && strcmp(addr, "auto") && strcmp(addr, "path") && strcmp(addr, "virtual")) {
        rc = ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_S3_ADDRESSING='%s': use auto, path or virtual", addr);
        goto fail;
    }
    bool force_path = (o && o->path_style) || (addr && !strcmp(addr, "path"));
    bool force_virtual = addr && !strcmp(addr, "virtual");
    char buf[1024];
    if (ep) {
        if (strncmp(ep, "http://", 7) && strncmp(ep, "https://", 8)) {
            rc = ecl_err_set(e, ECL_ECONFIG, "endpoint '%s' must start with http:// or https://", ep);
            goto fail;
        }
        size_t el = strlen(ep);
        while (el && ep[el - 1] == '/')
            el--;
        const char *hs = strstr(ep, "://") + 3;
        const char *he = memchr(hs, '/', el - (size_t)(hs - ep));
        if (!he)
            he = ep + el;
        s->path_style = !force_virtual;
        if (s->path_style) {
            s->endpoint = strndup(ep, (size_t)(he - ep));
            s->host = strndup(hs, (size_t)(he - hs));
        } else {
            snprintf(buf, sizeof buf, "%.*s%s.%.*s", (int)(hs - ep), ep, s->bucket, (int)(he - hs), hs);
            s->endpoint = strdup(buf);
            s->host = strdup(strstr(buf, "://") + 3);
        }
    } else {
        s->path_style = force_path || strchr(s->bucket, '.') != NULL;
        if (s->path_style)
            snprintf(buf, sizeof buf, "https://s3.%s.amazonaws.com", s->region);
        else
            snprintf(buf, sizeof buf, "https://%s.s3.%s.amazonaws.com", s->bucket, s->region);
        s->endpoint = strdup(buf);
        s->host = strdup(buf + 8);
    }
    if (!s->endpoint || !s->host || !s->region) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto fail;
    }
    const char *ck = env_nonempty("ECOMLAKE_S3_CHECKSUM");
    s->ck = CK_MD5;
    if (ck) {
        if (!strcmp(ck, "md5")) s->ck = CK_MD5;
        else if (!strcmp(ck, "crc32c")) s->ck = CK_CRC32C;
        else if (!strcmp(ck, "sha256")) s->ck = CK_SHA256;
        else if (!strcmp(ck, "off") || !strcmp(ck, "none")) s->ck = CK_OFF;
        else {
            rc = ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_S3_CHECKSUM='%s': use md5, crc32c, sha256 or off", ck);
            goto fail;
        }
    }
    s->max_keys = 1000;
    const char *mk = env_nonempty("ECOMLAKE_S3_MAX_KEYS");
    if (mk) {
        s->max_keys = atoi(mk);
        if (s->max_keys < 1 || s->max_keys > 1000) {
            rc = ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_S3_MAX_KEYS='%s': use 1 to 1000", mk);
            goto fail;
        }
    }
    s->slots = s->rb.cfg.jobs;
    if ((rc = ecl_awscreds_new(&s->creds, o ? o->profile : NULL, e)))
        goto fail;
    ecl_http_policy pol;
    if ((rc = ecl_http_policy_default(&pol, e)) || (rc = ecl_http_new(&s->rb.http, &pol, e)))
        goto fail;
    *out = &s->rb.base;
    return 0;
fail:
    s3_free(&s->rb.base);
    return rc;
}
