#include "gauth.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define SCOPE "https://www.googleapis.com/auth/devstorage.read_write"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"

typedef enum { K_NONE, K_SA, K_USER, K_METADATA } kind_t;

struct ecl_gauth {
    kind_t kind;
    ecl_http *http;
    char *source; /* file or host, for messages */
    char *email, *key_pem, *key_id, *token_uri;
    char *client_id, *client_secret, *refresh_token;
    char *metadata_url;
    pthread_mutex_t mu;
    char token[4096];
    double expiry;   /* monotonic seconds */
    double lifetime;
    long refreshes;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void ecl_base64url(const unsigned char *p, size_t n, ecl_buf *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char c[4] = {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63], t[v & 63]};
        ecl_buf_append(out, c, 4);
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        char c[2] = {t[v >> 18], t[(v >> 12) & 63]};
        ecl_buf_append(out, c, 2);
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        char c[3] = {t[v >> 18], t[(v >> 12) & 63], t[(v >> 6) & 63]};
        ecl_buf_append(out, c, 3);
    }
}

double ecl_gauth_refresh_margin(double lifetime_s)
{
    double m = lifetime_s / 5;
    return m < 300 ? m : 300;
}

int ecl_gauth_jwt(const char *email, const char *pem, const char *kid, const char *scope, const char *aud,
                  time_t now, int lifetime_s, ecl_buf *out, ecl_err *e)
{
    json_t *h = json_pack("{s:s,s:s}", "alg", "RS256", "typ", "JWT");
    if (kid && *kid)
        json_object_set_new(h, "kid", json_string(kid));
    json_t *c = json_pack("{s:s,s:s,s:s,s:I,s:I}", "iss", email, "scope", scope, "aud", aud, "iat", (json_int_t)now,
                          "exp", (json_int_t)(now + lifetime_s));
    char *hs = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS), *cs = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(h);
    json_decref(c);
    int rc = 0;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    unsigned char *sig = NULL;
    if (!hs || !cs) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        goto done;
    }
    ecl_base64url((const unsigned char *)hs, strlen(hs), out);
    ecl_buf_putc(out, '.');
    ecl_base64url((const unsigned char *)cs, strlen(cs), out);
    BIO *bio = BIO_new_mem_buf(pem, -1);
    key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    if (!key) {
        rc = ecl_err_set(e, ECL_EAUTH, "the service-account private_key is not a PEM private key");
        goto done;
    }
    md = EVP_MD_CTX_new();
    size_t sl = 0;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, NULL, &sl, out->data, out->len) != 1 || !(sig = malloc(sl)) ||
        EVP_DigestSign(md, sig, &sl, out->data, out->len) != 1) {
        rc = ecl_err_set(e, ECL_EAUTH, "cannot sign the token request with the service-account key");
        goto done;
    }
    ecl_buf_putc(out, '.');
    ecl_base64url(sig, sl, out);
    if (ecl_buf_oom(out))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
done:
    free(sig);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(hs);
    free(cs);
    return rc;
}

static char *jstr(json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? strdup(v) : NULL;
}

static int load_file(ecl_gauth *g, const char *path, bool *found, ecl_err *e)
{
    json_error_t je;
    FILE *f = fopen(path, "r");
    *found = f != NULL;
    if (!f)
        return 0;
    json_t *j = json_loadf(f, 0, &je);
    fclose(f);
    if (!j)
        return ecl_err_set(e, ECL_EAUTH, "'%s' is not valid JSON (line %d: %s)", path, je.line, je.text);
    const char *type = json_string_value(json_object_get(j, "type"));
    int rc = 0;
    g->source = strdup(path);
    if (type && !strcmp(type, "service_account")) {
        g->kind = K_SA;
        g->email = jstr(j, "client_email");
        g->key_pem = jstr(j, "private_key");
        g->key_id = jstr(j, "private_key_id");
        g->token_uri = jstr(j, "token_uri");
        if (!g->email || !g->key_pem)
            rc = ecl_err_set(e, ECL_EAUTH, "service-account key '%s' lacks client_email or private_key", path);
    } else if (type && !strcmp(type, "authorized_user")) {
        g->kind = K_USER;
        g->client_id = jstr(j, "client_id");
        g->client_secret = jstr(j, "client_secret");
        g->refresh_token = jstr(j, "refresh_token");
        g->token_uri = jstr(j, "token_uri");
        if (!g->client_id || !g->client_secret || !g->refresh_token)
            rc = ecl_err_set(e, ECL_EAUTH,
                             "'%s' lacks client_id, client_secret or refresh_token: run 'gcloud auth "
                             "application-default login' again",
                             path);
    } else {
        rc = ecl_err_set(e, ECL_EAUTH, "'%s': credential type '%s' is not supported (use a service-account key or "
                         "'gcloud auth application-default login')", path, type ? type : "?");
    }
    if (!rc && !g->token_uri)
        g->token_uri = strdup(DEFAULT_TOKEN_URI);
    json_decref(j);
    return rc;
}

