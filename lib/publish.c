/* The per-row event id hash uses SHA256_Init/Update/Final (see row_hasher). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "publish.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hash.h"
#include "io.h"
#include "log.h"
#include "version.h"

enum { NLINEAGE = 4, MAX_PK = 8 };

typedef struct pub_table {
    const ecl_model_table *t;
    ecl_schema full; /* model columns + lineage */
    int pk[MAX_PK];
    int npk;
    int event_col; /* -1 when none */
    int part_col;  /* static tables: the partition column, else -1 */
} pub_table;

struct ecl_publisher {
    ecl_pub_opts o;
    char *root;
    char *batch_id;
    pub_table *tables;
    size_t ntables;
    char ingestion_iso[32];
    char created_iso[32];
    /* Group commits flush the whole file system through this descriptor of the root. It is opened
     * before the first staged file is written, so syncfs reports every write-back error since. */
    int root_fd;
    pthread_mutex_t sync_mu;
};

void ecl_pub_opts_default(ecl_pub_opts *o)
{
    memset(o, 0, sizeof *o);
    o->target_bytes = 16u << 20;
    o->slice_rows = 4096;
    ecl_pq_opts_default(&o->parquet);
    o->batch_id = "batch";
    o->dataset = "ecom";
}

/* ---- test crash points ---- */

void ecl_publish_crash_point(const char *point)
{
    static int remaining = -1;
    static char want[64];
    static int init;
    if (!__atomic_load_n(&init, __ATOMIC_ACQUIRE)) {
        const char *env = getenv("ECOMLAKE_TEST_CRASH_AT");
        const char *colon = env ? strrchr(env, ':') : NULL;
        if (colon && (size_t)(colon - env) < sizeof want) {
            memcpy(want, env, (size_t)(colon - env));
            want[colon - env] = 0;
            remaining = atoi(colon + 1);
        }
        __atomic_store_n(&init, 1, __ATOMIC_RELEASE);
    }
    if (remaining > 0 && strcmp(point, want) == 0 &&
        __atomic_sub_fetch(&remaining, 1, __ATOMIC_ACQ_REL) == 0)
        raise(SIGKILL);
}

/* ---- escaping ---- */

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == 0x7f || strchr("\"#%'*/:=?\\{[]^", c) != NULL;
}

int ecl_hive_escape(const char *value, ecl_buf *out)
{
    if (!value || !*value)
        return ecl_buf_puts(out, "__HIVE_DEFAULT_PARTITION__");
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        bool hidden = p == (const unsigned char *)value && (*p == '.' || *p == '_');
        if (needs_escape(*p) || hidden) {
            char x[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            if (ecl_buf_append(out, x, 3))
                return ECL_ENOMEM;
        } else if (ecl_buf_putc(out, *p)) {
            return ECL_ENOMEM;
        }
    }
    return 0;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int ecl_hive_unescape(const char *name, ecl_buf *out)
{
    for (const char *p = name; *p; p++) {
        int h, l;
        if (*p == '%' && (h = hexval(p[1])) >= 0 && (l = hexval(p[2])) >= 0) {
            if (ecl_buf_putc(out, (uint8_t)(h * 16 + l)))
                return ECL_ENOMEM;
            p += 2;
        } else if (ecl_buf_putc(out, (uint8_t)*p)) {
            return ECL_ENOMEM;
        }
    }
    return 0;
}

/* ---- setup ---- */

int ecl_publisher_open(ecl_publisher **out, const ecl_pub_opts *o, ecl_err *e)
{
    *out = NULL;
    if (!o->root || !*o->root)
        return ecl_err_set(e, ECL_EINVAL, "publisher needs a root directory");
    ecl_publisher *p = calloc(1, sizeof *p);
    if (!p || !(p->root = strdup(o->root)) || !(p->batch_id = strdup(o->batch_id ? o->batch_id : ""))) {
        if (p)
            free(p->root);
        free(p);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening the publisher");
    }
    p->o = *o;
    p->o.root = p->root;
    p->o.batch_id = p->batch_id;
    if (!p->o.target_bytes)
        p->o.target_bytes = 16u << 20;
    if (!p->o.slice_rows)
        p->o.slice_rows = 4096;
    ecl_iso_utc(o->ingestion_ts, true, p->ingestion_iso);
    ecl_iso_utc(o->created_at, false, p->created_iso);
    p->root_fd = -1;
    pthread_mutex_init(&p->sync_mu, NULL);
    *out = p;
    return 0;
}

void ecl_publisher_free(ecl_publisher *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->ntables; i++)
        ecl_schema_release(&p->tables[i].full);
    free(p->tables);
    free(p->root);
    free(p->batch_id);
    if (p->root_fd >= 0)
        close(p->root_fd);
    pthread_mutex_destroy(&p->sync_mu);
    free(p);
}

const ecl_schema *ecl_publisher_schema(const ecl_publisher *p, size_t idx) { return &p->tables[idx].full; }

int ecl_publisher_add_table(ecl_publisher *p, const ecl_model_table *t, size_t *idx, ecl_err *e)
{
    pub_table *arr = realloc(p->tables, (p->ntables + 1) * sizeof *arr);
    if (!arr)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory adding table '%s'", t->name);
    p->tables = arr;
    pub_table *pt = &arr[p->ntables];
    memset(pt, 0, sizeof *pt);
    pt->t = t;
    pt->event_col = t->event_time_column ? ecl_schema_find(&t->schema, t->event_time_column) : -1;
    pt->part_col = t->kind == ECL_TABLE_STATIC ? ecl_schema_find(&t->schema, t->partition_key) : -1;
    if (t->kind == ECL_TABLE_STATIC && pt->part_col < 0)
        return ecl_err_set(e, ECL_EINVAL, "table '%s': partition column '%s' is not in its schema",
                           t->name, t->partition_key);
    /* Primary key columns. */
    const char *s = t->primary_key ? t->primary_key : "";
    while (*s) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)n, s);
        int col = ecl_schema_find(&t->schema, name);
        if (col < 0 || pt->npk == MAX_PK)
            return ecl_err_set(e, ECL_EINVAL, "table '%s': primary key column '%s' is not in its schema",
                               t->name, name);
        pt->pk[pt->npk++] = col;
        s += n + (c ? 1 : 0);
    }
    if (pt->npk == 0)
        return ecl_err_set(e, ECL_EINVAL, "table '%s' has no primary key", t->name);
    static const char *const lineage[NLINEAGE] = {"batch_id", "ingestion_ts", "event_id", "source_file"};
    int rc = ecl_schema_copy(&pt->full, &t->schema);
    for (int i = 0; !rc && i < NLINEAGE; i++) {
        if (ecl_schema_find(&t->schema, lineage[i]) >= 0)
            rc = ecl_err_set(e, ECL_EINVAL, "table '%s' already has a column named '%s'", t->name,
                             lineage[i]);
        else
            rc = ecl_schema_add(&pt->full, lineage[i], i == 1 ? ECL_T_TIMESTAMP : ECL_T_STRING, false);
    }
    if (rc) {
        ecl_schema_release(&pt->full);
        return rc == ECL_ENOMEM ? ecl_err_set(e, rc, "out of memory adding table '%s'", t->name) : rc;
    }
    *idx = p->ntables++;
    return 0;
}

