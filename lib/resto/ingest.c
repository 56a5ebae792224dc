/* ingest.c - landed restaurant files -> bronze warehouse (see ingest.h). */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../buf.h"
#include "../cancel.h"
#include "../column.h"
#include "../hash.h"
#include "../io.h"
#include "../log.h"
#include "../sink.h"
#include "validate.h"

enum { DEFAULT_MAX_SIZE = 10 * 1024 * 1024, DEFAULT_BATCH = 64, TX_ATTEMPTS = 5 };

/* ---- scanning the source ---- */

/* A window's two files, as CSV ([0]) or as Parquet ([1], `window --format parquet`). A directory
 * holding both forms of one file loads the CSV (a republished window replaces its directory, so
 * both exist only when placed there by hand). */
static const char *const sales_names[2][2] = {{"pedido.csv", "item_pedido.csv"},
                                              {"pedido.parquet", "item_pedido.parquet"}};

/* A window directory that needs work: some file is new or changed (or --rehash). */
typedef struct win_dir {
    size_t rel_off;   /* into scan.rels: "csv_sales/2026/02/01/unit_001/window_1214" */
    bool has[2];      /* pedido, item_pedido */
    bool pq[2];       /* ... as .parquet rather than .csv */
    char keys[2][96]; /* their stat keys (or object identities) taken during the scan; "" unknown */
} win_dir;

typedef struct scan {
    win_dir *dirs;
    size_t n, cap;
    ecl_buf rels;
    bool ref[4], ref_pq[4];
    char ref_keys[4][96];
    uint64_t other_files, uncommitted;
} scan;

static const char *sales_name(int k, bool pq) { return sales_names[pq][k]; }

/* A window file's slot (0 pedido, 1 item_pedido) + 2 when it is the Parquet form; -1 otherwise. */
static int sales_kind(const char *name)
{
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < 2; k++)
            if (strcmp(name, sales_names[f][k]) == 0)
                return k + 2 * f;
    return -1;
}

/* ".csv" or ".parquet" at the end of name: 1 CSV, 2 Parquet, 0 neither. */
static int data_ext(const char *name)
{
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".csv") == 0)
        return 1;
    if (n > 8 && strcmp(name + n - 8, ".parquet") == 0)
        return 2;
    return 0;
}

static const char *const ref_kinds[4] = {"produto", "unidade", "estado", "pais"};
static const ecl_wh_table ref_tables[4] = {ECL_WH_PRODUCTS, ECL_WH_UNITS, ECL_WH_STATES, ECL_WH_COUNTRIES};

static const char *dir_rel(const scan *s, const win_dir *d) { return (const char *)s->rels.data + d->rel_off; }

/* Decimal digits of v at p, zero-padded to width; returns the end. */
static char *put_u64(char *p, uint64_t v, int width)
{
    char tmp[24];
    int n = 0;
    do
        tmp[n++] = (char)('0' + v % 10);
    while ((v /= 10) > 0);
    while (n < width)
        tmp[n++] = '0';
    while (n > 0)
        *p++ = tmp[--n];
    return p;
}

static char *put_i64(char *p, int64_t v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, (uint64_t)0 - (uint64_t)v, 0);
    }
    return put_u64(p, (uint64_t)v, 0);
}

/* "size:mtime_s.ns:ctime_s.ns:inode": the stat data recorded with a file's hash (formatted by hand:
 * a re-ingest formats one per file). */
static void stat_key(const struct stat *st, char out[96])
{
    char *p = put_i64(out, (int64_t)st->st_size);
    *p++ = ':';
    p = put_i64(p, (int64_t)st->st_mtim.tv_sec);
    *p++ = '.';
    p = put_u64(p, (uint64_t)st->st_mtim.tv_nsec, 9);
    *p++ = ':';
    p = put_i64(p, (int64_t)st->st_ctim.tv_sec);
    *p++ = '.';
    p = put_u64(p, (uint64_t)st->st_ctim.tv_nsec, 9);
    *p++ = ':';
    p = put_u64(p, (uint64_t)st->st_ino, 0);
    *p = 0;
}

/* Do all the window's files carry the stat key (or object identity) the ledger recorded with their
 * hash? Then the window is unchanged: counted and dropped, so an unchanged lake costs a stat and a
 * hash-table lookup per file, with no read and no SQL. */
static bool window_unchanged(const ecl_wh *w, const char *rel, size_t len, const bool has[2], const bool pq[2],
                             char keys[2][96], int *nfiles)
{
    char path[4200];
    int n = 0, same = 0;
    memcpy(path, rel, len);
    path[len] = '/';
    for (int k = 0; k < 2; k++) {
        if (!has[k])
            continue;
        const char *name = sales_name(k, pq[k]);
        size_t nl = strlen(name);
        memcpy(path + len + 1, name, nl);
        n++;
        same += keys[k][0] && ecl_wh_ledger_stat_same(w, path, len + 1 + nl, keys[k]);
    }
    *nfiles = n;
    return n > 0 && same == n;
}

/* Records a window directory found by a scan (filtered by scan_filter once the ledger is loaded). */
static int scan_window(scan *s, const char *rel, size_t len, const bool has[2], const bool pq[2],
                       char keys[2][96], ecl_err *e)
{
    if (ecl_array_grow((void **)&s->dirs, &s->cap, s->n, sizeof *s->dirs))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory scanning the source");
    win_dir *d = &s->dirs[s->n];
    d->rel_off = s->rels.len;
    ecl_buf_append(&s->rels, rel, len);
    ecl_buf_putc(&s->rels, 0);
    if (ecl_buf_oom(&s->rels))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory scanning the source");
    memcpy(d->has, has, sizeof d->has);
    memcpy(d->pq, pq, sizeof d->pq);
    memcpy(d->keys, keys, sizeof d->keys);
    s->n++;
    return 0;
}

/* Keeps the windows with a new or changed file (all of them under rehash). */
static void scan_filter(const ecl_wh *w, bool rehash, scan *s, ecl_resto_ingest_stats *st)
{
    size_t out = 0;
    for (size_t i = 0; i < s->n; i++) {
        win_dir *d = &s->dirs[i];
        int n;
        const char *rel = dir_rel(s, d);
        if (!rehash && window_unchanged(w, rel, strlen(rel), d->has, d->pq, d->keys, &n)) {
            st->files_seen += (uint64_t)n;
            st->files_skipped += (uint64_t)n;
            continue;
        }
        s->dirs[out++] = *d;
    }
    s->n = out;
}

static void scan_release(scan *s)
{
    free(s->dirs);
    ecl_buf_release(&s->rels);
}

/* ---- the local walk ---- */

/* Walks the tree with one open directory per level (openat on the parent's descriptor, getdents64,
 * fstatat by name): no path rebuilt per level, no stat of directories (d_type), and no per-entry
 * allocation (the entries of the directories on the current path live in two stacks). */
typedef struct walker {
    scan *s;
    const char *root;
    const char *quarantine_rel; /* the quarantine directory when it lies inside the walk, else NULL */
    char rel[4096];
    size_t len;
    ecl_buf names; /* per entry: d_type byte, name, NUL */
    ecl_buf order; /* per entry: its offset in names (size_t), sorted by name per directory */
    char *dents;
} walker;

enum { DENTS_SIZE = 32768 };

