/* resto_publish.h - commits restaurant windows and reference data to a local lake directory:
 *   ROOT/csv_sales/YYYY/MM/DD/unit_NNN/window_HHHH/{pedido.csv,item_pedido.csv,_MANIFEST.json,_SUCCESS}
 *   ROOT/reference_data/{produto,unidade,estado,pais}.csv (+ _MANIFEST.json, _SUCCESS)
 * or, with parquet set, the same directories holding .parquet files (typed: INT32 ids, DECIMAL(10,2)
 * money, DATE, TIMESTAMP(MICROS, UTC), NULL for absent optional text; original column names).
 * Every leaf directory appears complete or not at all, and republishing replaces it.
 * With a sink (object storage), the same keys are uploaded data files first, then _MANIFEST.json,
 * then objects the directory no longer has are deleted, then _SUCCESS, so a reader that waits for
 * _SUCCESS never sees a partial window; unchanged objects are skipped (size + SHA-256). */
#ifndef ECL_RESTO_PUBLISH_H
#define ECL_RESTO_PUBLISH_H

#include "../sink.h"
#include "resto.h"

typedef struct ecl_resto_pub {
    const char *root;   /* local lake root; ignored when sink is set */
    ecl_sink *sink;     /* NULL = local files under root */
    uint64_t seed;
    const char *timezone;
    const ecl_resto_unit *units;
    int nunits;
    bool durable; /* fsync files and directories (default true; benchmarks may turn it off) */
    bool parquet; /* write Parquet files instead of the original CSV dialect */
} ecl_resto_pub;

typedef struct ecl_resto_pub_stats {
    uint64_t orders, items, files, bytes, dirs;
} ecl_resto_pub_stats;

void ecl_resto_window_path(const char *root, int32_t date, int unit, const ecl_resto_window *w,
                           char *out, size_t n);
/* Generates and commits one window for every unit; polls ecl_cancelled() between units. */
int ecl_resto_publish_window(const ecl_resto_pub *p, int32_t date, const ecl_resto_window *w,
                             ecl_resto_pub_stats *st, ecl_err *e);
int ecl_resto_publish_reference(const ecl_resto_pub *p, ecl_resto_pub_stats *st, ecl_err *e);

/* Encodes one restaurant table's batch as Parquet into out (appending): single-threaded, SNAPPY,
 * key-value metadata naming the dataset, table, seed and time zone. Byte-identical for the same
 * rows. Shared by the window publisher and tests. */
int ecl_resto_write_parquet(ecl_out *o, const ecl_batch *b, const char *table, uint64_t seed,
                            const char *timezone, ecl_err *e);

#endif
