/* config.c - an ecom YAML config (the original quick config's layout, plus `world` and `messiness`)
 * read over the shipped defaults into resolved knobs.
 *
 * Rules: a section that is present replaces that section of the defaults (entries it leaves out get
 * the original code's fallbacks, e.g. propensity 0.1); names in maps must be known (signup channels,
 * tiers, categories, reasons, order channels, speeds, payment methods, or "default"); numbers are
 * range-checked; unknown keys warn; keys of the original that we deliberately ignore warn with the
 * reason. Every error is "FILE:LINE:COL: key 'a.b': ..." (ECL_ECONFIG). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../log.h"
#include "../yamlcfg.h"
#include "ecom.h"

typedef struct ld {
    ec_knobs *k;
    ecl_err *e;
} ld;

#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_)                                                                                   \
            return rc_;                                                                            \
    } while (0)

static void ignored(const ecl_ynode *n, const char *why)
{
    char path[256];
    ecl_y_pathstr(n, path, sizeof path);
    ecl_log(ECL_LOG_WARN, NULL, "%s:%u:%u: key '%s' is ignored: %s", n->file, n->line, n->col, path, why);
}

static int copy_name(const ecl_ynode *n, char out[EC_NAME], ecl_err *e)
{
    const char *s;
    TRY(ecl_y_str(n, &s, e));
    if (strlen(s) >= EC_NAME || !*s)
        return ecl_y_error(n, e, "names must have 1 to %d characters", EC_NAME - 1);
    snprintf(out, EC_NAME, "%s", s);
    return 0;
}

/* A sequence of names into a list (weights 1). */
static int read_names(const ecl_ynode *n, ec_wlist *l, int max, ecl_err *e)
{
    TRY(ecl_y_expect_seq(n, e));
    if (ecl_y_len(n) < 1 || (int)ecl_y_len(n) > max)
        return ecl_y_error(n, e, "expected 1 to %d names, got %zu", max, ecl_y_len(n));
    l->n = 0;
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        TRY(copy_name(ecl_y_item(n, i), l->name[l->n], e));
        for (int j = 0; j < l->n; j++)
            if (strcmp(l->name[j], l->name[l->n]) == 0)
                return ecl_y_error(ecl_y_item(n, i), e, "duplicate name '%s'", l->name[j]);
        l->w[l->n++] = 1;
    }
    return 0;
}

/* A mapping name -> probability/weight that defines a list (order channels, speeds, ...). */
static int read_dist(const ecl_ynode *n, ec_wlist *l, int first, bool probs, ecl_err *e)
{
    TRY(ecl_y_expect_map(n, e));
    if (ecl_y_len(n) < 1 || (int)ecl_y_len(n) + first > EC_MAXV)
        return ecl_y_error(n, e, "expected 1 to %d entries, got %zu", EC_MAXV - first, ecl_y_len(n));
    l->n = first;
    double sum = 0;
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        TRY(copy_name(n->keys[i], l->name[l->n], e));
        TRY(probs ? ecl_y_prob(ecl_y_item(n, i), &l->w[l->n], e)
                  : ecl_y_double_range(ecl_y_item(n, i), 0, 1e9, &l->w[l->n], e));
        sum += l->w[l->n++];
    }
    if (sum <= 0)
        return ecl_y_error(n, e, "the weights must not all be zero");
    if (probs && fabs(sum - 1.0) > 0.011)
        return ecl_y_error(n, e, "the probabilities must sum to 1, got %.4g", sum);
    return 0;
}

static int find_name(const ec_wlist *l, int from, const char *name)
{
    for (int i = from; i < l->n; i++)
        if (strcasecmp(l->name[i], name) == 0)
            return i;
    return -1;
}

static int unknown_name(const ecl_ynode *key, const char *what, const ec_wlist *l, int from, bool dflt, ecl_err *e)
{
    char known[512] = "";
    for (int i = from; i < l->n; i++) {
        if (i > from)
            strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, l->name[i], sizeof known - strlen(known) - 1);
    }
    if (dflt)
        strncat(known, ", default", sizeof known - strlen(known) - 1);
    return ecl_y_error(key, e, "unknown %s '%s' (expected one of %s)", what, key->str, known);
}

/* Resolves key i of map against a list; "default" gives dflt_idx (or an error when dflt_idx < 0). */
static int resolve(const ecl_ynode *map, size_t i, const ec_wlist *l, int from, int dflt_idx, const char *what,
                   int *out, ecl_err *e)
{
    const ecl_ynode *key = map->keys[i];
    const char *name = key->str;
    if (strcmp(name, "default") == 0 && dflt_idx >= 0) {
        *out = dflt_idx;
        return 0;
    }
    *out = find_name(l, from, name);
    return *out < 0 ? unknown_name(key, what, l, from, dflt_idx >= 0, e) : 0;
}

static ec_wlist tier_list(const ec_knobs *k)
{
    ec_wlist l = {0};
    l.n = k->ntier + 1;
    for (int t = 1; t <= k->ntier; t++)
        memcpy(l.name[t], k->tiers[t], EC_NAME);
    return l;
}

static int money(const ecl_ynode *n, int64_t *cents, ecl_err *e)
{
    double v;
    TRY(ecl_y_double_range(n, 0, 1e12, &v, e));
    *cents = llround(v * 100.0);
    return 0;
}

static int range_pair(const ecl_ynode *n, double lo, double hi, double *a, double *b, ecl_err *e)
{
    TRY(ecl_y_expect_seq(n, e));
    if (ecl_y_len(n) != 2)
        return ecl_y_error(n, e, "expected [min, max]");
    TRY(ecl_y_double_range(ecl_y_item(n, 0), lo, hi, a, e));
    TRY(ecl_y_double_range(ecl_y_item(n, 1), lo, hi, b, e));
    if (*a > *b)
        return ecl_y_error(n, e, "min %g is above max %g", *a, *b);
    return 0;
}

static int int_pair(const ecl_ynode *n, int64_t lo, int64_t hi, ec_range *r, ecl_err *e)
{
    TRY(ecl_y_expect_seq(n, e));
    if (ecl_y_len(n) != 2)
        return ecl_y_error(n, e, "expected [min, max]");
    TRY(ecl_y_int_range(ecl_y_item(n, 0), lo, hi, &r->lo, e));
    TRY(ecl_y_int_range(ecl_y_item(n, 1), lo, hi, &r->hi, e));
    if (r->lo > r->hi)
        return ecl_y_error(n, e, "min %lld is above max %lld", (long long)r->lo, (long long)r->hi);
    return 0;
}

static void warn_keys(const ecl_ynode *map, const char *const *allowed)
{
    if (map && map->kind == ECL_Y_MAP)
        ecl_y_check_keys(map, allowed, NULL, NULL);
}

/* ---------------------------------------------------------------- sections */

