/* world.c - the e-commerce world as a day-by-day simulation with per-customer state.
 *
 * Customers sign up every day (a Poisson number; 'guest_pct' of them are guests who visit on the
 * day they appear). A customer's life is a series of engagement episodes: an episode opens with a
 * visit, has Poisson(propensity[channel][tier]) repeat visits spaced by lognormal gaps, and may
 * schedule one reactivation visit; after the episode the customer churns with 'churn_probability'
 * or comes back after an exponential pause ('reengage_days_mean'). Every visit is a cart; seasonal
 * months add extra carts for the same customer on the same day; carts convert (first-purchase
 * boost until the customer's first order), orders schedule their returns, possibly months later.
 *
 * The state (customers, a calendar of future visits, pending returns and late rows) is a pure
 * function of (config, seed, day): every random draw is keyed by (seed, purpose, entity, occurrence)
 * and the events of a day are processed in a canonical order (by customer, then kind), so a day's
 * rows never depend on where a cursor started. Seeking (emit = false) only draws what changes state
 * or ID counters: no strings, no rows, no messiness. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../hash.h"
#include "../version.h"
#include "names.h"
#include "world.h"

#define RING 4096 /* days of calendar; every scheduling horizon is validated to stay below it */
#define US_PER_DAY 86400000000LL
#define MAX_ITEMS 64

enum { EV_START = 0, EV_REPEAT = 1, EV_REACT = 2 };
enum { CF_GUEST = 1, CF_ORDERED = 2, CF_CHURNED = 4 };

typedef struct ec_cust { /* kept small: the simulation is bound by memory traffic on this array */
    uint32_t spend;      /* cents, gross, all orders so far (saturating at ~$42.9M) */
    uint32_t seq;        /* CUST-/GUEST- number */
    uint32_t ncarts;     /* carts so far: the occurrence number of the next cart */
    uint16_t visits_left;
    uint8_t flags, ch, tier, shock;
} ec_cust;

typedef struct vec32 {
    uint32_t *v;
    uint32_t n, cap;
} vec32;

typedef struct ec_pret { /* a scheduled return event */
    uint32_t cust, occ, order_seq, cart_seq;
    int32_t order_day;
    uint8_t ret_no;
} ec_pret;

typedef struct ec_order_ref { /* enough to rebuild an order row */
    uint32_t cust, occ, order_seq, cart_seq;
    int32_t day; /* the cart's (and order's) day */
    int64_t spend_after;
    uint8_t react;
} ec_order_ref;

typedef struct vecany {
    void *v;
    size_t n, cap;
} vecany;

typedef struct ec_cursor {
    ecl_cursor base;
    const ec_model *M;
    ec_cust *cust;
    size_t ncust, capcust;
    uint32_t next_cust_seq, next_guest_seq, next_cart, next_order, next_return;
    int64_t next_cart_item, next_return_item;
    vec32 cal[RING];
    vecany rets[RING];  /* ec_pret */
    vecany late[RING];  /* ec_order_ref */
    vec32 today;
    uint32_t *sortbuf;
    size_t sortcap;
} ec_cursor;

typedef struct ec_items {
    int n;
    int prod[MAX_ITEMS];
    int qty[MAX_ITEMS];
    int64_t added[MAX_ITEMS];
    int64_t created;
    int64_t total;
} ec_items;

typedef struct ec_line {
    int prod, qty;
    int64_t price, disc, cost;
} ec_line;

/* ------------------------------------------------------------------ small containers */

static int vec32_push(vec32 *v, uint32_t x)
{
    if (v->n == v->cap) {
        uint32_t nc = v->cap ? v->cap * 2 : 16;
        uint32_t *p = realloc(v->v, nc * sizeof *p);
        if (!p)
            return ECL_ENOMEM;
        v->v = p;
        v->cap = nc;
    }
    v->v[v->n++] = x;
    return 0;
}

static int vecany_push(vecany *v, const void *x, size_t sz)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 8;
        void *p = realloc(v->v, nc * sz);
        if (!p)
            return ECL_ENOMEM;
        v->v = p;
        v->cap = nc;
    }
    memcpy((char *)v->v + v->n * sz, x, sz);
    v->n++;
    return 0;
}

/* ------------------------------------------------------------------ model: tables and catalogue */

typedef struct coldef {
    const char *name;
    ecl_type type;
    bool nullable;
} coldef;

#define S ECL_T_STRING
#define D ECL_T_DATE
#define TS ECL_T_TIMESTAMP
#define M ECL_T_DECIMAL
#define I32 ECL_T_INT32
#define I64 ECL_T_INT64
#define B ECL_T_BOOL

/* Every column is nullable: messiness may null any of them in a future level, and a writer needs
 * one stable schema whatever the level. */
static const coldef k_cust[] = {{"customer_id", S, 1}, {"first_name", S, 1}, {"last_name", S, 1},
                                {"email", S, 1}, {"phone_number", S, 1}, {"signup_date", D, 1},
                                {"gender", S, 1}, {"age", I32, 1}, {"is_guest", B, 1},
                                {"customer_status", S, 1}, {"signup_channel", S, 1}, {"loyalty_tier", S, 1},
                                {"initial_loyalty_tier", S, 1}, {"email_verified", B, 1},
                                {"marketing_opt_in", B, 1}, {"mailing_address", S, 1},
                                {"billing_address", S, 1}, {"loyalty_enrollment_date", D, 1},
                                {"clv_bucket", S, 1}, {NULL, 0, 0}};
static const coldef k_prod[] = {{"product_id", I64, 1}, {"product_name", S, 1}, {"category", S, 1},
                                {"unit_price", M, 1}, {"cost_price", M, 1}, {"inventory_quantity", I32, 1},
                                {NULL, 0, 0}};
static const coldef k_cart[] = {{"cart_id", S, 1}, {"customer_id", S, 1}, {"created_at", TS, 1},
                                {"updated_at", TS, 1}, {"cart_total", M, 1}, {"status", S, 1}, {NULL, 0, 0}};
static const coldef k_citem[] = {{"cart_item_id", I64, 1}, {"cart_id", S, 1}, {"product_id", I64, 1},
                                 {"product_name", S, 1}, {"category", S, 1}, {"added_at", TS, 1},
                                 {"quantity", I32, 1}, {"unit_price", M, 1}, {NULL, 0, 0}};
static const coldef k_ord[] = {{"order_id", S, 1}, {"total_items", I32, 1}, {"order_date", TS, 1},
                               {"customer_id", S, 1}, {"email", S, 1}, {"order_channel", S, 1},
                               {"is_expedited", B, 1}, {"customer_tier", S, 1}, {"gross_total", M, 1},
                               {"net_total", M, 1}, {"total_discount_amount", M, 1}, {"payment_method", S, 1},
                               {"shipping_speed", S, 1}, {"shipping_cost", M, 1}, {"agent_id", S, 1},
                               {"actual_shipping_cost", M, 1}, {"payment_processing_fee", M, 1},
                               {"shipping_address", S, 1}, {"billing_address", S, 1}, {"clv_bucket", S, 1},
                               {"is_reactivated", B, 1}, {"cart_id", S, 1}, {NULL, 0, 0}};
static const coldef k_oitem[] = {{"order_id", S, 1}, {"product_id", I64, 1}, {"product_name", S, 1},
                                 {"category", S, 1}, {"quantity", I32, 1}, {"unit_price", M, 1},
                                 {"discount_amount", M, 1}, {"cost_price", M, 1}, {NULL, 0, 0}};
static const coldef k_ret[] = {{"return_id", S, 1}, {"order_id", S, 1}, {"customer_id", S, 1},
                               {"email", S, 1}, {"return_date", D, 1}, {"reason", S, 1},
                               {"return_type", S, 1}, {"refunded_amount", M, 1}, {"return_channel", S, 1},
                               {"agent_id", S, 1}, {"refund_method", S, 1}, {NULL, 0, 0}};
static const coldef k_ritem[] = {{"return_item_id", I64, 1}, {"return_id", S, 1}, {"order_id", S, 1},
                                 {"product_id", I64, 1}, {"product_name", S, 1}, {"category", S, 1},
                                 {"quantity_returned", I32, 1}, {"unit_price", M, 1}, {"cost_price", M, 1},
                                 {"refunded_amount", M, 1}, {NULL, 0, 0}};