static int cmp_name_off(const void *a, const void *b, void *base)
{
    const char *n = base;
    return strcmp(n + *(const size_t *)a + 1, n + *(const size_t *)b + 1);
}

/* "window_HHHH": a leaf of the layout, probed by name instead of read. */
static bool is_window_name(const char *name)
{
    if (strncmp(name, "window_", 7) != 0)
        return false;
    for (int i = 7; i < 11; i++)
        if (name[i] < '0' || name[i] > '9')
            return false;
    return name[11] == 0;
}

static bool push_rel(walker *wk, const char *name)
{
    size_t nl = strlen(name);
    if (wk->len + 1 + nl >= sizeof wk->rel)
        return false;
    wk->rel[wk->len] = '/';
    memcpy(wk->rel + wk->len + 1, name, nl + 1);
    wk->len += 1 + nl;
    return true;
}

static void pop_rel(walker *wk, size_t len)
{
    wk->len = len;
    wk->rel[len] = 0;
}

/* Stats NAME/pedido.csv and NAME/item_pedido.csv relative to the open parent (each, when absent, as
 * .parquet): two system calls for a CSV window instead of open, read and close of its directory.
 * Returns 1 when the directory was taken as a window, 0 when it holds neither file as a regular file
 * (then it is walked like any other). */
static int probe_window(walker *wk, int dfd, const char *name, ecl_err *e)
{
    bool has[2] = {false, false}, pq[2] = {false, false};
    char keys[2][96] = {"", ""};
    size_t nl = strlen(name);
    for (int k = 0; k < 2; k++) {
        for (int f = 0; f < 2 && !has[k]; f++) {
            char p[300];
            const char *file = sales_name(k, f == 1);
            size_t fl = strlen(file);
            memcpy(p, name, nl);
            p[nl] = '/';
            memcpy(p + nl + 1, file, fl + 1);
            struct stat st;
            if (fstatat(dfd, p, &st, 0) == 0) {
                if (!S_ISREG(st.st_mode))
                    return 0;
                has[k] = true;
                stat_key(&st, keys[k]);
            } else if (errno != ENOENT) {
                has[k] = true; /* unreadable: the load reports why */
            }
            pq[k] = has[k] && f == 1;
        }
    }
    if (!has[0] && !has[1])
        return 0;
    int rc = scan_window(wk->s, wk->rel, wk->len, has, pq, keys, e);
    return rc ? -rc : 1;
}

/* Reads the entries of an open directory onto the stacks, sorted; returns their count. */
static int read_entries(walker *wk, int dfd, size_t *count, ecl_err *e)
{
    size_t order_base = wk->order.len;
    for (;;) {
        ssize_t got = getdents64(dfd, wk->dents, DENTS_SIZE);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return ecl_err_errno(e, errno, "cannot read directory '%s/%s'", wk->root, wk->rel);
        if (got == 0)
            break;
        for (ssize_t off = 0; off < got;) {
            const struct dirent64 *d = (const struct dirent64 *)(wk->dents + off);
            off += d->d_reclen;
            /* ".", "..", and unfinished publishes (".window_1214.tmp-123") */
            if (d->d_name[0] == '.')
                continue;
            size_t at = wk->names.len;
            ecl_buf_putc(&wk->names, d->d_type);
            ecl_buf_append(&wk->names, d->d_name, strlen(d->d_name) + 1);
            ecl_buf_append(&wk->order, &at, sizeof at);
        }
    }
    if (ecl_buf_oom(&wk->names) || ecl_buf_oom(&wk->order))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory scanning '%s/%s'", wk->root, wk->rel);
    *count = (wk->order.len - order_base) / sizeof(size_t);
    qsort_r(wk->order.data + order_base, *count, sizeof(size_t), cmp_name_off, wk->names.data);
    return 0;
}

/* Walks the open directory dfd (at wk->rel); a directory holding pedido.csv or item_pedido.csv is a
 * window. */
static int walk_dir(walker *wk, int dfd, ecl_err *e)
{
    size_t names_base = wk->names.len, order_base = wk->order.len, len = wk->len, count = 0;
    int rc = read_entries(wk, dfd, &count, e);
    bool has[2] = {false, false}, pq[2] = {false, false};
    char keys[2][96] = {"", ""};
    for (size_t i = 0; i < count && !rc; i++) {
        size_t off;
        memcpy(&off, wk->order.data + order_base + i * sizeof off, sizeof off);
        /* names may move when a subdirectory's entries are pushed: copy what we need first */
        char name[256];
        unsigned char type = wk->names.data[off];
        size_t nl = strlen((const char *)wk->names.data + off + 1);
        memcpy(name, wk->names.data + off + 1, nl < sizeof name ? nl + 1 : 0);
        if (nl >= sizeof name)
            continue;
        if (type == DT_UNKNOWN || type == DT_LNK) {
            struct stat st;
            if (fstatat(dfd, name, &st, 0) != 0)
                continue; /* vanished (moved by a concurrent ingest) */
            type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
        }
        if (type == DT_DIR) {
            if (!push_rel(wk, name)) {
                rc = ecl_err_set(e, ECL_EINVAL, "path too long under '%s/%s'", wk->root, wk->rel);
                break;
            }
            if (!(wk->quarantine_rel && strcmp(wk->rel, wk->quarantine_rel) == 0)) {
                int taken = is_window_name(name) ? probe_window(wk, dfd, name, e) : 0;
                if (taken < 0)
                    rc = -taken;
                else if (!taken) {
                    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                    if (sub >= 0) {
                        rc = walk_dir(wk, sub, e);
                        close(sub);
                    } else if (errno != ENOENT)
                        rc = ecl_err_errno(e, errno, "cannot read directory '%s/%s'", wk->root, wk->rel);
                }
            }
            pop_rel(wk, len);
        } else if (sales_kind(name) >= 0) {
            int k = sales_kind(name) & 1;
            bool is_pq = sales_kind(name) >> 1;
            if (has[k]) { /* names are sorted: the .csv came first and wins */
                ecl_log(ECL_LOG_WARN, wk->rel, "skipped '%s': the directory also holds '%s'", name,
                        sales_name(k, false));
                continue;
            }
            struct stat st;
            if (fstatat(dfd, name, &st, 0) == 0)
                stat_key(&st, keys[k]);
            has[k] = true;
            pq[k] = is_pq;
        } else if (data_ext(name)) {
            ecl_log(ECL_LOG_DEBUG, wk->rel, "skipped '%s': unknown file type", name);
            wk->s->other_files++;
        }
    }
    wk->names.len = names_base;
    wk->order.len = order_base;
    if (!rc && (has[0] || has[1]))
        rc = scan_window(wk->s, wk->rel, wk->len, has, pq, keys, e);
    return rc;
}

