/* resto_cli.c - option handling shared by the restaurant commands. */
#include "resto_cli.h"

#include <stdio.h>
#include <string.h>

#include "../lib/err.h"

int resto_cli_root(const cli_cmd *cmd, const char *out, const char *dest, char *root, size_t n,
                   ecl_sink **sink)
{
    *sink = NULL;
    if (out && dest) {
        cli_usage_error(cmd, "give --output-dir or --dest, not both");
        return -1;
    }
    const char *r = out ? out : dest ? dest : "output";
    if (strncmp(r, "file://", 7) == 0)
        r += 7;
    else if (strstr(r, "://")) {
        if (out || !ecl_sink_is_remote(r)) {
            cli_usage_error(cmd, "'%s': --dest takes s3://, gs:// or file:// URLs; --output-dir a path", r);
            return -1;
        }
        snprintf(root, n, "%s", r);
        ecl_sink_opts so;
        ecl_sink_opts_default(&so);
        ecl_err e = ECL_ERR_INIT;
        if (ecl_sink_open(sink, r, &so, &e))
            return cli_fail(&e);
        return 0;
    }
    size_t len = strlen(r);
    while (len > 1 && r[len - 1] == '/')
        len--;
    if (len == 0 || len >= n) {
        cli_usage_error(cmd, "bad output directory '%s'", r);
        return -1;
    }
    memcpy(root, r, len);
    root[len] = 0;
    return 0;
}
