/* io.h - byte output streams that writers (Parquet, CSV, JSON) target, and durable file helpers.
 *
 * An ecl_out counts every byte it accepted, so a caller can split files on real written bytes.
 * File outputs buffer writes, and ecl_out_close() on a file makes it durable (fsync) before returning. */
#ifndef ECL_IO_H
#define ECL_IO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

typedef struct ecl_out ecl_out;
struct ecl_out {
    int (*write)(ecl_out *o, const void *p, size_t n, ecl_err *e);
    int (*close)(ecl_out *o, ecl_err *e); /* flush + make durable; may be NULL */
    void *ctx;
    uint64_t written;
};

static inline int ecl_out_write(ecl_out *o, const void *p, size_t n, ecl_err *e)
{
    int rc = o->write(o, p, n, e);
    if (rc == 0)
        o->written += n;
    return rc;
}

/* Appends everything to a caller-owned buffer. */
void ecl_out_mem(ecl_out *o, ecl_buf *dst);
/* Creates (truncates) path with mode 0644 and buffers writes; close flushes, fsyncs and closes.
 * On any failure the stream is unusable and ecl_out_abort() removes the file. */
int ecl_out_file(ecl_out *o, const char *path, ecl_err *e);
int ecl_out_close(ecl_out *o, ecl_err *e);
/* Closes without syncing and unlinks a file output. */
void ecl_out_abort(ecl_out *o);
/* Flushes a file output and ends the stream without syncing: *fd keeps the open descriptor, which
 * the caller must fsync and close (lets another thread make the file durable later). */
int ecl_out_detach(ecl_out *o, int *fd, ecl_err *e);

/* Durable-publish helpers for local files. */
int ecl_fsync_dir(const char *dir, ecl_err *e);
/* Renames tmp to final and fsyncs the directory holding final. */
int ecl_rename_durable(const char *tmp, const char *final, ecl_err *e);
/* mkdir -p; existing directories are fine. */
int ecl_mkdirs(const char *path, ecl_err *e);
/* Reads a whole file into buf (cap max bytes, 0 = none). */
int ecl_read_file(const char *path, ecl_buf *buf, size_t max, ecl_err *e);
/* Writes data to path atomically: temp file in the same directory, fsync, rename, fsync dir. */
int ecl_write_file_atomic(const char *path, const void *data, size_t n, ecl_err *e);

#endif
