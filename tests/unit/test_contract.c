/* Unit tests for the schema contract loader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../../lib/contract.h"
#include "../../lib/log.h"

static const char example[] =
    "name: orders\n"
    "csv: {delimiter: \",\", header: true, null: \"\"}\n"
    "columns:\n"
    "  - {name: order_id, type: string, nullable: false}\n"
    "  - {name: qty, type: int32}\n"
    "  - {name: big, type: int64}\n"
    "  - {name: amount, type: \"decimal(12,2)\"}\n"
    "  - {name: ratio, type: double}\n"
    "  - {name: paid, type: boolean}        # true/false, True/False, 1/0\n"
    "  - {name: order_date, type: date}     # YYYY-MM-DD\n"
    "  - {name: created_at, type: timestamp}  # ISO 8601, 'T' or space, optional fraction and offset\n";

static void the_issue_example(void **state)
{
    (void)state;
    ecl_contract c;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_contract_load_mem(&c, "orders.yaml", example, strlen(example), &e), 0);
    assert_string_equal(c.name, "orders");
    assert_int_equal(c.schema.nfields, 8);
    static const ecl_type want[] = {ECL_T_STRING, ECL_T_INT32, ECL_T_INT64, ECL_T_DECIMAL,
                                    ECL_T_DOUBLE, ECL_T_BOOL,  ECL_T_DATE,  ECL_T_TIMESTAMP};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(c.schema.fields[i].type, want[i]);
        assert_int_equal(c.schema.fields[i].nullable, i != 0);
    }
    assert_string_equal(c.schema.fields[3].name, "amount");
    assert_int_equal(c.schema.fields[3].precision, 12);
    assert_int_equal(c.schema.fields[3].scale, 2);
    assert_int_equal(c.csv.delimiter, ',');
    assert_true(c.csv.header);
    assert_string_equal(c.csv.null_token, "");
    assert_true(c.csv.crlf);
    assert_true(c.csv.quote_empty);
    ecl_contract_release(&c);
}

static void dialect_keys(void **state)
{
    (void)state;
    const char *y = "csv:\n"
                    "  delimiter: \";\"\n"
                    "  header: no\n"
                    "  null: NULL_VALUE\n"
                    "  line_ending: lf\n"
                    "  booleans: lower\n"
                    "  timestamps: space_micros\n"
                    "  quote: \"'\"\n"
                    "columns:\n"
                    "  - name: x\n"
                    "    type: DECIMAL( 18, 0 )\n"
                    "    description: any text\n";
    ecl_contract c;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_contract_load_mem(&c, "c.yaml", y, strlen(y), &e), 0);
    assert_string_equal(c.name, "table");
    assert_int_equal(c.csv.delimiter, ';');
    assert_int_equal(c.csv.quote, '\'');
    assert_false(c.csv.header);
    assert_string_equal(c.csv.null_token, "NULL_VALUE");
    assert_false(c.csv.crlf);
    assert_int_equal(c.csv.bools, ECL_BOOL_LOWER);
    assert_int_equal(c.csv.timestamps, ECL_TS_SPACE_MICROS);
    assert_int_equal(c.schema.fields[0].precision, 18);
    ecl_contract_release(&c);
    /* the null token is taken as written, even when YAML would read it as null */
    y = "csv: {null: NULL}\ncolumns: [{name: x, type: int32}]\n";
    assert_int_equal(ecl_contract_load_mem(&c, "c.yaml", y, strlen(y), &e), 0);
    assert_string_equal(c.csv.null_token, "NULL");
    ecl_contract_release(&c);
    y = "csv: {null: }\ncolumns: [{name: x, type: int32}]\n";
    assert_int_equal(ecl_contract_load_mem(&c, "c.yaml", y, strlen(y), &e), 0);
    assert_string_equal(c.csv.null_token, "");
    ecl_contract_release(&c);
}

static void fails(const char *y, const char *want)
{
    ecl_contract c;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_contract_load_mem(&c, "c.yaml", y, strlen(y), &e), ECL_ECONFIG);
    if (!strstr(e.msg, want))
        fail_msg("'%s' lacks '%s'", e.msg, want);
}

static void errors_name_the_key(void **state)
{
    (void)state;
    fails("columns:\n  - {name: a, type: varchar}\n",
          "c.yaml:2:21: key 'columns[0].type': unknown type 'varchar' (expected one of string, int32");
    fails("columns:\n  - {name: a, type: \"decimal(20,2)\"}\n",
          "c.yaml:2:21: key 'columns[0].type': decimal(20,2) is not supported: precision must be 1..18");
    fails("columns:\n  - {name: a, type: int32, nullable: maybe}\n",
          "c.yaml:2:38: key 'columns[0].nullable': expected true or false, got 'maybe'");
    fails("columns:\n  - {type: int32}\n", "c.yaml:2:5: missing key 'columns[0].name'");
    fails("columns:\n  - {name: a}\n", "c.yaml:2:5: missing key 'columns[0].type'");
    fails("columns:\n  - {name: a, type: int32}\n  - {name: a, type: date}\n",
          "c.yaml:3:12: key 'columns[1].name': duplicate column name 'a' (column 1 has it too)");
    fails("name: x\n", "c.yaml:1:1: missing key 'columns'");
    fails("columns: []\n", "c.yaml:1:10: key 'columns': a contract needs at least one column");
    fails("columns: {a: int32}\n", "key 'columns': expected a sequence, got a mapping");
    fails("csv: {delimiter: \";;\"}\ncolumns: [{name: a, type: int32}]\n",
          "c.yaml:1:18: key 'csv.delimiter': the delimiter must be exactly one ASCII character, got ';;'");
    fails("csv: {line_ending: cr}\ncolumns: [{name: a, type: int32}]\n",
          "key 'csv.line_ending': expected one of crlf, lf, got 'cr'");
    fails("csv: {delimiter: \"'\", quote: \"'\"}\ncolumns: [{name: a, type: int32}]\n",
          "the quote and the delimiter must differ");
    fails("csv: {null: \"a,b\"}\ncolumns: [{name: a, type: int32}]\n", "key 'csv.null': the null token cannot contain");
    fails("- a\n- b\n", "c.yaml:1:1: expected a mapping, got a sequence");
    fails("columns:\n  - {name: a, type: int32\n", "c.yaml:3:1: did not find expected ',' or '}'");
}

typedef struct seen {
    int n;
    char last[512];
} seen;

static void hook(ecl_level level, const char *subject, const char *msg, void *ctx)
{
    (void)subject;
    seen *s = ctx;
    if (level == ECL_LOG_WARN) {
        s->n++;
        snprintf(s->last, sizeof s->last, "%s", msg);
    }
}

static void unknown_keys_warn(void **state)
{
    (void)state;
    seen s = {0, ""};
    ecl_log_set_hook(hook, &s, ECL_LOG_DEBUG);
    const char *y = "name: t\nowner: me\ncsv: {delimeter: \";\"}\ncolumns:\n  - {name: a, type: int32, nulable: false}\n";
    ecl_contract c;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_contract_load_mem(&c, "c.yaml", y, strlen(y), &e), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.last, "c.yaml:5:28: unknown key 'columns[0].nulable' (ignored; did you mean 'nullable'?)");
    assert_true(c.schema.fields[0].nullable);
    ecl_contract_release(&c);
    ecl_log_set_hook(NULL, NULL, ECL_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_issue_example),
        cmocka_unit_test(dialect_keys),
        cmocka_unit_test(errors_name_the_key),
        cmocka_unit_test(unknown_keys_warn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
