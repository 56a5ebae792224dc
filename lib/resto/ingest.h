/* ingest.h - loads landed restaurant files (a lake written by `ecomlake window`/`continuous`, or the
 * original generators' output) into the bronze warehouse: the csv-processor, done properly.
 *
 * Source layout (relative to the source root):
 *   reference_data/{produto,unidade,estado,pais}.csv
 *   csv_sales/YYYY/MM/DD/unit_NNN[/window_HHHH]/{pedido,item_pedido}.csv
 * Each file may be the Parquet form instead (produto.parquet, pedido.parquet, ...: `window --format
 * parquet`), rendered into the CSV dialect and validated by the same rules (validate.h); where both
 * forms exist the CSV is loaded.
 * Hidden entries (temp directories of an unfinished publish) and the quarantine directory are skipped.
 *
 * Per window directory the two files are validated together (validate.h). Valid rows replace the
 * file's previous rows; rejected rows go to ingest_rejects; a file with problems and no valid row (or
 * over the size limit) is moved to the quarantine directory (csv_sales/ replaced by quarantine/) with
 * NAME_error.json beside it listing every problem. The load ledger (path + SHA-256) makes re-runs
 * idempotent and cheap: a file whose stat data (size, mtime, ctime, inode) is what the ledger
 * recorded with its hash is skipped without reading (as git's index does); any other file is read
 * and hashed, and skipped if the hash matches. rehash forces the hash check for every file. The
 * ledger is loaded once (while the source is scanned), so unchanged windows cost a stat and a
 * lookup per file.
 *
 * An s3:// or gs:// source is listed through the sink: an object whose size and ETag (or MD5) the
 * ledger recorded is skipped without a download; a window directory is loaded once its _SUCCESS
 * exists (unless no_commit_check); quarantine copies the object and its report under the quarantine
 * key prefix of the same bucket, then deletes the original. */
#ifndef ECL_RESTO_INGEST_H
#define ECL_RESTO_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "../err.h"
#include "../warehouse.h"

typedef struct ecl_resto_ingest_opts {
    const char *source;      /* local directory, or s3://bucket/prefix or gs://bucket/prefix */
    const char *quarantine;  /* NULL = SOURCE/quarantine (remote: a key prefix in the source bucket) */
    uint64_t max_file_size;  /* 0 = 10 MiB, the original's limit */
    const char *timezone;    /* the chain's zone, for the timestamp rule; NULL = America/Sao_Paulo */
    size_t batch;            /* window directories per transaction; 0 = 64 */
    bool dry_run;            /* validate and report, write nothing, move nothing */
    bool no_reference_check; /* accept unknown units/products (when no reference data exists) */
    bool rehash;             /* read and hash every file, even when its stat data is unchanged */
    bool no_commit_check;    /* remote: also load windows that have no _SUCCESS yet */
    const char *now;         /* _ingest_timestamp text; NULL = wall clock (or SOURCE_DATE_EPOCH) */
} ecl_resto_ingest_opts;

typedef struct ecl_resto_ingest_stats {
    uint64_t files_seen, files_loaded, files_partial, files_skipped, files_quarantined;
    uint64_t rows_loaded, rows_rejected, bytes_read;
    uint64_t problems;
    uint64_t windows_uncommitted; /* remote windows without _SUCCESS, left for a later run */
} ecl_resto_ingest_stats;

/* Progress callback: called after each batch with the stats so far (may be NULL). */
typedef void (*ecl_resto_ingest_progress)(const ecl_resto_ingest_stats *st, uint64_t dirs_done,
                                          uint64_t dirs_total, void *ctx);

int ecl_resto_ingest(ecl_wh *w, const ecl_resto_ingest_opts *o, ecl_resto_ingest_stats *st,
                     ecl_resto_ingest_progress progress, void *ctx, ecl_err *e);

#endif
