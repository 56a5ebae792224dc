/* Unit tests for the ecom model: contract (tables, keys, types), determinism across cursor starts
 * and seeds, and the original's QA invariants (ecom-model §7) over emitted batches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/dataset.h"
#include "../../lib/hash.h"
#include "../../lib/log.h"

enum { CUST, PROD, CART, CITEM, ORD, OITEM, RET, RITEM, NT };

static int32_t day_of(const char *s)
{
    int32_t d = 0;
    assert_int_equal(ecl_date_parse(s, strlen(s), &d), 0);
    return d;
}

static ecl_model *open_model(const char *mess, uint64_t seed)
{
    ecl_model_opts o = {.dataset = "ecom", .messiness = mess, .seed = seed, .seed_set = seed != 0};
    ecl_err e = ECL_ERR_INIT;
    ecl_model *m = NULL;
    int rc = ecl_model_open(&m, &o, &e);
    if (rc)
        fail_msg("open: %s", e.msg);
    return m;
}

/* All rows of [from, to] appended per table (static tables emitted once). */
typedef struct world_rows {
    ecl_batch b[NT];
} world_rows;

static void collect(ecl_model *m, int32_t from, int32_t to, world_rows *w)
{
    ecl_err e = ECL_ERR_INIT;
    for (int t = 0; t < NT; t++)
        assert_int_equal(ecl_batch_init(&w->b[t], &ecl_model_table_at(m, (size_t)t)->schema), 0);
    assert_int_equal(ecl_model_emit_static(m, PROD, &w->b[PROD], &e), 0);
    ecl_cursor *c;
    assert_int_equal(ecl_cursor_open(&c, m, from, &e), 0);
    for (int32_t d = from; d <= to; d++) {
        int rc = ecl_cursor_step(c, true, w->b, NULL, &e);
        if (rc)
            fail_msg("step: %s", e.msg);
    }
    ecl_cursor_free(c);
}

static void release(world_rows *w)
{
    for (int t = 0; t < NT; t++)
        ecl_batch_release(&w->b[t]);
}

static int col(const ecl_batch *b, const char *name)
{
    int i = ecl_schema_find(b->schema, name);
    if (i < 0)
        fail_msg("no column %s", name);
    return i;
}

static const char *str(const ecl_batch *b, int c, size_t r, char *buf)
{
    size_t n;
    const char *p = ecl_col_str(&b->cols[c], r, &n);
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

/* Sorted string keys of one or two columns, for uniqueness and membership. */
typedef struct keyset {
    char **k;
    size_t n;
} keyset;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void key_of(const ecl_batch *b, const int *cols, int ncols, size_t r, char *out)
{
    out[0] = 0;
    for (int i = 0; i < ncols; i++) {
        const ecl_column *c = &b->cols[cols[i]];
        char tmp[256];
        if (c->type == ECL_T_STRING)
            str(b, cols[i], r, tmp);
        else
            snprintf(tmp, sizeof tmp, "%lld", (long long)ecl_col_i64(c, r));
        if (i)
            strcat(out, "|");
        strcat(out, tmp);
    }
}

static keyset keys(const ecl_batch *b, const char *c1, const char *c2)
{
    int cols[2] = {col(b, c1), c2 ? col(b, c2) : 0};
    keyset s = {calloc(b->nrows + 1, sizeof(char *)), b->nrows};
    for (size_t r = 0; r < b->nrows; r++) {
        char k[512];
        key_of(b, cols, c2 ? 2 : 1, r, k);
        s.k[r] = strdup(k);
    }
    qsort(s.k, s.n, sizeof(char *), cmp_str);
    return s;
}

static bool has(const keyset *s, const char *k)
{
    return bsearch(&k, s->k, s->n, sizeof(char *), cmp_str) != NULL;
}

static void keyset_free(keyset *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->k[i]);
    free(s->k);
}