#undef S
#undef D
#undef TS
#undef M
#undef I32
#undef I64
#undef B

static const struct {
    const char *name;
    ecl_table_kind kind;
    const char *partition_key, *pk, *event_time;
    const coldef *cols;
} k_tables[T_N] = {
    {"customers", ECL_TABLE_DAILY, "signup_date", "customer_id", "signup_date", k_cust},
    {"product_catalog", ECL_TABLE_STATIC, "category", "product_id", NULL, k_prod},
    {"shopping_carts", ECL_TABLE_DAILY, "ingest_dt", "cart_id", "created_at", k_cart},
    {"cart_items", ECL_TABLE_DAILY, "ingest_dt", "cart_item_id", "added_at", k_citem},
    {"orders", ECL_TABLE_DAILY, "ingest_dt", "order_id", "order_date", k_ord},
    {"order_items", ECL_TABLE_DAILY, "ingest_dt", "order_id,product_id", NULL, k_oitem},
    {"returns", ECL_TABLE_DAILY, "ingest_dt", "return_id", "return_date", k_ret},
    {"return_items", ECL_TABLE_DAILY, "ingest_dt", "return_item_id", NULL, k_ritem},
};

static int build_tables(ec_model *M, ecl_err *e)
{
    for (int t = 0; t < T_N; t++) {
        ecl_model_table *mt = &M->tables[t];
        mt->name = k_tables[t].name;
        mt->kind = k_tables[t].kind;
        mt->partition_key = k_tables[t].partition_key;
        mt->primary_key = k_tables[t].pk;
        mt->event_time_column = k_tables[t].event_time;
        ecl_schema_init(&mt->schema);
        for (const coldef *c = k_tables[t].cols; c->name; c++) {
            int rc = c->type == ECL_T_DECIMAL ? ecl_schema_add_decimal(&mt->schema, c->name, 12, 2, c->nullable)
                                              : ecl_schema_add(&mt->schema, c->name, c->type, c->nullable);
            if (rc)
                return ecl_err_set(e, ECL_ENOMEM, "out of memory building the ecom schema");
        }
    }
    return 0;
}

static void init_tags(ec_tags *t)
{
    t->signups = ecl_tag_str("ecom.signups");
    t->cust = ecl_tag_str("ecom.customer");
    t->cdet = ecl_tag_str("ecom.customer.details");
    t->gpool = ecl_tag_str("ecom.guest.contact");
    t->conv = ecl_tag_str("ecom.cart.conversion");
    t->nitems = ecl_tag_str("ecom.cart.nitems");
    t->items = ecl_tag_str("ecom.cart.items");
    t->epi = ecl_tag_str("ecom.episode");
    t->gap = ecl_tag_str("ecom.visit.gap");
    t->churn = ecl_tag_str("ecom.episode.end");
    t->season = ecl_tag_str("ecom.seasonal.extra");
    t->order = ecl_tag_str("ecom.order");
    t->disc = ecl_tag_str("ecom.order.discount");
    t->ret = ecl_tag_str("ecom.return.schedule");
    t->rsel = ecl_tag_str("ecom.return.items");
    t->late = ecl_tag_str("ecom.mess.late");
    t->mess = ecl_tag_str("ecom.mess");
}

static void product_name(const ec_model *M, int p, char *out, size_t cap);

static int build_catalogue(ec_model *M, ecl_err *e)
{
    const ec_knobs *k = &M->k;
    int n = k->num_products;
    M->nprod = n;
    M->price = calloc((size_t)n, sizeof *M->price);
    M->cost = calloc((size_t)n, sizeof *M->cost);
    M->inventory = calloc((size_t)n, sizeof *M->inventory);
    M->pcat = calloc((size_t)n, 1);
    M->padj = calloc((size_t)n, 1);
    M->pnoun = calloc((size_t)n, 1);
    if (!M->price || !M->cost || !M->inventory || !M->pcat || !M->padj || !M->pnoun)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory building the product catalogue");
    uint64_t tag = ecl_tag_str("ecom.product");
    int ncat = k->categories.n;
    for (int i = 0; i < n; i++) {
        ecl_rng r = ecl_rng_key(k->seed, tag, (uint64_t)i, 0);
        /* The first ncat products cover every category, so no category is ever empty. */
        int c = i < ncat ? i : (int)ecl_rng_range(&r, 0, ncat - 1);
        M->pcat[i] = (uint8_t)c;
        M->padj[i] = (uint8_t)ecl_rng_range(&r, 0, k->nadj[c] > 0 ? k->nadj[c] - 1 : 0);
        M->pnoun[i] = (uint8_t)ecl_rng_range(&r, 0, k->nnoun[c] > 0 ? k->nnoun[c] - 1 : 0);
        M->price[i] = ecl_rng_range(&r, k->min_price, k->max_price);
        double margin = k->margin_lo + (k->margin_hi - k->margin_lo) * ecl_rng_double(&r);
        M->cost[i] = llround((double)M->price[i] * margin);
        M->inventory[i] = (int32_t)ecl_rng_range(&r, k->inv_lo, k->inv_hi);
        M->n_by_cat[c]++;
    }
    M->pname_off = malloc(((size_t)n + 1) * sizeof *M->pname_off);
    M->pnames = malloc((size_t)n * (2 * EC_NAME + 2) + 1);
    if (!M->pname_off || !M->pnames)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory building the product catalogue");
    uint32_t off = 0;
    for (int i = 0; i < n; i++) {
        M->pname_off[i] = off;
        product_name(M, i, M->pnames + off, 2 * EC_NAME + 2);
        off += (uint32_t)strlen(M->pnames + off);
    }
    M->pname_off[n] = off;
    for (int c = 0; c < ncat; c++)
        M->cat_len[c] = (uint16_t)strlen(k->categories.name[c]);
    for (int c = 0; c < ncat; c++) {
        M->by_cat[c] = malloc((size_t)M->n_by_cat[c] * sizeof(int) + 1);
        if (!M->by_cat[c])
            return ecl_err_set(e, ECL_ENOMEM, "out of memory building the product catalogue");
        M->n_by_cat[c] = 0;
    }
    for (int i = 0; i < n; i++)
        M->by_cat[M->pcat[i]][M->n_by_cat[M->pcat[i]]++] = i;
    for (int ch = 0; ch <= k->nch; ch++) {
        double acc = 0;
        for (int c = 0; c < ncat; c++) {
            acc += k->cat_pref[ch][c] > 0 ? k->cat_pref[ch][c] : 0;
            M->cat_cum[ch][c] = acc;
        }
        if (acc <= 0)
            for (int c = 0; c < ncat; c++)
                M->cat_cum[ch][c] = c + 1;
        double t = 0;
        for (int tier = 1; tier <= k->ntier; tier++) {
            t += k->tier_weights[ch][tier] > 0 ? k->tier_weights[ch][tier] : 0;
            M->tier_cum[ch][tier - 1] = t;
        }
        if (t <= 0)
            for (int tier = 1; tier <= k->ntier; tier++)
                M->tier_cum[ch][tier - 1] = tier;
    }
    double acc = 0;
    for (int ch = 1; ch <= k->nch; ch++) {
        acc += k->signup_channels.w[ch] > 0 ? k->signup_channels.w[ch] : 0;
        M->ch_cum[ch - 1] = acc;
    }
    if (acc <= 0)
        for (int ch = 1; ch <= k->nch; ch++)
            M->ch_cum[ch - 1] = ch;
    for (int ch = 0; ch < EC_MAXV; ch++)
        for (int tier = 0; tier <= EC_MAXTIER; tier++) {
            const ec_delay *d = &k->delay[ch][tier];
            double mean = (d->lo + d->hi) / 2.0;
            M->gap_mu[ch][tier] = log(mean > 1 ? mean : 1) - d->sigma * d->sigma / 2.0;
        }
    return 0;
}