/* ---- helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

static int rm_tree(const char *dir, ecl_err *e)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT ? 0 : ecl_err_errno(e, errno, "cannot stat '%s'", dir);
    if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        return ecl_err_errno(e, errno, "cannot remove '%s'", dir);
    return 0;
}

/* SHA-256 of a short key, one per row. The EVP interface costs about as much per call as hashing a
 * one-block key, so rows use the direct SHA-256 functions: OpenSSL 3 marks them deprecated in
 * favour of EVP but keeps them, and they compute the same digest. */
static void row_hash(const void *p, size_t n, uint8_t d[32])
{
    SHA256_CTX ctx;
    SHA256_Init(&ctx);
    SHA256_Update(&ctx, p, n);
    SHA256_Final(d, &ctx);
}

void ecl_event_id(const char *key, size_t n, char out[33])
{
    uint8_t d[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)key, n, d);
    ecl_hex(d, 16, out);
}

/* Appends the decimal form of v (the hot path of primary keys: no printf). */
static int put_int(ecl_buf *b, int64_t v)
{
    char tmp[24];
    int i = 24;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[--i] = '-';
    return ecl_buf_append(b, tmp + i, (size_t)(24 - i));
}

/* Appends the text form of row i of column c (primary key parts, partition values). */
static int value_text(const ecl_column *c, size_t i, ecl_buf *b)
{
    if (ecl_col_is_null(c, i))
        return ecl_buf_puts(b, "\\N");
    switch (c->type) {
    case ECL_T_STRING: {
        size_t n;
        const char *s = ecl_col_str(c, i, &n);
        return ecl_buf_append(b, s, n);
    }
    case ECL_T_BOOL:
        return ecl_buf_puts(b, ecl_col_bool(c, i) ? "true" : "false");
    case ECL_T_DATE: {
        char d[11];
        ecl_date_format(ecl_col_i32(c, i), d);
        return ecl_buf_puts(b, d);
    }
    case ECL_T_INT32:
        return put_int(b, ecl_col_i32(c, i));
    case ECL_T_DOUBLE:
        return ecl_buf_printf(b, "%.17g", ecl_col_f64(c, i));
    default:
        return put_int(b, ecl_col_i64(c, i));
    }
}

/* Open-addressing set of 64-bit key hashes with a repeat count, to number duplicate keys. Key and
 * count share a slot, so an insert touches one cache line. */
typedef struct dup_slot {
    uint64_t key;
    uint32_t count;
} dup_slot;

typedef struct dupset {
    dup_slot *slots;
    size_t cap;
} dupset;

static int dupset_init(dupset *d, size_t n)
{
    d->cap = 64;
    while (d->cap < n * 2)
        d->cap *= 2;
    d->slots = calloc(d->cap, sizeof *d->slots);
    return d->slots ? 0 : ECL_ENOMEM;
}

/* Returns how many times k was seen before. */
static uint32_t dupset_bump(dupset *d, uint64_t k)
{
    k |= 1; /* 0 marks an empty slot */
    size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull) & (d->cap - 1);
    while (d->slots[i].key && d->slots[i].key != k)
        i = (i + 1) & (d->cap - 1);
    d->slots[i].key = k;
    return d->slots[i].count++;
}

static void dupset_release(dupset *d) { free(d->slots); }

static void column_release(ecl_column *c)
{
    free(c->nulls);
    free(c->values);
    free(c->offsets);
    ecl_buf_release(&c->bytes);
    memset(c, 0, sizeof *c);
}

/* Fills c with n copies of the string s, without a per-row append: batch_id and source_file are
 * the same on every row. */
static int fill_const_str(ecl_column *c, const char *s, size_t len, size_t n)
{
    if (ecl_col_reserve(c, n ? n : 1) || ecl_buf_grow(&c->bytes, len * n + 1))
        return ECL_ENOMEM;
    uint8_t *p = (uint8_t *)c->bytes.data;
    if (n && len) {
        memcpy(p, s, len);
        size_t have = len, total = len * n;
        while (have < total) { /* doubling copies */
            size_t k = have < total - have ? have : total - have;
            memcpy(p + have, p, k);
            have += k;
        }
    }
    ecl_buf_setlen(&c->bytes, len * n);
    for (size_t i = 0; i <= n; i++)
        c->offsets[i] = (int64_t)(i * len);
    c->len = n;
    return 0;
}

/* Builds the batch_id, ingestion_ts and event_id columns for all rows. */
static int build_lineage(const ecl_publisher *p, const pub_table *pt, const ecl_batch *rows,
                         const uint32_t *dup_seq, ecl_column lin[3], ecl_err *e)
{
    size_t n = rows->nrows;
    lin[0] = (ecl_column){.type = ECL_T_STRING};
    lin[1] = (ecl_column){.type = ECL_T_TIMESTAMP};
    lin[2] = (ecl_column){.type = ECL_T_STRING};
    for (int k = 0; k < 3; k++)
        ecl_buf_init(&lin[k].bytes, 0);
    int rc = 0;
    for (int k = 0; !rc && k < 3; k++)
        rc = ecl_col_reserve(&lin[k], n);
    dupset ds = {0};
    if (!rc)
        rc = fill_const_str(&lin[0], p->batch_id, strlen(p->batch_id), n) || dupset_init(&ds, n) ||
             ecl_buf_grow(&lin[2].bytes, n * 32 + 1);
    if (!rc) {
        int64_t *ts = lin[1].values;
        for (size_t i = 0; i < n; i++)
            ts[i] = p->o.ingestion_ts;
        lin[1].len = n;
    }
    /* key: "<table>|<pk part>|<pk part>...", the table prefix written once */
    ecl_buf key = ECL_BUF_INIT;
    rc = rc || ecl_buf_puts(&key, pt->t->name);
    size_t prefix = key.len;
    char *ids = (char *)lin[2].bytes.data;
    for (size_t i = 0; !rc && i < n; i++) {
        ecl_buf_setlen(&key, prefix);
        for (int k = 0; !rc && k < pt->npk; k++)
            rc = ecl_buf_putc(&key, '|') || value_text(&rows->cols[pt->pk[k]], i, &key);
        if (rc)
            break;
        uint8_t d[SHA256_DIGEST_LENGTH];
        row_hash(key.data, key.len, d);
        uint64_t h;
        memcpy(&h, d, sizeof h);
        uint32_t seen = dupset_bump(&ds, h);
        if (dup_seq && dup_seq[i])
            seen = dup_seq[i];
        if (seen) {
            if ((rc = ecl_buf_puts(&key, "|#")) || (rc = put_int(&key, seen)))
                break;
            row_hash(key.data, key.len, d);
        }
        char id[33];
        ecl_hex(d, 16, id);
        memcpy(ids + 32 * i, id, 32);
        lin[2].offsets[i + 1] = (int64_t)(32 * (i + 1));
    }
    if (!rc) {
        ecl_buf_setlen(&lin[2].bytes, 32 * n);
        lin[2].len = n;
    }
    ecl_buf_release(&key);
    dupset_release(&ds);
    if (rc) {
        for (int k = 0; k < 3; k++)
            column_release(&lin[k]);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory building lineage columns for '%s'", pt->t->name);
    }
    return 0;
}