static void assert_unique(const ecl_batch *b, const char *c1, const char *c2)
{
    keyset s = keys(b, c1, c2);
    for (size_t i = 1; i < s.n; i++)
        if (strcmp(s.k[i - 1], s.k[i]) == 0)
            fail_msg("duplicate key %s in %s", s.k[i], c1);
    keyset_free(&s);
}

static void assert_fk(const ecl_batch *child, const char *ccol, const ecl_batch *parent, const char *pcol)
{
    keyset s = keys(parent, pcol, NULL);
    int c = col(child, ccol);
    for (size_t r = 0; r < child->nrows; r++) {
        char k[256];
        key_of(child, &c, 1, r, k);
        if (!has(&s, k))
            fail_msg("%s %s has no parent in %s", ccol, k, pcol);
    }
    keyset_free(&s);
}

static void contract(void **state)
{
    (void)state;
    ecl_model *m = open_model(NULL, 0);
    assert_int_equal(ecl_model_ntables(m), 8);
    static const char *const names[] = {"customers", "product_catalog", "shopping_carts", "cart_items",
                                        "orders", "order_items", "returns", "return_items"};
    for (int t = 0; t < NT; t++) {
        const ecl_model_table *mt = ecl_model_table_at(m, (size_t)t);
        assert_string_equal(mt->name, names[t]);
        assert_int_equal(ecl_model_table_index(m, names[t]), t);
        assert_non_null(mt->primary_key);
        assert_non_null(mt->partition_key);
        assert_int_equal(mt->kind, t == PROD ? ECL_TABLE_STATIC : ECL_TABLE_DAILY);
    }
    const ecl_model_table *ord = ecl_model_table_at(m, ORD);
    static const char *const ocols[] = {"order_id", "total_items", "order_date", "customer_id", "email",
                                        "order_channel", "is_expedited", "customer_tier", "gross_total",
                                        "net_total", "total_discount_amount", "payment_method",
                                        "shipping_speed", "shipping_cost", "agent_id", "actual_shipping_cost",
                                        "payment_processing_fee", "shipping_address", "billing_address",
                                        "clv_bucket", "is_reactivated", "cart_id"};
    assert_int_equal(ord->schema.nfields, 22);
    for (int i = 0; i < 22; i++)
        assert_string_equal(ord->schema.fields[i].name, ocols[i]);
    assert_int_equal(ord->schema.fields[2].type, ECL_T_TIMESTAMP);
    assert_int_equal(ord->schema.fields[8].type, ECL_T_DECIMAL);
    assert_string_equal(ecl_model_table_at(m, OITEM)->primary_key, "order_id,product_id");
    assert_string_equal(ecl_model_table_at(m, CUST)->partition_key, "signup_date");
    assert_string_equal(ecl_model_table_at(m, PROD)->partition_key, "category");
    assert_string_equal(ecl_model_table_at(m, CART)->partition_key, "ingest_dt");
    assert_int_equal(ecl_model_epoch(m), day_of("2020-01-01"));
    assert_int_equal(strlen(ecl_model_config_hash(m)), 64);
    ecl_model_free(m);

    ecl_model_opts bad = {.dataset = "nope"};
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_model_open(&m, &bad, &e), ECL_EINVAL);
    assert_non_null(strstr(e.msg, "unknown dataset 'nope'"));
}

/* SHA-256 over every value of a batch: equal digests = byte-identical batches. */
static void digest(const ecl_batch *b, uint8_t out[32])
{
    ecl_hash h;
    ecl_hash_init(&h, ECL_HASH_SHA256);
    for (size_t c = 0; c < b->schema->nfields; c++) {
        const ecl_column *col_ = &b->cols[c];
        if (col_->type == ECL_T_STRING) {
            ecl_hash_update(&h, col_->offsets, (col_->len + 1) * sizeof(int64_t));
            ecl_hash_update(&h, col_->bytes.data, col_->bytes.len);
        } else {
            ecl_hash_update(&h, col_->values, col_->len * ecl_type_width(col_->type));
        }
        for (size_t r = 0; col_->nulls && r < col_->len; r++)
            ecl_hash_update(&h, &col_->nulls[r], 1);
    }
    ecl_hash_final(&h, out);
}