static int load_world(ld *L, const ecl_ynode *w)
{
    ec_knobs *k = L->k;
    if (!w)
        return 0;
    TRY(ecl_y_expect_map(w, L->e));
    static const char *const keys[] = {"epoch", "seed", "messiness", "new_customers_per_day", "reengage_days_mean",
                                       "churn_probability", "max_gap_factor", NULL};
    warn_keys(w, keys);
    const ecl_ynode *n;
    if ((n = ecl_y_get(w, "epoch")) && !ecl_y_is_null(n))
        TRY(ecl_y_date(n, &k->epoch, L->e));
    if ((n = ecl_y_get(w, "seed")) && !ecl_y_is_null(n)) {
        int64_t s;
        TRY(ecl_y_int_range(n, 0, INT64_MAX, &s, L->e));
        k->seed = (uint64_t)s;
    }
    if ((n = ecl_y_get(w, "messiness")) && !ecl_y_is_null(n)) {
        static const char *const lv[] = {"none", "baseline", "light_mess", "medium_mess", "heavy_mess", NULL};
        int idx;
        TRY(ecl_y_enum(n, lv, &idx, L->e));
        k->mess_level = idx == 0 ? EC_MESS_NONE : idx - 1;
    }
    TRY(ecl_y_opt_double(w, "new_customers_per_day", k->new_customers_per_day, &k->new_customers_per_day, L->e));
    if (k->new_customers_per_day < 0 || k->new_customers_per_day > 1e6)
        return ecl_y_error(ecl_y_get(w, "new_customers_per_day"), L->e, "expected a number between 0 and 1000000");
    TRY(ecl_y_opt_double(w, "reengage_days_mean", k->reengage_days_mean, &k->reengage_days_mean, L->e));
    if (k->reengage_days_mean < 1 || k->reengage_days_mean > 1000)
        return ecl_y_error(ecl_y_get(w, "reengage_days_mean"), L->e, "expected a number between 1 and 1000");
    TRY(ecl_y_opt_prob(w, "churn_probability", k->churn_probability, &k->churn_probability, L->e));
    TRY(ecl_y_opt_double(w, "max_gap_factor", k->max_gap_factor, &k->max_gap_factor, L->e));
    if (k->max_gap_factor < 1 || k->max_gap_factor > 20)
        return ecl_y_error(ecl_y_get(w, "max_gap_factor"), L->e, "expected a number between 1 and 20");
    return 0;
}

static bool same_names(const ec_wlist *a, int afrom, const ec_wlist *b, int bfrom)
{
    if (a->n - afrom != b->n - bfrom)
        return false;
    for (int i = 0; i < a->n - afrom; i++)
        if (strcmp(a->name[afrom + i], b->name[bfrom + i]) != 0)
            return false;
    return true;
}

/* Channel- or tier-indexed knobs lose their meaning when the vocabulary changes: back to the
 * original code's fallbacks. */
static void reset_channel_knobs(ec_knobs *k)
{
    for (int c = 0; c < EC_MAXV; c++) {
        for (int t = 0; t <= EC_MAXTIER; t++) {
            k->propensity[c][t] = 0.1;
            k->delay[c][t] = (ec_delay){30, 180, 0.6};
            k->tier_weights[c][t] = 1;
        }
        for (int j = 0; j < EC_MAXCAT; j++)
            k->cat_pref[c][j] = 1;
        k->first_boost[c] = 1;
        k->return_rate_by_channel[c] = -1;
    }
}

static int load_vocab(ld *L, const ecl_ynode *v)
{
    ec_knobs *k = L->k;
    if (!v)
        return 0;
    TRY(ecl_y_expect_map(v, L->e));
    static const char *const keys[] = {"categories", "category_vocab", "genders", "signup_channels", "loyalty_tiers",
                                       "return_reasons", "agent_pool", "customer_status_options", "regions",
                                       "payment_methods", "customer_tiers", "shipping_speeds", "order_channels",
                                       "return_channels", "clv_buckets", NULL};
    warn_keys(v, keys);
    const ecl_ynode *n;
    if ((n = ecl_y_get(v, "signup_channels"))) {
        ec_wlist l = {0};
        TRY(read_names(n, &l, EC_MAXV - 1, L->e));
        ec_wlist nl = {0};
        nl.n = 1;
        for (int i = 0; i < l.n; i++) {
            memcpy(nl.name[nl.n], l.name[i], EC_NAME);
            nl.w[nl.n++] = 1; /* uniform unless parameters.signup_channel_distribution says otherwise */
        }
        if (!same_names(&nl, 1, &k->signup_channels, 1))
            reset_channel_knobs(k);
        else
            for (int i = 1; i < nl.n; i++)
                nl.w[i] = k->signup_channels.w[i];
        k->signup_channels = nl;
        k->nch = nl.n - 1;
    }
    if ((n = ecl_y_get(v, "loyalty_tiers"))) {
        ec_wlist l = {0};
        TRY(read_names(n, &l, EC_MAXTIER, L->e));
        ec_wlist old = tier_list(k);
        ec_wlist nl = {0};
        nl.n = l.n + 1;
        for (int i = 0; i < l.n; i++)
            memcpy(nl.name[i + 1], l.name[i], EC_NAME);
        if (!same_names(&nl, 1, &old, 1)) {
            reset_channel_knobs(k);
            for (int t = 0; t <= EC_MAXTIER; t++) {
                k->items_by_tier[t] = (ec_range){1, 8};
                k->qty_by_tier[t] = (ec_range){1, 3};
                k->tier_threshold[t] = t == 1 ? 0 : INT64_MAX;
                k->clv_of_tier[t] = 0;
            }
        }
        k->ntier = l.n;
        for (int t = 1; t <= l.n; t++)
            memcpy(k->tiers[t], l.name[t - 1], EC_NAME);
    }
    if ((n = ecl_y_get(v, "genders")))
        TRY(read_names(n, &k->genders, EC_MAXV, L->e));
    if ((n = ecl_y_get(v, "customer_status_options"))) {
        ec_wlist l = {0};
        TRY(read_names(n, &l, EC_MAXV, L->e));
        if (l.n != k->customer_status.n)
            for (int i = 0; i < l.n; i++)
                l.w[i] = 1;
        else
            for (int i = 0; i < l.n; i++)
                l.w[i] = k->customer_status.w[i];
        k->customer_status = l;
    }
    if ((n = ecl_y_get(v, "return_reasons"))) {
        ec_wlist l = {0};
        TRY(read_names(n, &l, EC_MAXV, L->e));
        if (!same_names(&l, 0, &k->return_reasons, 0)) {
            for (int i = 0; i < EC_MAXV; i++)
                k->refund_full[i] = .5, k->refund_partial[i] = .4;
            memset(k->bias, 0, sizeof k->bias);
            memset(k->bias_set, 0, sizeof k->bias_set);
        }
        k->return_reasons = l;
    }
    if ((n = ecl_y_get(v, "categories"))) {
        ec_wlist l = {0};
        TRY(read_names(n, &l, EC_MAXCAT, L->e));
        if (!same_names(&l, 0, &k->categories, 0)) {
            for (int c = 0; c < EC_MAXCAT; c++) {
                k->nadj[c] = k->nnoun[c] = 0;
                for (int ch = 0; ch < EC_MAXV; ch++)
                    k->cat_pref[ch][c] = 1;
            }
            memset(k->bias, 0, sizeof k->bias);
            memset(k->bias_set, 0, sizeof k->bias_set);
        }
        k->categories = l;
    }
    if ((n = ecl_y_get(v, "category_vocab"))) {
        TRY(ecl_y_expect_map(n, L->e));
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int c;
            TRY(resolve(n, i, &k->categories, 0, -1, "category", &c, L->e));
            const ecl_ynode *cv = ecl_y_item(n, i);
            TRY(ecl_y_expect_map(cv, L->e));
            static const char *const ck[] = {"adjectives", "nouns", NULL};
            warn_keys(cv, ck);
            const ecl_ynode *a = ecl_y_get(cv, "adjectives"), *no = ecl_y_get(cv, "nouns");
            ec_wlist la = {0}, ln = {0};
            if (a)
                TRY(read_names(a, &la, EC_MAXWORDS, L->e));
            if (no)
                TRY(read_names(no, &ln, EC_MAXWORDS, L->e));
            k->nadj[c] = la.n;
            k->nnoun[c] = ln.n;
            for (int j = 0; j < la.n; j++)
                memcpy(k->adjectives[c][j], la.name[j], EC_NAME);
            for (int j = 0; j < ln.n; j++)
                memcpy(k->nouns[c][j], ln.name[j], EC_NAME);
        }
    }
    if ((n = ecl_y_get(v, "agent_pool"))) {
        TRY(ecl_y_expect_map(n, L->e));
        static const char *const ak[] = {"enabled", "agents", NULL};
        warn_keys(n, ak);
        bool enabled = true;
        TRY(ecl_y_opt_bool(n, "enabled", true, &enabled, L->e));
        const ecl_ynode *ag = ecl_y_get(n, "agents");
        if (ag) {
            TRY(ecl_y_expect_seq(ag, L->e));
            if (ecl_y_len(ag) > 64)
                return ecl_y_error(ag, L->e, "at most 64 agents are supported");
            k->nagents = 0;
            for (size_t i = 0; i < ecl_y_len(ag); i++) {
                const ecl_ynode *it = ecl_y_item(ag, i);
                const ecl_ynode *id = ecl_y_is_map(it) ? ecl_y_need(it, "id", L->e) : it;
                if (!id)
                    return L->e->code;
                TRY(copy_name(id, k->agents[k->nagents++], L->e));
            }
        }
        if (!enabled)
            k->nagents = 0;
    }
    for (int c = 0; c < k->categories.n; c++)
        if (k->nadj[c] == 0 || k->nnoun[c] == 0) { /* no vocabulary: "<Category> Item" */
            memcpy(k->adjectives[c][0], k->categories.name[c], EC_NAME);
            snprintf(k->nouns[c][0], EC_NAME, "Item");
            k->nadj[c] = k->nnoun[c] = 1;
        }
    return 0;
}

