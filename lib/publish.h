/* publish.h - the partition publisher: turns one partition's rows into Parquet files, a manifest and
 * a _SUCCESS marker, atomically.
 *
 * Layout under the root: <table>/<key>=<hive-escaped value>/part-00000.parquet, part-00001..., then
 * _MANIFEST.json, then _SUCCESS. Every file carries the model's columns plus four lineage columns:
 *   batch_id      STRING     the run's batch id
 *   ingestion_ts  TIMESTAMP  the same for every file of a run (SOURCE_DATE_EPOCH or the run start,
 *                            recorded in the ledger so a resume writes identical bytes)
 *   event_id      STRING     32 hex digits of SHA-256("<table>|<pk1>|<pk2>..."); the k-th repeat of
 *                            a primary key inside the partition (an injected duplicate) hashes
 *                            "...|#k" instead, so ids are stable and unique
 *   source_file   STRING     the row's file path relative to the lake root
 * Files are split when the bytes actually written reach target_bytes (checked every slice_rows
 * rows; the row group is flushed to measure real bytes before deciding).
 *
 * Local commit protocol (readers see the old partition or the new one, never a mix):
 *   1. build the whole partition in a hidden sibling directory <table>/.<key>=<value>.tmp-<pid>
 *      (names starting with '.' are skipped by DuckDB, Spark and Hive): data files (each fsynced),
 *      _MANIFEST.json (fsynced), _SUCCESS, fsync of the directory;
 *   2. swap it into place with renameat2(RENAME_EXCHANGE) when an old partition exists (plain
 *      rename otherwise), fsync <table>/;
 *   3. remove the old partition (now under the hidden name): no stale parts survive.
 * A crash leaves at worst a hidden staging directory, removed by ecl_publish_recover.
 *
 * Remote sinks: publish into a local staging root as above, then ecl_publish_upload copies the
 * partition: _SUCCESS removed first, data files, manifest, stale objects deleted, _SUCCESS last.
 *
 * The publisher is read-only after setup: several threads may publish different partitions at once.
 *
 * Testing aid: ECOMLAKE_TEST_CRASH_AT=<point>:<n> kills the process (SIGKILL) the n-th time it
 * reaches <point> (part-written, manifest-written, success-written, swapped); tests only. */
#ifndef ECL_PUBLISH_H
#define ECL_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "column.h"
#include "dataset.h"
#include "err.h"
#include "manifest.h"
#include "parquet.h"
#include "sink.h"

typedef struct ecl_pub_opts {
    const char *root;           /* local directory partitions are built in (the lake or a staging root) */
    uint64_t target_bytes;      /* split files at this many written bytes (default 16 MiB) */
    size_t slice_rows;          /* rows per write between size checks (default 4096) */
    ecl_pq_opts parquet;
    const char *batch_id;
    int64_t ingestion_ts;       /* µs since the epoch */
    int64_t created_at;         /* µs since the epoch, for the manifest */
    const char *dataset;
    const char *generator_version;
    const char *config_hash;
    const char *messiness;
    uint64_t seed;
} ecl_pub_opts;

void ecl_pub_opts_default(ecl_pub_opts *o);

typedef struct ecl_publisher ecl_publisher;

int ecl_publisher_open(ecl_publisher **p, const ecl_pub_opts *o, ecl_err *e);
void ecl_publisher_free(ecl_publisher *p);
/* Registers a table (the description must outlive the publisher); returns its index in *idx. */
int ecl_publisher_add_table(ecl_publisher *p, const ecl_model_table *t, size_t *idx, ecl_err *e);
/* The table's file schema: model columns plus the lineage columns. */
const ecl_schema *ecl_publisher_schema(const ecl_publisher *p, size_t idx);

typedef struct ecl_pub_result {
    char table[64];
    char partition[512]; /* "ingest_dt=2024-10-01" (escaped as on disk) */
    char dir_key[600];   /* "<table>/<partition>" relative to the root */
    uint64_t rows, bytes, files;
    char manifest_sha256[65];
    ecl_buf manifest_json; /* the manifest bytes (for hooks); release with ecl_pub_result_release */
} ecl_pub_result;

void ecl_pub_result_release(ecl_pub_result *r);

/* Publishes rows (the model's schema for that table) as the partition key=value of table idx.
 * dup_seq: per row, 0 for an original row and n for the n-th injected duplicate of it (may be NULL;
 * repeats of a primary key inside the partition are numbered in order either way).
 * mess: the injected-fault counts to record (only entries for this table are used; may be NULL).
 * An empty batch publishes an empty partition (manifest with no files) so a re-publish of a day that
 * lost its rows still replaces the old data. */
int ecl_publish_partition(ecl_publisher *p, size_t idx, const char *value, const ecl_batch *rows,
                          const uint32_t *dup_seq, const ecl_mess_counts *mess, ecl_pub_result *res,
                          ecl_err *e);

/* The same in two steps, so encoding can overlap with waiting for the disk: ecl_publish_stage builds
 * the hidden staging directory (data files, manifest, _SUCCESS; written but not yet synced) and
 * ecl_publish_commit, possibly on another thread, makes it durable and swaps it in (fsync of every
 * file, of the staging directory, rename, fsync of <table>/). Both consume the staged partition on
 * failure; ecl_publish_discard drops one that will not be committed. */
typedef struct ecl_pub_staged ecl_pub_staged;
int ecl_publish_stage(ecl_publisher *p, size_t idx, const char *value, const ecl_batch *rows,
                      const uint32_t *dup_seq, const ecl_mess_counts *mess, ecl_pub_staged **out,
                      ecl_err *e);
