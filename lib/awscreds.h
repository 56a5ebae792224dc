/* awscreds.h - AWS credentials for the S3 sink, found the way the AWS SDKs' default chain finds them:
 *
 *   1. the environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), unless a
 *      profile was named on the command line (--profile);
 *   2. the shared files, profile --profile / AWS_PROFILE / AWS_DEFAULT_PROFILE / "default":
 *      [name] of the credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials) over
 *      [profile name] ([default]) of the config file (AWS_CONFIG_FILE, ~/.aws/config). Static keys of
 *      the credentials file, else the profile's credential_process (its JSON output, Version 1, with
 *      an optional Expiration), else static keys of the config file;
 *   3. the container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
 *      AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header;
 *   4. EC2 instance metadata (IMDSv2: a session token by PUT, then the role's credentials; IMDSv1
 *      only when the token call is refused and AWS_EC2_METADATA_V1_DISABLED is not true), at
 *      AWS_EC2_METADATA_SERVICE_ENDPOINT (default http://169.254.169.254), unless
 *      AWS_EC2_METADATA_DISABLED=true. AWS_METADATA_SERVICE_TIMEOUT / _NUM_ATTEMPTS as in the SDKs.
 *
 * Assume-role profiles (role_arn), SSO profiles and web identity (AWS_WEB_IDENTITY_TOKEN_FILE) are
 * not supported: they fail with advice (credential_process = aws configure export-credentials).
 *
 * Credentials with an expiry (credential_process, container, instance metadata) are cached once per
 * sink and shared by all threads; the first thread that finds them within min(5 min, 20% of their
 * lifetime) of expiry fetches new ones while the others wait (single flight). A failed refresh
 * keeps using the old credentials while they are still valid. */
#ifndef ECL_AWSCREDS_H
#define ECL_AWSCREDS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "err.h"

typedef struct ecl_aws_key {
    char access_key[256];
    char secret_key[256];
    char session_token[8192]; /* "" when none */
} ecl_aws_key;

typedef struct ecl_awscreds ecl_awscreds;

/* Resolves the chain and fetches the first credentials. profile: the --profile flag, or NULL. */
int ecl_awscreds_new(ecl_awscreds **c, const char *profile, ecl_err *e);
void ecl_awscreds_free(ecl_awscreds *c);
/* Valid credentials, refreshed first when they are close to expiry. */
int ecl_awscreds_get(ecl_awscreds *c, ecl_aws_key *out, ecl_err *e);
/* After the store refused the keys whose access key id is refused_ak (ExpiredToken and friends):
 * fetches new ones unless another thread already did. *changed tells whether a retry can use
 * different keys (never for static keys). */
int ecl_awscreds_refresh(ecl_awscreds *c, const char *refused_ak, bool *changed, ecl_err *e);
/* Where the credentials come from ("environment", "profile 'x' of '<file>'", ...), for messages. */
const char *ecl_awscreds_source(const ecl_awscreds *c);
/* What to change when the store refuses them (the variable, file or command). */
const char *ecl_awscreds_advice(const ecl_awscreds *c);
/* The access key id currently in use (for messages; never the secret). */
void ecl_awscreds_access_key(ecl_awscreds *c, char *out, size_t cap);
/* Number of fetches so far (the first one included). */
long ecl_awscreds_fetches(ecl_awscreds *c);

/* ---- pieces, exposed for tests ---- */

/* The key/value pairs of one profile, merged from both files. */
enum { ECL_AWS_PROFILE_MAX = 48 };
typedef struct ecl_aws_profile {
    int n;
    char *key[ECL_AWS_PROFILE_MAX];
    char *val[ECL_AWS_PROFILE_MAX];
    bool from_credentials[ECL_AWS_PROFILE_MAX]; /* else from the config file */
    bool in_credentials, in_config;             /* the section exists there */
} ecl_aws_profile;
/* Adds the settings of profile name found in an INI text: is_config selects the config file's
 * section naming ([profile name], [default]) over the credentials file's ([name]). Values already
 * present from the credentials file are kept (it wins over the config file). Keys are
 * case-insensitive; full-line # and ; comments and indented sub-settings (s3 =\n  x = y) are
 * skipped. */
int ecl_aws_profile_parse(ecl_aws_profile *p, const char *text, size_t n, const char *name, bool is_config,
                          ecl_err *e);
const char *ecl_aws_profile_get(const ecl_aws_profile *p, const char *key);
void ecl_aws_profile_release(ecl_aws_profile *p);

/* Parses credentials JSON: credential_process output (Version 1, AccessKeyId, SecretAccessKey,
 * SessionToken, Expiration) or a container/IMDS answer (Token instead of SessionToken).
 * *expiry = 0 when there is none. what names the source for messages. */
int ecl_aws_parse_credentials_json(const char *json, size_t n, bool process_output, const char *what,
                                   ecl_aws_key *k, time_t *expiry, ecl_err *e);
/* ISO 8601 / RFC 3339 UTC time ("2024-05-01T12:00:00Z", fractions, "+hh:mm"); -1 when malformed. */
time_t ecl_aws_parse_time(const char *s);

#endif