static void ecom_free(ecl_model *m)
{
    ec_model *M = m->impl;
    if (!M)
        return;
    for (int t = 0; t < T_N; t++)
        ecl_schema_release(&M->tables[t].schema);
    free(M->price);
    free(M->cost);
    free(M->inventory);
    free(M->pcat);
    free(M->padj);
    free(M->pnoun);
    free(M->pnames);
    free(M->pname_off);
    for (int c = 0; c < EC_MAXCAT; c++)
        free(M->by_cat[c]);
    free(M);
    m->impl = NULL;
}

/* ------------------------------------------------------------------ per-entity draws */

static int64_t month_index(int32_t day)
{
    int y, mo, d;
    ecl_civil_from_days(day, &y, &mo, &d);
    return (int64_t)y * 12 + mo - 1;
}

static int draw_nitems(const ec_model *M, const ec_cust *cu, uint32_t ci, uint32_t occ)
{
    ecl_rng r = ecl_rng_key(M->k.seed, M->tag.nitems, ci, occ);
    ec_range rg = M->k.items_by_tier[cu->tier];
    return (int)ecl_rng_range(&r, rg.lo, rg.hi);
}

/* The cart's items, times and total: the same whether built for a cart, its order or a return. */
static void gen_items(const ec_model *M, const ec_cust *cu, uint32_t ci, uint32_t occ, int32_t day,
                      ec_items *it)
{
    const ec_knobs *k = &M->k;
    it->n = draw_nitems(M, cu, ci, occ);
    ecl_rng r = ecl_rng_key(k->seed, M->tag.items, ci, occ);
    /* The whole add-to-cart chain (at most 300 s per item) stays inside the cart's day. */
    int64_t latest = 86399 - 300LL * it->n;
    /* Two draws from one stream: sequenced, so the data cannot depend on the compiler's order. */
    int64_t sec = ecl_rng_range(&r, 0, latest);
    int64_t usec = ecl_rng_range(&r, 0, 999999);
    int64_t t = (int64_t)day * US_PER_DAY + sec * 1000000LL + usec;
    it->created = t;
    it->total = 0;
    ec_range q = k->qty_by_tier[cu->tier];
    const double *cum = M->cat_cum[cu->ch];
    for (int i = 0; i < it->n; i++) {
        int c = (int)ecl_rng_cumulative(&r, cum, (size_t)k->categories.n);
        int p = M->by_cat[c][ecl_rng_range(&r, 0, M->n_by_cat[c] - 1)];
        it->prod[i] = p;
        it->qty[i] = (int)ecl_rng_range(&r, q.lo, q.hi);
        t += ecl_rng_range(&r, 1, 300) * 1000000LL;
        it->added[i] = t;
        it->total += M->price[p] * it->qty[i];
    }
}

typedef struct ec_odraw {
    int ch, pay, speed, agent;
    int64_t actual_ship;
    int64_t disc[MAX_ITEMS];
} ec_odraw;

static void gen_order_draws(const ec_model *M, uint32_t ci, uint32_t occ, const ec_items *it, ec_odraw *o)
{
    const ec_knobs *k = &M->k;
    ecl_rng r = ecl_rng_key(k->seed, M->tag.order, ci, occ);
    o->ch = (int)ecl_rng_weighted(&r, k->order_channels.w, (size_t)k->order_channels.n);
    if (k->channel_rule[o->ch]) {
        /* allowed methods, weighted by the global mix; uniform if the mix gives them no weight */
        double w[EC_MAXV];
        double tot = 0;
        int nallowed = 0;
        for (int p = 0; p < k->payment_methods.n; p++) {
            w[p] = k->allowed_payment[o->ch][p] ? k->payment_methods.w[p] : 0;
            tot += w[p];
            nallowed += k->allowed_payment[o->ch][p];
        }
        if (tot <= 0)
            for (int p = 0; p < k->payment_methods.n; p++)
                w[p] = k->allowed_payment[o->ch][p] ? 1 : 0;
        o->pay = nallowed ? (int)ecl_rng_weighted(&r, w, (size_t)k->payment_methods.n)
                          : (int)ecl_rng_weighted(&r, k->payment_methods.w, (size_t)k->payment_methods.n);
    } else {
        o->pay = (int)ecl_rng_weighted(&r, k->payment_methods.w, (size_t)k->payment_methods.n);
    }
    o->speed = (int)ecl_rng_weighted(&r, k->shipping_speeds.w, (size_t)k->shipping_speeds.n);
    double var = k->cost_var_lo + (k->cost_var_hi - k->cost_var_lo) * ecl_rng_double(&r);
    o->actual_ship = llround((double)k->shipping_base_cost[o->speed] * (1.0 + var));
    o->agent = o->ch == k->phone_channel && k->nagents > 0 ? (int)ecl_rng_range(&r, 0, k->nagents - 1) : -1;
    ecl_rng d = ecl_rng_key(k->seed, M->tag.disc, ci, occ);
    for (int i = 0; i < it->n; i++) {
        o->disc[i] = 0;
        if (ecl_rng_bernoulli(&d, k->discount_prob)) {
            double pct = k->discount_lo + (k->discount_hi - k->discount_lo) * ecl_rng_double(&d);
            o->disc[i] = llround((double)(M->price[it->prod[i]] * it->qty[i]) * pct);
        }
    }
}

/* Order lines: the cart's items merged by product (quantities and discounts summed), by product id. */
static int merge_lines(const ec_model *M, const ec_items *it, const ec_odraw *o, ec_line *lines)
{
    ec_line tmp[MAX_ITEMS];
    for (int i = 0; i < it->n; i++)
        tmp[i] = (ec_line){it->prod[i], it->qty[i], M->price[it->prod[i]], o->disc[i], M->cost[it->prod[i]]};
    /* Insertion sort: at most MAX_ITEMS lines, usually a handful, where qsort's calls dominate. The
     * order among equal products is irrelevant: merged lines only sum integers. */
    for (int i = 1; i < it->n; i++) {
        ec_line x = tmp[i];
        int j = i;
        for (; j > 0 && tmp[j - 1].prod > x.prod; j--)
            tmp[j] = tmp[j - 1];
        tmp[j] = x;
    }
    int n = 0;
    for (int i = 0; i < it->n; i++) {
        if (n > 0 && lines[n - 1].prod == tmp[i].prod) {
            lines[n - 1].qty += tmp[i].qty;
            lines[n - 1].disc += tmp[i].disc;
        } else {
            lines[n++] = tmp[i];
        }
    }
    return n;
}

/* Return selection for return number ret_no of an order: which lines, how many units, the reason.
 * Lines already taken by earlier returns of the order are not available again. */
typedef struct ec_rsel {
    int reason;
    int n;
    int line[MAX_ITEMS];
    int qty[MAX_ITEMS];
} ec_rsel;

static void select_return(const ec_model *M, uint32_t ci, uint32_t occ, int ret_no, const ec_line *lines,
                          int nlines, const bool *taken, ec_rsel *s)
{
    const ec_knobs *k = &M->k;
    ecl_rng r = ecl_rng_key(k->seed, M->tag.rsel, ci, ((uint64_t)occ << 8) | (uint64_t)ret_no);
    s->reason = (int)ecl_rng_range(&r, 0, k->return_reasons.n - 1);
    int avail[MAX_ITEMS], na = 0;
    for (int i = 0; i < nlines; i++)
        if (!taken[i])
            avail[na++] = i;
    s->n = 0;
    if (na == 0)
        return;
    double full = k->refund_full[s->reason], partial = k->refund_partial[s->reason];
    int take = na;
    if (!ecl_rng_bernoulli(&r, full)) {
        take = (int)ecl_rng_range(&r, 1, na);
        for (int i = 0; i < take; i++) { /* partial Fisher-Yates: a uniform subset */
            int j = (int)ecl_rng_range(&r, i, na - 1);
            int t = avail[i];
            avail[i] = avail[j];
            avail[j] = t;
        }
        /* keep lines in product order */
        for (int i = 1; i < take; i++)
            for (int j = i; j > 0 && avail[j - 1] > avail[j]; j--) {
                int t = avail[j];
                avail[j] = avail[j - 1];
                avail[j - 1] = t;
            }
    }
    for (int i = 0; i < take; i++) {
        const ec_line *l = &lines[avail[i]];
        int q = l->qty;
        if (l->qty > 1 && ecl_rng_bernoulli(&r, partial))
            q = (int)ecl_rng_range(&r, 1, l->qty - 1);
        s->line[s->n] = avail[i];
        s->qty[s->n] = q;
        s->n++;
    }
}

