/* knobs.c - the shipped defaults of the e-commerce model (the original quick config plus the world
 * knobs it lacked), cross-field validation and the canonical form behind the config hash. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../column.h"
#include "ecom.h"

const char *const ec_mess_names[EC_MESS_NLEVELS] = {"baseline", "light_mess", "medium_mess", "heavy_mess"};

int ec_mess_parse(const char *name)
{
    if (strcmp(name, "none") == 0)
        return EC_MESS_NONE;
    for (int i = 0; i < EC_MESS_NLEVELS; i++)
        if (strcmp(name, ec_mess_names[i]) == 0)
            return i;
    return -1;
}

static void wl_add(ec_wlist *l, const char *name, double w)
{
    if (l->n >= EC_MAXV)
        return;
    snprintf(l->name[l->n], EC_NAME, "%s", name);
    l->w[l->n++] = w;
}

static void set_words(ec_knobs *k, int cat, const char *const adj[4], const char *const noun[4])
{
    for (int i = 0; i < 4; i++) {
        snprintf(k->adjectives[cat][i], EC_NAME, "%s", adj[i]);
        snprintf(k->nouns[cat][i], EC_NAME, "%s", noun[i]);
    }
    k->nadj[cat] = k->nnoun[cat] = 4;
}

static int idx_of(const ec_wlist *l, const char *name)
{
    for (int i = 0; i < l->n; i++)
        if (strcmp(l->name[i], name) == 0)
            return i;
    return -1;
}

void ec_knobs_default(ec_knobs *k)
{
    memset(k, 0, sizeof *k);
    k->epoch = ecl_days_from_civil(2020, 1, 1);
    k->seed = 42;
    k->mess_level = EC_MESS_NONE;
    k->new_customers_per_day = 560;
    k->reengage_days_mean = 180;
    k->churn_probability = 0.2;
    k->max_gap_factor = 3.0;

    /* signup channels: index 0 is "none" (guests) */
    k->signup_channels.n = 1;
    wl_add(&k->signup_channels, "Website", 0.55);
    wl_add(&k->signup_channels, "email", 0.20);
    wl_add(&k->signup_channels, "Social Media", 0.15);
    wl_add(&k->signup_channels, "Phone", 0.10);
    k->nch = k->signup_channels.n - 1;
    static const char *const tiers[] = {"Bronze", "Silver", "Gold", "Platinum"};
    k->ntier = 4;
    for (int t = 0; t < 4; t++)
        snprintf(k->tiers[t + 1], EC_NAME, "%s", tiers[t]);
    wl_add(&k->genders, "Male", 1);
    wl_add(&k->genders, "Female", 1);
    wl_add(&k->genders, "Unknown", 1);
    wl_add(&k->customer_status, "Active", 0.7);
    wl_add(&k->customer_status, "Inactive", 0.2);
    wl_add(&k->customer_status, "Dormant", 0.1);
    static const char *const cats[] = {"Electronics", "Clothing", "Books", "Home", "Toys"};
    for (int c = 0; c < 5; c++)
        wl_add(&k->categories, cats[c], 1);
    set_words(k, 0, (const char *const[]){"Smart", "Wireless", "Portable", "Digital"},
              (const char *const[]){"Speaker", "Headphones", "Charger", "Camera"});
    set_words(k, 1, (const char *const[]){"Cotton", "Slim-Fit", "Vintage", "Casual"},
              (const char *const[]){"Shirt", "Jacket", "Jeans", "Sweater"});
    set_words(k, 2, (const char *const[]){"Illustrated", "Classic", "Bestselling", "Pocket"},
              (const char *const[]){"Novel", "Cookbook", "Guide", "Anthology"});
    set_words(k, 3, (const char *const[]){"Modern", "Rustic", "Ceramic", "Compact"},
              (const char *const[]){"Lamp", "Blender", "Vase", "Organizer"});
    set_words(k, 4, (const char *const[]){"Wooden", "Interactive", "Plush", "Educational"},
              (const char *const[]){"Puzzle", "Robot", "Bear", "Blocks"});
    static const char *const reasons[] = {"Defective", "Wrong item", "Arrived damaged",
                                          "Product did not match description", "Found a better price",
                                          "Item arrived late", "No longer needed", "Damaged in transit",
                                          "Changed mind"};
    for (int i = 0; i < 9; i++)
        wl_add(&k->return_reasons, reasons[i], 1);
    k->nagents = 20;
    for (int i = 0; i < 20; i++)
        snprintf(k->agents[i], EC_NAME, "CSR-%04d", i + 1);

    /* customers (lookup_config.customers and parameters) */
    k->guest_pct = 0.4;
    k->gender_unknown_prob = 0.05;
    k->no_tier_prob = 0.1;
    k->email_verified_prob = 0.8;
    k->marketing_opt_in_prob = 0.5;
    k->min_age = 18;
    k->max_age = 70;
    k->guest_pool_size = 50;
    k->guest_reuse_prob = 0.2;
    static const double tw[5][4] = {{.4, .3, .2, .1}, /* default (also guests) */
                                    {.4, .3, .2, .1}, /* Website */
                                    {.3, .4, .2, .1}, /* email */
                                    {.5, .3, .15, .05}, /* Social Media */
                                    {.2, .3, .3, .2}}; /* Phone */
    for (int c = 0; c <= 4; c++)
        for (int t = 0; t < 4; t++)
            k->tier_weights[c][t + 1] = tw[c][t];
    wl_add(&k->clv_buckets, "Low", 1);
    wl_add(&k->clv_buckets, "Medium", 1);
    wl_add(&k->clv_buckets, "High", 1);
    k->clv_threshold[0] = 0;
    k->clv_threshold[1] = 25000;
    k->clv_threshold[2] = 75000;
    k->clv_of_tier[0] = 0; /* clv_map: None -> Low, Bronze -> Low, Silver -> Medium, Gold/Platinum -> High */
    k->clv_of_tier[1] = 0;
    k->clv_of_tier[2] = 1;
    k->clv_of_tier[3] = 2;
    k->clv_of_tier[4] = 2;

    /* products */
    k->num_products = 3000;
    k->min_price = 500;
    k->max_price = 25000;
    k->margin_lo = 0.4;
    k->margin_hi = 0.7;
    k->inv_lo = 100;
    k->inv_hi = 250;

    /* visits: [channel 0 = default][tier 0 = default] */
    k->ttfc = (ec_range){1, 14};
    static const double prop[5][5] = {
        /* default, Bronze, Silver, Gold, Platinum */
        {0.6, 1.1, 2.2, 3.3, 4.5}, /* default */
        {0.6, 1.2, 2.4, 3.5, 4.8}, /* Website */
        {0.6, 1.1, 2.2, 3.3, 4.5}, /* email: no entry in the quick config -> default map */
        {0.5, 1.0, 2.0, 3.0, 4.0}, /* Social Media */
        {0.7, 1.5, 2.8, 4.0, 5.2}, /* Phone */
    };
    static const ec_delay del[5][5] = {
        {{30, 180, 1.0}, {30, 140, .9}, {25, 100, .8}, {18, 70, .7}, {12, 50, .6}},
        {{40, 180, 1.0}, {30, 120, .8}, {20, 90, .7}, {15, 60, .6}, {10, 45, .5}},
        {{30, 180, 1.0}, {30, 140, .9}, {25, 100, .8}, {18, 70, .7}, {12, 50, .6}},
        {{45, 200, 1.2}, {40, 160, 1.0}, {30, 120, .9}, {20, 80, .8}, {14, 60, .7}},
        {{35, 160, 1.0}, {25, 110, .8}, {18, 80, .7}, {12, 55, .6}, {7, 40, .5}},
    };
    for (int c = 0; c <= 4; c++)
        for (int t = 0; t <= 4; t++) {
            k->propensity[c][t] = prop[c][t];
            k->delay[c][t] = del[c][t];
        }
    k->nshocks = 2;
    k->shock_month[0] = 2024 * 12 + 2;
    k->shock_factor[0] = 0.5;
    k->shock_month[1] = 2024 * 12 + 4;
    k->shock_factor[1] = 1.8;
    for (int m = 1; m <= 12; m++)
        k->seasonal[m] = 1.0;
    k->seasonal[7] = 1.2;
    k->seasonal[11] = 1.6;
    k->seasonal[12] = 2.1;
    k->react_prob = 0.08;
    k->react_delay = (ec_range){200, 400};
    static const ec_range items[5] = {{1, 5}, {1, 6}, {1, 8}, {2, 10}, {4, 15}};
    static const ec_range qty[5] = {{1, 2}, {1, 2}, {1, 3}, {1, 5}, {1, 6}};
    for (int t = 0; t <= 4; t++) {
        k->items_by_tier[t] = items[t];
        k->qty_by_tier[t] = qty[t];
    }
    for (int c = 0; c < EC_MAXV; c++)
        for (int j = 0; j < EC_MAXCAT; j++)
            k->cat_pref[c][j] = 1.0;
    /* Electronics, Clothing, Books, Home, Toys */
    k->cat_pref[3][0] = 3, k->cat_pref[3][4] = 2, k->cat_pref[3][1] = 1.5; /* Social Media */
    k->cat_pref[1][3] = 2, k->cat_pref[1][2] = 1.5;                        /* Website */
    k->cat_pref[4][3] = 2.5, k->cat_pref[4][0] = 1.5;                      /* Phone */

    /* funnel and orders */
    k->conversion_rate = 0.12;
    for (int c = 0; c < EC_MAXV; c++)
        k->first_boost[c] = 1.0;
    k->first_boost[1] = 1.1; /* Website */
    k->first_boost[2] = 1.3; /* email */
    k->first_boost[4] = 1.5; /* Phone */
    k->emptied_prob = 0.15;
    k->tier_threshold[1] = 0;
    k->tier_threshold[2] = 10000;
    k->tier_threshold[3] = 50000;
    k->tier_threshold[4] = 100000;
    wl_add(&k->order_channels, "Web", .45);
    wl_add(&k->order_channels, "Phone", .20);
    wl_add(&k->order_channels, "Social Media", .15);
    wl_add(&k->order_channels, "Ebay", .15);
    wl_add(&k->order_channels, "NewEgg", .05);
    wl_add(&k->shipping_speeds, "Standard", .65);
    wl_add(&k->shipping_speeds, "Two-Day", .20);
    wl_add(&k->shipping_speeds, "Overnight", .15);
    k->shipping_cost[0] = 500, k->shipping_cost[1] = 4500, k->shipping_cost[2] = 8000;
    k->shipping_base_cost[0] = 450, k->shipping_base_cost[1] = 3800, k->shipping_base_cost[2] = 7000;
    k->cost_var_lo = -0.15;
    k->cost_var_hi = 0.10;
    static const char *const pm[] = {"Credit Card", "PayPal", "Apple Pay", "Google Pay", "ACH", "Cash", "Ebay", "NewEgg"};
    static const double pmw[] = {.6, .2, .1, .05, .05, 0, 0, 0};
    static const double fee[] = {.025, .03, .02, .02, .01, 0, .035, .035};
    for (int i = 0; i < 8; i++) {
        wl_add(&k->payment_methods, pm[i], pmw[i]);
        k->fee_rate[i] = fee[i];
    }
    /* channel_rules (top level in the quick config): allowed payment methods, return channel */
    static const int allow[5][8] = {{1, 1, 1, 1, 1, 0, 0, 0}, /* Web */
                                    {1, 0, 0, 0, 1, 0, 0, 0}, /* Phone */
                                    {1, 1, 1, 1, 0, 0, 0, 0}, /* Social Media */
                                    {0, 0, 0, 0, 0, 0, 1, 0}, /* Ebay */
                                    {0, 0, 0, 0, 0, 0, 0, 1}}; /* NewEgg */
    static const int pref[5] = {0, 1, 0, 3, 4};
    for (int c = 0; c < 5; c++) {
        k->channel_rule[c] = true;
        for (int p = 0; p < 8; p++)
            k->allowed_payment[c][p] = allow[c][p];
        k->return_channel_pref[c] = pref[c];
    }
    k->discount_prob = 0.20;
    k->discount_lo = 0.05;
    k->discount_hi = 0.25;

    /* returns */
    k->return_rate = 0.25;
    for (int c = 0; c < EC_MAXV; c++)
        k->return_rate_by_channel[c] = -1; /* -1 = fall back to return_rate */
    k->return_rate_by_channel[1] = .25, k->return_rate_by_channel[2] = .20;
    k->return_rate_by_channel[3] = .35, k->return_rate_by_channel[4] = .15;
    k->multi_return_prob = 0.15;
    k->ntiming = 3;
    k->timing_days[0] = 30, k->timing_cum[0] = .80;
    k->timing_days[1] = 90, k->timing_cum[1] = .95;
    k->timing_days[2] = 365, k->timing_cum[2] = 1.0;
    static const double full[9] = {.9, .8, .95, .7, .5, .5, .1, .5, .2};
    static const double part[9] = {.1, .2, .05, .3, .4, .4, .5, .4, .6};
    for (int i = 0; i < 9; i++) {
        k->refund_full[i] = full[i];
        k->refund_partial[i] = part[i];
    }

    /* messiness: the original's rates, plus the kinds it advertised but never implemented */
    k->mess[EC_MESS_LIGHT] = (ec_mess_level){.whitespace = .05, .casing = .05, .nulls = .02};
    k->mess[EC_MESS_MEDIUM] = (ec_mess_level){.whitespace = .08, .casing = .08, .nulls = .04, .spike_factor = 1.5,
                                              .reason_bias = .25, .late = .02, .duplicate = .005};
    k->mess[EC_MESS_HEAVY] = (ec_mess_level){.whitespace = .15, .casing = .15, .nulls = .08, .spike_factor = 2.0,
                                             .reason_bias = .50, .late = .04, .duplicate = .01,
                                             .typo = .02, .numeric = .01, .format = .10};
    k->late_max_days = 3;
    /* return_reason_bias_schemas: category -> reason weights (the original shipped none) */
    static const struct {
        int cat;
        const char *reason;
        double w;
    } bias[] = {{0, "Defective", 3},          {0, "Damaged in transit", 2}, {0, "Item arrived late", 1},
                {1, "Changed mind", 3},       {1, "Product did not match description", 2},
                {1, "Wrong item", 1},         {2, "Arrived damaged", 2},    {2, "No longer needed", 2},
                {2, "Found a better price", 1}, {3, "Damaged in transit", 3}, {3, "Arrived damaged", 2},
                {4, "Defective", 2},          {4, "Changed mind", 2},       {5, "Changed mind", 1},
                {5, "No longer needed", 1}};
    for (int lvl = EC_MESS_MEDIUM; lvl <= EC_MESS_HEAVY; lvl++) {
        k->bias_set[lvl] = true;
        for (size_t i = 0; i < sizeof bias / sizeof bias[0]; i++) {
            int cat = bias[i].cat == 5 ? k->categories.n : bias[i].cat;
            k->bias[lvl][cat][idx_of(&k->return_reasons, bias[i].reason)] = bias[i].w;
        }
    }
    k->standard_speed = 0;
    k->phone_channel = 1;
}

