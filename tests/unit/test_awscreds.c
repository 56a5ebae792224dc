/* The AWS credential chain: shared-file parsing and precedence, credential JSON, times, and the
 * chain's choices and messages for environment, profiles and credential_process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../lib/awscreds.h"
#include "support/tmpdir.h"

static const char CREDS[] =
    "# comment\n"
    "[default]\n"
    "aws_access_key_id = AKDEFAULT\n"
    "aws_secret_access_key=secretdefault\n"
    "\n"
    "[lab]\n"
    "  AWS_ACCESS_KEY_ID   =   AKLAB  \n"
    "aws_secret_access_key = sec=ret/with+chars\n"
    "aws_session_token = tok\r\n"
    "; another comment\n"
    "[profile lab]\n"
    "aws_access_key_id = NOT_IN_CREDENTIALS_FILE_SYNTAX\n";

static const char CONFIG[] =
    "[default]\n"
    "region = eu-west-1\n"
    "[profile lab]\n"
    "region = us-east-2\n"
    "aws_access_key_id = AKFROMCONFIG\n"
    "s3 =\n"
    "  aws_secret_access_key = nested-not-a-key\n"
    "  max_concurrent_requests = 20\n"
    "credential_process = /bin/echo hi\n"
    "[profilelab]\n"
    "aws_access_key_id = WRONG\n"
    "[ profile   spaced ]\n"
    "aws_access_key_id = AKSPACED\n"
    "[lab]\n"
    "aws_access_key_id = WRONG_TOO\n";

static void profile_files(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_aws_profile p;
    memset(&p, 0, sizeof p);
    assert_int_equal(ecl_aws_profile_parse(&p, CREDS, strlen(CREDS), "lab", false, &e), 0);
    assert_int_equal(ecl_aws_profile_parse(&p, CONFIG, strlen(CONFIG), "lab", true, &e), 0);
    assert_true(p.in_credentials && p.in_config);
    /* the credentials file wins; keys are case-insensitive; values keep '=' and '/' */
    assert_string_equal(ecl_aws_profile_get(&p, "aws_access_key_id"), "AKLAB");
    assert_string_equal(ecl_aws_profile_get(&p, "aws_secret_access_key"), "sec=ret/with+chars");
    assert_string_equal(ecl_aws_profile_get(&p, "aws_session_token"), "tok");
    assert_string_equal(ecl_aws_profile_get(&p, "region"), "us-east-2");
    assert_string_equal(ecl_aws_profile_get(&p, "credential_process"), "/bin/echo hi");
    assert_null(ecl_aws_profile_get(&p, "max_concurrent_requests")); /* nested under s3 */
    ecl_aws_profile_release(&p);

    memset(&p, 0, sizeof p);
    assert_int_equal(ecl_aws_profile_parse(&p, CONFIG, strlen(CONFIG), "default", true, &e), 0);
    assert_string_equal(ecl_aws_profile_get(&p, "region"), "eu-west-1");
    assert_null(ecl_aws_profile_get(&p, "aws_access_key_id"));
    ecl_aws_profile_release(&p);

    memset(&p, 0, sizeof p);
    assert_int_equal(ecl_aws_profile_parse(&p, CONFIG, strlen(CONFIG), "spaced", true, &e), 0);
    assert_string_equal(ecl_aws_profile_get(&p, "aws_access_key_id"), "AKSPACED");
    ecl_aws_profile_release(&p);

    memset(&p, 0, sizeof p);
    assert_int_equal(ecl_aws_profile_parse(&p, CONFIG, strlen(CONFIG), "nope", true, &e), 0);
    assert_false(p.in_config);
    assert_int_equal(p.n, 0);
    ecl_aws_profile_release(&p);
}

static void times(void **state)
{
    (void)state;
    assert_true(ecl_aws_parse_time("2024-05-01T12:00:00Z") == 1714564800);
    assert_true(ecl_aws_parse_time("2024-05-01T12:00:00.123456Z") == 1714564800);
    assert_true(ecl_aws_parse_time("2024-05-01T14:00:00+02:00") == 1714564800);
    assert_true(ecl_aws_parse_time("2024-05-01T07:30:00-0430") == 1714564800);
    assert_true(ecl_aws_parse_time("2024-05-01T12:00:00") == 1714564800);
    assert_true(ecl_aws_parse_time("2024-05-01 12:00") == -1);
    assert_true(ecl_aws_parse_time("2024-05-01T12:00:00Zjunk") == -1);
    assert_true(ecl_aws_parse_time(NULL) == -1);
}

