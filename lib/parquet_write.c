/* Parquet writer: rows are buffered per column until a row group is full, then every column chunk
 * is encoded (dictionary or plain pages, statistics, compression) by a small pool of threads into
 * its own buffer and the chunks are written in column order. Row group boundaries depend only on
 * the rows (never on how they were batched or on thread timing), so output is deterministic. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "parquet.h"
#include "pq_format.h"
#include "rle.h"
#include "thrift.h"
#include "version.h"

#define KIB (size_t)1024
#define MAX_STAT_BYTES 4096 /* longer string min/max are left out, as Arrow does */

enum kind { K_BOOL, K_I32, K_I32N, K_I64, K_F64, K_STR };

/* A column's rows for one row group: either a slice of a caller batch or our accumulator. */
typedef struct pq_view {
    const uint8_t *vals;  /* fixed-width values of the first row */
    const uint8_t *nulls; /* NULL when no row is null */
    const int64_t *offs;  /* strings: offs[0..n] into bytes */
    const uint8_t *bytes;
    size_t n;
} pq_view;

typedef struct pq_stat {
    int64_t nulls;
    bool has;
    int64_t imin, imax;
    double dmin, dmax;
    const uint8_t *smin, *smax;
    size_t sminl, smaxl;
} pq_stat;

/* Open addressing with linear probing. A slot holds the key (fixed-width values) or the 64-bit hash
 * (strings) next to the entry number, so a probe touches one cache line. */
typedef struct pq_slot {
    uint64_t key;
    uint32_t id1; /* entry + 1, 0 = empty */
    uint32_t pad;
} pq_slot;

typedef struct pq_dict {
    pq_slot *slots;
    size_t cap; /* power of two */
    int shift;
    uint64_t *keys; /* fixed-width entries (bit patterns), or string hashes */
    uint32_t *soff, *slen;
    size_t ecap;
    ecl_buf sbytes;
    size_t count;
    size_t plain_bytes;
} pq_dict;

typedef struct pq_acc {
    ecl_buf vals, nulls, offs, bytes;
    bool any_null;
} pq_acc;

typedef struct pq_col {
    const ecl_field *f;
    enum kind k;
    int phys;
    bool opt;
    size_t width; /* plain width of one value (0 for strings, 1 for bools as an estimate) */
    pq_acc acc;
    ecl_buf out, page, cbuf, hdr;
    uint32_t *idx;
    size_t idxcap;
    uint32_t *seen, *seenlist;
    size_t seencap;
    uint32_t epoch;
    int dict_rest; /* row groups left to write without trying a dictionary */
    pq_dict dict;
    ecl_codec_ctx *cc;
    ecl_codec codec;    /* this chunk's codec */
    bool codec_settled; /* false until a PLAIN chunk's first page has been tried */
    /* result of the last encoded chunk */
    int64_t dict_off, data_off;
    int64_t unc, comp, nvalues;
    unsigned enc_mask;
    int npages_dict, npages_dictdata, npages_plain;
    pq_stat st;
    ecl_err err;
    int rc;
} pq_col;

struct ecl_pq_writer {
    ecl_out *out;
    uint64_t base;
    ecl_schema schema;
    ecl_pq_opts o;
    ecl_kv *kv;
    size_t nkv;
    char *kvstore;
    pq_col *cols;
    size_t ncols;
    size_t *order; /* columns in the order workers take them: strings (the slowest) first */
    size_t fixed_row_bytes; /* size estimate of one row's fixed-width part */
    size_t acc_rows;
    uint64_t acc_bytes;
    ecl_buf rgmeta;
    size_t nrg;
    int64_t rows;
    uint64_t sum_unc, sum_comp;
    int nthreads;
    int failed;
    bool finished;
};

void ecl_pq_opts_default(ecl_pq_opts *o)
{
    memset(o, 0, sizeof *o);
    o->codec = ECL_CODEC_SNAPPY;
    o->page_bytes = 1024 * KIB;
    o->row_group_bytes = 128 * 1024 * KIB;
    o->dict_max_bytes = 1024 * KIB;
}

/* ---------------------------------------------------------------- types */

static enum kind kind_of(const ecl_field *f)
{
    switch (f->type) {
    case ECL_T_BOOL: return K_BOOL;
    case ECL_T_INT32:
    case ECL_T_DATE: return K_I32;
    case ECL_T_INT64:
    case ECL_T_TIMESTAMP: return K_I64;
    case ECL_T_DOUBLE: return K_F64;
    case ECL_T_STRING: return K_STR;
    case ECL_T_DECIMAL: return f->precision <= 9 ? K_I32N : K_I64;
    }
    return K_I64;
}

static int phys_of(enum kind k)
{
    static const int p[] = {PQ_BOOLEAN, PQ_INT32, PQ_INT32, PQ_INT64, PQ_DOUBLE, PQ_BYTE_ARRAY};
    return p[k];
}

static size_t plain_width(enum kind k)
{
    static const size_t w[] = {1, 4, 4, 8, 8, 0};
    return w[k];
}

/* ---------------------------------------------------------------- statistics */

static void stat_reset(pq_stat *s) { memset(s, 0, sizeof *s); }

static inline void stat_int(pq_stat *s, int64_t v)
{
    if (!s->has) {
        s->has = true;
        s->imin = s->imax = v;
    } else if (v < s->imin) {
        s->imin = v;
    } else if (v > s->imax) {
        s->imax = v;
    }
}

static inline void stat_dbl(pq_stat *s, double v)
{
    if (isnan(v))
        return;
    if (!s->has) {
        s->has = true;
        s->dmin = s->dmax = v;
        return;
    }
    if (v < s->dmin || (v == 0 && s->dmin == 0 && signbit(v)))
        s->dmin = v;
    if (v > s->dmax || (v == 0 && s->dmax == 0 && !signbit(v)))
        s->dmax = v;
}

static inline int bytes_cmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static inline void stat_str(pq_stat *s, const uint8_t *p, size_t n)
{
    if (!s->has) {
        s->has = true;
        s->smin = s->smax = p;
        s->sminl = s->smaxl = n;
        return;
    }
    if (bytes_cmp(p, n, s->smin, s->sminl) < 0) {
        s->smin = p;
        s->sminl = n;
    } else if (bytes_cmp(p, n, s->smax, s->smaxl) > 0) {
        s->smax = p;
        s->smaxl = n;
    }
}

static void stat_merge(pq_stat *d, const pq_stat *s, enum kind k)
{
    d->nulls += s->nulls;
    if (!s->has)
        return;
    if (k == K_F64) {
        stat_dbl(d, s->dmin);
        stat_dbl(d, s->dmax);
    } else if (k == K_STR) {
        stat_str(d, s->smin, s->sminl);
        stat_str(d, s->smax, s->smaxl);
    } else {
        stat_int(d, s->imin);
        stat_int(d, s->imax);
    }
}

/* Encodes a min or max in the plain form of the physical type. Returns its length. */
static size_t stat_bytes(enum kind k, const pq_stat *s, bool max, uint8_t tmp[8], const uint8_t **p)
{
    *p = tmp;
    switch (k) {
    case K_BOOL:
        tmp[0] = (uint8_t)(max ? s->imax : s->imin);
        return 1;
    case K_I32:
    case K_I32N: {
        int32_t v = (int32_t)(max ? s->imax : s->imin);
        memcpy(tmp, &v, 4);
        return 4;
    }
    case K_I64: {
        int64_t v = max ? s->imax : s->imin;
        memcpy(tmp, &v, 8);
        return 8;
    }
    case K_F64: {
        double v = max ? s->dmax : s->dmin;
        /* the spec asks for -0.0 as a zero min and +0.0 as a zero max */
        if (v == 0)
            v = max ? 0.0 : -0.0;
        memcpy(tmp, &v, 8);
        return 8;
    }
    case K_STR:
        *p = max ? s->smax : s->smin;
        return max ? s->smaxl : s->sminl;
    }
    return 0;
}

