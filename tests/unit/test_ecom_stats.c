/* Statistical tests of the ecom model (with tolerances) and of its messiness rates: conversion,
 * channel/payment/speed mixes, return rate by signup channel, repeat visits by channel x tier,
 * seasonal uplift, earned tiers against running spend, fault rates per level, stable types. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dataset.h"

enum { CUST, PROD, CART, CITEM, ORD, OITEM, RET, RITEM, NT };

static int32_t day_of(const char *s)
{
    int32_t d = 0;
    assert_int_equal(ecl_date_parse(s, strlen(s), &d), 0);
    return d;
}

static ecl_model *open_model(const char *mess)
{
    ecl_model_opts o = {.dataset = "ecom", .messiness = mess};
    ecl_err e = ECL_ERR_INIT;
    ecl_model *m = NULL;
    if (ecl_model_open(&m, &o, &e))
        fail_msg("open: %s", e.msg);
    return m;
}

static void collect(ecl_model *m, int32_t from, int32_t to, ecl_batch *b, ecl_mess_counts *counts)
{
    ecl_err e = ECL_ERR_INIT;
    for (int t = 0; t < NT; t++)
        assert_int_equal(ecl_batch_init(&b[t], &ecl_model_table_at(m, (size_t)t)->schema), 0);
    ecl_cursor *c;
    assert_int_equal(ecl_cursor_open(&c, m, from, &e), 0);
    for (int32_t d = from; d <= to; d++)
        if (ecl_cursor_step(c, true, b, counts, &e))
            fail_msg("step: %s", e.msg);
    ecl_cursor_free(c);
}

static void release(ecl_batch *b)
{
    for (int t = 0; t < NT; t++)
        ecl_batch_release(&b[t]);
}

static int col(const ecl_batch *b, const char *name)
{
    int i = ecl_schema_find(b->schema, name);
    if (i < 0)
        fail_msg("no column %s", name);
    return i;
}

static bool str_is(const ecl_batch *b, int c, size_t r, const char *want)
{
    if (ecl_col_is_null(&b->cols[c], r))
        return false;
    size_t n;
    const char *s = ecl_col_str(&b->cols[c], r, &n);
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* ids are "PREFIX-%08d": the number is the entity's sequence */
static long id_num(const ecl_batch *b, int c, size_t r)
{
    size_t n;
    const char *s = ecl_col_str(&b->cols[c], r, &n);
    const char *dash = memchr(s, '-', n);
    return dash ? strtol(dash + 1, NULL, 10) : -1;
}

static void near(const char *what, double got, double want, double tol)
{
    if (fabs(got - want) > tol)
        fail_msg("%s: got %.4f, want %.4f +- %.4f", what, got, want, tol);
}

/* Customer attributes by id: registered CUST-n at cust[n], guests flagged. */
typedef struct custinfo {
    char ch[24];
    char tier[16];
} custinfo;

static custinfo *customers_by_seq(const ecl_batch *cb, size_t *n)
{
    int id = col(cb, "customer_id"), ch = col(cb, "signup_channel"), tier = col(cb, "initial_loyalty_tier");
    *n = cb->nrows + 2;
    custinfo *ci = calloc(*n, sizeof *ci);
    for (size_t r = 0; r < cb->nrows; r++) {
        size_t len;
        const char *s = ecl_col_str(&cb->cols[id], r, &len);
        if (strncmp(s, "CUST-", 5) != 0)
            continue;
        long k = id_num(cb, id, r);
        assert_true(k > 0 && (size_t)k < *n);
        const char *v = ecl_col_str(&cb->cols[ch], r, &len);
        snprintf(ci[k].ch, sizeof ci[k].ch, "%.*s", (int)len, v);
        if (ecl_col_is_null(&cb->cols[tier], r))
            snprintf(ci[k].tier, sizeof ci[k].tier, "none");
        else {
            v = ecl_col_str(&cb->cols[tier], r, &len);
            snprintf(ci[k].tier, sizeof ci[k].tier, "%.*s", (int)len, v);
        }
    }
    return ci;
}

