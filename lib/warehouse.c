/* warehouse.c - bronze tables, load ledger and bulk loads over db.h. */
#include "warehouse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "sqlfiles.h"

static const char *const orders_cols[] = {"id_unidade", "id_pedido", "tipo_pedido", "data_pedido",
                                          "vlr_pedido", "endereco_entrega", "taxa_entrega", "status",
                                          "data_hora_pedido"};
static const char *const items_cols[] = {"id_pedido", "id_item_pedido", "id_produto", "qtd", "vlr_item",
                                         "observacao"};
static const char *const products_cols[] = {"id_produto", "nome_produto"};
static const char *const units_cols[] = {"id_unidade", "nome_unidade", "id_estado"};
static const char *const states_cols[] = {"id_estado", "id_pais", "nome_estado"};
static const char *const countries_cols[] = {"id_pais", "nome_pais"};
static const char *const rejects_cols[] = {"source_file", "line", "column_name", "rule", "message",
                                           "_ingest_timestamp"};

static const struct {
    const char *name;
    const char *const *cols;
    size_t ncols;
    bool lineage;
} tables[ECL_WH_NTABLES] = {
    {"orders", orders_cols, 9, true},         {"order_items", items_cols, 6, true},
    {"products", products_cols, 2, true},     {"units", units_cols, 3, true},
    {"states", states_cols, 3, true},         {"countries", countries_cols, 2, true},
    {"ingest_rejects", rejects_cols, 6, false},
};

/* In-memory ledger: records in one dense array (grown with realloc, which large blocks do by
 * remapping, not copying), their paths in one arena, and an open-addressing index of record numbers
 * built once the whole ledger is read. A re-ingest of an unchanged lake is a lookup per file, so the
 * lookup touches one 8-byte slot and, on a tag match, one record. */
typedef struct ledger_rec {
    uint64_t hash;
    uint64_t size;
    uint32_t off;      /* into paths: path, NUL, stat key, NUL, sha256, NUL, status, NUL */
    uint16_t path_len; /* longer paths are not cached (looked up in the database instead) */
    uint8_t key_len, sha_len;
} ledger_rec;

typedef struct ledger_slot {
    uint32_t tag; /* high bits of the hash */
    uint32_t rec; /* record number + 1; 0 = empty */
} ledger_slot;

struct ecl_wh {
    ecl_db *db;
    bool pg;
    bool locked;
    ledger_rec *recs;
    size_t nrecs, caprecs;
    ecl_buf paths;
    ledger_slot *slots;
    size_t nslots; /* a power of two, at least twice nrecs */
    /* the open load */
    int load_table;
    ecl_stmt *ins[ECL_WH_NTABLES];
    /* statements run once per file, prepared once per connection */
    ecl_stmt *ledger_get, *ledger_put, *del[ECL_WH_NTABLES];
    ecl_buf copy;
    size_t load_ncols;
};

const char *ecl_wh_table_name(ecl_wh_table t) { return tables[t].name; }

size_t ecl_wh_table_columns(ecl_wh_table t, const char *const **cols)
{
    *cols = tables[t].cols;
    return tables[t].ncols;
}

ecl_db *ecl_wh_db(ecl_wh *w) { return w->db; }

int ecl_wh_open(ecl_wh **out, const char *url, ecl_err *e)
{
    *out = NULL;
    ecl_wh *w = calloc(1, sizeof *w);
    if (!w)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a warehouse");
    w->load_table = -1;
    ecl_buf_init(&w->copy, 0);
    ecl_buf_init(&w->paths, 0);
    int rc = ecl_db_open(&w->db, url, e);
    if (!rc) {
        w->pg = ecl_db_kind_of(w->db) == ECL_DB_POSTGRES;
        const char *ddl = ecl_sqlfile_get("bronze/create_tables", w->pg ? "postgres" : "sqlite");
        /* Two processes creating the schema at once can collide on PostgreSQL's catalog even with
         * IF NOT EXISTS; a transaction-scoped advisory lock orders them. */
        if (w->pg)
            rc = ecl_db_exec(w->db, "BEGIN; SELECT pg_advisory_xact_lock(7310135461032950001);", e);
        /* Silver/gold builds sort and join a few hundred thousand rows: keep temporary b-trees in
         * memory and give the page cache 64 MiB instead of spilling to temp files. */
        if (!rc && !w->pg)
            rc = ecl_db_exec(w->db, "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -65536; PRAGMA mmap_size = 1073741824;", e);
        if (!rc)
            rc = ecl_db_exec(w->db, ddl, e);
        if (w->pg)
            rc = rc ? (ecl_db_exec(w->db, "ROLLBACK", &(ecl_err)ECL_ERR_INIT), rc)
                    : ecl_db_exec(w->db, "COMMIT", e);
    }
    if (rc) {
        ecl_wh_close(w);
        return rc;
    }
    *out = w;
    return 0;
}

