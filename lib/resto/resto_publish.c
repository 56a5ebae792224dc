/* resto_publish.c - commits generated restaurant windows and reference data to a local lake.
 *
 * Each leaf directory (csv_sales/YYYY/MM/DD/unit_NNN/window_HHHH, reference_data) is built complete
 * in a hidden sibling temp directory (data files, then _MANIFEST.json, then _SUCCESS), made durable,
 * and renamed into place; an existing directory is swapped out atomically (renameat2 RENAME_EXCHANGE)
 * and removed, so a reader sees the old window or the new one, never a mix. */
#include "resto_publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cancel.h"
#include "../hash.h"
#include "../parquet.h"
#include "../version.h"

typedef struct pub_file {
    char name[32];
    ecl_buf data;
    uint64_t rows;
} pub_file;

static int remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
    struct dirent *de;
    char sub[4096];
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        remove_tree(sub);
    }
    closedir(d);
    return rmdir(path);
}

static int write_one(const char *dir, const char *name, const void *p, size_t n, bool durable, ecl_err *e)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot create '%s'", path);
    const uint8_t *q = p;
    while (n > 0) {
        ssize_t w = write(fd, q, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int err = errno;
            close(fd);
            return ecl_err_errno(e, err, "cannot write '%s'", path);
        }
        q += w;
        n -= (size_t)w;
    }
    if (durable && fsync(fd) != 0) {
        int err = errno;
        close(fd);
        return ecl_err_errno(e, err, "cannot sync '%s'", path);
    }
    if (close(fd) != 0)
        return ecl_err_errno(e, errno, "cannot close '%s'", path);
    return 0;
}

static const char *format_name(bool parquet) { return parquet ? "parquet" : "csv"; }

static char *manifest_json(const char *partition, bool parquet, const pub_file *files, size_t nfiles,
                           json_t *extra)
{
    json_t *m = json_object();
    json_object_set_new(m, "manifest_version", json_integer(1));
    json_object_set_new(m, "writer", json_string(ECL_WRITER_NAME));
    json_object_set_new(m, "dataset", json_string("restaurant"));
    json_object_set_new(m, "partition", json_string(partition));
    json_object_set_new(m, "format", json_string(format_name(parquet)));
    json_t *arr = json_array();
    uint64_t total = 0;
    for (size_t i = 0; i < nfiles; i++) {
        uint8_t d[32];
        char hex[65];
        ecl_sha256(files[i].data.data, files[i].data.len, d);
        ecl_hex(d, 32, hex);
        json_t *f = json_object();
        json_object_set_new(f, "path", json_string(files[i].name));
        json_object_set_new(f, "bytes", json_integer((json_int_t)files[i].data.len));
        json_object_set_new(f, "rows", json_integer((json_int_t)files[i].rows));
        json_object_set_new(f, "sha256", json_string(hex));
        json_array_append_new(arr, f);
        total += files[i].rows;
    }
    json_object_set_new(m, "files", arr);
    json_object_set_new(m, "total_rows", json_integer((json_int_t)total));
    if (extra)
        json_object_update(m, extra);
    char *s = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    size_t n = s ? strlen(s) : 0;
    char *t = s ? realloc(s, n + 2) : NULL;
    if (!t) {
        free(s);
        return NULL;
    }
    memcpy(t + n, "\n", 2);
    return t;
}

/* Object storage: data, manifest, stale objects removed, then _SUCCESS; each object appears whole
 * (the sink's promise). Unchanged objects are skipped, so a republished window writes nothing. */
static int publish_remote(ecl_sink *sink, const char *partition, bool parquet, pub_file *files,
                          size_t nfiles, json_t *extra, ecl_err *e)
{
    char key[4096];
    int rc = 0;
    for (size_t i = 0; i <= nfiles + 1 && !rc; i++) {
        if (i == nfiles + 1) {
            /* e.g. the CSV files of a window republished as Parquet */
            const char **keep = calloc(nfiles + 2, sizeof *keep);
            if (!keep)
                return ecl_err_set(e, ECL_ENOMEM, "out of memory");
            for (size_t j = 0; j < nfiles; j++)
                keep[j] = files[j].name;
            keep[nfiles] = "_MANIFEST.json";
            keep[nfiles + 1] = "_SUCCESS";
            rc = ecl_sink_delete_except(sink, partition, keep, nfiles + 2, e);
            free(keep);
            if (rc)
                break;
        }
        const void *data;
        size_t n;
        char *m = NULL;
        const char *name, *type = parquet ? "application/vnd.apache.parquet" : "text/csv";
        if (i < nfiles) {
            data = files[i].data.data;
            n = files[i].data.len;
            name = files[i].name;
        } else if (i == nfiles) {
            if (!(m = manifest_json(partition, parquet, files, nfiles, extra)))
                return ecl_err_set(e, ECL_ENOMEM, "out of memory writing a manifest");
            data = m;
            n = strlen(m);
            name = "_MANIFEST.json";
            type = "application/json";
        } else {
            data = "";
            n = 0;
            name = "_SUCCESS";
            type = "application/octet-stream";
        }
        uint8_t d[32];
        char hex[65];
        ecl_sha256(data, n, d);
        ecl_hex(d, 32, hex);
        snprintf(key, sizeof key, "%s/%s", partition, name);
        ecl_put_opts po = {hex, type, true};
        ecl_put_result res;
        rc = sink->ops->put_bytes(sink, data, n, key, &po, &res, e);
        free(m);
    }
    return rc;
}

