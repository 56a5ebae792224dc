/* Unit tests for _MANIFEST.json: stable bytes, round trip, and rejection of malformed manifests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/manifest.h"

static const char SHA_A[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
static const char SHA_B[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void fill(ecl_manifest *m)
{
    ecl_manifest_init(m);
    ecl_manifest_set(&m->batch_id, "backfill-1");
    ecl_manifest_set(&m->table, "orders");
    ecl_manifest_set(&m->partition_key, "ingest_dt");
    ecl_manifest_set(&m->partition_value, "2024-10-01");
    ecl_manifest_set(&m->partition, "ingest_dt=2024-10-01");
    ecl_manifest_set(&m->dataset, "ecom");
    ecl_manifest_set(&m->generator_version, "ecom-1");
    ecl_manifest_set(&m->config_hash, "cafe");
    ecl_manifest_set(&m->messiness, "medium_mess");
    ecl_manifest_set(&m->created_at, "2024-01-01T00:00:00Z");
    ecl_manifest_set(&m->event_time_column, "order_date");
    ecl_manifest_set(&m->min_event_time, "2024-10-01T00:01:02.000000Z");
    ecl_manifest_set(&m->max_event_dt, "2024-10-01");
    m->seed = 42;
    ecl_manifest_add_file(m, "orders/ingest_dt=2024-10-01/part-00000.parquet", 1000, 7, SHA_A);
    ecl_manifest_add_file(m, "orders/ingest_dt=2024-10-01/part-00001.parquet", 500, 3, SHA_B);
    m->total_rows = 10;
    m->total_bytes = 1500;
    ecl_manifest_add_field(m, "order_id", "string", false);
    ecl_manifest_add_field(m, "total", "decimal(12,2)", true);
    ecl_manifest_add_mess(m, "agent_id", "null", 3);
    ecl_manifest_add_mess(m, "agent_id", "null", 2); /* merged */
    ecl_manifest_add_mess(m, "status", "whitespace", 1);
}

static void round_trip_is_stable(void **state)
{
    (void)state;
    ecl_manifest m, back;
    fill(&m);
    ecl_buf a = ECL_BUF_INIT, b = ECL_BUF_INIT;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_manifest_write(&m, &a, &e), 0);
    assert_int_equal(ecl_manifest_parse(&back, "m.json", a.data, a.len, &e), 0);
    assert_int_equal(ecl_manifest_write(&back, &b, &e), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_string_equal(back.table, "orders");
    assert_int_equal(back.nfiles, 2);
    assert_int_equal(back.files[1].rows, 3);
    assert_string_equal(back.files[1].sha256, SHA_B);
    assert_int_equal(back.seed, 42);
    assert_int_equal(back.nmess, 2);
    assert_int_equal(back.mess[0].count, 5);
    assert_null(back.max_event_time);
    assert_string_equal(back.schema[1].type, "decimal(12,2)");
    assert_true(back.schema[1].nullable);
    /* Keys are sorted and the text is indented: "batch_id" comes before "config_hash". */
    const char *t = (const char *)a.data;
    assert_true(strstr(t, "\"batch_id\"") < strstr(t, "\"config_hash\""));
    assert_non_null(strstr(t, "\n  \"files\": ["));
    assert_non_null(strstr(t, "\"total\": 6"));
    assert_int_equal(t[a.len - 1], '\n');
    ecl_manifest_release(&m);
    ecl_manifest_release(&back);
    ecl_buf_release(&a);
    ecl_buf_release(&b);
}

static void expect_reject(const char *json, const char *needle)
{
    ecl_manifest m;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_manifest_parse(&m, "bad.json", json, strlen(json), &e), ECL_EFORMAT);
    if (!strstr(e.msg, needle))
        fail_msg("message '%s' lacks '%s'", e.msg, needle);
    assert_non_null(strstr(e.msg, "bad.json"));
}

static void rejects_malformed(void **state)
{
    (void)state;
    expect_reject("{", "line 1");
    expect_reject("[]", "not a JSON object");
    expect_reject("{\"table\":\"t\",\"partition\":\"p\",\"total_rows\":0,\"files\":[]}", "batch_id");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"files\":[]}", "total_rows");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":1,\"files\":"
                  "[{\"path\":\"t/p/a\",\"bytes\":1,\"rows\":1,\"sha256\":\"xyz\"}]}",
                  "sha256");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":2,\"files\":"
                  "[{\"path\":\"t/p/a\",\"bytes\":1,\"rows\":1,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}",
                  "does not equal");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":1,\"files\":"
                  "[{\"path\":\"../etc/passwd\",\"bytes\":1,\"rows\":1,\"sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"}]}",
                  "leaves the lake");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":-1,\"files\":[]}",
                  "non-negative");
    expect_reject("{\"batch_id\":\"b\",\"batch_id\":\"c\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":0,\"files\":[]}",
                  "duplicate");
    expect_reject("{\"batch_id\":\"b\",\"table\":\"t\",\"partition\":\"p\",\"total_rows\":0,\"files\":[],"
                  "\"schema_version\":99}",
                  "newer");
}

static void iso_formats(void **state)
{
    (void)state;
    char out[32];
    ecl_iso_utc(0, false, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    ecl_iso_utc(1727740862123456LL, true, out);
    assert_string_equal(out, "2024-10-01T00:01:02.123456Z");
    ecl_iso_utc(-1, true, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999999Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip_is_stable),
        cmocka_unit_test(rejects_malformed),
        cmocka_unit_test(iso_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