static int load_lookups(ld *L, const ecl_ynode *lc)
{
    ec_knobs *k = L->k;
    if (!lc)
        return 0;
    TRY(ecl_y_expect_map(lc, L->e));
    static const char *const keys[] = {"product_catalog", "customers", NULL};
    warn_keys(lc, keys);
    const ecl_ynode *p = ecl_y_get(lc, "product_catalog");
    if (p) {
        TRY(ecl_y_expect_map(p, L->e));
        static const char *const pk[] = {"num_products", "min_price", "max_price", "cost_price_margin_range",
                                         "min_inventory_quantity", "max_inventory_quantity", "generator", NULL};
        warn_keys(p, pk);
        int64_t v;
        const ecl_ynode *n;
        if ((n = ecl_y_get(p, "num_products"))) {
            TRY(ecl_y_int_range(n, 1, 1000000, &v, L->e));
            k->num_products = (int)v;
        }
        if ((n = ecl_y_get(p, "min_price")))
            TRY(money(n, &k->min_price, L->e));
        if ((n = ecl_y_get(p, "max_price")))
            TRY(money(n, &k->max_price, L->e));
        if (k->min_price < 1 || k->min_price > k->max_price)
            return ecl_y_error(p, L->e, "min_price must be at least 0.01 and not above max_price");
        if ((n = ecl_y_get(p, "cost_price_margin_range")))
            TRY(range_pair(n, 0, 1, &k->margin_lo, &k->margin_hi, L->e));
        if ((n = ecl_y_get(p, "min_inventory_quantity"))) {
            TRY(ecl_y_int_range(n, 0, 1000000000, &v, L->e));
            k->inv_lo = (int)v;
        }
        if ((n = ecl_y_get(p, "max_inventory_quantity"))) {
            TRY(ecl_y_int_range(n, 0, 1000000000, &v, L->e));
            k->inv_hi = (int)v;
        }
        if (k->inv_lo > k->inv_hi)
            return ecl_y_error(p, L->e, "min_inventory_quantity is above max_inventory_quantity");
    }
    const ecl_ynode *c = ecl_y_get(lc, "customers");
    if (c) {
        TRY(ecl_y_expect_map(c, L->e));
        static const char *const ck[] = {"num_customers", "min_age", "max_age", "gender_unknown_prob",
                                         "guest_shopper_pct", "generator", NULL};
        warn_keys(c, ck);
        const ecl_ynode *n;
        if ((n = ecl_y_get(c, "num_customers")))
            ignored(n, "customers sign up over time; see world.new_customers_per_day");
        int64_t v;
        if ((n = ecl_y_get(c, "min_age"))) {
            TRY(ecl_y_int_range(n, 0, 150, &v, L->e));
            k->min_age = (int)v;
        }
        if ((n = ecl_y_get(c, "max_age"))) {
            TRY(ecl_y_int_range(n, 0, 150, &v, L->e));
            k->max_age = (int)v;
        }
        if (k->min_age > k->max_age)
            return ecl_y_error(c, L->e, "min_age is above max_age");
        TRY(ecl_y_opt_prob(c, "gender_unknown_prob", k->gender_unknown_prob, &k->gender_unknown_prob, L->e));
        TRY(ecl_y_opt_prob(c, "guest_shopper_pct", k->guest_pct, &k->guest_pct, L->e));
    }
    return 0;
}

