/* sink_gcs.c - Google Cloud Storage through the JSON API: small objects in one multipart request,
 * larger ones through a resumable session whose position is asked (Content-Range: bytes *&#47;N)
 * after a failure, so an interrupted chunk resumes where the server stands. Open sessions are
 * recorded on disk, so a crashed run's upload is continued by the next run. MD5 and CRC32C go with
 * every upload and are compared with what the server reports. See docs/object-storage.md. */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gauth.h"
#include "hash.h"
#include "http.h"
#include "io.h"
#include "log.h"
#include "remote.h"
#include "sigv4.h"

enum { SMALL_MAX = 8 << 20, CHUNK_ALIGN = 256 << 10 };
static const char BOUNDARY[] = "ecomlake-part-3b1f0c9d5e7a";

typedef struct gcs_sink {
    ecl_remote_base rb;
    char *bucket;
    char *prefix; /* "" or ends with '/' */
    char *base;   /* https://storage.googleapis.com or the emulator */
    ecl_gauth *auth;
    int max_results;
    char *session_dir; /* where open resumable sessions are recorded, NULL = nowhere */
} gcs_sink;

typedef struct g_call {
    gcs_sink *s;
    const char *content_type;
    char range[96];
    char token[4096];
    char extra[2][160];
    int nextra;
} g_call;

static int add(struct curl_slist **l, const char *line)
{
    struct curl_slist *t = curl_slist_append(*l, line);
    if (!t)
        return ECL_ENOMEM;
    *l = t;
    return 0;
}

static int g_sign(void *ctx, bool auth_retry, struct curl_slist **hdrs, ecl_err *e)
{
    g_call *c = ctx;
    int rc = ecl_gauth_token(c->s->auth, auth_retry ? c->token : NULL, c->token, sizeof c->token, e);
    if (rc)
        return rc;
    char line[4200];
    if (c->token[0]) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", c->token);
        rc |= add(hdrs, line);
    }
    if (c->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", c->content_type);
        rc |= add(hdrs, line);
    }
    if (c->range[0]) {
        snprintf(line, sizeof line, "Content-Range: %s", c->range);
        rc |= add(hdrs, line);
    }
    for (int i = 0; i < c->nextra; i++)
        rc |= add(hdrs, c->extra[i]);
    return rc ? ecl_err_set(e, ECL_ENOMEM, "out of memory") : 0;
}

static int g_do(gcs_sink *s, g_call *c, const char *method, const char *url, const void *mem, int fd, uint64_t off,
                uint64_t len, bool has_body, const char *subject, ecl_http_resp *resp, ecl_err *e)
{
    ecl_http_req r = {.method = method, .url = url, .mem = mem, .fd = fd, .off = off, .len = len,
                      .has_body = has_body, .sign = g_sign, .sign_ctx = c, .subject = subject,
                      .refresh_on_401 = true};
    s->rb.requests++;
    int rc = ecl_http_do(s->rb.http, &r, resp, e);
    if (!rc && has_body && resp->status < 400)
        s->rb.bytes_sent += len;
    return rc;
}

static int g_fail(gcs_sink *s, const char *op, const char *name, const ecl_http_resp *resp, ecl_err *e)
{
    json_t *j = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
    json_t *er = json_object_get(j, "error");
    const char *msg = json_string_value(json_object_get(er, "message"));
    char m[512];
    snprintf(m, sizeof m, "%s", msg ? msg : "");
    json_decref(j);
    long st = resp->status;
    int rc;
    if (st == 401)
        rc = ecl_err_set(e, ECL_EAUTH,
                         "%s gs://%s/%s: credentials refused even after a token refresh%s%s: check "
                         "GOOGLE_APPLICATION_CREDENTIALS or run 'gcloud auth application-default login'",
                         op, s->bucket, name ? name : "", m[0] ? ": " : "", m);
    else if (st == 403)
        rc = ecl_err_set(e, ECL_EPERM,
                         "%s gs://%s/%s: permission denied%s%s: the account (%s credentials) needs "
                         "roles/storage.objectAdmin on the bucket",
                         op, s->bucket, name ? name : "", m[0] ? ": " : "", m, ecl_gauth_kind(s->auth));
    else if (st == 404 && !name)
        rc = ecl_err_set(e, ECL_ENOTFOUND,
                         "bucket '%s' does not exist at %s: create it (gcloud storage buckets create gs://%s) or "
                         "fix the destination (--dest, --bucket)",
                         s->bucket, s->base, s->bucket);
    else if (st == 404)
        rc = ecl_err_set(e, ECL_ENOTFOUND, "gs://%s/%s not found", s->bucket, name);
    else
        rc = ecl_err_set(e, ECL_EPERMANENT, "%s gs://%s/%s: HTTP %ld%s%s", op, s->bucket, name ? name : "", st,
                         m[0] ? ": " : "", m);
    return rc;
}

