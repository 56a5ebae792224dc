/* mess.c - messiness: faults injected into emitted rows, keyed by (seed, table, primary key, column)
 * so the same row gets the same faults whatever the range or chunking. */
#include "world.h"

int ec_mess_late_days(const ec_model *M, uint64_t order_seq)
{
    const ec_mess_level *lv = &M->k.mess[M->k.mess_level];
    if (lv->late <= 0)
        return 0;
    ecl_rng r = ecl_rng_key(M->k.seed, M->tag.late, order_seq, 0);
    if (!ecl_rng_bernoulli(&r, lv->late))
        return 0;
    return (int)ecl_rng_range(&r, 1, M->k.late_max_days);
}

int ec_mess_apply(ecl_cursor *c, const ec_model *M, int32_t day, ecl_batch *out, const size_t *first,
                  ecl_mess_counts *counts, ecl_err *e)
{
    (void)c, (void)day, (void)out, (void)first, (void)counts;
    if (M->k.mess_level == EC_MESS_NONE)
        return 0;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "messiness level '%s' is not implemented yet",
                       ec_mess_names[M->k.mess_level]);
}

int ec_mess_static(const ec_model *M, ecl_batch *b, ecl_err *e)
{
    (void)b;
    if (M->k.mess_level == EC_MESS_NONE)
        return 0;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "messiness level '%s' is not implemented yet",
                       ec_mess_names[M->k.mess_level]);
}