/* Refund of q units of a line: the share of what was paid (price x qty - discount). */
static int64_t line_refund(const ec_line *l, int q)
{
    int64_t paid = l->price * l->qty - l->disc;
    return (paid * q + l->qty / 2) / l->qty;
}

/* Return delay in days from the cumulative timing buckets. */
static int draw_return_delay(const ec_knobs *k, ecl_rng *r)
{
    double u = ecl_rng_double(r);
    int lo = 1;
    for (int i = 0; i < k->ntiming; i++) {
        if (u <= k->timing_cum[i] || i == k->ntiming - 1)
            return (int)ecl_rng_range(r, lo, k->timing_days[i] > lo ? k->timing_days[i] : lo);
        lo = k->timing_days[i] + 1;
    }
    return 1;
}

/* The tier with the highest threshold at or below spend (the lowest tier if none is reached). */
static int tier_of_spend(const ec_knobs *k, int64_t spend)
{
    int best = -1, lowest = 1;
    for (int t = 1; t <= k->ntier; t++) {
        if (k->tier_threshold[t] < k->tier_threshold[lowest])
            lowest = t;
        if (spend >= k->tier_threshold[t] && (best < 0 || k->tier_threshold[t] >= k->tier_threshold[best]))
            best = t;
    }
    return best < 0 ? lowest : best;
}

static int clv_of_spend(const ec_knobs *k, int64_t spend)
{
    int best = 0;
    for (int i = 0; i < k->clv_buckets.n; i++)
        if (spend >= k->clv_threshold[i] && k->clv_threshold[i] >= k->clv_threshold[best])
            best = i;
    return best;
}

/* ------------------------------------------------------------------ personal data */

static void lower_into(char *dst, const char *src)
{
    for (; *src; src++)
        *dst++ = (char)((*src >= 'A' && *src <= 'Z') ? *src + 32 : *src);
    *dst = 0;
}

/* "%d %s %s, %s, %s %05d": number, street, suffix, city, state, ZIP. The draws run from the ZIP
 * back to the number: the order in which the original single printf call evaluated its arguments,
 * now fixed whatever the compiler. */
static void gen_address(ecl_rng *r, char *out, size_t cap)
{
    uint64_t zip = (uint64_t)ecl_rng_range(r, 1001, 99950);
    const char *state = ec_states[ecl_rng_range(r, 0, (int64_t)ec_n_states - 1)];
    const char *city = ec_cities[ecl_rng_range(r, 0, (int64_t)ec_n_cities - 1)];
    const char *suffix = ec_street_suffixes[ecl_rng_range(r, 0, (int64_t)ec_n_street_suffixes - 1)];
    const char *street = ec_street_names[ecl_rng_range(r, 0, (int64_t)ec_n_street_names - 1)];
    uint64_t number = (uint64_t)ecl_rng_range(r, 1, 9999);
    ec_sb b = ec_sb_init(out, cap);
    ec_sb_u(&b, number, 0);
    ec_sb_c(&b, ' ');
    ec_sb_s(&b, street);
    ec_sb_c(&b, ' ');
    ec_sb_s(&b, suffix);
    ec_sb_s(&b, ", ");
    ec_sb_s(&b, city);
    ec_sb_s(&b, ", ");
    ec_sb_s(&b, state);
    ec_sb_c(&b, ' ');
    ec_sb_u(&b, zip, 5);
    ec_sb_done(&b, out);
}

/* Phone layouts (a, b, c are the area code, exchange and line number; x the extension):
 * +1-aaa-bbb-cccc, (aaa)bbb-cccc, aaa-bbb-ccccxN, 001-aaa-bbb-cccc, aaa.bbb.cccc */
static void fmt_phone(char *out, size_t cap, int style, int a, int b3, int c, int x)
{
    ec_sb b = ec_sb_init(out, cap);
    char sep = '-';
    switch (style) {
    case 0: ec_sb_s(&b, "+1-"); break;
    case 1: ec_sb_c(&b, '('); break;
    case 3: ec_sb_s(&b, "001-"); break;
    case 4: sep = '.'; break;
    default: break;
    }
    ec_sb_u(&b, (uint64_t)a, 3);
    ec_sb_c(&b, style == 1 ? ')' : sep);
    ec_sb_u(&b, (uint64_t)b3, 3);
    ec_sb_c(&b, sep);
    ec_sb_u(&b, (uint64_t)c, 4);
    if (style == 2) {
        ec_sb_c(&b, 'x');
        ec_sb_u(&b, (uint64_t)x, 0);
    }
    ec_sb_done(&b, out);
}

typedef struct ec_person {
    const char *first, *last;
    char email[128];
    char phone[40];
    char address[160];
} ec_person;

static void gen_person(const ec_model *M, const ec_cust *cu, uint32_t ci, ec_person *p)
{
    const ec_knobs *k = &M->k;
    memset(p, 0, sizeof *p);
    if (!(cu->flags & CF_GUEST)) {
        ecl_rng r = ecl_rng_key(k->seed, M->tag.cdet, ci, 0);
        p->first = ec_first_names[ecl_rng_range(&r, 0, (int64_t)ec_n_first_names - 1)];
        p->last = ec_last_names[ecl_rng_range(&r, 0, (int64_t)ec_n_last_names - 1)];
        char f[64], l[64];
        lower_into(f, p->first);
        lower_into(l, p->last);
        /* the customer number keeps registered e-mails unique: first.last<seq>@domain */
        ec_sb eb = ec_sb_init(p->email, sizeof p->email);
        ec_sb_s(&eb, f);
        ec_sb_c(&eb, '.');
        ec_sb_s(&eb, l);
        ec_sb_u(&eb, cu->seq, 0);
        ec_sb_c(&eb, '@');
        ec_sb_s(&eb, ec_free_domains[ecl_rng_range(&r, 0, (int64_t)ec_n_free_domains - 1)]);
        ec_sb_done(&eb, p->email);
        int a = (int)ecl_rng_range(&r, 201, 989), b = (int)ecl_rng_range(&r, 200, 999),
            c = (int)ecl_rng_range(&r, 0, 9999);
        int style = (int)ecl_rng_range(&r, 0, 4);
        int x = style == 2 ? (int)ecl_rng_range(&r, 10, 99999) : 0;
        fmt_phone(p->phone, sizeof p->phone, style, a, b, c, x);
        gen_address(&r, p->address, sizeof p->address);
        return;
    }
    /* Guests: a contact of their own, or with guest_contact_reuse_prob one of the previous
     * guest_contact_pool_size guests' contact (shared e-mails and addresses, as in the original). */
    uint64_t g = cu->seq;
    for (int hops = 0; hops < 64; hops++) {
        ecl_rng r = ecl_rng_key(k->seed, M->tag.gpool, g, 0);
        if (g > 1 && k->guest_pool_size > 0 && ecl_rng_bernoulli(&r, k->guest_reuse_prob)) {
            uint64_t back = (uint64_t)ecl_rng_range(&r, 1, k->guest_pool_size);
            g = back < g ? g - back : 1;
            continue;
        }
        break;
    }
    ecl_rng r = ecl_rng_key(k->seed, M->tag.gpool, g, 1);
    /* <word1><word2><guest number>@domain, drawn from the domain back to word1 (see gen_address) */
    const char *domain = ec_guest_domains[ecl_rng_range(&r, 0, (int64_t)ec_n_guest_domains - 1)];
    const char *w2 = ec_words[ecl_rng_range(&r, 0, (int64_t)ec_n_words - 1)];
    const char *w1 = ec_words[ecl_rng_range(&r, 0, (int64_t)ec_n_words - 1)];
    ec_sb eb = ec_sb_init(p->email, sizeof p->email);
    ec_sb_s(&eb, w1);
    ec_sb_s(&eb, w2);
    ec_sb_u(&eb, g, 0);
    ec_sb_c(&eb, '@');
    ec_sb_s(&eb, domain);
    ec_sb_done(&eb, p->email);
    gen_address(&r, p->address, sizeof p->address);
}

static void cust_id(const ec_cust *cu, char out[32])
{
    ec_fmt_id(out, 32, cu->flags & CF_GUEST ? "GUEST" : "CUST", cu->seq);
}