static char *full_name(gcs_sink *s, const char *key)
{
    char *k = NULL;
    if (asprintf(&k, "%s%s", s->prefix, key) < 0)
        return NULL;
    return k;
}

static void obj_url(gcs_sink *s, const char *fname, const char *suffix, ecl_buf *u)
{
    ecl_buf_printf(u, "%s/storage/v1/b/%s/o/", s->base, s->bucket);
    ecl_uri_encode(u, fname, strlen(fname), false);
    ecl_buf_puts(u, suffix);
}

static void info_from_json(json_t *o, ecl_obj_info *info)
{
    memset(info, 0, sizeof *info);
    const char *sz = json_string_value(json_object_get(o, "size"));
    info->size = sz ? strtoull(sz, NULL, 10) : (uint64_t)json_integer_value(json_object_get(o, "size"));
    const char *md5 = json_string_value(json_object_get(o, "md5Hash"));
    if (md5) {
        /* md5Hash is base64; keep it comparable with our hex digests */
        static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        uint8_t raw[18];
        size_t n = 0;
        uint32_t acc = 0;
        int bits = 0;
        for (const char *p = md5; *p && *p != '=' && n < sizeof raw; p++) {
            const char *q = strchr(t, *p);
            if (!q)
                break;
            acc = acc << 6 | (uint32_t)(q - t);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                raw[n++] = (uint8_t)(acc >> bits);
            }
        }
        if (n == 16)
            ecl_hex(raw, 16, info->md5_hex);
    }
    const char *crc = json_string_value(json_object_get(o, "crc32c"));
    if (crc && strlen(crc) < sizeof info->crc32c_b64)
        snprintf(info->crc32c_b64, sizeof info->crc32c_b64, "%s", crc);
    const char *sha = json_string_value(json_object_get(json_object_get(o, "metadata"), "sha256"));
    if (sha && strlen(sha) == 64)
        snprintf(info->sha256_hex, sizeof info->sha256_hex, "%s", sha);
    const char *upd = json_string_value(json_object_get(o, "updated"));
    if (upd && strlen(upd) < sizeof info->modified)
        snprintf(info->modified, sizeof info->modified, "%s", upd);
}

static int head_name(gcs_sink *s, const char *fname, ecl_obj_info *info, ecl_err *e)
{
    ecl_buf u = ECL_BUF_INIT;
    obj_url(s, fname, "", &u);
    g_call c = {.s = s};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = g_do(s, &c, "GET", (const char *)u.data, NULL, -1, 0, 0, false, fname, &resp, e);
    if (!rc) {
        if (resp.status == 404) {
            json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
            const char *m = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
            bool bucket = m && strcasestr(m, "bucket");
            json_decref(j);
            rc = bucket ? g_fail(s, "GET", NULL, &resp, e)
                        : ecl_err_set(e, ECL_ENOTFOUND, "gs://%s/%s not found", s->bucket, fname);
        } else if (resp.status >= 300) {
            rc = g_fail(s, "GET", fname, &resp, e);
        } else {
            json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
            info_from_json(j, info);
            json_decref(j);
        }
    }
    ecl_http_resp_release(&resp);
    ecl_buf_release(&u);
    return rc;
}

static int gcs_head(ecl_sink *sk, const char *key, ecl_obj_info *info, ecl_err *e)
{
    gcs_sink *s = (gcs_sink *)sk;
    char *fn = full_name(s, key);
    if (!fn)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    int rc = head_name(s, fn, info, e);
    free(fn);
    return rc;
}

static int gcs_get(ecl_sink *sk, const char *key, ecl_buf *out, ecl_err *e)
{
    gcs_sink *s = (gcs_sink *)sk;
    char *fn = full_name(s, key);
    if (!fn)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_buf u = ECL_BUF_INIT;
    obj_url(s, fn, "?alt=media", &u);
    g_call c = {.s = s};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = g_do(s, &c, "GET", (const char *)u.data, NULL, -1, 0, 0, false, fn, &resp, e);
    if (!rc && resp.status >= 300)
        rc = g_fail(s, "GET", fn, &resp, e);
    else if (!rc && ecl_buf_append(out, resp.body.data, resp.body.len))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_http_resp_release(&resp);
    ecl_buf_release(&u);
    free(fn);
    return rc;
}