static void put_stats(ecl_thr_w *t, int16_t fid, enum kind k, const pq_stat *s)
{
    ecl_thr_w_struct_field(t, fid);
    uint8_t tmin[8], tmax[8];
    const uint8_t *pmin = NULL, *pmax = NULL;
    size_t lmin = 0, lmax = 0;
    bool mm = s->has;
    if (mm) {
        lmin = stat_bytes(k, s, false, tmin, &pmin);
        lmax = stat_bytes(k, s, true, tmax, &pmax);
        if (lmin > MAX_STAT_BYTES || lmax > MAX_STAT_BYTES)
            mm = false;
    }
    /* the deprecated fields use signed order: right for numbers, wrong for strings */
    if (mm && k != K_STR) {
        ecl_thr_w_binary_field(t, 1, pmax, lmax);
        ecl_thr_w_binary_field(t, 2, pmin, lmin);
    }
    ecl_thr_w_i64_field(t, 3, s->nulls);
    if (mm) {
        ecl_thr_w_binary_field(t, 5, pmax, lmax);
        ecl_thr_w_binary_field(t, 6, pmin, lmin);
    }
    ecl_thr_w_struct_end(t);
}

/* ---------------------------------------------------------------- dictionary */

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 31;
    x *= UINT64_C(0x9E3779B97F4A7C15);
    x ^= x >> 29;
    return x;
}

static inline uint64_t str_hash(const uint8_t *p, size_t n)
{
    uint64_t h = UINT64_C(0x243F6A8885A308D3) ^ ((uint64_t)n * UINT64_C(0xFF51AFD7ED558CCD));
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
        h ^= h >> 31;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    h = (h ^ w) * UINT64_C(0x94D049BB133111EB);
    h ^= h >> 29;
    h *= UINT64_C(0xBF58476D1CE4E5B9);
    return h ^ (h >> 32);
}

static void dict_free(pq_dict *d)
{
    free(d->slots);
    free(d->keys);
    free(d->soff);
    free(d->slen);
    ecl_buf_release(&d->sbytes);
    memset(d, 0, sizeof *d);
}

static int dict_reset(pq_dict *d)
{
    if (!d->slots) {
        d->cap = 1024;
        d->shift = 64 - 10;
        d->slots = calloc(d->cap, sizeof *d->slots);
        if (!d->slots)
            return ECL_ENOMEM;
    } else {
        memset(d->slots, 0, d->cap * sizeof *d->slots);
    }
    d->count = 0;
    d->plain_bytes = 0;
    ecl_buf_clear(&d->sbytes);
    return 0;
}

static int dict_grow_entries(pq_dict *d, bool str)
{
    size_t ncap = d->ecap ? d->ecap * 2 : 1024;
    uint64_t *k = realloc(d->keys, ncap * sizeof *k);
    if (k)
        d->keys = k;
    if (str) {
        uint32_t *a = realloc(d->soff, ncap * sizeof *a);
        if (a)
            d->soff = a;
        uint32_t *b = realloc(d->slen, ncap * sizeof *b);
        if (b)
            d->slen = b;
        if (!a || !b)
            return ECL_ENOMEM;
    }
    if (!k)
        return ECL_ENOMEM;
    d->ecap = ncap;
    return 0;
}

/* Doubles the slot table and reinserts every entry. */
static int dict_rehash(pq_dict *d)
{
    size_t ncap = d->cap * 2;
    pq_slot *s = calloc(ncap, sizeof *s);
    if (!s)
        return ECL_ENOMEM;
    int shift = d->shift - 1;
    size_t mask = ncap - 1;
    for (size_t i = 0; i < d->count; i++) {
        size_t pos = (size_t)(mix64(d->keys[i]) >> shift);
        while (s[pos].id1)
            pos = (pos + 1) & mask;
        s[pos].key = d->keys[i];
        s[pos].id1 = (uint32_t)i + 1;
    }
    free(d->slots);
    d->slots = s;
    d->cap = ncap;
    d->shift = shift;
    return 0;
}

static inline uint64_t load_key(enum kind k, const uint8_t *vals, size_t i)
{
    switch (k) {
    case K_I32: {
        int32_t v;
        memcpy(&v, vals + 4 * i, 4);
        return (uint32_t)v;
    }
    case K_I32N:
    case K_I64:
    case K_F64: {
        uint64_t v;
        memcpy(&v, vals + 8 * i, 8);
        return k == K_I32N ? (uint32_t)(int32_t)(int64_t)v : v;
    }
    default:
        return vals[i];
    }
}

/* Sizes the empty slot table for the entries the chunk is expected to add when a sample of its first
 * values is nearly all distinct (ids, timestamps, amounts): such a column otherwise doubles the table
 * a dozen times, zeroing and reinserting at each step. Entry numbers follow first appearance, so the
 * table size never changes the output. */
static int dict_presize(pq_dict *d, const pq_view *v, enum kind k, size_t max)
{
    enum { SAMPLE = 128, TSIZE = 256 };
    uint64_t seen[TSIZE];
    bool used[TSIZE] = {false};
    size_t sampled = 0, distinct = 0, bytes = 0;
    for (size_t r = 0; r < v->n && sampled < SAMPLE; r++) {
        if (v->nulls && v->nulls[r])
            continue;
        uint64_t h;
        if (k == K_STR) {
            size_t len = (size_t)(v->offs[r + 1] - v->offs[r]);
            h = str_hash(v->bytes + v->offs[r], len);
            bytes += 4 + len;
        } else {
            h = mix64(load_key(k, v->vals, r));
            bytes += plain_width(k);
        }
        sampled++;
        size_t pos = (size_t)(h >> 56);
        while (used[pos] && seen[pos] != h)
            pos = (pos + 1) & (TSIZE - 1);
        if (!used[pos]) {
            used[pos] = true;
            seen[pos] = h;
            distinct++;
        }
    }
    if (sampled < SAMPLE || distinct * 8 < sampled * 7)
        return 0;
    size_t per = bytes / sampled ? bytes / sampled : 1;
    size_t entries = max / per + 1;
    if (entries > v->n)
        entries = v->n;
    size_t cap = d->cap;
    int shift = d->shift;
    while (cap < 2 * (entries + 1)) {
        cap *= 2;
        shift--;
    }
    if (cap == d->cap)
        return 0;
    pq_slot *s = calloc(cap, sizeof *s);
    if (!s)
        return ECL_ENOMEM;
    free(d->slots);
    d->slots = s;
    d->cap = cap;
    d->shift = shift;
    return 0;
}

/* True when no value repeats in a sample of the chunk: every value when there are at most 1,024,
 * else one row from each of 1,024 equal strata, at a pseudo-random place in its stratum (an even
 * stride would miss the repeats of cyclic data). A dictionary of distinct values is the values
 * themselves plus an index per row, so PLAIN is smaller and cheaper; and by the birthday bound a
 * column whose sample has no repeat has so many distinct values that its dictionary would outgrow
 * the limit or barely repeat anything. A hash collision only makes us keep the dictionary. The
 * sample depends on the row count alone, so the output stays deterministic. */
static bool looks_unique(const pq_view *v, enum kind k)
{
    enum { SAMPLE = 1024, TBITS = 12, TSIZE = 1 << TBITS };
    uint64_t seen[TSIZE];
    uint8_t used[TSIZE];
    memset(used, 0, sizeof used);
    size_t stride = v->n > SAMPLE ? v->n / SAMPLE : 1, taken = 0;
    for (size_t j = 0; j * stride < v->n && taken < SAMPLE; j++) {
        size_t span = v->n - j * stride < stride ? v->n - j * stride : stride;
        size_t r = j * stride + (size_t)(mix64(j + 1) % span);
        if (v->nulls && v->nulls[r])
            continue;
        uint64_t h = k == K_STR ? str_hash(v->bytes + v->offs[r], (size_t)(v->offs[r + 1] - v->offs[r]))
                                : mix64(load_key(k, v->vals, r));
        size_t pos = (size_t)(h >> (64 - TBITS));
        while (used[pos]) {
            if (seen[pos] == h)
                return false;
            pos = (pos + 1) & (TSIZE - 1);
        }
        used[pos] = 1;
        seen[pos] = h;
        taken++;
    }
    return taken > 0;
}