static void ledger_clear(ecl_wh *w)
{
    free(w->recs);
    free(w->slots);
    w->recs = NULL;
    w->slots = NULL;
    w->nrecs = w->caprecs = w->nslots = 0;
    ecl_buf_clear(&w->paths);
}

void ecl_wh_close(ecl_wh *w)
{
    if (!w)
        return;
    for (int i = 0; i < ECL_WH_NTABLES; i++) {
        ecl_stmt_free(w->ins[i]);
        ecl_stmt_free(w->del[i]);
    }
    ecl_stmt_free(w->ledger_get);
    ecl_stmt_free(w->ledger_put);
    if (w->db) {
        ecl_wh_unlock(w);
        ecl_db_close(w->db);
    }
    ledger_clear(w);
    ecl_buf_release(&w->paths);
    ecl_buf_release(&w->copy);
    free(w);
}

/* ---- locking ---- */

enum { INGEST_LOCK_KEY = 0x45434c494e47 }; /* "ECLING" */

int ecl_wh_lock(ecl_wh *w, ecl_err *e)
{
    if (!w->pg || w->locked)
        return 0;
    int64_t got = 0;
    bool found;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT CASE WHEN pg_try_advisory_lock(%lld) THEN 1 ELSE 0 END",
             (long long)INGEST_LOCK_KEY);
    if (ecl_db_query_int(w->db, sql, 0, NULL, &got, &found, e))
        return e->code;
    if (!got) {
        ecl_log(ECL_LOG_INFO, ecl_db_name(w->db), "another ingest is running on this warehouse; waiting");
        snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)INGEST_LOCK_KEY);
        if (ecl_db_exec(w->db, sql, e))
            return e->code;
    }
    w->locked = true;
    return 0;
}

void ecl_wh_unlock(ecl_wh *w)
{
    if (!w->pg || !w->locked)
        return;
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)INGEST_LOCK_KEY);
    ecl_err ignore = ECL_ERR_INIT;
    ecl_db_exec(w->db, sql, &ignore);
    w->locked = false;
}

/* ---- ledger ---- */

/* 8 bytes at a time, multiply-xorshift mixing: paths share long prefixes, so every byte must
 * reach the high bits (the slot tag) and the low bits (the slot number). */
static uint64_t hash_path(const char *s, size_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    h = (h ^ v) * 0x94d049bb133111ebULL;
    return h ^ (h >> 29);
}

static const ledger_rec *ledger_find(const ecl_wh *w, const char *path, size_t len, uint64_t h)
{
    if (!w->nslots)
        return NULL;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = h & (w->nslots - 1);; i = (i + 1) & (w->nslots - 1)) {
        const ledger_slot *sl = &w->slots[i];
        if (!sl->rec)
            return NULL;
        const ledger_rec *r = &w->recs[sl->rec - 1];
        if (sl->tag == tag && r->path_len == len && memcmp(w->paths.data + r->off, path, len) == 0)
            return r;
    }
}

/* Indexes record recno, replacing an older record of the same path (records are appended in order,
 * so the newest wins). */
static void index_put(ecl_wh *w, size_t recno)
{
    const ledger_rec *nr = &w->recs[recno];
    uint32_t tag = (uint32_t)(nr->hash >> 32);
    for (size_t i = nr->hash & (w->nslots - 1);; i = (i + 1) & (w->nslots - 1)) {
        ledger_slot *sl = &w->slots[i];
        const ledger_rec *r = sl->rec ? &w->recs[sl->rec - 1] : NULL;
        if (!r || (sl->tag == tag && r->path_len == nr->path_len &&
                   memcmp(w->paths.data + r->off, w->paths.data + nr->off, nr->path_len) == 0)) {
            *sl = (ledger_slot){tag, (uint32_t)(recno + 1)};
            return;
        }
    }
}

