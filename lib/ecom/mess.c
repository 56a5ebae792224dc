/* mess.c - messiness: faults injected into a day's emitted rows.
 *
 * Every decision is keyed by (seed, kind, table.column, primary key), so a row gets the same faults
 * whatever range or chunk it is generated in. Faults change values, never types: strings get
 * padding, casing, typos and format variants; any column may become null; numbers are scaled or
 * negated; a late order is emitted on a later day than its order_date; a duplicate row is emitted
 * twice (ecl_cursor_dup_seq tells them apart). Each fault is counted (ecl_mess_counts) and, when the
 * caller asked for it, logged as one JSON line: table, pk, column, kind, original, new. Only faults
 * that change something are recorded (a casing that leaves "Standard" as it was is not a fault). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../csv.h"
#include "world.h"

int ec_mess_late_days(const ec_model *M, uint64_t order_seq)
{
    const ec_mess_level *lv = &M->k.mess[M->k.mess_level];
    if (lv->late <= 0)
        return 0;
    ecl_rng r = ecl_rng_key(M->k.seed, M->tag.late, order_seq, 0);
    if (!ecl_rng_bernoulli(&r, lv->late))
        return 0;
    return (int)ecl_rng_range(&r, 1, M->k.late_max_days);
}

/* ------------------------------------------------------------------ context */

typedef struct mctx {
    ecl_cursor *c;
    const ec_model *M;
    const ec_mess_level *lv;
    int32_t day;
    ecl_mess_counts *counts;
    ecl_buf *log;
    ecl_err *e;
    int rc;
    struct pkcache *pkc; /* key hashes per table batch, computed once per day */
} mctx;

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ULL;
    return h;
}

/* A table's primary key columns, resolved once per pass. */
typedef struct pkref {
    const ecl_batch *b;
    int cols[4];
    int n;
} pkref;

static pkref pk_resolve(const ecl_batch *b, const char *pk)
{
    pkref k = {b, {0}, 0};
    const char *p = pk;
    while (*p && k.n < 4) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)(len < 63 ? len : 63), p);
        int ci = ecl_schema_find(b->schema, name);
        if (ci >= 0)
            k.cols[k.n++] = ci;
        p += len + (q ? 1 : 0);
    }
    return k;
}

/* Hash of the row's key values (strings by bytes, numbers by value). */
static uint64_t pk_hash(const pkref *k, size_t r)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (int i = 0; i < k->n; i++) {
        const ecl_column *c = &k->b->cols[k->cols[i]];
        if (c->type == ECL_T_STRING) {
            size_t n;
            const char *s = ecl_col_str(c, r, &n);
            h = fnv(s, n, h);
        } else {
            int64_t v = ecl_col_i64(c, r);
            h = fnv(&v, sizeof v, h);
        }
        h = h * 31 + 7;
    }
    return ecl_mix64(h);
}

/* Every fault pass over a table decides row by row from the same key hash; the hashes of a batch are
 * computed once and shared by the passes. A pass that changes a key column drops the batch's entry. */
#define PKC_SLOTS 16
typedef struct pkcache {
    struct {
        const ecl_batch *b;
        const char *pk;
        uint64_t *h;
        size_t lo, n; /* h[r - lo] for rows [lo, n) */
    } s[PKC_SLOTS];
} pkcache;

static void pkc_release(pkcache *c)
{
    for (int i = 0; i < PKC_SLOTS; i++)
        free(c->s[i].h);
}

static void pkc_drop(mctx *x, const ecl_batch *b)
{
    if (!x->pkc)
        return;
    for (int i = 0; i < PKC_SLOTS; i++)
        if (x->pkc->s[i].b == b) {
            free(x->pkc->s[i].h);
            memset(&x->pkc->s[i], 0, sizeof x->pkc->s[i]);
        }
}

/* A pass that writes column ci of b: a key column changes the hashes. */
static void pkc_touch(mctx *x, const pkref *k, int ci)
{
    for (int i = 0; i < k->n; i++)
        if (k->cols[i] == ci)
            pkc_drop(x, k->b);
}

/* Cached key hashes: h[r - lo] for rows [lo, n). */
typedef struct pkview {
    const uint64_t *h;
    size_t lo, n;
} pkview;

