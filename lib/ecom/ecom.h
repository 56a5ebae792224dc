/* ecom.h - internal interface of the e-commerce model: the resolved knobs (what a config means,
 * with every fallback already applied), their defaults, the config loader and the world simulation.
 *
 * Vocabulary indexes: signup channel 0 means "none" (guests), 1..nch the configured channels; tier 0
 * means "no tier", 1..ntier the configured loyalty tiers (lowest first). Money is in cents. */
#ifndef ECL_ECOM_H
#define ECL_ECOM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../buf.h"
#include "../dataset.h"
#include "../err.h"

#define EC_MAXV 24   /* entries of any vocabulary list */
#define EC_NAME 48   /* bytes of one vocabulary name */
#define EC_MAXTIER 8
#define EC_MAXCAT 16
#define EC_MAXWORDS 12

typedef char ec_name[EC_NAME];

/* A list of names with weights (weights may be all 1 for a uniform choice). */
typedef struct ec_wlist {
    int n;
    ec_name name[EC_MAXV];
    double w[EC_MAXV];
} ec_wlist;

typedef struct ec_range {
    int64_t lo, hi;
} ec_range;

typedef struct ec_delay {
    double lo, hi, sigma;
} ec_delay;

enum { EC_MESS_NONE, EC_MESS_LIGHT, EC_MESS_MEDIUM, EC_MESS_HEAVY, EC_MESS_NLEVELS };

typedef struct ec_mess_level {
    double whitespace, casing, nulls;
    double spike_factor;  /* 0 = no sales spike */
    double reason_bias;   /* share of returns whose reason is redrawn from the bias schema */
    double late;          /* share of orders arriving 1..late_max_days late */
    double duplicate;     /* share of carts, orders and returns emitted twice */
    double typo, numeric, format;
} ec_mess_level;

typedef struct ec_knobs {
    /* world */
    int32_t epoch;
    uint64_t seed;
    int mess_level; /* EC_MESS_* */
    double new_customers_per_day;
    double reengage_days_mean;
    double churn_probability;
    double max_gap_factor;

    /* vocabularies */
    int nch;                        /* signup channels: names in signup_channels.name[1..nch] */
    ec_wlist signup_channels;       /* index 0 unused */
    int ntier;
    ec_name tiers[EC_MAXTIER + 1];  /* [1..ntier], lowest first */
    ec_wlist genders;
    ec_wlist customer_status;
    ec_wlist categories;            /* names; weights unused */
    ec_name adjectives[EC_MAXCAT][EC_MAXWORDS];
    ec_name nouns[EC_MAXCAT][EC_MAXWORDS];
    int nadj[EC_MAXCAT], nnoun[EC_MAXCAT];
    ec_wlist return_reasons;        /* uniform */
    int nagents;
    ec_name agents[64];

    /* customers */
    double guest_pct, gender_unknown_prob, no_tier_prob, email_verified_prob, marketing_opt_in_prob;
    int min_age, max_age;
    int guest_pool_size;
    double guest_reuse_prob;
    double tier_weights[EC_MAXV][EC_MAXTIER + 1]; /* [channel][tier 1..ntier] */
    int clv_of_tier[EC_MAXTIER + 1];              /* index into clv buckets; [0] = no tier */

    /* products */
    int num_products;
    int64_t min_price, max_price; /* cents */
    double margin_lo, margin_hi;
    int inv_lo, inv_hi;

    /* visits */
    ec_range ttfc;
    double propensity[EC_MAXV][EC_MAXTIER + 1];
    ec_delay delay[EC_MAXV][EC_MAXTIER + 1];
    int nshocks;
    int32_t shock_month[32]; /* year*12 + month-1 */
    double shock_factor[32];
    double seasonal[13];     /* [1..12] */
    double react_prob;
    ec_range react_delay;
    ec_range items_by_tier[EC_MAXTIER + 1];
    ec_range qty_by_tier[EC_MAXTIER + 1];
    double cat_pref[EC_MAXV][EC_MAXCAT];

    /* funnel and orders */
    double conversion_rate;
    double first_boost[EC_MAXV];
    double emptied_prob;
    int64_t tier_threshold[EC_MAXTIER + 1]; /* cents, [1..ntier] */
    ec_wlist clv_buckets;                   /* names, thresholds in clv_threshold */
    int64_t clv_threshold[EC_MAXV];
    ec_wlist order_channels;
    ec_wlist shipping_speeds;
    int64_t shipping_cost[EC_MAXV];         /* per speed, cents */
    int64_t shipping_base_cost[EC_MAXV];
    double cost_var_lo, cost_var_hi;
    int standard_speed;                     /* index of the non-expedited speed, or -1 */
    ec_wlist payment_methods;
    double fee_rate[EC_MAXV];
    bool channel_rule[EC_MAXV];             /* per order channel: has allowed_payment_methods */
    bool allowed_payment[EC_MAXV][EC_MAXV]; /* [order channel][payment method] */
    int return_channel_pref[EC_MAXV];       /* per order channel: index into order_channels, -1 = same */
    int phone_channel;                      /* order channel index served by agents, or -1 */
    double discount_prob, discount_lo, discount_hi;

    /* returns */
    double return_rate;
    double return_rate_by_channel[EC_MAXV];
    double multi_return_prob;
    int ntiming;
    int timing_days[16];
    double timing_cum[16];
    double refund_full[EC_MAXV], refund_partial[EC_MAXV]; /* per reason */

    /* messiness */
    ec_mess_level mess[EC_MESS_NLEVELS];
    int late_max_days;
    bool spike_months_set[EC_MESS_NLEVELS];
    double spike_month_factor[EC_MESS_NLEVELS][13];
    bool bias_set[EC_MESS_NLEVELS];
    double bias[EC_MESS_NLEVELS][EC_MAXCAT + 1][EC_MAXV]; /* [level][category, ncat = default][reason] */
} ec_knobs;

extern const char *const ec_mess_names[EC_MESS_NLEVELS];

void ec_knobs_default(ec_knobs *k);
/* Loads a YAML config over the defaults (path NULL = defaults only). */
int ec_knobs_load(ec_knobs *k, const char *path, ecl_err *e);
int ec_knobs_load_mem(ec_knobs *k, const char *name, const void *data, size_t n, ecl_err *e);
/* Cross-field validation after loading. */
int ec_knobs_validate(const ec_knobs *k, ecl_err *e);
/* Canonical text of every resolved knob (the config hash is its SHA-256). */
int ec_knobs_canonical(const ec_knobs *k, ecl_buf *out);
/* Parses a messiness level name ("none" = "baseline"); -1 if unknown. */
int ec_mess_parse(const char *name);

/* Tables, in emission order. */
enum { T_CUST, T_PROD, T_CART, T_CITEM, T_ORD, T_OITEM, T_RET, T_RITEM, T_N };

#endif
