/* The service-account JWT (RS256) and the refresh schedule of Google tokens. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/gauth.h"

static size_t b64url_decode(const char *s, size_t n, unsigned char *out)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *q = strchr(t, s[i]);
        assert_non_null(q);
        acc = acc << 6 | (uint32_t)(q - t);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

static void base64url_forms(void **state)
{
    (void)state;
    ecl_buf b = ECL_BUF_INIT;
    ecl_base64url((const unsigned char *)"\xfb\xff", 2, &b);
    assert_string_equal((const char *)b.data, "-_8");
    ecl_buf_clear(&b);
    ecl_base64url((const unsigned char *)"abc", 3, &b);
    assert_string_equal((const char *)b.data, "YWJj");
    ecl_buf_release(&b);
}

static void jwt_is_signed_rs256(void **state)
{
    (void)state;
    EVP_PKEY *key = EVP_RSA_gen(2048);
    assert_non_null(key);
    BIO *bio = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
    char *pem;
    long pl = BIO_get_mem_data(bio, &pem);
    char *pemz = strndup(pem, (size_t)pl);
    ecl_buf jwt = ECL_BUF_INIT;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_gauth_jwt("sa@p.iam.gserviceaccount.com", pemz, "kid1", "scope-x",
                                   "https://oauth2.example/token", 1700000000, 3600, &jwt, &e),
                     0);
    const char *s = (const char *)jwt.data;
    const char *d1 = strchr(s, '.'), *d2 = strrchr(s, '.');
    assert_true(d1 && d2 && d1 != d2);
    unsigned char buf[1024];
    size_t n = b64url_decode(s, (size_t)(d1 - s), buf);
    json_t *h = json_loadb((const char *)buf, n, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "kid1");
    json_decref(h);
    n = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf);
    json_t *c = json_loadb((const char *)buf, n, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(c, "iss")), "sa@p.iam.gserviceaccount.com");
    assert_string_equal(json_string_value(json_object_get(c, "aud")), "https://oauth2.example/token");
    assert_string_equal(json_string_value(json_object_get(c, "scope")), "scope-x");
    assert_int_equal(json_integer_value(json_object_get(c, "iat")), 1700000000);
    assert_int_equal(json_integer_value(json_object_get(c, "exp")), 1700003600);
    json_decref(c);
    unsigned char sig[512];
    size_t sl = b64url_decode(d2 + 1, strlen(d2 + 1), sig);
    assert_int_equal(sl, 256);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestVerify(md, sig, sl, (const unsigned char *)s, (size_t)(d2 - s)), 1);
    /* one flipped bit of the claims breaks it */
    ((char *)jwt.data)[d1 - s + 3] ^= 1;
    assert_int_equal(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_not_equal(EVP_DigestVerify(md, sig, sl, (const unsigned char *)s, (size_t)(d2 - s)), 1);
    EVP_MD_CTX_free(md);
    ecl_buf_release(&jwt);
    ecl_buf jwt2 = ECL_BUF_INIT;
    assert_int_equal(ecl_gauth_jwt("a", "not a key", NULL, "s", "u", 0, 60, &jwt2, &e), ECL_EAUTH);
    ecl_buf_release(&jwt2);
    free(pemz);
    BIO_free(bio);
    EVP_PKEY_free(key);
}

static void refresh_schedule(void **state)
{
    (void)state;
    assert_true(ecl_gauth_refresh_margin(3600) == 300); /* an hour: 5 minutes before */
    assert_true(ecl_gauth_refresh_margin(60) == 12);    /* short tokens: at 80% of their life */
    assert_true(ecl_gauth_refresh_margin(3) > 0.59 && ecl_gauth_refresh_margin(3) < 0.61);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(base64url_forms),
        cmocka_unit_test(jwt_is_signed_rs256),
        cmocka_unit_test(refresh_schedule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
