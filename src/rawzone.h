/* rawzone.h - what export-raw and backfill share: hooks, lineage timestamps, state locations,
 * JSON output helpers. */
#ifndef ECL_RAWZONE_H
#define ECL_RAWZONE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../lib/ledger.h"
#include "../lib/publish.h"
#include "cli.h"

enum { RZ_MAX_HOOKS = 16 };

typedef struct rz_hooks {
    const char *cmd[RZ_MAX_HOOKS];
    int n;
    bool warn_only; /* --hook-failure=warn */
} rz_hooks;

/* Adds a --post-export-hook value; returns -1 after a usage error. */
int rz_hooks_add(rz_hooks *h, const cli_cmd *cmd, const char *value);
/* Parses --hook-failure=fail|warn. */
int rz_hooks_mode(rz_hooks *h, const cli_cmd *cmd, const char *value);
/* Runs every hook for a committed partition; records the outcome in the ledger (may be NULL).
 * Returns the number of failed hooks (logged as warnings or errors). */
int rz_hooks_run(const rz_hooks *h, const ecl_hook_ctx *c, ecl_ledger *l, const char *dest_key);

/* Wall-clock values written into files: SOURCE_DATE_EPOCH when set, else now. µs since the epoch.
 * Returns -1 after printing an error when SOURCE_DATE_EPOCH is malformed. */
int rz_source_time(int64_t *us, bool *from_env);
/* Who started this run: $ECOMLAKE_TRIGGERED_BY, else user@host. */
const char *rz_triggered_by(void);
/* The default state location for a destination (documented in docs/backfill.md). */
void rz_default_state(const char *dest, char *out, size_t n);
/* Writes s as a JSON string literal. */
void rz_json_str(FILE *f, const char *s);
/* The messiness level names a model accepts. */
bool rz_messiness_valid(const char *level);
/* Shared option values; each returns -1 after a usage error naming the flag. */
int rz_parse_seed(const cli_cmd *cmd, const char *val, uint64_t *seed);
int rz_parse_messiness(const cli_cmd *cmd, const char *val);
int rz_parse_batch_id(const cli_cmd *cmd, const char *val);

#endif
