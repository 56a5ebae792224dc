/* libFuzzer target: arbitrary bytes as a Parquet file; open it, read every row group, query every
 * statistic. Any crash, leak or sanitizer report is a reader bug. Decoded memory is capped so huge
 * claimed sizes fail cleanly instead of tripping the fuzzer's allocation limit. */
#include <stddef.h>
#include <stdint.h>

#include "../../lib/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r;
    if (ecl_pq_reader_open_mem(&r, data, size, &e))
        return 0;
    ecl_pq_reader_set_max_bytes(r, 64u << 20);
    const ecl_schema *s = ecl_pq_reader_schema(r);
    ecl_batch b;
    if (ecl_batch_init(&b, s) == 0) {
        for (size_t g = 0; g < ecl_pq_reader_num_row_groups(r); g++) {
            for (size_t c = 0; c < s->nfields; c++) {
                ecl_pq_stats st;
                ecl_pq_reader_stats(r, g, c, &st);
            }
            ecl_err_clear(&e);
            ecl_pq_reader_read_row_group(r, g, &b, &e);
            if (b.nrows > 100000)
                ecl_batch_clear(&b);
        }
        ecl_batch_release(&b);
    }
    (void)ecl_pq_reader_kv(r, "writer");
    ecl_pq_reader_free(r);
    return 0;
}