static int gcs_del(ecl_sink *sk, const char *key, ecl_err *e)
{
    gcs_sink *s = (gcs_sink *)sk;
    char *fn = full_name(s, key);
    if (!fn)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_buf u = ECL_BUF_INIT;
    obj_url(s, fn, "", &u);
    g_call c = {.s = s};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = g_do(s, &c, "DELETE", (const char *)u.data, NULL, -1, 0, 0, false, fn, &resp, e);
    if (!rc && resp.status >= 300 && resp.status != 404)
        rc = g_fail(s, "DELETE", fn, &resp, e);
    ecl_http_resp_release(&resp);
    ecl_buf_release(&u);
    free(fn);
    return rc;
}

static int gcs_list(ecl_sink *sk, const char *prefix, ecl_list_cb cb, void *ctx, ecl_err *e)
{
    gcs_sink *s = (gcs_sink *)sk;
    char *fp = full_name(s, prefix ? prefix : "");
    if (!fp)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    char *token = NULL;
    int rc = 0;
    size_t plen = strlen(s->prefix);
    char mr[16];
    snprintf(mr, sizeof mr, "%d", s->max_results);
    for (;;) {
        const char *kv[6] = {"prefix", fp, "maxResults", mr, "pageToken", token};
        ecl_buf q = ECL_BUF_INIT, u = ECL_BUF_INIT;
        ecl_sigv4_query(&q, kv, token ? 3 : 2);
        ecl_buf_printf(&u, "%s/storage/v1/b/%s/o?%s", s->base, s->bucket, (const char *)q.data);
        g_call c = {.s = s};
        ecl_http_resp resp;
        ecl_http_resp_init(&resp);
        rc = g_do(s, &c, "GET", (const char *)u.data, NULL, -1, 0, 0, false, s->bucket, &resp, e);
        if (!rc && resp.status >= 300)
            rc = g_fail(s, "LIST", NULL, &resp, e);
        json_t *j = rc ? NULL : json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        if (!rc && !j)
            rc = ecl_err_set(e, ECL_EFORMAT, "listing gs://%s: the answer is not JSON", s->bucket);
        size_t i;
        json_t *it;
        int stop = 0;
        json_array_foreach(json_object_get(j, "items"), i, it)
        {
            const char *name = json_string_value(json_object_get(it, "name"));
            if (!name || strncmp(name, s->prefix, plen) || stop)
                continue;
            ecl_obj_info info;
            info_from_json(it, &info);
            stop = cb(name + plen, &info, ctx);
        }
        const char *next = json_string_value(json_object_get(j, "nextPageToken"));
        free(token);
        token = next && !stop && !rc ? strdup(next) : NULL;
        json_decref(j);
        ecl_http_resp_release(&resp);
        ecl_buf_release(&q);
        ecl_buf_release(&u);
        if (rc || !token)
            break;
    }
    free(token);
    free(fp);
    return rc;
}

/* ---------- uploads ---------- */

static json_t *object_meta(const char *fname, const ecl_local_digest *d, const char *ct)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:{s:s}}", "name", fname, "contentType", ct, "md5Hash", d->md5_b64, "crc32c",
                     d->crc32c_b64, "metadata", "sha256", d->sha256_hex);
}

/* Compares the object resource the server answered with against the local digest. */
static int check_result(gcs_sink *s, const char *fname, const ecl_http_resp *resp, const ecl_local_digest *d,
                        ecl_err *e)
{
    json_t *j = json_loadb((const char *)resp->body.data, resp->body.len, 0, NULL);
    if (!j)
        return ecl_err_set(e, ECL_EFORMAT, "gs://%s/%s: the upload answer is not JSON", s->bucket, fname);
    ecl_obj_info info;
    info_from_json(j, &info);
    json_decref(j);
    if (info.size != d->size)
        return ecl_err_set(e, ECL_EMISMATCH, "gs://%s/%s holds %llu bytes after upload, expected %llu", s->bucket,
                           fname, (unsigned long long)info.size, (unsigned long long)d->size);
    if (info.md5_hex[0] && strcasecmp(info.md5_hex, d->md5_hex))
        return ecl_err_set(e, ECL_EMISMATCH, "gs://%s/%s: server MD5 %s differs from ours %s", s->bucket, fname,
                           info.md5_hex, d->md5_hex);
    if (info.crc32c_b64[0] && strcmp(info.crc32c_b64, d->crc32c_b64))
        return ecl_err_set(e, ECL_EMISMATCH, "gs://%s/%s: server CRC32C %s differs from ours %s", s->bucket, fname,
                           info.crc32c_b64, d->crc32c_b64);
    if (!info.md5_hex[0] && !info.crc32c_b64[0])
        return ecl_err_set(e, ECL_EMISMATCH, "gs://%s/%s: the server reported no checksum to verify", s->bucket,
                           fname);
    return 0;
}