/* A view of rows [a, b) of c that shares c's memory (the writer reads offsets as absolute). */
static ecl_column col_view(const ecl_column *c, size_t a, size_t b)
{
    ecl_column v = *c;
    v.len = v.cap = b - a;
    size_t w = ecl_type_width(c->type);
    if (c->values)
        v.values = (uint8_t *)c->values + a * w;
    if (c->offsets)
        v.offsets = c->offsets + a;
    v.nnull = 0;
    if (c->nulls && c->nnull) {
        v.nulls = c->nulls + a;
        for (size_t i = 0; i < b - a; i++)
            v.nnull += v.nulls[i] != 0;
    }
    if (!v.nnull)
        v.nulls = NULL;
    return v;
}

/* Hashing output: SHA-256 of every byte on the way to the file. */
typedef struct hash_out {
    ecl_out file;
    ecl_hash h;
} hash_out;

static int hash_write(ecl_out *o, const void *p, size_t n, ecl_err *e)
{
    hash_out *h = o->ctx;
    ecl_hash_update(&h->h, p, n);
    return ecl_out_write(&h->file, p, n, e);
}

typedef struct event_range {
    bool any;
    int64_t min, max; /* µs for TIMESTAMP, days for DATE */
} event_range;

static void scan_event_range(const ecl_column *c, size_t n, event_range *r)
{
    for (size_t i = 0; i < n; i++) {
        if (ecl_col_is_null(c, i))
            continue;
        int64_t v = c->type == ECL_T_DATE ? ecl_col_i32(c, i) : ecl_col_i64(c, i);
        if (!r->any || v < r->min)
            r->min = v;
        if (!r->any || v > r->max)
            r->max = v;
        r->any = true;
    }
}

static void event_texts(const event_range *r, ecl_type t, int64_t v, char iso[32], char dt[11])
{
    (void)r;
    if (t == ECL_T_DATE) {
        ecl_date_format((int32_t)v, dt);
        snprintf(iso, 32, "%sT00:00:00.000000Z", dt);
    } else {
        ecl_iso_utc(v, true, iso);
        memcpy(dt, iso, 10);
        dt[10] = 0;
    }
}

/* Descriptors of files written but not yet synced: the commit step fsyncs and closes them. */
typedef struct fd_list {
    int *fd;
    size_t n, cap;
} fd_list;

static int fd_list_add(fd_list *l, int fd)
{
    if (ecl_array_grow((void **)&l->fd, &l->cap, l->n, sizeof *l->fd))
        return ECL_ENOMEM;
    l->fd[l->n++] = fd;
    return 0;
}

static void fd_list_close(fd_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        close(l->fd[i]);
    free(l->fd);
    memset(l, 0, sizeof *l);
}

/* Ends a file output without syncing and keeps its descriptor for the commit step. */
static int out_keep(ecl_out *o, const char *path, fd_list *pending, ecl_err *e)
{
    int fd;
    int rc = ecl_out_detach(o, &fd, e);
    if (rc)
        return rc;
    if (fd_list_add(pending, fd)) {
        close(fd);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", path);
    }
    return 0;
}

static int write_text_file(const char *path, const void *data, size_t n, fd_list *pending, ecl_err *e)
{
    ecl_out o;
    int rc = ecl_out_file(&o, path, e);
    if (rc)
        return rc;
    if (n && (rc = ecl_out_write(&o, data, n, e))) {
        ecl_out_abort(&o);
        return rc;
    }
    return out_keep(&o, path, pending, e);
}

/* Writes the data files of one partition into dir; fills the manifest's file list. */
static int write_parts(ecl_publisher *p, const pub_table *pt, const ecl_batch *rows,
                       const uint32_t *dup_seq, const char *dir, const char *dir_key,
                       ecl_manifest *m, fd_list *pending, ecl_err *e)
{
    size_t n = rows->nrows, nmodel = pt->t->schema.nfields, ncols = pt->full.nfields;
    ecl_column lin[3];
    int rc = build_lineage(p, pt, rows, dup_seq, lin, e);
    if (rc)
        return rc;
    ecl_column *view = calloc(ncols, sizeof *view);
    ecl_column src = {.type = ECL_T_STRING};
    ecl_buf_init(&src.bytes, 0);
    if (!view) {
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", dir_key);
        goto done;
    }
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)p->o.seed);
    ecl_kv kv[] = {
        {"ecomlake.table", pt->t->name},
        {"ecomlake.batch_id", p->batch_id},
        {"ecomlake.dataset", p->o.dataset ? p->o.dataset : ""},
        {"ecomlake.generator_version", p->o.generator_version ? p->o.generator_version : ""},
        {"ecomlake.config_hash", p->o.config_hash ? p->o.config_hash : ""},
        {"ecomlake.seed", seed},
    };
    ecl_pq_opts po = p->o.parquet;
    po.kv = kv;
    po.nkv = sizeof kv / sizeof kv[0];
    size_t a = 0;
    for (int file = 0; !rc && a < n; file++) {
        char name[32], path[4200], key[800];
        snprintf(name, sizeof name, "part-%05d.parquet", file);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        snprintf(key, sizeof key, "%s/%s", dir_key, name);
        hash_out ho;
        if ((rc = ecl_out_file(&ho.file, path, e)))
            break;
        if (ecl_hash_init(&ho.h, ECL_HASH_SHA256)) {
            ecl_out_abort(&ho.file);
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", path);
            break;
        }
        ecl_out out = {.write = hash_write, .close = NULL, .ctx = &ho, .written = 0};
        ecl_pq_writer *w = NULL;
        rc = ecl_pq_writer_open(&w, &out, &pt->full, &po, e);
        uint64_t file_rows = 0;
        /* A partition that cannot reach target_bytes even at its plain size (the usual daily
         * partition) is one file and one row group: encode it in one step, without the slices'
         * copies. The slice loop below would produce the same bytes. */
        if (!rc && a == 0 && n) {
            if (fill_const_str(&src, key, strlen(key), n))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", path);
            for (size_t c = 0; !rc && c < nmodel; c++)
                view[c] = col_view(&rows->cols[c], 0, n);
            for (int k = 0; !rc && k < 3; k++)
                view[nmodel + k] = col_view(&lin[k], 0, n);
            view[nmodel + 3] = src;
            ecl_batch bt = {.schema = &pt->full, .cols = view, .nrows = n};
            if (!rc && ecl_pq_writer_bytes(w) + ecl_pq_writer_plain_bytes(w, &bt) < p->o.target_bytes) {
                rc = ecl_pq_writer_write_group(w, &bt, e);
                file_rows = n;
                a = n;
            }
        }
        while (!rc && a < n) {
            size_t b = a + p->o.slice_rows < n ? a + p->o.slice_rows : n;
            for (size_t c = 0; c < nmodel; c++)
                view[c] = col_view(&rows->cols[c], a, b);
            for (int k = 0; k < 3; k++)
                view[nmodel + k] = col_view(&lin[k], a, b);
            if (fill_const_str(&src, key, strlen(key), b - a)) {
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", path);
                break;
            }
            view[nmodel + 3] = src;
            ecl_batch bt = {.schema = &pt->full, .cols = view, .nrows = b - a};
            rc = ecl_pq_writer_write(w, &bt, e);
            file_rows += b - a;
            a = b;
            /* Split on real bytes: the estimate only triggers a flush, then measured bytes decide. */
            if (!rc && a < n && ecl_pq_writer_bytes(w) >= p->o.target_bytes) {
                rc = ecl_pq_writer_flush(w, e);
                if (!rc && ecl_pq_writer_bytes(w) >= p->o.target_bytes)
                    break;
            }
        }
        if (!rc)
            rc = ecl_pq_writer_finish(w, e);
        ecl_pq_writer_free(w);
        uint8_t d[32];
        ecl_hash_final(&ho.h, d);
        if (rc) {
            ecl_out_abort(&ho.file);
            break;
        }
        if ((rc = out_keep(&ho.file, path, pending, e)))
            break;
        char hex[65];
        ecl_hex(d, 32, hex);
        if (ecl_manifest_add_file(m, key, out.written, file_rows, hex)) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing '%s'", path);
            break;
        }
        m->total_bytes += out.written;
        m->total_rows += file_rows;
        ecl_publish_crash_point("part-written");
    }
