/* Unit tests for the YAML config loader: positions, paths, typed getters, merges, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/yamlcfg.h"

static ecl_ydoc *load(const char *text)
{
    ecl_ydoc *d = NULL;
    ecl_err e = ECL_ERR_INIT;
    int rc = ecl_ydoc_load_mem(&d, "cfg.yaml", text, strlen(text), &e);
    if (rc)
        fail_msg("load failed: %s", e.msg);
    return d;
}

static void load_fails(const char *text, const char *want)
{
    ecl_ydoc *d = NULL;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_ydoc_load_mem(&d, "cfg.yaml", text, strlen(text), &e), ECL_ECONFIG);
    assert_null(d);
    if (!strstr(e.msg, want))
        fail_msg("message '%s' lacks '%s'", e.msg, want);
}

static void tree_and_positions(void **state)
{
    (void)state;
    ecl_ydoc *d = load("# comment\n"
                       "name: orders\n"
                       "csv: {delimiter: \",\", header: true, null: \"\"}\n"
                       "columns:\n"
                       "  - {name: order_id, type: string, nullable: false}\n"
                       "  - name: qty\n"
                       "    type: int32\n");
    const ecl_ynode *r = ecl_ydoc_root(d);
    assert_true(ecl_y_is_map(r));
    assert_int_equal(ecl_y_len(r), 3);
    assert_string_equal(ecl_y_key(r, 0), "name");
    assert_string_equal(ecl_y_key(r, 1), "csv");
    assert_string_equal(ecl_y_key(r, 2), "columns");
    const ecl_ynode *name = ecl_y_get(r, "name");
    assert_int_equal(name->line, 2);
    assert_int_equal(name->col, 7);
    const ecl_ynode *delim = ecl_y_path(r, "csv.delimiter");
    assert_non_null(delim);
    assert_int_equal(delim->style, ECL_YS_DOUBLE);
    assert_string_equal(delim->str, ",");
    assert_int_equal(delim->line, 3);
    assert_int_equal(delim->col, 18);
    const ecl_ynode *nul = ecl_y_path(r, "csv.null");
    assert_false(ecl_y_is_null(nul)); /* quoted empty string is a string */
    assert_int_equal(nul->len, 0);
    const ecl_ynode *cols = ecl_y_get(r, "columns");
    assert_true(ecl_y_is_seq(cols));
    assert_int_equal(ecl_y_len(cols), 2);
    const ecl_ynode *t = ecl_y_get(ecl_y_item(cols, 1), "type");
    assert_int_equal(t->line, 7);
    assert_int_equal(t->col, 11);
    char path[128];
    ecl_y_pathstr(t, path, sizeof path);
    assert_string_equal(path, "columns[1].type");
    bool b = true;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_y_bool(ecl_y_get(ecl_y_item(cols, 0), "nullable"), &b, &e), 0);
    assert_false(b);
    assert_null(ecl_y_get(r, "nope"));
    assert_null(ecl_y_path(r, "csv.nope.deeper"));
    ecl_ydoc_free(d);
}