/* The key hashes of rows [from, nrows) of b (h NULL when there is no cache: callers hash row by row). */
static pkview pkc_get(mctx *x, const pkref *k, const char *pk, size_t from)
{
    pkcache *c = x->pkc;
    const ecl_batch *b = k->b;
    size_t n = b->nrows;
    if (!c || from >= n)
        return (pkview){0};
    int slot = -1;
    for (int i = 0; i < PKC_SLOTS; i++) {
        if (c->s[i].b == b && strcmp(c->s[i].pk, pk) == 0) {
            if (c->s[i].n == n && c->s[i].lo <= from)
                return (pkview){c->s[i].h, c->s[i].lo, n};
            free(c->s[i].h);
            memset(&c->s[i], 0, sizeof c->s[i]);
            slot = i;
            break;
        }
        if (slot < 0 && !c->s[i].b)
            slot = i;
    }
    if (slot < 0)
        return (pkview){0};
    uint64_t *h = malloc((n - from) * sizeof *h);
    if (!h)
        return (pkview){0};
    for (size_t r = from; r < n; r++)
        h[r - from] = pk_hash(k, r);
    c->s[slot].b = b;
    c->s[slot].pk = pk;
    c->s[slot].h = h;
    c->s[slot].lo = from;
    c->s[slot].n = n;
    return (pkview){h, from, n};
}

/* Row r's key hash, from the cache when there is one. */
static inline uint64_t pk_hash_at(const pkview *v, const pkref *k, size_t r)
{
    return v->h && r >= v->lo && r < v->n ? v->h[r - v->lo] : pk_hash(k, r);
}

/* The key as text for the log: values joined with ','. */
static void pk_text(const pkref *k, size_t r, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; i < k->n && used < cap; i++) {
        const ecl_column *c = &k->b->cols[k->cols[i]];
        if (c->type == ECL_T_STRING) {
            size_t n;
            const char *s = ecl_col_str(c, r, &n);
            used += (size_t)snprintf(out + used, cap - used, "%s%.*s", i ? "," : "", (int)n, s);
        } else {
            used += (size_t)snprintf(out + used, cap - used, "%s%lld", i ? "," : "", (long long)ecl_col_i64(c, r));
        }
    }
}

/* Key parts of a fault decision: (kind, table.column) hashed once per pass. */
typedef struct mkeyer {
    uint64_t seed, a, b;
} mkeyer;

static mkeyer mkeyer_of(const mctx *x, const char *kind, const char *table, const char *column)
{
    return (mkeyer){x->M->k.seed, x->M->tag.mess ^ ecl_tag_str(kind), ecl_tag_str(table) * 31 + ecl_tag_str(column)};
}

static inline ecl_rng mkey(const mkeyer *k, uint64_t pk) { return ecl_rng_key(k->seed, k->a, k->b, pk); }

static void json_str(ecl_buf *b, const char *s, size_t n)
{
    ecl_buf_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            ecl_buf_printf(b, "\\%c", ch);
        else if (ch < 0x20)
            ecl_buf_printf(b, "\\u%04x", ch);
        else
            ecl_buf_putc(b, ch);
    }
    ecl_buf_putc(b, '"');
}

/* A cell as text (as the CSV writer prints it) or NULL. */
static const char *cell_text(const ecl_column *c, size_t r, char *buf, size_t cap, size_t *n)
{
    if (ecl_col_is_null(c, r))
        return NULL;
    switch (c->type) {
    case ECL_T_STRING: return ecl_col_str(c, r, n);
    case ECL_T_BOOL: snprintf(buf, cap, "%s", ecl_col_bool(c, r) ? "True" : "False"); break;
    case ECL_T_INT32: snprintf(buf, cap, "%d", ecl_col_i32(c, r)); break;
    case ECL_T_DATE: ecl_date_format(ecl_col_i32(c, r), buf); break;
    case ECL_T_INT64: snprintf(buf, cap, "%lld", (long long)ecl_col_i64(c, r)); break;
    case ECL_T_TIMESTAMP: ecl_format_timestamp(ecl_col_i64(c, r), ECL_TS_ISO_T, buf); break;
    case ECL_T_DECIMAL: ecl_format_decimal(ecl_col_i64(c, r), 2, buf); break;
    case ECL_T_DOUBLE: ecl_format_double(ecl_col_f64(c, r), buf); break;
    }
    *n = strlen(buf);
    return buf;
}

/* The primary key's text, needed only for the fault log (formatting it for every fault cost more
 * than applying most faults). */
static void log_pk(const mctx *x, const pkref *k, size_t r, char *out, size_t cap)
{
    if (x->log)
        pk_text(k, r, out, cap);
    else
        out[0] = 0;
}