/* The world's first 180 days: every customer of every order is known. */
static void funnel_mixes_returns_tiers(void **state)
{
    (void)state;
    ecl_model *m = open_model(NULL);
    int32_t ep = ecl_model_epoch(m);
    ecl_batch b[NT];
    collect(m, ep, ep + 179, b, NULL);

    /* conversion: 12% with the first-purchase boost on first orders */
    double conv = (double)b[ORD].nrows / (double)b[CART].nrows;
    if (conv < 0.12 || conv > 0.14)
        fail_msg("conversion rate %.4f outside [0.12, 0.14]", conv);

    /* order channel, speed and payment mixes; is_expedited = not Standard */
    static const char *const chs[] = {"Web", "Phone", "Social Media", "Ebay", "NewEgg"};
    static const double chw[] = {.45, .20, .15, .15, .05};
    int ich = col(&b[ORD], "order_channel"), isp = col(&b[ORD], "shipping_speed"), ipm = col(&b[ORD], "payment_method");
    double n = (double)b[ORD].nrows;
    for (int i = 0; i < 5; i++) {
        size_t k = 0;
        for (size_t r = 0; r < b[ORD].nrows; r++)
            k += str_is(&b[ORD], ich, r, chs[i]);
        near(chs[i], k / n, chw[i], 0.02);
    }
    static const char *const sp[] = {"Standard", "Two-Day", "Overnight"};
    static const double spw[] = {.65, .20, .15};
    for (int i = 0; i < 3; i++) {
        size_t k = 0;
        for (size_t r = 0; r < b[ORD].nrows; r++)
            k += str_is(&b[ORD], isp, r, sp[i]);
        near(sp[i], k / n, spw[i], 0.02);
    }
    /* payments follow channel_rules: the global mix restricted to each channel's allowed methods */
    static const char *const pm[] = {"Credit Card", "PayPal", "Apple Pay", "Google Pay", "ACH", "Ebay", "NewEgg"};
    double want[7] = {0};
    want[0] = .45 * .6 + .20 * (.6 / .65) + .15 * (.6 / .95);
    want[1] = .45 * .2 + .15 * (.2 / .95);
    want[2] = .45 * .1 + .15 * (.1 / .95);
    want[3] = .45 * .05 + .15 * (.05 / .95);
    want[4] = .45 * .05 + .20 * (.05 / .65);
    want[5] = .15;
    want[6] = .05;
    for (int i = 0; i < 7; i++) {
        size_t k = 0;
        for (size_t r = 0; r < b[ORD].nrows; r++)
            k += str_is(&b[ORD], ipm, r, pm[i]);
        near(pm[i], k / n, want[i], 0.02);
    }
    for (size_t r = 0; r < b[ORD].nrows; r++) {
        if (str_is(&b[ORD], ich, r, "Ebay"))
            assert_true(str_is(&b[ORD], ipm, r, "Ebay"));
        if (str_is(&b[ORD], ich, r, "Phone"))
            assert_true(str_is(&b[ORD], ipm, r, "Credit Card") || str_is(&b[ORD], ipm, r, "ACH"));
    }

    /* return rate by signup channel: share of the first 90 days' orders returned within 30 days
     * = rate x P(first timing bucket) = rate x 0.8 */
    size_t ncust;
    custinfo *ci = customers_by_seq(&b[CUST], &ncust);
    int ocust = col(&b[ORD], "customer_id"), odate = col(&b[ORD], "order_date"), oid = col(&b[ORD], "order_id");
    int rord = col(&b[RET], "order_id"), rdate = col(&b[RET], "return_date");
    size_t nord = b[ORD].nrows;
    int32_t *ret_day = calloc(nord + 1, sizeof *ret_day); /* first return day by order number */
    for (size_t r = 0; r < b[RET].nrows; r++) {
        long k = id_num(&b[RET], rord, r);
        int32_t d = ecl_col_i32(&b[RET].cols[rdate], r);
        if (k > 0 && (size_t)k <= nord && (!ret_day[k] || d < ret_day[k]))
            ret_day[k] = d;
    }
    static const char *const sc[] = {"Social Media", "Website", "Phone", "email", "guest"};
    static const double rate[] = {.35, .25, .15, .20, .25};
    for (int i = 0; i < 5; i++) {
        size_t orders = 0, returned = 0;
        for (size_t r = 0; r < nord; r++) {
            int32_t d = (int32_t)(ecl_col_i64(&b[ORD].cols[odate], r) / 86400000000LL);
            if (d > ep + 89)
                continue;
            size_t len;
            const char *cid = ecl_col_str(&b[ORD].cols[ocust], r, &len);
            bool guest = strncmp(cid, "GUEST-", 6) == 0;
            const char *ch = guest ? "guest" : ci[id_num(&b[ORD], ocust, r)].ch;
            if (strcmp(ch, sc[i]) != 0)
                continue;
            orders++;
            long k = id_num(&b[ORD], oid, r);
            returned += ret_day[k] && ret_day[k] <= d + 30;
        }
        assert_true(orders > 300);
        char what[64];
        snprintf(what, sizeof what, "30-day return rate of %s (%zu orders)", sc[i], orders);
        near(what, (double)returned / orders, rate[i] * 0.8, 3.5 * sqrt(rate[i] * 0.8 / orders) + 0.01);
    }

    /* earned tiers: customer_tier/clv_bucket follow the running gross spend including the order */
    {
        int otier = col(&b[ORD], "customer_tier"), oclv = col(&b[ORD], "clv_bucket"), ogross = col(&b[ORD], "gross_total");
        size_t cap = ncust + b[CUST].nrows + 2;
        int64_t *spend_reg = calloc(cap, sizeof(int64_t)), *spend_guest = calloc(cap, sizeof(int64_t));
        for (size_t r = 0; r < nord; r++) { /* orders are emitted in order-number order */
            size_t len;
            const char *cid = ecl_col_str(&b[ORD].cols[ocust], r, &len);
            long k = id_num(&b[ORD], ocust, r);
            assert_true(k > 0 && (size_t)k < cap);
            int64_t *acc = strncmp(cid, "GUEST-", 6) == 0 ? &spend_guest[k] : &spend_reg[k];
            *acc += ecl_col_i64(&b[ORD].cols[ogross], r);
            const char *tier = *acc >= 100000 ? "Platinum" : *acc >= 50000 ? "Gold" : *acc >= 10000 ? "Silver" : "Bronze";
            const char *clv = *acc >= 75000 ? "High" : *acc >= 25000 ? "Medium" : "Low";
            assert_true(str_is(&b[ORD], otier, r, tier));
            assert_true(str_is(&b[ORD], oclv, r, clv));
        }
        free(spend_reg);
        free(spend_guest);
    }

    /* repeat visits by channel x tier: carts in the first 150 days of customers who signed up in
     * the first 20 days; more for higher tiers, and close to 1 + propensity for short-gap tiers */
    {
        int ccust = col(&b[CART], "customer_id");
        size_t *carts = calloc(ncust, sizeof *carts);
        int icd = col(&b[CART], "created_at");
        for (size_t r = 0; r < b[CART].nrows; r++) {
            size_t len;
            const char *cid = ecl_col_str(&b[CART].cols[ccust], r, &len);
            if (strncmp(cid, "CUST-", 5) != 0)
                continue;
            int32_t d = (int32_t)(ecl_col_i64(&b[CART].cols[icd], r) / 86400000000LL);
            if (d <= ep + 169)
                carts[id_num(&b[CART], ccust, r)]++;
        }
        int icid = col(&b[CUST], "customer_id"), isd = col(&b[CUST], "signup_date");
        static const char *const tiers[] = {"Bronze", "Silver", "Gold", "Platinum"};
        static const char *const chans[] = {"Website", "Phone", "Social Media"};
        static const double lam[3][4] = {{1.2, 2.4, 3.5, 4.8}, {1.5, 2.8, 4.0, 5.2}, {1.0, 2.0, 3.0, 4.0}};
        for (int c = 0; c < 3; c++) {
            double prev = 0;
            for (int t = 0; t < 4; t++) {
                size_t who = 0, total = 0;
                for (size_t r = 0; r < b[CUST].nrows; r++) {
                    if (ecl_col_is_null(&b[CUST].cols[isd], r) || ecl_col_i32(&b[CUST].cols[isd], r) > ep + 19)
                        continue;
                    long k = id_num(&b[CUST], icid, r);
                    if (strcmp(ci[k].ch, chans[c]) || strcmp(ci[k].tier, tiers[t]))
                        continue;
                    who++;
                    total += carts[k];
                }
                assert_true(who > 40);
                double mean = (double)total / who;
                /* at least the first visit plus most repeats (gaps can push some past 150 days),
                 * at most everything plus reactivation and seasonal extras */
                char what[96];
                snprintf(what, sizeof what, "carts per %s/%s customer (%zu customers)", chans[c], tiers[t], who);
                if (mean < 0.6 * (1 + lam[c][t]) || mean > 1.25 * (1 + lam[c][t]) + 0.3)
                    fail_msg("%s: %.3f vs 1 + propensity %.1f", what, mean, lam[c][t]);
                assert_true(mean > prev);
                prev = mean;
            }
        }
        free(carts);
    }
    free(ret_day);
    free(ci);
    release(b);
    ecl_model_free(m);
}