static void typed_getters(void **state)
{
    (void)state;
    ecl_ydoc *d = load("a:\n"
                       "  b:\n"
                       "    c: 1.3\n"
                       "    p: 0.25\n"
                       "    i: 1_000\n"
                       "    hex: 0x1F\n"
                       "    oct: 010\n"
                       "    sexa: 1:30\n"
                       "    neg: -9223372036854775808\n"
                       "    big: 9223372036854775808\n"
                       "    exp: 1e3\n"
                       "    inf: -.inf\n"
                       "    q: \"5\"\n"
                       "    y: yes\n"
                       "    off: Off\n"
                       "    d: 2024-02-29\n"
                       "    bad_d: 2024-02-30\n"
                       "    lvl: medium_mess\n"
                       "    nul: ~\n"
                       "    zero: 0\n");
    const ecl_ynode *b = ecl_y_path(ecl_ydoc_root(d), "a.b");
    ecl_err e = ECL_ERR_INIT;
    double v;
    int64_t i;
    bool t;
    assert_int_equal(ecl_y_prob(ecl_y_get(b, "c"), &v, &e), ECL_ECONFIG);
    assert_string_equal(e.msg, "cfg.yaml:3:8: key 'a.b.c': expected a number between 0 and 1, got '1.3'");
    ecl_err_clear(&e);
    assert_int_equal(ecl_y_prob(ecl_y_get(b, "p"), &v, &e), 0);
    assert_true(v == 0.25);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "i"), &i, &e), 0);
    assert_int_equal(i, 1000);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "hex"), &i, &e), 0);
    assert_int_equal(i, 31);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "oct"), &i, &e), 0);
    assert_int_equal(i, 8);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "sexa"), &i, &e), 0);
    assert_int_equal(i, 90);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "neg"), &i, &e), 0);
    assert_true(i == INT64_MIN);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "big"), &i, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "out of range"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_y_double(ecl_y_get(b, "exp"), &v, &e), 0);
    assert_true(v == 1000.0);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "exp"), &i, &e), ECL_ECONFIG);
    ecl_err_clear(&e);
    assert_int_equal(ecl_y_double(ecl_y_get(b, "inf"), &v, &e), 0);
    assert_true(isinf(v) && v < 0);
    assert_int_equal(ecl_y_int(ecl_y_get(b, "q"), &i, &e), ECL_ECONFIG);
    assert_string_equal(e.msg, "cfg.yaml:13:8: key 'a.b.q': expected a whole number, got '5' (a quoted string)");
    ecl_err_clear(&e);
    const char *s;
    assert_int_equal(ecl_y_str(ecl_y_get(b, "q"), &s, &e), 0);
    assert_string_equal(s, "5");
    assert_int_equal(ecl_y_bool(ecl_y_get(b, "y"), &t, &e), 0);
    assert_true(t);
    assert_int_equal(ecl_y_bool(ecl_y_get(b, "off"), &t, &e), 0);
    assert_false(t);
    assert_int_equal(ecl_y_bool(ecl_y_get(b, "p"), &t, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "expected true or false, got '0.25'"));
    ecl_err_clear(&e);
    int32_t days;
    assert_int_equal(ecl_y_date(ecl_y_get(b, "d"), &days, &e), 0);
    assert_int_equal(days, 19782);
    assert_int_equal(ecl_y_date(ecl_y_get(b, "bad_d"), &days, &e), ECL_ECONFIG);
    assert_string_equal(e.msg, "cfg.yaml:17:12: key 'a.b.bad_d': expected a date YYYY-MM-DD, got '2024-02-30'");
    ecl_err_clear(&e);
    static const char *const levels[] = {"none", "baseline", "light_mess", "medium_mess", "heavy_mess", NULL};
    int idx;
    assert_int_equal(ecl_y_enum(ecl_y_get(b, "lvl"), levels, &idx, &e), 0);
    assert_int_equal(idx, 3);
    assert_int_equal(ecl_y_enum(ecl_y_get(b, "y"), levels, &idx, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "expected one of none, baseline, light_mess, medium_mess, heavy_mess, got 'yes'"));
    ecl_err_clear(&e);
    assert_true(ecl_y_is_null(ecl_y_get(b, "nul")));
    assert_int_equal(ecl_y_posint(ecl_y_get(b, "zero"), &i, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "expected a positive whole number, got '0'"));
    ecl_err_clear(&e);
    assert_int_equal(ecl_y_int_range(ecl_y_get(b, "i"), 1, 999, &i, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "between 1 and 999"));
    ecl_err_clear(&e);
    /* optional getters: absent and null give the default */
    assert_int_equal(ecl_y_opt_double(b, "missing", 0.5, &v, &e), 0);
    assert_true(v == 0.5);
    assert_int_equal(ecl_y_opt_int(b, "nul", 7, &i, &e), 0);
    assert_int_equal(i, 7);
    assert_int_equal(ecl_y_opt_prob(b, "c", 0.5, &v, &e), ECL_ECONFIG);
    ecl_err_clear(&e);
    assert_int_equal(ecl_y_str(b, &s, &e), ECL_ECONFIG);
    assert_non_null(strstr(e.msg, "key 'a.b': expected a string, got a mapping"));
    ecl_err_clear(&e);
    assert_null(ecl_y_need(b, "absent", &e));
    assert_string_equal(e.msg, "cfg.yaml:3:5: missing key 'a.b.absent'");
    ecl_ydoc_free(d);
}

typedef struct warns {
    int n;
    char last[512];
} warns;