done:
    free(view);
    column_release(&src);
    for (int k = 0; k < 3; k++)
        column_release(&lin[k]);
    return rc;
}

static int fill_manifest(ecl_publisher *p, const pub_table *pt, const char *value, const char *part,
                         const ecl_batch *rows, const ecl_mess_counts *mess, ecl_manifest *m)
{
    int rc = 0;
    rc |= ecl_manifest_set(&m->batch_id, p->batch_id);
    rc |= ecl_manifest_set(&m->table, pt->t->name);
    rc |= ecl_manifest_set(&m->partition_key, pt->t->partition_key);
    rc |= ecl_manifest_set(&m->partition_value, value);
    rc |= ecl_manifest_set(&m->partition, part);
    rc |= ecl_manifest_set(&m->dataset, p->o.dataset);
    rc |= ecl_manifest_set(&m->generator_version, p->o.generator_version);
    rc |= ecl_manifest_set(&m->writer, ECL_WRITER_NAME);
    rc |= ecl_manifest_set(&m->config_hash, p->o.config_hash);
    rc |= ecl_manifest_set(&m->messiness, p->o.messiness);
    rc |= ecl_manifest_set(&m->format, "parquet");
    rc |= ecl_manifest_set(&m->compression, ecl_codec_name(p->o.parquet.codec));
    rc |= ecl_manifest_set(&m->created_at, p->created_iso);
    rc |= ecl_manifest_set(&m->ingestion_ts, p->ingestion_iso);
    m->seed = p->o.seed;
    for (size_t i = 0; i < pt->full.nfields; i++) {
        const ecl_field *f = &pt->full.fields[i];
        char type[32];
        if (f->type == ECL_T_DECIMAL)
            snprintf(type, sizeof type, "decimal(%d,%d)", f->precision, f->scale);
        else
            snprintf(type, sizeof type, "%s", ecl_type_name(f->type));
        rc |= ecl_manifest_add_field(m, f->name, type, f->nullable);
    }
    if (pt->event_col >= 0) {
        const ecl_column *c = &rows->cols[pt->event_col];
        rc |= ecl_manifest_set(&m->event_time_column, pt->t->event_time_column);
        event_range r = {0};
        scan_event_range(c, rows->nrows, &r);
        if (r.any) {
            char iso[32], dt[11];
            event_texts(&r, c->type, r.min, iso, dt);
            rc |= ecl_manifest_set(&m->min_event_time, iso);
            rc |= ecl_manifest_set(&m->min_event_dt, dt);
            event_texts(&r, c->type, r.max, iso, dt);
            rc |= ecl_manifest_set(&m->max_event_time, iso);
            rc |= ecl_manifest_set(&m->max_event_dt, dt);
        }
    }
    for (size_t i = 0; mess && i < mess->n; i++)
        if (mess->items[i].count && strcmp(mess->items[i].table, pt->t->name) == 0)
            rc |= ecl_manifest_add_mess(m, mess->items[i].column, mess->items[i].kind, mess->items[i].count);
    return rc ? ECL_ENOMEM : 0;
}

/* Puts the fully built staging directory in place of final (which may exist). */
static int swap_in(const char *staging, const char *final, const char *table_dir, ecl_err *e)
{
    struct stat st;
    bool exists = lstat(final, &st) == 0;
    if (!exists) {
        if (rename(staging, final) != 0)
            return ecl_err_errno(e, errno, "cannot rename '%s' to '%s'", staging, final);
        ecl_publish_crash_point("swapped");
        return ecl_fsync_dir(table_dir, e);
    }
    if (renameat2(AT_FDCWD, staging, AT_FDCWD, final, RENAME_EXCHANGE) != 0) {
        if (errno != EINVAL && errno != ENOSYS)
            return ecl_err_errno(e, errno, "cannot swap '%s' into '%s'", staging, final);
        /* No atomic exchange on this file system: move the old one aside, then rename. */
        char old[4200];
        snprintf(old, sizeof old, "%s.old", staging);
        if (rename(final, old) != 0)
            return ecl_err_errno(e, errno, "cannot move '%s' aside", final);
        if (rename(staging, final) != 0)
            return ecl_err_errno(e, errno, "cannot rename '%s' to '%s'", staging, final);
        ecl_publish_crash_point("swapped");
        int rc = ecl_fsync_dir(table_dir, e);
        return rc ? rc : rm_tree(old, e);
    }
    ecl_publish_crash_point("swapped");
    int rc = ecl_fsync_dir(table_dir, e);
    /* staging now holds the old partition. */
    return rc ? rc : rm_tree(staging, e);
}

void ecl_pub_result_release(ecl_pub_result *r) { ecl_buf_release(&r->manifest_json); }

/* Opens the root for group commits once it exists, before any file of the run is written. Without
 * it, group commits fall back to committing one partition at a time. */
static void open_root(ecl_publisher *p)
{
    if (__atomic_load_n(&p->root_fd, __ATOMIC_ACQUIRE) >= 0)
        return;
    pthread_mutex_lock(&p->sync_mu);
    if (p->root_fd < 0)
        __atomic_store_n(&p->root_fd, open(p->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC), __ATOMIC_RELEASE);
    pthread_mutex_unlock(&p->sync_mu);
}

/* Creates an empty staging directory: one mkdir in the common case (table directory there, no
 * leftover), instead of a mkdir per path component. */
static int make_staging(const char *staging, const char *table_dir, ecl_err *e)
{
    if (mkdir(staging, 0755) == 0)
        return 0;
    int rc = 0;
    if (errno == ENOENT)
        rc = ecl_mkdirs(table_dir, e);
    else if (errno == EEXIST)
        rc = rm_tree(staging, e);
    else
        return ecl_err_errno(e, errno, "cannot create directory '%s'", staging);
    if (!rc && mkdir(staging, 0755) != 0)
        rc = ecl_err_errno(e, errno, "cannot create directory '%s'", staging);
    return rc;
}

struct ecl_pub_staged {
    ecl_publisher *p;
    ecl_pub_result res; /* rows, bytes, files and the manifest; the hash is set at commit */
    fd_list pending;    /* files written but not yet synced */
    char table_dir[4200], final[4800], staging[4900];
};

static void staged_free(ecl_pub_staged *s, bool remove_staging)
{
    if (!s)
        return;
    fd_list_close(&s->pending);
    if (remove_staging) {
        ecl_err ignore = ECL_ERR_INIT;
        rm_tree(s->staging, &ignore);
    }
    ecl_pub_result_release(&s->res);
    free(s);
}

