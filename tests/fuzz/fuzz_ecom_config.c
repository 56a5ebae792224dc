/* Fuzz target: the ecom config loader (YAML -> resolved knobs -> validation -> canonical form) must
 * reject or accept any input without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "../../lib/buf.h"
#include "../../lib/ecom/ecom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ec_knobs k;
    ec_knobs_default(&k);
    ecl_err e = ECL_ERR_INIT;
    if (ec_knobs_load_mem(&k, "fuzz.yaml", data, size, &e) == 0 && ec_knobs_validate(&k, &e) == 0) {
        ecl_buf b = ECL_BUF_INIT;
        ec_knobs_canonical(&k, &b);
        ecl_buf_release(&b);
    }
    return 0;
}