/* Builds dir atomically from files: temp sibling, manifest, _SUCCESS, swap. */
static int publish_dir(const char *dir, const char *partition, bool parquet, pub_file *files,
                       size_t nfiles, json_t *extra, bool durable, ecl_err *e)
{
    char parent[4096], tmp[4200];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (!slash)
        return ecl_err_set(e, ECL_EINVAL, "bad partition directory '%s'", dir);
    *slash = 0;
    if (ecl_mkdirs(parent, e))
        return e->code;
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp-%ld", parent, slash + 1, (long)getpid());
    remove_tree(tmp);
    if (mkdir(tmp, 0755) != 0)
        return ecl_err_errno(e, errno, "cannot create directory '%s'", tmp);
    int rc = 0;
    for (size_t i = 0; i < nfiles && !rc; i++)
        rc = write_one(tmp, files[i].name, files[i].data.data, files[i].data.len, durable, e);
    if (!rc) {
        char *m = manifest_json(partition, parquet, files, nfiles, extra);
        if (!m)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing a manifest");
        else {
            rc = write_one(tmp, "_MANIFEST.json", m, strlen(m), durable, e);
            free(m);
        }
    }
    if (!rc)
        rc = write_one(tmp, "_SUCCESS", "", 0, durable, e);
    if (!rc && durable)
        rc = ecl_fsync_dir(tmp, e);
    if (!rc) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_NOREPLACE) != 0) {
            if (errno == EEXIST && renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
                /* tmp now holds the previous version. */
            } else if (errno == EINVAL || errno == ENOSYS) {
                char old[4300];
                snprintf(old, sizeof old, "%s.old-%ld", tmp, (long)getpid());
                if (rename(dir, old) != 0 && errno != ENOENT)
                    rc = ecl_err_errno(e, errno, "cannot move '%s' aside", dir);
                else if (rename(tmp, dir) != 0)
                    rc = ecl_err_errno(e, errno, "cannot rename '%s' to '%s'", tmp, dir);
                remove_tree(old);
            } else {
                rc = ecl_err_errno(e, errno, "cannot rename '%s' to '%s'", tmp, dir);
            }
        }
        if (!rc && durable)
            rc = ecl_fsync_dir(parent, e);
    }
    remove_tree(tmp);
    return rc;
}

int ecl_resto_write_parquet(ecl_out *o, const ecl_batch *b, const char *table, uint64_t seed,
                            const char *timezone, ecl_err *e)
{
    char seed_s[24];
    snprintf(seed_s, sizeof seed_s, "%llu", (unsigned long long)seed);
    ecl_kv kv[] = {
        {"ecomlake.dataset", "restaurant"},
        {"ecomlake.table", table},
        {"ecomlake.seed", seed_s},
        {"ecomlake.timezone", timezone ? timezone : "America/Sao_Paulo"},
    };
    ecl_pq_opts po;
    ecl_pq_opts_default(&po);
    po.threads = 1; /* a window file is a few KiB: worker threads would cost more than they save */
    po.kv = kv;
    po.nkv = sizeof kv / sizeof kv[0];
    ecl_pq_writer *w = NULL;
    int rc = ecl_pq_writer_open(&w, o, b->schema, &po, e);
    if (!rc)
        rc = ecl_pq_writer_write(w, b, e);
    if (!rc)
        rc = ecl_pq_writer_finish(w, e);
    ecl_pq_writer_free(w);
    return rc;
}

/* Encodes table t's batch into f in the publisher's format; f->name gets the file name. */
static int format_batch(const ecl_resto_pub *p, pub_file *f, ecl_resto_table t, const ecl_batch *b,
                        ecl_err *e)
{
    ecl_out o;
    ecl_out_mem(&o, &f->data);
    snprintf(f->name, sizeof f->name, "%s.%s", ecl_resto_table_file(t), format_name(p->parquet));
    f->rows = b->nrows;
    return p->parquet ? ecl_resto_write_parquet(&o, b, ecl_resto_table_file(t), p->seed, p->timezone, e)
                      : ecl_resto_write_csv(&o, b, p->timezone, e);
}

void ecl_resto_window_path(const char *root, int32_t date, int unit, const ecl_resto_window *w,
                           char *out, size_t n)
{
    int y, m, d;
    ecl_civil_from_days(date, &y, &m, &d);
    snprintf(out, n, "%s/csv_sales/%04d/%02d/%02d/unit_%03d/%s", root, y, m, d, unit, w->tag);
}