/* Steps a cursor opened at start, emitting from emit_from, and keeps digests of days from..to. */
static void day_digests(ecl_model *m, int32_t start, int32_t emit_from, int32_t from, int32_t to,
                        uint8_t (*out)[NT][32])
{
    ecl_err e = ECL_ERR_INIT;
    ecl_cursor *c;
    assert_int_equal(ecl_cursor_open(&c, m, start, &e), 0);
    ecl_batch b[NT];
    for (int t = 0; t < NT; t++)
        ecl_batch_init(&b[t], &ecl_model_table_at(m, (size_t)t)->schema);
    for (int32_t d = start; d <= to; d++) {
        for (int t = 0; t < NT; t++)
            ecl_batch_clear(&b[t]);
        bool emit = d >= emit_from;
        assert_int_equal(ecl_cursor_step(c, emit, b, NULL, &e), 0);
        if (d >= from)
            for (int t = 0; t < NT; t++)
                digest(&b[t], out[d - from][t]);
    }
    for (int t = 0; t < NT; t++)
        ecl_batch_release(&b[t]);
    ecl_cursor_free(c);
}

static void same_day_any_start(void **state)
{
    (void)state;
    ecl_model *m = open_model(NULL, 0);
    int32_t from = day_of("2020-11-25"), to = day_of("2020-12-02");
    int n = to - from + 1;
    uint8_t(*a)[NT][32] = calloc((size_t)n, sizeof *a);
    uint8_t(*b)[NT][32] = calloc((size_t)n, sizeof *b);
    uint8_t(*c)[NT][32] = calloc((size_t)n, sizeof *c);
    day_digests(m, ecl_model_epoch(m), from, from, to, a); /* emit-free seek via step(false) */
    day_digests(m, from, from, from, to, b);               /* cursor opened at the first day */
    day_digests(m, from - 40, from - 40, from, to, c);     /* emitting from well before */
    assert_memory_equal(a, b, (size_t)n * sizeof *a);
    assert_memory_equal(a, c, (size_t)n * sizeof *a);
    ecl_model_free(m);
    /* another seed gives another world */
    ecl_model *m2 = open_model(NULL, 7);
    day_digests(m2, from, from, from, to, b);
    assert_memory_not_equal(a, b, (size_t)n * sizeof *a);
    ecl_model_free(m2);
    free(a);
    free(b);
    free(c);
}

static int64_t dec(const ecl_batch *b, const char *name, size_t r) { return ecl_col_i64(&b->cols[col(b, name)], r); }

/* The original's QA list (ecom-model §7) over the first 150 days of the world, where every parent
 * of every emitted child is emitted too. */