static void seasonal_uplift(void **state)
{
    (void)state;
    ecl_model *m = open_model(NULL);
    ecl_err e = ECL_ERR_INIT;
    ecl_cursor *c;
    int32_t from = day_of("2021-10-01"), to = day_of("2022-01-31");
    assert_int_equal(ecl_cursor_open(&c, m, from, &e), 0);
    ecl_batch b[NT];
    for (int t = 0; t < NT; t++)
        ecl_batch_init(&b[t], &ecl_model_table_at(m, (size_t)t)->schema);
    double per_month[13] = {0};
    int days[13] = {0};
    for (int32_t d = from; d <= to; d++) {
        for (int t = 0; t < NT; t++)
            ecl_batch_clear(&b[t]);
        assert_int_equal(ecl_cursor_step(c, true, b, NULL, &e), 0);
        int y, mo, dd;
        ecl_civil_from_days(d, &y, &mo, &dd);
        per_month[mo] += (double)b[CART].nrows;
        days[mo]++;
    }
    for (int mo = 1; mo <= 12; mo++)
        if (days[mo])
            per_month[mo] /= days[mo];
    /* October and January are unscaled; the customer base grows in between, so the baseline of
     * November and December is interpolated */
    double step = (per_month[1] - per_month[10]) / 3;
    near("November uplift", per_month[11] / (per_month[10] + step), 1.6, 0.08);
    near("December uplift", per_month[12] / (per_month[10] + 2 * step), 2.1, 0.1);
    near("monthly base growth", step / per_month[10], 0.03, 0.03);
    for (int t = 0; t < NT; t++)
        ecl_batch_release(&b[t]);
    ecl_cursor_free(c);
    ecl_model_free(m);
}