/* Scans ROOT/csv_sales (when present) into s. */
static int walk_local(const char *root, const char *quarantine, scan *s, ecl_err *e)
{
    walker wk = {.s = s, .root = root};
    size_t rl = strlen(root);
    if (strncmp(quarantine, root, rl) == 0 && quarantine[rl] == '/')
        wk.quarantine_rel = quarantine + rl + 1;
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ecl_err_errno(e, errno, "cannot read source '%s'", root);
    int dfd = openat(fd, "csv_sales", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(fd);
    if (dfd < 0)
        return errno == ENOENT ? 0 : ecl_err_errno(e, errno, "cannot read directory '%s/csv_sales'", root);
    ecl_buf_init(&wk.names, 0);
    ecl_buf_init(&wk.order, 0);
    int rc = 0;
    if (!(wk.dents = malloc(DENTS_SIZE)))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory scanning '%s'", root);
    memcpy(wk.rel, "csv_sales", 10);
    wk.len = 9;
    if (!rc)
        rc = walk_dir(&wk, dfd, e);
    close(dfd);
    free(wk.dents);
    ecl_buf_release(&wk.names);
    ecl_buf_release(&wk.order);
    return rc;
}

/* ---- the remote listing ---- */

/* One listed object that matters: a sales file or a commit marker. */
typedef struct listed {
    size_t key_off; /* into lister.keys */
    size_t dir_len; /* the key's directory part */
    int kind;       /* 0 pedido, 1 item_pedido, 2 _SUCCESS */
    bool pq;        /* the .parquet form */
    char ident[96];
} listed;

typedef struct lister {
    listed *v;
    size_t n, cap;
    ecl_buf keys;
    const char *quarantine;
    size_t qlen;
    scan *s;
    bool ref_success, oom;
} lister;

/* "obj:SIZE:ETAG" (or the MD5/CRC32C when the store gives no ETag): what a listing says about an
 * object's bytes, recorded in the ledger like a local file's stat data. */
static void obj_ident(const ecl_obj_info *in, char out[96])
{
    const char *tag = in->etag[0]        ? in->etag
                      : in->md5_hex[0]    ? in->md5_hex
                      : in->crc32c_b64[0] ? in->crc32c_b64
                                          : in->sha256_hex;
    memcpy(out, "obj:", 4);
    char *p = put_u64(out + 4, in->size, 0);
    *p++ = ':';
    size_t room = (size_t)(out + 95 - p), n = strlen(tag);
    if (!tag[0]) {
        out[0] = 0; /* no identity: always read and hash */
        return;
    }
    memcpy(p, tag, n < room ? n : room);
    p[n < room ? n : room] = 0;
}

static int on_listed(const char *key, const ecl_obj_info *info, void *ctx)
{
    lister *l = ctx;
    if (l->qlen && strncmp(key, l->quarantine, l->qlen) == 0 && key[l->qlen] == '/')
        return 0;
    if (key[0] == '.' || strstr(key, "/.")) /* hidden, as in a local walk */
        return 0;
    const char *slash = strrchr(key, '/');
    const char *name = slash ? slash + 1 : key;
    size_t dir_len = slash ? (size_t)(slash - key) : 0;
    if (dir_len == 14 && strncmp(key, "reference_data", 14) == 0) {
        for (int k = 0; k < 4; k++) {
            size_t kl = strlen(ref_kinds[k]);
            if (strncmp(name, ref_kinds[k], kl) != 0)
                continue;
            bool csv = strcmp(name + kl, ".csv") == 0, pq = strcmp(name + kl, ".parquet") == 0;
            /* the CSV wins when both forms exist (see sales_names) */
            if (csv || (pq && !(l->s->ref[k] && !l->s->ref_pq[k]))) {
                l->s->ref[k] = true;
                l->s->ref_pq[k] = pq;
                obj_ident(info, l->s->ref_keys[k]);
            }
        }
        l->ref_success |= strcmp(name, "_SUCCESS") == 0;
        return 0;
    }
    int sk = sales_kind(name);
    int kind = sk >= 0 ? sk & 1 : strcmp(name, "_SUCCESS") == 0 ? 2 : -1;
    if (kind < 0) {
        if (data_ext(name)) {
            ecl_log(ECL_LOG_DEBUG, key, "skipped: unknown file type");
            l->s->other_files++;
        }
        return 0;
    }
    if (ecl_array_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v)) {
        l->oom = true;
        return 1;
    }
    listed *x = &l->v[l->n++];
    x->key_off = l->keys.len;
    x->dir_len = dir_len;
    x->kind = kind;
    x->pq = sk >= 2;
    obj_ident(info, x->ident);
    ecl_buf_append(&l->keys, key, strlen(key) + 1);
    return 0;
}

static int cmp_listed(const void *a, const void *b, void *keys)
{
    const listed *x = a, *y = b;
    const char *kx = (const char *)keys + x->key_off, *ky = (const char *)keys + y->key_off;
    size_t n = x->dir_len < y->dir_len ? x->dir_len : y->dir_len;
    int c = memcmp(kx, ky, n);
    if (c)
        return c;
    if (x->dir_len != y->dir_len)
        return x->dir_len < y->dir_len ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind - y->kind;
    return (int)x->pq - (int)y->pq;
}

/* Lists reference_data/ and csv_sales/ (the sink pages through the listing) and groups the objects
 * by directory. Objects are uploaded one by one, so a window is complete only once its _SUCCESS
 * exists (`window` writes it last); uncommitted windows are left for a later run unless
 * commit_check is off (for landing zones without markers, such as the original generators'). */
static int list_remote(ecl_sink *sink, const ecl_resto_ingest_opts *o, const char *quarantine, scan *s,
                       ecl_err *e)
{
    lister l = {.quarantine = quarantine, .qlen = strlen(quarantine), .s = s};
    ecl_buf_init(&l.keys, 0);
    int rc = sink->ops->list(sink, "reference_data/", on_listed, &l, e);
    if (!rc)
        rc = sink->ops->list(sink, "csv_sales/", on_listed, &l, e);
    if (!rc && (l.oom || ecl_buf_oom(&l.keys)))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory listing '%s'", sink->url);
    if (!rc && !o->no_commit_check && !l.ref_success && (s->ref[0] || s->ref[1] || s->ref[2] || s->ref[3])) {
        ecl_log(ECL_LOG_WARN, "reference_data", "no _SUCCESS yet: not committed, left for a later run");
        memset(s->ref, 0, sizeof s->ref);
        s->uncommitted++;
    }
    if (!rc)
        qsort_r(l.v, l.n, sizeof *l.v, cmp_listed, l.keys.data);
    for (size_t i = 0; i < l.n && !rc;) {
        size_t j = i;
        bool has[3] = {false, false, false}, pq[2] = {false, false};
        char keys[2][96] = {"", ""};
        const char *dir = (const char *)l.keys.data + l.v[i].key_off;
        size_t dl = l.v[i].dir_len;
        for (; j < l.n && l.v[j].dir_len == dl && memcmp(dir, l.keys.data + l.v[j].key_off, dl) == 0; j++) {
            int k = l.v[j].kind;
            if (k < 2 && has[k]) { /* sorted: the .csv came first and wins */
                ecl_log(ECL_LOG_WARN, dir, "skipped '%s': the directory also holds '%s'",
                        sales_name(k, true), sales_name(k, false));
                continue;
            }
            has[k] = true;
            if (k < 2) {
                pq[k] = l.v[j].pq;
                memcpy(keys[k], l.v[j].ident, sizeof keys[0]);
            }
        }
        i = j;
        if (!has[0] && !has[1])
            continue;
        if (!o->no_commit_check && !has[2]) {
            ecl_log(ECL_LOG_INFO, dir, "no _SUCCESS yet: window not committed, left for a later run");
            s->uncommitted++;
            continue;
        }
        rc = scan_window(s, dir, dl, has, pq, keys, e);
    }
    free(l.v);
    ecl_buf_release(&l.keys);
    return rc;
}

/* ---- one source file in memory ---- */