/* Builds the dictionary over the rows' values until it would outgrow max bytes. Fills c->idx with
 * one index per non-null value and returns the number of rows it covers (*nidx values). */
static inline __attribute__((always_inline)) size_t
dict_build_fixed(pq_col *c, const pq_view *v, size_t max, size_t *nidx, enum kind k, int *rc)
{
    pq_dict *d = &c->dict;
    const uint8_t *nulls = v->nulls;
    size_t width = plain_width(k);
    size_t nv = 0, r;
    size_t mask = d->cap - 1;
    uint64_t prev = 0;
    uint32_t prev_id = UINT32_MAX;
    for (r = 0; r < v->n; r++) {
        if (nulls && nulls[r])
            continue;
        uint64_t key = load_key(k, v->vals, r);
        /* runs of one value (constant columns) skip the hash table */
        if (key == prev && prev_id != UINT32_MAX) {
            c->idx[nv++] = prev_id;
            continue;
        }
        size_t pos = (size_t)(mix64(key) >> d->shift);
        uint32_t id;
        for (;;) {
            pq_slot *s = &d->slots[pos];
            if (!s->id1) {
                if (d->plain_bytes + width > max)
                    goto done;
                if ((d->count + 1) * 2 > d->cap) {
                    if (dict_rehash(d)) {
                        *rc = ECL_ENOMEM;
                        goto done;
                    }
                    mask = d->cap - 1;
                    pos = (size_t)(mix64(key) >> d->shift);
                    continue;
                }
                if (d->count == d->ecap && dict_grow_entries(d, false)) {
                    *rc = ECL_ENOMEM;
                    goto done;
                }
                id = (uint32_t)d->count++;
                d->keys[id] = key;
                s->key = key;
                s->id1 = id + 1;
                d->plain_bytes += width;
                break;
            }
            if (s->key == key) {
                id = s->id1 - 1;
                break;
            }
            pos = (pos + 1) & mask;
        }
        c->idx[nv++] = id;
        prev = key;
        prev_id = id;
    }
done:
    *nidx = nv;
    return r;
}

static size_t dict_build_str(pq_col *c, const pq_view *v, size_t max, size_t *nidx, int *rc)
{
    pq_dict *d = &c->dict;
    const uint8_t *nulls = v->nulls;
    size_t nv = 0, r;
    size_t mask = d->cap - 1;
    const uint8_t *prev = NULL;
    size_t prev_len = 0;
    uint32_t prev_id = 0;
    for (r = 0; r < v->n; r++) {
        if (nulls && nulls[r])
            continue;
        const uint8_t *p = v->bytes + v->offs[r];
        size_t len = (size_t)(v->offs[r + 1] - v->offs[r]);
        /* runs of one value (batch_id, source_file, repeated codes) skip hashing */
        if (prev && len == prev_len && memcmp(p, prev, len) == 0) {
            c->idx[nv++] = prev_id;
            continue;
        }
        uint64_t h = str_hash(p, len);
        size_t pos = (size_t)(mix64(h) >> d->shift);
        uint32_t id;
        for (;;) {
            pq_slot *s = &d->slots[pos];
            if (!s->id1) {
                if (d->plain_bytes + 4 + len > max || len > UINT32_MAX)
                    goto done;
                if ((d->count + 1) * 2 > d->cap) {
                    if (dict_rehash(d)) {
                        *rc = ECL_ENOMEM;
                        goto done;
                    }
                    mask = d->cap - 1;
                    pos = (size_t)(mix64(h) >> d->shift);
                    continue;
                }
                if (d->count == d->ecap && dict_grow_entries(d, true)) {
                    *rc = ECL_ENOMEM;
                    goto done;
                }
                id = (uint32_t)d->count++;
                d->keys[id] = h;
                d->soff[id] = (uint32_t)d->sbytes.len;
                d->slen[id] = (uint32_t)len;
                if (ecl_buf_append(&d->sbytes, p, len)) {
                    *rc = ECL_ENOMEM;
                    goto done;
                }
                s->key = h;
                s->id1 = id + 1;
                d->plain_bytes += 4 + len;
                break;
            }
            if (s->key == h) {
                uint32_t e = s->id1 - 1;
                if (d->slen[e] == len && memcmp(d->sbytes.data + d->soff[e], p, len) == 0) {
                    id = e;
                    break;
                }
            }
            pos = (pos + 1) & mask;
        }
        c->idx[nv++] = id;
        prev = p;
        prev_len = len;
        prev_id = id;
    }
done:
    *nidx = nv;
    return r;
}

/* ---------------------------------------------------------------- pages */

static int col_fail(pq_col *c, int rc, const char *what)
{
    if (!c->rc)
        c->rc = ecl_err_set(&c->err, rc, "column '%s': %s", c->f->name, what);
    return c->rc;
}

/* Settles the codec of a snappy chunk that starts with PLAIN values (values that never repeat):
 * when snappy shrinks a 4 KiB sample of its first page by less than 1/8 (the rule ZFS applies to
 * its blocks), the chunk is stored uncompressed. Hex digests (event ids) are the case in point:
 * snappy finds many short spurious matches in them, saves about 9% and runs slower on them than on
 * anything else in a file, so compressing them cost more CPU than all the other columns together
 * for almost nothing. Snappy is chosen for speed; zstd and gzip, chosen for size, are always
 * applied. The decision depends only on the data, so output stays deterministic. */
static int settle_codec(pq_col *c, const ecl_pq_opts *o)
{
    c->codec_settled = true;
    enum { SAMPLE = 4096 };
    if (c->codec != ECL_CODEC_SNAPPY || o->always_compress || c->page.len < SAMPLE)
        return 0;
    ecl_buf_clear(&c->cbuf);
    int rc = ecl_compress(c->cc, c->codec, o->level, c->page.data, SAMPLE, &c->cbuf, &c->err);
    if (rc)
        return c->rc = rc;
    if (c->cbuf.len * 8 > (size_t)SAMPLE * 7)
        c->codec = ECL_CODEC_NONE;
    return 0;
}

/* Compresses c->page and appends header + body to c->out. */
static int emit_page(pq_col *c, const ecl_pq_opts *o, int ptype, size_t nvalues, int enc,
                     const pq_stat *st)
{
    const uint8_t *body = c->page.data;
    size_t blen = c->page.len;
    if (!c->codec_settled && settle_codec(c, o))
        return c->rc;
    if (c->codec != ECL_CODEC_NONE) {
        ecl_buf_clear(&c->cbuf);
        int rc = ecl_compress(c->cc, c->codec, o->level, c->page.data, c->page.len, &c->cbuf, &c->err);
        if (rc)
            return c->rc = rc;
        body = c->cbuf.data;
        blen = c->cbuf.len;
    }
    if (c->page.len > INT32_MAX || blen > INT32_MAX || nvalues > INT32_MAX)
        return col_fail(c, ECL_EINVAL, "page larger than 2 GiB");
    ecl_buf_clear(&c->hdr);
    ecl_thr_w t;
    ecl_thr_w_init(&t, &c->hdr);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i32_field(&t, 1, ptype);
    ecl_thr_w_i32_field(&t, 2, (int32_t)c->page.len);
    ecl_thr_w_i32_field(&t, 3, (int32_t)blen);
    if (ptype == PQ_PAGE_DATA) {
        ecl_thr_w_struct_field(&t, 5);
        ecl_thr_w_i32_field(&t, 1, (int32_t)nvalues);
        ecl_thr_w_i32_field(&t, 2, enc);
        ecl_thr_w_i32_field(&t, 3, PQ_ENC_RLE);
        ecl_thr_w_i32_field(&t, 4, PQ_ENC_RLE);
        put_stats(&t, 5, c->k, st);
        ecl_thr_w_struct_end(&t);
    } else {
        ecl_thr_w_struct_field(&t, 7);
        ecl_thr_w_i32_field(&t, 1, (int32_t)nvalues);
        ecl_thr_w_i32_field(&t, 2, enc);
        ecl_thr_w_struct_end(&t);
    }
    ecl_thr_w_struct_end(&t);
    if (ptype == PQ_PAGE_DICTIONARY)
        c->dict_off = (int64_t)c->out.len;
    else if (c->data_off < 0)
        c->data_off = (int64_t)c->out.len;
    ecl_buf_append(&c->out, c->hdr.data, c->hdr.len);
    ecl_buf_append(&c->out, body, blen);
    if (ecl_thr_w_error(&t) || ecl_buf_oom(&c->out))
        return col_fail(c, ECL_ENOMEM, "out of memory assembling a page");
    c->unc += (int64_t)(c->hdr.len + c->page.len);
    c->comp += (int64_t)(c->hdr.len + blen);
    c->enc_mask |= 1u << enc;
    if (ptype == PQ_PAGE_DATA)
        stat_merge(&c->st, st, c->k);
    return 0;
}