static int read_all(int fd, uint64_t n, uint8_t *dst, const char *path, ecl_err *e)
{
    uint64_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, dst + got, (size_t)(n - got), (off_t)got);
        if (r <= 0)
            return ecl_err_errno(e, r < 0 ? errno : EIO, "cannot read '%s'", path);
        got += (uint64_t)r;
    }
    return 0;
}

static int put_small(gcs_sink *s, const char *fname, const char *path, int fd, const void *mem,
                     const ecl_local_digest *d, const char *ct, ecl_err *e)
{
    json_t *m = object_meta(fname, d, ct);
    char *ms = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    ecl_buf body = ECL_BUF_INIT, u = ECL_BUF_INIT;
    ecl_buf_printf(&body, "--%s\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n%s\r\n--%s\r\nContent-Type: %s\r\n\r\n",
                   BOUNDARY, ms ? ms : "{}", BOUNDARY, ct);
    free(ms);
    int rc = ecl_buf_grow(&body, (size_t)d->size + 64);
    if (rc)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    if (mem) {
        ecl_buf_append(&body, mem, (size_t)d->size);
    } else {
        rc = read_all(fd, d->size, body.data + body.len, path, e);
        if (!rc)
            ecl_buf_setlen(&body, body.len + (size_t)d->size);
    }
    ecl_buf_printf(&body, "\r\n--%s--\r\n", BOUNDARY);
    ecl_buf_printf(&u, "%s/upload/storage/v1/b/%s/o?uploadType=multipart", s->base, s->bucket);
    char ctype[128];
    snprintf(ctype, sizeof ctype, "multipart/related; boundary=%s", BOUNDARY);
    g_call c = {.s = s, .content_type = ctype};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    if (!rc && ecl_buf_oom(&body))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    if (!rc)
        rc = g_do(s, &c, "POST", (const char *)u.data, body.data, -1, 0, body.len, true, fname, &resp, e);
    if (!rc && resp.status >= 300)
        rc = g_fail(s, "upload", fname, &resp, e);
    if (!rc)
        rc = check_result(s, fname, &resp, d, e);
    ecl_http_resp_release(&resp);
    ecl_buf_release(&body);
    ecl_buf_release(&u);
    return rc;
}

typedef struct session {
    gcs_sink *s;
    const char *fname;
    char uri[2048];
    uint64_t size;
    uint64_t chunk;
    uint64_t persisted; /* what the server has */
    g_call call;
    bool done;
    ecl_http_resp final; /* the object resource once done */
    int status_queries;
    bool gone;    /* the server no longer knows the session (404/410) */
    char *record; /* path of the session's record on disk, or NULL */
} session;

/* Parses "bytes=0-N" of a 308 answer: the server holds N+1 bytes (0 without a Range header). */
static uint64_t persisted_from(const ecl_http_resp *r)
{
    char v[128];
    if (!ecl_http_header(r, "range", v, sizeof v))
        return 0;
    const char *dash = strchr(v, '-');
    return dash ? strtoull(dash + 1, NULL, 10) + 1 : 0;
}

static void set_range(session *ss, ecl_http_req *r)
{
    uint64_t n = ss->size - ss->persisted < ss->chunk ? ss->size - ss->persisted : ss->chunk;
    r->off = ss->persisted;
    r->len = n;
    if (ss->size == 0)
        snprintf(ss->call.range, sizeof ss->call.range, "bytes */0");
    else
        snprintf(ss->call.range, sizeof ss->call.range, "bytes %llu-%llu/%llu", (unsigned long long)ss->persisted,
                 (unsigned long long)(ss->persisted + n - 1), (unsigned long long)ss->size);
}