typedef struct src_file {
    char stat_key[96];
    bool read; /* bytes were read (not skipped on the stat key) */
    bool known; /* the ledger has seen this path: it may have rows to replace */
    char rel[4096];
    char abs[4200];
    bool present;
    bool too_big;
    bool unchanged;
    uint64_t size;
    char sha[65];
    ecl_buf data;
    bool pq;             /* a Parquet file: validated as its CSV rendering, text */
    ecl_buf text;
    ecl_resto_pq_bad bad; /* bad.rule set: the Parquet file is unusable */
} src_file;

/* ---- shared run state ---- */

typedef struct run {
    ecl_wh *w;
    const ecl_resto_ingest_opts *o;
    ecl_resto_ingest_stats *st;
    ecl_sink *sink; /* remote source (s3://, gs://), or NULL for a local directory */
    char now[40], today[11];
    char quarantine[4096]; /* local directory, or key prefix in the source bucket */
    ecl_resto_refs refs;
    int64_t *units, *products;
    size_t nunits, nproducts;
    bool pg;
} run;

/* Unchanged stat data (or object identity) -> the ledger's hash is still the file's hash. */
static bool ident_unchanged(const run *r, const char *rel, const char *ident)
{
    return !r->o->rehash && ident[0] && ecl_wh_ledger_stat_same(r->w, rel, strlen(rel), ident);
}

static void src_reset(run *r, src_file *f, const char *rel)
{
    snprintf(f->rel, sizeof f->rel, "%s", rel);
    snprintf(f->abs, sizeof f->abs, "%s/%s", r->o->source, rel);
    f->present = false;
    f->too_big = false;
    f->unchanged = false;
    f->known = false;
    f->pq = data_ext(rel) == 2;
    f->bad.rule = NULL;
    ecl_buf_clear(&f->data);
    ecl_buf_clear(&f->text);
}

/* Renders a Parquet file's rows into f->text (see ecl_resto_parquet_render), once it is known to
 * need loading; an unusable file gets f->bad. */
static int render_parquet(run *r, src_file *f, ecl_resto_table t, ecl_err *e)
{
    if (!f->pq || !f->present || f->too_big)
        return 0;
    return ecl_resto_parquet_render(t, f->data.data, f->data.len, r->o->timezone, &f->text, &f->bad, e);
}

/* The bytes the validation reads: the file, or a Parquet file's rendering. */
static const ecl_buf *src_text(const src_file *f) { return f->pq ? &f->text : &f->data; }

/* The file cannot be validated row by row (over the size limit, or an unusable Parquet file). */
static bool src_unusable(const src_file *f) { return f->present && (f->too_big || f->bad.rule); }

static int add_bad(ecl_resto_problems *pr, const src_file *f)
{
    return ecl_resto_problem_add(pr, f->rel, 0, f->bad.column[0] ? f->bad.column : NULL, f->bad.rule, "%s",
                                 f->bad.message);
}

static void src_hash(src_file *f)
{
    uint8_t d[32];
    ecl_sha256(f->data.data, f->data.len, d);
    ecl_hex(d, 32, f->sha);
    f->size = f->data.len;
    f->present = true;
}

/* Downloads an object whole (an oversized one too: its hash identifies it in the ledger and its bytes
 * go to quarantine). The identity taken from the listing is what the ledger records. */
static int load_object(run *r, src_file *f, const char *rel, const char *ident, ecl_err *e)
{
    src_reset(r, f, rel);
    ecl_err ge = ECL_ERR_INIT;
    int rc = r->sink->ops->get(r->sink, rel, &f->data, &ge);
    if (rc == ECL_ENOTFOUND)
        return ECL_ENOTFOUND; /* deleted since the listing (quarantined by a concurrent run) */
    if (rc) {
        *e = ge;
        return rc;
    }
    snprintf(f->stat_key, sizeof f->stat_key, "%s", ident);
    f->read = true;
    src_hash(f);
    f->too_big = f->size > r->o->max_file_size;
    return 0;
}

/* Reads (unless over the limit) and hashes a file. ECL_ENOTFOUND if it vanished. */
static int load_file(run *r, src_file *f, const char *rel, const char *ident, ecl_err *e)
{
    if (r->sink)
        return load_object(r, f, rel, ident, e);
    (void)ident; /* a local file's stat key is taken again below */
    uint64_t max = r->o->max_file_size;
    src_reset(r, f, rel);
    /* The stat key recorded is taken from the open descriptor, so it describes the bytes read. */
    int fd = open(f->abs, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? ECL_ENOTFOUND : ecl_err_errno(e, errno, "cannot open '%s'", f->abs);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int err = errno;
        close(fd);
        return ecl_err_errno(e, err, "cannot stat '%s'", f->abs);
    }
    f->size = (uint64_t)st.st_size;
    stat_key(&st, f->stat_key);
    f->read = true;
    if (f->size > max) {
        close(fd);
        f->too_big = true;
        if (ecl_sha256_file(f->abs, f->sha, &f->size, e))
            return e->code;
        f->present = true;
        return 0;
    }
    int rc = 0;
    for (;;) {
        if (ecl_buf_grow(&f->data, (size_t)f->size + 1)) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading '%s'", f->abs);
            break;
        }
        ssize_t got = read(fd, f->data.data + f->data.len, f->data.cap - f->data.len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = ecl_err_errno(e, errno, "cannot read '%s'", f->abs);
            break;
        }
        if (got == 0)
            break;
        ecl_buf_setlen(&f->data, f->data.len + (size_t)got);
    }
    close(fd);
    if (rc)
        return rc;
    src_hash(f);
    return 0;
}

static bool same_as_ledger(run *r, const src_file *f)
{
    ecl_wh_entry en;
    return ecl_wh_ledger_cached(r->w, f->rel, &en) && strcmp(en.sha256, f->sha) == 0;
}

static int add_rejects(run *r, const ecl_resto_problems *pr, const char *file, ecl_err *e)
{
    for (size_t i = 0; i < pr->n; i++) {
        const ecl_resto_problem *p = &pr->v[i];
        if (strcmp(p->file, file) != 0)
            continue;
        char line[24];
        snprintf(line, sizeof line, "%llu", (unsigned long long)p->line);
        const char *vals[6] = {p->file, p->line ? line : NULL, p->column, p->rule, p->message, r->now};
        if (ecl_wh_load_row(r->w, vals, e))
            return e->code;
    }
    return 0;
}

static size_t count_problems(const ecl_resto_problems *pr, const char *file)
{
    size_t n = 0;
    for (size_t i = 0; i < pr->n; i++)
        n += strcmp(pr->v[i].file, file) == 0;
    return n;
}

/* The length of path without its extension (".csv", ".parquet"): NAME_error.json goes beside it. */
static int stem_len(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');
    return (int)(dot && (!slash || dot > slash) ? dot - path : (ptrdiff_t)strlen(path));
}

/* quarantine/<path without its leading csv_sales/> */
static void quarantine_path(run *r, const char *rel, char *out, size_t n)
{
    const char *tail = strncmp(rel, "csv_sales/", 10) == 0 ? rel + 10 : rel;
    snprintf(out, n, "%s/%s", r->quarantine, tail);
}