/* (Re)builds the index for nrecs + room records. */
static int index_build(ecl_wh *w, size_t room)
{
    size_t n = 1024;
    while (n < (w->nrecs + room) * 2)
        n *= 2;
    ledger_slot *sl = calloc(n, sizeof *sl);
    if (!sl)
        return ECL_ENOMEM;
    free(w->slots);
    w->slots = sl;
    w->nslots = n;
    for (size_t i = 0; i < w->nrecs; i++)
        index_put(w, i);
    return 0;
}

/* Appends a record (not yet indexed): 24 bytes plus its strings in the arena, so loading a large
 * ledger touches little memory. */
static int rec_append(ecl_wh *w, const char *path, size_t len, uint64_t h, const char *sha, uint64_t size,
                      const char *status, const char *stat_key)
{
    size_t kl = stat_key ? strnlen(stat_key, ECL_WH_STAT_KEY_MAX - 1) : 0;
    size_t hl = sha ? strnlen(sha, 64) : 0;
    size_t sl = status ? strnlen(status, 15) : 0;
    if (w->nrecs >= UINT32_MAX - 1 || w->paths.len > UINT32_MAX - 4096 || len > UINT16_MAX ||
        ecl_array_grow((void **)&w->recs, &w->caprecs, w->nrecs, sizeof *w->recs))
        return ECL_ENOMEM;
    ledger_rec *r = &w->recs[w->nrecs];
    *r = (ledger_rec){h, size, (uint32_t)w->paths.len, (uint16_t)len, (uint8_t)kl, (uint8_t)hl};
    if (ecl_buf_grow(&w->paths, len + kl + hl + sl + 4))
        return ECL_ENOMEM;
    uint8_t *p = w->paths.data + w->paths.len;
    memcpy(p, path, len);
    p[len] = 0;
    p += len + 1;
    memcpy(p, stat_key ? stat_key : "", kl);
    p[kl] = 0;
    p += kl + 1;
    memcpy(p, sha ? sha : "", hl);
    p[hl] = 0;
    p += hl + 1;
    memcpy(p, status ? status : "", sl);
    p[sl] = 0;
    ecl_buf_setlen(&w->paths, w->paths.len + len + kl + hl + sl + 4);
    w->nrecs++;
    return 0;
}

static void rec_entry(const ecl_wh *w, const ledger_rec *r, ecl_wh_entry *en)
{
    const char *p = (const char *)w->paths.data + r->off + r->path_len + 1;
    memcpy(en->stat_key, p, (size_t)r->key_len + 1);
    p += r->key_len + 1;
    memcpy(en->sha256, p, (size_t)r->sha_len + 1);
    p += r->sha_len + 1;
    snprintf(en->status, sizeof en->status, "%s", p);
    en->size = r->size;
}

/* A changed record is appended anew and replaces the old one in the index (the arena only grows: a
 * run rewrites each path at most once). */
static int ledger_insert(ecl_wh *w, const char *path, const ecl_wh_entry *en)
{
    size_t len = strlen(path);
    uint64_t h = hash_path(path, len);
    if ((w->nrecs + 1) * 2 > w->nslots && index_build(w, w->nrecs + 1))
        return ECL_ENOMEM;
    if (rec_append(w, path, len, h, en->sha256, en->size, en->status, en->stat_key))
        return ECL_ENOMEM;
    index_put(w, w->nrecs - 1);
    return 0;
}

/* Truncating copy (called per ledger row: cheaper than snprintf). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = src ? strnlen(src, cap - 1) : 0;
    memcpy(dst, src ? src : "", n);
    dst[n] = 0;
}

static void entry_from(ecl_wh_entry *en, const char *sha, int64_t size, const char *status,
                       const char *stat_key)
{
    copy_str(en->stat_key, sizeof en->stat_key, stat_key);
    copy_str(en->sha256, sizeof en->sha256, sha);
    en->size = (uint64_t)size;
    copy_str(en->status, sizeof en->status, status);
}

int ecl_wh_ledger_load(ecl_wh *w, ecl_err *e)
{
    ledger_clear(w);
    ecl_stmt *st;
    if (ecl_db_prepare(w->db, &st, "SELECT source_file, sha256, size_bytes, status, stat_key FROM ingest_ledger", e))
        return e->code;
    bool row;
    int rc;
    /* One query; records are appended as they come and indexed once at the end. */
    while ((rc = ecl_stmt_next(st, &row, e)) == 0 && row) {
        const char *path = ecl_stmt_text(st, 0);
        size_t len = path ? strlen(path) : 0;
        if (len > UINT16_MAX)
            continue; /* not cached: such a file is always read and checked against the database */
        if (rec_append(w, path ? path : "", len, hash_path(path ? path : "", len), ecl_stmt_text(st, 1),
                       (uint64_t)ecl_stmt_int(st, 2), ecl_stmt_text(st, 3), ecl_stmt_text(st, 4))) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory loading the ingest ledger");
            break;
        }
    }
    ecl_stmt_free(st);
    if (!rc && index_build(w, 0))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory indexing the ingest ledger");
    return rc;
}