static void collect(const char *msg, void *ctx)
{
    warns *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

static void unknown_keys(void **state)
{
    (void)state;
    ecl_ydoc *d = load("name: x\n"
                       "csv:\n"
                       "  delimter: \";\"\n"
                       "  header: true\n"
                       "  zzz: 1\n");
    const ecl_ynode *r = ecl_ydoc_root(d);
    static const char *const top[] = {"name", "csv", "columns", NULL};
    static const char *const csv[] = {"delimiter", "header", "null", NULL};
    warns w = {0, ""};
    assert_int_equal(ecl_y_check_keys(r, top, collect, &w), 0);
    assert_int_equal(ecl_y_check_keys(ecl_y_get(r, "csv"), csv, collect, &w), 2);
    assert_int_equal(w.n, 2);
    assert_string_equal(w.last, "cfg.yaml:5:3: unknown key 'csv.zzz' (ignored)");
    w.n = 0;
    ecl_y_check_keys(ecl_y_get(r, "csv"), csv, collect, &w);
    ecl_ydoc_free(d);
    d = load("csv: {delimter: x}\n");
    ecl_y_check_keys(ecl_y_get(ecl_ydoc_root(d), "csv"), csv, collect, &w);
    assert_string_equal(w.last, "cfg.yaml:1:7: unknown key 'csv.delimter' (ignored; did you mean 'delimiter'?)");
    ecl_ydoc_free(d);
}

static void syntax_errors(void **state)
{
    (void)state;
    load_fails("a: 1\nb: [1, 2\n", "cfg.yaml:3:1: ");
    load_fails("a: 1\n  b: 2\n", "cfg.yaml:2:4: mapping values are not allowed in this context");
    load_fails("a: 1\na: 2\n", "cfg.yaml:2:1: duplicate key 'a' (first at line 1, column 1)");
    load_fails("x:\n  k: 1\n  k: 2\n", "cfg.yaml:3:3: duplicate key 'x.k'");
    load_fails("a: *nope\n", "cfg.yaml:1:4: unknown alias '*nope'");
    load_fails("a: 1\n---\nb: 2\n", "more than one document");
    load_fails("a: \"\xff\"\n", "cfg.yaml:1:5: invalid");
    load_fails("? [1]\n: 2\n", "mapping keys must be plain values");
    /* billion laughs: aliases expand to copies under a budget */
    char big[2048];
    strcpy(big, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    char prev = 'a';
    for (char c = 'b'; c <= 'j'; c++) {
        char line[128];
        snprintf(line, sizeof line, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n", c, c, prev,
                 prev, prev, prev, prev, prev, prev, prev, prev, prev);
        strcat(big, line);
        prev = c;
    }
    load_fails(big, "more than 1000000 nodes");
    /* deep nesting */
    char deep[1024] = "";
    for (int i = 0; i < 200; i++)
        strcat(deep, "[");
    load_fails(deep, "nesting deeper than 128 levels");
}

static void aliases_and_merges(void **state)
{
    (void)state;
    ecl_ydoc *d = load("base: &b {x: 1, y: 2}\n"
                       "other: &o {z: 3, x: 9}\n"
                       "child:\n"
                       "  <<: *b\n"
                       "  y: 5\n"
                       "both:\n"
                       "  <<: [*b, *o]\n"
                       "copy: *b\n");
    const ecl_ynode *r = ecl_ydoc_root(d);
    ecl_err e = ECL_ERR_INIT;
    int64_t v;
    assert_int_equal(ecl_y_int(ecl_y_path(r, "child.x"), &v, &e), 0);
    assert_int_equal(v, 1);
    assert_int_equal(ecl_y_int(ecl_y_path(r, "child.y"), &v, &e), 0);
    assert_int_equal(v, 5);
    assert_int_equal(ecl_y_len(ecl_y_get(r, "child")), 2);
    assert_int_equal(ecl_y_int(ecl_y_path(r, "both.x"), &v, &e), 0);
    assert_int_equal(v, 1); /* the earlier source wins */
    assert_int_equal(ecl_y_int(ecl_y_path(r, "both.z"), &v, &e), 0);
    assert_int_equal(v, 3);
    char path[64];
    ecl_y_pathstr(ecl_y_path(r, "copy.y"), path, sizeof path);
    assert_string_equal(path, "copy.y");
    ecl_y_pathstr(ecl_y_path(r, "child.x"), path, sizeof path);
    assert_string_equal(path, "child.x");
    ecl_ydoc_free(d);
}

static void empty_and_files(void **state)
{
    (void)state;
    ecl_ydoc *d = load("");
    const ecl_ynode *r = ecl_ydoc_root(d);
    assert_non_null(r);
    assert_true(ecl_y_is_null(r));
    assert_null(ecl_y_get(r, "x"));
    ecl_err e = ECL_ERR_INIT;
    assert_null(ecl_y_need(r, "name", &e));
    assert_string_equal(e.msg, "cfg.yaml:1:1: missing key 'name'");
    ecl_ydoc_free(d);
    ecl_err_clear(&e);
    assert_int_equal(ecl_ydoc_load_file(&d, "/nonexistent/cfg.yaml", &e), ECL_ENOTFOUND);
    assert_null(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_and_positions), cmocka_unit_test(typed_getters),
        cmocka_unit_test(unknown_keys),       cmocka_unit_test(syntax_errors),
        cmocka_unit_test(aliases_and_merges), cmocka_unit_test(empty_and_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