/* The NAME_error.json report of a quarantined file (malloc'd text, NULL when out of memory). */
static char *error_json(run *r, const src_file *f, const ecl_resto_problems *pr, uint64_t rows_total)
{
    json_t *j = json_object(), *arr = json_array(), *rules = json_object();
    const char *first = NULL;
    size_t n = 0;
    for (size_t i = 0; i < pr->n; i++) {
        const ecl_resto_problem *p = &pr->v[i];
        if (strcmp(p->file, f->rel) != 0)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(p->file));
        json_object_set_new(o, "line", p->line ? json_integer((json_int_t)p->line) : json_null());
        json_object_set_new(o, "column", p->column ? json_string(p->column) : json_null());
        json_object_set_new(o, "rule", json_string(p->rule));
        json_object_set_new(o, "message", json_string(p->message));
        json_array_append_new(arr, o);
        json_t *c = json_object_get(rules, p->rule);
        json_object_set_new(rules, p->rule, json_integer(c ? json_integer_value(c) + 1 : 1));
        if (!first)
            first = p->message;
        n++;
    }
    char summary[700];
    snprintf(summary, sizeof summary, "No valid rows after validation: %zu problem%s; first: %s", n,
             n == 1 ? "" : "s", first ? first : "");
    json_object_set_new(j, "source_file", json_string(f->rel));
    json_object_set_new(j, "error", json_string(summary));
    json_object_set_new(j, "timestamp", json_string(r->now));
    json_object_set_new(j, "sha256", json_string(f->sha));
    json_object_set_new(j, "size_bytes", json_integer((json_int_t)f->size));
    json_object_set_new(j, "rows_total", json_integer((json_int_t)rows_total));
    json_object_set_new(j, "rows_valid", json_integer(0));
    json_object_set_new(j, "rules", rules);
    json_object_set_new(j, "problems", arr);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

/* Object storage has no rename: the report and a copy of the object go under the quarantine prefix of
 * the same bucket, then the original is deleted (as the original csv-processor did on GCS), so the
 * landing prefix holds only files still to load and a re-run does not meet the bad file again. */
static int quarantine_object(run *r, const src_file *f, const char *dest, const char *report, ecl_err *e)
{
    char rkey[4300];
    snprintf(rkey, sizeof rkey, "%.*s_error.json", stem_len(dest), dest);
    ecl_put_opts po = {NULL, "application/json", false};
    ecl_put_result res;
    if (r->sink->ops->put_bytes(r->sink, report, strlen(report), rkey, &po, &res, e))
        return e->code;
    uint8_t d[32];
    char hex[65];
    ecl_sha256(f->data.data, f->data.len, d);
    ecl_hex(d, 32, hex);
    po = (ecl_put_opts){hex, data_ext(dest) == 2 ? "application/vnd.apache.parquet" : "text/csv", false};
    if (r->sink->ops->put_bytes(r->sink, f->data.data, f->data.len, dest, &po, &res, e))
        return e->code;
    return r->sink->ops->del(r->sink, f->rel, e);
}

static int quarantine_local(const src_file *f, const char *dest, const char *report, ecl_err *e)
{
    char dir[4300], rpath[4300];
    snprintf(dir, sizeof dir, "%s", dest);
    *strrchr(dir, '/') = 0;
    if (ecl_mkdirs(dir, e))
        return e->code;
    snprintf(rpath, sizeof rpath, "%.*s_error.json", stem_len(dest), dest);
    if (ecl_write_file_atomic(rpath, report, strlen(report), e))
        return e->code;
    if (rename(f->abs, dest) == 0 || errno == ENOENT)
        return 0;
    if (errno != EXDEV)
        return ecl_err_errno(e, errno, "cannot move '%s' to '%s'", f->abs, dest);
    /* another file system: copy durably, then remove the original (an oversized file was not read) */
    ecl_buf all = ECL_BUF_INIT;
    const ecl_buf *bytes = &f->data;
    if (f->too_big) {
        if (ecl_read_file(f->abs, &all, 0, e)) {
            ecl_buf_release(&all);
            return e->code;
        }
        bytes = &all;
    }
    int rc = ecl_write_file_atomic(dest, bytes->data, bytes->len, e);
    ecl_buf_release(&all);
    if (!rc && unlink(f->abs) != 0 && errno != ENOENT)
        rc = ecl_err_errno(e, errno, "cannot remove '%s'", f->abs);
    return rc;
}

/* Moves a file to quarantine with its error report; a file already gone was moved by another run. */
static int quarantine_file(run *r, const src_file *f, const ecl_resto_problems *pr, uint64_t rows_total,
                           ecl_err *e)
{
    char dest[4300];
    quarantine_path(r, f->rel, dest, sizeof dest);
    char *report = error_json(r, f, pr, rows_total);
    if (!report)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory writing an error report");
    int rc = r->sink ? quarantine_object(r, f, dest, report, e) : quarantine_local(f, dest, report, e);
    free(report);
    if (rc)
        return rc;
    size_t np = count_problems(pr, f->rel);
    ecl_log(ECL_LOG_WARN, f->rel, "quarantined: %zu problem%s (see %s%s%s)", np, np == 1 ? "" : "s",
            r->sink ? r->sink->url : "", r->sink ? "/" : "", dest);
    return 0;
}

static void fmt_money(char out[32], int64_t cents)
{
    snprintf(out, 32, "%s%lld.%02lld", cents < 0 ? "-" : "", (long long)(cents < 0 ? -cents : cents) / 100,
             (long long)(cents < 0 ? -cents : cents) % 100);
}

/* ---- reference data ---- */