bool ecl_wh_ledger_find(const ecl_wh *w, const char *source_file, size_t len, ecl_wh_entry *out)
{
    const ledger_rec *r = ledger_find(w, source_file, len, hash_path(source_file, len));
    if (r && out)
        rec_entry(w, r, out);
    return r != NULL;
}

bool ecl_wh_ledger_cached(const ecl_wh *w, const char *source_file, ecl_wh_entry *out)
{
    return ecl_wh_ledger_find(w, source_file, strlen(source_file), out);
}

bool ecl_wh_ledger_stat_same(const ecl_wh *w, const char *source_file, size_t len, const char *stat_key)
{
    const ledger_rec *r = ledger_find(w, source_file, len, hash_path(source_file, len));
    if (!r || !r->key_len)
        return false;
    const char *k = (const char *)w->paths.data + r->off + r->path_len + 1;
    return strcmp(k, stat_key) == 0;
}

int ecl_wh_ledger_get(ecl_wh *w, const char *source_file, ecl_wh_entry *out, bool *found, ecl_err *e)
{
    *found = false;
    if (!w->ledger_get &&
        ecl_db_prepare(w->db, &w->ledger_get, "SELECT sha256, size_bytes, status, stat_key FROM ingest_ledger WHERE source_file = ?", e))
        return e->code;
    ecl_stmt *st = w->ledger_get;
    ecl_stmt_reset(st);
    if (ecl_stmt_bind_text(st, 1, source_file))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    bool row;
    int rc = ecl_stmt_next(st, &row, e);
    if (!rc && row) {
        entry_from(out, ecl_stmt_text(st, 0), ecl_stmt_int(st, 1), ecl_stmt_text(st, 2), ecl_stmt_text(st, 3));
        *found = true;
    }
    ecl_stmt_reset(st);
    return rc;
}

int ecl_wh_ledger_put(ecl_wh *w, const char *source_file, const char *sha256, uint64_t size,
                      const char *stat_key, const char *status, uint64_t rows_total, uint64_t rows_loaded,
                      uint64_t rows_rejected, const char *loaded_at, ecl_err *e)
{
    char sz[24], rt[24], rl[24], rr[24];
    snprintf(sz, sizeof sz, "%llu", (unsigned long long)size);
    snprintf(rt, sizeof rt, "%llu", (unsigned long long)rows_total);
    snprintf(rl, sizeof rl, "%llu", (unsigned long long)rows_loaded);
    snprintf(rr, sizeof rr, "%llu", (unsigned long long)rows_rejected);
    const char *p[9] = {source_file, sha256, sz, status, rt, rl, rr, loaded_at, stat_key};
    /* CAST keeps the parameters typed on PostgreSQL, where they arrive as text. */
    int rc = 0;
    if (!w->ledger_put)
        rc = ecl_db_prepare(w->db, &w->ledger_put,
                            "INSERT INTO ingest_ledger (source_file, sha256, size_bytes, status, rows_total, "
                            "rows_loaded, rows_rejected, loaded_at, stat_key) VALUES (?, ?, CAST(? AS BIGINT), ?, "
                            "CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?, ?) "
                            "ON CONFLICT (source_file) DO UPDATE SET sha256 = excluded.sha256, "
                            "size_bytes = excluded.size_bytes, status = excluded.status, rows_total = "
                            "excluded.rows_total, rows_loaded = excluded.rows_loaded, rows_rejected = "
                            "excluded.rows_rejected, loaded_at = excluded.loaded_at, stat_key = excluded.stat_key",
                            e);
    if (!rc) {
        ecl_stmt_reset(w->ledger_put);
        for (int i = 0; i < 9 && !rc; i++)
            if (ecl_stmt_bind_text(w->ledger_put, i + 1, p[i]))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        if (!rc)
            rc = ecl_stmt_run(w->ledger_put, e);
        ecl_stmt_reset(w->ledger_put);
    }
    if (!rc && strlen(source_file) <= UINT16_MAX) {
        ecl_wh_entry en;
        entry_from(&en, sha256, (int64_t)size, status, stat_key);
        if (ledger_insert(w, source_file, &en))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory updating the ingest ledger");
    }
    return rc;
}