static void qa_invariants(void **state)
{
    (void)state;
    ecl_model *m = open_model(NULL, 0);
    world_rows w;
    collect(m, ecl_model_epoch(m), ecl_model_epoch(m) + 149, &w);
    ecl_batch *b = w.b;
    assert_true(b[CART].nrows > 10000 && b[ORD].nrows > 1000 && b[RET].nrows > 100);

    /* primary keys, incl. the composite one */
    assert_unique(&b[CUST], "customer_id", NULL);
    assert_unique(&b[PROD], "product_id", NULL);
    assert_unique(&b[CART], "cart_id", NULL);
    assert_unique(&b[CITEM], "cart_item_id", NULL);
    assert_unique(&b[ORD], "order_id", NULL);
    assert_unique(&b[OITEM], "order_id", "product_id");
    assert_unique(&b[RET], "return_id", NULL);
    assert_unique(&b[RITEM], "return_item_id", NULL);
    assert_unique(&b[ORD], "cart_id", NULL); /* one order per converted cart */

    /* the 11 declared foreign keys (+ orders.cart_id) */
    assert_fk(&b[CART], "customer_id", &b[CUST], "customer_id");
    assert_fk(&b[CITEM], "cart_id", &b[CART], "cart_id");
    assert_fk(&b[CITEM], "product_id", &b[PROD], "product_id");
    assert_fk(&b[ORD], "customer_id", &b[CUST], "customer_id");
    assert_fk(&b[OITEM], "order_id", &b[ORD], "order_id");
    assert_fk(&b[OITEM], "product_id", &b[PROD], "product_id");
    assert_fk(&b[RET], "order_id", &b[ORD], "order_id");
    assert_fk(&b[RET], "customer_id", &b[CUST], "customer_id");
    assert_fk(&b[RITEM], "return_id", &b[RET], "return_id");
    assert_fk(&b[RITEM], "order_id", &b[ORD], "order_id");
    assert_fk(&b[RITEM], "product_id", &b[PROD], "product_id");
    assert_fk(&b[ORD], "cart_id", &b[CART], "cart_id");

    /* carts: total = sum of items, emptied carts have none and total 0, added_at >= created_at,
     * updated_at = last added_at; #converted = #orders */
    size_t nc = b[CART].nrows, ni = b[CITEM].nrows;
    int cid = col(&b[CART], "cart_id"), ist = col(&b[CART], "status"), icid = col(&b[CITEM], "cart_id");
    size_t converted = 0, j = 0;
    char s1[64], s2[64], st[32];
    for (size_t r = 0; r < nc; r++) {
        str(&b[CART], ist, r, st);
        converted += strcmp(st, "converted") == 0;
        int64_t created = dec(&b[CART], "created_at", r), total = 0, last = created;
        size_t items = 0;
        /* items are emitted in cart order */
        while (j < ni && strcmp(str(&b[CITEM], icid, j, s2), str(&b[CART], cid, r, s1)) == 0) {
            total += dec(&b[CITEM], "unit_price", j) * ecl_col_i32(&b[CITEM].cols[col(&b[CITEM], "quantity")], j);
            int64_t added = dec(&b[CITEM], "added_at", j);
            assert_true(added >= created);
            last = added;
            items++;
            j++;
        }
        assert_int_equal(dec(&b[CART], "cart_total", r), total);
        if (strcmp(st, "emptied") == 0)
            assert_true(items == 0 && total == 0);
        else
            assert_true(items > 0 && dec(&b[CART], "updated_at", r) == last);
    }
    assert_int_equal(j, ni);
    assert_int_equal(converted, b[ORD].nrows);

    /* orders: finance and agents */
    int ich = col(&b[ORD], "order_channel"), iag = col(&b[ORD], "agent_id"), isp = col(&b[ORD], "shipping_speed");
    for (size_t r = 0; r < b[ORD].nrows; r++) {
        int64_t gross = dec(&b[ORD], "gross_total", r), net = dec(&b[ORD], "net_total", r);
        assert_int_equal(net, gross - dec(&b[ORD], "total_discount_amount", r));
        assert_true(dec(&b[ORD], "payment_processing_fee", r) >= 0);
        assert_true(dec(&b[ORD], "actual_shipping_cost", r) >= 0);
        str(&b[ORD], ich, r, s1);
        str(&b[ORD], iag, r, s2);
        if (strcmp(s1, "Phone") == 0)
            assert_true(strncmp(s2, "CSR-", 4) == 0 && strlen(s2) == 8);
        else
            assert_string_equal(s2, "ONLINE");
        str(&b[ORD], isp, r, s1);
        assert_int_equal(ecl_col_bool(&b[ORD].cols[col(&b[ORD], "is_expedited")], r), strcmp(s1, "Standard") != 0);
    }
    /* order items: cost <= price, sum of lines = gross, discounts add up */
    for (size_t r = 0; r < b[OITEM].nrows; r++)
        assert_true(dec(&b[OITEM], "cost_price", r) <= dec(&b[OITEM], "unit_price", r));
    for (size_t r = 0; r < b[PROD].nrows; r++)
        assert_true(dec(&b[PROD], "cost_price", r) <= dec(&b[PROD], "unit_price", r));
    {
        size_t k = 0;
        int ooid = col(&b[ORD], "order_id"), ioid = col(&b[OITEM], "order_id");
        for (size_t r = 0; r < b[ORD].nrows; r++) {
            int64_t gross = 0, disc = 0;
            int units = 0;
            str(&b[ORD], ooid, r, s1);
            while (k < b[OITEM].nrows && strcmp(str(&b[OITEM], ioid, k, s2), s1) == 0) {
                int q = ecl_col_i32(&b[OITEM].cols[col(&b[OITEM], "quantity")], k);
                gross += dec(&b[OITEM], "unit_price", k) * q;
                disc += dec(&b[OITEM], "discount_amount", k);
                units += q;
                k++;
            }
            assert_int_equal(gross, dec(&b[ORD], "gross_total", r));
            assert_int_equal(disc, dec(&b[ORD], "total_discount_amount", r));
            assert_int_equal(units, ecl_col_i32(&b[ORD].cols[col(&b[ORD], "total_items")], r));
        }
        assert_int_equal(k, b[OITEM].nrows);
    }
    /* returns: after the order, header = sum of items, refunds never above what was paid */
    {
        keyset od = keys(&b[ORD], "order_id", NULL);
        int ooid = col(&b[ORD], "order_id");
        /* order date and net by order id: orders are emitted in id order */
        size_t k = 0;
        int irid = col(&b[RET], "return_id"), iritem = col(&b[RITEM], "return_id"), iroid = col(&b[RET], "order_id");
        for (size_t r = 0; r < b[RET].nrows; r++) {
            str(&b[RET], iroid, r, s1);
            assert_true(has(&od, s1));
            int n = atoi(s1 + 4);
            str(&b[ORD], ooid, (size_t)n - 1, s2);
            assert_string_equal(s1, s2);
            int64_t odate = dec(&b[ORD], "order_date", (size_t)n - 1) / 86400000000LL;
            assert_true(ecl_col_i32(&b[RET].cols[col(&b[RET], "return_date")], r) > odate);
            int64_t sum = 0;
            size_t items = 0;
            str(&b[RET], irid, r, s1);
            while (k < b[RITEM].nrows && strcmp(str(&b[RITEM], iritem, k, s2), s1) == 0) {
                int64_t refund = dec(&b[RITEM], "refunded_amount", k);
                int q = ecl_col_i32(&b[RITEM].cols[col(&b[RITEM], "quantity_returned")], k);
                assert_true(q >= 1);
                assert_true(refund <= dec(&b[RITEM], "unit_price", k) * q);
                sum += refund;
                items++;
                k++;
            }
            assert_true(items > 0);
            assert_int_equal(sum, dec(&b[RET], "refunded_amount", r));
            assert_true(sum <= dec(&b[ORD], "net_total", (size_t)n - 1));
        }
        assert_int_equal(k, b[RITEM].nrows);
        keyset_free(&od);
    }
    release(&w);
    ecl_model_free(m);
}