static void record(mctx *x, const char *table, const char *column, const char *kind, const char *pk,
                   const char *orig, size_t on, const char *nw, size_t nn)
{
    if (x->counts && ecl_mess_counts_add(x->counts, table, column, kind, 1))
        x->rc = ECL_ENOMEM;
    if (!x->log)
        return;
    ecl_buf *b = x->log;
    ecl_buf_puts(b, "{\"table\":");
    json_str(b, table, strlen(table));
    ecl_buf_puts(b, ",\"pk\":");
    json_str(b, pk, strlen(pk));
    ecl_buf_puts(b, ",\"column\":");
    json_str(b, column, strlen(column));
    ecl_buf_puts(b, ",\"kind\":");
    json_str(b, kind, strlen(kind));
    ecl_buf_puts(b, ",\"original\":");
    if (orig)
        json_str(b, orig, on);
    else
        ecl_buf_puts(b, "null");
    ecl_buf_puts(b, ",\"new\":");
    if (nw)
        json_str(b, nw, nn);
    else
        ecl_buf_puts(b, "null");
    ecl_buf_puts(b, "}\n");
    if (ecl_buf_oom(b))
        x->rc = ECL_ENOMEM;
}

/* An empty string column to rebuild a column into. */
static ecl_column str_column(void)
{
    ecl_column c = {.type = ECL_T_STRING};
    ecl_buf_init(&c.bytes, 0);
    return c;
}

static void drop_column(ecl_column *c)
{
    free(c->nulls);
    free(c->offsets);
    ecl_buf_release(&c->bytes);
}

/* ------------------------------------------------------------------ string faults */

typedef enum skind { SK_WHITESPACE, SK_CASING, SK_TYPO, SK_FORMAT } skind;
static const char *const k_skind[] = {"whitespace", "casing", "typo", "format_variant"};

static void apply_case(ecl_rng *r, char *s, size_t n)
{
    int how = (int)ecl_rng_range(r, 0, 2); /* UPPER, lower, Title */
    bool start = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (how == 0)
            s[i] = (char)toupper(ch);
        else if (how == 1)
            s[i] = (char)tolower(ch);
        else
            s[i] = (char)(start ? toupper(ch) : tolower(ch));
        start = !isalpha(ch);
    }
}

static size_t apply_typo(ecl_rng *r, char *s, size_t n, size_t cap)
{
    if (n < 2)
        return n;
    size_t i = (size_t)ecl_rng_range(r, 0, (int64_t)n - 2);
    switch (ecl_rng_range(r, 0, 2)) {
    case 0: { /* swap neighbours */
        char t = s[i];
        s[i] = s[i + 1];
        s[i + 1] = t;
        return n;
    }
    case 1: /* drop a character */
        memmove(s + i, s + i + 1, n - i - 1);
        return n - 1;
    default: /* double a character */
        if (n + 1 > cap)
            return n;
        memmove(s + i + 1, s + i, n - i);
        return n + 1;
    }
}

/* E-mail and phone written the way other systems write them. */
static size_t apply_format(ecl_rng *r, const char *column, char *s, size_t n, size_t cap)
{
    char tmp[256];
    size_t m = 0;
    if (strstr(column, "phone")) {
        char digits[32];
        size_t nd = 0;
        for (size_t i = 0; i < n && nd < 31; i++) {
            if (s[i] == 'x')
                break; /* extension dropped */
            if (isdigit((unsigned char)s[i]))
                digits[nd++] = s[i];
        }
        digits[nd] = 0;
        const char *d = nd > 10 ? digits + nd - 10 : digits;
        if (strlen(d) < 10)
            return n;
        switch (ecl_rng_range(r, 0, 2)) {
        case 0: m = (size_t)snprintf(tmp, sizeof tmp, "%s", d); break;
        case 1: m = (size_t)snprintf(tmp, sizeof tmp, "+1 (%.3s) %.3s-%.4s", d, d + 3, d + 6); break;
        default: m = (size_t)snprintf(tmp, sizeof tmp, "%.3s %.3s %.4s", d, d + 3, d + 6); break;
        }
    } else {
        switch (ecl_rng_range(r, 0, 2)) {
        case 0: /* upper case */
            memcpy(tmp, s, n);
            for (size_t i = 0; i < n; i++)
                tmp[i] = (char)toupper((unsigned char)tmp[i]);
            m = n;
            break;
        case 1: m = (size_t)snprintf(tmp, sizeof tmp, "mailto:%.*s", (int)n, s); break;
        default: { /* " at " instead of "@" */
            const char *at = memchr(s, '@', n);
            if (!at)
                return n;
            m = (size_t)snprintf(tmp, sizeof tmp, "%.*s at %.*s", (int)(at - s), s, (int)(n - (size_t)(at - s) - 1),
                                 at + 1);
            break;
        }
        }
    }
    if (m >= cap || m >= sizeof tmp)
        return n;
    memcpy(s, tmp, m);
    return m;
}