/* name -> number map over a list, values into out[idx] (out must be pre-reset by the caller). */
static int named_numbers(ld *L, const ecl_ynode *map, const ec_wlist *l, int from, int dflt, const char *what,
                         double lo, double hi, double *out)
{
    TRY(ecl_y_expect_map(map, L->e));
    for (size_t i = 0; i < ecl_y_len(map); i++) {
        int idx;
        TRY(resolve(map, i, l, from, dflt, what, &idx, L->e));
        TRY(ecl_y_double_range(ecl_y_item(map, i), lo, hi, &out[idx], L->e));
    }
    return 0;
}

/* channel x tier tables with the original's fallbacks: channel map, else the "default" map; tier
 * entry, else that map's "default" entry; else the code default. */
typedef struct ctable {
    bool has_map[EC_MAXV];
    bool has[EC_MAXV][EC_MAXTIER + 1];
} ctable;

static int load_propensity_like(ld *L, const ecl_ynode *n, bool delays)
{
    ec_knobs *k = L->k;
    ec_wlist tl = tier_list(k);
    ctable ct;
    memset(&ct, 0, sizeof ct);
    double val[EC_MAXV][EC_MAXTIER + 1];
    ec_delay dl[EC_MAXV][EC_MAXTIER + 1];
    TRY(ecl_y_expect_map(n, L->e));
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        int c;
        TRY(resolve(n, i, &k->signup_channels, 1, 0, "signup channel", &c, L->e));
        const ecl_ynode *m = ecl_y_item(n, i);
        TRY(ecl_y_expect_map(m, L->e));
        ct.has_map[c] = true;
        for (size_t j = 0; j < ecl_y_len(m); j++) {
            int t;
            TRY(resolve(m, j, &tl, 1, 0, "loyalty tier", &t, L->e));
            const ecl_ynode *x = ecl_y_item(m, j);
            ct.has[c][t] = true;
            if (!delays) {
                TRY(ecl_y_double_range(x, 0, 1000, &val[c][t], L->e));
                continue;
            }
            TRY(ecl_y_expect_map(x, L->e));
            static const char *const dk[] = {"range", "sigma", NULL};
            warn_keys(x, dk);
            const ecl_ynode *r = ecl_y_need(x, "range", L->e);
            if (!r)
                return L->e->code;
            TRY(range_pair(r, 1, 1500, &dl[c][t].lo, &dl[c][t].hi, L->e));
            TRY(ecl_y_opt_double(x, "sigma", 0.6, &dl[c][t].sigma, L->e));
            if (dl[c][t].sigma < 0 || dl[c][t].sigma > 5)
                return ecl_y_error(ecl_y_get(x, "sigma"), L->e, "expected a number between 0 and 5");
        }
    }
    for (int c = 0; c <= k->nch; c++) {
        int mc = ct.has_map[c] ? c : ct.has_map[0] ? 0 : -1;
        for (int t = 0; t <= k->ntier; t++) {
            int mt = mc >= 0 && ct.has[mc][t] ? t : mc >= 0 && ct.has[mc][0] ? 0 : -1;
            if (delays)
                k->delay[c][t] = mt >= 0 ? dl[mc][mt] : (ec_delay){30, 180, 0.6};
            else
                k->propensity[c][t] = mt >= 0 ? val[mc][mt] : 0.1;
        }
    }
    return 0;
}

static int load_refunds(ld *L, const ecl_ynode *n)
{
    ec_knobs *k = L->k;
    TRY(ecl_y_expect_map(n, L->e));
    double full[EC_MAXV + 1], part[EC_MAXV + 1];
    bool has[EC_MAXV + 1] = {0};
    int dflt = k->return_reasons.n;
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        int r;
        TRY(resolve(n, i, &k->return_reasons, 0, dflt, "return reason", &r, L->e));
        const ecl_ynode *x = ecl_y_item(n, i);
        TRY(ecl_y_expect_map(x, L->e));
        static const char *const rk[] = {"full_return_prob", "partial_quantity_prob", NULL};
        warn_keys(x, rk);
        TRY(ecl_y_opt_prob(x, "full_return_prob", .5, &full[r], L->e));
        TRY(ecl_y_opt_prob(x, "partial_quantity_prob", .4, &part[r], L->e));
        has[r] = true;
    }
    for (int r = 0; r < k->return_reasons.n; r++) {
        int s = has[r] ? r : has[dflt] ? dflt : -1;
        k->refund_full[r] = s >= 0 ? full[s] : .5;
        k->refund_partial[r] = s >= 0 ? part[s] : .4;
    }
    return 0;
}

static int level_of_intensity(const ecl_ynode *key, int *lvl, ecl_err *e)
{
    if (strcmp(key->str, "low") == 0)
        *lvl = EC_MESS_LIGHT;
    else if (strcmp(key->str, "medium") == 0)
        *lvl = EC_MESS_MEDIUM;
    else if (strcmp(key->str, "high") == 0)
        *lvl = EC_MESS_HEAVY;
    else
        return ecl_y_error(key, e, "unknown intensity '%s' (expected low, medium or high)", key->str);
    return 0;
}

