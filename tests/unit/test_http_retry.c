/* The retry policy's arithmetic and error classification (no network). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/http.h"
#include "../../lib/remote.h"

static void defaults_follow_the_plan(void **state)
{
    (void)state;
    unsetenv("ECOMLAKE_UPLOAD_RETRIES");
    unsetenv("ECOMLAKE_UPLOAD_BACKOFF_BASE");
    ecl_http_policy p;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_http_policy_default(&p, &e), 0);
    assert_int_equal(p.retries, 3);
    /* ceilings 5, 10, 20 s: cumulative 5, 15, 35 s as the plan says */
    double cum = 0;
    const double want[] = {5, 15, 35};
    for (int n = 1; n <= 3; n++) {
        cum += ecl_http_backoff_ceiling(&p, n);
        assert_true(cum == want[n - 1]);
    }
    assert_true(ecl_http_backoff_ceiling(&p, 30) == p.cap_s);
}

static void env_overrides_and_rejects_garbage(void **state)
{
    (void)state;
    setenv("ECOMLAKE_UPLOAD_RETRIES", "7", 1);
    setenv("ECOMLAKE_UPLOAD_BACKOFF_BASE", "0.01", 1);
    ecl_http_policy p;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_http_policy_default(&p, &e), 0);
    assert_int_equal(p.retries, 7);
    assert_true(ecl_http_backoff_ceiling(&p, 3) > 0.0399 && ecl_http_backoff_ceiling(&p, 3) < 0.0401);
    setenv("ECOMLAKE_UPLOAD_RETRIES", "many", 1);
    assert_int_equal(ecl_http_policy_default(&p, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "ECOMLAKE_UPLOAD_RETRIES"));
    unsetenv("ECOMLAKE_UPLOAD_RETRIES");
    unsetenv("ECOMLAKE_UPLOAD_BACKOFF_BASE");
}

static void full_jitter_and_retry_after(void **state)
{
    (void)state;
    ecl_http_policy p = {.retries = 3, .base_s = 5, .cap_s = 60, .budget_s = 900};
    /* full jitter: the whole interval [0, ceiling) is reachable */
    assert_true(ecl_http_backoff_delay(&p, 2, 0.0, -1) == 0.0);
    assert_true(ecl_http_backoff_delay(&p, 2, 0.5, -1) == 5.0);
    assert_true(ecl_http_backoff_delay(&p, 2, 0.999, -1) < 10.0);
    /* Retry-After is a floor, even above our cap */
    assert_true(ecl_http_backoff_delay(&p, 1, 0.1, 3) == 3.0);
    assert_true(ecl_http_backoff_delay(&p, 1, 0.1, 120) == 120.0);
    assert_true(ecl_http_backoff_delay(&p, 3, 0.9, 1) == 18.0);
    assert_true(ecl_http_parse_retry_after("7", 0) == 7.0);
    assert_true(ecl_http_parse_retry_after(" 2.5", 0) == 2.5);
    assert_true(ecl_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470) == 10.0);
    assert_true(ecl_http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490) == 0.0);
    assert_true(ecl_http_parse_retry_after("soon", 0) < 0);
    assert_true(ecl_http_parse_retry_after(NULL, 0) < 0);
}