static ecl_model *open_config(const char *path, ecl_err *e)
{
    ecl_model_opts o = {.dataset = "ecom", .config_path = path};
    ecl_model *m = NULL;
    if (ecl_model_open(&m, &o, e))
        return NULL;
    return m;
}

static void write_tmp(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char g_warnings[4096];

static void capture(ecl_level level, const char *subject, const char *msg, void *ctx)
{
    (void)subject, (void)ctx;
    if (level >= ECL_LOG_WARN) {
        strncat(g_warnings, msg, sizeof g_warnings - strlen(g_warnings) - 2);
        strcat(g_warnings, "\n");
    }
}

/* The shipped configs/ecom.yaml is exactly the compiled-in defaults; the hash ignores layout. */
static void shipped_config_is_default(void **state)
{
    (void)state;
    ecl_err e = ECL_ERR_INIT;
    ecl_model *d = open_model(NULL, 0);
    ecl_model *f = open_config("configs/ecom.yaml", &e);
    if (!f)
        fail_msg("%s", e.msg);
    assert_string_equal(ecl_model_config_hash(d), ecl_model_config_hash(f));
    /* same knobs in another layout and order: same hash; one knob changed: another hash */
    char path[] = "/tmp/ecl-ecom-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    write_tmp(path, "parameters:\n  clv_spend_thresholds: {Low: 0, High: 750, Medium: 250}\n"
                    "  conversion_rate: 0.120\n");
    ecl_model *g = open_config(path, &e);
    assert_non_null(g);
    assert_string_equal(ecl_model_config_hash(d), ecl_model_config_hash(g));
    write_tmp(path, "parameters:\n  conversion_rate: 0.13\n");
    ecl_model *h = open_config(path, &e);
    assert_non_null(h);
    assert_string_not_equal(ecl_model_config_hash(d), ecl_model_config_hash(h));
    unlink(path);
    ecl_model_free(d);
    ecl_model_free(f);
    ecl_model_free(g);
    ecl_model_free(h);
}

