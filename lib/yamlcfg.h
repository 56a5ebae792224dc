/* yamlcfg.h - YAML configuration files as a tree of positioned nodes, with typed getters whose
 * errors point at the offending text.
 *
 * Loading (libyaml underneath) builds one tree per file: mappings keep their keys in file order,
 * sequences their items, scalars their text, tag and quoting style. Every node knows its file, line
 * and column (1-based) and its path from the root ("lookup_config.customers.num_customers",
 * "columns[2].type"; sequence indexes are 0-based), so every message reads
 *
 *     FILE:LINE:COL: key 'a.b.c': expected a number between 0 and 1, got '1.3'
 *
 * and is returned as ECL_ECONFIG. libyaml's own syntax errors come out the same way
 * ("FILE:LINE:COL: mapping values are not allowed in this context").
 *
 * Scalars are typed the way PyYAML's safe loader (YAML 1.1) reads the original configs, but only when
 * a getter asks: a plain (unquoted) scalar is null if it is empty, "~", "null", "Null" or "NULL"; a
 * boolean if it is one of true/True/TRUE/false/False/FALSE/yes/Yes/YES/no/No/NO/on/On/ON/off/Off/OFF;
 * a number if it reads as one (underscores as digit separators, 0x/0o/0b integers, .inf/.nan for
 * doubles). A quoted scalar or one tagged !!str is always a string: `"5"` is not a number.
 *
 * Anchors and aliases are expanded (with a node budget, so a "billion laughs" file fails instead of
 * eating memory), and the merge key `<<` works as in PyYAML (explicit keys win over merged ones).
 * A duplicate key in one mapping is an error. Only the first document of a stream is read; a second
 * one is an error. An empty file loads as a null root, which ecl_y_get treats as an empty mapping.
 *
 * Nodes are owned by their ecl_ydoc and valid until ecl_ydoc_free. The getters never allocate. */
#ifndef ECL_YAMLCFG_H
#define ECL_YAMLCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum ecl_ykind { ECL_Y_SCALAR, ECL_Y_SEQ, ECL_Y_MAP } ecl_ykind;

typedef enum ecl_ystyle {
    ECL_YS_PLAIN,
    ECL_YS_SINGLE,  /* 'text' */
    ECL_YS_DOUBLE,  /* "text" */
    ECL_YS_LITERAL, /* | block */
    ECL_YS_FOLDED,  /* > block */
} ecl_ystyle;

typedef struct ecl_ynode ecl_ynode;
struct ecl_ynode {
    ecl_ykind kind;
    ecl_ystyle style;         /* scalars */
    const char *file;         /* name given at load; shared by every node of the document */
    uint32_t line, col;       /* 1-based start of the node (the quote of a quoted scalar) */
    const char *tag;          /* explicit tag as resolved by libyaml ("tag:yaml.org,2002:str"), or NULL */
    const char *str;          /* scalars: NUL-terminated text (may hold NULs: use len) */
    size_t len;
    size_t n;                 /* sequences and mappings: item count */
    ecl_ynode **items;        /* sequence items, or mapping values */
    ecl_ynode **keys;         /* mappings: key scalars, same order as items */
    const ecl_ynode *parent;  /* NULL for the root */
    const ecl_ynode *key;     /* in a mapping: this value's key; NULL otherwise */
    size_t index;             /* in a sequence: this item's index */
};

typedef struct ecl_ydoc ecl_ydoc;

/* Loads a YAML file. Errors: ECL_ENOTFOUND/ECL_EIO for the file, ECL_ECONFIG for its contents. */
int ecl_ydoc_load_file(ecl_ydoc **doc, const char *path, ecl_err *e);
/* Loads from memory; name stands for the file in messages. Used by tests and the fuzzer. */
int ecl_ydoc_load_mem(ecl_ydoc **doc, const char *name, const void *data, size_t n, ecl_err *e);
const ecl_ynode *ecl_ydoc_root(const ecl_ydoc *doc);
void ecl_ydoc_free(ecl_ydoc *doc);

/* ---- navigation (NULL-safe: a NULL node yields NULL / 0) ---- */