static int load_parameters(ld *L, const ecl_ynode *p)
{
    ec_knobs *k = L->k;
    ecl_err *e = L->e;
    if (!p)
        return 0;
    TRY(ecl_y_expect_map(p, e));
    static const char *const keys[] = {
        "order_days_back", "signup_years", "customer_id_start", "signup_channel_distribution",
        "loyalty_distribution_by_channel", "no_tier_probability", "customer_status_probs", "email_verified_prob",
        "marketing_opt_in_prob", "guest_contact_pool_size", "guest_contact_reuse_prob", "gender_unknown_prob",
        "time_to_first_cart_days_range", "repeat_purchase_settings", "retention_shocks", "seasonal_factors",
        "reactivation_settings", "cart_behavior_by_tier", "category_preference_by_signup_channel",
        "conversion_rate", "first_purchase_conversion_boost", "abandoned_cart_emptied_prob",
        "tier_spend_thresholds", "clv_spend_thresholds", "order_channel_distribution",
        "shipping_speed_distribution", "shipping_costs", "expedited_pct", "global_payment_method_distribution",
        "channel_rules", "financials", "discount_settings", "return_rate", "return_rate_by_signup_channel",
        "multi_return_probability", "return_timing_distribution", "refund_behavior_by_reason",
        "seasonal_spike_factors", "return_reason_bias_schemas", NULL};
    warn_keys(p, keys);
    const ecl_ynode *n;
    if ((n = ecl_y_get(p, "order_days_back")))
        ignored(n, "the range comes from --start-date/--end-date/--days");
    if ((n = ecl_y_get(p, "signup_years")))
        ignored(n, "customers sign up every day from world.epoch");
    if ((n = ecl_y_get(p, "customer_id_start")))
        ignored(n, "customer ids are sequential from CUST-00000001");
    if ((n = ecl_y_get(p, "gender_unknown_prob")))
        ignored(n, "the original never read it either; use lookup_config.customers.gender_unknown_prob");
    if ((n = ecl_y_get(p, "expedited_pct")))
        ignored(n, "is_expedited follows shipping_speed (every speed but the first is expedited)");

    if ((n = ecl_y_get(p, "signup_channel_distribution"))) {
        ec_wlist l = {0};
        TRY(read_dist(n, &l, 1, true, e));
        if (!same_names(&l, 1, &k->signup_channels, 1))
            reset_channel_knobs(k);
        k->signup_channels = l;
        k->nch = l.n - 1;
    }
    ec_wlist tl = tier_list(k);
    if ((n = ecl_y_get(p, "loyalty_distribution_by_channel"))) {
        TRY(ecl_y_expect_map(n, e));
        bool has[EC_MAXV] = {0};
        double w[EC_MAXV][EC_MAXTIER + 1];
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int c;
            TRY(resolve(n, i, &k->signup_channels, 1, 0, "signup channel", &c, e));
            const ecl_ynode *s = ecl_y_item(n, i);
            TRY(ecl_y_expect_seq(s, e));
            if ((int)ecl_y_len(s) != k->ntier)
                return ecl_y_error(s, e, "expected %d weights (one per loyalty tier), got %zu", k->ntier, ecl_y_len(s));
            for (int t = 0; t < k->ntier; t++)
                TRY(ecl_y_double_range(ecl_y_item(s, (size_t)t), 0, 1e9, &w[c][t + 1], e));
            has[c] = true;
        }
        for (int c = 0; c <= k->nch; c++)
            for (int t = 1; t <= k->ntier; t++)
                k->tier_weights[c][t] = has[c] ? w[c][t] : has[0] ? w[0][t] : 1;
    }
    TRY(ecl_y_opt_prob(p, "no_tier_probability", k->no_tier_prob, &k->no_tier_prob, e));
    if ((n = ecl_y_get(p, "customer_status_probs"))) {
        TRY(ecl_y_expect_seq(n, e));
        if ((int)ecl_y_len(n) != k->customer_status.n)
            return ecl_y_error(n, e, "expected %d probabilities (one per vocab.customer_status_options)",
                               k->customer_status.n);
        for (int i = 0; i < k->customer_status.n; i++)
            TRY(ecl_y_prob(ecl_y_item(n, (size_t)i), &k->customer_status.w[i], e));
    }
    TRY(ecl_y_opt_prob(p, "email_verified_prob", k->email_verified_prob, &k->email_verified_prob, e));
    TRY(ecl_y_opt_prob(p, "marketing_opt_in_prob", k->marketing_opt_in_prob, &k->marketing_opt_in_prob, e));
    int64_t iv;
    TRY(ecl_y_opt_int(p, "guest_contact_pool_size", k->guest_pool_size, &iv, e));
    if (iv < 0 || iv > 1000000)
        return ecl_y_error(ecl_y_get(p, "guest_contact_pool_size"), e, "expected a whole number between 0 and 1000000");
    k->guest_pool_size = (int)iv;
    TRY(ecl_y_opt_prob(p, "guest_contact_reuse_prob", k->guest_reuse_prob, &k->guest_reuse_prob, e));
    if ((n = ecl_y_get(p, "time_to_first_cart_days_range")))
        TRY(int_pair(n, 0, 365, &k->ttfc, e));

    if ((n = ecl_y_get(p, "repeat_purchase_settings"))) {
        TRY(ecl_y_expect_map(n, e));
        static const char *const rk[] = {"propensity_by_channel_and_tier", "time_delay_by_channel_and_tier", NULL};
        warn_keys(n, rk);
        const ecl_ynode *x;
        if ((x = ecl_y_get(n, "propensity_by_channel_and_tier")))
            TRY(load_propensity_like(L, x, false));
        if ((x = ecl_y_get(n, "time_delay_by_channel_and_tier")))
            TRY(load_propensity_like(L, x, true));
    }
    if ((n = ecl_y_get(p, "retention_shocks"))) {
        TRY(ecl_y_expect_map(n, e));
        if (ecl_y_len(n) > 32)
            return ecl_y_error(n, e, "at most 32 retention shocks are supported");
        k->nshocks = 0;
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            const ecl_ynode *key = n->keys[i];
            int y, mo;
            char tail;
            if (sscanf(key->str, "%4d-%2d%c", &y, &mo, &tail) != 2 || mo < 1 || mo > 12 || strlen(key->str) != 7)
                return ecl_y_error(key, e, "expected a month 'YYYY-MM', got '%s'", key->str);
            k->shock_month[k->nshocks] = y * 12 + mo - 1;
            TRY(ecl_y_double_range(ecl_y_item(n, i), 0, 100, &k->shock_factor[k->nshocks], e));
            k->nshocks++;
        }
    }
    if ((n = ecl_y_get(p, "seasonal_factors"))) {
        TRY(ecl_y_expect_map(n, e));
        for (int m = 1; m <= 12; m++)
            k->seasonal[m] = 1.0;
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            const ecl_ynode *key = n->keys[i];
            char *end;
            long mo = strtol(key->str, &end, 10);
            if (*end || end == key->str || mo < 1 || mo > 12)
                return ecl_y_error(key, e, "expected a month number 1..12, got '%s'", key->str);
            TRY(ecl_y_double_range(ecl_y_item(n, i), 0, 20, &k->seasonal[mo], e));
        }
    }
    if ((n = ecl_y_get(p, "reactivation_settings"))) {
        TRY(ecl_y_expect_map(n, e));
        static const char *const rk[] = {"probability", "delay_days_range", NULL};
        warn_keys(n, rk);
        TRY(ecl_y_opt_prob(n, "probability", 0, &k->react_prob, e));
        const ecl_ynode *x = ecl_y_get(n, "delay_days_range");
        k->react_delay = (ec_range){180, 365};
        if (x)
            TRY(int_pair(x, 1, 1500, &k->react_delay, e));
    }
    if ((n = ecl_y_get(p, "cart_behavior_by_tier"))) {
        TRY(ecl_y_expect_map(n, e));
        bool has[EC_MAXTIER + 1] = {0};
        ec_range it[EC_MAXTIER + 1], q[EC_MAXTIER + 1];
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int t;
            TRY(resolve(n, i, &tl, 1, 0, "loyalty tier", &t, e));
            const ecl_ynode *x = ecl_y_item(n, i);
            TRY(ecl_y_expect_map(x, e));
            static const char *const bk[] = {"item_count_range", "quantity_range", NULL};
            warn_keys(x, bk);
            it[t] = (ec_range){1, 8};
            q[t] = (ec_range){1, 3};
            const ecl_ynode *r;
            if ((r = ecl_y_get(x, "item_count_range")))
                TRY(int_pair(r, 1, 64, &it[t], e));
            if ((r = ecl_y_get(x, "quantity_range")))
                TRY(int_pair(r, 1, 1000, &q[t], e));
            has[t] = true;
        }
        for (int t = 0; t <= k->ntier; t++) {
            int s = has[t] ? t : has[0] ? 0 : -1;
            k->items_by_tier[t] = s >= 0 ? it[s] : (ec_range){1, 8};
            k->qty_by_tier[t] = s >= 0 ? q[s] : (ec_range){1, 3};
        }
    }
    if ((n = ecl_y_get(p, "category_preference_by_signup_channel"))) {
        TRY(ecl_y_expect_map(n, e));
        for (int c = 0; c < EC_MAXV; c++)
            for (int j = 0; j < EC_MAXCAT; j++)
                k->cat_pref[c][j] = 1;
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int c;
            TRY(resolve(n, i, &k->signup_channels, 1, 0, "signup channel", &c, e));
            TRY(named_numbers(L, ecl_y_item(n, i), &k->categories, 0, -1, "category", 0, 1e6, k->cat_pref[c]));
        }
    }
    TRY(ecl_y_opt_prob(p, "conversion_rate", k->conversion_rate, &k->conversion_rate, e));
    if ((n = ecl_y_get(p, "first_purchase_conversion_boost"))) {
        for (int c = 0; c < EC_MAXV; c++)
            k->first_boost[c] = 1;
        TRY(named_numbers(L, n, &k->signup_channels, 1, 0, "signup channel", 0, 100, k->first_boost));
    }
    TRY(ecl_y_opt_prob(p, "abandoned_cart_emptied_prob", k->emptied_prob, &k->emptied_prob, e));
    if ((n = ecl_y_get(p, "tier_spend_thresholds"))) {
        TRY(ecl_y_expect_map(n, e));
        for (int t = 0; t <= EC_MAXTIER; t++)
            k->tier_threshold[t] = INT64_MAX; /* a tier without a threshold is never earned */
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int t;
            TRY(resolve(n, i, &tl, 1, -1, "loyalty tier", &t, e));
            TRY(money(ecl_y_item(n, i), &k->tier_threshold[t], e));
        }
    }
    if ((n = ecl_y_get(p, "clv_spend_thresholds"))) {
        ec_wlist l = {0};
        TRY(ecl_y_expect_map(n, e));
        if (ecl_y_len(n) < 1 || ecl_y_len(n) > EC_MAXV)
            return ecl_y_error(n, e, "expected 1 to %d buckets", EC_MAXV);
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            TRY(copy_name(n->keys[i], l.name[l.n], e));
            TRY(money(ecl_y_item(n, i), &k->clv_threshold[l.n], e));
            l.w[l.n++] = 1;
        }
        /* canonical order: lowest threshold first (the file's order means nothing) */
        for (int i = 1; i < l.n; i++)
            for (int j = i; j > 0 && k->clv_threshold[j - 1] > k->clv_threshold[j]; j--) {
                int64_t t = k->clv_threshold[j];
                k->clv_threshold[j] = k->clv_threshold[j - 1];
                k->clv_threshold[j - 1] = t;
                ec_name nm;
                memcpy(nm, l.name[j], EC_NAME);
                memcpy(l.name[j], l.name[j - 1], EC_NAME);
                memcpy(l.name[j - 1], nm, EC_NAME);
            }
        if (!same_names(&l, 0, &k->clv_buckets, 0))
            for (int t = 0; t <= EC_MAXTIER; t++) /* clv_map names the buckets: lowest by default */
                k->clv_of_tier[t] = 0;
        k->clv_buckets = l;
        int lowest = 0;
        for (int i = 0; i < l.n; i++)
            if (k->clv_threshold[i] < k->clv_threshold[lowest])
                lowest = i;
        for (int t = 0; t <= EC_MAXTIER; t++)
            if (k->clv_of_tier[t] >= l.n)
                k->clv_of_tier[t] = lowest;
    }
    if ((n = ecl_y_get(p, "order_channel_distribution"))) {
        ec_wlist l = {0};
        TRY(read_dist(n, &l, 0, true, e));
        if (!same_names(&l, 0, &k->order_channels, 0))
            for (int c = 0; c < EC_MAXV; c++) {
                k->channel_rule[c] = false;
                k->return_channel_pref[c] = -1;
            }
        k->order_channels = l;
        k->phone_channel = find_name(&l, 0, "Phone");
    }
    if ((n = ecl_y_get(p, "shipping_speed_distribution"))) {
        ec_wlist l = {0};
        TRY(read_dist(n, &l, 0, true, e));
        if (!same_names(&l, 0, &k->shipping_speeds, 0))
            for (int s = 0; s < EC_MAXV; s++)
                k->shipping_cost[s] = 500, k->shipping_base_cost[s] = -1;
        k->shipping_speeds = l;
        k->standard_speed = 0; /* the first speed is the non-expedited one */
    }
    if ((n = ecl_y_get(p, "shipping_costs"))) {
        TRY(ecl_y_expect_map(n, e));
        for (int s = 0; s < EC_MAXV; s++)
            k->shipping_cost[s] = 500;
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int s;
            TRY(resolve(n, i, &k->shipping_speeds, 0, -1, "shipping speed", &s, e));
            TRY(money(ecl_y_item(n, i), &k->shipping_cost[s], e));
        }
    }
    if ((n = ecl_y_get(p, "global_payment_method_distribution"))) {
        ec_wlist l = {0};
        TRY(read_dist(n, &l, 0, true, e));
        if (!same_names(&l, 0, &k->payment_methods, 0)) {
            for (int i = 0; i < EC_MAXV; i++)
                k->fee_rate[i] = 0;
            for (int c = 0; c < EC_MAXV; c++)
                k->channel_rule[c] = false;
        }
        k->payment_methods = l;
    }
    if ((n = ecl_y_get(p, "financials"))) {
        TRY(ecl_y_expect_map(n, e));
        static const char *const fk[] = {"shipping_business_costs", "payment_fee_rates", NULL};
        warn_keys(n, fk);
        const ecl_ynode *x;
        if ((x = ecl_y_get(n, "shipping_business_costs"))) {
            TRY(ecl_y_expect_map(x, e));
            static const char *const sk[] = {"base_costs", "cost_variance_pct", NULL};
            warn_keys(x, sk);
            const ecl_ynode *b = ecl_y_get(x, "base_costs");
            for (int s = 0; s < EC_MAXV; s++)
                k->shipping_base_cost[s] = -1;
            if (b) {
                TRY(ecl_y_expect_map(b, e));
                for (size_t i = 0; i < ecl_y_len(b); i++) {
                    int s;
                    TRY(resolve(b, i, &k->shipping_speeds, 0, -1, "shipping speed", &s, e));
                    TRY(money(ecl_y_item(b, i), &k->shipping_base_cost[s], e));
                }
            }
            k->cost_var_lo = k->cost_var_hi = 0;
            const ecl_ynode *v = ecl_y_get(x, "cost_variance_pct");
            if (v)
                TRY(range_pair(v, -1, 10, &k->cost_var_lo, &k->cost_var_hi, e));
        }
        if ((x = ecl_y_get(n, "payment_fee_rates"))) {
            for (int i = 0; i < EC_MAXV; i++)
                k->fee_rate[i] = 0;
            TRY(named_numbers(L, x, &k->payment_methods, 0, -1, "payment method", 0, 1, k->fee_rate));
        }
    }
    /* a speed without a business cost costs the business what the customer pays (original fallback) */
    for (int s = 0; s < k->shipping_speeds.n; s++)
        if (k->shipping_base_cost[s] < 0)
            k->shipping_base_cost[s] = k->shipping_cost[s];
    if ((n = ecl_y_get(p, "discount_settings"))) {
        TRY(ecl_y_expect_map(n, e));
        static const char *const dk[] = {"probability", "range_pct", NULL};
        warn_keys(n, dk);
        TRY(ecl_y_opt_prob(n, "probability", 0, &k->discount_prob, e));
        k->discount_lo = k->discount_hi = 0;
        const ecl_ynode *r = ecl_y_get(n, "range_pct");
        if (r)
            TRY(range_pair(r, 0, 1, &k->discount_lo, &k->discount_hi, e));
    }
    TRY(ecl_y_opt_prob(p, "return_rate", k->return_rate, &k->return_rate, e));
    if ((n = ecl_y_get(p, "return_rate_by_signup_channel"))) {
        for (int c = 0; c < EC_MAXV; c++)
            k->return_rate_by_channel[c] = -1;
        TRY(named_numbers(L, n, &k->signup_channels, 1, 0, "signup channel", 0, 1, k->return_rate_by_channel));
    }
    TRY(ecl_y_opt_prob(p, "multi_return_probability", k->multi_return_prob, &k->multi_return_prob, e));
    if ((n = ecl_y_get(p, "return_timing_distribution"))) {
        TRY(ecl_y_expect_seq(n, e));
        if (ecl_y_len(n) < 1 || ecl_y_len(n) > 16)
            return ecl_y_error(n, e, "expected 1 to 16 [days, cumulative probability] buckets");
        k->ntiming = 0;
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            const ecl_ynode *b = ecl_y_item(n, i);
            TRY(ecl_y_expect_seq(b, e));
            if (ecl_y_len(b) != 2)
                return ecl_y_error(b, e, "expected [days, cumulative probability]");
            TRY(ecl_y_int_range(ecl_y_item(b, 0), 1, 1500, &iv, e));
            k->timing_days[k->ntiming] = (int)iv;
            TRY(ecl_y_prob(ecl_y_item(b, 1), &k->timing_cum[k->ntiming], e));
            if (k->ntiming > 0 && (k->timing_days[k->ntiming] <= k->timing_days[k->ntiming - 1] ||
                                   k->timing_cum[k->ntiming] < k->timing_cum[k->ntiming - 1]))
                return ecl_y_error(b, e, "buckets must increase in days and cumulative probability");
            k->ntiming++;
        }
        if (fabs(k->timing_cum[k->ntiming - 1] - 1.0) > 1e-9)
            return ecl_y_error(n, e, "the last bucket's cumulative probability must be 1.0");
    }
    if ((n = ecl_y_get(p, "refund_behavior_by_reason")))
        TRY(load_refunds(L, n));
    if ((n = ecl_y_get(p, "seasonal_spike_factors"))) {
        TRY(ecl_y_expect_map(n, e));
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int lvl;
            TRY(level_of_intensity(n->keys[i], &lvl, e));
            const ecl_ynode *mm = ecl_y_item(n, i);
            TRY(ecl_y_expect_map(mm, e));
            k->spike_months_set[lvl] = true;
            for (int mo = 1; mo <= 12; mo++)
                k->spike_month_factor[lvl][mo] = 1.0;
            for (size_t j = 0; j < ecl_y_len(mm); j++) {
                char *end;
                long mo = strtol(mm->keys[j]->str, &end, 10);
                if (*end || mo < 1 || mo > 12)
                    return ecl_y_error(mm->keys[j], e, "expected a month number 1..12, got '%s'", mm->keys[j]->str);
                TRY(ecl_y_double_range(ecl_y_item(mm, j), 0, 100, &k->spike_month_factor[lvl][mo], e));
            }
        }
    }
    if ((n = ecl_y_get(p, "return_reason_bias_schemas"))) {
        TRY(ecl_y_expect_map(n, e));
        memset(k->bias, 0, sizeof k->bias);
        memset(k->bias_set, 0, sizeof k->bias_set);
        for (size_t i = 0; i < ecl_y_len(n); i++) {
            int lvl;
            TRY(level_of_intensity(n->keys[i], &lvl, e));
            const ecl_ynode *cm = ecl_y_item(n, i);
            TRY(ecl_y_expect_map(cm, e));
            k->bias_set[lvl] = true;
            for (size_t j = 0; j < ecl_y_len(cm); j++) {
                int c;
                TRY(resolve(cm, j, &k->categories, 0, k->categories.n, "category", &c, e));
                TRY(named_numbers(L, ecl_y_item(cm, j), &k->return_reasons, 0, -1, "return reason", 0, 1e6,
                                  k->bias[lvl][c]));
            }
        }
    }
    return 0;
}