/* ---- transactions and deletes ---- */

int ecl_wh_begin(ecl_wh *w, ecl_err *e) { return ecl_db_begin(w->db, e); }
int ecl_wh_commit(ecl_wh *w, ecl_err *e) { return ecl_db_commit(w->db, e); }
void ecl_wh_rollback(ecl_wh *w)
{
    if (w->load_table >= 0 && w->pg) {
        ecl_err ignore = ECL_ERR_INIT;
        ecl_db_copy_end(w->db, &ignore);
    }
    w->load_table = -1;
    ecl_db_rollback(w->db);
}

int ecl_wh_delete_source(ecl_wh *w, ecl_wh_table t, const char *source_file, ecl_err *e)
{
    if (!w->del[t]) {
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s = ?", tables[t].name,
                 t == ECL_WH_REJECTS ? "source_file" : "_source_file");
        if (ecl_db_prepare(w->db, &w->del[t], sql, e))
            return e->code;
    }
    ecl_stmt *st = w->del[t];
    ecl_stmt_reset(st);
    if (ecl_stmt_bind_text(st, 1, source_file))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    int rc = ecl_stmt_run(st, e);
    ecl_stmt_reset(st);
    return rc;
}

/* ---- bulk loads ---- */

static size_t load_ncols(ecl_wh_table t) { return tables[t].ncols + (tables[t].lineage ? 3 : 0); }

static void col_list(ecl_buf *b, ecl_wh_table t)
{
    for (size_t i = 0; i < tables[t].ncols; i++)
        ecl_buf_printf(b, "%s%s", i ? ", " : "", tables[t].cols[i]);
    if (tables[t].lineage)
        ecl_buf_puts(b, ", _source_file, _ingest_timestamp, _ingest_date");
}

int ecl_wh_load_open(ecl_wh *w, ecl_wh_table t, ecl_err *e)
{
    if (w->load_table >= 0)
        return ecl_err_set(e, ECL_EINVAL, "a load on '%s' is still open", tables[w->load_table].name);
    ecl_buf sql = ECL_BUF_INIT;
    ecl_buf_printf(&sql, "%s %s (", w->pg ? "COPY" : "INSERT INTO", tables[t].name);
    col_list(&sql, t);
    int rc = 0;
    if (w->pg) {
        ecl_buf_puts(&sql, ") FROM STDIN");
        rc = ecl_buf_oom(&sql) ? ecl_err_set(e, ECL_ENOMEM, "out of memory")
                               : ecl_db_copy_begin(w->db, (const char *)sql.data, e);
        ecl_buf_clear(&w->copy);
    } else if (!w->ins[t]) {
        ecl_buf_puts(&sql, ") VALUES (");
        for (size_t i = 0; i < load_ncols(t); i++)
            ecl_buf_puts(&sql, i ? ", ?" : "?");
        ecl_buf_puts(&sql, ")");
        rc = ecl_buf_oom(&sql) ? ecl_err_set(e, ECL_ENOMEM, "out of memory")
                               : ecl_db_prepare(w->db, &w->ins[t], (const char *)sql.data, e);
    }
    ecl_buf_release(&sql);
    if (!rc) {
        w->load_table = (int)t;
        w->load_ncols = load_ncols(t);
    }
    return rc;
}

/* COPY text format: backslash escapes for the four characters that would break a row. */
static void copy_field(ecl_buf *b, const char *s)
{
    if (!s) {
        ecl_buf_append(b, "\\N", 2);
        return;
    }
    const char *run = s;
    for (; *s; s++) {
        const char *esc = *s == '\\' ? "\\\\" : *s == '\t' ? "\\t" : *s == '\n' ? "\\n" : *s == '\r' ? "\\r" : NULL;
        if (esc) {
            ecl_buf_append(b, run, (size_t)(s - run));
            ecl_buf_puts(b, esc);
            run = s + 1;
        }
    }
    ecl_buf_append(b, run, (size_t)(s - run));
}