/* Starts a v1 data page body: definition levels with their 4-byte length, for optional columns. */
static int page_levels(pq_col *c, const uint8_t *nulls, size_t n)
{
    ecl_buf_clear(&c->page);
    if (!c->opt)
        return 0;
    if (ecl_buf_grow(&c->page, 4 + ecl_rle_max_size(n, 1)))
        return col_fail(c, ECL_ENOMEM, "out of memory");
    size_t len = ecl_rle_encode_deflevels(c->page.data + 4, nulls, n);
    uint32_t l32 = (uint32_t)len;
    memcpy(c->page.data, &l32, 4);
    ecl_buf_setlen(&c->page, 4 + len);
    return 0;
}

static size_t count_nulls(const uint8_t *nulls, size_t n)
{
    if (!nulls)
        return 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += nulls[i] != 0;
    return k;
}

static int write_dict_page(pq_col *c, const ecl_pq_opts *o)
{
    pq_dict *d = &c->dict;
    ecl_buf_clear(&c->page);
    if (ecl_buf_grow(&c->page, d->plain_bytes))
        return col_fail(c, ECL_ENOMEM, "out of memory");
    uint8_t *p = c->page.data;
    if (c->k == K_STR) {
        for (size_t i = 0; i < d->count; i++) {
            uint32_t l = d->slen[i];
            memcpy(p, &l, 4);
            memcpy(p + 4, d->sbytes.data + d->soff[i], l);
            p += 4 + l;
        }
    } else if (c->width == 4) {
        for (size_t i = 0; i < d->count; i++, p += 4) {
            uint32_t v = (uint32_t)d->keys[i];
            memcpy(p, &v, 4);
        }
    } else {
        memcpy(p, d->keys, 8 * d->count);
        p += 8 * d->count;
    }
    ecl_buf_setlen(&c->page, (size_t)(p - c->page.data));
    c->npages_dict++;
    return emit_page(c, o, PQ_PAGE_DICTIONARY, d->count, PQ_ENC_PLAIN, NULL);
}

/* Page statistics from dictionary indices. */
static void dict_page_stats(pq_col *c, const uint32_t *ix, size_t m, pq_stat *st)
{
    pq_dict *d = &c->dict;
    switch (c->k) {
    case K_I32:
    case K_I32N:
        for (size_t i = 0; i < m; i++)
            stat_int(st, (int32_t)(uint32_t)d->keys[ix[i]]);
        break;
    case K_I64:
        for (size_t i = 0; i < m; i++)
            stat_int(st, (int64_t)d->keys[ix[i]]);
        break;
    case K_F64:
        for (size_t i = 0; i < m; i++) {
            double x;
            memcpy(&x, &d->keys[ix[i]], 8);
            stat_dbl(st, x);
        }
        break;
    case K_STR: {
        /* compare each distinct entry of the page once */
        if (++c->epoch == 0) {
            memset(c->seen, 0, c->seencap * sizeof *c->seen);
            c->epoch = 1;
        }
        size_t ns = 0;
        for (size_t i = 0; i < m; i++) {
            uint32_t id = ix[i];
            if (c->seen[id] != c->epoch) {
                c->seen[id] = c->epoch;
                c->seenlist[ns++] = id;
            }
        }
        for (size_t i = 0; i < ns; i++) {
            uint32_t id = c->seenlist[i];
            stat_str(st, d->sbytes.data + d->soff[id], d->slen[id]);
        }
        break;
    }
    default:
        break;
    }
}

static int dict_pages(pq_col *c, const pq_view *v, const ecl_pq_opts *o, size_t rows)
{
    pq_dict *d = &c->dict;
    if (c->k == K_STR && d->count > c->seencap) {
        free(c->seen);
        free(c->seenlist);
        c->seen = calloc(d->count, sizeof *c->seen);
        c->seenlist = malloc(d->count * sizeof *c->seenlist);
        c->seencap = c->seen && c->seenlist ? d->count : 0;
        c->epoch = 0;
        if (!c->seencap)
            return col_fail(c, ECL_ENOMEM, "out of memory");
    }
    int bw = ecl_bit_width(d->count - 1);
    if (bw < 1)
        bw = 1; /* width 0 is legal, but some readers mishandle it */
    size_t per = o->page_bytes * 8 / (size_t)(bw + (c->opt ? 1 : 0));
    if (per < 64)
        per = 64;
    size_t vi = 0;
    for (size_t r = 0; r < rows;) {
        size_t e = rows - r > per ? r + per : rows;
        const uint8_t *nl = v->nulls ? v->nulls + r : NULL;
        size_t nn = (e - r) - count_nulls(nl, e - r);
        if (page_levels(c, nl, e - r))
            return c->rc;
        if (ecl_buf_grow(&c->page, 1 + ecl_rle_max_size(nn, bw)))
            return col_fail(c, ECL_ENOMEM, "out of memory");
        uint8_t *p = c->page.data + c->page.len;
        p[0] = (uint8_t)bw;
        size_t len = ecl_rle_encode_u32(p + 1, c->idx + vi, nn, bw);
        ecl_buf_setlen(&c->page, c->page.len + 1 + len);
        pq_stat st;
        stat_reset(&st);
        st.nulls = (int64_t)(e - r - nn);
        dict_page_stats(c, c->idx + vi, nn, &st);
        c->npages_dictdata++;
        if (emit_page(c, o, PQ_PAGE_DATA, e - r, PQ_ENC_RLE_DICTIONARY, &st))
            return c->rc;
        vi += nn;
        r = e;
    }
    return 0;
}

/* Copies the non-null values of rows [r, e) as OUT_T, updating the statistics with STAT. */
#define PLAIN_FIXED(IN_T, OUT_T, STAT)                                                              \
    do {                                                                                            \
        const IN_T *x = (const IN_T *)(const void *)v->vals;                                        \
        for (size_t i = r; i < e; i++) {                                                            \
            if (nulls && nulls[i])                                                                  \
                continue;                                                                           \
            OUT_T y = (OUT_T)x[i];                                                                  \
            STAT(st, y);                                                                            \
            memcpy(p, &y, sizeof y);                                                                \
            p += sizeof y;                                                                          \
        }                                                                                           \
    } while (0)

/* Plain values of rows [r, e) into c->page, updating st. */
static int plain_values(pq_col *c, const pq_view *v, size_t r, size_t e, pq_stat *st)
{
    const uint8_t *nulls = v->nulls;
    size_t n = e - r;
    size_t need = c->k == K_STR ? (size_t)(v->offs[e] - v->offs[r]) + 4 * n
                  : c->k == K_BOOL ? n / 8 + 1
                                   : c->width * n;
    if (ecl_buf_grow(&c->page, need))
        return col_fail(c, ECL_ENOMEM, "out of memory");
    uint8_t *p = c->page.data + c->page.len;
    switch (c->k) {
    case K_BOOL: {
        uint8_t acc = 0;
        int nb = 0;
        for (size_t i = r; i < e; i++) {
            if (nulls && nulls[i])
                continue;
            uint8_t b = v->vals[i] != 0;
            stat_int(st, b);
            acc |= (uint8_t)(b << nb);
            if (++nb == 8) {
                *p++ = acc;
                acc = 0;
                nb = 0;
            }
        }
        if (nb)
            *p++ = acc;
        break;
    }
    case K_I32: PLAIN_FIXED(int32_t, int32_t, stat_int); break;
    case K_I32N: PLAIN_FIXED(int64_t, int32_t, stat_int); break;
    case K_I64: PLAIN_FIXED(int64_t, int64_t, stat_int); break;
    case K_F64: PLAIN_FIXED(double, double, stat_dbl); break;
    case K_STR:
        for (size_t i = r; i < e; i++) {
            if (nulls && nulls[i])
                continue;
            const uint8_t *s = v->bytes + v->offs[i];
            uint32_t l = (uint32_t)(v->offs[i + 1] - v->offs[i]);
            stat_str(st, s, l);
            memcpy(p, &l, 4);
            memcpy(p + 4, s, l);
            p += 4 + l;
        }
        break;
    }
    ecl_buf_setlen(&c->page, (size_t)(p - c->page.data));
    return 0;
}

