#include "contract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlcfg.h"

static int one_byte(const ecl_ynode *n, const char *what, char *out, ecl_err *e)
{
    const char *s;
    if (ecl_y_str(n, &s, e))
        return ECL_ECONFIG;
    if (n->len != 1 || (unsigned char)s[0] >= 0x80)
        return ecl_y_error(n, e, "the %s must be exactly one ASCII character, got '%s'", what, s);
    if (s[0] == '\n' || s[0] == '\r')
        return ecl_y_error(n, e, "the %s cannot be a line break", what);
    *out = s[0];
    return 0;
}

static int load_csv(ecl_contract *c, const ecl_ynode *csv, ecl_err *e)
{
    static const char *const keys[] = {"delimiter", "quote", "header", "null", "line_ending", "booleans",
                                       "timestamps", "quote_empty", "encoding", NULL};
    ecl_csv_dialect *d = &c->csv;
    if (ecl_y_is_null(csv))
        return 0;
    if (ecl_y_expect_map(csv, e))
        return ECL_ECONFIG;
    ecl_y_check_keys(csv, keys, NULL, NULL);
    const ecl_ynode *n;
    if (!ecl_y_is_null(n = ecl_y_get(csv, "delimiter")) && one_byte(n, "delimiter", &d->delimiter, e))
        return ECL_ECONFIG;
    if (!ecl_y_is_null(n = ecl_y_get(csv, "quote")) && one_byte(n, "quote", &d->quote, e))
        return ECL_ECONFIG;
    if (d->quote == d->delimiter)
        return ecl_y_error(csv, e, "the quote and the delimiter must differ (both are '%c')", d->quote);
    if (ecl_y_opt_bool(csv, "header", true, &d->header, e))
        return ECL_ECONFIG;
    /* The token is taken as written: `null: NULL` means the text NULL (YAML would read a null),
     * and `null:` left empty means the empty string, like `null: ""`. */
    n = ecl_y_get(csv, "null");
    if (n && n->len) {
        if (!ecl_y_is_scalar(n))
            return ecl_y_error(n, e, "expected the null token as a string");
        if (memchr(n->str, '\n', n->len) || memchr(n->str, '\r', n->len) || memchr(n->str, d->delimiter, n->len) ||
            memchr(n->str, d->quote, n->len))
            return ecl_y_error(n, e, "the null token cannot contain the delimiter, the quote or a line break");
        free(c->null_token);
        if (!(c->null_token = strdup(n->str)))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    d->null_token = c->null_token;
    int idx;
    static const char *const eols[] = {"crlf", "lf", NULL};
    if (!ecl_y_is_null(n = ecl_y_get(csv, "line_ending"))) {
        if (ecl_y_enum(n, eols, &idx, e))
            return ECL_ECONFIG;
        d->crlf = idx == 0;
    }
    static const char *const bools[] = {"python", "lower", NULL};
    if (!ecl_y_is_null(n = ecl_y_get(csv, "booleans"))) {
        if (ecl_y_enum(n, bools, &idx, e))
            return ECL_ECONFIG;
        d->bools = idx == 0 ? ECL_BOOL_PYTHON : ECL_BOOL_LOWER;
    }
    static const char *const ts[] = {"iso", "iso_micros", "space", "space_micros", NULL};
    static const ecl_ts_style tsv[] = {ECL_TS_ISO_T, ECL_TS_ISO_T_MICROS, ECL_TS_SPACE, ECL_TS_SPACE_MICROS};
    if (!ecl_y_is_null(n = ecl_y_get(csv, "timestamps"))) {
        if (ecl_y_enum(n, ts, &idx, e))
            return ECL_ECONFIG;
        d->timestamps = tsv[idx];
    }
    if (ecl_y_opt_bool(csv, "quote_empty", true, &d->quote_empty, e))
        return ECL_ECONFIG;
    static const char *const enc[] = {"utf-8", "UTF-8", "utf8", NULL};
    if (!ecl_y_is_null(n = ecl_y_get(csv, "encoding")) && ecl_y_enum(n, enc, &idx, e))
        return ECL_ECONFIG;
    return 0;
}

/* "decimal( 12 , 2 )" and "DECIMAL(12,2)" are read as "decimal(12,2)". */
static void normalise_type(const char *s, char *out, size_t cap)
{
    size_t w = 0;
    for (; *s && w + 1 < cap; s++) {
        char ch = *s;
        if (ch == ' ' || ch == '\t')
            continue;
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        out[w++] = ch;
    }
    out[w] = 0;
}

static int load_column(ecl_contract *c, const ecl_ynode *col, ecl_err *e)
{
    static const char *const keys[] = {"name", "type", "nullable", "description", NULL};
    if (ecl_y_expect_map(col, e))
        return ECL_ECONFIG;
    ecl_y_check_keys(col, keys, NULL, NULL);
    const ecl_ynode *nn = ecl_y_need(col, "name", e);
    const char *name;
    if (!nn || ecl_y_str(nn, &name, e))
        return ECL_ECONFIG;
    if (!name[0] || strlen(name) != nn->len)
        return ecl_y_error(nn, e, "a column name cannot be empty or contain NUL bytes");
    int dup = ecl_schema_find(&c->schema, name);
    if (dup >= 0)
        return ecl_y_error(nn, e, "duplicate column name '%s' (column %d has it too)", name, dup + 1);
    const ecl_ynode *tn = ecl_y_need(col, "type", e);
    const char *type;
    if (!tn || ecl_y_str(tn, &type, e))
        return ECL_ECONFIG;
    char norm[64];
    normalise_type(type, norm, sizeof norm);
    ecl_type t;
    int p, s;
    if (ecl_type_parse(norm, &t, &p, &s)) {
        int pp, ss, used = 0;
        if (sscanf(norm, "decimal(%d,%d)%n", &pp, &ss, &used) == 2 && norm[used] == 0)
            return ecl_y_error(tn, e,
                               "decimal(%d,%d) is not supported: precision must be 1..18 (64-bit) and the scale "
                               "0..precision",
                               pp, ss);
        return ecl_y_error(tn, e,
                           "unknown type '%s' (expected one of string, int32, int64, double, boolean, date, "
                           "timestamp, decimal(p,s))",
                           type);
    }
    bool nullable;
    if (ecl_y_opt_bool(col, "nullable", true, &nullable, e))
        return ECL_ECONFIG;
    const ecl_ynode *dn = ecl_y_get(col, "description");
    if (dn && !ecl_y_is_scalar(dn))
        return ecl_y_error(dn, e, "expected a description as text");
    int rc = t == ECL_T_DECIMAL ? ecl_schema_add_decimal(&c->schema, name, p, s, nullable)
                                : ecl_schema_add(&c->schema, name, t, nullable);
    return rc ? ecl_err_set(e, ECL_ENOMEM, "out of memory") : 0;
}

static int load(ecl_contract *c, const ecl_ydoc *doc, ecl_err *e)
{
    static const char *const keys[] = {"name", "description", "csv", "columns", NULL};
    const ecl_ynode *root = ecl_ydoc_root(doc);
    if (ecl_y_expect_map(root, e))
        return ECL_ECONFIG;
    ecl_y_check_keys(root, keys, NULL, NULL);
    const char *name;
    if (ecl_y_opt_str(root, "name", "table", &name, e))
        return ECL_ECONFIG;
    if (!(c->name = strdup(name)))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    const ecl_ynode *dn = ecl_y_get(root, "description");
    if (dn && !ecl_y_is_scalar(dn))
        return ecl_y_error(dn, e, "expected a description as text");
    if (load_csv(c, ecl_y_get(root, "csv"), e))
        return ECL_ECONFIG;
    const ecl_ynode *cols = ecl_y_need(root, "columns", e);
    if (!cols || ecl_y_expect_seq(cols, e))
        return ECL_ECONFIG;
    if (ecl_y_len(cols) == 0)
        return ecl_y_error(cols, e, "a contract needs at least one column");
    for (size_t i = 0; i < ecl_y_len(cols); i++)
        if (load_column(c, ecl_y_item(cols, i), e))
            return e->code ? e->code : ECL_ECONFIG;
    return 0;
}

static int init(ecl_contract *c, ecl_err *e)
{
    memset(c, 0, sizeof *c);
    ecl_schema_init(&c->schema);
    ecl_csv_dialect_default(&c->csv);
    c->csv.quote_empty = true;
    if (!(c->null_token = strdup("")))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    c->csv.null_token = c->null_token;
    return 0;
}

static int finish(ecl_contract *c, ecl_ydoc *doc, int rc, ecl_err *e)
{
    if (!rc)
        rc = load(c, doc, e);
    ecl_ydoc_free(doc);
    if (rc)
        ecl_contract_release(c);
    return rc;
}

int ecl_contract_load_file(ecl_contract *c, const char *path, ecl_err *e)
{
    ecl_ydoc *doc = NULL;
    int rc = init(c, e);
    if (!rc)
        rc = ecl_ydoc_load_file(&doc, path, e);
    return finish(c, doc, rc, e);
}

int ecl_contract_load_mem(ecl_contract *c, const char *name, const void *data, size_t n, ecl_err *e)
{
    ecl_ydoc *doc = NULL;
    int rc = init(c, e);
    if (!rc)
        rc = ecl_ydoc_load_mem(&doc, name, data, n, e);
    return finish(c, doc, rc, e);
}

void ecl_contract_release(ecl_contract *c)
{
    free(c->name);
    free(c->null_token);
    ecl_schema_release(&c->schema);
    c->name = NULL;
    c->null_token = NULL;
    c->csv.null_token = "";
}
