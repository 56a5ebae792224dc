/* SigV4 against the examples AWS publishes: the SigV4 test suite (service "service",
 * AKIDEXAMPLE) and the S3 signing examples (examplebucket, AKIAIOSFODNN7EXAMPLE). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "../../lib/sigv4.h"

static const char *const SUITE_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char *const S3_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

static void check(const ecl_sigv4_req *r, const char *want_sig)
{
    ecl_buf out = ECL_BUF_INIT;
    assert_int_equal(ecl_sigv4_authorization(r, &out), 0);
    const char *s = strstr((const char *)out.data, "Signature=");
    assert_non_null(s);
    assert_string_equal(s + 10, want_sig);
    ecl_buf_release(&out);
}

static void suite_get_vanilla(void **state)
{
    (void)state;
    ecl_sigv4_header h[] = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
    ecl_sigv4_req r = {"GET", "/", "", h, 2, ECL_SIGV4_EMPTY_SHA256, "20150830T123600Z", "us-east-1",
                       "service", "AKIDEXAMPLE", SUITE_KEY};
    ecl_buf out = ECL_BUF_INIT;
    assert_int_equal(ecl_sigv4_authorization(&r, &out), 0);
    assert_string_equal((const char *)out.data,
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                        "SignedHeaders=host;x-amz-date, "
                        "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    ecl_buf_release(&out);
}

static void suite_query_order(void **state)
{
    (void)state;
    /* get-vanilla-query-order-key-case: ?Param2=value2&Param1=value1 */
    const char *kv[] = {"Param2", "value2", "Param1", "value1"};
    ecl_buf q = ECL_BUF_INIT;
    assert_int_equal(ecl_sigv4_query(&q, kv, 2), 0);
    assert_string_equal((const char *)q.data, "Param1=value1&Param2=value2");
    ecl_sigv4_header h[] = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
    ecl_sigv4_req r = {"GET", "/", (const char *)q.data, h, 2, ECL_SIGV4_EMPTY_SHA256, "20150830T123600Z",
                       "us-east-1", "service", "AKIDEXAMPLE", SUITE_KEY};
    check(&r, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    ecl_buf_release(&q);
}

static void suite_post_vanilla(void **state)
{
    (void)state;
    ecl_sigv4_header h[] = {{"host", "example.amazonaws.com"}, {"x-amz-date", "20150830T123600Z"}};
    ecl_sigv4_req r = {"POST", "/", "", h, 2, ECL_SIGV4_EMPTY_SHA256, "20150830T123600Z", "us-east-1",
                       "service", "AKIDEXAMPLE", SUITE_KEY};
    check(&r, "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b");
}

static void s3_get_object(void **state)
{
    (void)state;
    ecl_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                            {"Range", "bytes=0-9"},
                            {"x-amz-content-sha256", ECL_SIGV4_EMPTY_SHA256},
                            {"x-amz-date", "20130524T000000Z"}};
    ecl_sigv4_req r = {"GET", "/test.txt", "", h, 4, ECL_SIGV4_EMPTY_SHA256, "20130524T000000Z", "us-east-1",
                       "s3", "AKIAIOSFODNN7EXAMPLE", S3_KEY};
    check(&r, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void s3_put_object(void **state)
{
    (void)state;
    const char body[] = "Welcome to Amazon S3.";
    char ph[65];
    ecl_sha256_hex(body, strlen(body), ph);
    assert_string_equal(ph, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    ecl_buf uri = ECL_BUF_INIT;
    ecl_buf_putc(&uri, '/');
    ecl_uri_encode(&uri, "test$file.text", 14, true);
    assert_string_equal((const char *)uri.data, "/test%24file.text");
    ecl_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                            {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                            {"x-amz-date", "20130524T000000Z"},
                            {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                            {"x-amz-content-sha256", ph}};
    ecl_sigv4_req r = {"PUT", (const char *)uri.data, "", h, 5, ph, "20130524T000000Z", "us-east-1", "s3",
                       "AKIAIOSFODNN7EXAMPLE", S3_KEY};
    check(&r, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    ecl_buf_release(&uri);
}

static void s3_get_lifecycle_and_list(void **state)
{
    (void)state;
    const char *kv[] = {"lifecycle", NULL};
    ecl_buf q = ECL_BUF_INIT;
    assert_int_equal(ecl_sigv4_query(&q, kv, 1), 0);
    assert_string_equal((const char *)q.data, "lifecycle=");
    ecl_sigv4_header h[] = {{"Host", "examplebucket.s3.amazonaws.com"},
                            {"x-amz-date", "20130524T000000Z"},
                            {"x-amz-content-sha256", ECL_SIGV4_EMPTY_SHA256}};
    ecl_sigv4_req r = {"GET", "/", (const char *)q.data, h, 3, ECL_SIGV4_EMPTY_SHA256, "20130524T000000Z",
                       "us-east-1", "s3", "AKIAIOSFODNN7EXAMPLE", S3_KEY};
    check(&r, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    ecl_buf_clear(&q);
    const char *kv2[] = {"prefix", "J", "max-keys", "2"};
    assert_int_equal(ecl_sigv4_query(&q, kv2, 2), 0);
    assert_string_equal((const char *)q.data, "max-keys=2&prefix=J");
    r.canonical_query = (const char *)q.data;
    check(&r, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    ecl_buf_release(&q);
}

static void uri_encoding_of_keys(void **state)
{
    (void)state;
    const char *key = "t/ingest_dt=2024-01-04/a b+c%d\xc3\xa9~_.-x";
    ecl_buf b = ECL_BUF_INIT;
    ecl_uri_encode(&b, key, strlen(key), true);
    assert_string_equal((const char *)b.data, "t/ingest_dt%3D2024-01-04/a%20b%2Bc%25d%C3%A9~_.-x");
    ecl_buf_clear(&b);
    ecl_uri_encode(&b, "a/b", 3, false);
    assert_string_equal((const char *)b.data, "a%2Fb");
    ecl_buf_release(&b);
    /* header values are trimmed and inner runs of spaces folded */
    ecl_sigv4_header h[] = {{"My-Header1", "  a   b   c  "}, {"host", "h"}};
    ecl_sigv4_req r = {"GET", "/", "", h, 2, "UNSIGNED-PAYLOAD", "20150830T123600Z", "us-east-1", "s3",
                       "AK", "SK"};
    ecl_buf canon = ECL_BUF_INIT, sh = ECL_BUF_INIT;
    assert_int_equal(ecl_sigv4_canonical(&r, &canon, &sh), 0);
    assert_string_equal((const char *)canon.data, "GET\n/\n\nhost:h\nmy-header1:a b c\n\nhost;my-header1\nUNSIGNED-PAYLOAD");
    assert_string_equal((const char *)sh.data, "host;my-header1");
    ecl_buf_release(&canon);
    ecl_buf_release(&sh);
}

static void date_format(void **state)
{
    (void)state;
    char d[17];
    ecl_sigv4_date(1440938160, d);
    assert_string_equal(d, "20150830T123600Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(suite_get_vanilla),      cmocka_unit_test(suite_query_order),
        cmocka_unit_test(suite_post_vanilla),     cmocka_unit_test(s3_get_object),
        cmocka_unit_test(s3_put_object),          cmocka_unit_test(s3_get_lifecycle_and_list),
        cmocka_unit_test(uri_encoding_of_keys),   cmocka_unit_test(date_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