static int plain_pages(pq_col *c, const pq_view *v, const ecl_pq_opts *o, size_t r)
{
    size_t per = c->width ? o->page_bytes / c->width : 0;
    if (c->k == K_BOOL)
        per = o->page_bytes * 8;
    if (c->width && per < 1)
        per = 1;
    while (r < v->n) {
        size_t e;
        if (c->k == K_STR) {
            /* at least one value; stop once the page reaches the target size */
            e = r + 1;
            size_t bytes = 4 + (size_t)(v->offs[e] - v->offs[r]);
            while (e < v->n && bytes < o->page_bytes) {
                bytes += 4 + (size_t)(v->offs[e + 1] - v->offs[e]);
                e++;
            }
        } else {
            e = v->n - r > per ? r + per : v->n;
        }
        const uint8_t *nl = v->nulls ? v->nulls + r : NULL;
        if (page_levels(c, nl, e - r))
            return c->rc;
        pq_stat st;
        stat_reset(&st);
        st.nulls = (int64_t)count_nulls(nl, e - r);
        if (plain_values(c, v, r, e, &st))
            return c->rc;
        c->npages_plain++;
        if (emit_page(c, o, PQ_PAGE_DATA, e - r, PQ_ENC_PLAIN, &st))
            return c->rc;
        r = e;
    }
    return 0;
}

static int check_decimals(pq_col *c, const pq_view *v)
{
    static const int64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
                                    1000000000, 10000000000, 100000000000, 1000000000000,
                                    10000000000000, 100000000000000, 1000000000000000,
                                    10000000000000000, 100000000000000000,
                                    1000000000000000000};
    int64_t lim = pow10[c->f->precision];
    const int64_t *x = (const int64_t *)(const void *)v->vals;
    for (size_t i = 0; i < v->n; i++) {
        if (v->nulls && v->nulls[i])
            continue;
        if (x[i] >= lim || x[i] <= -lim) {
            if (!c->rc)
                c->rc = ecl_err_set(&c->err, ECL_EINVAL,
                                    "column '%s': value %lld does not fit decimal(%d,%d)",
                                    c->f->name, (long long)x[i], c->f->precision, c->f->scale);
            return c->rc;
        }
    }
    return 0;
}

#define DICT_REST 3

/* Encodes one column chunk into c->out. */
static int encode_chunk(pq_col *c, const pq_view *v, const ecl_pq_opts *o)
{
    ecl_buf_clear(&c->out);
    c->dict_off = c->data_off = -1;
    c->unc = c->comp = 0;
    c->nvalues = (int64_t)v->n;
    c->enc_mask = 1u << PQ_ENC_RLE;
    c->npages_dict = c->npages_dictdata = c->npages_plain = 0;
    stat_reset(&c->st);
    if (c->f->type == ECL_T_DECIMAL && check_decimals(c, v))
        return c->rc;
    size_t rows_dict = 0;
    bool try_dict = !o->no_dictionary && c->k != K_BOOL && v->n;
    if (try_dict && c->dict_rest > 0) {
        c->dict_rest--;
        try_dict = false;
    }
    if (try_dict && looks_unique(v, c->k))
        try_dict = false;
    c->codec = o->codec;
    c->codec_settled = try_dict || o->no_dictionary || c->k == K_BOOL;
    if (try_dict) {
        if (v->n > c->idxcap) {
            free(c->idx);
            c->idx = malloc(v->n * sizeof *c->idx);
            c->idxcap = c->idx ? v->n : 0;
            if (!c->idx)
                return col_fail(c, ECL_ENOMEM, "out of memory");
        }
        if (dict_reset(&c->dict) || dict_presize(&c->dict, v, c->k, o->dict_max_bytes))
            return col_fail(c, ECL_ENOMEM, "out of memory");
        size_t nidx = 0;
        int rc = 0;
        switch (c->k) {
        case K_I32: rows_dict = dict_build_fixed(c, v, o->dict_max_bytes, &nidx, K_I32, &rc); break;
        case K_I32N: rows_dict = dict_build_fixed(c, v, o->dict_max_bytes, &nidx, K_I32N, &rc); break;
        case K_I64: rows_dict = dict_build_fixed(c, v, o->dict_max_bytes, &nidx, K_I64, &rc); break;
        case K_F64: rows_dict = dict_build_fixed(c, v, o->dict_max_bytes, &nidx, K_F64, &rc); break;
        case K_STR: rows_dict = dict_build_str(c, v, o->dict_max_bytes, &nidx, &rc); break;
        default: break;
        }
        if (rc)
            return col_fail(c, rc, "out of memory building the dictionary");
        /* A dictionary that overflowed before half the chunk is not worth building: the next
         * DICT_REST row groups of this column go straight to PLAIN, then we probe again. This
         * depends only on the data, so output stays deterministic. */
        if (rows_dict < v->n / 2)
            c->dict_rest = DICT_REST;
        if (c->dict.count == 0)
            rows_dict = 0; /* all null, or the first value alone outgrows the limit */
    }
    if (rows_dict) {
        if (write_dict_page(c, o) || dict_pages(c, v, o, rows_dict))
            return c->rc;
    }
    if (rows_dict < v->n || v->n == 0) {
        if (v->n == 0)
            return 0;
        if (plain_pages(c, v, o, rows_dict))
            return c->rc;
    }
    return 0;
}

/* ---------------------------------------------------------------- writer */

static void acc_release(pq_acc *a)
{
    ecl_buf_release(&a->vals);
    ecl_buf_release(&a->nulls);
    ecl_buf_release(&a->offs);
    ecl_buf_release(&a->bytes);
}

static void col_release(pq_col *c)
{
    acc_release(&c->acc);
    ecl_buf_release(&c->out);
    ecl_buf_release(&c->page);
    ecl_buf_release(&c->cbuf);
    ecl_buf_release(&c->hdr);
    free(c->idx);
    free(c->seen);
    free(c->seenlist);
    dict_free(&c->dict);
    ecl_codec_ctx_free(c->cc);
}

static int wfail(ecl_pq_writer *w, int rc)
{
    if (!w->failed)
        w->failed = rc;
    return rc;
}

void ecl_pq_writer_free(ecl_pq_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->ncols; i++)
        col_release(&w->cols[i]);
    free(w->cols);
    free(w->order);
    free(w->kv);
    free(w->kvstore);
    ecl_buf_release(&w->rgmeta);
    ecl_schema_release(&w->schema);
    free(w);
}

