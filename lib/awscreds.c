#include "awscreds.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cancel.h"
#include "gauth.h"
#include "http.h"
#include "io.h"
#include "log.h"

extern char **environ;

typedef enum { SRC_ENV, SRC_FILE, SRC_PROCESS, SRC_CONTAINER, SRC_IMDS } src_t;

struct ecl_awscreds {
    src_t src;
    char source[1100];
    char advice[700];
    char *profile;
    char *process_cmd;
    char *container_url, *token_file, *token_env;
    char *imds_base;
    bool v1_disabled;
    char role[256];
    ecl_http *http;
    pthread_mutex_t mu;
    ecl_aws_key key;
    time_t expiry;      /* 0 = never */
    double fetched;     /* wall-clock seconds, with fractions (lifetimes can be short) */
    double quiet_until; /* after a failed refresh with still-valid keys: wait before trying again */
    long fetches;
};

static const char *env_nonempty(const char *n)
{
    const char *v = getenv(n);
    return v && *v ? v : NULL;
}

static bool env_true(const char *n)
{
    const char *v = env_nonempty(n);
    return v && !strcasecmp(v, "true");
}

/* ---------- INI files ---------- */

static char *trim(char *a, char *b)
{
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    *b = 0;
    return a;
}

/* Does the section header text name profile `name` in this kind of file? */
static bool section_matches(const char *sect, const char *name, bool is_config)
{
    if (!is_config)
        return !strcmp(sect, name);
    if (!strcmp(sect, "default"))
        return !strcmp(name, "default");
    if (strncmp(sect, "profile", 7) || !isspace((unsigned char)sect[7]))
        return false;
    const char *p = sect + 7;
    while (isspace((unsigned char)*p))
        p++;
    return !strcmp(p, name);
}