static int ingest_reference(run *r, const scan *s, ecl_err *e)
{
    src_file f[4];
    ecl_resto_ref_out out[4];
    bool work[4] = {false}, quarantine[4] = {false};
    memset(out, 0, sizeof out);
    for (int k = 0; k < 4; k++)
        ecl_buf_init(&f[k].data, 0), ecl_buf_init(&f[k].text, 0);
    int rc = 0;
    bool any = false;
    for (int k = 0; k < 4 && !rc; k++) {
        if (!s->ref[k])
            continue;
        char rel[64];
        snprintf(rel, sizeof rel, "reference_data/%s.%s", ref_kinds[k], s->ref_pq[k] ? "parquet" : "csv");
        if (ident_unchanged(r, rel, s->ref_keys[k])) {
            r->st->files_seen++;
            r->st->files_skipped++;
            continue;
        }
        rc = load_file(r, &f[k], rel, s->ref_keys[k], e);
        if (rc == ECL_ENOTFOUND) {
            rc = 0;
            continue;
        }
        if (rc)
            break;
        r->st->files_seen++;
        r->st->bytes_read += f[k].size;
        if (same_as_ledger(r, &f[k])) {
            r->st->files_skipped++;
            continue;
        }
        if (f[k].too_big)
            rc = ecl_resto_problem_add(&out[k].problems, rel, 0, NULL, "size_limit",
                                       "file exceeds the %llu-byte limit (%llu bytes)",
                                       (unsigned long long)r->o->max_file_size, (unsigned long long)f[k].size);
        else if (!(rc = render_parquet(r, &f[k], ECL_RESTO_PRODUTO + k, e)) && f[k].bad.rule)
            rc = add_bad(&out[k].problems, &f[k]) ? ecl_err_set(e, ECL_ENOMEM, "out of memory") : 0;
        else if (!rc)
            rc = ecl_resto_validate_reference(ref_kinds[k], rel, src_text(&f[k])->data, src_text(&f[k])->len,
                                              &out[k], e);
        if (rc)
            break;
        work[k] = any = true;
        quarantine[k] = out[k].nrows == 0 && out[k].problems.n > 0;
    }
    if (!rc && any && !r->o->dry_run) {
        for (int attempt = 1;; attempt++) {
            ecl_err te = ECL_ERR_INIT;
            rc = ecl_wh_begin(r->w, &te);
            /* SQLite: re-check under the write lock (see commit_batch). */
            for (int k = 0; k < 4 && !rc && !r->pg; k++) {
                ecl_wh_entry en;
                bool found;
                if (work[k] && !(rc = ecl_wh_ledger_get(r->w, f[k].rel, &en, &found, &te)) && found &&
                    strcmp(en.sha256, f[k].sha) == 0) {
                    work[k] = quarantine[k] = false;
                    r->st->files_skipped++;
                }
            }
            for (int k = 0; k < 4 && !rc; k++) {
                if (!work[k])
                    continue;
                const char *vals[6];
                rc = ecl_wh_delete_source(r->w, ref_tables[k], f[k].rel, &te);
                if (!rc)
                    rc = ecl_wh_delete_source(r->w, ECL_WH_REJECTS, f[k].rel, &te);
                if (!rc)
                    rc = ecl_wh_load_open(r->w, ref_tables[k], &te);
                for (size_t i = 0; i < out[k].nrows && !rc; i++) {
                    size_t j = 0;
                    for (; j < out[k].ncols; j++)
                        vals[j] = out[k].cells[i * out[k].ncols + j];
                    vals[j++] = f[k].rel;
                    vals[j++] = r->now;
                    vals[j++] = r->today;
                    rc = ecl_wh_load_row(r->w, vals, &te);
                }
                if (!rc)
                    rc = ecl_wh_load_close(r->w, &te);
                if (!rc && out[k].problems.n) {
                    rc = ecl_wh_load_open(r->w, ECL_WH_REJECTS, &te);
                    if (!rc)
                        rc = add_rejects(r, &out[k].problems, f[k].rel, &te);
                    if (!rc)
                        rc = ecl_wh_load_close(r->w, &te);
                }
                if (!rc) {
                    size_t np = out[k].problems.n;
                    rc = ecl_wh_ledger_put(r->w, f[k].rel, f[k].sha, f[k].size, f[k].stat_key,
                                           quarantine[k] ? "quarantined" : np ? "partial" : "loaded",
                                           out[k].nrows + np, out[k].nrows, np, r->now, &te);
                }
            }
            if (!rc)
                rc = ecl_wh_commit(r->w, &te);
            else
                ecl_wh_rollback(r->w);
            if (rc == ECL_ETRANSIENT && attempt < TX_ATTEMPTS)
                continue;
            if (rc)
                *e = te;
            break;
        }
    }
    for (int k = 0; k < 4; k++) {
        if (!rc && work[k]) {
            r->st->problems += out[k].problems.n;
            r->st->rows_rejected += out[k].problems.n;
            if (quarantine[k]) {
                r->st->files_quarantined++;
                if (!r->o->dry_run)
                    rc = quarantine_file(r, &f[k], &out[k].problems, out[k].nrows, e);
            } else {
                r->st->rows_loaded += out[k].nrows;
                if (out[k].problems.n)
                    r->st->files_partial++;
                else
                    r->st->files_loaded++;
            }
        }
        ecl_resto_ref_out_release(&out[k]);
        ecl_buf_release(&f[k].data), ecl_buf_release(&f[k].text);
    }
    return rc;
}

/* ---- sales windows ---- */

typedef struct work_item {
    src_file files[2]; /* pedido, item_pedido */
    ecl_resto_window_out out;
    bool validated;
    bool skip;
    bool quarantine[2];
} work_item;

/* Reads, hashes and validates a window the scan found changed (or every window under --rehash). */
static int prepare_item(run *r, const scan *s, const win_dir *d, work_item *wi, ecl_err *e)
{
    const char *drel = dir_rel(s, d);
    wi->skip = false;
    wi->validated = false;
    wi->quarantine[0] = wi->quarantine[1] = false;
    memset(&wi->out, 0, sizeof wi->out);
    bool all_same = true;
    for (int k = 0; k < 2; k++) {
        wi->files[k].present = false;
        if (!d->has[k])
            continue;
        char rel[4200];
        snprintf(rel, sizeof rel, "%s/%s", drel, sales_name(k, d->pq[k]));
        int rc = load_file(r, &wi->files[k], rel, d->keys[k], e);
        if (rc == ECL_ENOTFOUND)
            continue;
        if (rc)
            return rc;
        r->st->files_seen++;
        r->st->bytes_read += wi->files[k].size;
        wi->files[k].unchanged = same_as_ledger(r, &wi->files[k]);
        all_same &= wi->files[k].unchanged;
    }
    if (!wi->files[0].present && !wi->files[1].present) {
        wi->skip = true;
        return 0;
    }
    if (all_same) {
        wi->skip = true;
        for (int k = 0; k < 2; k++)
            if (wi->files[k].present)
                r->st->files_skipped++;
        return 0;
    }
    for (int k = 0; k < 2; k++) {
        int rc = render_parquet(r, &wi->files[k], k == 0 ? ECL_RESTO_PEDIDO : ECL_RESTO_ITEM_PEDIDO, e);
        if (rc)
            return rc;
    }
    ecl_resto_window_in in = {0};
    in.timezone = r->o->timezone;
    in.orders_path = wi->files[0].rel;
    in.items_path = wi->files[1].rel;
    /* An oversized file is not read, and an unusable Parquet file has no rows: either is a problem
     * of its own, and its companion is validated as if it were absent. */
    in.has_orders = wi->files[0].present && !src_unusable(&wi->files[0]);
    in.orders = src_text(&wi->files[0])->data;
    in.orders_len = src_text(&wi->files[0])->len;
    in.has_items = wi->files[1].present && !src_unusable(&wi->files[1]);
    in.items = src_text(&wi->files[1])->data;
    in.items_len = src_text(&wi->files[1])->len;
    in.items_unusable = src_unusable(&wi->files[1]);
    for (int k = 0; k < 2; k++)
        if (!wi->files[k].present)
            snprintf(wi->files[k].rel, sizeof wi->files[k].rel, "%s/%s", drel, sales_name(k, d->pq[k]));
    if (ecl_resto_validate_window(&in, &r->refs, &wi->out, e))
        return e->code;
    for (int k = 0; k < 2; k++)
        if (wi->files[k].present && wi->files[k].bad.rule && add_bad(&wi->out.problems, &wi->files[k]))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    for (int k = 0; k < 2; k++)
        if (wi->files[k].present && wi->files[k].too_big &&
            ecl_resto_problem_add(&wi->out.problems, wi->files[k].rel, 0, NULL, "size_limit",
                                  "File exceeds %lluMB limit (%llu bytes)",
                                  (unsigned long long)(r->o->max_file_size >> 20),
                                  (unsigned long long)wi->files[k].size))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    wi->validated = true;
    uint64_t valid[2] = {wi->out.orders_valid, wi->out.items_valid};
    for (int k = 0; k < 2; k++)
        wi->quarantine[k] = wi->files[k].present && valid[k] == 0 &&
                            count_problems(&wi->out.problems, wi->files[k].rel) > 0;
    return 0;
}