/* A changed string of a pass: row r now holds m bytes at off in the pass's text buffer. */
typedef struct shit {
    size_t r, off, m;
} shit;

/* Replaces the strings of the hit rows of c (ascending) in one sweep: the bytes between hits are
 * copied in runs and the offsets shifted in place (a pass never changes which rows are null). */
static int splice_strings(ecl_column *c, const shit *h, size_t nh, const char *txt)
{
    int64_t *off = c->offsets;
    const uint8_t *old = c->bytes.data;
    size_t total = (size_t)off[c->len];
    for (size_t i = 0; i < nh; i++)
        total += h[i].m;
    ecl_buf nb;
    ecl_buf_init(&nb, 0);
    if (ecl_buf_grow(&nb, total ? total : 1))
        return ECL_ENOMEM;
    size_t prev = 0;    /* first row not yet placed */
    int64_t src = 0;    /* old offset of row prev */
    for (size_t i = 0; i <= nh; i++) {
        size_t r = i < nh ? h[i].r : c->len;
        int64_t end = r > prev ? off[r] : src; /* old start of row r (off[prev] is already shifted) */
        int64_t delta = (int64_t)nb.len - src;
        ecl_buf_append(&nb, old + src, (size_t)(end - src));
        for (size_t j = prev + 1; j <= r; j++)
            off[j] += delta;
        if (i == nh)
            break;
        src = off[r + 1];
        ecl_buf_append(&nb, txt + h[i].off, h[i].m);
        off[r + 1] = (int64_t)nb.len;
        prev = r + 1;
    }
    ecl_buf_release(&c->bytes);
    c->bytes = nb;
    return 0;
}

/* Rewrites one string column from row `from` on with the given fault kind at probability p. */
static void mess_strings(mctx *x, ecl_batch *b, const char *table, const char *pk, const char *column, skind kind,
                         double p, size_t from)
{
    int ci = ecl_schema_find(b->schema, column);
    if (p <= 0 || ci < 0 || x->rc)
        return;
    ecl_column *c = &b->cols[ci];
    pkref pkr = pk_resolve(b, pk);
    pkview pv = pkc_get(x, &pkr, pk, from);
    mkeyer mk = mkeyer_of(x, k_skind[kind], table, column);
    ecl_buf hits = ECL_BUF_INIT, txt = ECL_BUF_INIT;
    size_t nh = 0;
    for (size_t r = from; r < c->len && !x->rc; r++) {
        size_t n;
        if (ecl_col_is_null(c, r))
            continue;
        const char *s = ecl_col_str(c, r, &n);
        if (n >= 512)
            continue;
        ecl_rng rng = mkey(&mk, pk_hash_at(&pv, &pkr, r));
        if (!ecl_rng_bernoulli(&rng, p))
            continue;
        char out[600];
        size_t m = n;
        char pkt[160];
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        memcpy(out, s, n);
        switch (kind) {
        case SK_WHITESPACE: { /* 1-2 spaces + trimmed value + 1-2 spaces */
            size_t a = 0, z = n;
            while (a < z && out[a] == ' ')
                a++;
            while (z > a && out[z - 1] == ' ')
                z--;
            int lp = (int)ecl_rng_range(&rng, 1, 2), rp = (int)ecl_rng_range(&rng, 1, 2);
            char t[600];
            m = (size_t)snprintf(t, sizeof t, "%*s%.*s%*s", lp, "", (int)(z - a), out + a, rp, "");
            memcpy(out, t, m);
            break;
        }
        case SK_CASING: apply_case(&rng, out, n); break;
        case SK_TYPO: m = apply_typo(&rng, out, n, sizeof out); break;
        case SK_FORMAT: m = apply_format(&rng, column, out, n, sizeof out); break;
        }
        if (m == n && memcmp(out, s, n) == 0)
            continue;
        record(x, table, column, k_skind[kind], pkt, s, n, out, m);
        shit h = {r, txt.len, m};
        if (ecl_buf_append(&txt, out, m) || ecl_buf_append(&hits, &h, sizeof h))
            x->rc = ECL_ENOMEM;
        nh++;
    }
    if (!x->rc && nh && splice_strings(c, (const shit *)hits.data, nh, (const char *)txt.data))
        x->rc = ECL_ENOMEM;
    if (!x->rc && nh)
        pkc_touch(x, &pkr, ci);
    ecl_buf_release(&hits);
    ecl_buf_release(&txt);
}