int ecl_wh_load_row(ecl_wh *w, const char *const *vals, ecl_err *e)
{
    if (w->load_table < 0)
        return ecl_err_set(e, ECL_EINVAL, "no load is open");
    if (w->pg) {
        for (size_t i = 0; i < w->load_ncols; i++) {
            if (i)
                ecl_buf_putc(&w->copy, '\t');
            copy_field(&w->copy, vals[i]);
        }
        ecl_buf_putc(&w->copy, '\n');
        if (ecl_buf_oom(&w->copy))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory buffering COPY data");
        if (w->copy.len >= (1u << 18)) {
            int rc = ecl_db_copy_put(w->db, w->copy.data, w->copy.len, e);
            ecl_buf_clear(&w->copy);
            return rc;
        }
        return 0;
    }
    ecl_stmt *st = w->ins[w->load_table];
    ecl_stmt_reset(st);
    for (size_t i = 0; i < w->load_ncols; i++)
        if (ecl_stmt_bind_text(st, (int)i + 1, vals[i]))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory binding a row");
    return ecl_stmt_run(st, e);
}

int ecl_wh_load_close(ecl_wh *w, ecl_err *e)
{
    if (w->load_table < 0)
        return 0;
    int rc = 0;
    if (w->pg) {
        if (w->copy.len)
            rc = ecl_db_copy_put(w->db, w->copy.data, w->copy.len, e);
        ecl_buf_clear(&w->copy);
        int rc2 = ecl_db_copy_end(w->db, e);
        rc = rc ? rc : rc2;
    }
    w->load_table = -1;
    return rc;
}

int ecl_wh_ref_ids(ecl_wh *w, ecl_wh_table t, int64_t **ids, size_t *n, ecl_err *e)
{
    *ids = NULL;
    *n = 0;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT DISTINCT %s FROM %s ORDER BY 1", tables[t].cols[0], tables[t].name);
    ecl_stmt *st;
    if (ecl_db_prepare(w->db, &st, sql, e))
        return e->code;
    size_t cap = 0;
    bool row;
    int rc;
    while ((rc = ecl_stmt_next(st, &row, e)) == 0 && row) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            int64_t *v = realloc(*ids, cap * sizeof *v);
            if (!v) {
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory reading reference ids");
                break;
            }
            *ids = v;
        }
        (*ids)[(*n)++] = ecl_stmt_int(st, 0);
    }
    ecl_stmt_free(st);
    if (rc) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

/* ---- silver and gold builds ---- */

static const char *const silver_tables[] = {"silver_calendar", "silver_products", "silver_countries",
                                            "silver_states", "silver_units", "silver_orders",
                                            "silver_order_items", NULL};
static const char *const gold_tables[] = {"gold_dim_date", "gold_dim_product", "gold_dim_unit",
                                          "gold_dim_geography", "gold_fact_sales",
                                          "gold_fact_order_items", "gold_agg_daily_sales",
                                          "gold_agg_unit_performance", "gold_agg_product_performance",
                                          NULL};

const char *const *ecl_wh_layer_tables(const char *layer)
{
    return strcmp(layer, "silver") == 0 ? silver_tables : strcmp(layer, "gold") == 0 ? gold_tables : NULL;
}

static int run_layer(ecl_wh *w, const char *layer, ecl_err *e)
{
    const char *steps[32];
    size_t n = ecl_sqlfile_steps(layer, steps, 32);
    const char *dialect = w->pg ? "postgres" : "sqlite";
    for (size_t i = 0; i < n; i++) {
        const char *sql = ecl_sqlfile_get(steps[i], dialect);
        if (!sql)
            return ecl_err_set(e, ECL_EINVAL, "no %s variant of sql step '%s'", dialect, steps[i]);
        ecl_log(ECL_LOG_DEBUG, steps[i], "running on %s", ecl_db_name(w->db));
        if (ecl_db_exec(w->db, sql, e)) {
            ecl_err_prefix(e, "build step '%s'", steps[i]);
            return e->code;
        }
    }
    return 0;
}

int ecl_wh_build(ecl_wh *w, const char *layer, ecl_err *e)
{
    bool silver = strcmp(layer, "silver") == 0 || strcmp(layer, "all") == 0;
    bool gold = strcmp(layer, "gold") == 0 || strcmp(layer, "all") == 0;
    if (!silver && !gold)
        return ecl_err_set(e, ECL_EINVAL, "unknown layer '%s' (silver, gold or all)", layer);
    if (ecl_db_begin(w->db, e))
        return e->code;
    int rc = silver ? run_layer(w, "silver", e) : 0;
    if (!rc && gold)
        rc = run_layer(w, "gold", e);
    if (!rc)
        rc = ecl_db_commit(w->db, e);
    else
        ecl_db_rollback(w->db);
    return rc;
}
