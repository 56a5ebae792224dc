/* Unit tests for the local file sink and the partition publisher. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/tmpdir.h"
#include "../../lib/hash.h"
#include "../../lib/io.h"
#include "../../lib/sink.h"

static char tmpdir_[256];

static int setup(void **state)
{
    (void)state;
    return ecl_test_mkdtemp(tmpdir_, sizeof tmpdir_, "ecl-pub-");
}

static int teardown(void **state)
{
    (void)state;
    return ecl_test_rmtree(tmpdir_);
}

typedef struct listing {
    char keys[16][128];
    uint64_t sizes[16];
    int n;
} listing;

static int collect(const char *key, const ecl_obj_info *info, void *ctx)
{
    listing *l = ctx;
    if (l->n < 16) {
        snprintf(l->keys[l->n], sizeof l->keys[0], "%s", key);
        l->sizes[l->n++] = info->size;
    }
    return 0;
}

static void file_sink_basics(void **state)
{
    (void)state;
    char root[300], url[320], src[320];
    snprintf(root, sizeof root, "%s/sink", tmpdir_);
    snprintf(url, sizeof url, "file://%s", root);
    snprintf(src, sizeof src, "%s/src.bin", tmpdir_);
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_write_file_atomic(src, "hello world", 11, &e), 0);
    ecl_sink *s;
    assert_int_equal(ecl_sink_open(&s, url, NULL, &e), 0);
    assert_string_equal(s->ops->scheme, "file");
    assert_false(ecl_sink_is_remote(url));
    assert_true(ecl_sink_is_remote("s3://b/p"));
    ecl_put_result res;
    assert_int_equal(s->ops->put_file(s, src, "t/p=1/b.bin", NULL, &res, &e), 0);
    assert_int_equal(res.bytes_sent, 11);
    assert_int_equal(s->ops->put_bytes(s, "xyz", 3, "t/p=1/a.bin", NULL, NULL, &e), 0);
    assert_int_equal(s->ops->put_bytes(s, "q", 1, "t/p=10/c.bin", NULL, NULL, &e), 0);
    assert_int_equal(s->ops->put_bytes(s, "r", 1, "u/d.bin", NULL, NULL, &e), 0);

    /* Skip when the same bytes are already there. */
    ecl_put_opts po = {.skip_if_same = true};
    assert_int_equal(s->ops->put_file(s, src, "t/p=1/b.bin", &po, &res, &e), 0);
    assert_true(res.skipped);

    ecl_obj_info info;
    assert_int_equal(s->ops->head(s, "t/p=1/b.bin", &info, &e), 0);
    assert_int_equal(info.size, 11);
    assert_string_equal(info.sha256_hex, "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9");
    ecl_err nf = ECL_ERR_INIT;
    assert_int_equal(s->ops->head(s, "t/none", &info, &nf), ECL_ENOTFOUND);

    /* Sorted listing, filtered by string prefix ("t/p=1" also matches "t/p=10"). */
    listing l = {0};
    assert_int_equal(s->ops->list(s, "t/p=1", collect, &l, &e), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.keys[0], "t/p=1/a.bin");
    assert_string_equal(l.keys[1], "t/p=1/b.bin");
    assert_string_equal(l.keys[2], "t/p=10/c.bin");
    assert_int_equal(l.sizes[1], 11);
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->list(s, "", collect, &l, &e), 0);
    assert_int_equal(l.n, 4);
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->list(s, "missing/", collect, &l, &e), 0);
    assert_int_equal(l.n, 0);

    ecl_buf b = ECL_BUF_INIT;
    assert_int_equal(s->ops->get(s, "t/p=1/a.bin", &b, &e), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "xyz", 3);
    ecl_buf_release(&b);

    assert_int_equal(s->ops->del(s, "t/p=1/a.bin", &e), 0);
    assert_int_equal(s->ops->del(s, "t/p=1/a.bin", &e), 0); /* idempotent */
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->list(s, "t/p=1/", collect, &l, &e), 0);
    assert_int_equal(l.n, 1);

    ecl_err bad = ECL_ERR_INIT;
    assert_int_equal(s->ops->put_bytes(s, "x", 1, "../escape", NULL, NULL, &bad), ECL_EINVAL);
    /* No temp files are left behind. */
    memset(&l, 0, sizeof l);
    assert_int_equal(s->ops->list(s, "", collect, &l, &e), 0);
    for (int i = 0; i < l.n; i++)
        assert_null(strstr(l.keys[i], ".tmp-"));
    ecl_sink_free(s);
}

static void sink_dispatch(void **state)
{
    (void)state;
    ecl_sink *s;
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_sink_open(&s, "ftp://host/x", NULL, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "ftp"));
    assert_null(s);
    assert_string_equal(ecl_sink_local_dir("file:///a/b"), "/a/b");
    assert_string_equal(ecl_sink_local_dir("lake"), "lake");
    assert_null(ecl_sink_local_dir("gs://b/p"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_sink_basics),
        cmocka_unit_test(sink_dispatch),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