static int load_channel_rules(ld *L, const ecl_ynode *n)
{
    ec_knobs *k = L->k;
    if (!n)
        return 0;
    TRY(ecl_y_expect_map(n, L->e));
    for (int c = 0; c < EC_MAXV; c++) {
        k->channel_rule[c] = false;
        k->return_channel_pref[c] = -1;
    }
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        int c;
        TRY(resolve(n, i, &k->order_channels, 0, -1, "order channel", &c, L->e));
        const ecl_ynode *r = ecl_y_item(n, i);
        TRY(ecl_y_expect_map(r, L->e));
        static const char *const rk[] = {"allowed_payment_methods", "return_channel_preference", NULL};
        warn_keys(r, rk);
        const ecl_ynode *a = ecl_y_get(r, "allowed_payment_methods");
        if (a) {
            TRY(ecl_y_expect_seq(a, L->e));
            k->channel_rule[c] = true;
            memset(k->allowed_payment[c], 0, sizeof k->allowed_payment[c]);
            for (size_t j = 0; j < ecl_y_len(a); j++) {
                const char *name;
                TRY(ecl_y_str(ecl_y_item(a, j), &name, L->e));
                int p = find_name(&k->payment_methods, 0, name);
                if (p < 0)
                    return ecl_y_error(ecl_y_item(a, j), L->e,
                                       "unknown payment method '%s' (not in global_payment_method_distribution)", name);
                k->allowed_payment[c][p] = true;
            }
        }
        const ecl_ynode *pref = ecl_y_get(r, "return_channel_preference");
        if (pref && !ecl_y_is_null(pref)) {
            const char *name;
            TRY(ecl_y_str(pref, &name, L->e));
            int rc = find_name(&k->order_channels, 0, name);
            if (rc < 0)
                return ecl_y_error(pref, L->e, "unknown order channel '%s'", name);
            k->return_channel_pref[c] = rc;
        }
    }
    return 0;
}