int ecl_publish_stage(ecl_publisher *p, size_t idx, const char *value, const ecl_batch *rows,
                      const uint32_t *dup_seq, const ecl_mess_counts *mess, ecl_pub_staged **out,
                      ecl_err *e)
{
    *out = NULL;
    const pub_table *pt = &p->tables[idx];
    if (rows->schema && rows->schema->nfields != pt->t->schema.nfields)
        return ecl_err_set(e, ECL_EINVAL, "table '%s': batch does not have the model's columns",
                           pt->t->name);
    ecl_pub_staged *s = calloc(1, sizeof *s);
    if (!s)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    ecl_pub_result *res = &s->res;
    ecl_buf_init(&res->manifest_json, 0);
    ecl_buf part = ECL_BUF_INIT;
    if (ecl_buf_puts(&part, pt->t->partition_key) || ecl_buf_putc(&part, '=') ||
        ecl_hive_escape(value, &part)) {
        ecl_buf_release(&part);
        free(s);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    snprintf(res->table, sizeof res->table, "%s", pt->t->name);
    snprintf(res->partition, sizeof res->partition, "%s", (char *)part.data);
    snprintf(res->dir_key, sizeof res->dir_key, "%s/%s", pt->t->name, (char *)part.data);
    ecl_buf_release(&part);

    static unsigned counter;
    char path[5000];
    snprintf(s->table_dir, sizeof s->table_dir, "%s/%s", p->root, pt->t->name);
    snprintf(s->final, sizeof s->final, "%s/%s", s->table_dir, res->partition);
    snprintf(s->staging, sizeof s->staging, "%s/.%s.tmp-%ld-%u", s->table_dir, res->partition,
             (long)getpid(), __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
    int rc = make_staging(s->staging, s->table_dir, e);
    s->p = p;
    if (!rc)
        open_root(p);
    ecl_manifest m;
    ecl_manifest_init(&m);
    if (!rc)
        rc = write_parts(p, pt, rows, dup_seq, s->staging, res->dir_key, &m, &s->pending, e);
    if (!rc && fill_manifest(p, pt, value, res->partition, rows, mess, &m))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory writing the manifest of '%s'", res->dir_key);
    if (!rc)
        rc = ecl_manifest_write(&m, &res->manifest_json, e);
    if (!rc) {
        snprintf(path, sizeof path, "%s/%s", s->staging, ECL_MANIFEST_NAME);
        rc = write_text_file(path, res->manifest_json.data, res->manifest_json.len, &s->pending, e);
        ecl_publish_crash_point("manifest-written");
    }
    if (!rc) {
        /* An empty marker has no data to sync: the fsync of the staging directory at commit makes
         * its creation durable, before the swap publishes it. */
        snprintf(path, sizeof path, "%s/%s", s->staging, ECL_SUCCESS_NAME);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || close(fd) != 0)
            rc = ecl_err_errno(e, errno, "cannot create '%s'", path);
        ecl_publish_crash_point("success-written");
    }
    if (!rc) {
        res->rows = m.total_rows;
        res->bytes = m.total_bytes;
        res->files = m.nfiles;
        *out = s;
    } else {
        ecl_err_prefix(e, "partition '%s'", res->dir_key);
        staged_free(s, true);
    }
    ecl_manifest_release(&m);
    return rc;
}

const char *ecl_pub_staged_dir_key(const ecl_pub_staged *s) { return s->res.dir_key; }

static void staged_done(ecl_pub_staged *s, ecl_pub_result *res);

int ecl_publish_commit(ecl_pub_staged *s, ecl_pub_result *res, ecl_err *e)
{
    memset(res, 0, sizeof *res);
    ecl_buf_init(&res->manifest_json, 0);
    int rc = 0;
    for (size_t i = 0; !rc && i < s->pending.n; i++)
        if (fsync(s->pending.fd[i]) != 0)
            rc = ecl_err_errno(e, errno, "cannot sync a file of '%s'", s->staging);
    for (size_t i = 0; i < s->pending.n; i++)
        if (close(s->pending.fd[i]) != 0 && !rc)
            rc = ecl_err_errno(e, errno, "cannot close a file of '%s'", s->staging);
    s->pending.n = 0;
    if (!rc)
        rc = ecl_fsync_dir(s->staging, e);
    if (!rc)
        rc = swap_in(s->staging, s->final, s->table_dir, e);
    if (rc) {
        ecl_err_prefix(e, "partition '%s'", s->res.dir_key);
        staged_free(s, true);
        return rc;
    }
    staged_done(s, res);
    return 0;
}

/* Hands a committed partition's result to the caller and frees the rest. */
static void staged_done(ecl_pub_staged *s, ecl_pub_result *res)
{
    *res = s->res;
    uint8_t d[32];
    ecl_sha256(res->manifest_json.data, res->manifest_json.len, d);
    ecl_hex(d, 32, res->manifest_sha256);
    s->res.manifest_json = (ecl_buf)ECL_BUF_INIT; /* moved to res */
    staged_free(s, false);
}

static dev_t staged_dev(const ecl_pub_staged *s)
{
    struct stat st;
    int rc = s->pending.n ? fstat(s->pending.fd[0], &st) : stat(s->staging, &st);
    return rc == 0 ? st.st_dev : (dev_t)-1;
}

/* Syncs a file of the group: its data was written out by the file-system flush, so this only asks
 * the kernel whether writing it back failed (the descriptor has been open since the file was
 * created, so no error is missed), without the device cache flush an fsync would add. */
static int group_file_check(int fd, const ecl_pub_staged *s, ecl_err *e)
{
    int rc = 0;
    if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
        rc = ecl_err_errno(e, errno, "cannot sync a file of '%s'", s->staging);
    if (close(fd) != 0 && !rc)
        rc = ecl_err_errno(e, errno, "cannot close a file of '%s'", s->staging);
    return rc;
}

static void group_fail(ecl_pub_staged **v, size_t i, int rc, const ecl_err *why, int *rcs, ecl_err *errs,
                       bool remove_staging)
{
    rcs[i] = rc;
    if (why != &errs[i])
        errs[i] = *why;
    ecl_err_prefix(&errs[i], "partition '%s'", v[i]->res.dir_key);
    staged_free(v[i], remove_staging);
    v[i] = NULL;
}

int ecl_publish_commit_group(ecl_pub_staged **v, size_t n, ecl_pub_result *res, int *rcs, ecl_err *errs)
{
    for (size_t i = 0; i < n; i++) {
        memset(&res[i], 0, sizeof res[i]);
        ecl_buf_init(&res[i].manifest_json, 0);
        rcs[i] = 0;
    }
    ecl_publisher *p = n ? v[0]->p : NULL;
    int fd = p ? __atomic_load_n(&p->root_fd, __ATOMIC_ACQUIRE) : -1;
    struct stat rst;
    if (fd < 0 || fstat(fd, &rst) != 0) {
        for (size_t i = 0; i < n; i++)
            rcs[i] = ecl_publish_commit(v[i], &res[i], &errs[i]);
        return 0;
    }
    /* A partition on another file system than the root (a mounted table directory) is not covered
     * by the root's flush: it commits on its own. */
    size_t ngroup = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i]->p == p && staged_dev(v[i]) == rst.st_dev) {
            ngroup++;
            continue;
        }
        rcs[i] = ecl_publish_commit(v[i], &res[i], &errs[i]);
        v[i] = NULL;
    }
    if (!ngroup)
        return 0;
    /* The same order as committing one by one, with one flush of the whole file system in place
     * of each step's fsyncs: (1) every data file, manifest, _SUCCESS and staging directory of the
     * group is durable before (2) any of them is renamed into place, and (3) the renames are
     * durable before this returns, i.e. before the caller records the partitions as committed. A
     * crash anywhere leaves each partition either absent, in its hidden staging directory, or
     * complete; never a visible partition with missing bytes. Flushes are serialized, so each
     * one's error report covers everything written since the previous one. */
    pthread_mutex_lock(&p->sync_mu);
    ecl_err ge = ECL_ERR_INIT;
    int grc = syncfs(fd) != 0 ? ecl_err_errno(&ge, errno, "cannot flush the file system of '%s'", p->root) : 0;
    size_t renamed = 0;
    for (size_t i = 0; i < n; i++) {
        ecl_pub_staged *s = v[i];
        if (!s)
            continue;
        int rc = 0;
        for (size_t f = 0; f < s->pending.n; f++) {
            int r = group_file_check(s->pending.fd[f], s, &errs[i]);
            rc = rc ? rc : r;
        }
        s->pending.n = 0;
        if (grc || rc) {
            group_fail(v, i, grc ? grc : rc, grc ? &ge : &errs[i], rcs, errs, true);
            continue;
        }
        struct stat st;
        if (lstat(s->final, &st) == 0) {
            /* Replacing a partition also removes the old copy: that needs its own durable swap. */
            rc = swap_in(s->staging, s->final, s->table_dir, &errs[i]);
            if (rc)
                group_fail(v, i, rc, &errs[i], rcs, errs, true);
            continue;
        }
        if (rename(s->staging, s->final) != 0) {
            rc = ecl_err_errno(&errs[i], errno, "cannot rename '%s' to '%s'", s->staging, s->final);
            group_fail(v, i, rc, &errs[i], rcs, errs, true);
            continue;
        }
        ecl_publish_crash_point("swapped");
        /* the staging name is gone: nothing left to remove on failure */
        snprintf(s->staging, sizeof s->staging, "%s", s->final);
        renamed++;
    }
    if (renamed && !grc && syncfs(fd) != 0)
        grc = ecl_err_errno(&ge, errno, "cannot flush the file system of '%s'", p->root);
    pthread_mutex_unlock(&p->sync_mu);
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            continue;
        if (grc)
            group_fail(v, i, grc, &ge, rcs, errs, false);
        else
            staged_done(v[i], &res[i]);
    }
    return 0;
}