/* ------------------------------------------------------------------ nulls and numbers */

static int set_null(ecl_column *c, size_t r)
{
    if (!c->nulls) {
        c->nulls = calloc(c->cap ? c->cap : 1, 1);
        if (!c->nulls)
            return ECL_ENOMEM;
    }
    c->nulls[r] = 1;
    c->nnull++;
    size_t w = ecl_type_width(c->type);
    if (w)
        memset((uint8_t *)c->values + r * w, 0, w);
    return 0;
}

static void mess_nulls(mctx *x, ecl_batch *b, const char *table, const char *pk, const char *column, size_t from)
{
    int ci = ecl_schema_find(b->schema, column);
    double p = x->lv->nulls;
    if (p <= 0 || ci < 0 || x->rc)
        return;
    ecl_column *c = &b->cols[ci];
    pkref pkr = pk_resolve(b, pk);
    mkeyer mk = mkeyer_of(x, "null", table, column);
    pkview pv = pkc_get(x, &pkr, pk, from);
    if (c->type == ECL_T_STRING) { /* strings: the hit rows emptied, then marked null */
        ecl_buf hits = ECL_BUF_INIT;
        size_t nh = 0;
        for (size_t r = from; r < c->len && !x->rc; r++) {
            if (ecl_col_is_null(c, r))
                continue;
            ecl_rng rng = mkey(&mk, pk_hash_at(&pv, &pkr, r));
            if (!ecl_rng_bernoulli(&rng, p))
                continue;
            char pkt[160];
            size_t n;
            const char *s = ecl_col_str(c, r, &n);
            log_pk(x, &pkr, r, pkt, sizeof pkt);
            record(x, table, column, "null", pkt, s, n, NULL, 0);
            shit h = {r, 0, 0};
            if (ecl_buf_append(&hits, &h, sizeof h))
                x->rc = ECL_ENOMEM;
            nh++;
        }
        const shit *hv = (const shit *)hits.data;
        if (!x->rc && nh && splice_strings(c, hv, nh, ""))
            x->rc = ECL_ENOMEM;
        for (size_t i = 0; i < nh && !x->rc; i++)
            if (set_null(c, hv[i].r))
                x->rc = ECL_ENOMEM;
        if (!x->rc && nh)
            pkc_touch(x, &pkr, ci);
        ecl_buf_release(&hits);
        return;
    }
    for (size_t r = from; r < c->len && !x->rc; r++) {
        if (ecl_col_is_null(c, r))
            continue;
        char pkt[160];
        ecl_rng rng = mkey(&mk, pk_hash_at(&pv, &pkr, r));
        if (!ecl_rng_bernoulli(&rng, p))
            continue;
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        char buf[64];
        size_t n = 0;
        const char *orig = cell_text(c, r, buf, sizeof buf, &n);
        record(x, table, column, "null", pkt, orig, n, NULL, 0);
        if (set_null(c, r))
            x->rc = ECL_ENOMEM;
    }
    pkc_touch(x, &pkr, ci);
}

/* Money columns scaled by 10 or 100, zeroed or negated (heavy). */
static void mess_numeric(mctx *x, ecl_batch *b, const char *table, const char *pk, const char *column, size_t from)
{
    int ci = ecl_schema_find(b->schema, column);
    double p = x->lv->numeric;
    if (p <= 0 || ci < 0 || x->rc)
        return;
    ecl_column *c = &b->cols[ci];
    pkref pkr = pk_resolve(b, pk);
    mkeyer mk = mkeyer_of(x, "numeric_corruption", table, column);
    pkview pv = pkc_get(x, &pkr, pk, from);
    for (size_t r = from; r < c->len; r++) {
        if (ecl_col_is_null(c, r))
            continue;
        char pkt[160];
        ecl_rng rng = mkey(&mk, pk_hash_at(&pv, &pkr, r));
        if (!ecl_rng_bernoulli(&rng, p))
            continue;
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        int64_t *v = &((int64_t *)c->values)[r];
        int64_t old = *v;
        switch (ecl_rng_range(&rng, 0, 3)) {
        case 0: *v = old * 10; break;
        case 1: *v = old * 100; break;
        case 2: *v = 0; break;
        default: *v = -old; break;
        }
        if (*v == old)
            continue;
        char a[40], bb[40];
        ecl_format_decimal(old, 2, a);
        ecl_format_decimal(*v, 2, bb);
        record(x, table, column, "numeric_corruption", pkt, a, strlen(a), bb, strlen(bb));
    }
    pkc_touch(x, &pkr, ci);
}

