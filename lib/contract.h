/* contract.h - the schema contract: a YAML file naming a table's columns (name, type, nullability)
 * and its CSV dialect. It is what `ecomlake convert` checks every value against. Format (docs/contract.md):
 *
 *     name: orders
 *     csv: {delimiter: ",", header: true, null: ""}
 *     columns:
 *       - {name: order_id, type: string, nullable: false}
 *       - {name: amount, type: "decimal(12,2)"}
 *
 * csv keys (all optional): delimiter (one byte; default ","), quote (one byte; default '"'), header
 * (default true), null (the null token, taken as written: `null: NULL` is the text NULL; default ""),
 * line_ending (crlf|lf; default crlf), booleans (python -> True/False, lower -> true/false; default
 * python), timestamps (iso, iso_micros, space, space_micros; default iso), quote_empty (write empty strings as "" so they differ from an
 * empty null token; default true). Column keys: name, type, nullable (default true), description.
 * Types: string, int32, int64, double, boolean, date, timestamp, decimal(p,s) with 1 <= p <= 18
 * (aliases: int, bigint, bool, float64). Unknown keys are warnings (ecl_log WARN with file:line:col);
 * everything else wrong is an ECL_ECONFIG error "FILE:LINE:COL: key 'columns[2].type': ...". */
#ifndef ECL_CONTRACT_H
#define ECL_CONTRACT_H

#include <stddef.h>

#include "column.h"
#include "csv.h"
#include "err.h"

typedef struct ecl_contract {
    char *name;
    ecl_schema schema;
    ecl_csv_dialect csv; /* csv.null_token points at null_token below */
    char *null_token;
} ecl_contract;

int ecl_contract_load_file(ecl_contract *c, const char *path, ecl_err *e);
/* name stands for the file in messages. */
int ecl_contract_load_mem(ecl_contract *c, const char *name, const void *data, size_t n, ecl_err *e);
void ecl_contract_release(ecl_contract *c);

#endif