int ecl_pq_writer_open(ecl_pq_writer **wp, ecl_out *out, const ecl_schema *schema,
                       const ecl_pq_opts *opts, ecl_err *e)
{
    *wp = NULL;
    if (schema->nfields == 0)
        return ecl_err_set(e, ECL_EINVAL, "parquet schema has no columns");
    for (size_t i = 0; i < schema->nfields; i++) {
        const ecl_field *f = &schema->fields[i];
        if (f->type == ECL_T_DECIMAL &&
            (f->precision < 1 || f->precision > 18 || f->scale > f->precision))
            return ecl_err_set(e, ECL_EINVAL, "column '%s': bad decimal(%d,%d)", f->name,
                               f->precision, f->scale);
        if ((unsigned)f->type > ECL_T_DECIMAL)
            return ecl_err_set(e, ECL_EINVAL, "column '%s': unknown type", f->name);
    }
    ecl_pq_writer *w = calloc(1, sizeof *w);
    if (!w)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet writer");
    ecl_pq_opts_default(&w->o);
    if (opts)
        w->o = *opts;
    ecl_pq_opts def;
    ecl_pq_opts_default(&def);
    if (!w->o.page_bytes)
        w->o.page_bytes = def.page_bytes;
    if (!w->o.row_group_bytes)
        w->o.row_group_bytes = def.row_group_bytes;
    if (!w->o.dict_max_bytes)
        w->o.dict_max_bytes = def.dict_max_bytes;
    if (w->o.dict_max_bytes > (size_t)INT32_MAX)
        w->o.dict_max_bytes = INT32_MAX;
    if (ecl_codec_to_parquet(w->o.codec) < 0) {
        int codec = (int)w->o.codec;
        free(w);
        return ecl_err_set(e, ECL_EINVAL, "unknown parquet codec %d", codec);
    }
    int nt = w->o.threads;
    if (nt <= 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        nt = cpus < 1 ? 1 : cpus > 8 ? 8 : (int)cpus;
    }
    w->nthreads = nt;
    w->out = out;
    w->base = out->written;
    ecl_schema_init(&w->schema);
    ecl_buf_init(&w->rgmeta, 0);
    int rc = ecl_schema_copy(&w->schema, schema);
    /* copy the key-value metadata: one block of strings */
    size_t kvbytes = 0;
    for (size_t i = 0; opts && i < opts->nkv; i++)
        kvbytes += strlen(opts->kv[i].key) + 1 + (opts->kv[i].value ? strlen(opts->kv[i].value) + 1 : 0);
    w->nkv = opts ? opts->nkv : 0;
    w->kv = calloc(w->nkv + 1, sizeof *w->kv);
    w->kvstore = malloc(kvbytes + 1);
    w->ncols = schema->nfields;
    w->cols = calloc(w->ncols, sizeof *w->cols);
    w->order = calloc(w->ncols, sizeof *w->order);
    if (rc || !w->kv || !w->kvstore || !w->cols || !w->order) {
        ecl_pq_writer_free(w);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet writer");
    }
    char *s = w->kvstore;
    for (size_t i = 0; i < w->nkv; i++) {
        size_t kl = strlen(opts->kv[i].key) + 1;
        memcpy(s, opts->kv[i].key, kl);
        w->kv[i].key = s;
        s += kl;
        if (opts->kv[i].value) {
            size_t vl = strlen(opts->kv[i].value) + 1;
            memcpy(s, opts->kv[i].value, vl);
            w->kv[i].value = s;
            s += vl;
        }
    }
    w->o.kv = NULL;
    w->o.nkv = 0;
    for (size_t i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        c->f = &w->schema.fields[i];
        c->k = kind_of(c->f);
        c->phys = phys_of(c->k);
        c->opt = c->f->nullable;
        c->width = plain_width(c->k);
        w->fixed_row_bytes += c->k == K_STR ? 4 : c->width;
        c->cc = ecl_codec_ctx_new();
        if (!c->cc) {
            ecl_pq_writer_free(w);
            return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a parquet writer");
        }
        ecl_buf *bufs[] = {&c->acc.vals, &c->acc.nulls, &c->acc.offs, &c->acc.bytes, &c->out,
                           &c->page, &c->cbuf, &c->hdr, &c->dict.sbytes};
        for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++)
            ecl_buf_init(bufs[k], 0);
        int64_t zero = 0;
        ecl_buf_append(&c->acc.offs, &zero, sizeof zero);
    }
    size_t no = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < w->ncols; i++)
            if ((w->cols[i].k == K_STR) == (pass == 0))
                w->order[no++] = i;
    if ((rc = ecl_out_write(out, PQ_MAGIC, 4, e))) {
        ecl_pq_writer_free(w);
        return rc;
    }
    *wp = w;
    return 0;
}

/* ---- row group assembly ---- */

typedef struct pq_job {
    ecl_pq_writer *w;
    const pq_view *views;
    const size_t *order;
    atomic_size_t next;
} pq_job;

static void *encode_worker(void *arg)
{
    pq_job *j = arg;
    size_t k;
    while ((k = atomic_fetch_add(&j->next, 1)) < j->w->ncols) {
        size_t i = j->order[k];
        encode_chunk(&j->w->cols[i], &j->views[i], &j->w->o);
    }
    return NULL;
}

static void put_kv(ecl_thr_w *t, const char *k, const char *v)
{
    ecl_thr_w_struct_begin(t);
    ecl_thr_w_string_field(t, 1, k);
    if (v)
        ecl_thr_w_string_field(t, 2, v);
    ecl_thr_w_struct_end(t);
}

static void put_column_chunk(ecl_thr_w *t, const pq_col *c, int64_t start)
{
    int codec = ecl_codec_to_parquet(c->codec);
    ecl_thr_w_struct_begin(t);
    ecl_thr_w_i64_field(t, 2, start);
    ecl_thr_w_struct_field(t, 3);
    ecl_thr_w_i32_field(t, 1, c->phys);
    int nenc = __builtin_popcount(c->enc_mask);
    ecl_thr_w_list_field(t, 2, ECL_THR_I32, (size_t)nenc);
    for (int b = 0; b < 32; b++)
        if (c->enc_mask & (1u << b))
            ecl_thr_w_i32(t, b);
    ecl_thr_w_list_field(t, 3, ECL_THR_BINARY, 1);
    ecl_thr_w_binary(t, c->f->name, strlen(c->f->name));
    ecl_thr_w_i32_field(t, 4, codec);
    ecl_thr_w_i64_field(t, 5, c->nvalues);
    ecl_thr_w_i64_field(t, 6, c->unc);
    ecl_thr_w_i64_field(t, 7, c->comp);
    ecl_thr_w_i64_field(t, 9, start + (c->data_off >= 0 ? c->data_off : 0));
    if (c->dict_off >= 0)
        ecl_thr_w_i64_field(t, 11, start + c->dict_off);
    put_stats(t, 12, c->k, &c->st);
    int n = (c->npages_dict > 0) + (c->npages_dictdata > 0) + (c->npages_plain > 0);
    ecl_thr_w_list_field(t, 13, ECL_THR_STRUCT, (size_t)n);
    struct { int type, enc, count; } es[3] = {
        {PQ_PAGE_DICTIONARY, PQ_ENC_PLAIN, c->npages_dict},
        {PQ_PAGE_DATA, PQ_ENC_RLE_DICTIONARY, c->npages_dictdata},
        {PQ_PAGE_DATA, PQ_ENC_PLAIN, c->npages_plain},
    };
    for (int i = 0; i < 3; i++) {
        if (!es[i].count)
            continue;
        ecl_thr_w_struct_begin(t);
        ecl_thr_w_i32_field(t, 1, es[i].type);
        ecl_thr_w_i32_field(t, 2, es[i].enc);
        ecl_thr_w_i32_field(t, 3, es[i].count);
        ecl_thr_w_struct_end(t);
    }
    ecl_thr_w_struct_end(t);
    ecl_thr_w_struct_end(t);
}