/* ------------------------------------------------------------------ row builders */

static int push_money(ecl_column *c, int64_t cents) { return ecl_col_push_i64(c, cents); }

static int push_opt_str(ecl_column *c, const char *s) { return s ? ecl_col_push_cstr(c, s) : ecl_col_push_null(c); }

static int emit_customer(const ec_model *M, const ec_cust *cu, uint32_t ci, int32_t day, ecl_batch *b)
{
    const ec_knobs *k = &M->k;
    ecl_column *c = b->cols;
    ec_person p;
    gen_person(M, cu, ci, &p);
    char id[32];
    cust_id(cu, id);
    int rc = ecl_col_push_cstr(&c[0], id);
    bool guest = cu->flags & CF_GUEST;
    if (guest) {
        rc |= ecl_col_push_null(&c[1]) | ecl_col_push_null(&c[2]);
        rc |= ecl_col_push_cstr(&c[3], p.email) | ecl_col_push_null(&c[4]) | ecl_col_push_null(&c[5]);
        rc |= ecl_col_push_null(&c[6]) | ecl_col_push_null(&c[7]) | ecl_col_push_bool(&c[8], true);
        rc |= ecl_col_push_cstr(&c[9], "Guest") | ecl_col_push_null(&c[10]) | ecl_col_push_null(&c[11]);
        rc |= ecl_col_push_null(&c[12]) | ecl_col_push_bool(&c[13], false) | ecl_col_push_bool(&c[14], false);
        rc |= ecl_col_push_cstr(&c[15], p.address) | ecl_col_push_cstr(&c[16], p.address);
        rc |= ecl_col_push_null(&c[17]) | ecl_col_push_null(&c[18]);
        return rc ? ECL_ENOMEM : 0;
    }
    ecl_rng r = ecl_rng_key(k->seed, M->tag.cdet, ci, 1);
    const char *gender;
    if (ecl_rng_bernoulli(&r, k->gender_unknown_prob)) {
        gender = "Unknown";
    } else {
        /* uniform over the genders other than "Unknown", so the knob is the real Unknown share */
        int idx[EC_MAXV], n = 0;
        for (int i = 0; i < k->genders.n; i++)
            if (strcmp(k->genders.name[i], "Unknown") != 0)
                idx[n++] = i;
        gender = n ? k->genders.name[idx[ecl_rng_range(&r, 0, n - 1)]] : "Unknown";
    }
    int age = (int)ecl_rng_range(&r, k->min_age, k->max_age);
    int st = (int)ecl_rng_weighted(&r, k->customer_status.w, (size_t)k->customer_status.n);
    bool verified = ecl_rng_bernoulli(&r, k->email_verified_prob);
    bool optin = ecl_rng_bernoulli(&r, k->marketing_opt_in_prob);
    const char *tier = cu->tier ? k->tiers[cu->tier] : NULL;
    rc |= ecl_col_push_cstr(&c[1], p.first) | ecl_col_push_cstr(&c[2], p.last);
    rc |= ecl_col_push_cstr(&c[3], p.email) | ecl_col_push_cstr(&c[4], p.phone);
    rc |= ecl_col_push_i32(&c[5], day) | ecl_col_push_cstr(&c[6], gender);
    rc |= ecl_col_push_i32(&c[7], age) | ecl_col_push_bool(&c[8], false);
    rc |= ecl_col_push_cstr(&c[9], k->customer_status.name[st]);
    rc |= ecl_col_push_cstr(&c[10], k->signup_channels.name[cu->ch]);
    rc |= push_opt_str(&c[11], tier) | push_opt_str(&c[12], tier);
    rc |= ecl_col_push_bool(&c[13], verified) | ecl_col_push_bool(&c[14], optin);
    rc |= ecl_col_push_cstr(&c[15], p.address) | ecl_col_push_cstr(&c[16], p.address);
    rc |= tier ? ecl_col_push_i32(&c[17], day) : ecl_col_push_null(&c[17]);
    rc |= ecl_col_push_cstr(&c[18], k->clv_buckets.name[k->clv_of_tier[cu->tier]]);
    return rc ? ECL_ENOMEM : 0;
}

static void product_name(const ec_model *M, int p, char *out, size_t cap)
{
    int cat = M->pcat[p];
    ec_sb b = ec_sb_init(out, cap);
    ec_sb_s(&b, M->k.adjectives[cat][M->padj[p]]);
    ec_sb_c(&b, ' ');
    ec_sb_s(&b, M->k.nouns[cat][M->pnoun[p]]);
    ec_sb_done(&b, out);
}

static int push_product_name(ecl_column *c, const ec_model *M, int p)
{
    return ecl_col_push_str(c, M->pnames + M->pname_off[p], M->pname_off[p + 1] - M->pname_off[p]);
}

static int push_category(ecl_column *c, const ec_model *M, int cat)
{
    return ecl_col_push_str(c, M->k.categories.name[cat], M->cat_len[cat]);
}

static int emit_cart(const ec_model *M, const ec_cust *cu, const ec_items *it, uint32_t cart_seq,
                     int64_t first_item, int status, ecl_batch *out)
{
    static const char *const st_name[] = {"converted", "abandoned", "emptied"};
    char cid[32], cust[32];
    ec_fmt_id(cid, sizeof cid, "CART", cart_seq);
    size_t cid_len = strlen(cid);
    cust_id(cu, cust);
    ecl_column *c = out[T_CART].cols;
    int rc = ecl_col_push_cstr(&c[0], cid) | ecl_col_push_cstr(&c[1], cust);
    rc |= ecl_col_push_i64(&c[2], it->created);
    rc |= ecl_col_push_i64(&c[3], it->n ? it->added[it->n - 1] : it->created);
    rc |= push_money(&c[4], status == 2 ? 0 : it->total);
    rc |= ecl_col_push_cstr(&c[5], st_name[status]);
    if (status == 2)
        return rc ? ECL_ENOMEM : 0; /* emptied carts keep no items */
    ecl_column *ci = out[T_CITEM].cols;
    for (int i = 0; i < it->n; i++) {
        int p = it->prod[i], cat = M->pcat[p];
        rc |= ecl_col_push_i64(&ci[0], first_item + i) | ecl_col_push_str(&ci[1], cid, cid_len);
        rc |= ecl_col_push_i64(&ci[2], p + 1) | push_product_name(&ci[3], M, p);
        rc |= push_category(&ci[4], M, cat) | ecl_col_push_i64(&ci[5], it->added[i]);
        rc |= ecl_col_push_i32(&ci[6], it->qty[i]) | push_money(&ci[7], M->price[p]);
    }
    return rc ? ECL_ENOMEM : 0;
}


/* An order as it was placed: the converted cart's items, the order draws and the merged lines. */
static int rebuild_order(const ec_model *M, const ec_cust *cu, uint32_t ci, uint32_t occ, int32_t day,
                         ec_items *it, ec_odraw *od, ec_line *lines)
{
    gen_items(M, cu, ci, occ, day, it);
    gen_order_draws(M, ci, occ, it, od);
    return merge_lines(M, it, od, lines);
}