/* Asks the session where it stands (empty PUT, Content-Range: bytes *&#47;size). */
static int query_status(session *ss, ecl_err *e)
{
    g_call c = {.s = ss->s};
    snprintf(c.range, sizeof c.range, "bytes */%llu", (unsigned long long)ss->size);
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    ss->status_queries++;
    int rc = g_do(ss->s, &c, "PUT", ss->uri, NULL, -1, 0, 0, true, ss->fname, &resp, e);
    if (!rc) {
        if (resp.status == 308) {
            ss->persisted = persisted_from(&resp);
            ecl_log(ECL_LOG_INFO, ss->fname, "resumable session holds %llu of %llu bytes; resuming there",
                    (unsigned long long)ss->persisted, (unsigned long long)ss->size);
        } else if (resp.status == 200 || resp.status == 201) {
            ss->done = true;
            ecl_buf_clear(&ss->final.body);
            ecl_buf_append(&ss->final.body, resp.body.data, resp.body.len);
        } else if (resp.status == 404 || resp.status == 410) {
            ss->gone = true;
            rc = ecl_err_set(e, ECL_ETRANSIENT, "the upload session of gs://%s/%s expired (HTTP %ld)", ss->s->bucket,
                             ss->fname, resp.status);
        } else {
            rc = g_fail(ss->s, "upload status", ss->fname, &resp, e);
        }
    }
    ecl_http_resp_release(&resp);
    return rc;
}

/* ---------- session records: a resumable upload outlives the process that started it ----------
 * GCS keeps a session for a week, but only its URI leads back to it. From the moment a session
 * exists until its object is final, <state dir>/gcs-sessions/<hash of bucket and name>.json holds
 * the URI with what the upload is of (size, sha256, MD5, CRC32C, content type, creation time), so a
 * run killed mid-upload is continued by the next one instead of started over. The directory is
 * private (0700): a session URI lets anyone holding it write the object. */

enum { SESSION_MAX_AGE = 7 * 86400 - 3600 }; /* a week, less an hour of margin */

typedef struct sess_rec {
    char uri[2048];
    uint64_t size;
    char sha256_hex[65];
    long long created;
} sess_rec;

static char *record_path(gcs_sink *s, const char *fname)
{
    if (!s->session_dir)
        return NULL;
    ecl_buf k = ECL_BUF_INIT;
    ecl_buf_printf(&k, "%s\n%s\n%s", s->base, s->bucket, fname);
    uint8_t d[32];
    ecl_sha256(k.data, k.len, d);
    ecl_buf_release(&k);
    char hex[33], *p = NULL;
    ecl_hex(d, 16, hex);
    if (asprintf(&p, "%s/%s.json", s->session_dir, hex) < 0)
        p = NULL;
    return p;
}

/* Reads the record of bucket/fname; false when there is none or it is unusable (also when its
 * session lives at another endpoint than this sink's). */
static bool record_load(const char *path, const gcs_sink *s, const char *fname, sess_rec *r)
{
    const char *bucket = s->bucket;
    json_t *j = json_load_file(path, 0, NULL);
    if (!j)
        return false;
    const char *b = json_string_value(json_object_get(j, "bucket"));
    const char *n = json_string_value(json_object_get(j, "name"));
    const char *u = json_string_value(json_object_get(j, "session_uri"));
    const char *sha = json_string_value(json_object_get(j, "sha256"));
    json_t *sz = json_object_get(j, "size"), *cr = json_object_get(j, "created");
    bool ok = b && n && u && sha && json_is_integer(sz) && json_is_integer(cr) && !strcmp(b, bucket) &&
              !strcmp(n, fname) && strlen(u) < sizeof r->uri && strlen(sha) == 64 &&
              !strncmp(u, s->base, strlen(s->base));
    if (ok) {
        snprintf(r->uri, sizeof r->uri, "%s", u);
        snprintf(r->sha256_hex, sizeof r->sha256_hex, "%s", sha);
        r->size = (uint64_t)json_integer_value(sz);
        r->created = (long long)json_integer_value(cr);
    }
    json_decref(j);
    return ok;
}

static int ensure_session_dir(gcs_sink *s, ecl_err *e)
{
    char *parent = strdup(s->session_dir);
    if (!parent)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    char *slash = strrchr(parent, '/');
    int rc = 0;
    if (slash && slash != parent) {
        *slash = 0;
        rc = ecl_mkdirs(parent, e);
    }
    free(parent);
    if (!rc && mkdir(s->session_dir, 0700) != 0 && errno != EEXIST)
        rc = ecl_err_errno(e, errno, "cannot create '%s'", s->session_dir);
    return rc;
}

/* Records the open session durably before its first byte is sent. A failure costs only the
 * ability to resume after a crash, so it is logged and the upload goes on. */
