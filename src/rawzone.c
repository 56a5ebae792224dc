#include "rawzone.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "../lib/log.h"
#include "../lib/sink.h"

int rz_hooks_add(rz_hooks *h, const cli_cmd *cmd, const char *value)
{
    if (!value || !*value)
        return cli_usage_error(cmd, "--post-export-hook needs a shell command"), -1;
    if (h->n == RZ_MAX_HOOKS)
        return cli_usage_error(cmd, "at most %d --post-export-hook commands", RZ_MAX_HOOKS), -1;
    h->cmd[h->n++] = value;
    return 0;
}

int rz_hooks_mode(rz_hooks *h, const cli_cmd *cmd, const char *value)
{
    if (strcmp(value, "fail") == 0)
        h->warn_only = false;
    else if (strcmp(value, "warn") == 0)
        h->warn_only = true;
    else
        return cli_usage_error(cmd, "--hook-failure: '%s' is not one of fail, warn", value), -1;
    return 0;
}

int rz_hooks_run(const rz_hooks *h, const ecl_hook_ctx *c, ecl_ledger *l, const char *dest_key)
{
    int failed = 0;
    char first[1024] = "";
    for (int i = 0; i < h->n; i++) {
        ecl_err e = ECL_ERR_INIT;
        if (ecl_run_hook(h->cmd[i], c, &e)) {
            ecl_log(h->warn_only ? ECL_LOG_WARN : ECL_LOG_ERROR, c->partition_dir, "%s", e.msg);
            if (!failed)
                snprintf(first, sizeof first, "%s", e.msg);
            failed++;
        }
    }
    if (l && h->n) {
        ecl_err e = ECL_ERR_INIT;
        char part[1200];
        snprintf(part, sizeof part, "%s", c->partition);
        if (ecl_ledger_part_hook(l, dest_key, c->table, part, failed ? "failed" : "ok",
                                 failed ? first : NULL, &e))
            ecl_log(ECL_LOG_WARN, c->partition_dir, "cannot record hook status: %s", e.msg);
    }
    return failed;
}

int rz_source_time(int64_t *us, bool *from_env)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    *from_env = false;
    if (s && *s) {
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *end || v < 0) {
            cli_error("SOURCE_DATE_EPOCH: '%s' is not a number of seconds since 1970", s);
            return -1;
        }
        *us = (int64_t)v * 1000000;
        *from_env = true;
        return 0;
    }
    struct timeval tv;
    gettimeofday(&tv, NULL);
    /* whole seconds: the value is shown and compared as text in manifests and ledgers */
    *us = (int64_t)tv.tv_sec * 1000000;
    return 0;
}

const char *rz_triggered_by(void)
{
    static char who[300];
    const char *env = getenv("ECOMLAKE_TRIGGERED_BY");
    if (env && *env)
        return env;
    const char *user = getenv("USER");
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    snprintf(who, sizeof who, "%s@%s", user && *user ? user : "unknown", host[0] ? host : "localhost");
    return who;
}

void rz_default_state(const char *dest, char *out, size_t n)
{
    const char *dir = ecl_sink_local_dir(dest);
    if (dir)
        snprintf(out, n, "%s/_ecomlake_state.sqlite", dir);
    else
        snprintf(out, n, ".ecomlake/state.sqlite");
}

void rz_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

bool rz_messiness_valid(const char *level)
{
    static const char *const names[] = {"none", "baseline", "light_mess", "medium_mess", "heavy_mess"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(level, names[i]) == 0)
            return true;
    return false;
}

int rz_parse_seed(const cli_cmd *cmd, const char *val, uint64_t *seed)
{
    char *end;
    errno = 0;
    unsigned long long s = strtoull(val, &end, 10);
    if (errno || end == val || *end || val[0] == '-')
        return cli_usage_error(cmd, "--seed: '%s' is not a whole number", val), -1;
    *seed = s;
    return 0;
}

int rz_parse_messiness(const cli_cmd *cmd, const char *val)
{
    if (rz_messiness_valid(val))
        return 0;
    return cli_usage_error(cmd, "--messiness-level: '%s' is not one of none, baseline, light_mess, "
                                "medium_mess, heavy_mess", val),
           -1;
}

int rz_parse_batch_id(const cli_cmd *cmd, const char *val)
{
    if (*val && strlen(val) < 100 && !strpbrk(val, "/\\\"'\n"))
        return 0;
    return cli_usage_error(cmd, "--batch-id: '%s' must be 1-99 characters without slashes or quotes", val), -1;
}