/* Encodes and writes one row group from per-column views of nrows rows. */
static int write_row_group(ecl_pq_writer *w, const pq_view *views, size_t nrows, ecl_err *e)
{
    if (nrows == 0)
        return 0;
    if (w->nrg >= INT16_MAX)
        return wfail(w, ecl_err_set(e, ECL_EINVAL, "too many row groups in one parquet file"));
    for (size_t i = 0; i < w->ncols; i++) {
        w->cols[i].rc = 0;
        ecl_err_clear(&w->cols[i].err);
    }
    pq_job job = {.w = w, .views = views, .order = w->order};
    atomic_init(&job.next, 0);
    size_t nt = (size_t)w->nthreads;
    if (nt > w->ncols)
        nt = w->ncols;
    if (nrows * w->ncols < 65536)
        nt = 1; /* not worth a thread */
    pthread_t tids[8];
    size_t started = 0;
    for (size_t i = 1; i < nt && i <= 8; i++) {
        if (pthread_create(&tids[started], NULL, encode_worker, &job) == 0)
            started++;
    }
    encode_worker(&job);
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (size_t i = 0; i < w->ncols; i++) {
        if (w->cols[i].rc) {
            ecl_err_set(e, (ecl_code)w->cols[i].rc, "%s", w->cols[i].err.msg);
            return wfail(w, w->cols[i].rc);
        }
    }
    /* write the chunks and describe them */
    ecl_thr_w t;
    ecl_thr_w_init(&t, &w->rgmeta);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_list_field(&t, 1, ECL_THR_STRUCT, w->ncols);
    int64_t rg_start = (int64_t)(w->out->written - w->base);
    int64_t unc = 0, comp = 0;
    for (size_t i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        int64_t start = (int64_t)(w->out->written - w->base);
        int rc = ecl_out_write(w->out, c->out.data, c->out.len, e);
        if (rc)
            return wfail(w, rc);
        put_column_chunk(&t, c, start);
        unc += c->unc;
        comp += c->comp;
    }
    ecl_thr_w_i64_field(&t, 2, unc);
    ecl_thr_w_i64_field(&t, 3, (int64_t)nrows);
    ecl_thr_w_i64_field(&t, 5, rg_start);
    ecl_thr_w_i64_field(&t, 6, comp);
    ecl_thr_w_field(&t, 7, ECL_THR_I16);
    ecl_thr_w_i32(&t, (int32_t)w->nrg);
    ecl_thr_w_struct_end(&t);
    if (ecl_thr_w_error(&t))
        return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory writing parquet metadata"));
    w->nrg++;
    w->rows += (int64_t)nrows;
    w->sum_unc += (uint64_t)unc;
    w->sum_comp += (uint64_t)comp;
    /* give back memory a huge chunk left behind, keep ordinary buffers for the next group */
    for (size_t i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        if (c->out.cap > 4 * w->o.row_group_bytes + (64 << 20))
            ecl_buf_release(&c->out);
    }
    return 0;
}

static void acc_views(ecl_pq_writer *w, pq_view *views)
{
    for (size_t i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        views[i] = (pq_view){
            .vals = c->acc.vals.data,
            .nulls = c->acc.any_null ? c->acc.nulls.data : NULL,
            .offs = (const int64_t *)(const void *)c->acc.offs.data,
            .bytes = c->acc.bytes.data,
            .n = w->acc_rows,
        };
    }
}

static void acc_clear(ecl_pq_writer *w)
{
    for (size_t i = 0; i < w->ncols; i++) {
        pq_acc *a = &w->cols[i].acc;
        ecl_buf_clear(&a->vals);
        ecl_buf_clear(&a->nulls);
        ecl_buf_clear(&a->bytes);
        ecl_buf_setlen(&a->offs, sizeof(int64_t));
        a->any_null = false;
    }
    w->acc_rows = 0;
    w->acc_bytes = 0;
}

static int flush_acc(ecl_pq_writer *w, ecl_err *e)
{
    if (!w->acc_rows)
        return 0;
    pq_view *views = calloc(w->ncols, sizeof *views);
    if (!views)
        return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory"));
    acc_views(w, views);
    int rc = write_row_group(w, views, w->acc_rows, e);
    free(views);
    acc_clear(w);
    return rc;
}

/* Appends rows [a, b) of batch columns to the accumulator. */
static int acc_append(ecl_pq_writer *w, const ecl_batch *bt, size_t a, size_t b)
{
    size_t n = b - a;
    for (size_t i = 0; i < w->ncols; i++) {
        pq_col *c = &w->cols[i];
        const ecl_column *src = &bt->cols[i];
        pq_acc *ac = &c->acc;
        if (src->nulls && src->nnull) {
            if (!ac->any_null) {
                ecl_buf_clear(&ac->nulls);
                if (ecl_buf_grow(&ac->nulls, w->acc_rows + n))
                    return ECL_ENOMEM;
                memset(ac->nulls.data, 0, w->acc_rows);
                ecl_buf_setlen(&ac->nulls, w->acc_rows);
                ac->any_null = true;
            }
            if (ecl_buf_append(&ac->nulls, src->nulls + a, n))
                return ECL_ENOMEM;
        } else if (ac->any_null) {
            if (ecl_buf_grow(&ac->nulls, n))
                return ECL_ENOMEM;
            memset(ac->nulls.data + ac->nulls.len, 0, n);
            ecl_buf_setlen(&ac->nulls, ac->nulls.len + n);
        }
        if (c->k == K_STR) {
            int64_t o0 = src->offsets[a];
            int64_t base = (int64_t)ac->bytes.len;
            if (ecl_buf_append(&ac->bytes, src->bytes.data + o0, (size_t)(src->offsets[b] - o0)) ||
                ecl_buf_grow(&ac->offs, n * sizeof(int64_t)))
                return ECL_ENOMEM;
            int64_t *dst = (int64_t *)(void *)(ac->offs.data + ac->offs.len);
            for (size_t r = 0; r < n; r++)
                dst[r] = src->offsets[a + r + 1] - o0 + base;
            ecl_buf_setlen(&ac->offs, ac->offs.len + n * sizeof(int64_t));
        } else {
            size_t sw = ecl_type_width(src->type);
            if (ecl_buf_append(&ac->vals, (const uint8_t *)src->values + a * sw, n * sw))
                return ECL_ENOMEM;
        }
    }
    w->acc_rows += n;
    return 0;
}

/* Size of rows [a, b) in our row group accounting (plain-encoded size). */
static uint64_t rows_bytes(const ecl_pq_writer *w, const ecl_batch *bt, size_t a, size_t b)
{
    uint64_t s = (uint64_t)(b - a) * w->fixed_row_bytes;
    for (size_t i = 0; i < w->ncols; i++)
        if (w->cols[i].k == K_STR)
            s += (uint64_t)(bt->cols[i].offsets[b] - bt->cols[i].offsets[a]);
    return s;
}

static int check_batch(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e)
{
    const ecl_schema *s = b->schema;
    if (!s || s->nfields != w->ncols)
        return ecl_err_set(e, ECL_EINVAL, "batch does not match the parquet schema");
    for (size_t i = 0; i < w->ncols; i++) {
        const ecl_field *f = &w->schema.fields[i];
        const ecl_column *c = &b->cols[i];
        if (c->type != f->type || c->len < b->nrows)
            return ecl_err_set(e, ECL_EINVAL, "batch column '%s' does not match the parquet schema",
                               f->name);
        if (!f->nullable && c->nulls && c->nnull) {
            for (size_t r = 0; r < b->nrows; r++)
                if (c->nulls[r])
                    return ecl_err_set(e, ECL_EINVAL, "column '%s' is not nullable but row %zu is null",
                                       f->name, r);
        }
    }
    return 0;
}

/* The checks every write starts with. */
static int write_ready(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e)
{
    if (w->failed)
        return ecl_err_set(e, (ecl_code)w->failed, "parquet writer failed earlier");
    if (w->finished)
        return ecl_err_set(e, ECL_EINVAL, "parquet writer already finished");
    return check_batch(w, b, e);
}

/* Views of rows [i, i + n) of the batch's columns, in place. */
static void batch_views(const ecl_pq_writer *w, const ecl_batch *b, size_t i, size_t n, pq_view *views)
{
    for (size_t k = 0; k < w->ncols; k++) {
        const ecl_column *c = &b->cols[k];
        size_t sw = ecl_type_width(c->type);
        views[k] = (pq_view){
            .vals = c->values ? (const uint8_t *)c->values + i * sw : NULL,
            .nulls = c->nulls && c->nnull ? c->nulls + i : NULL,
            .offs = c->offsets ? c->offsets + i : NULL,
            .bytes = c->bytes.data,
            .n = n,
        };
    }
}