static void record_save(session *ss, const ecl_local_digest *d, const char *ct)
{
    gcs_sink *s = ss->s;
    time_t now = time(NULL);
    struct tm tm;
    char at[32];
    gmtime_r(&now, &tm);
    strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *j = json_pack("{s:i,s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:I,s:s}", "version", 1, "bucket", s->bucket, "name",
                          ss->fname, "session_uri", ss->uri, "size", (json_int_t)d->size, "sha256", d->sha256_hex,
                          "md5", d->md5_b64, "crc32c", d->crc32c_b64, "content_type", ct, "created",
                          (json_int_t)now, "created_at", at);
    char *txt = j ? json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER) : NULL;
    json_decref(j);
    ecl_err e = ECL_ERR_INIT;
    int rc = txt ? ensure_session_dir(s, &e) : ecl_err_set(&e, ECL_ENOMEM, "out of memory");
    if (!rc)
        rc = ecl_write_file_atomic(ss->record, txt, strlen(txt), &e);
    free(txt);
    if (rc) {
        ecl_log(ECL_LOG_WARN, ss->fname, "cannot record the upload session (a crash would restart this object): %s",
                e.msg);
        free(ss->record);
        ss->record = NULL;
    }
}

static void record_drop(session *ss)
{
    if (ss->record && unlink(ss->record) != 0 && errno != ENOENT)
        ecl_log(ECL_LOG_WARN, ss->fname, "cannot remove the session record '%s': %s", ss->record, strerror(errno));
}

/* Cancels a session nobody will finish (DELETE answers 499 on GCS); best effort. */
static void cancel_session(gcs_sink *s, const char *uri, const char *fname)
{
    g_call c = {.s = s};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    ecl_err e = ECL_ERR_INIT;
    g_do(s, &c, "DELETE", uri, NULL, -1, 0, 0, false, fname, &resp, &e);
    ecl_http_resp_release(&resp);
}

/* Picks up the session an earlier run left for this object when the local bytes are still the same
 * and the session still lives. Returns 0 (ss->uri set when resumed) or an error that should stop
 * the upload (the record is kept for the next run). */
static int resume_recorded(session *ss, const ecl_local_digest *d, ecl_err *e)
{
    sess_rec rec;
    if (!ss->record || !record_load(ss->record, ss->s, ss->fname, &rec))
        return 0;
    long long age = (long long)time(NULL) - rec.created;
    if (rec.size != d->size || strcmp(rec.sha256_hex, d->sha256_hex)) {
        ecl_log(ECL_LOG_INFO, ss->fname, "the local bytes changed since an earlier run opened its upload session; "
                "starting over");
        cancel_session(ss->s, rec.uri, ss->fname);
    } else if (age > SESSION_MAX_AGE || age < -3600) {
        ecl_log(ECL_LOG_INFO, ss->fname, "the upload session of an earlier run is %lld hours old (sessions last a "
                "week); starting over", age / 3600);
    } else {
        snprintf(ss->uri, sizeof ss->uri, "%s", rec.uri);
        ecl_err qe = ECL_ERR_INIT;
        if (query_status(ss, &qe) == 0) {
            ecl_log(ECL_LOG_INFO, ss->fname, "continuing the upload session an earlier run opened %lld s ago", age);
            return 0;
        }
        if (!ss->gone) {
            ss->uri[0] = 0;
            return ecl_err_set(e, qe.code, "%s", qe.msg);
        }
        ecl_log(ECL_LOG_INFO, ss->fname, "the upload session of an earlier run is gone (%s); starting over", qe.msg);
        ss->gone = false;
        ss->uri[0] = 0;
        ss->persisted = 0;
    }
    record_drop(ss);
    return 0;
}

static int before_chunk_retry(void *ctx, ecl_http_req *r, ecl_err *e)
{
    session *ss = ctx;
    int rc = query_status(ss, e);
    if (rc)
        return rc;
    if (ss->done)
        return 1;
    set_range(ss, r);
    return 0;
}

/* Opens a resumable session for fname and records it. */
static int open_session(session *ss, const ecl_local_digest *d, const char *ct, ecl_err *e)
{
    gcs_sink *s = ss->s;
    const char *fname = ss->fname;
    json_t *m = object_meta(fname, d, ct);
    char *ms = json_dumps(m, JSON_COMPACT);
    json_decref(m);
    ecl_buf u = ECL_BUF_INIT, q = ECL_BUF_INIT;
    const char *kv[] = {"uploadType", "resumable", "name", fname};
    ecl_sigv4_query(&q, kv, 2);
    ecl_buf_printf(&u, "%s/upload/storage/v1/b/%s/o?%s", s->base, s->bucket, (const char *)q.data);
    g_call c = {.s = s, .content_type = "application/json; charset=UTF-8"};
    snprintf(c.extra[0], sizeof c.extra[0], "X-Upload-Content-Length: %llu", (unsigned long long)d->size);
    snprintf(c.extra[1], sizeof c.extra[1], "X-Upload-Content-Type: %s", ct);
    c.nextra = 2;
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = ms ? g_do(s, &c, "POST", (const char *)u.data, ms, -1, 0, strlen(ms), true, fname, &resp, e)
                : ecl_err_set(e, ECL_ENOMEM, "out of memory");
    free(ms);
    if (!rc && resp.status >= 300)
        rc = g_fail(s, "start upload", fname, &resp, e);
    if (!rc && !ecl_http_header(&resp, "location", ss->uri, sizeof ss->uri))
        rc = ecl_err_set(e, ECL_EPERMANENT, "gs://%s/%s: the upload session has no Location", s->bucket, fname);
    ecl_http_resp_release(&resp);
    ecl_buf_release(&u);
    ecl_buf_release(&q);
    if (!rc && ss->record)
        record_save(ss, d, ct);
    return rc;
}