/* Sales spike on orders.total_items: configured month factors, else one month a year (chosen by the
 * seed) at the level's factor. */
static double spike_factor(const mctx *x, int32_t day)
{
    const ec_knobs *k = &x->M->k;
    int y, mo, d;
    ecl_civil_from_days(day, &y, &mo, &d);
    if (k->spike_months_set[k->mess_level])
        return k->spike_month_factor[k->mess_level][mo];
    if (x->lv->spike_factor <= 0)
        return 1.0;
    ecl_rng r = ecl_rng_key(k->seed, x->M->tag.mess ^ ecl_tag_str("spike_month"), (uint64_t)y, 0);
    return ecl_rng_range(&r, 1, 12) == mo ? x->lv->spike_factor : 1.0;
}

static void mess_spike(mctx *x, ecl_batch *b, size_t from)
{
    int ti = ecl_schema_find(b->schema, "total_items"), di = ecl_schema_find(b->schema, "order_date");
    if (x->rc || ti < 0 || di < 0)
        return;
    ecl_column *t = &b->cols[ti], *d = &b->cols[di];
    for (size_t r = from; r < t->len; r++) {
        if (ecl_col_is_null(t, r) || ecl_col_is_null(d, r))
            continue;
        int64_t us = ecl_col_i64(d, r);
        int32_t day = (int32_t)((us >= 0 ? us : us - 86399999999LL) / 86400000000LL);
        double f = spike_factor(x, day);
        int32_t old = ecl_col_i32(t, r);
        int32_t nv = (int32_t)floor(old * f);
        if (f == 1.0 || nv == old)
            continue;
        ((int32_t *)t->values)[r] = nv;
        char pkt[160], a[16], bb[16];
        pkref pkr = pk_resolve(b, "order_id");
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        snprintf(a, sizeof a, "%d", old);
        snprintf(bb, sizeof bb, "%d", nv);
        record(x, "orders", "total_items", "spike", pkt, a, strlen(a), bb, strlen(bb));
    }
    pkref pkr = pk_resolve(b, "order_id");
    pkc_touch(x, &pkr, ti);
}

/* Reason bias: a share of returns get a reason redrawn from the category's weights (category of the
 * return's first item). */
static void mess_reason_bias(mctx *x, ecl_batch *ret, const ecl_batch *items, size_t from, size_t ifrom)
{
    const ec_knobs *k = &x->M->k;
    int lvl = k->mess_level;
    if (x->rc || x->lv->reason_bias <= 0 || !k->bias_set[lvl])
        return;
    int rid = ecl_schema_find(ret->schema, "return_id"), rr = ecl_schema_find(ret->schema, "reason");
    int iid = ecl_schema_find(items->schema, "return_id"), icat = ecl_schema_find(items->schema, "category");
    ecl_column *reason = &ret->cols[rr];
    pkref pkr = pk_resolve(ret, "return_id");
    mkeyer mk = mkeyer_of(x, "reason_bias", "returns", "reason");
    ecl_column nc = str_column();
    size_t j = ifrom;
    for (size_t r = 0; r < reason->len && !x->rc; r++) {
        size_t n;
        const char *s = ecl_col_is_null(reason, r) ? NULL : ecl_col_str(reason, r, &n);
        const char *nw = NULL;
        char pkt[160];
        if (s && r >= from) {
            size_t idn, in;
            const char *id = ecl_col_str(&ret->cols[rid], r, &idn);
            int cat = k->categories.n; /* "default" */
            while (j < items->cols[iid].len) { /* items follow their returns in order */
                const char *it = ecl_col_str(&items->cols[iid], j, &in);
                if (in == idn && memcmp(it, id, in) == 0) {
                    size_t cn;
                    const char *cs = ecl_col_str(&items->cols[icat], j, &cn);
                    for (int c = 0; c < k->categories.n; c++)
                        if (strlen(k->categories.name[c]) == cn && strncasecmp(k->categories.name[c], cs, cn) == 0)
                            cat = c;
                    break;
                }
                j++;
            }
            ecl_rng rng = mkey(&mk, pk_hash(&pkr, r));
            if (ecl_rng_bernoulli(&rng, x->lv->reason_bias)) {
                log_pk(x, &pkr, r, pkt, sizeof pkt);
                const double *w = k->bias[lvl][cat];
                double tot = 0;
                for (int i = 0; i < k->return_reasons.n; i++)
                    tot += w[i];
                if (tot <= 0) {
                    w = k->bias[lvl][k->categories.n];
                    for (int i = 0; i < k->return_reasons.n; i++)
                        tot += w[i];
                }
                if (tot > 0)
                    nw = k->return_reasons.name[ecl_rng_weighted(&rng, w, (size_t)k->return_reasons.n)];
                if (nw && strlen(nw) == n && memcmp(nw, s, n) == 0)
                    nw = NULL;
            }
        }
        if (nw)
            record(x, "returns", "reason", "reason_bias", pkt, s, n, nw, strlen(nw));
        int rc = !s ? ecl_col_push_null(&nc) : nw ? ecl_col_push_cstr(&nc, nw) : ecl_col_push_str(&nc, s, n);
        if (rc)
            x->rc = ECL_ENOMEM;
    }
    if (x->rc) {
        drop_column(&nc);
        return;
    }
    drop_column(reason);
    *reason = nc;
    pkc_touch(x, &pkr, rr);
}