int ecl_publish_commit(ecl_pub_staged *s, ecl_pub_result *res, ecl_err *e);
/* Commits n staged partitions of one publisher together, in the same order of durable steps, with
 * two flushes of the file system for the whole group instead of four fsyncs per partition (each of
 * which, on file systems without a journal, also flushes the device cache). For each i, rcs[i] and
 * errs[i] tell whether v[i] committed; res[i] is filled for those that did. Consumes every v[i]. */
int ecl_publish_commit_group(ecl_pub_staged **v, size_t n, ecl_pub_result *res, int *rcs, ecl_err *errs);
void ecl_publish_discard(ecl_pub_staged *s);
const char *ecl_pub_staged_dir_key(const ecl_pub_staged *s);

/* Callback for each partition a static table publishes. */
typedef int (*ecl_pub_cb)(const ecl_pub_result *res, void *ctx, ecl_err *e);
/* Asked before publishing dir_key ("<table>/<partition>"): true = already committed, skip it. */
typedef bool (*ecl_pub_skip_cb)(const char *dir_key, uint64_t rows, void *ctx);
/* Splits a static table's rows by the partition column (p's table partition_key) and publishes each
 * group in sorted value order (NULL -> __HIVE_DEFAULT_PARTITION__). skip may be NULL. */
int ecl_publish_static(ecl_publisher *p, size_t idx, const ecl_batch *rows,
                       const ecl_mess_counts *mess, ecl_pub_skip_cb skip, ecl_pub_cb cb, void *ctx,
                       ecl_err *e);

/* Encodes rows (with lineage) to memory and returns the Parquet size: the byte estimate of a dry run. */
int ecl_publish_measure(ecl_publisher *p, size_t idx, const ecl_batch *rows, uint64_t *bytes,
                        ecl_err *e);

/* Removes hidden staging directories left by a crash under <root>/<table>/ (all tables when table is
 * NULL). Returns the number removed in *n (may be NULL). */
int ecl_publish_recover(const char *root, const char *table, int *n, ecl_err *e);

/* Uploads a partition built under local_root to the sink: data files, _MANIFEST.json, stale objects
 * removed, _SUCCESS last. Uploads skip objects that already match. */
int ecl_publish_upload(ecl_sink *sink, const char *local_root, const ecl_pub_result *res,
                       uint64_t *bytes_sent, ecl_err *e);

/* Hive/Spark partition value escaping: %XX (uppercase hex) for control characters, '"', '#', '%',
 * '\'', '*', '/', ':', '=', '?', '\\', 0x7F, '{', '[', ']', '^', and a leading '.' or '_' (hidden
 * names). NULL or "" becomes __HIVE_DEFAULT_PARTITION__. Appends to out. */
int ecl_hive_escape(const char *value, ecl_buf *out);
/* The reverse of ecl_hive_escape (for reading partition names back). */
int ecl_hive_unescape(const char *name, ecl_buf *out);

/* event_id as the publisher computes it: 32 lowercase hex digits + NUL into out[33]. key is the
 * "<table>|<pk1>|..." text (with "|#k" for the k-th repeat). */
void ecl_event_id(const char *key, size_t n, char out[33]);

/* Test-only crash points (see above). */
void ecl_publish_crash_point(const char *point);


/* ---- post-export hooks ---- */

typedef struct ecl_hook_ctx {
    const char *dest;          /* the lake as given (path or URL) */
    const char *table;
    const char *partition;     /* "ingest_dt=2024-10-01" */
    const char *partition_dir; /* local directory of the partition (the staging copy for remote dests) */
    const char *manifest_path; /* local path of its _MANIFEST.json */
    const char *object_prefix; /* "<dest>/<table>/<partition>/" */
    const char *batch_id;
    uint64_t rows;
    const ecl_buf *manifest_json;
} ecl_hook_ctx;

/* Runs `cmd` with /bin/sh -c after a partition committed. The hook gets the partition's context as
 * JSON on stdin ({"dest","table","partition","partition_dir","manifest_path","object_prefix",
 * "batch_id","rows","manifest":{...}}) and in its environment: ECOMLAKE_MANIFEST, ECOMLAKE_PARTITION,
 * ECOMLAKE_PARTITION_DIR, ECOMLAKE_TABLE, ECOMLAKE_DEST, ECOMLAKE_BATCH_ID, ECOMLAKE_ROWS,
 * ECOMLAKE_OBJECT_PREFIX and ECOMLAKE_CONTEXT (the same JSON). Its stdout goes to our stderr.
 * Returns 0 when the hook ran and exited 0; ECL_EPARTIAL with a message naming the hook and its exit
 * status otherwise. */
int ecl_run_hook(const char *cmd, const ecl_hook_ctx *c, ecl_err *e);

/* ---- checking a committed partition ---- */

typedef struct ecl_part_expect {
    const char *batch_id;          /* NULL = any */
    const char *config_hash;       /* NULL = any */
    const char *generator_version; /* NULL = any */
    const char *messiness;         /* NULL = any */
    bool check_seed;
    uint64_t seed;
    bool check_hashes; /* also hash every file and compare with the manifest (reads all the data) */
} ecl_part_expect;

/* Is dir_key ("<table>/<partition>") committed in the sink: _SUCCESS present, a manifest that
 * parses and matches `expect`, and every listed file present with its listed size (and SHA-256 when
 * expect->check_hashes). *ok tells; *rows gets the manifest's
 * total (when ok). Errors are only for failures to look (I/O, network). */
int ecl_partition_committed(ecl_sink *sink, const char *dir_key, const ecl_part_expect *expect,
                            bool *ok, uint64_t *rows, uint64_t *bytes, ecl_err *e);

#endif