static int put_resumable(gcs_sink *s, const char *fname, const char *path, int fd, const void *mem,
                         const ecl_local_digest *d, const char *ct, ecl_err *e)
{
    session ss;
    memset(&ss, 0, sizeof ss);
    ss.s = s;
    ss.fname = fname;
    ss.size = d->size;
    ss.chunk = d->size <= s->rb.cfg.threshold ? (d->size ? d->size : 1)
                                              : ecl_remote_part_size(&s->rb.cfg, d->size, CHUNK_ALIGN);
    ecl_http_resp_init(&ss.final);
    ss.record = record_path(s, fname);
    int rc = resume_recorded(&ss, d, e);
    if (!rc && !ss.uri[0])
        rc = open_session(&ss, d, ct, e);
    /* 2. send chunks; after a failure the session says where to go on */
    ecl_http_resp resp;
    ss.call.s = s;
    ss.call.content_type = ct;
    while (!rc && !ss.done) {
        ecl_http_req r = {.method = "PUT", .url = ss.uri, .mem = mem, .fd = mem ? -1 : fd, .has_body = true,
                          .sign = g_sign, .sign_ctx = &ss.call, .subject = fname, .refresh_on_401 = true,
                          .before_retry = before_chunk_retry, .retry_ctx = &ss};
        set_range(&ss, &r);
        ecl_http_resp_init(&resp);
        s->rb.requests++;
        uint64_t sent_from = ss.persisted;
        rc = ecl_http_do(s->rb.http, &r, &resp, e);
        if (!rc && ss.done) {
            /* the status query found the upload complete */
        } else if (!rc && resp.status == 308) {
            uint64_t p = persisted_from(&resp);
            s->rb.bytes_sent += p > sent_from ? p - sent_from : 0;
            ss.persisted = p;
        } else if (!rc && (resp.status == 200 || resp.status == 201)) {
            s->rb.bytes_sent += ss.size - sent_from;
            ss.done = true;
            ecl_buf_clear(&ss.final.body);
            ecl_buf_append(&ss.final.body, resp.body.data, resp.body.len);
        } else if (!rc && (resp.status == 404 || resp.status == 410)) {
            ss.gone = true;
            rc = ecl_err_set(e, ECL_ETRANSIENT, "the upload session of gs://%s/%s expired (HTTP %ld); a re-run "
                             "starts the object over", s->bucket, fname, resp.status);
        } else if (!rc) {
            rc = g_fail(s, "upload", fname, &resp, e);
        }
        ecl_http_resp_release(&resp);
    }
    (void)path;
    if (ss.done || ss.gone)
        record_drop(&ss); /* the session is final (or dead): nothing left to resume */
    free(ss.record);
    if (!rc)
        rc = check_result(s, fname, &ss.final, d, e);
    ecl_http_resp_release(&ss.final);
    return rc;
}

static int put_common(gcs_sink *s, const char *key, const char *path, int fd, const void *mem, size_t n,
                      const ecl_put_opts *o, ecl_put_result *res, ecl_err *e)
{
    ecl_put_result dummy;
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof *res);
    char *fn = full_name(s, key);
    if (!fn)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    long r0 = ecl_http_retries(s->rb.http);
    ecl_local_digest d;
    bool skip = false;
    int rc = ecl_remote_prepare(&s->rb.base, path, mem, n, key, o, &d, &skip, e);
    if (!rc && skip) {
        res->skipped = true;
        goto out;
    }
    if (!rc) {
        const char *ct = o && o->content_type ? o->content_type : "application/octet-stream";
        bool small = d.size <= s->rb.cfg.threshold && d.size <= SMALL_MAX;
        rc = small ? put_small(s, fn, path, fd, mem, &d, ct, e) : put_resumable(s, fn, path, fd, mem, &d, ct, e);
        if (!rc)
            res->bytes_sent = d.size;
    }