int ecl_pq_writer_write(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e)
{
    int rc = write_ready(w, b, e);
    if (rc)
        return rc;
    size_t n = b->nrows;
    uint64_t limit = w->o.row_group_bytes;
    size_t i = 0;
    while (i < n) {
        /* the row group ends at the first row that brings it to the limit; rows_bytes is
         * monotonic in the end row, so a binary search finds it */
        size_t end;
        if (w->acc_bytes + rows_bytes(w, b, i, n) < limit) {
            end = n;
        } else {
            size_t lo = i + 1, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (w->acc_bytes + rows_bytes(w, b, i, mid) >= limit)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            end = lo;
        }
        bool full = end < n || w->acc_bytes + rows_bytes(w, b, i, end) >= limit;
        if (full && w->acc_rows == 0) {
            /* a whole row group straight from the caller's batch: no copy */
            pq_view *views = calloc(w->ncols, sizeof *views);
            if (!views)
                return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory"));
            batch_views(w, b, i, end - i, views);
            rc = write_row_group(w, views, end - i, e);
            free(views);
            if (rc)
                return rc;
        } else {
            if (acc_append(w, b, i, end))
                return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory buffering a row group"));
            w->acc_bytes += rows_bytes(w, b, i, end);
            if (full && (rc = flush_acc(w, e)))
                return rc;
        }
        i = end;
    }
    return 0;
}

int ecl_pq_writer_flush(ecl_pq_writer *w, ecl_err *e)
{
    if (w->failed)
        return ecl_err_set(e, (ecl_code)w->failed, "parquet writer failed earlier");
    return flush_acc(w, e);
}

uint64_t ecl_pq_writer_plain_bytes(const ecl_pq_writer *w, const ecl_batch *b)
{
    return rows_bytes(w, b, 0, b->nrows);
}

int ecl_pq_writer_write_group(ecl_pq_writer *w, const ecl_batch *b, ecl_err *e)
{
    int rc = write_ready(w, b, e);
    if (rc)
        return rc;
    if (w->acc_rows || b->nrows == 0 || rows_bytes(w, b, 0, b->nrows) >= w->o.row_group_bytes) {
        rc = ecl_pq_writer_write(w, b, e);
        return rc ? rc : ecl_pq_writer_flush(w, e);
    }
    /* What write + flush would encode from the accumulator: the same rows, the same null map
     * (present when any row is null), viewed in place. */
    pq_view *views = calloc(w->ncols, sizeof *views);
    if (!views)
        return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory"));
    batch_views(w, b, 0, b->nrows, views);
    rc = write_row_group(w, views, b->nrows, e);
    free(views);
    return rc;
}

uint64_t ecl_pq_writer_bytes(const ecl_pq_writer *w)
{
    uint64_t buffered = w->acc_bytes;
    if (w->sum_unc)
        buffered = (uint64_t)((double)buffered * (double)w->sum_comp / (double)w->sum_unc);
    return (w->out->written - w->base) + buffered;
}

uint64_t ecl_pq_writer_rows(const ecl_pq_writer *w) { return (uint64_t)w->rows + w->acc_rows; }

static void put_schema_element(ecl_thr_w *t, const ecl_field *f)
{
    enum kind k = kind_of(f);
    ecl_thr_w_struct_begin(t);
    ecl_thr_w_i32_field(t, 1, phys_of(k));
    ecl_thr_w_i32_field(t, 3, f->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
    ecl_thr_w_string_field(t, 4, f->name);
    switch (f->type) {
    case ECL_T_STRING:
        ecl_thr_w_i32_field(t, 6, PQ_CT_UTF8);
        ecl_thr_w_struct_field(t, 10);
        ecl_thr_w_struct_field(t, PQ_LT_STRING);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        break;
    case ECL_T_DATE:
        ecl_thr_w_i32_field(t, 6, PQ_CT_DATE);
        ecl_thr_w_struct_field(t, 10);
        ecl_thr_w_struct_field(t, PQ_LT_DATE);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        break;
    case ECL_T_TIMESTAMP:
        ecl_thr_w_i32_field(t, 6, PQ_CT_TIMESTAMP_MICROS);
        ecl_thr_w_struct_field(t, 10);
        ecl_thr_w_struct_field(t, PQ_LT_TIMESTAMP);
        ecl_thr_w_bool_field(t, 1, true);
        ecl_thr_w_struct_field(t, 2);
        ecl_thr_w_struct_field(t, PQ_UNIT_MICROS);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        break;
    case ECL_T_DECIMAL:
        ecl_thr_w_i32_field(t, 6, PQ_CT_DECIMAL);
        ecl_thr_w_i32_field(t, 7, f->scale);
        ecl_thr_w_i32_field(t, 8, f->precision);
        ecl_thr_w_struct_field(t, 10);
        ecl_thr_w_struct_field(t, PQ_LT_DECIMAL);
        ecl_thr_w_i32_field(t, 1, f->scale);
        ecl_thr_w_i32_field(t, 2, f->precision);
        ecl_thr_w_struct_end(t);
        ecl_thr_w_struct_end(t);
        break;
    default:
        break;
    }
    ecl_thr_w_struct_end(t);
}

int ecl_pq_writer_finish(ecl_pq_writer *w, ecl_err *e)
{
    if (w->failed)
        return ecl_err_set(e, (ecl_code)w->failed, "parquet writer failed earlier");
    if (w->finished)
        return 0;
    int rc = flush_acc(w, e);
    if (rc)
        return rc;
    ecl_buf meta;
    ecl_buf_init(&meta, 0);
    ecl_thr_w t;
    ecl_thr_w_init(&t, &meta);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_i32_field(&t, 1, 2);
    ecl_thr_w_list_field(&t, 2, ECL_THR_STRUCT, w->ncols + 1);
    ecl_thr_w_struct_begin(&t);
    ecl_thr_w_string_field(&t, 4, "schema");
    ecl_thr_w_i32_field(&t, 5, (int32_t)w->ncols);
    ecl_thr_w_struct_end(&t);
    for (size_t i = 0; i < w->ncols; i++)
        put_schema_element(&t, &w->schema.fields[i]);
    ecl_thr_w_i64_field(&t, 3, w->rows);
    ecl_thr_w_list_field(&t, 4, ECL_THR_STRUCT, w->nrg);
    ecl_buf_append(&meta, w->rgmeta.data, w->rgmeta.len);
    bool own_writer_key = false;
    for (size_t i = 0; i < w->nkv; i++)
        own_writer_key |= strcmp(w->kv[i].key, "writer") == 0;
    ecl_thr_w_list_field(&t, 5, ECL_THR_STRUCT, w->nkv + !own_writer_key);
    if (!own_writer_key)
        put_kv(&t, "writer", ECL_WRITER_NAME);
    for (size_t i = 0; i < w->nkv; i++)
        put_kv(&t, w->kv[i].key, w->kv[i].value);
    ecl_thr_w_string_field(&t, 6, ECL_PQ_CREATED_BY);
    ecl_thr_w_list_field(&t, 7, ECL_THR_STRUCT, w->ncols);
    for (size_t i = 0; i < w->ncols; i++) {
        ecl_thr_w_struct_begin(&t);
        ecl_thr_w_struct_field(&t, 1);
        ecl_thr_w_struct_end(&t);
        ecl_thr_w_struct_end(&t);
    }
    ecl_thr_w_struct_end(&t);
    if (ecl_thr_w_error(&t) || meta.len > UINT32_MAX) {
        ecl_buf_release(&meta);
        return wfail(w, ecl_err_set(e, ECL_ENOMEM, "out of memory writing the parquet footer"));
    }
    uint8_t tail[8];
    uint32_t ml = (uint32_t)meta.len;
    memcpy(tail, &ml, 4);
    memcpy(tail + 4, PQ_MAGIC, 4);
    rc = ecl_out_write(w->out, meta.data, meta.len, e);
    if (!rc)
        rc = ecl_out_write(w->out, tail, 8, e);
    ecl_buf_release(&meta);
    if (rc)
        return wfail(w, rc);
    w->finished = true;
    return 0;
}