/* Value under key in a mapping, or NULL (absent, or n is not a mapping). */
const ecl_ynode *ecl_y_get(const ecl_ynode *map, const char *key);
/* Follows a dotted path of keys from n ("lookup_config.customers"); NULL if any step is missing. */
const ecl_ynode *ecl_y_path(const ecl_ynode *n, const char *dotted);
/* Like ecl_y_get, but a missing key (or a non-mapping map) is an ECL_ECONFIG error at the map. */
const ecl_ynode *ecl_y_need(const ecl_ynode *map, const char *key, ecl_err *e);
/* Items of a sequence or mapping (0 for scalars); value i and key i (mappings only). */
size_t ecl_y_len(const ecl_ynode *n);
const ecl_ynode *ecl_y_item(const ecl_ynode *n, size_t i);
const char *ecl_y_key(const ecl_ynode *map, size_t i);

/* Writes the node's path from the root into out ("a.b[3].c"; "" for the root). */
void ecl_y_pathstr(const ecl_ynode *n, char *out, size_t cap);
/* Records an ECL_ECONFIG error "FILE:LINE:COL: key 'PATH': <message>" at node n. */
int ecl_y_error(const ecl_ynode *n, ecl_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- type tests ---- */
bool ecl_y_is_null(const ecl_ynode *n);    /* absent (NULL) counts as null */
bool ecl_y_is_scalar(const ecl_ynode *n);
bool ecl_y_is_map(const ecl_ynode *n);
bool ecl_y_is_seq(const ecl_ynode *n);

/* ---- typed getters: 0 on success, else ECL_ECONFIG with the node's position and path ---- */

/* Any scalar, as its text (a null scalar is an error: "expected a string, got null"). */
int ecl_y_str(const ecl_ynode *n, const char **out, ecl_err *e);
int ecl_y_int(const ecl_ynode *n, int64_t *out, ecl_err *e);
int ecl_y_int_range(const ecl_ynode *n, int64_t min, int64_t max, int64_t *out, ecl_err *e);
int ecl_y_posint(const ecl_ynode *n, int64_t *out, ecl_err *e); /* >= 1 */
/* A number (an integer is fine); NaN only if the caller passes no range (ecl_y_double). */
int ecl_y_double(const ecl_ynode *n, double *out, ecl_err *e);
int ecl_y_double_range(const ecl_ynode *n, double min, double max, double *out, ecl_err *e);
int ecl_y_prob(const ecl_ynode *n, double *out, ecl_err *e); /* number in [0, 1] */
int ecl_y_bool(const ecl_ynode *n, bool *out, ecl_err *e);
/* "YYYY-MM-DD" with a real calendar date -> days since 1970-01-01. */
int ecl_y_date(const ecl_ynode *n, int32_t *days, ecl_err *e);
/* Scalar that must equal one of names (NULL-terminated list); *idx gets its index. The error lists
 * the choices: "expected one of none, baseline, light_mess, got 'heavy'". */
int ecl_y_enum(const ecl_ynode *n, const char *const *names, int *idx, ecl_err *e);

/* Optional keys: when key is absent or null, *out = def and 0 is returned. */
int ecl_y_opt_str(const ecl_ynode *map, const char *key, const char *def, const char **out, ecl_err *e);
int ecl_y_opt_int(const ecl_ynode *map, const char *key, int64_t def, int64_t *out, ecl_err *e);
int ecl_y_opt_double(const ecl_ynode *map, const char *key, double def, double *out, ecl_err *e);
int ecl_y_opt_prob(const ecl_ynode *map, const char *key, double def, double *out, ecl_err *e);
int ecl_y_opt_bool(const ecl_ynode *map, const char *key, bool def, bool *out, ecl_err *e);

/* Structure checks with the same error format. */
int ecl_y_expect_map(const ecl_ynode *n, ecl_err *e);
int ecl_y_expect_seq(const ecl_ynode *n, ecl_err *e);

/* Unknown keys: every key of map not in allowed (NULL-terminated) is reported once, as
 * "FILE:LINE:COL: unknown key 'a.b.x' (ignored; did you mean 'y'?)" - to warn(msg, ctx) if given,
 * else through ecl_log at WARN level. Returns how many keys were unknown. A non-mapping gives 0. */
typedef void (*ecl_y_warn_fn)(const char *msg, void *ctx);
size_t ecl_y_check_keys(const ecl_ynode *map, const char *const *allowed, ecl_y_warn_fn warn, void *ctx);

#endif