static bool prob_ok(double p) { return p >= 0 && p <= 1 && !isnan(p); }

int ec_knobs_validate(const ec_knobs *k, ecl_err *e)
{
    if (k->nch < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: at least one signup channel is needed");
    if (k->ntier < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: at least one loyalty tier is needed");
    if (k->categories.n < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: at least one product category is needed");
    if (k->num_products < k->categories.n)
        return ecl_err_set(e, ECL_ECONFIG, "config: num_products (%d) must be at least the number of categories (%d)",
                           k->num_products, k->categories.n);
    if (k->order_channels.n < 1 || k->shipping_speeds.n < 1 || k->payment_methods.n < 1 ||
        k->return_reasons.n < 1 || k->clv_buckets.n < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: order channels, shipping speeds, payment methods, "
                                           "return reasons and clv buckets must not be empty");
    if (k->phone_channel >= 0 && k->nagents < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: vocab.agent_pool.agents is empty but orders on the "
                                           "'Phone' channel need an agent");
    if (k->min_price > k->max_price || k->min_price < 1)
        return ecl_err_set(e, ECL_ECONFIG, "config: min_price must be positive and not above max_price");
    if (k->min_age > k->max_age || k->inv_lo > k->inv_hi || k->margin_lo > k->margin_hi ||
        k->ttfc.lo > k->ttfc.hi || k->react_delay.lo > k->react_delay.hi || k->discount_lo > k->discount_hi ||
        k->cost_var_lo > k->cost_var_hi)
        return ecl_err_set(e, ECL_ECONFIG, "config: a range has its minimum above its maximum");
    if (!prob_ok(k->guest_pct) || !prob_ok(k->churn_probability) || !prob_ok(k->conversion_rate))
        return ecl_err_set(e, ECL_ECONFIG, "config: probabilities must be between 0 and 1");
    for (int c = 0; c <= k->nch; c++)
        if (k->first_boost[c] * k->conversion_rate > 1.0)
            return ecl_err_set(e, ECL_ECONFIG,
                               "config: conversion_rate x first_purchase_conversion_boost exceeds 1 for '%s'",
                               c ? k->signup_channels.name[c] : "default");
    for (int t = 0; t <= k->ntier; t++)
        if (k->items_by_tier[t].lo < 1 || k->items_by_tier[t].hi > 64 || k->qty_by_tier[t].lo < 1 ||
            k->items_by_tier[t].lo > k->items_by_tier[t].hi || k->qty_by_tier[t].lo > k->qty_by_tier[t].hi)
            return ecl_err_set(e, ECL_ECONFIG, "config: cart_behavior_by_tier needs 1 <= items <= 64 and qty >= 1");
    if (k->ntiming < 1 || fabs(k->timing_cum[k->ntiming - 1] - 1.0) > 1e-9)
        return ecl_err_set(e, ECL_ECONFIG, "config: return_timing_distribution must end at cumulative 1.0");
    for (int i = 1; i < k->ntiming; i++)
        if (k->timing_days[i] <= k->timing_days[i - 1] || k->timing_cum[i] < k->timing_cum[i - 1])
            return ecl_err_set(e, ECL_ECONFIG, "config: return_timing_distribution must increase");
    if (k->timing_days[k->ntiming - 1] > 1500 || k->react_delay.hi > 1500 || k->ttfc.hi > 365)
        return ecl_err_set(e, ECL_ECONFIG, "config: delays above 1500 days are not supported");
    for (int c = 0; c <= k->nch; c++)
        for (int t = 0; t <= k->ntier; t++)
            if (k->delay[c][t].hi * k->max_gap_factor > 3000)
                return ecl_err_set(e, ECL_ECONFIG, "config: a visit gap range max x world.max_gap_factor exceeds 3000 days");
    if (k->new_customers_per_day < 0 || k->new_customers_per_day > 1e6)
        return ecl_err_set(e, ECL_ECONFIG, "config: world.new_customers_per_day must be in [0, 1000000]");
    if (k->reengage_days_mean < 1 || k->reengage_days_mean > 1000)
        return ecl_err_set(e, ECL_ECONFIG, "config: world.reengage_days_mean must be in [1, 1000]");
    return 0;
}

/* ---- canonical form ---- */

static void put_wl(ecl_buf *b, const char *key, const ec_wlist *l, int from)
{
    for (int i = from; i < l->n; i++)
        ecl_buf_printf(b, "%s[%d]=%s:%.17g\n", key, i, l->name[i], l->w[i]);
}

int ec_knobs_canonical(const ec_knobs *k, ecl_buf *b)
{
    char d[11];
    ecl_date_format(k->epoch, d);
    ecl_buf_printf(b, "model=ecom\nepoch=%s\nseed=%llu\nmessiness=%s\n", d, (unsigned long long)k->seed,
                   ec_mess_names[k->mess_level]);
    ecl_buf_printf(b, "world=%.17g,%.17g,%.17g,%.17g\n", k->new_customers_per_day, k->reengage_days_mean,
                   k->churn_probability, k->max_gap_factor);
    put_wl(b, "signup_channels", &k->signup_channels, 1);
    for (int t = 1; t <= k->ntier; t++)
        ecl_buf_printf(b, "tier[%d]=%s:%lld:clv%d\n", t, k->tiers[t], (long long)k->tier_threshold[t],
                       k->clv_of_tier[t]);
    ecl_buf_printf(b, "clv_of_none=%d\n", k->clv_of_tier[0]);
    put_wl(b, "genders", &k->genders, 0);
    put_wl(b, "customer_status", &k->customer_status, 0);
    put_wl(b, "return_reasons", &k->return_reasons, 0);
    for (int c = 0; c < k->categories.n; c++) {
        ecl_buf_printf(b, "category[%d]=%s", c, k->categories.name[c]);
        for (int i = 0; i < k->nadj[c]; i++)
            ecl_buf_printf(b, ",a:%s", k->adjectives[c][i]);
        for (int i = 0; i < k->nnoun[c]; i++)
            ecl_buf_printf(b, ",n:%s", k->nouns[c][i]);
        ecl_buf_putc(b, '\n');
    }
    for (int i = 0; i < k->nagents; i++)
        ecl_buf_printf(b, "agent[%d]=%s\n", i, k->agents[i]);
    ecl_buf_printf(b, "customers=%.17g,%.17g,%.17g,%.17g,%.17g,%d,%d,%d,%.17g\n", k->guest_pct,
                   k->gender_unknown_prob, k->no_tier_prob, k->email_verified_prob, k->marketing_opt_in_prob,
                   k->min_age, k->max_age, k->guest_pool_size, k->guest_reuse_prob);
    ecl_buf_printf(b, "products=%d,%lld,%lld,%.17g,%.17g,%d,%d\n", k->num_products, (long long)k->min_price,
                   (long long)k->max_price, k->margin_lo, k->margin_hi, k->inv_lo, k->inv_hi);
    ecl_buf_printf(b, "ttfc=%lld,%lld\n", (long long)k->ttfc.lo, (long long)k->ttfc.hi);
    for (int c = 0; c <= k->nch; c++) {
        for (int t = 0; t <= k->ntier; t++)
            ecl_buf_printf(b, "visit[%d][%d]=%.17g,%.17g,%.17g,%.17g,tw%.17g\n", c, t, k->propensity[c][t],
                           k->delay[c][t].lo, k->delay[c][t].hi, k->delay[c][t].sigma, k->tier_weights[c][t]);
        for (int j = 0; j < k->categories.n; j++)
            ecl_buf_printf(b, "pref[%d][%d]=%.17g\n", c, j, k->cat_pref[c][j]);
        ecl_buf_printf(b, "chan[%d]=%.17g,%.17g\n", c, k->first_boost[c], k->return_rate_by_channel[c]);
    }
    for (int i = 0; i < k->nshocks; i++)
        ecl_buf_printf(b, "shock[%d]=%d:%.17g\n", i, k->shock_month[i], k->shock_factor[i]);
    for (int m = 1; m <= 12; m++)
        ecl_buf_printf(b, "seasonal[%d]=%.17g\n", m, k->seasonal[m]);
    ecl_buf_printf(b, "react=%.17g,%lld,%lld\n", k->react_prob, (long long)k->react_delay.lo,
                   (long long)k->react_delay.hi);
    for (int t = 0; t <= k->ntier; t++)
        ecl_buf_printf(b, "basket[%d]=%lld,%lld,%lld,%lld\n", t, (long long)k->items_by_tier[t].lo,
                       (long long)k->items_by_tier[t].hi, (long long)k->qty_by_tier[t].lo,
                       (long long)k->qty_by_tier[t].hi);
    ecl_buf_printf(b, "funnel=%.17g,%.17g\n", k->conversion_rate, k->emptied_prob);
    put_wl(b, "clv", &k->clv_buckets, 0);
    for (int i = 0; i < k->clv_buckets.n; i++)
        ecl_buf_printf(b, "clv_threshold[%d]=%lld\n", i, (long long)k->clv_threshold[i]);
    put_wl(b, "order_channels", &k->order_channels, 0);
    for (int c = 0; c < k->order_channels.n; c++) {
        ecl_buf_printf(b, "rule[%d]=%d,%d:", c, k->channel_rule[c], k->return_channel_pref[c]);
        for (int p = 0; p < k->payment_methods.n; p++)
            ecl_buf_putc(b, k->allowed_payment[c][p] ? '1' : '0');
        ecl_buf_putc(b, '\n');
    }
    put_wl(b, "speeds", &k->shipping_speeds, 0);
    for (int s = 0; s < k->shipping_speeds.n; s++)
        ecl_buf_printf(b, "ship[%d]=%lld,%lld\n", s, (long long)k->shipping_cost[s],
                       (long long)k->shipping_base_cost[s]);
    ecl_buf_printf(b, "ship_var=%.17g,%.17g,std%d,phone%d\n", k->cost_var_lo, k->cost_var_hi, k->standard_speed,
                   k->phone_channel);
    put_wl(b, "payments", &k->payment_methods, 0);
    for (int p = 0; p < k->payment_methods.n; p++)
        ecl_buf_printf(b, "fee[%d]=%.17g\n", p, k->fee_rate[p]);
    ecl_buf_printf(b, "discount=%.17g,%.17g,%.17g\n", k->discount_prob, k->discount_lo, k->discount_hi);
    ecl_buf_printf(b, "returns=%.17g,%.17g\n", k->return_rate, k->multi_return_prob);
    for (int i = 0; i < k->ntiming; i++)
        ecl_buf_printf(b, "timing[%d]=%d:%.17g\n", i, k->timing_days[i], k->timing_cum[i]);
    for (int i = 0; i < k->return_reasons.n; i++)
        ecl_buf_printf(b, "refund[%d]=%.17g,%.17g\n", i, k->refund_full[i], k->refund_partial[i]);
    for (int l = 0; l < EC_MESS_NLEVELS; l++) {
        const ec_mess_level *m = &k->mess[l];
        ecl_buf_printf(b, "mess[%d]=%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g\n", l,
                       m->whitespace, m->casing, m->nulls, m->spike_factor, m->reason_bias, m->late,
                       m->duplicate, m->typo, m->numeric, m->format);
        if (k->spike_months_set[l])
            for (int mo = 1; mo <= 12; mo++)
                ecl_buf_printf(b, "spike[%d][%d]=%.17g\n", l, mo, k->spike_month_factor[l][mo]);
        if (k->bias_set[l])
            for (int c = 0; c <= k->categories.n; c++)
                for (int r = 0; r < k->return_reasons.n; r++)
                    if (k->bias[l][c][r] > 0)
                        ecl_buf_printf(b, "bias[%d][%d][%d]=%.17g\n", l, c, r, k->bias[l][c][r]);
    }
    ecl_buf_printf(b, "late_max_days=%d\n", k->late_max_days);
    return ecl_buf_oom(b) ? ECL_ENOMEM : 0;
}
