/* world.h - the e-commerce world: the opened model (knobs, catalogue, tables) and the cursor that
 * simulates it day by day. Shared between world.c (simulation, rows) and mess.c (messiness). */
#ifndef ECL_ECOM_WORLD_H
#define ECL_ECOM_WORLD_H

#include <stdio.h>

#include "../dataset.h"
#include "../rng.h"
#include "ecom.h"

typedef struct ec_tags {
    uint64_t signups, cust, cdet, gpool, conv, nitems, items, epi, gap, churn, season, order, disc, ret, rsel,
        late, mess;
} ec_tags;

typedef struct ec_model {
    ec_knobs k;
    ec_tags tag;
    ecl_model_table tables[T_N];
    /* catalogue */
    int nprod;
    int64_t *price, *cost;
    int32_t *inventory;
    uint8_t *pcat, *padj, *pnoun;
    int *by_cat[EC_MAXCAT];
    int n_by_cat[EC_MAXCAT];
    double cat_cum[EC_MAXV][EC_MAXCAT]; /* per signup channel, cumulative category weights */
    double ch_cum[EC_MAXV];             /* signup channel choice (registered) */
    double tier_cum[EC_MAXV][EC_MAXTIER + 1];
} ec_model;

/* Writes "PREFIX-%08u" ids. */
static inline void ec_fmt_id(char *out, size_t cap, const char *prefix, uint64_t n)
{
    snprintf(out, cap, "%s-%08llu", prefix, (unsigned long long)n);
}

/* Messiness over one emitted day (mess.c). first[t] = first row of the day in out[t]. */
int ec_mess_apply(ecl_cursor *c, const ec_model *M, int32_t day, ecl_batch *out, const size_t *first,
                  ecl_mess_counts *counts, ecl_err *e);
/* Messiness over the static product catalogue. */
int ec_mess_static(const ec_model *M, ecl_batch *b, ecl_mess_counts *counts, ecl_buf *log, ecl_err *e);
/* Whether the order with this sequence number arrives late under the model's messiness, and by how
 * many days (0 = on time). Pure function of (seed, order). */
int ec_mess_late_days(const ec_model *M, uint64_t order_seq);

#endif
