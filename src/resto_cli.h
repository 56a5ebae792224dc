/* resto_cli.h - option handling shared by the restaurant commands (window, continuous). */
#ifndef ECL_RESTO_CLI_H
#define ECL_RESTO_CLI_H

#include <stddef.h>

#include "cli.h"

/* Resolves --output-dir / --dest into a local lake root (default "output"). Remote URLs are
 * refused with a clear message. Returns 0, or -1 after a usage error. */
int resto_cli_root(const cli_cmd *cmd, const char *out, const char *dest, char *root, size_t n);

#endif