static int load_clv_map(ld *L, const ecl_ynode *n)
{
    ec_knobs *k = L->k;
    if (!n)
        return 0;
    TRY(ecl_y_expect_map(n, L->e));
    ec_wlist tl = tier_list(k);
    for (size_t i = 0; i < ecl_y_len(n); i++) {
        const ecl_ynode *key = n->keys[i];
        int t;
        if (strcmp(key->str, "None") == 0 || strcmp(key->str, "null") == 0 || key->str[0] == 0)
            t = 0;
        else
            TRY(resolve(n, i, &tl, 1, -1, "loyalty tier", &t, L->e));
        const char *name;
        TRY(ecl_y_str(ecl_y_item(n, i), &name, L->e));
        int b = find_name(&k->clv_buckets, 0, name);
        if (b < 0)
            return ecl_y_error(ecl_y_item(n, i), L->e, "unknown clv bucket '%s' (not in clv_spend_thresholds)", name);
        k->clv_of_tier[t] = b;
    }
    return 0;
}

static int load_messiness(ld *L, const ecl_ynode *n)
{
    ec_knobs *k = L->k;
    if (!n)
        return 0;
    TRY(ecl_y_expect_map(n, L->e));
    static const char *const keys[] = {"late_max_days", "light_mess", "medium_mess", "heavy_mess", NULL};
    warn_keys(n, keys);
    int64_t v;
    TRY(ecl_y_opt_int(n, "late_max_days", k->late_max_days, &v, L->e));
    if (v < 1 || v > 30)
        return ecl_y_error(ecl_y_get(n, "late_max_days"), L->e, "expected a whole number between 1 and 30");
    k->late_max_days = (int)v;
    static const char *const lv[] = {"light_mess", "medium_mess", "heavy_mess"};
    for (int i = 0; i < 3; i++) {
        const ecl_ynode *m = ecl_y_get(n, lv[i]);
        if (!m)
            continue;
        TRY(ecl_y_expect_map(m, L->e));
        static const char *const mk[] = {"whitespace", "casing", "nulls", "sales_spike_factor", "reason_bias",
                                         "late_arrival", "duplicate", "typo", "numeric_corruption",
                                         "format_variant", NULL};
        warn_keys(m, mk);
        ec_mess_level *x = &k->mess[EC_MESS_LIGHT + i];
        TRY(ecl_y_opt_prob(m, "whitespace", x->whitespace, &x->whitespace, L->e));
        TRY(ecl_y_opt_prob(m, "casing", x->casing, &x->casing, L->e));
        TRY(ecl_y_opt_prob(m, "nulls", x->nulls, &x->nulls, L->e));
        TRY(ecl_y_opt_double(m, "sales_spike_factor", x->spike_factor, &x->spike_factor, L->e));
        if (x->spike_factor < 0 || x->spike_factor > 100)
            return ecl_y_error(ecl_y_get(m, "sales_spike_factor"), L->e, "expected a number between 0 and 100");
        TRY(ecl_y_opt_prob(m, "reason_bias", x->reason_bias, &x->reason_bias, L->e));
        TRY(ecl_y_opt_prob(m, "late_arrival", x->late, &x->late, L->e));
        TRY(ecl_y_opt_prob(m, "duplicate", x->duplicate, &x->duplicate, L->e));
        TRY(ecl_y_opt_prob(m, "typo", x->typo, &x->typo, L->e));
        TRY(ecl_y_opt_prob(m, "numeric_corruption", x->numeric, &x->numeric, L->e));
        TRY(ecl_y_opt_prob(m, "format_variant", x->format, &x->format, L->e));
    }
    return 0;
}