/* items: the order's cart items when the caller has just drawn them, else NULL to draw them again. */
static int emit_order(const ec_model *M, const ec_cursor *c, const ec_order_ref *o, const ec_items *items,
                      ecl_batch *out)
{
    const ec_knobs *k = &M->k;
    const ec_cust *cu = &c->cust[o->cust];
    ec_items it;
    ec_odraw od;
    ec_line lines[MAX_ITEMS];
    if (!items) {
        gen_items(M, cu, o->cust, o->occ, o->day, &it);
        items = &it;
    }
    gen_order_draws(M, o->cust, o->occ, items, &od);
    int nl = merge_lines(M, items, &od, lines);
    int64_t disc = 0;
    int units = 0;
    for (int i = 0; i < nl; i++) {
        disc += lines[i].disc;
        units += lines[i].qty;
    }
    int64_t net = items->total - disc;
    int64_t fee = llround((double)net * k->fee_rate[od.pay]);
    ec_person p;
    gen_person(M, cu, o->cust, &p);
    char oid[32], cid[32], cust[32];
    ec_fmt_id(oid, sizeof oid, "ORD", o->order_seq);
    ec_fmt_id(cid, sizeof cid, "CART", o->cart_seq);
    cust_id(cu, cust);
    ecl_column *c0 = out[T_ORD].cols;
    int rc = ecl_col_push_cstr(&c0[0], oid) | ecl_col_push_i32(&c0[1], units);
    rc |= ecl_col_push_i64(&c0[2], items->created) | ecl_col_push_cstr(&c0[3], cust);
    rc |= ecl_col_push_cstr(&c0[4], p.email) | ecl_col_push_cstr(&c0[5], k->order_channels.name[od.ch]);
    rc |= ecl_col_push_bool(&c0[6], od.speed != k->standard_speed);
    rc |= ecl_col_push_cstr(&c0[7], k->tiers[tier_of_spend(k, o->spend_after)]);
    rc |= push_money(&c0[8], items->total) | push_money(&c0[9], net) | push_money(&c0[10], disc);
    rc |= ecl_col_push_cstr(&c0[11], k->payment_methods.name[od.pay]);
    rc |= ecl_col_push_cstr(&c0[12], k->shipping_speeds.name[od.speed]);
    rc |= push_money(&c0[13], k->shipping_cost[od.speed]);
    rc |= ecl_col_push_cstr(&c0[14], od.agent >= 0 ? k->agents[od.agent] : "ONLINE");
    rc |= push_money(&c0[15], od.actual_ship) | push_money(&c0[16], fee);
    rc |= ecl_col_push_cstr(&c0[17], p.address) | ecl_col_push_cstr(&c0[18], p.address);
    rc |= ecl_col_push_cstr(&c0[19], k->clv_buckets.name[clv_of_spend(k, o->spend_after)]);
    rc |= ecl_col_push_bool(&c0[20], o->react) | ecl_col_push_cstr(&c0[21], cid);
    ecl_column *c1 = out[T_OITEM].cols;
    size_t oid_len = strlen(oid);
    for (int i = 0; i < nl; i++) {
        rc |= ecl_col_push_str(&c1[0], oid, oid_len) | ecl_col_push_i64(&c1[1], lines[i].prod + 1);
        rc |= push_product_name(&c1[2], M, lines[i].prod) | push_category(&c1[3], M, M->pcat[lines[i].prod]);
        rc |= ecl_col_push_i32(&c1[4], lines[i].qty) | push_money(&c1[5], lines[i].price);
        rc |= push_money(&c1[6], lines[i].disc) | push_money(&c1[7], lines[i].cost);
    }
    return rc ? ECL_ENOMEM : 0;
}

/* ------------------------------------------------------------------ the cursor */

static int schedule(ec_cursor *c, int32_t day, uint32_t ci, int kind)
{
    if (day <= c->base.day)
        day = c->base.day + 1;
    if (day - c->base.day >= RING) /* never wrap the calendar (validation keeps horizons shorter) */
        day = c->base.day + RING - 1;
    return vec32_push(&c->cal[(uint32_t)day % RING], (ci << 2) | (uint32_t)kind);
}

static int32_t visit_gap(const ec_model *M, const ec_cust *cu, uint32_t ci, uint32_t occ)
{
    const ec_delay *d = &M->k.delay[cu->ch][cu->tier];
    ecl_rng r = ecl_rng_key(M->k.seed, M->tag.gap, ci, occ);
    double g = floor(ecl_rng_lognormal(&r, M->gap_mu[cu->ch][cu->tier], d->sigma));
    double cap = d->hi * M->k.max_gap_factor;
    if (g < d->lo)
        g = d->lo;
    if (g > cap)
        g = cap;
    return g < 1 ? 1 : (int32_t)g;
}

static int end_episode(ec_cursor *c, uint32_t ci, uint32_t occ)
{
    const ec_model *M = c->M;
    ecl_rng r = ecl_rng_key(M->k.seed, M->tag.churn, ci, occ);
    if (ecl_rng_bernoulli(&r, M->k.churn_probability)) {
        c->cust[ci].flags |= CF_CHURNED;
        return 0;
    }
    double pause = ecl_rng_exponential(&r, 1.0 / M->k.reengage_days_mean);
    double cap = M->k.reengage_days_mean * 5 < 1500 ? M->k.reengage_days_mean * 5 : 1500;
    int32_t d = (int32_t)(pause > cap ? cap : pause) + 1;
    return schedule(c, c->base.day + d, ci, EV_START);
}

/* Everything that happens on one visit: the cart, maybe an order and its returns, the next visit.
 * extra = a seasonal extra cart (no chain effects). */
static int visit(ec_cursor *c, uint32_t ci, int kind, bool extra, bool emit, ecl_batch *out, int month)
{
    const ec_model *M = c->M;
    const ec_knobs *k = &M->k;
    int32_t day = c->base.day;
    ec_cust *cu = &c->cust[ci];
    uint32_t occ = cu->ncarts++;
    int rc = 0;

    ecl_rng r = ecl_rng_key(k->seed, M->tag.conv, ci, occ);
    double p = k->conversion_rate * ((cu->flags & CF_ORDERED) ? 1.0 : k->first_boost[cu->ch]);
    bool converted = ecl_rng_bernoulli(&r, p);
    bool emptied = !converted && ecl_rng_bernoulli(&r, k->emptied_prob);
    int status = converted ? 0 : emptied ? 2 : 1;
    uint32_t cart_seq = ++c->next_cart;
    int64_t first_item = c->next_cart_item + 1;
    ec_items it;
    bool have_items = false;
    if (!emptied) {
        if (converted || emit) {
            gen_items(M, cu, ci, occ, day, &it);
            have_items = true;
        }
        c->next_cart_item += have_items ? it.n : draw_nitems(M, cu, ci, occ);
    }
    if (emit) {
        if (!have_items)
            gen_items(M, cu, ci, occ, day, &it);
        rc = emit_cart(M, cu, &it, cart_seq, first_item, status, out);
        if (rc)
            return rc;
    }
    if (converted) {
        int64_t sp = (int64_t)cu->spend + it.total;
        cu->spend = sp > UINT32_MAX ? UINT32_MAX : (uint32_t)sp;
        cu->flags |= CF_ORDERED;
        ec_order_ref o = {ci, occ, ++c->next_order, cart_seq, day, cu->spend, (uint8_t)(kind == EV_REACT && !extra)};
        int late = ec_mess_late_days(M, o.order_seq);
        if (late > 0)
            rc = vecany_push(&c->late[(uint32_t)(day + late) % RING], &o, sizeof o);
        else if (emit)
            rc = emit_order(M, c, &o, &it, out);
        if (rc)
            return rc;
        /* returns: decided now, delivered on their day */
        ecl_rng rr = ecl_rng_key(k->seed, M->tag.ret, ci, occ);
        double rate = k->return_rate_by_channel[cu->ch] >= 0 ? k->return_rate_by_channel[cu->ch] : k->return_rate;
        if (ecl_rng_bernoulli(&rr, rate)) {
            int32_t d1 = day + draw_return_delay(k, &rr);
            ec_pret pr = {ci, occ, o.order_seq, cart_seq, day, 1};
            rc = vecany_push(&c->rets[(uint32_t)d1 % RING], &pr, sizeof pr);
            if (!rc && ecl_rng_bernoulli(&rr, k->multi_return_prob)) {
                int32_t d2 = d1 + draw_return_delay(k, &rr);
                pr.ret_no = 2;
                rc = vecany_push(&c->rets[(uint32_t)d2 % RING], &pr, sizeof pr);
            }
            if (rc)
                return rc;
        }
    }
    if (extra)
        return 0;

    /* the visit chain */
    if (kind == EV_START) {
        ecl_rng re = ecl_rng_key(k->seed, M->tag.epi, ci, occ);
        double lam = k->propensity[cu->ch][cu->tier];
        if (cu->shock)
            lam *= k->shock_factor[cu->shock - 1];
        int64_t n = ecl_rng_poisson(&re, lam);
        cu->visits_left = (uint16_t)(n > 60000 ? 60000 : n);
        if (ecl_rng_bernoulli(&re, k->react_prob))
            rc = schedule(c, day + (int32_t)ecl_rng_range(&re, k->react_delay.lo, k->react_delay.hi), ci, EV_REACT);
        if (!rc)
            rc = cu->visits_left ? schedule(c, day + visit_gap(M, cu, ci, occ), ci, EV_REPEAT) : end_episode(c, ci, occ);
    } else if (kind == EV_REPEAT) {
        if (cu->visits_left)
            cu->visits_left--;
        rc = cu->visits_left ? schedule(c, day + visit_gap(M, cu, ci, occ), ci, EV_REPEAT) : end_episode(c, ci, occ);
    }
    if (rc)
        return rc;

    /* seasonal extra carts the same day */
    double f = k->seasonal[month];
    if (f > 1.0) {
        ecl_rng rs = ecl_rng_key(k->seed, M->tag.season, ci, occ);
        double x = f - 1.0;
        int extras = (int)floor(x);
        if (ecl_rng_bernoulli(&rs, x - floor(x)))
            extras++;
        for (int i = 0; i < extras && !rc; i++)
            rc = visit(c, ci, kind, true, emit, out, month);
    }
    return rc;
}