/* Orders emitted after their order date (decided in the simulation; recorded here). */
static void mess_late(mctx *x, const ecl_batch *b, size_t from)
{
    int di = ecl_schema_find(b->schema, "order_date");
    const ecl_column *d = &b->cols[di];
    for (size_t r = from; r < d->len; r++) {
        if (ecl_col_is_null(d, r))
            continue;
        int64_t us = ecl_col_i64(d, r);
        int32_t day = (int32_t)((us >= 0 ? us : us - 86399999999LL) / 86400000000LL);
        if (day >= x->day)
            continue;
        char pkt[160], a[11], bb[11];
        pkref pkr = pk_resolve(b, "order_id");
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        ecl_date_format(day, a);
        ecl_date_format(x->day, bb);
        record(x, "orders", "order_date", "late_arrival", pkt, a, 10, bb, 10);
    }
}

static void mess_duplicates(mctx *x, ecl_batch *b, size_t t, const char *table, const char *pk, size_t from)
{
    double p = x->lv->duplicate;
    if (p <= 0 || x->rc)
        return;
    size_t n = b->nrows;
    ecl_batch tmp;
    if (ecl_batch_init(&tmp, b->schema)) {
        x->rc = ECL_ENOMEM;
        return;
    }
    pkref pkr = pk_resolve(b, pk);
    mkeyer mk = mkeyer_of(x, "duplicate", table, pk);
    pkview pv = pkc_get(x, &pkr, pk, from);
    for (size_t r = from; r < n; r++) {
        char pkt[160];
        ecl_rng rng = mkey(&mk, pk_hash_at(&pv, &pkr, r));
        if (!ecl_rng_bernoulli(&rng, p))
            continue;
        log_pk(x, &pkr, r, pkt, sizeof pkt);
        if (ecl_batch_append_row(&tmp, b, r))
            x->rc = ECL_ENOMEM;
        record(x, table, pk, "duplicate", pkt, NULL, 0, "1", 1);
    }
    ecl_err e = ECL_ERR_INIT;
    if (!x->rc && ecl_batch_seal(&tmp, &e) == 0)
        for (size_t r = 0; r < tmp.nrows && !x->rc; r++) {
            if (ecl_batch_append_row(b, &tmp, r) || ecl_cursor_note_dup(x->c, t, n + r, 1))
                x->rc = ECL_ENOMEM;
        }
    ecl_batch_release(&tmp);
    if (!x->rc && ecl_batch_seal(b, &e))
        x->rc = e.code;
}

/* ------------------------------------------------------------------ the day */

typedef struct target {
    int table;
    const char *column;
} target;

static const target k_style[] = {{T_CART, "status"},         {T_CITEM, "product_name"},   {T_ORD, "payment_method"},
                                 {T_ORD, "shipping_speed"},  {T_ORD, "clv_bucket"},       {T_OITEM, "product_name"},
                                 {T_RET, "reason"},          {T_RET, "return_type"},      {T_RET, "return_channel"},
                                 {T_RITEM, "product_name"},  {T_CUST, "gender"},          {T_CUST, "customer_status"}};