void ecl_publish_discard(ecl_pub_staged *s) { staged_free(s, true); }

int ecl_publish_partition(ecl_publisher *p, size_t idx, const char *value, const ecl_batch *rows,
                          const uint32_t *dup_seq, const ecl_mess_counts *mess, ecl_pub_result *res,
                          ecl_err *e)
{
    ecl_pub_staged *s;
    memset(res, 0, sizeof *res);
    ecl_buf_init(&res->manifest_json, 0);
    int rc = ecl_publish_stage(p, idx, value, rows, dup_seq, mess, &s, e);
    return rc ? rc : ecl_publish_commit(s, res, e);
}

/* ---- static tables ---- */

typedef struct keyed_row {
    char *value; /* NULL for SQL NULL */
    size_t row;
} keyed_row;

static int cmp_keyed(const void *a, const void *b)
{
    const keyed_row *x = a, *y = b;
    if (!x->value || !y->value) {
        if (x->value != y->value)
            return x->value ? -1 : 1;
    } else {
        int c = strcmp(x->value, y->value);
        if (c)
            return c;
    }
    return x->row < y->row ? -1 : x->row > y->row;
}

int ecl_publish_static(ecl_publisher *p, size_t idx, const ecl_batch *rows,
                       const ecl_mess_counts *mess, ecl_pub_skip_cb skip, ecl_pub_cb cb, void *ctx,
                       ecl_err *e)
{
    const pub_table *pt = &p->tables[idx];
    size_t n = rows->nrows;
    keyed_row *kr = calloc(n ? n : 1, sizeof *kr);
    if (!kr)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory partitioning '%s'", pt->t->name);
    int rc = 0;
    const ecl_column *pc = &rows->cols[pt->part_col];
    ecl_buf tmp = ECL_BUF_INIT;
    for (size_t i = 0; !rc && i < n; i++) {
        kr[i].row = i;
        if (ecl_col_is_null(pc, i))
            continue;
        ecl_buf_clear(&tmp);
        if (value_text(pc, i, &tmp) || !(kr[i].value = strdup((char *)tmp.data)))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory partitioning '%s'", pt->t->name);
    }
    ecl_buf_release(&tmp);
    if (!rc)
        qsort(kr, n, sizeof *kr, cmp_keyed);
    ecl_batch group;
    bool group_init = false;
    for (size_t i = 0; !rc && i < n;) {
        size_t j = i;
        while (j < n && ((!kr[j].value && !kr[i].value) ||
                         (kr[j].value && kr[i].value && strcmp(kr[j].value, kr[i].value) == 0)))
            j++;
        if (skip) {
            ecl_buf key = ECL_BUF_INIT;
            int k = ecl_buf_printf(&key, "%s/%s=", pt->t->name, pt->t->partition_key) ||
                    ecl_hive_escape(kr[i].value, &key);
            bool skipped = !k && skip((const char *)key.data, (uint64_t)(j - i), ctx);
            ecl_buf_release(&key);
            if (k) {
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory partitioning '%s'", pt->t->name);
                break;
            }
            if (skipped) {
                i = j;
                continue;
            }
        }
        if (!group_init) {
            if (ecl_batch_init(&group, &pt->t->schema)) {
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory partitioning '%s'", pt->t->name);
                break;
            }
            group_init = true;
        } else {
            ecl_batch_clear(&group);
        }
        for (size_t k = i; !rc && k < j; k++)
            if (ecl_batch_append_row(&group, rows, kr[k].row))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory partitioning '%s'", pt->t->name);
        if (!rc)
            rc = ecl_batch_seal(&group, e);
        ecl_pub_result res;
        if (!rc)
            rc = ecl_publish_partition(p, idx, kr[i].value, &group, NULL, mess, &res, e);
        if (!rc) {
            if (cb)
                rc = cb(&res, ctx, e);
            ecl_pub_result_release(&res);
        }
        i = j;
    }
    if (group_init)
        ecl_batch_release(&group);
    for (size_t i = 0; i < n; i++)
        free(kr[i].value);
    free(kr);
    return rc;
}