static int cmp_pret(const void *a, const void *b)
{
    const ec_pret *x = a, *y = b;
    if (x->order_seq != y->order_seq)
        return x->order_seq < y->order_seq ? -1 : 1;
    return (x->ret_no > y->ret_no) - (x->ret_no < y->ret_no);
}

static int process_return(ec_cursor *c, const ec_pret *pr, bool emit, ecl_batch *out)
{
    const ec_model *M = c->M;
    const ec_knobs *k = &M->k;
    const ec_cust *cu = &c->cust[pr->cust];
    ec_items it;
    ec_odraw od;
    ec_line lines[MAX_ITEMS];
    int nl;
    if (emit) {
        nl = rebuild_order(M, cu, pr->cust, pr->occ, pr->order_day, &it, &od, lines);
    } else {
        /* Seeking needs only which lines and units come back: the order's own draws (channel,
         * payment, discounts) change neither, so the lines are merged without them. */
        static const ec_odraw no_draws;
        gen_items(M, cu, pr->cust, pr->occ, pr->order_day, &it);
        nl = merge_lines(M, &it, &no_draws, lines);
    }
    bool taken[MAX_ITEMS] = {0};
    ec_rsel s = {0};
    for (int no = 1; no <= pr->ret_no; no++) {
        select_return(M, pr->cust, pr->occ, no, lines, nl, taken, &s);
        if (no < pr->ret_no)
            for (int i = 0; i < s.n; i++)
                taken[s.line[i]] = true;
    }
    if (s.n == 0)
        return 0; /* nothing left to return: no return at all */
    uint32_t rseq = ++c->next_return;
    int64_t first_item = c->next_return_item + 1;
    c->next_return_item += s.n;
    if (!emit)
        return 0;
    ec_person p;
    gen_person(M, cu, pr->cust, &p);
    char rid[32], oid[32], cust[32];
    ec_fmt_id(rid, sizeof rid, "RTN", rseq);
    ec_fmt_id(oid, sizeof oid, "ORD", pr->order_seq);
    cust_id(cu, cust);
    int64_t total = 0;
    ecl_column *ri = out[T_RITEM].cols;
    int rc = 0;
    for (int i = 0; i < s.n; i++) {
        const ec_line *l = &lines[s.line[i]];
        int64_t refund = line_refund(l, s.qty[i]);
        total += refund;
        rc |= ecl_col_push_i64(&ri[0], first_item + i) | ecl_col_push_cstr(&ri[1], rid);
        rc |= ecl_col_push_cstr(&ri[2], oid) | ecl_col_push_i64(&ri[3], l->prod + 1);
        rc |= push_product_name(&ri[4], M, l->prod) | push_category(&ri[5], M, M->pcat[l->prod]);
        rc |= ecl_col_push_i32(&ri[6], s.qty[i]) | push_money(&ri[7], l->price);
        rc |= push_money(&ri[8], l->cost) | push_money(&ri[9], refund);
    }
    int rch = k->return_channel_pref[od.ch] >= 0 ? k->return_channel_pref[od.ch] : od.ch;
    const char *agent = "ONLINE";
    if (rch == k->phone_channel && k->nagents > 0) {
        ecl_rng ra = ecl_rng_key(k->seed, M->tag.rsel, pr->cust, ((uint64_t)pr->occ << 8) | 0xff);
        agent = od.agent >= 0 ? k->agents[od.agent] : k->agents[ecl_rng_range(&ra, 0, k->nagents - 1)];
    }
    ecl_column *rt = out[T_RET].cols;
    rc |= ecl_col_push_cstr(&rt[0], rid) | ecl_col_push_cstr(&rt[1], oid) | ecl_col_push_cstr(&rt[2], cust);
    rc |= ecl_col_push_cstr(&rt[3], p.email) | ecl_col_push_i32(&rt[4], c->base.day);
    rc |= ecl_col_push_cstr(&rt[5], k->return_reasons.name[s.reason]) | ecl_col_push_cstr(&rt[6], "Refund");
    rc |= push_money(&rt[7], total) | ecl_col_push_cstr(&rt[8], k->order_channels.name[rch]);
    rc |= ecl_col_push_cstr(&rt[9], agent) | ecl_col_push_cstr(&rt[10], k->payment_methods.name[od.pay]);
    return rc ? ECL_ENOMEM : 0;
}

static int grow_customers(ec_cursor *c, size_t want)
{
    if (want <= c->capcust)
        return 0;
    size_t nc = c->capcust ? c->capcust * 2 : 4096;
    if (nc < want)
        nc = want;
    ec_cust *p = realloc(c->cust, nc * sizeof *p);
    if (!p)
        return ECL_ENOMEM;
    c->cust = p;
    c->capcust = nc;
    return 0;
}

static int signups(ec_cursor *c, bool emit, ecl_batch *out)
{
    const ec_model *M = c->M;
    const ec_knobs *k = &M->k;
    int32_t day = c->base.day;
    ecl_rng r = ecl_rng_key(k->seed, M->tag.signups, (uint64_t)(int64_t)day, 0);
    int64_t n = ecl_rng_poisson(&r, k->new_customers_per_day);
    int64_t mi = month_index(day);
    int shock = 0;
    for (int i = 0; i < k->nshocks; i++)
        if (k->shock_month[i] == mi)
            shock = i + 1;
    for (int64_t i = 0; i < n; i++) {
        if (c->ncust >= (1u << 30))
            return ECL_EUNSUPPORTED; /* customer numbers are packed into 30 bits of a calendar entry */
        if (grow_customers(c, c->ncust + 1))
            return ECL_ENOMEM;
        uint32_t ci = (uint32_t)c->ncust++;
        ec_cust *cu = &c->cust[ci];
        memset(cu, 0, sizeof *cu);
        ecl_rng rc = ecl_rng_key(k->seed, M->tag.cust, ci, 0);
        cu->shock = (uint8_t)shock;
        int err;
        if (ecl_rng_bernoulli(&rc, k->guest_pct)) {
            cu->flags = CF_GUEST;
            cu->seq = ++c->next_guest_seq;
            err = vec32_push(&c->today, (ci << 2) | EV_START); /* guests appear with their first visit */
        } else {
            cu->seq = ++c->next_cust_seq;
            cu->ch = (uint8_t)(1 + ecl_rng_cumulative(&rc, M->ch_cum, (size_t)k->nch));
            if (!ecl_rng_bernoulli(&rc, k->no_tier_prob))
                cu->tier = (uint8_t)(1 + ecl_rng_cumulative(&rc, M->tier_cum[cu->ch], (size_t)k->ntier));
            err = schedule(c, day + (int32_t)ecl_rng_range(&rc, k->ttfc.lo > 1 ? k->ttfc.lo : 1, k->ttfc.hi > 1 ? k->ttfc.hi : 1),
                           ci, EV_START);
        }
        if (err)
            return err;
        if (emit && (err = emit_customer(M, cu, ci, day, &out[T_CUST])))
            return err;
    }
    return 0;
}

