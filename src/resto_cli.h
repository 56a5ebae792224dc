/* resto_cli.h - option handling shared by the restaurant commands (window, continuous). */
#ifndef ECL_RESTO_CLI_H
#define ECL_RESTO_CLI_H

#include <stddef.h>

#include "cli.h"

#include "../lib/sink.h"

/* Resolves --output-dir / --dest into a local lake root (default "output") or, for s3:// and gs://
 * URLs, opens *sink (root then holds the URL). Returns 0, -1 after a usage error, or an exit code
 * > 0 after a failure to open the sink. */
int resto_cli_root(const cli_cmd *cmd, const char *out, const char *dest, char *root, size_t n,
                   ecl_sink **sink);

#endif