static int load_orders(run *r, work_item *wi, ecl_err *e)
{
    const ecl_resto_window_out *o = &wi->out;
    for (size_t i = 0; i < o->norders; i++) {
        const ecl_resto_order_row *x = &o->orders[i];
        if (!x->ok)
            continue;
        char unit[24], date[11], value[32], fee[32];
        snprintf(unit, sizeof unit, "%lld", (long long)x->unit);
        ecl_date_format(x->date, date);
        fmt_money(value, x->value);
        fmt_money(fee, x->fee);
        const char *vals[12] = {unit, x->id, x->type, date, value, x->address, fee, x->status,
                                x->timestamp, wi->files[0].rel, r->now, r->today};
        if (ecl_wh_load_row(r->w, vals, e))
            return e->code;
    }
    return 0;
}

static int load_items(run *r, work_item *wi, ecl_err *e)
{
    const ecl_resto_window_out *o = &wi->out;
    for (size_t i = 0; i < o->nitems; i++) {
        const ecl_resto_item_row *x = &o->items[i];
        if (!x->ok)
            continue;
        char prod[24], qty[24], price[32];
        snprintf(prod, sizeof prod, "%lld", (long long)x->product);
        snprintf(qty, sizeof qty, "%lld", (long long)x->qty);
        fmt_money(price, x->price);
        const char *vals[9] = {x->order_id, x->id, prod, qty, price, x->observation,
                               wi->files[1].rel, r->now, r->today};
        if (ecl_wh_load_row(r->w, vals, e))
            return e->code;
    }
    return 0;
}

/* One transaction for a batch of windows: replace, load, record rejects and the ledger. */
static int commit_batch(run *r, work_item *items, size_t n, ecl_err *e)
{
    int rc = ecl_wh_begin(r->w, e);
    /* SQLite: another ingest may have loaded some of these files since our ledger snapshot; the
     * write lock we now hold makes this re-check final. (PostgreSQL runs hold an advisory lock for
     * the whole run, so their snapshot is already current.) */
    for (size_t i = 0; i < n && !rc && !r->pg; i++) {
        if (items[i].skip || !items[i].validated)
            continue;
        bool all_same = true;
        for (int k = 0; k < 2 && !rc; k++) {
            if (!items[i].files[k].present)
                continue;
            ecl_wh_entry en;
            bool found;
            rc = ecl_wh_ledger_get(r->w, items[i].files[k].rel, &en, &found, e);
            items[i].files[k].known = found;
            all_same &= found && strcmp(en.sha256, items[i].files[k].sha) == 0;
        }
        if (!rc && all_same) {
            items[i].skip = true;
            for (int k = 0; k < 2; k++)
                items[i].quarantine[k] = false;
        }
    }
    for (size_t i = 0; i < n && !rc; i++) {
        if (items[i].skip || !items[i].validated)
            continue;
        for (int k = 0; k < 2 && !rc; k++) {
            src_file *f = &items[i].files[k];
            if (!f->present)
                continue;
            /* Only files the ledger has seen can have rows to replace (SQLite: as re-checked under
             * the write lock above; PostgreSQL: the snapshot taken under the run's lock). */
            bool known = r->pg ? ecl_wh_ledger_cached(r->w, f->rel, NULL) : f->known;
            if (known)
                rc = ecl_wh_delete_source(r->w, k == 0 ? ECL_WH_ORDERS : ECL_WH_ORDER_ITEMS, f->rel, e);
            if (!rc && known)
                rc = ecl_wh_delete_source(r->w, ECL_WH_REJECTS, f->rel, e);
        }
    }
    if (!rc)
        rc = ecl_wh_load_open(r->w, ECL_WH_ORDERS, e);
    for (size_t i = 0; i < n && !rc; i++)
        if (!items[i].skip && items[i].validated && items[i].files[0].present)
            rc = load_orders(r, &items[i], e);
    if (!rc)
        rc = ecl_wh_load_close(r->w, e);
    if (!rc)
        rc = ecl_wh_load_open(r->w, ECL_WH_ORDER_ITEMS, e);
    for (size_t i = 0; i < n && !rc; i++)
        if (!items[i].skip && items[i].validated && items[i].files[1].present)
            rc = load_items(r, &items[i], e);
    if (!rc)
        rc = ecl_wh_load_close(r->w, e);
    if (!rc)
        rc = ecl_wh_load_open(r->w, ECL_WH_REJECTS, e);
    for (size_t i = 0; i < n && !rc; i++)
        for (int k = 0; k < 2 && !rc; k++)
            if (!items[i].skip && items[i].validated && items[i].files[k].present)
                rc = add_rejects(r, &items[i].out.problems, items[i].files[k].rel, e);
    if (!rc)
        rc = ecl_wh_load_close(r->w, e);
    for (size_t i = 0; i < n && !rc; i++) {
        work_item *wi = &items[i];
        if (wi->skip || !wi->validated)
            continue;
        uint64_t total[2] = {wi->out.norders, wi->out.nitems}, valid[2] = {wi->out.orders_valid, wi->out.items_valid};
        for (int k = 0; k < 2 && !rc; k++) {
            if (!wi->files[k].present)
                continue;
            size_t np = count_problems(&wi->out.problems, wi->files[k].rel);
            rc = ecl_wh_ledger_put(r->w, wi->files[k].rel, wi->files[k].sha, wi->files[k].size, wi->files[k].stat_key,
                                   wi->quarantine[k] ? "quarantined" : np ? "partial" : "loaded", total[k],
                                   valid[k], total[k] - valid[k], r->now, e);
        }
    }
    if (!rc)
        rc = ecl_wh_commit(r->w, e);
    else
        ecl_wh_rollback(r->w);
    return rc;
}

static void account(run *r, work_item *wi)
{
    uint64_t valid[2] = {wi->out.orders_valid, wi->out.items_valid};
    uint64_t total[2] = {wi->out.norders, wi->out.nitems};
    for (int k = 0; k < 2; k++) {
        if (!wi->files[k].present)
            continue;
        size_t np = count_problems(&wi->out.problems, wi->files[k].rel);
        r->st->problems += np;
        r->st->rows_rejected += total[k] - valid[k];
        r->st->rows_loaded += valid[k];
        if (wi->quarantine[k])
            r->st->files_quarantined++;
        else if (np)
            r->st->files_partial++;
        else
            r->st->files_loaded++;
    }
}