static void credentials_json(void **state)
{
    (void)state;
    ecl_aws_key k;
    time_t exp;
    ecl_err e = ECL_ERR_INIT;
    const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"ASIA1\", \"SecretAccessKey\": \"s\", "
                     "\"SessionToken\": \"t\", \"Expiration\": \"2024-05-01T12:00:00Z\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(ok, strlen(ok), true, "proc", &k, &exp, &e), 0);
    assert_string_equal(k.access_key, "ASIA1");
    assert_string_equal(k.secret_key, "s");
    assert_string_equal(k.session_token, "t");
    assert_true(exp == 1714564800);

    const char *noexp = "{\"Version\": 1, \"AccessKeyId\": \"AK\", \"SecretAccessKey\": \"s\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(noexp, strlen(noexp), true, "proc", &k, &exp, &e), 0);
    assert_true(exp == 0);
    assert_string_equal(k.session_token, "");

    const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"AK\", \"SecretAccessKey\": \"s\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(v2, strlen(v2), true, "proc", &k, &exp, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "Version"));
    ecl_err_clear(&e);

    const char *bad = "{\"Version\": 1, \"AccessKeyId\": \"AK\", \"SecretAccessKey\": \"s\", \"Expiration\": \"soon\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(bad, strlen(bad), true, "proc", &k, &exp, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "Expiration 'soon'"));
    assert_string_equal(k.access_key, "");
    ecl_err_clear(&e);

    /* container and instance metadata answers: Token, and Code when present */
    const char *imds = "{\"Code\": \"Success\", \"Type\": \"AWS-HMAC\", \"AccessKeyId\": \"ASIA2\", "
                       "\"SecretAccessKey\": \"s2\", \"Token\": \"t2\", \"Expiration\": \"2024-05-01T12:00:00Z\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(imds, strlen(imds), false, "imds", &k, &exp, &e), 0);
    assert_string_equal(k.session_token, "t2");
    const char *fail = "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"Message\": \"no\"}";
    assert_int_equal(ecl_aws_parse_credentials_json(fail, strlen(fail), false, "imds", &k, &exp, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "AssumeRoleUnauthorizedAccess"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_aws_parse_credentials_json("[1]", 3, false, "x", &k, &exp, &e), ECL_EAUTH);
}

static const char *const VARS[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                                   "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
                                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                                   "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                                   "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                                   NULL};

static char dir[512];

static int setup(void **state)
{
    (void)state;
    for (int i = 0; VARS[i]; i++)
        unsetenv(VARS[i]);
    setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
    setenv("HOME", "/nonexistent", 1);
    return ecl_test_mkdtemp(dir, sizeof dir, "ecl-awscreds-");
}

static int teardown(void **state)
{
    (void)state;
    return ecl_test_rmtree(dir);
}

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void chain_env_and_profiles(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_awscreds *c = NULL;
    ecl_aws_key k;
    /* nothing at all, instance metadata off: the message names what fixes it */
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "no S3 credentials: set AWS_ACCESS_KEY_ID"));
    assert_non_null(strstr(e.msg, "AWS_EC2_METADATA_DISABLED"));
    ecl_err_clear(&e);
    /* half of the environment pair */
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "AWS_SECRET_ACCESS_KEY is not"));
    ecl_err_clear(&e);
    setenv("AWS_SECRET_ACCESS_KEY", "senv", 1);
    setenv("AWS_SESSION_TOKEN", "tenv", 1);
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), 0);
    assert_int_equal(ecl_awscreds_get(c, &k, &e), 0);
    assert_string_equal(k.access_key, "AKENV");
    assert_string_equal(k.session_token, "tenv");
    assert_non_null(strstr(ecl_awscreds_source(c), "environment"));
    bool changed = true;
    assert_int_equal(ecl_awscreds_refresh(c, "AKENV", &changed, &e), 0);
    assert_false(changed); /* static keys: nothing new to retry with */
    ecl_awscreds_free(c);

    char cred[700], conf[700];
    write_file("credentials", CREDS, cred, sizeof cred);
    write_file("config", "[profile cfgonly]\naws_access_key_id = AKCFG\naws_secret_access_key = scfg\n"
                         "[profile role]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n"
                         "[profile sso]\nsso_session = corp\n[profile empty]\nregion = x\n",
               conf, sizeof conf);
    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    /* the environment wins over AWS_PROFILE; --profile wins over the environment */
    setenv("AWS_PROFILE", "lab", 1);
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), 0);
    ecl_awscreds_get(c, &k, &e);
    assert_string_equal(k.access_key, "AKENV");
    ecl_awscreds_free(c);
    assert_int_equal(ecl_awscreds_new(&c, "lab", &e), 0);
    ecl_awscreds_get(c, &k, &e);
    assert_string_equal(k.access_key, "AKLAB");
    assert_string_equal(k.secret_key, "sec=ret/with+chars");
    assert_non_null(strstr(ecl_awscreds_source(c), "profile 'lab'"));
    assert_non_null(strstr(ecl_awscreds_source(c), cred));
    ecl_awscreds_free(c);
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    unsetenv("AWS_SESSION_TOKEN");
    /* static keys in the config file's [profile x] */
    setenv("AWS_PROFILE", "cfgonly", 1);
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), 0);
    ecl_awscreds_get(c, &k, &e);
    assert_string_equal(k.access_key, "AKCFG");
    assert_non_null(strstr(ecl_awscreds_source(c), conf));
    ecl_awscreds_free(c);
    /* the default profile of the credentials file */
    unsetenv("AWS_PROFILE");
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), 0);
    ecl_awscreds_get(c, &k, &e);
    assert_string_equal(k.access_key, "AKDEFAULT");
    ecl_awscreds_free(c);
    /* named profiles that cannot give keys say why */
    setenv("AWS_PROFILE", "missing", 1);
    assert_int_equal(ecl_awscreds_new(&c, NULL, &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "AWS profile 'missing'"));
    assert_non_null(strstr(e.msg, cred));
    ecl_err_clear(&e);
    assert_int_equal(ecl_awscreds_new(&c, "role", &e), ECL_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "role_arn"));
    assert_non_null(strstr(e.msg, "export-credentials"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_awscreds_new(&c, "sso", &e), ECL_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "aws sso login"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_awscreds_new(&c, "empty", &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "has no credentials"));
    ecl_err_clear(&e);
    /* a shared file named by its variable must exist */
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/creds", 1);
    assert_int_equal(ecl_awscreds_new(&c, "lab", &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "AWS_SHARED_CREDENTIALS_FILE names '/nonexistent/creds'"));
    ecl_err_clear(&e);
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
    unsetenv("AWS_CONFIG_FILE");
    unsetenv("AWS_PROFILE");
}