static const target k_nulls[] = {{T_CUST, "email_verified"}, {T_CUST, "marketing_opt_in"}, {T_CART, "updated_at"},
                                 {T_CITEM, "added_at"},       {T_ORD, "agent_id"},          {T_RET, "agent_id"}};
static const target k_typos[] = {{T_CUST, "first_name"},  {T_CUST, "last_name"},   {T_CUST, "mailing_address"},
                                 {T_ORD, "shipping_address"}, {T_OITEM, "product_name"}};
static const target k_numeric[] = {{T_CITEM, "unit_price"}, {T_OITEM, "unit_price"}, {T_ORD, "actual_shipping_cost"}};
static const target k_format[] = {{T_CUST, "email"}, {T_CUST, "phone_number"}, {T_ORD, "email"}};

#define NTARGETS(a) (sizeof(a) / sizeof((a)[0]))

int ec_mess_apply(ecl_cursor *c, const ec_model *M, int32_t day, ecl_batch *out, const size_t *first,
                  ecl_mess_counts *counts, ecl_err *e)
{
    if (M->k.mess_level == EC_MESS_NONE)
        return 0;
    pkcache pkc = {0};
    mctx x = {c, M, &M->k.mess[M->k.mess_level], day, counts, c->mess_log, e, 0, &pkc};
    const ecl_model_table *tb = M->tables;
#define T(t) &out[t], tb[t].name, tb[t].primary_key
    /* pass 1: style (whitespace then casing), as the original */
    for (size_t i = 0; i < NTARGETS(k_style); i++) {
        int t = k_style[i].table;
        mess_strings(&x, T(t), k_style[i].column, SK_WHITESPACE, x.lv->whitespace, first[t]);
        mess_strings(&x, T(t), k_style[i].column, SK_CASING, x.lv->casing, first[t]);
    }
    /* pass 2: nulls */
    for (size_t i = 0; i < NTARGETS(k_nulls); i++)
        mess_nulls(&x, T(k_nulls[i].table), k_nulls[i].column, first[k_nulls[i].table]);
    /* pass 3: the advanced kinds */
    mess_spike(&x, &out[T_ORD], first[T_ORD]);
    mess_reason_bias(&x, &out[T_RET], &out[T_RITEM], first[T_RET], first[T_RITEM]);
    for (size_t i = 0; i < NTARGETS(k_typos); i++)
        mess_strings(&x, T(k_typos[i].table), k_typos[i].column, SK_TYPO, x.lv->typo, first[k_typos[i].table]);
    for (size_t i = 0; i < NTARGETS(k_numeric); i++)
        mess_numeric(&x, T(k_numeric[i].table), k_numeric[i].column, first[k_numeric[i].table]);
    for (size_t i = 0; i < NTARGETS(k_format); i++)
        mess_strings(&x, T(k_format[i].table), k_format[i].column, SK_FORMAT, x.lv->format, first[k_format[i].table]);
    if (x.lv->late > 0)
        mess_late(&x, &out[T_ORD], first[T_ORD]);
    static const int dup_tables[] = {T_CART, T_ORD, T_RET};
    for (size_t i = 0; i < 3; i++) {
        int t = dup_tables[i];
        mess_duplicates(&x, &out[t], (size_t)t, tb[t].name, tb[t].primary_key, first[t]);
    }
#undef T
    pkc_release(&pkc);
    if (x.rc)
        return ecl_err_set(e, x.rc, "out of memory injecting messiness");
    return 0;
}

int ec_mess_static(const ec_model *M, ecl_batch *b, ecl_mess_counts *counts, ecl_buf *log, ecl_err *e)
{
    if (M->k.mess_level == EC_MESS_NONE)
        return 0;
    mctx x = {NULL, M, &M->k.mess[M->k.mess_level], 0, counts, log, e, 0, NULL};
    const ecl_model_table *t = &M->tables[T_PROD];
    mess_strings(&x, b, t->name, t->primary_key, "product_name", SK_WHITESPACE, x.lv->whitespace, 0);
    mess_strings(&x, b, t->name, t->primary_key, "product_name", SK_CASING, x.lv->casing, 0);
    if (x.rc)
        return ecl_err_set(e, x.rc, "out of memory injecting messiness");
    return 0;
}
