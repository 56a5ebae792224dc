/* resto_cli.c - option handling shared by the restaurant commands. */
#include "resto_cli.h"

#include <stdio.h>
#include <string.h>

int resto_cli_root(const cli_cmd *cmd, const char *out, const char *dest, char *root, size_t n)
{
    if (out && dest) {
        cli_usage_error(cmd, "give --output-dir or --dest, not both");
        return -1;
    }
    const char *r = out ? out : dest ? dest : "output";
    if (strncmp(r, "file://", 7) == 0)
        r += 7;
    else if (strstr(r, "://")) {
        cli_usage_error(cmd, "--dest '%s': only local paths and file:// URLs are supported for the "
                             "restaurant dataset (object-storage sinks are not wired in yet)", r);
        return -1;
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