int ecl_gauth_new(ecl_gauth **out, ecl_http *http, bool anonymous_ok, ecl_err *e)
{
    *out = NULL;
    ecl_gauth *g = calloc(1, sizeof *g);
    if (!g)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    g->http = http;
    pthread_mutex_init(&g->mu, NULL);
    int rc = 0;
    bool found = false;
    const char *gac = getenv("GOOGLE_APPLICATION_CREDENTIALS");
    if (gac && *gac) {
        rc = load_file(g, gac, &found, e);
        if (!rc && !found)
            rc = ecl_err_set(e, ECL_EAUTH, "GOOGLE_APPLICATION_CREDENTIALS names '%s', which cannot be read", gac);
    } else {
        char path[4096];
        const char *cfg = getenv("CLOUDSDK_CONFIG"), *home = getenv("HOME");
        if (cfg && *cfg)
            snprintf(path, sizeof path, "%s/application_default_credentials.json", cfg);
        else
            snprintf(path, sizeof path, "%s/.config/gcloud/application_default_credentials.json", home ? home : "");
        rc = load_file(g, path, &found, e);
        if (!rc && !found) {
            const char *mh = getenv("GCE_METADATA_HOST");
            if (mh && *mh) {
                char url[1024];
                snprintf(url, sizeof url, "%s%s/computeMetadata/v1/instance/service-accounts/default/token",
                         strncmp(mh, "http", 4) ? "http://" : "", mh);
                g->kind = K_METADATA;
                g->metadata_url = strdup(url);
                g->source = strdup(mh);
            } else if (anonymous_ok) {
                g->kind = K_NONE;
            } else {
                rc = ecl_err_set(e, ECL_EAUTH,
                                 "no Google credentials: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key "
                                 "file, run 'gcloud auth application-default login', or run on a machine with a "
                                 "metadata server (GCE_METADATA_HOST)");
            }
        }
    }
    if (rc) {
        ecl_gauth_free(g);
        return rc;
    }
    *out = g;
    return 0;
}

void ecl_gauth_free(ecl_gauth *g)
{
    if (!g)
        return;
    if (g->key_pem)
        memset(g->key_pem, 0, strlen(g->key_pem));
    if (g->client_secret)
        memset(g->client_secret, 0, strlen(g->client_secret));
    if (g->refresh_token)
        memset(g->refresh_token, 0, strlen(g->refresh_token));
    free(g->source);
    free(g->email);
    free(g->key_pem);
    free(g->key_id);
    free(g->token_uri);
    free(g->client_id);
    free(g->client_secret);
    free(g->refresh_token);
    free(g->metadata_url);
    pthread_mutex_destroy(&g->mu);
    memset(g->token, 0, sizeof g->token);
    free(g);
}

const char *ecl_gauth_kind(const ecl_gauth *g)
{
    static const char *const n[] = {"none", "service_account", "authorized_user", "metadata"};
    return n[g->kind];
}

long ecl_gauth_refreshes(ecl_gauth *g)
{
    pthread_mutex_lock(&g->mu);
    long r = g->refreshes;
    pthread_mutex_unlock(&g->mu);
    return r;
}

typedef struct tok_req {
    const char *content_type;
    bool metadata;
} tok_req;

static int tok_sign(void *ctx, bool auth_retry, struct curl_slist **hdrs, ecl_err *e)
{
    (void)auth_retry;
    tok_req *t = ctx;
    const char *h = t->metadata ? "Metadata-Flavor: Google" : t->content_type;
    struct curl_slist *n = curl_slist_append(*hdrs, h);
    if (!n)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    *hdrs = n;
    return 0;
}

static void form_add(ecl_buf *b, const char *k, const char *v)
{
    if (b->len)
        ecl_buf_putc(b, '&');
    ecl_buf_puts(b, k);
    ecl_buf_putc(b, '=');
    char *esc = curl_easy_escape(NULL, v, 0);
    ecl_buf_puts(b, esc ? esc : "");
    curl_free(esc);
}