static void classification(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(ecl_http_classify(CURLE_OK, 200, "", 0, why, sizeof why), ECL_HTTP_OK);
    assert_int_equal(ecl_http_classify(CURLE_RECV_ERROR, 0, "", 0, why, sizeof why), ECL_HTTP_RETRY);
    assert_int_equal(ecl_http_classify(CURLE_SEND_ERROR, 0, "", 0, why, sizeof why), ECL_HTTP_RETRY);
    assert_int_equal(ecl_http_classify(CURLE_COULDNT_CONNECT, 0, "", 0, why, sizeof why), ECL_HTTP_RETRY);
    assert_int_equal(ecl_http_classify(CURLE_OPERATION_TIMEDOUT, 0, "", 0, why, sizeof why), ECL_HTTP_TIMEOUT);
    assert_int_equal(ecl_http_classify(CURLE_URL_MALFORMAT, 0, "", 0, why, sizeof why), ECL_HTTP_FINAL);
    const long transient[] = {408, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
        assert_int_equal(ecl_http_classify(CURLE_OK, transient[i], "", 0, why, sizeof why), ECL_HTTP_RETRY);
    const long permanent[] = {400, 401, 403, 404, 409, 412, 501};
    for (size_t i = 0; i < sizeof permanent / sizeof *permanent; i++)
        assert_int_equal(ecl_http_classify(CURLE_OK, permanent[i], "", 0, why, sizeof why), ECL_HTTP_FINAL);
    const char *slow = "<Error><Code>SlowDown</Code><Message>Reduce your request rate</Message></Error>";
    assert_int_equal(ecl_http_classify(CURLE_OK, 503, slow, strlen(slow), why, sizeof why), ECL_HTTP_RETRY);
    assert_string_equal(why, "HTTP 503 SlowDown");
    const char *rt = "<Error><Code>RequestTimeout</Code></Error>";
    assert_int_equal(ecl_http_classify(CURLE_OK, 400, rt, strlen(rt), why, sizeof why), ECL_HTTP_RETRY);
    /* CompleteMultipartUpload may answer 200 with an error inside */
    const char *c200 = "<?xml version=\"1.0\"?><Error><Code>InternalError</Code></Error>";
    assert_int_equal(ecl_http_classify(CURLE_OK, 200, c200, strlen(c200), why, sizeof why), ECL_HTTP_RETRY);
    const char *deny = "<Error><Code>AccessDenied</Code></Error>";
    assert_int_equal(ecl_http_classify(CURLE_OK, 403, deny, strlen(deny), why, sizeof why), ECL_HTTP_FINAL);
    char code[32];
    ecl_http_s3_code(deny, strlen(deny), code, sizeof code);
    assert_string_equal(code, "AccessDenied");
}

static void sizes_and_part_math(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(ecl_parse_size("64M", &v), 0);
    assert_true(v == 64ULL << 20);
    assert_int_equal(ecl_parse_size("256KiB", &v), 0);
    assert_true(v == 256ULL << 10);
    assert_int_equal(ecl_parse_size("12", &v), 0);
    assert_true(v == 12);
    assert_int_not_equal(ecl_parse_size("12X", &v), 0);
    assert_int_not_equal(ecl_parse_size("", &v), 0);
    ecl_remote_cfg c = {.threshold = 64ULL << 20, .part_size = 16ULL << 20, .jobs = 4};
    assert_true(ecl_remote_part_size(&c, 100ULL << 20, 0) == 16ULL << 20);
    /* 1 TiB needs bigger parts to stay within 10000 */
    uint64_t ps = ecl_remote_part_size(&c, 1ULL << 40, 0);
    assert_true((1ULL << 40) / ps <= 10000);
    assert_true(ps % (1ULL << 20) == 0);
}

static void matching_rules(void **state)
{
    (void)state;
    ecl_local_digest l = {.size = 5, .sha256_hex = "aa", .md5_hex = "0123456789abcdef0123456789abcdef",
                          .crc32c_b64 = "AAAAAA==", .etag = "0123456789abcdef0123456789abcdef"};
    ecl_obj_info r = {.size = 5};
    assert_false(ecl_sink_matches(&r, &l)); /* nothing comparable: never skip */
    strcpy(r.etag, "0123456789ABCDEF0123456789ABCDEF");
    assert_true(ecl_sink_matches(&r, &l));
    r.size = 6;
    assert_false(ecl_sink_matches(&r, &l));
    r.size = 5;
    strcpy(r.sha256_hex, "bb"); /* metadata wins over an agreeing ETag */
    assert_false(ecl_sink_matches(&r, &l));
    memset(&r, 0, sizeof r);
    r.size = 5;
    strcpy(r.etag, "ffffffffffffffffffffffffffffffff-3");
    assert_false(ecl_sink_matches(&r, &l));
    strcpy(l.etag, "ffffffffffffffffffffffffffffffff-3");
    assert_true(ecl_sink_matches(&r, &l));
}

static void partial_digests_compare_only_what_both_know(void **state)
{
    (void)state;
    /* a digest computed before sending may hold only the MD5 (Content-MD5) */
    ecl_local_digest l = {.size = 5, .md5_hex = "0123456789abcdef0123456789abcdef"};
    ecl_obj_info r = {.size = 5, .sha256_hex = "aa"};
    assert_false(ecl_sink_matches(&r, &l)); /* sha256 unknown locally, no ETag: nothing proves equality */
    strcpy(r.etag, "0123456789abcdef0123456789abcdef");
    assert_true(ecl_sink_matches(&r, &l));
    strcpy(r.etag, "0123456789abcdef0123456789abcdef-2"); /* multipart form, not predicted locally */
    assert_false(ecl_sink_matches(&r, &l));
    assert_null(ecl_obj_md5(&r));
    strcpy(r.etag, "0123456789ABCDEF0123456789ABCDEF");
    assert_string_equal(ecl_obj_md5(&r), "0123456789ABCDEF0123456789ABCDEF");
    strcpy(r.md5_hex, "ffffffffffffffffffffffffffffffff"); /* GCS md5Hash wins over the ETag */
    assert_string_equal(ecl_obj_md5(&r), "ffffffffffffffffffffffffffffffff");
    assert_true(ecl_is_md5_hex("0123456789abcdef0123456789abcdef"));
    assert_false(ecl_is_md5_hex("kms-0f1e2d3c"));
}

static void digest_some_computes_only_what_is_asked(void **state)
{
    (void)state;
    static const ecl_sink_ops ops = {.scheme = "file"};
    ecl_sink s = {.ops = &ops};
    const char *data = "hello world";
    ecl_local_digest all, md5, none;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_sink_digest(&s, NULL, data, strlen(data), &all, &e), 0);
    assert_string_equal(all.md5_hex, "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_string_equal(all.sha256_hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    assert_string_equal(all.etag, all.md5_hex);
    assert_true(all.crc32c_b64[0] != 0);
    assert_int_equal(ecl_sink_digest_some(&s, NULL, data, strlen(data), ECL_DIGEST_MD5, &md5, &e), 0);
    assert_string_equal(md5.md5_hex, all.md5_hex);
    assert_string_equal(md5.md5_b64, all.md5_b64);
    assert_string_equal(md5.sha256_hex, "");
    assert_string_equal(md5.crc32c_b64, "");
    assert_int_equal(ecl_sink_digest_some(&s, NULL, data, strlen(data), 0, &none, &e), 0);
    assert_true(none.size == strlen(data));
    assert_string_equal(none.md5_hex, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_follow_the_plan), cmocka_unit_test(env_overrides_and_rejects_garbage),
        cmocka_unit_test(full_jitter_and_retry_after), cmocka_unit_test(classification),
        cmocka_unit_test(sizes_and_part_math), cmocka_unit_test(matching_rules),
        cmocka_unit_test(partial_digests_compare_only_what_both_know),
        cmocka_unit_test(digest_some_computes_only_what_is_asked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
