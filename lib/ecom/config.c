/* config.c - loading an ecom YAML config over the defaults. */
#include "ecom.h"

int ec_knobs_load(ec_knobs *k, const char *path, ecl_err *e)
{
    (void)k;
    if (!path)
        return 0;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "'%s': loading ecom configs is not implemented yet", path);
}

int ec_knobs_load_mem(ec_knobs *k, const char *name, const void *data, size_t n, ecl_err *e)
{
    (void)k, (void)data, (void)n;
    return ecl_err_set(e, ECL_EUNSUPPORTED, "'%s': loading ecom configs is not implemented yet", name);
}