/* LSD radix sort of the day's events (customer, kind): a canonical order whatever the insertion. */
static int sort_today(ec_cursor *c)
{
    uint32_t n = c->today.n;
    if (n < 2)
        return 0;
    if (c->sortcap < n) {
        uint32_t *p = realloc(c->sortbuf, n * sizeof *p);
        if (!p)
            return ECL_ENOMEM;
        c->sortbuf = p;
        c->sortcap = n;
    }
    uint32_t *a = c->today.v, *b = c->sortbuf;
    for (int shift = 0; shift < 33; shift += 11) {
        uint32_t cnt[2048] = {0};
        for (uint32_t i = 0; i < n; i++)
            cnt[(a[i] >> shift) & 2047]++;
        uint32_t sum = 0;
        for (int i = 0; i < 2048; i++) {
            uint32_t t = cnt[i];
            cnt[i] = sum;
            sum += t;
        }
        for (uint32_t i = 0; i < n; i++)
            b[cnt[(a[i] >> shift) & 2047]++] = a[i];
        uint32_t *t = a;
        a = b;
        b = t;
    }
    /* three passes: the result is in the scratch buffer */
    if (a != c->today.v)
        memcpy(c->today.v, a, n * sizeof *a);
    return 0;
}

static int ecom_step(ecl_cursor *base, bool emit, ecl_batch *out, ecl_mess_counts *counts, ecl_err *e)
{
    ec_cursor *c = (ec_cursor *)base;
    const ec_model *M = c->M;
    int32_t day = base->day;
    int y, mo, dd;
    ecl_civil_from_days(day, &y, &mo, &dd);
    size_t first[T_N] = {0};
    if (emit)
        for (int t = 0; t < T_N; t++)
            first[t] = out[t].cols[0].len;

    /* today's calendar entries, plus the guests who appear today */
    vec32 *slot = &c->cal[(uint32_t)day % RING];
    vec32 tmp = c->today;
    c->today = *slot;
    *slot = tmp;
    int rc = signups(c, emit, out);
    if (!rc)
        rc = sort_today(c);
    for (uint32_t i = 0; !rc && i < c->today.n; i++) {
        /* customer records are scattered over a large array: fetch a few visits ahead */
        if (i + 8 < c->today.n)
            __builtin_prefetch(&c->cust[c->today.v[i + 8] >> 2], 1);
        uint32_t ev = c->today.v[i];
        uint32_t ci = ev >> 2;
        if (c->cust[ci].flags & CF_CHURNED && (ev & 3) != EV_REACT)
            continue;
        rc = visit(c, ci, (int)(ev & 3), false, emit, out, mo);
    }
    c->today.n = 0;

    vecany *rs = &c->rets[(uint32_t)day % RING];
    if (!rc && rs->n > 1)
        qsort(rs->v, rs->n, sizeof(ec_pret), cmp_pret);
    for (size_t i = 0; !rc && i < rs->n; i++)
        rc = process_return(c, &((ec_pret *)rs->v)[i], emit, out);
    rs->n = 0;

    vecany *ls = &c->late[(uint32_t)day % RING];
    for (size_t i = 0; !rc && emit && i < ls->n; i++)
        rc = emit_order(M, c, &((ec_order_ref *)ls->v)[i], NULL, out);
    size_t nlate_rows = emit ? out[T_ORD].cols[0].len : 0;
    ls->n = 0;
    if (rc == ECL_EUNSUPPORTED)
        return ecl_err_set(e, rc, "the ecom world exceeds 2^30 customers; lower world.new_customers_per_day");
    if (rc)
        return ecl_err_set(e, rc, "out of memory simulating the ecom world");
    if (emit) {
        for (int t = 0; t < T_N; t++)
            if (t != T_PROD && (rc = ecl_batch_seal(&out[t], e)))
                return rc;
        (void)nlate_rows;
        rc = ec_mess_apply(base, M, day, out, first, counts, e);
        if (rc)
            return rc;
    }
    base->day++;
    return 0;
}

static void ecom_cursor_free(ecl_cursor *base)
{
    ec_cursor *c = (ec_cursor *)base;
    for (int i = 0; i < RING; i++) {
        free(c->cal[i].v);
        free(c->rets[i].v);
        free(c->late[i].v);
    }
    free(c->today.v);
    free(c->sortbuf);
    free(c->cust);
    ecl_cursor_base_release(base);
    free(c);
}

static int ecom_cursor_open(ecl_cursor **out, ecl_model *m, int32_t start, ecl_err *e)
{
    ec_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a cursor");
    c->M = m->impl;
    int rc = ecl_cursor_base_init(&c->base, m, m->epoch, e);
    if (rc) {
        free(c);
        return rc;
    }
    /* reserve the customers the seek will create, so the array is not copied while growing */
    double expect = ((double)start - m->epoch + 1) * c->M->k.new_customers_per_day * 1.05 + 4096;
    if (expect < 5e8 && grow_customers(c, (size_t)expect)) {
        ecom_cursor_free(&c->base);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a cursor");
    }
    /* Late orders of the days just before start are delivered on or after start; they are recorded
     * while seeking, so seeking alone is enough. */
    while (!rc && c->base.day < start)
        rc = ecom_step(&c->base, false, NULL, NULL, e);
    if (rc) {
        ecom_cursor_free(&c->base);
        return rc;
    }
    *out = &c->base;
    return 0;
}

static int ecom_emit_static(ecl_model *m, size_t table, ecl_batch *b, ecl_mess_counts *counts, ecl_buf *log,
                            ecl_err *e)
{
    const ec_model *M = m->impl;
    if (table != T_PROD)
        return ecl_err_set(e, ECL_EINVAL, "ecom has no static table %zu", table);
    ecl_column *c = b->cols;
    int rc = 0;
    for (int p = 0; p < M->nprod && !rc; p++) {
        char name[2 * EC_NAME + 2];
        product_name(M, p, name, sizeof name);
        rc |= ecl_col_push_i64(&c[0], p + 1) | ecl_col_push_cstr(&c[1], name);
        rc |= ecl_col_push_cstr(&c[2], M->k.categories.name[M->pcat[p]]);
        rc |= push_money(&c[3], M->price[p]) | push_money(&c[4], M->cost[p]);
        rc |= ecl_col_push_i32(&c[5], M->inventory[p]);
    }
    if (rc)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory emitting product_catalog");
    if ((rc = ecl_batch_seal(b, e)))
        return rc;
    return ec_mess_static(M, b, counts, log, e);
}

static const ecl_model_ops k_ecom_ops = {
    .free = ecom_free,
    .emit_static = ecom_emit_static,
    .cursor_open = ecom_cursor_open,
    .cursor_step = ecom_step,
    .cursor_free = ecom_cursor_free,
};

int ecl_ecom_open(ecl_model *m, const ecl_model_opts *o, ecl_err *e)
{
    ec_model *M = calloc(1, sizeof *M);
    if (!M)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening the ecom model");
    m->ops = &k_ecom_ops;
    m->impl = M;
    ec_knobs_default(&M->k);
    int rc = ec_knobs_load(&M->k, o->config_path, e);
    if (rc)
        return rc;
    if (o->seed_set)
        M->k.seed = o->seed;
    if (o->messiness) {
        int lvl = ec_mess_parse(o->messiness);
        if (lvl < 0)
            return ecl_err_set(e, ECL_EINVAL,
                               "unknown messiness level '%s' (expected none, baseline, light_mess, medium_mess or heavy_mess)",
                               o->messiness);
        M->k.mess_level = lvl;
    }
    if ((rc = ec_knobs_validate(&M->k, e)))
        return rc;
    init_tags(&M->tag);
    if ((rc = build_tables(M, e)) || (rc = build_catalogue(M, e)))
        return rc;
    m->tables = M->tables;
    m->ntables = T_N;
    m->epoch = M->k.epoch;
    m->seed = M->k.seed;
    snprintf(m->messiness, sizeof m->messiness, "%s", ec_mess_names[M->k.mess_level]);
    m->version = ECL_WRITER_NAME " ecom-model 1";
    ecl_buf canon = ECL_BUF_INIT;
    if (ec_knobs_canonical(&M->k, &canon))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory hashing the ecom config");
    uint8_t h[32];
    ecl_sha256(canon.data, canon.len, h);
    ecl_hex(h, 32, m->config_hash);
    ecl_buf_release(&canon);
    return 0;
}
