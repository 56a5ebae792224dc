/* Sink dispatch by URL scheme. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sink.h"

void ecl_sink_opts_default(ecl_sink_opts *o)
{
    memset(o, 0, sizeof *o);
    o->jobs = 4;
}

bool ecl_sink_is_remote(const char *url)
{
    return strncmp(url, "s3://", 5) == 0 || strncmp(url, "gs://", 5) == 0;
}

const char *ecl_sink_local_dir(const char *url)
{
    if (ecl_sink_is_remote(url))
        return NULL;
    if (strncmp(url, "file://", 7) == 0)
        return url + 7;
    return strstr(url, "://") ? NULL : url;
}

int ecl_sink_open(ecl_sink **s, const char *url, const ecl_sink_opts *o, ecl_err *e)
{
    ecl_sink_opts def;
    if (!o) {
        ecl_sink_opts_default(&def);
        o = &def;
    }
    *s = NULL;
    if (strncmp(url, "s3://", 5) == 0)
        return ecl_sink_open_s3(s, url, o, e);
    if (strncmp(url, "gs://", 5) == 0)
        return ecl_sink_open_gs(s, url, o, e);
    if (!ecl_sink_local_dir(url)) {
        const char *sep = strstr(url, "://");
        return ecl_err_set(e, ECL_EINVAL,
                           "unknown destination scheme '%.*s' in '%s' (use a path, file://, s3:// or gs://)",
                           (int)(sep - url), url, url);
    }
    return ecl_sink_open_file(s, url, o, e);
}

typedef struct except_ctx {
    ecl_sink *sink;
    size_t prefix_len;
    const char *const *keep;
    size_t nkeep;
    ecl_err *e;
    int rc;
} except_ctx;

static int delete_unless_kept(const char *key, const ecl_obj_info *info, void *arg)
{
    (void)info;
    except_ctx *c = arg;
    const char *name = key + c->prefix_len;
    for (size_t i = 0; i < c->nkeep; i++)
        if (strcmp(name, c->keep[i]) == 0)
            return 0;
    c->rc = c->sink->ops->del(c->sink, key, c->e);
    return c->rc;
}

int ecl_sink_delete_except(ecl_sink *sink, const char *dir_key, const char *const *keep, size_t nkeep,
                           ecl_err *e)
{
    char *prefix = NULL;
    if (asprintf(&prefix, "%s/", dir_key) < 0)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    except_ctx c = {sink, strlen(prefix), keep, nkeep, e, 0};
    int rc = sink->ops->list(sink, prefix, delete_unless_kept, &c, e);
    free(prefix);
    return rc ? rc : c.rc;
}