int ecl_resto_publish_window(const ecl_resto_pub *p, int32_t date, const ecl_resto_window *w,
                             ecl_resto_pub_stats *st, ecl_err *e)
{
    ecl_batch ob, ib;
    if (ecl_batch_init(&ob, ecl_resto_schema(ECL_RESTO_PEDIDO)) ||
        ecl_batch_init(&ib, ecl_resto_schema(ECL_RESTO_ITEM_PEDIDO)))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_resto_gen g = {p->seed, p->timezone};
    const char *zone = p->timezone ? p->timezone : "America/Sao_Paulo";
    char date_s[11];
    ecl_date_format(date, date_s);
    int64_t t0, t1;
    int rc = ecl_resto_window_span(zone, date, w, &t0, &t1, e);
    for (int i = 0; i < p->nunits && !rc; i++) {
        if (ecl_cancelled()) {
            rc = ecl_err_set(e, ECL_EINTR, "interrupted before unit %d of window %s %s",
                             p->units[i].id, date_s, w->tag);
            break;
        }
        ecl_batch_clear(&ob);
        ecl_batch_clear(&ib);
        rc = ecl_resto_gen_window_span(&g, date, &p->units[i], w, t0, t1, &ob, &ib, e);
        pub_file files[2] = {{"", ECL_BUF_INIT, 0}, {"", ECL_BUF_INIT, 0}};
        if (!rc)
            rc = format_batch(p, &files[0], ECL_RESTO_PEDIDO, &ob, e);
        if (!rc)
            rc = format_batch(p, &files[1], ECL_RESTO_ITEM_PEDIDO, &ib, e);
        if (!rc) {
            char dir[4096], part[256];
            const char *root = p->sink ? "" : p->root;
            ecl_resto_window_path(root, date, p->units[i].id, w, dir, sizeof dir);
            snprintf(part, sizeof part, "%s", dir + strlen(root) + 1);
            json_t *x = json_object();
            json_object_set_new(x, "date", json_string(date_s));
            json_object_set_new(x, "window", json_string(w->tag));
            json_object_set_new(x, "unit", json_integer(p->units[i].id));
            json_object_set_new(x, "seed", json_integer((json_int_t)p->seed));
            json_object_set_new(x, "timezone", json_string(zone));
            if (ob.nrows > 0) {
                int64_t lo = ecl_col_i64(&ob.cols[8], 0), hi = ecl_col_i64(&ob.cols[8], ob.nrows - 1);
                json_object_set_new(x, "min_event_time_us", json_integer(lo));
                json_object_set_new(x, "max_event_time_us", json_integer(hi));
            }
            rc = p->sink ? publish_remote(p->sink, part, p->parquet, files, 2, x, e)
                         : publish_dir(dir, part, p->parquet, files, 2, x, p->durable, e);
            json_decref(x);
            if (!rc && st) {
                st->orders += ob.nrows;
                st->items += ib.nrows;
                st->files += 2;
                st->bytes += files[0].data.len + files[1].data.len;
                st->dirs++;
            }
        }
        ecl_buf_release(&files[0].data);
        ecl_buf_release(&files[1].data);
    }
    ecl_batch_release(&ob);
    ecl_batch_release(&ib);
    return rc;
}

int ecl_resto_publish_reference(const ecl_resto_pub *p, ecl_resto_pub_stats *st, ecl_err *e)
{
    static const ecl_resto_table tabs[4] = {ECL_RESTO_PRODUTO, ECL_RESTO_UNIDADE, ECL_RESTO_ESTADO,
                                            ECL_RESTO_PAIS};
    pub_file files[4];
    int rc = 0;
    for (int i = 0; i < 4; i++) {
        files[i].name[0] = 0;
        ecl_buf_init(&files[i].data, 0);
        files[i].rows = 0;
    }
    for (int i = 0; i < 4 && !rc; i++) {
        ecl_batch b;
        if (ecl_batch_init(&b, ecl_resto_schema(tabs[i])))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
        rc = ecl_resto_gen_reference(tabs[i], p->units, p->nunits, &b, e);
        if (!rc)
            rc = format_batch(p, &files[i], tabs[i], &b, e);
        ecl_batch_release(&b);
    }
    if (!rc) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/reference_data", p->root);
        json_t *x = json_object();
        json_object_set_new(x, "units", json_integer(p->nunits));
        rc = p->sink ? publish_remote(p->sink, "reference_data", p->parquet, files, 4, x, e)
                     : publish_dir(dir, "reference_data", p->parquet, files, 4, x, p->durable, e);
        json_decref(x);
        if (!rc && st) {
            for (int i = 0; i < 4; i++)
                st->bytes += files[i].data.len;
            st->files += 4;
        }
    }
    for (int i = 0; i < 4; i++)
        ecl_buf_release(&files[i].data);
    return rc;
}
