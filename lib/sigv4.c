#include "sigv4.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"

void ecl_uri_encode(ecl_buf *out, const char *s, size_t n, bool keep_slash)
{
    static const char hexd[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
            ecl_buf_putc(out, c);
        } else {
            char t[3] = {'%', hexd[c >> 4], hexd[c & 15]};
            ecl_buf_append(out, t, 3);
        }
    }
}

typedef struct qpair {
    char *name;
    char *value;
} qpair;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
    ecl_buf b = ECL_BUF_INIT;
    ecl_uri_encode(&b, s ? s : "", s ? strlen(s) : 0, false);
    if (ecl_buf_oom(&b)) {
        ecl_buf_release(&b);
        return NULL;
    }
    size_t n;
    char *r = (char *)ecl_buf_detach(&b, &n);
    return r ? r : strdup("");
}

int ecl_sigv4_query(ecl_buf *out, const char *const *kv, size_t n)
{
    if (n == 0)
        return 0;
    qpair *p = calloc(n, sizeof *p);
    if (!p)
        return ECL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        p[i].name = encode_dup(kv[2 * i]);
        p[i].value = encode_dup(kv[2 * i + 1]);
        if (!p[i].name || !p[i].value)
            rc = ECL_ENOMEM;
    }
    if (!rc) {
        qsort(p, n, sizeof *p, qpair_cmp);
        for (size_t i = 0; i < n; i++)
            ecl_buf_printf(out, "%s%s=%s", i ? "&" : "", p[i].name, p[i].value);
        if (ecl_buf_oom(out))
            rc = ECL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        free(p[i].name);
        free(p[i].value);
    }
    free(p);
    return rc;
}

void ecl_sigv4_date(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

typedef struct hdr {
    char *name;
    const char *value;
} hdr;

static int hdr_cmp(const void *a, const void *b) { return strcmp(((const hdr *)a)->name, ((const hdr *)b)->name); }

/* Trims and folds runs of spaces, as the canonical header form requires. */
static void put_folded(ecl_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == ' ' || v[i] == '\t') {
            space = true;
            continue;
        }
        if (space)
            ecl_buf_putc(out, ' ');
        space = false;
        ecl_buf_putc(out, (uint8_t)v[i]);
    }
}

int ecl_sigv4_canonical(const ecl_sigv4_req *r, ecl_buf *out, ecl_buf *signed_headers)
{
    hdr *h = calloc(r->nheaders ? r->nheaders : 1, sizeof *h);
    if (!h)
        return ECL_ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        h[i].name = strdup(r->headers[i].name);
        if (!h[i].name) {
            rc = ECL_ENOMEM;
            break;
        }
        for (char *c = h[i].name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        h[i].value = r->headers[i].value ? r->headers[i].value : "";
    }
    if (!rc) {
        qsort(h, r->nheaders, sizeof *h, hdr_cmp);
        ecl_buf_printf(out, "%s\n%s\n%s\n", r->method, r->canonical_uri[0] ? r->canonical_uri : "/",
                       r->canonical_query ? r->canonical_query : "");
        for (size_t i = 0; i < r->nheaders; i++) {
            ecl_buf_printf(out, "%s:", h[i].name);
            put_folded(out, h[i].value);
            ecl_buf_putc(out, '\n');
        }
        ecl_buf_putc(out, '\n');
        for (size_t i = 0; i < r->nheaders; i++) {
            ecl_buf_printf(out, "%s%s", i ? ";" : "", h[i].name);
            ecl_buf_printf(signed_headers, "%s%s", i ? ";" : "", h[i].name);
        }
        ecl_buf_printf(out, "\n%s", r->payload_hash);
        if (ecl_buf_oom(out) || ecl_buf_oom(signed_headers))
            rc = ECL_ENOMEM;
    }
    for (size_t i = 0; i < r->nheaders; i++)
        free(h[i].name);
    free(h);
    return rc;
}

static void hmac(const void *key, size_t klen, const void *msg, size_t mlen, uint8_t out[32])
{
    unsigned int n = 32;
    HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &n);
}

void ecl_sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    ecl_sha256(p, n, d);
    ecl_hex(d, 32, out);
}

int ecl_sigv4_authorization(const ecl_sigv4_req *r, ecl_buf *out)
{
    ecl_buf canon = ECL_BUF_INIT, sh = ECL_BUF_INIT, sts = ECL_BUF_INIT;
    int rc = ecl_sigv4_canonical(r, &canon, &sh);
    if (rc)
        goto done;
    char date[9];
    memcpy(date, r->amz_date, 8);
    date[8] = 0;
    char chash[65];
    ecl_sha256_hex(canon.data, canon.len, chash);
    ecl_buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, date, r->region,
                   r->service, chash);
    size_t sl = strlen(r->secret_key);
    char *k0 = malloc(sl + 5);
    if (!k0 || ecl_buf_oom(&sts)) {
        free(k0);
        rc = ECL_ENOMEM;
        goto done;
    }
    memcpy(k0, "AWS4", 4);
    memcpy(k0 + 4, r->secret_key, sl + 1);
    uint8_t k[32], sig[32];
    hmac(k0, sl + 4, date, 8, k);
    OPENSSL_cleanse(k0, sl + 4);
    free(k0);
    hmac(k, 32, r->region, strlen(r->region), k);
    hmac(k, 32, r->service, strlen(r->service), k);
    hmac(k, 32, "aws4_request", 12, k);
    hmac(k, 32, sts.data, sts.len, sig);
    OPENSSL_cleanse(k, sizeof k);
    char sighex[65];
    ecl_hex(sig, 32, sighex);
    ecl_buf_printf(out, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, SignedHeaders=%s, Signature=%s",
                   r->access_key, date, r->region, r->service, (const char *)sh.data, sighex);
    if (ecl_buf_oom(out))
        rc = ECL_ENOMEM;
done:
    ecl_buf_release(&canon);
    ecl_buf_release(&sh);
    ecl_buf_release(&sts);
    return rc;
}