static void chain_credential_process(void **state)
{
    (void)state;
    char script[700], conf[900], count[700];
    snprintf(count, sizeof count, "%s/count", dir);
    char body[1400];
    /* prints keys valid for an hour and counts its runs */
    snprintf(body, sizeof body,
             "#!/bin/sh\necho run >> '%s'\nexp=$(date -u -d '+1 hour' +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
             "printf '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"sp\", "
             "\"SessionToken\": \"tp\", \"Expiration\": \"%%s\"}' \"$exp\"\n",
             count);
    write_file("proc.sh", body, script, sizeof script);
    char text[1600];
    snprintf(text, sizeof text, "[profile p]\ncredential_process = sh '%s'\n[profile bad]\ncredential_process = "
             "sh -c 'echo oops >&2; exit 3'\n[profile garbage]\ncredential_process = echo not-json\n", script);
    write_file("config", text, conf, sizeof conf);
    setenv("AWS_CONFIG_FILE", conf, 1);
    ecl_err e = ECL_ERR_INIT;
    ecl_awscreds *c = NULL;
    ecl_aws_key k;
    assert_int_equal(ecl_awscreds_new(&c, "p", &e), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ecl_awscreds_get(c, &k, &e), 0);
        assert_string_equal(k.access_key, "ASIAPROC");
        assert_string_equal(k.session_token, "tp");
    }
    assert_int_equal(ecl_awscreds_fetches(c), 1); /* an hour left: no refresh yet */
    bool changed = false;
    assert_int_equal(ecl_awscreds_refresh(c, "ASIAOTHER", &changed, &e), 0);
    assert_true(changed); /* refused keys are not the current ones: retry with those */
    assert_int_equal(ecl_awscreds_fetches(c), 1);
    assert_int_equal(ecl_awscreds_refresh(c, "ASIAPROC", &changed, &e), 0);
    assert_int_equal(ecl_awscreds_fetches(c), 2); /* the refused keys are fetched anew */
    assert_non_null(strstr(ecl_awscreds_source(c), "credential_process of profile 'p'"));
    ecl_awscreds_free(c);
    assert_int_equal(ecl_awscreds_new(&c, "bad", &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "exit status 3"));
    assert_non_null(strstr(e.msg, "profile 'bad'"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_awscreds_new(&c, "garbage", &e), ECL_EAUTH);
    assert_non_null(strstr(e.msg, "not a JSON object"));
    ecl_err_clear(&e);
    unsetenv("AWS_CONFIG_FILE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(profile_files),
        cmocka_unit_test(times),
        cmocka_unit_test(credentials_json),
        cmocka_unit_test_setup_teardown(chain_env_and_profiles, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_credential_process, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