static void config_errors_point_at_the_key(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"parameters:\n  conversion_rate: 1.3\n", ":2:20: key 'parameters.conversion_rate': expected a number between 0 and 1"},
        {"parameters:\n  return_rate_by_signup_channel: {Tiktok: 0.3}\n", ":2:35: key 'parameters.return_rate_by_signup_channel.Tiktok': unknown signup channel 'Tiktok'"},
        {"world:\n  epoch: 2021-02-30\n", ":2:10: key 'world.epoch'"},
        {"parameters:\n  order_channel_distribution: {Web: 0.5, Phone: 0.2}\n", "must sum to 1"},
        {"parameters:\n  cart_behavior_by_tier: {Gold: {item_count_range: [9, 2]}}\n", "min 9 is above max 2"},
        {"parameters:\n  loyalty_distribution_by_channel: {Website: [1, 2]}\n", "expected 4 weights"},
        {"parameters: [1, 2]\n", "key 'parameters'"},
        {"messiness:\n  heavy_mess: {typo: -0.1}\n", "key 'messiness.heavy_mess.typo'"},
        {"parameters:\n  conversion_rate: 0.9\n  first_purchase_conversion_boost: {Phone: 1.5}\n", "exceeds 1"},
    };
    char path[] = "/tmp/ecl-ecom-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        write_tmp(path, cases[i].text);
        ecl_err e = ECL_ERR_INIT;
        ecl_model *m = open_config(path, &e);
        assert_null(m);
        assert_int_equal(e.code, ECL_ECONFIG);
        if (!strstr(e.msg, cases[i].want))
            fail_msg("case %zu: '%s' does not contain '%s'", i, e.msg, cases[i].want);
    }
    /* unknown keys and ignored original keys warn, naming file:line:col */
    write_tmp(path, "parameters:\n  convertion_rate: 0.1\n  order_days_back: 30\ntables: []\n");
    g_warnings[0] = 0;
    ecl_log_set_hook(capture, NULL, ECL_LOG_DEBUG);
    ecl_err e = ECL_ERR_INIT;
    ecl_model *m = open_config(path, &e);
    ecl_log_set_hook(NULL, NULL, ECL_LOG_WARN);
    assert_non_null(m);
    assert_non_null(strstr(g_warnings, ":2:3: unknown key 'parameters.convertion_rate'"));
    assert_non_null(strstr(g_warnings, ":3:20: key 'parameters.order_days_back' is ignored"));
    assert_non_null(strstr(g_warnings, "key 'tables' is ignored"));
    ecl_model_free(m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(contract),
        cmocka_unit_test(same_day_any_start),
        cmocka_unit_test(qa_invariants),
        cmocka_unit_test(shipped_config_is_default),
        cmocka_unit_test(config_errors_point_at_the_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