int ecl_publish_measure(ecl_publisher *p, size_t idx, const ecl_batch *rows, uint64_t *bytes,
                        ecl_err *e)
{
    const pub_table *pt = &p->tables[idx];
    size_t n = rows->nrows, nmodel = pt->t->schema.nfields;
    ecl_column lin[4];
    int rc = build_lineage(p, pt, rows, NULL, lin, e);
    if (rc)
        return rc;
    lin[3] = (ecl_column){.type = ECL_T_STRING};
    ecl_buf_init(&lin[3].bytes, 0);
    char key[600];
    snprintf(key, sizeof key, "%s/%s=0000-00-00/part-00000.parquet", pt->t->name, pt->t->partition_key);
    for (size_t i = 0; !rc && i < n; i++)
        rc = ecl_col_push_str(&lin[3], key, strlen(key));
    ecl_column *cols = calloc(pt->full.nfields, sizeof *cols);
    if (rc || !cols)
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory measuring '%s'", pt->t->name);
    ecl_buf mem = ECL_BUF_INIT;
    ecl_out out;
    ecl_out_mem(&out, &mem);
    ecl_pq_writer *w = NULL;
    if (!rc) {
        memcpy(cols, rows->cols, nmodel * sizeof *cols);
        memcpy(cols + nmodel, lin, 4 * sizeof *cols);
        ecl_batch bt = {.schema = &pt->full, .cols = cols, .nrows = n};
        rc = ecl_pq_writer_open(&w, &out, &pt->full, &p->o.parquet, e);
        if (!rc)
            rc = ecl_pq_writer_write(w, &bt, e);
        if (!rc)
            rc = ecl_pq_writer_finish(w, e);
    }
    *bytes = out.written;
    ecl_pq_writer_free(w);
    ecl_buf_release(&mem);
    free(cols);
    for (int k = 0; k < 4; k++)
        column_release(&lin[k]);
    return rc;
}

/* ---- recovery ---- */

static int recover_table(const char *table_dir, int *n, ecl_err *e)
{
    DIR *d = opendir(table_dir);
    if (!d)
        return errno == ENOENT || errno == ENOTDIR ? 0 : ecl_err_errno(e, errno, "cannot list '%s'", table_dir);
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] != '.' || !strstr(de->d_name, ".tmp-"))
            continue;
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", table_dir, de->d_name);
        ecl_log(ECL_LOG_INFO, path, "removing staging left by an interrupted run");
        rc = rm_tree(path, e);
        if (!rc && n)
            (*n)++;
    }
    closedir(d);
    return rc;
}

int ecl_publish_recover(const char *root, const char *table, int *n, ecl_err *e)
{
    if (n)
        *n = 0;
    char dir[4200];
    if (table) {
        snprintf(dir, sizeof dir, "%s/%s", root, table);
        return recover_table(dir, n, e);
    }
    DIR *d = opendir(root);
    if (!d)
        return errno == ENOENT ? 0 : ecl_err_errno(e, errno, "cannot list '%s'", root);
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        snprintf(dir, sizeof dir, "%s/%s", root, de->d_name);
        struct stat st;
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
            rc = recover_table(dir, n, e);
    }
    closedir(d);
    return rc;
}

/* ---- upload to a sink ---- */

int ecl_publish_upload(ecl_sink *sink, const char *local_root, const ecl_pub_result *res,
                       uint64_t *bytes_sent, ecl_err *e)
{
    if (bytes_sent)
        *bytes_sent = 0;
    ecl_manifest m;
    int rc = ecl_manifest_parse(&m, res->dir_key, res->manifest_json.data, res->manifest_json.len, e);
    if (rc)
        return rc;
    char key[1200], path[5400];
    /* The partition stops being complete for readers that check the marker. */
    snprintf(key, sizeof key, "%s/%s", res->dir_key, ECL_SUCCESS_NAME);
    rc = sink->ops->del(sink, key, e);
    for (size_t i = 0; !rc && i < m.nfiles; i++) {
        snprintf(path, sizeof path, "%s/%s", local_root, m.files[i].path);
        ecl_put_opts po = {.sha256_hex = m.files[i].sha256, .content_type = "application/vnd.apache.parquet",
                           .skip_if_same = true};
        ecl_put_result pr;
        rc = sink->ops->put_file(sink, path, m.files[i].path, &po, &pr, e);
        if (!rc && bytes_sent)
            *bytes_sent += pr.bytes_sent;
    }
    if (!rc) {
        snprintf(key, sizeof key, "%s/%s", res->dir_key, ECL_MANIFEST_NAME);
        ecl_put_opts po = {.content_type = "application/json"};
        rc = sink->ops->put_bytes(sink, res->manifest_json.data, res->manifest_json.len, key, &po, NULL, e);
    }
    if (!rc) {
        /* Names below the directory: the manifest's paths start with it. */
        const char **keep = calloc(m.nfiles + 2, sizeof *keep);
        size_t nkeep = 0, dlen = strlen(res->dir_key);
        if (!keep)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        for (size_t i = 0; !rc && i < m.nfiles; i++)
            if (strncmp(m.files[i].path, res->dir_key, dlen) == 0 && m.files[i].path[dlen] == '/')
                keep[nkeep++] = m.files[i].path + dlen + 1;
        if (!rc) {
            keep[nkeep++] = ECL_MANIFEST_NAME;
            keep[nkeep++] = ECL_SUCCESS_NAME;
            rc = ecl_sink_delete_except(sink, res->dir_key, keep, nkeep, e);
        }
        free(keep);
    }
    if (!rc) {
        snprintf(key, sizeof key, "%s/%s", res->dir_key, ECL_SUCCESS_NAME);
        rc = sink->ops->put_bytes(sink, "", 0, key, NULL, NULL, e);
    }
    if (rc)
        ecl_err_prefix(e, "uploading '%s'", res->dir_key);
    ecl_manifest_release(&m);
    return rc;
}

/* ---- hooks ---- */

extern char **environ;

static char *hook_context_json(const ecl_hook_ctx *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "dest", json_string(c->dest ? c->dest : ""));
    json_object_set_new(o, "table", json_string(c->table ? c->table : ""));
    json_object_set_new(o, "partition", json_string(c->partition ? c->partition : ""));
    json_object_set_new(o, "partition_dir", json_string(c->partition_dir ? c->partition_dir : ""));
    json_object_set_new(o, "manifest_path", json_string(c->manifest_path ? c->manifest_path : ""));
    json_object_set_new(o, "object_prefix", json_string(c->object_prefix ? c->object_prefix : ""));
    json_object_set_new(o, "batch_id", json_string(c->batch_id ? c->batch_id : ""));
    json_object_set_new(o, "rows", json_integer((json_int_t)c->rows));
    json_t *m = c->manifest_json ? json_loadb((const char *)c->manifest_json->data, c->manifest_json->len, 0, NULL)
                                 : NULL;
    json_object_set_new(o, "manifest", m ? m : json_null());
    char *s = json_dumps(o, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(o);
    return s;
}