static int profile_put(ecl_aws_profile *p, const char *k, const char *v, bool from_credentials, ecl_err *e)
{
    for (int i = 0; i < p->n; i++) {
        if (strcasecmp(p->key[i], k))
            continue;
        if (p->from_credentials[i] && !from_credentials)
            return 0; /* the credentials file wins */
        char *nv = strdup(v);
        if (!nv)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        free(p->val[i]);
        p->val[i] = nv;
        p->from_credentials[i] = from_credentials;
        return 0;
    }
    if (p->n == ECL_AWS_PROFILE_MAX)
        return 0; /* more settings than any credential source uses */
    p->key[p->n] = strdup(k);
    p->val[p->n] = strdup(v);
    if (!p->key[p->n] || !p->val[p->n]) {
        free(p->key[p->n]);
        free(p->val[p->n]);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    for (char *c = p->key[p->n]; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    p->from_credentials[p->n] = from_credentials;
    p->n++;
    return 0;
}

int ecl_aws_profile_parse(ecl_aws_profile *p, const char *text, size_t n, const char *name, bool is_config,
                          ecl_err *e)
{
    char *copy = malloc(n + 1);
    if (!copy)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    memcpy(copy, text, n);
    copy[n] = 0;
    bool in = false, nested = false;
    int rc = 0;
    for (char *line = copy, *next; !rc && line && *line; line = next) {
        char *nl = strchr(line, '\n');
        next = nl ? nl + 1 : NULL;
        char *end = nl ? nl : line + strlen(line);
        bool indented = isspace((unsigned char)*line) && *line != '\n' && *line != '\r';
        char *s = trim(line, end);
        if (!*s || *s == '#' || *s == ';')
            continue;
        if (*s == '[') {
            char *close = strrchr(s, ']');
            if (!close)
                continue;
            char *sect = trim(s + 1, close);
            in = section_matches(sect, name, is_config);
            nested = false;
            if (in && is_config)
                p->in_config = true;
            else if (in)
                p->in_credentials = true;
            continue;
        }
        if (indented && nested)
            continue; /* "s3 =" followed by indented sub-settings: not credentials */
        char *eq = strchr(s, '=');
        if (!eq)
            continue;
        char *k = trim(s, eq);
        char *v = trim(eq + 1, eq + 1 + strlen(eq + 1));
        nested = !*v;
        if (in && *k && *v)
            rc = profile_put(p, k, v, !is_config, e);
    }
    free(copy);
    return rc;
}

const char *ecl_aws_profile_get(const ecl_aws_profile *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (!strcasecmp(p->key[i], key))
            return p->val[i];
    return NULL;
}

static bool profile_from_credentials(const ecl_aws_profile *p, const char *key)
{
    for (int i = 0; i < p->n; i++)
        if (!strcasecmp(p->key[i], key))
            return p->from_credentials[i];
    return false;
}

void ecl_aws_profile_release(ecl_aws_profile *p)
{
    for (int i = 0; i < p->n; i++) {
        if (p->val[i])
            memset(p->val[i], 0, strlen(p->val[i]));
        free(p->key[i]);
        free(p->val[i]);
    }
    memset(p, 0, sizeof *p);
}

/* ---------- credentials JSON ---------- */

time_t ecl_aws_parse_time(const char *s)
{
    struct tm tm = {0};
    const char *r = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
    if (!r)
        return -1;
    if (*r == '.')
        for (r++; isdigit((unsigned char)*r);)
            r++;
    long off = 0;
    if (*r == 'Z' || *r == 'z') {
        r++;
    } else if (*r == '+' || *r == '-') {
        int sign = *r == '-' ? -1 : 1, hh = 0, mm = 0;
        r++;
        if (!isdigit((unsigned char)r[0]) || !isdigit((unsigned char)r[1]))
            return -1;
        hh = (r[0] - '0') * 10 + (r[1] - '0');
        r += 2;
        if (*r == ':')
            r++;
        if (isdigit((unsigned char)r[0]) && isdigit((unsigned char)r[1])) {
            mm = (r[0] - '0') * 10 + (r[1] - '0');
            r += 2;
        }
        off = sign * (hh * 3600L + mm * 60L);
    }
    if (*r)
        return -1;
    return timegm(&tm) - off;
}

static int copy_field(char *dst, size_t cap, const char *v, const char *field, const char *what, ecl_err *e)
{
    if (strlen(v) >= cap)
        return ecl_err_set(e, ECL_EAUTH, "%s: %s is too long (%zu characters)", what, field, strlen(v));
    snprintf(dst, cap, "%s", v);
    return 0;
}

int ecl_aws_parse_credentials_json(const char *json, size_t n, bool process_output, const char *what,
                                   ecl_aws_key *k, time_t *expiry, ecl_err *e)
{
    memset(k, 0, sizeof *k);
    *expiry = 0;
    json_error_t je;
    json_t *j = json_loadb(json, n, 0, &je);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return ecl_err_set(e, ECL_EAUTH, "%s: the answer is not a JSON object%s%s", what, j ? "" : ": ",
                           j ? "" : je.text);
    }
    int rc = 0;
    json_t *ver = json_object_get(j, "Version");
    const char *code = json_string_value(json_object_get(j, "Code"));
    const char *ak = json_string_value(json_object_get(j, "AccessKeyId"));
    const char *sk = json_string_value(json_object_get(j, "SecretAccessKey"));
    const char *tok = json_string_value(json_object_get(j, process_output ? "SessionToken" : "Token"));
    const char *exp = json_string_value(json_object_get(j, "Expiration"));
    if (process_output && !(json_is_integer(ver) && json_integer_value(ver) == 1))
        rc = ecl_err_set(e, ECL_EAUTH, "%s: the output has no \"Version\": 1 (the only version understood)", what);
    else if (code && strcmp(code, "Success"))
        rc = ecl_err_set(e, ECL_EAUTH, "%s: answered Code '%s'%s%s", what, code,
                         json_string_value(json_object_get(j, "Message")) ? ": " : "",
                         json_string_value(json_object_get(j, "Message")) ? json_string_value(json_object_get(j, "Message")) : "");
    else if (!ak || !*ak || !sk || !*sk)
        rc = ecl_err_set(e, ECL_EAUTH, "%s: AccessKeyId or SecretAccessKey is missing", what);
    if (!rc)
        rc = copy_field(k->access_key, sizeof k->access_key, ak, "AccessKeyId", what, e);
    if (!rc)
        rc = copy_field(k->secret_key, sizeof k->secret_key, sk, "SecretAccessKey", what, e);
    if (!rc && tok)
        rc = copy_field(k->session_token, sizeof k->session_token, tok, process_output ? "SessionToken" : "Token",
                        what, e);
    if (!rc && exp && *exp) {
        *expiry = ecl_aws_parse_time(exp);
        if (*expiry == -1) {
            *expiry = 0;
            rc = ecl_err_set(e, ECL_EAUTH, "%s: Expiration '%s' is not an ISO 8601 time", what, exp);
        }
    }
    if (rc)
        memset(k, 0, sizeof *k);
    json_decref(j);
    return rc;
}

/* ---------- fetching ---------- */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct hdr_ctx {
    const char *lines[3];
} hdr_ctx;

static int add_lines(void *ctx, bool auth_retry, struct curl_slist **hdrs, ecl_err *e)
{
    (void)auth_retry;
    hdr_ctx *h = ctx;
    for (int i = 0; i < 3 && h->lines[i]; i++) {
        struct curl_slist *t = curl_slist_append(*hdrs, h->lines[i]);
        if (!t)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        *hdrs = t;
    }
    return 0;
}

static int http_call(ecl_awscreds *c, const char *method, const char *url, hdr_ctx *h, const char *subject,
                     ecl_http_resp *resp, ecl_err *e)
{
    ecl_http_req r = {.method = method, .url = url, .fd = -1, .has_body = !strcmp(method, "PUT"),
                      .mem = "", .len = 0, .sign = add_lines, .sign_ctx = h, .subject = subject,
                      .max_body = 1 << 20};
    return ecl_http_do(c->http, &r, resp, e);
}

/* Runs credential_process through /bin/sh and returns its standard output. */
static int run_process(ecl_awscreds *c, ecl_buf *out, ecl_err *e)
{
    double limit = 300;
    const char *tv = env_nonempty("ECOMLAKE_CREDENTIAL_PROCESS_TIMEOUT");
    if (tv && (limit = strtod(tv, NULL)) <= 0)
        limit = 300;
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return ecl_err_errno(e, errno, "cannot run credential_process of profile '%s'", c->profile);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    char *argv[] = {"sh", "-c", c->process_cmd, NULL};
    pid_t pid;
    int err = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (err) {
        close(pfd[0]);
        return ecl_err_errno(e, err, "cannot run credential_process of profile '%s'", c->profile);
    }
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = 0;
    for (;;) {
        struct pollfd p = {pfd[0], POLLIN, 0};
        int pr = poll(&p, 1, 200);
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double el = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (ecl_cancelled()) {
            rc = ecl_err_set(e, ECL_EINTR, "interrupted while credential_process of profile '%s' ran", c->profile);
            break;
        }
        if (el > limit) {
            rc = ecl_err_set(e, ECL_EAUTH, "credential_process of profile '%s' did not finish within %.0f s "
                             "(ECOMLAKE_CREDENTIAL_PROCESS_TIMEOUT): %s", c->profile, limit, c->process_cmd);
            break;
        }
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            continue;
        char buf[4096];
        ssize_t got = read(pfd[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        if (out->len + (size_t)got > (1 << 20)) {
            rc = ecl_err_set(e, ECL_EAUTH, "credential_process of profile '%s' printed more than 1 MiB", c->profile);
            break;
        }
        ecl_buf_append(out, buf, (size_t)got);
    }
    close(pfd[0]);
    if (rc)
        kill(pid, SIGKILL);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (!rc && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        if (WIFEXITED(st))
            rc = ecl_err_set(e, ECL_EAUTH, "credential_process of profile '%s' failed with exit status %d: %s "
                             "(run it by hand to see why)", c->profile, WEXITSTATUS(st), c->process_cmd);
        else
            rc = ecl_err_set(e, ECL_EAUTH, "credential_process of profile '%s' was killed by signal %d: %s",
                             c->profile, WIFSIGNALED(st) ? WTERMSIG(st) : 0, c->process_cmd);
    }
    if (!rc && ecl_buf_oom(out))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    return rc;
}

static int fetch_process(ecl_awscreds *c, ecl_aws_key *k, time_t *exp, ecl_err *e)
{
    ecl_buf out = ECL_BUF_INIT;
    int rc = run_process(c, &out, e);
    if (!rc) {
        char what[600];
        snprintf(what, sizeof what, "credential_process of profile '%s' (%s)", c->profile, c->process_cmd);
        rc = ecl_aws_parse_credentials_json((const char *)out.data, out.len, true, what, k, exp, e);
    }
    if (out.data)
        memset(out.data, 0, out.len);
    ecl_buf_release(&out);
    return rc;
}

static int fetch_container(ecl_awscreds *c, ecl_aws_key *k, time_t *exp, ecl_err *e)
{
    char tok[4096] = "", auth[4200] = "";
    if (c->token_file) {
        ecl_buf b = ECL_BUF_INIT;
        int rc = ecl_read_file(c->token_file, &b, sizeof tok - 1, e);
        if (rc) {
            ecl_buf_release(&b);
            ecl_err_prefix(e, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            return rc;
        }
        snprintf(tok, sizeof tok, "%.*s", (int)b.len, b.len ? (const char *)b.data : "");
        ecl_buf_release(&b);
        size_t n = strlen(tok);
        while (n && isspace((unsigned char)tok[n - 1]))
            tok[--n] = 0;
    } else if (c->token_env) {
        snprintf(tok, sizeof tok, "%s", c->token_env);
    }
    if (strpbrk(tok, "\r\n"))
        return ecl_err_set(e, ECL_EAUTH, "the container authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN%s) "
                           "contains a line break", c->token_file ? "_FILE" : "");
    hdr_ctx h = {{"Accept: application/json", NULL, NULL}};
    if (tok[0]) {
        snprintf(auth, sizeof auth, "Authorization: %s", tok);
        h.lines[1] = auth;
    }
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    int rc = http_call(c, "GET", c->container_url, &h, "container credentials", &resp, e);
    if (rc) {
        ecl_err_prefix(e, "cannot fetch credentials from the container endpoint '%s' (%s)", c->container_url,
                       env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                                                                               : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    } else if (resp.status == 401 || resp.status == 403) {
        rc = ecl_err_set(e, ECL_EAUTH, "the container credentials endpoint '%s' refused the request (HTTP %ld): "
                         "check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE / AWS_CONTAINER_AUTHORIZATION_TOKEN",
                         c->container_url, resp.status);
    } else if (resp.status != 200) {
        rc = ecl_err_set(e, ECL_EAUTH, "the container credentials endpoint '%s' answered HTTP %ld: %.200s",
                         c->container_url, resp.status, resp.body.len ? (const char *)resp.body.data : "");
    } else {
        char what[400];
        snprintf(what, sizeof what, "the container credentials endpoint '%s'", c->container_url);
        rc = ecl_aws_parse_credentials_json((const char *)resp.body.data, resp.body.len, false, what, k, exp, e);
    }
    ecl_http_resp_release(&resp);
    memset(tok, 0, sizeof tok);
    memset(auth, 0, sizeof auth);
    return rc;
}

static int fetch_imds(ecl_awscreds *c, ecl_aws_key *k, time_t *exp, ecl_err *e)
{
    char url[1400], tokline[512] = "";
    ecl_http_resp resp;
    ecl_http_resp_init(&resp);
    /* IMDSv2: a session token first */
    snprintf(url, sizeof url, "%s/latest/api/token", c->imds_base);
    hdr_ctx h = {{"X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL, NULL}};
    int rc = http_call(c, "PUT", url, &h, "instance metadata", &resp, e);
    if (rc) {
        ecl_err_prefix(e, "no instance metadata service at %s", c->imds_base);
    } else if (resp.status == 200 && resp.body.len && resp.body.len < 400) {
        snprintf(tokline, sizeof tokline, "X-aws-ec2-metadata-token: %.*s", (int)resp.body.len,
                 (const char *)resp.body.data);
    } else if ((resp.status == 403 || resp.status == 404 || resp.status == 405) && !c->v1_disabled) {
        ecl_log(ECL_LOG_INFO, "aws credentials", "instance metadata refused a session token (HTTP %ld); using IMDSv1",
                resp.status);
    } else {
        rc = ecl_err_set(e, ECL_EAUTH, "instance metadata at %s refused a session token (HTTP %ld)%s", c->imds_base,
                         resp.status, c->v1_disabled ? " and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1" : "");
    }
    ecl_http_resp_release(&resp);
    h.lines[0] = tokline[0] ? tokline : NULL;
    /* the role name, once */
    if (!rc && !c->role[0]) {
        snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/", c->imds_base);
        ecl_http_resp_init(&resp);
        rc = http_call(c, "GET", url, &h, "instance metadata", &resp, e);
        if (!rc && resp.status == 404)
            rc = ecl_err_set(e, ECL_EAUTH, "instance metadata at %s: the instance has no IAM role (instance profile)",
                             c->imds_base);
        else if (!rc && resp.status != 200)
            rc = ecl_err_set(e, ECL_EAUTH, "instance metadata at %s answered HTTP %ld for the role name", c->imds_base,
                             resp.status);
        else if (!rc) {
            size_t n = 0;
            const char *b = resp.body.len ? (const char *)resp.body.data : "";
            while (n < resp.body.len && b[n] != '\n' && b[n] != '\r' && n < sizeof c->role - 1)
                n++;
            memcpy(c->role, b, n);
            c->role[n] = 0;
            if (!c->role[0] || strpbrk(c->role, "/?#% "))
                rc = ecl_err_set(e, ECL_EAUTH, "instance metadata at %s named no usable role", c->imds_base);
        }
        ecl_http_resp_release(&resp);
    }
    if (!rc) {
        snprintf(url, sizeof url, "%s/latest/meta-data/iam/security-credentials/%s", c->imds_base, c->role);
        ecl_http_resp_init(&resp);
        rc = http_call(c, "GET", url, &h, "instance metadata", &resp, e);
        if (!rc && resp.status != 200) {
            rc = ecl_err_set(e, ECL_EAUTH, "instance metadata at %s answered HTTP %ld for the credentials of role '%s'",
                             c->imds_base, resp.status, c->role);
        } else if (!rc) {
            char what[1600];
            snprintf(what, sizeof what, "instance metadata at %s (role '%s')", c->imds_base, c->role);
            rc = ecl_aws_parse_credentials_json((const char *)resp.body.data, resp.body.len, false, what, k, exp, e);
        }
        ecl_http_resp_release(&resp);
    }
    memset(tokline, 0, sizeof tokline);
    return rc;
}

/* Fetches fresh credentials into c->key; called with c->mu held (single flight) or before sharing. */
static int fetch(ecl_awscreds *c, ecl_err *e)
{
    ecl_aws_key k;
    time_t exp = 0;
    int rc;
    switch (c->src) {
    case SRC_PROCESS: rc = fetch_process(c, &k, &exp, e); break;
    case SRC_CONTAINER: rc = fetch_container(c, &k, &exp, e); break;
    case SRC_IMDS: rc = fetch_imds(c, &k, &exp, e); break;
    default: return 0;
    }
    double now = wall_now();
    if (!rc && exp && (double)exp <= now)
        rc = ecl_err_set(e, ECL_EAUTH, "%s handed out credentials that expired already (clock skew?)", c->source);
    if (!rc) {
        c->key = k;
        c->expiry = exp;
        c->fetched = now;
        c->fetches++;
        if (exp)
            ecl_log(ECL_LOG_INFO, "aws credentials", "access key %s from %s, valid %.0f s", k.access_key, c->source,
                    (double)exp - now);
        else
            ecl_log(ECL_LOG_INFO, "aws credentials", "access key %s from %s", k.access_key, c->source);
    }
    memset(&k, 0, sizeof k);
    return rc;
}

/* ---------- the chain ---------- */

static char *home_file(const char *env, const char *rel)
{
    const char *v = env_nonempty(env);
    if (v)
        return strdup(v);
    const char *h = env_nonempty("HOME");
    char *p = NULL;
    if (asprintf(&p, "%s/%s", h ? h : "", rel) < 0)
        p = NULL;
    return p;
}

/* Reads one shared file into p; a missing file is fine unless its variable named it. */
static int load_shared(ecl_aws_profile *p, const char *path, const char *env, const char *name, bool is_config,
                       ecl_err *e)
{
    ecl_buf b = ECL_BUF_INIT;
    ecl_err re = ECL_ERR_INIT;
    int rc = ecl_read_file(path, &b, 16 << 20, &re);
    if (rc) {
        ecl_buf_release(&b);
        if (!env_nonempty(env) && re.code == ECL_ENOTFOUND)
            return 0;
        if (!env_nonempty(env) && access(path, F_OK) != 0)
            return 0;
        return ecl_err_set(e, ECL_EAUTH, "%s names '%s', which cannot be read: %s", env_nonempty(env) ? env : "the AWS "
                           "shared file", path, re.msg);
    }
    rc = ecl_aws_profile_parse(p, b.len ? (const char *)b.data : "", b.len, name, is_config, e);
    if (b.data)
        memset(b.data, 0, b.len);
    ecl_buf_release(&b);
    return rc;
}

static int set_static(ecl_awscreds *c, const char *ak, const char *sk, const char *tok, ecl_err *e)
{
    if (strlen(ak) >= sizeof c->key.access_key || strlen(sk) >= sizeof c->key.secret_key ||
        (tok && strlen(tok) >= sizeof c->key.session_token))
        return ecl_err_set(e, ECL_EAUTH, "%s: a key or token is too long", c->source);
    snprintf(c->key.access_key, sizeof c->key.access_key, "%s", ak);
    snprintf(c->key.secret_key, sizeof c->key.secret_key, "%s", sk);
    snprintf(c->key.session_token, sizeof c->key.session_token, "%s", tok ? tok : "");
    c->fetches = 1;
    return 0;
}

static const char UNSUPPORTED_ADVICE[] =
    "put 'credential_process = aws configure export-credentials --profile %s --format process' in a profile of "
    "the config file and select that profile, or export the keys (aws configure export-credentials --format env)";

/* Resolves the shared-files step; *done when the profile gave a source (or an error). */
static int from_profile(ecl_awscreds *c, const char *name, bool explicit_name, bool *done, ecl_err *e)
{
    *done = false;
    char *cred = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *conf = home_file("AWS_CONFIG_FILE", ".aws/config");
    ecl_aws_profile p;
    memset(&p, 0, sizeof p);
    int rc = cred && conf ? 0 : ecl_err_set(e, ECL_ENOMEM, "out of memory");
    if (!rc)
        rc = load_shared(&p, cred, "AWS_SHARED_CREDENTIALS_FILE", name, false, e);
    if (!rc)
        rc = load_shared(&p, conf, "AWS_CONFIG_FILE", name, true, e);
    if (rc)
        goto out;
    const char *ak = ecl_aws_profile_get(&p, "aws_access_key_id");
    const char *sk = ecl_aws_profile_get(&p, "aws_secret_access_key");
    const char *tok = ecl_aws_profile_get(&p, "aws_session_token");
    const char *proc = ecl_aws_profile_get(&p, "credential_process");
    bool keys_in_cred = ak && sk && profile_from_credentials(&p, "aws_access_key_id") &&
                        profile_from_credentials(&p, "aws_secret_access_key");
    char adv[600];
    snprintf(adv, sizeof adv, UNSUPPORTED_ADVICE, name);
    if (!p.in_credentials && !p.in_config) {
        if (explicit_name)
            rc = ecl_err_set(e, ECL_EAUTH,
                             "AWS profile '%s' (AWS_PROFILE or --profile) is in neither '%s' ([%s]) nor '%s' "
                             "([profile %s]): fix the name or run 'aws configure --profile %s'",
                             name, cred, name, conf, name, name);
        goto out;
    }
    *done = true;
    if (keys_in_cred || (ak && sk && !proc)) {
        const char *file = keys_in_cred ? cred : conf;
        snprintf(c->source, sizeof c->source, "profile '%s' of '%s'", name, file);
        snprintf(c->advice, sizeof c->advice, "fix aws_access_key_id/aws_secret_access_key of profile '%s' in '%s' "
                 "(or select another profile with AWS_PROFILE or --profile)", name, file);
        rc = set_static(c, ak, sk, tok, e);
    } else if (proc) {
        c->src = SRC_PROCESS;
        c->process_cmd = strdup(proc);
        bool in_cred = profile_from_credentials(&p, "credential_process");
        snprintf(c->source, sizeof c->source, "credential_process of profile '%s' in '%s'", name, in_cred ? cred : conf);
        snprintf(c->advice, sizeof c->advice, "check credential_process of profile '%s' in '%s' (run '%s' by hand)",
                 name, in_cred ? cred : conf, proc);
        if (!c->process_cmd)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
    } else if (ak || sk) {
        rc = ecl_err_set(e, ECL_EAUTH, "AWS profile '%s' has %s but no %s: add it to [%s] of '%s'", name,
                         ak ? "aws_access_key_id" : "aws_secret_access_key",
                         ak ? "aws_secret_access_key" : "aws_access_key_id", name, cred);
    } else if (ecl_aws_profile_get(&p, "role_arn")) {
        rc = ecl_err_set(e, ECL_EUNSUPPORTED, "AWS profile '%s' assumes a role (role_arn), which ecomlake does not "
                         "support yet: %s", name, adv);
    } else if (ecl_aws_profile_get(&p, "sso_session") || ecl_aws_profile_get(&p, "sso_start_url") ||
               ecl_aws_profile_get(&p, "sso_account_id")) {
        rc = ecl_err_set(e, ECL_EUNSUPPORTED, "AWS profile '%s' uses IAM Identity Center (SSO), which ecomlake does "
                         "not support yet: run 'aws sso login --profile %s', then %s", name, name, adv);
    } else if (ecl_aws_profile_get(&p, "web_identity_token_file")) {
        rc = ecl_err_set(e, ECL_EUNSUPPORTED, "AWS profile '%s' uses web identity, which ecomlake does not support "
                         "yet: %s", name, adv);
    } else if (explicit_name) {
        rc = ecl_err_set(e, ECL_EAUTH, "AWS profile '%s' has no credentials: add aws_access_key_id and "
                         "aws_secret_access_key to [%s] of '%s', or credential_process to [profile %s] of '%s'",
                         name, name, cred, name, conf);
    } else {
        *done = false; /* a default profile holding only settings such as region */
    }
out:
    ecl_aws_profile_release(&p);
    free(cred);
    free(conf);
    return rc;
}

/* Is an http:// container URI one the SDKs accept (loopback or the ECS/EKS link-local hosts)? */
static bool container_host_ok(const char *url)
{
    if (!strncmp(url, "https://", 8))
        return true;
    if (strncmp(url, "http://", 7))
        return false;
    const char *h = url + 7;
    static const char *const ok[] = {"127.", "localhost:", "localhost/", "[::1]", "169.254.170.2:",
                                     "169.254.170.2/", "169.254.170.23:", "169.254.170.23/", "[fd00:ec2::23]", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strncmp(h, ok[i], strlen(ok[i])))
            return true;
    return !strcmp(h, "localhost") || !strcmp(h, "169.254.170.2") || !strcmp(h, "169.254.170.23");
}

static int new_http(ecl_awscreds *c, int attempts, long timeout_s, ecl_err *e)
{
    ecl_http_policy pol = {.retries = attempts > 1 ? attempts - 1 : 0, .base_s = 0.2, .cap_s = 1, .budget_s = 30,
                           .connect_timeout_s = timeout_s, .low_speed_time_s = timeout_s + 1};
    return ecl_http_new(&c->http, &pol, e);
}

static int env_long(const char *name, long def, long min, long max, long *out, ecl_err *e)
{
    const char *v = env_nonempty(name);
    *out = def;
    if (!v)
        return 0;
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || x < min || x > max)
        return ecl_err_set(e, ECL_ECONFIG, "%s='%s': use a whole number from %ld to %ld", name, v, min, max);
    *out = x;
    return 0;
}

static int resolve(ecl_awscreds *c, const char *flag, ecl_err *e)
{
    const char *ak = env_nonempty("AWS_ACCESS_KEY_ID"), *sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
    if (!flag) {
        if (ak && sk) {
            c->src = SRC_ENV;
            snprintf(c->source, sizeof c->source, "the environment (AWS_ACCESS_KEY_ID)");
            snprintf(c->advice, sizeof c->advice, "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
                     "AWS_SESSION_TOKEN for temporary keys) to valid keys, or unset them to use a profile");
            return set_static(c, ak, sk, env_nonempty("AWS_SESSION_TOKEN"), e);
        }
        if (ak || sk)
            return ecl_err_set(e, ECL_EAUTH, "%s is set but %s is not: set both, or unset %s to use a profile",
                               ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                               ak ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                               ak ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
        if (env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE") && env_nonempty("AWS_ROLE_ARN"))
            return ecl_err_set(e, ECL_EUNSUPPORTED,
                               "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are set, but assuming a role with web "
                               "identity is not supported yet: unset them to use the other credential sources, or "
                               "give the pod AWS_CONTAINER_CREDENTIALS_FULL_URI (EKS Pod Identity)");
    }
    const char *name = flag;
    if (!name)
        name = env_nonempty("AWS_PROFILE");
    if (!name)
        name = env_nonempty("AWS_DEFAULT_PROFILE");
    bool explicit_name = name != NULL;
    if (!name)
        name = "default";
    c->profile = strdup(name);
    if (!c->profile)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    c->src = SRC_FILE;
    bool done;
    int rc = from_profile(c, name, explicit_name, &done, e);
    if (rc || done)
        return rc;
    const char *rel = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    if (rel || full) {
        c->src = SRC_CONTAINER;
        if (rel && asprintf(&c->container_url, "http://169.254.170.2%s%s", rel[0] == '/' ? "" : "/", rel) < 0)
            c->container_url = NULL;
        if (!rel)
            c->container_url = strdup(full);
        if (!c->container_url)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        if (!rel && !container_host_ok(full))
            return ecl_err_set(e, ECL_ECONFIG, "AWS_CONTAINER_CREDENTIALS_FULL_URI='%s': use https://, or http:// "
                               "on a loopback address or the ECS/EKS link-local hosts", full);
        const char *tf = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
        const char *tv = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        c->token_file = tf ? strdup(tf) : NULL;
        c->token_env = !tf && tv ? strdup(tv) : NULL;
        snprintf(c->source, sizeof c->source, "the container endpoint %s", c->container_url);
        snprintf(c->advice, sizeof c->advice, "check the task or pod role behind %s",
                 rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" : "AWS_CONTAINER_CREDENTIALS_FULL_URI");
        return new_http(c, 3, 2, e);
    }
    char *cred = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    char *conf = home_file("AWS_CONFIG_FILE", ".aws/config");
    char none[900];
    snprintf(none, sizeof none,
             "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or add keys to profile [%s] of "
             "'%s' or credential_process to [profile %s] of '%s' (select it with AWS_PROFILE or --profile), or run "
             "where AWS_CONTAINER_CREDENTIALS_FULL_URI/_RELATIVE_URI or an EC2 instance role provides them",
             name, cred ? cred : "~/.aws/credentials", name, conf ? conf : "~/.aws/config");
    free(cred);
    free(conf);
    if (env_true("AWS_EC2_METADATA_DISABLED"))
        return ecl_err_set(e, ECL_EAUTH, "%s (instance metadata is off: AWS_EC2_METADATA_DISABLED=true)", none);
    c->src = SRC_IMDS;
    const char *ep = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    const char *mode = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    if (!ep)
        ep = mode && !strcasecmp(mode, "IPv6") ? "http://[fd00:ec2::254]" : "http://169.254.169.254";
    size_t el = strlen(ep);
    while (el && ep[el - 1] == '/')
        el--;
    c->imds_base = strndup(ep, el);
    c->v1_disabled = env_true("AWS_EC2_METADATA_V1_DISABLED");
    long attempts, timeout;
    if ((rc = env_long("AWS_METADATA_SERVICE_NUM_ATTEMPTS", 1, 1, 10, &attempts, e)) ||
        (rc = env_long("AWS_METADATA_SERVICE_TIMEOUT", 1, 1, 60, &timeout, e)))
        return rc;
    if (!c->imds_base)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    snprintf(c->source, sizeof c->source, "EC2 instance metadata at %s", c->imds_base);
    snprintf(c->advice, sizeof c->advice, "check the IAM role attached to the instance");
    if ((rc = new_http(c, (int)attempts, timeout, e)))
        return rc;
    ecl_err fe = ECL_ERR_INIT;
    if (fetch(c, &fe)) {
        /* Nothing was configured and no instance answered: say what would fix it. */
        return ecl_err_set(e, fe.code == ECL_EINTR ? ECL_EINTR : ECL_EAUTH, "%s (%s)", none, fe.msg);
    }
    snprintf(c->source, sizeof c->source, "EC2 instance metadata at %s (role '%s')", c->imds_base, c->role);
    snprintf(c->advice, sizeof c->advice, "check the permissions of the instance's IAM role '%s'", c->role);
    return 0;
}

int ecl_awscreds_new(ecl_awscreds **out, const char *profile, ecl_err *e)
{
    *out = NULL;
    ecl_awscreds *c = calloc(1, sizeof *c);
    if (!c)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    int rc = resolve(c, profile, e);
    if (!rc && !c->fetches)
        rc = fetch(c, e);
    if (rc) {
        ecl_awscreds_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ecl_awscreds_free(ecl_awscreds *c)
{
    if (!c)
        return;
    ecl_http_free(c->http);
    free(c->profile);
    free(c->process_cmd);
    free(c->container_url);
    free(c->token_file);
    if (c->token_env)
        memset(c->token_env, 0, strlen(c->token_env));
    free(c->token_env);
    free(c->imds_base);
    pthread_mutex_destroy(&c->mu);
    memset(&c->key, 0, sizeof c->key);
    free(c);
}

int ecl_awscreds_get(ecl_awscreds *c, ecl_aws_key *out, ecl_err *e)
{
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    double now = wall_now();
    if (c->expiry) {
        double life = (double)c->expiry - c->fetched;
        double margin = ecl_gauth_refresh_margin(life > 1 ? life : 1);
        if (now >= (double)c->expiry - margin && now >= c->quiet_until) {
            ecl_err fe = ECL_ERR_INIT;
            if (fetch(c, &fe)) {
                if (now < (double)c->expiry && fe.code != ECL_EINTR) {
                    /* still valid: keep working and try again shortly */
                    ecl_log(ECL_LOG_WARN, "aws credentials", "cannot refresh (the current keys are valid %.0f s "
                            "more): %s", (double)c->expiry - now, fe.msg);
                    c->quiet_until = now + (margin / 8 > 1 ? margin / 8 : 1);
                } else {
                    rc = ecl_err_set(e, fe.code, "%s", fe.msg);
                }
            }
        }
    }
    if (!rc)
        *out = c->key;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ecl_awscreds_refresh(ecl_awscreds *c, const char *refused_ak, bool *changed, ecl_err *e)
{
    *changed = false;
    if (c->src != SRC_PROCESS && c->src != SRC_CONTAINER && c->src != SRC_IMDS)
        return 0;
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (strcmp(c->key.access_key, refused_ak) != 0)
        *changed = true; /* replaced meanwhile */
    else if (!(rc = fetch(c, e)))
        *changed = strcmp(c->key.access_key, refused_ak) != 0;
    pthread_mutex_unlock(&c->mu);
    return rc;
}

const char *ecl_awscreds_source(const ecl_awscreds *c) { return c->source; }
const char *ecl_awscreds_advice(const ecl_awscreds *c) { return c->advice; }

void ecl_awscreds_access_key(ecl_awscreds *c, char *out, size_t cap)
{
    pthread_mutex_lock(&c->mu);
    snprintf(out, cap, "%s", c->key.access_key);
    pthread_mutex_unlock(&c->mu);
}

long ecl_awscreds_fetches(ecl_awscreds *c)
{
    pthread_mutex_lock(&c->mu);
    long n = c->fetches;
    pthread_mutex_unlock(&c->mu);
    return n;
}