/* Fault rates per level, and types never change. */
static void mess_rates(void **state)
{
    (void)state;
    static const char *const levels[] = {"baseline", "light_mess", "medium_mess", "heavy_mess"};
    static const double ws[] = {0, .05, .08, .15}, nulls[] = {0, .02, .04, .08};
    static const double dup[] = {0, 0, .005, .01}, late[] = {0, 0, .02, .04}, typo[] = {0, 0, 0, .02};
    ecl_model *base = open_model(NULL);
    for (int l = 0; l < 4; l++) {
        ecl_model *m = open_model(levels[l]);
        assert_string_equal(ecl_model_messiness(m), levels[l]);
        for (size_t t = 0; t < ecl_model_ntables(m); t++) {
            const ecl_schema *s = &ecl_model_table_at(m, t)->schema, *s0 = &ecl_model_table_at(base, t)->schema;
            assert_int_equal(s->nfields, s0->nfields);
            for (size_t f = 0; f < s->nfields; f++)
                assert_int_equal(s->fields[f].type, s0->fields[f].type);
        }
        ecl_mess_counts counts = {0};
        ecl_batch b[NT];
        int32_t from = day_of("2021-03-01");
        collect(m, from, from + 9, b, &counts);
        double ci = (double)b[CITEM].nrows, carts = (double)b[CART].nrows;
        uint64_t dups = ecl_mess_counts_get(&counts, "shopping_carts", "cart_id", "duplicate");
        double orig_carts = carts - (double)dups;
        char what[96];
        snprintf(what, sizeof what, "%s whitespace on cart_items.product_name", levels[l]);
        near(what, ecl_mess_counts_get(&counts, "cart_items", "product_name", "whitespace") / ci, ws[l], ws[l] * 0.1 + 1e-9);
        snprintf(what, sizeof what, "%s nulls in cart_items.added_at", levels[l]);
        near(what, ecl_mess_counts_get(&counts, "cart_items", "added_at", "null") / ci, nulls[l], nulls[l] * 0.1 + 1e-9);
        snprintf(what, sizeof what, "%s casing on shopping_carts.status", levels[l]);
        double casing = ecl_mess_counts_get(&counts, "shopping_carts", "status", "casing") / orig_carts;
        /* a third of the casings (Title of a lowercase word... UPPER/lower/Title) can be no-ops */
        assert_true(casing <= ws[l] * 1.1 + 1e-9 && casing >= ws[l] * 0.5);
        snprintf(what, sizeof what, "%s duplicate carts", levels[l]);
        near(what, dups / orig_carts, dup[l], dup[l] * 0.35 + 1e-9);
        snprintf(what, sizeof what, "%s typos in order_items.product_name", levels[l]);
        near(what, ecl_mess_counts_get(&counts, "order_items", "product_name", "typo") / (double)b[OITEM].nrows, typo[l],
             typo[l] * 0.3 + 1e-9);
        uint64_t dord = ecl_mess_counts_get(&counts, "orders", "order_id", "duplicate");
        snprintf(what, sizeof what, "%s late orders", levels[l]);
        near(what, ecl_mess_counts_get(&counts, "orders", "order_date", "late_arrival") / (double)(b[ORD].nrows - dord),
             late[l], late[l] * 0.3 + 1e-9);
        /* the null pass nulls what it says */
        int ia = col(&b[CITEM], "added_at");
        assert_int_equal(b[CITEM].cols[ia].nnull, ecl_mess_counts_get(&counts, "cart_items", "added_at", "null"));
        if (l >= 2)
            assert_true(ecl_mess_counts_get(&counts, "returns", "reason", "reason_bias") > 0);
        if (l == 3) {
            assert_true(ecl_mess_counts_get(&counts, NULL, NULL, "format_variant") > 0);
            assert_true(ecl_mess_counts_get(&counts, NULL, NULL, "numeric_corruption") > 0);
        }
        if (l == 0)
            assert_int_equal(ecl_mess_counts_get(&counts, NULL, NULL, NULL), 0);
        ecl_mess_counts_release(&counts);
        release(b);
        ecl_model_free(m);
    }
    ecl_model_free(base);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(funnel_mixes_returns_tiers),
        cmocka_unit_test(seasonal_uplift),
        cmocka_unit_test(mess_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
