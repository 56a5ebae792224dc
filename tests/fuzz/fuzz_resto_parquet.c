/* Fuzzes the rendering of a landed Parquet file for ingest: arbitrary bytes as each restaurant
 * table's file; it must never crash or leak, and either render or say why the file is unusable. */
#include <stddef.h>
#include <stdint.h>

#include "../../lib/resto/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ecl_buf csv = ECL_BUF_INIT;
    for (int t = ECL_RESTO_PEDIDO; t < ECL_RESTO_NTABLES; t++) {
        ecl_resto_pq_bad bad;
        ecl_err e = ECL_ERR_INIT;
        if (ecl_resto_parquet_render((ecl_resto_table)t, data, size, "UTC", &csv, &bad, &e) == 0 &&
            bad.rule && csv.len)
            __builtin_trap(); /* an unusable file renders nothing */
    }
    ecl_buf_release(&csv);
    return 0;
}