int ecl_run_hook(const char *cmd, const ecl_hook_ctx *c, ecl_err *e)
{
    char *json = hook_context_json(c);
    if (!json)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory preparing hook context");
    /* The child's environment is built before fork: only async-signal-safe calls after it. */
    size_t nenv = 0;
    while (environ[nenv])
        nenv++;
    char rows[32];
    snprintf(rows, sizeof rows, "%llu", (unsigned long long)c->rows);
    const char *extra[][2] = {
        {"ECOMLAKE_MANIFEST", c->manifest_path},   {"ECOMLAKE_PARTITION", c->partition},
        {"ECOMLAKE_PARTITION_DIR", c->partition_dir}, {"ECOMLAKE_TABLE", c->table},
        {"ECOMLAKE_DEST", c->dest},               {"ECOMLAKE_BATCH_ID", c->batch_id},
        {"ECOMLAKE_ROWS", rows},                  {"ECOMLAKE_OBJECT_PREFIX", c->object_prefix},
        {"ECOMLAKE_CONTEXT", json},
    };
    enum { NEXTRA = sizeof extra / sizeof extra[0] };
    char **envp = calloc(nenv + NEXTRA + 1, sizeof *envp);
    int rc = envp ? 0 : ecl_err_set(e, ECL_ENOMEM, "out of memory preparing hook environment");
    size_t k = 0;
    for (size_t i = 0; !rc && i < nenv; i++) {
        bool overridden = false;
        for (size_t j = 0; j < NEXTRA; j++) {
            size_t l = strlen(extra[j][0]);
            if (strncmp(environ[i], extra[j][0], l) == 0 && environ[i][l] == '=')
                overridden = true;
        }
        if (!overridden)
            envp[k++] = environ[i];
    }
    size_t first_owned = k;
    for (size_t j = 0; !rc && j < NEXTRA; j++) {
        const char *v = extra[j][1] ? extra[j][1] : "";
        char *kv = malloc(strlen(extra[j][0]) + strlen(v) + 2);
        if (!kv) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory preparing hook environment");
            break;
        }
        sprintf(kv, "%s=%s", extra[j][0], v);
        envp[k++] = kv;
    }
    int pfd[2] = {-1, -1};
    if (!rc && pipe2(pfd, O_CLOEXEC) != 0)
        rc = ecl_err_errno(e, errno, "cannot create a pipe for hook '%s'", cmd);
    pid_t pid = -1;
    if (!rc) {
        pid = fork();
        if (pid < 0) {
            rc = ecl_err_errno(e, errno, "cannot start hook '%s'", cmd);
        } else if (pid == 0) {
            dup2(pfd[0], 0);
            dup2(2, 1);
            char *argv[] = {"sh", "-c", (char *)cmd, NULL};
            execve("/bin/sh", argv, envp);
            _exit(127);
        }
    }
    if (pfd[0] >= 0)
        close(pfd[0]);
    if (pid > 0) {
        size_t len = strlen(json), off = 0;
        while (off < len) {
            ssize_t w = write(pfd[1], json + off, len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                break; /* the hook does not read stdin: fine */
            off += (size_t)w;
        }
    }
    if (pfd[1] >= 0)
        close(pfd[1]);
    if (pid > 0) {
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
            rc = ecl_err_set(e, ECL_EPARTIAL, "hook '%s' failed for '%s/%s' with exit status %d", cmd,
                             c->table, c->partition, WEXITSTATUS(status));
        else if (WIFSIGNALED(status))
            rc = ecl_err_set(e, ECL_EPARTIAL, "hook '%s' was killed by signal %d for '%s/%s'", cmd,
                             WTERMSIG(status), c->table, c->partition);
    }
    for (size_t i = first_owned; envp && i < k; i++)
        free(envp[i]);
    free(envp);
    free(json);
    return rc;
}

/* ---- committed check ---- */

typedef struct size_list {
    const ecl_manifest *m;
    uint8_t *seen; /* per manifest file: 1 = present with the right size */
    size_t prefix_len;
    bool extra;    /* an object the manifest does not list (a stale part) */
} size_list;

static int note_size(const char *key, const ecl_obj_info *info, void *arg)
{
    size_list *s = arg;
    const char *base = key + s->prefix_len;
    if (strcmp(base, ECL_MANIFEST_NAME) == 0 || strcmp(base, ECL_SUCCESS_NAME) == 0)
        return 0;
    bool listed = false;
    for (size_t i = 0; i < s->m->nfiles; i++)
        if (strcmp(s->m->files[i].path, key) == 0) {
            listed = true;
            if (s->m->files[i].bytes == info->size)
                s->seen[i] = 1;
        }
    if (!listed)
        s->extra = true;
    return 0;
}

static bool str_match(const char *want, const char *have)
{
    return !want || (have && strcmp(want, have) == 0);
}

int ecl_partition_committed(ecl_sink *sink, const char *dir_key, const ecl_part_expect *x, bool *ok,
                            uint64_t *rows, uint64_t *bytes, ecl_err *e)
{
    *ok = false;
    char key[1200];
    ecl_obj_info info;
    ecl_err local = ECL_ERR_INIT;
    snprintf(key, sizeof key, "%s/%s", dir_key, ECL_SUCCESS_NAME);
    int rc = sink->ops->head(sink, key, &info, &local);
    if (rc == ECL_ENOTFOUND)
        return 0;
    if (rc) {
        *e = local;
        return rc;
    }
    snprintf(key, sizeof key, "%s/%s", dir_key, ECL_MANIFEST_NAME);
    ecl_buf b = ECL_BUF_INIT;
    rc = sink->ops->get(sink, key, &b, &local);
    ecl_manifest m;
    ecl_manifest_init(&m);
    if (rc == ECL_ENOTFOUND) {
        rc = 0;
    } else if (!rc && ecl_manifest_parse(&m, key, b.data, b.len, &local) == 0) {
        bool match = str_match(x->batch_id, m.batch_id) && str_match(x->config_hash, m.config_hash) &&
                     str_match(x->generator_version, m.generator_version) &&
                     str_match(x->messiness, m.messiness) && (!x->check_seed || x->seed == m.seed);
        if (match) {
            char prefix[1200];
            snprintf(prefix, sizeof prefix, "%s/", dir_key);
            size_list s = {&m, calloc(m.nfiles + 1, 1), strlen(prefix), false};
            if (!s.seen)
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory checking '%s'", dir_key);
            else
                rc = sink->ops->list(sink, prefix, note_size, &s, e);
            for (size_t i = 0; !rc && i < m.nfiles; i++)
                match = match && s.seen[i];
            match = match && !s.extra;
            free(s.seen);
            for (size_t i = 0; !rc && match && x->check_hashes && i < m.nfiles; i++) {
                ecl_obj_info fi;
                ecl_err fe = ECL_ERR_INIT;
                int hr = sink->ops->head(sink, m.files[i].path, &fi, &fe);
                if (!hr && !fi.sha256_hex[0]) {
                    /* No checksum in the object's metadata: read it back and hash it. */
                    ecl_buf data = ECL_BUF_INIT;
                    hr = sink->ops->get(sink, m.files[i].path, &data, &fe);
                    if (!hr) {
                        uint8_t d[32];
                        ecl_sha256(data.data, data.len, d);
                        ecl_hex(d, 32, fi.sha256_hex);
                    }
                    ecl_buf_release(&data);
                }
                if (hr == ECL_ENOTFOUND || (!hr && strcmp(fi.sha256_hex, m.files[i].sha256) != 0))
                    match = false;
                else if (hr)
                    rc = ecl_err_set(e, (ecl_code)hr, "%s", fe.msg);
            }
        }
        *ok = !rc && match;
        if (*ok && rows)
            *rows = m.total_rows;
        if (*ok && bytes)
            *bytes = m.total_bytes;
    } else if (rc) {
        *e = local;
    } else {
        rc = 0; /* an unreadable manifest: not committed */
    }
    ecl_manifest_release(&m);
    ecl_buf_release(&b);
    return rc;
}
