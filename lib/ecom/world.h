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
    /* product names and category names, built once: millions of item rows a day carry them */
    char *pnames;
    uint32_t *pname_off; /* [nprod + 1] into pnames */
    uint16_t cat_len[EC_MAXCAT];
    int *by_cat[EC_MAXCAT];
    int n_by_cat[EC_MAXCAT];
    double cat_cum[EC_MAXV][EC_MAXCAT]; /* per signup channel, cumulative category weights */
    double ch_cum[EC_MAXV];             /* signup channel choice (registered) */
    double tier_cum[EC_MAXV][EC_MAXTIER + 1];
    double gap_mu[EC_MAXV][EC_MAXTIER + 1]; /* lognormal mu of the visit gap, per (channel, tier) delay */
} ec_model;

/* Bounded text building without printf: the generator formats millions of ids and contacts a day.
 * Output is truncated at cap - 1 bytes and NUL-terminated, as snprintf would. */
typedef struct ec_sb {
    char *p, *end; /* end: the byte kept for the NUL */
} ec_sb;

static inline ec_sb ec_sb_init(char *out, size_t cap) { return (ec_sb){out, out + cap - 1}; }

static inline void ec_sb_s(ec_sb *b, const char *s)
{
    while (*s && b->p < b->end)
        *b->p++ = *s++;
}

static inline void ec_sb_c(ec_sb *b, char c)
{
    if (b->p < b->end)
        *b->p++ = c;
}

/* v in decimal, zero-padded to at least width digits (printf's %0*llu). */
static inline void ec_sb_u(ec_sb *b, uint64_t v, int width)
{
    char t[24];
    int i = 24;
    do {
        t[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (24 - i < width && i > 0)
        t[--i] = '0';
    for (; i < 24 && b->p < b->end; i++)
        *b->p++ = t[i];
}

static inline size_t ec_sb_done(ec_sb *b, const char *start)
{
    *b->p = 0;
    return (size_t)(b->p - start);
}

/* Writes "PREFIX-%08u" ids. */
static inline void ec_fmt_id(char *out, size_t cap, const char *prefix, uint64_t n)
{
    ec_sb b = ec_sb_init(out, cap);
    ec_sb_s(&b, prefix);
    ec_sb_c(&b, '-');
    ec_sb_u(&b, n, 8);
    ec_sb_done(&b, out);
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