static const char *advice(const ecl_gauth *g)
{
    switch (g->kind) {
    case K_USER: return "run 'gcloud auth application-default login' again";
    case K_SA: return "the service-account key may be deleted or disabled: create a new key "
                      "(gcloud iam service-accounts keys create) and point GOOGLE_APPLICATION_CREDENTIALS at it";
    case K_METADATA: return "check the instance's service account and its scopes";
    default: return "set GOOGLE_APPLICATION_CREDENTIALS";
    }
}

/* Fetches a new token; called with g->mu held (single flight). */
static int refresh(ecl_gauth *g, ecl_err *e)
{
    ecl_buf body = ECL_BUF_INIT;
    tok_req t = {"Content-Type: application/x-www-form-urlencoded", g->kind == K_METADATA};
    int rc = 0;
    const char *url = g->kind == K_METADATA ? g->metadata_url : g->token_uri;
    if (g->kind == K_SA) {
        ecl_buf jwt = ECL_BUF_INIT;
        rc = ecl_gauth_jwt(g->email, g->key_pem, g->key_id, SCOPE, g->token_uri, time(NULL), 3600, &jwt, e);
        if (!rc) {
            form_add(&body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
            form_add(&body, "assertion", (const char *)jwt.data);
        }
        ecl_buf_release(&jwt);
    } else if (g->kind == K_USER) {
        form_add(&body, "grant_type", "refresh_token");
        form_add(&body, "client_id", g->client_id);
        form_add(&body, "client_secret", g->client_secret);
        form_add(&body, "refresh_token", g->refresh_token);
    }
    if (rc) {
        ecl_buf_release(&body);
        return rc;
    }
    ecl_http_req r = {.method = g->kind == K_METADATA ? "GET" : "POST", .url = url, .mem = body.data, .fd = -1,
                      .len = body.len, .has_body = g->kind != K_METADATA, .sign = tok_sign, .sign_ctx = &t,
                      .subject = "oauth2 token", .max_body = 1 << 20};
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    double t0 = mono();
    rc = ecl_http_do(g->http, &r, &resp, e);
    if (rc == ECL_ETRANSIENT) {
        ecl_err_prefix(e, "cannot refresh the Google access token from '%s' (finished objects are kept; re-run to "
                       "resume)", url);
    } else if (!rc && resp.status != 200) {
        json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        const char *err = j ? json_string_value(json_object_get(j, "error")) : NULL;
        const char *desc = j ? json_string_value(json_object_get(j, "error_description")) : NULL;
        rc = ecl_err_set(e, ECL_EAUTH, "token refresh refused by '%s' (HTTP %ld%s%s%s%s): %s", url, resp.status,
                         err ? " " : "", err ? err : "", desc ? ": " : "", desc ? desc : "", advice(g));
        json_decref(j);
    } else if (!rc) {
        json_t *j = json_loadb((const char *)resp.body.data, resp.body.len, 0, NULL);
        const char *tok = j ? json_string_value(json_object_get(j, "access_token")) : NULL;
        json_int_t exp = j ? json_integer_value(json_object_get(j, "expires_in")) : 0;
        if (!tok || strlen(tok) >= sizeof g->token || exp <= 0) {
            rc = ecl_err_set(e, ECL_EAUTH, "'%s' answered without a usable access_token/expires_in", url);
        } else {
            snprintf(g->token, sizeof g->token, "%s", tok);
            g->lifetime = (double)exp;
            g->expiry = t0 + (double)exp;
            g->refreshes++;
            ecl_log(ECL_LOG_INFO, "oauth2 token", "new access token from %s, valid %lld s", ecl_gauth_kind(g),
                    (long long)exp);
        }
        json_decref(j);
    }
    ecl_http_resp_release(&resp);
    ecl_buf_release(&body);
    return rc;
}

int ecl_gauth_token(ecl_gauth *g, const char *refused, char *out, size_t cap, ecl_err *e)
{
    if (g->kind == K_NONE) {
        if (cap)
            out[0] = 0;
        return 0;
    }
    pthread_mutex_lock(&g->mu);
    int rc = 0;
    bool stale = !g->token[0] || mono() >= g->expiry - ecl_gauth_refresh_margin(g->lifetime);
    if (refused && !strcmp(refused, g->token))
        stale = true; /* nobody replaced the refused token yet */
    if (stale)
        rc = refresh(g, e);
    if (!rc)
        snprintf(out, cap, "%s", g->token);
    pthread_mutex_unlock(&g->mu);
    return rc;
}