static int ingest_windows(run *r, const scan *s, ecl_resto_ingest_progress progress, void *ctx, ecl_err *e)
{
    size_t batch = r->o->batch ? r->o->batch : DEFAULT_BATCH;
    work_item *items = calloc(batch, sizeof *items);
    if (!items)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    for (size_t i = 0; i < batch; i++)
        for (int k = 0; k < 2; k++)
            ecl_buf_init(&items[i].files[k].data, 0), ecl_buf_init(&items[i].files[k].text, 0);
    int rc = 0;
    for (size_t at = 0; at < s->n && !rc; at += batch) {
        if (ecl_cancelled()) {
            rc = ecl_err_set(e, ECL_EINTR, "interrupted after %zu of %zu window directories", at, s->n);
            break;
        }
        size_t n = s->n - at < batch ? s->n - at : batch;
        bool work = false;
        for (size_t i = 0; i < n && !rc; i++) {
            rc = prepare_item(r, s, &s->dirs[at + i], &items[i], e);
            work |= !items[i].skip;
        }
        if (!rc && work && !r->o->dry_run) {
            for (int attempt = 1;; attempt++) {
                ecl_err te = ECL_ERR_INIT;
                rc = commit_batch(r, items, n, &te);
                if (rc == ECL_ETRANSIENT && attempt < TX_ATTEMPTS) {
                    ecl_log(ECL_LOG_DEBUG, dir_rel(s, &s->dirs[at]), "retrying a busy transaction: %s", te.msg);
                    continue;
                }
                if (rc)
                    *e = te;
                break;
            }
        }
        for (size_t i = 0; i < n && !rc; i++) {
            work_item *wi = &items[i];
            if (wi->skip || !wi->validated)
                continue;
            account(r, wi);
            for (int k = 0; k < 2 && !rc; k++)
                if (wi->quarantine[k] && !r->o->dry_run)
                    rc = quarantine_file(r, &wi->files[k], &wi->out.problems,
                                         k == 0 ? wi->out.norders : wi->out.nitems, e);
            size_t np = wi->out.problems.n;
            if (np && !wi->quarantine[0] && !wi->quarantine[1])
                ecl_log(ECL_LOG_WARN, dir_rel(s, &s->dirs[at + i]), "loaded with %zu rejected row problem%s "
                        "(first: %s: %s)", np, np == 1 ? "" : "s", wi->out.problems.v[0].rule,
                        wi->out.problems.v[0].message);
        }
        for (size_t i = 0; i < n; i++)
            ecl_resto_window_out_release(&items[i].out);
        if (progress)
            progress(r->st, at + n, s->n, ctx);
    }
    for (size_t i = 0; i < batch; i++) {
        ecl_resto_window_out_release(&items[i].out);
        for (int k = 0; k < 2; k++)
            ecl_buf_release(&items[i].files[k].data), ecl_buf_release(&items[i].files[k].text);
    }
    free(items);
    return rc;
}

static void now_text(run *r)
{
    if (r->o->now) {
        snprintf(r->now, sizeof r->now, "%s", r->o->now);
        snprintf(r->today, sizeof r->today, "%.10s", r->o->now);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    if (sde && *sde) {
        ts.tv_sec = (time_t)strtoll(sde, NULL, 10);
        ts.tv_nsec = 0;
    }
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(r->now, sizeof r->now, "%s.%06ld+00", base, ts.tv_nsec / 1000);
    strftime(r->today, sizeof r->today, "%Y-%m-%d", &tm);
}

typedef struct ledger_job {
    ecl_wh *w;
    int rc;
    ecl_err e;
} ledger_job;

/* The connection is used by this thread alone until it is joined. */
static void *ledger_thread(void *arg)
{
    ledger_job *j = arg;
    j->rc = ecl_wh_ledger_load(j->w, &j->e);
    return NULL;
}

int ecl_resto_ingest(ecl_wh *w, const ecl_resto_ingest_opts *o, ecl_resto_ingest_stats *st,
                     ecl_resto_ingest_progress progress, void *ctx, ecl_err *e)
{
    memset(st, 0, sizeof *st);
    ecl_resto_ingest_opts opts = *o;
    if (!opts.max_file_size)
        opts.max_file_size = DEFAULT_MAX_SIZE;
    run r = {.w = w, .o = &opts, .st = st, .pg = ecl_db_kind_of(ecl_wh_db(w)) == ECL_DB_POSTGRES};
    now_text(&r);
    if (opts.quarantine)
        snprintf(r.quarantine, sizeof r.quarantine, "%s", opts.quarantine);
    else
        snprintf(r.quarantine, sizeof r.quarantine, "%s/quarantine", opts.source);
    int rc = 0;
    if (ecl_sink_is_remote(opts.source)) {
        ecl_sink_opts so;
        ecl_sink_opts_default(&so);
        if (ecl_sink_open(&r.sink, opts.source, &so, e))
            return e->code;
        if (!opts.quarantine)
            snprintf(r.quarantine, sizeof r.quarantine, "quarantine");
        /* a key prefix in the source bucket: no leading or trailing '/' */
        char *q = r.quarantine;
        while (*q == '/')
            memmove(q, q + 1, strlen(q));
        for (size_t n = strlen(q); n > 0 && q[n - 1] == '/'; n--)
            q[n - 1] = 0;
        if (!*q)
            rc = ecl_err_set(e, ECL_EINVAL, "--quarantine for an object-store source must be a key prefix");
    } else {
        struct stat sst;
        if (stat(opts.source, &sst) != 0)
            return ecl_err_errno(e, errno, "cannot read source '%s'", opts.source);
        if (!S_ISDIR(sst.st_mode))
            return ecl_err_set(e, ECL_EINVAL, "source '%s' is not a directory", opts.source);
    }

    /* The ledger (one query) loads on another thread while the source is scanned: on PostgreSQL the
     * server's work and the transfer overlap the walk or listing instead of adding to it. */
    scan s = {0};
    ecl_buf_init(&s.rels, 0);
    if (!rc && !opts.dry_run)
        rc = ecl_wh_lock(w, e);
    ledger_job job = {.w = w, .e = ECL_ERR_INIT};
    pthread_t th;
    bool threaded = !rc && pthread_create(&th, NULL, ledger_thread, &job) == 0;
    if (!rc && !threaded)
        ledger_thread(&job);
    if (!rc && r.sink)
        rc = list_remote(r.sink, &opts, r.quarantine, &s, e);
    else if (!rc) {
        for (int k = 0; k < 4; k++)
            for (int f = 0; f < 2 && !s.ref[k]; f++) { /* the CSV wins when both forms exist */
                char p[4200];
                struct stat fst;
                snprintf(p, sizeof p, "%s/reference_data/%s.%s", opts.source, ref_kinds[k], f ? "parquet" : "csv");
                if ((s.ref[k] = stat(p, &fst) == 0)) {
                    stat_key(&fst, s.ref_keys[k]);
                    s.ref_pq[k] = f == 1;
                }
            }
        rc = walk_local(opts.source, r.quarantine, &s, e);
    }
    if (threaded)
        pthread_join(th, NULL);
    if (!rc && job.rc) {
        rc = job.rc;
        *e = job.e;
    }
    if (!rc)
        scan_filter(w, opts.rehash, &s, st);
    if (!rc)
        rc = ingest_reference(&r, &s, e);
    if (!rc)
        rc = ecl_wh_ref_ids(w, ECL_WH_UNITS, &r.units, &r.nunits, e);
    if (!rc)
        rc = ecl_wh_ref_ids(w, ECL_WH_PRODUCTS, &r.products, &r.nproducts, e);
    if (!rc && !opts.no_reference_check && s.n > 0 && (r.nunits == 0 || r.nproducts == 0))
        rc = ecl_err_set(e, ECL_EINVAL, "the warehouse has no %s reference data to check sales "
                         "against: ingest a source with reference_data/ first, or pass "
                         "--no-reference-check", r.nunits == 0 ? "units" : "products");
    if (!rc) {
        r.refs = (ecl_resto_refs){r.units, r.nunits, r.products, r.nproducts,
                                  !opts.no_reference_check, !opts.no_reference_check};
        rc = ingest_windows(&r, &s, progress, ctx, e);
    }
    if (!opts.dry_run)
        ecl_wh_unlock(w);
    free(r.units);
    free(r.products);
    st->windows_uncommitted = s.uncommitted;
    scan_release(&s);
    ecl_sink_free(r.sink);
    return rc;
}
