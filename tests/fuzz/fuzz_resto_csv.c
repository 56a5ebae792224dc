/* Fuzzes the ingest validator: arbitrary bytes split at the first 0x00 into a pedido.csv and an
 * item_pedido.csv of one window; the validator must never crash, leak or misreport counts. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../lib/resto/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *cut = memchr(data, 0, size);
    size_t n1 = cut ? (size_t)(cut - data) : size;
    static const int64_t units[] = {1, 2, 3}, products[] = {1, 2, 3, 4, 5};
    ecl_resto_refs refs = {units, 3, products, 5, true, true};
    ecl_resto_window_in in = {0};
    in.orders_path = "csv_sales/2026/02/01/unit_001/window_1214/pedido.csv";
    in.orders = data;
    in.orders_len = n1;
    in.has_orders = true;
    in.items_path = "csv_sales/2026/02/01/unit_001/window_1214/item_pedido.csv";
    in.items = cut ? cut + 1 : NULL;
    in.items_len = cut ? size - n1 - 1 : 0;
    in.has_items = cut != NULL;
    in.timezone = "UTC";
    ecl_resto_window_out out;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_resto_validate_window(&in, &refs, &out, &e) == 0) {
        uint64_t ok = 0;
        for (size_t i = 0; i < out.norders; i++)
            ok += out.orders[i].ok;
        if (ok != out.orders_valid)
            __builtin_trap();
        /* every order that loads has a reconciled value when items were readable */
        for (size_t i = 0; i < out.norders && in.has_items; i++)
            if (out.orders[i].ok && out.orders[i].value != out.orders[i].items_sum + out.orders[i].fee)
                __builtin_trap();
    }
    ecl_resto_window_out_release(&out);
    ecl_resto_ref_out ro;
    ecl_err e2 = ECL_ERR_INIT;
    ecl_resto_validate_reference("unidade", "reference_data/unidade.csv", data, n1, &ro, &e2);
    ecl_resto_ref_out_release(&ro);
    return 0;
}