static int load_root(ec_knobs *k, const ecl_ynode *root, ecl_err *e)
{
    ld L = {k, e};
    if (!root || ecl_y_is_null(root))
        return 0;
    TRY(ecl_y_expect_map(root, e));
    static const char *const keys[] = {"world", "faker_seed", "lookup_config", "vocab", "parameters",
                                       "channel_rules", "clv_map", "messiness", "tables", "row_generators",
                                       "output_dir", NULL};
    warn_keys(root, keys);
    const ecl_ynode *n;
    if ((n = ecl_y_get(root, "tables")))
        ignored(n, "the ecom tables and columns are fixed (docs/ecom-model.md); use --tables to choose");
    if ((n = ecl_y_get(root, "row_generators")))
        ignored(n, "rows come from the built-in world model");
    if ((n = ecl_y_get(root, "output_dir")))
        ignored(n, "use --output-dir or --artifact-root");
    if ((n = ecl_y_get(root, "faker_seed")) && !ecl_y_is_null(n)) {
        int64_t s;
        TRY(ecl_y_int_range(n, 0, INT64_MAX, &s, e));
        k->seed = (uint64_t)s;
    }
    TRY(load_world(&L, ecl_y_get(root, "world")));
    TRY(load_vocab(&L, ecl_y_get(root, "vocab")));
    TRY(load_lookups(&L, ecl_y_get(root, "lookup_config")));
    TRY(load_parameters(&L, ecl_y_get(root, "parameters")));
    /* the original read only parameters.channel_rules; the quick config has them at the top level */
    TRY(load_channel_rules(&L, ecl_y_get(root, "channel_rules")));
    TRY(load_channel_rules(&L, ecl_y_path(root, "parameters.channel_rules")));
    TRY(load_clv_map(&L, ecl_y_get(root, "clv_map")));
    TRY(load_messiness(&L, ecl_y_get(root, "messiness")));
    k->phone_channel = find_name(&k->order_channels, 0, "Phone");
    return 0;
}

int ec_knobs_load(ec_knobs *k, const char *path, ecl_err *e)
{
    if (!path)
        return 0;
    ecl_ydoc *doc;
    TRY(ecl_ydoc_load_file(&doc, path, e));
    int rc = load_root(k, ecl_ydoc_root(doc), e);
    ecl_ydoc_free(doc);
    return rc;
}

int ec_knobs_load_mem(ec_knobs *k, const char *name, const void *data, size_t n, ecl_err *e)
{
    ecl_ydoc *doc;
    TRY(ecl_ydoc_load_mem(&doc, name, data, n, e));
    int rc = load_root(k, ecl_ydoc_root(doc), e);
    ecl_ydoc_free(doc);
    return rc;
}