out:
    res->retries = (int)(ecl_http_retries(s->rb.http) - r0);
    free(fn);
    return rc;
}

static int gcs_put_file(ecl_sink *sk, const char *path, const char *key, const ecl_put_opts *o, ecl_put_result *res,
                        ecl_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot open '%s'", path);
    int rc = put_common((gcs_sink *)sk, key, path, fd, NULL, 0, o, res, e);
    close(fd);
    return rc;
}

static int gcs_put_bytes(ecl_sink *sk, const void *data, size_t n, const char *key, const ecl_put_opts *o,
                         ecl_put_result *res, ecl_err *e)
{
    static const uint8_t empty[1];
    return put_common((gcs_sink *)sk, key, NULL, -1, n ? data : empty, n, o, res, e);
}

static void gcs_free(ecl_sink *sk)
{
    gcs_sink *s = (gcs_sink *)sk;
    if (!s)
        return;
    ecl_gauth_free(s->auth);
    ecl_http_free(s->rb.http);
    free(s->bucket);
    free(s->prefix);
    free(s->base);
    free(s->session_dir);
    free(s->rb.base.url);
    free(s);
}

static const ecl_sink_ops gcs_ops = {"gs", gcs_put_file, gcs_put_bytes, gcs_head, gcs_get, gcs_list, gcs_del, gcs_free};

int ecl_sink_open_gs(ecl_sink **out, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    *out = NULL;
    if (strncmp(url, "gs://", 5) != 0)
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not a gs:// URL", url);
    const char *bp = url + 5, *slash = strchr(bp, '/');
    size_t bl = slash ? (size_t)(slash - bp) : strlen(bp);
    if (bl < 3 || bl > 222)
        return ecl_err_set(e, ECL_EINVAL, "'%s': bucket names have 3 to 222 characters", url);
    gcs_sink *s = calloc(1, sizeof *s);
    if (!s)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    s->rb.base.ops = &gcs_ops;
    s->rb.base.url = strdup(url);
    s->bucket = strndup(bp, bl);
    const char *pp = slash ? slash : "";
    while (*pp == '/')
        pp++;
    size_t pl = strlen(pp);
    while (pl && pp[pl - 1] == '/')
        pl--;
    if (asprintf(&s->prefix, "%.*s%s", (int)pl, pp, pl ? "/" : "") < 0)
        s->prefix = NULL;
    int rc = 0;
    if (!s->rb.base.url || !s->bucket || !s->prefix) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto fail;
    }
    if ((rc = ecl_remote_cfg_load(&s->rb.cfg, o, CHUNK_ALIGN, CHUNK_ALIGN, e)))
        goto fail;
    const char *emu = getenv("STORAGE_EMULATOR_HOST");
    if (emu && *emu) {
        size_t el = strlen(emu);
        while (el && emu[el - 1] == '/')
            el--;
        if (asprintf(&s->base, "%s%.*s", strncmp(emu, "http", 4) ? "http://" : "", (int)el, emu) < 0)
            s->base = NULL;
    } else {
        s->base = strdup("https://storage.googleapis.com");
    }
    /* open resumable sessions are recorded next to the backfill state and staging (.ecomlake) */
    const char *sd = getenv("ECOMLAKE_STATE_DIR");
    if (!sd || !*sd)
        sd = ".ecomlake";
    if (strcmp(sd, "off") && asprintf(&s->session_dir, "%s/gcs-sessions", sd) < 0) {
        s->session_dir = NULL;
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto fail;
    }
    s->max_results = 1000;
    const char *mr = getenv("ECOMLAKE_GCS_MAX_RESULTS");
    if (mr && *mr) {
        s->max_results = atoi(mr);
        if (s->max_results < 1 || s->max_results > 1000) {
            rc = ecl_err_set(e, ECL_ECONFIG, "ECOMLAKE_GCS_MAX_RESULTS='%s': use 1 to 1000", mr);
            goto fail;
        }
    }
    ecl_http_policy pol;
    if ((rc = ecl_http_policy_default(&pol, e)) || (rc = ecl_http_new(&s->rb.http, &pol, e)) ||
        (rc = ecl_gauth_new(&s->auth, s->rb.http, emu && *emu, e)))
        goto fail;
    *out = &s->rb.base;
    return 0;
fail:
    gcs_free(&s->rb.base);
    return rc;
}
