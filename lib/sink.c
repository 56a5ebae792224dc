/* Sink dispatch by URL scheme. */
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
