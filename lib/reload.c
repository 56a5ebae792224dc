#include "reload.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "column.h"
#include "csv.h"
#include "io.h"
#include "manifest.h"
#include "parquet.h"

bool ecl_sql_ident_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || !(s[0] == '_' || ((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z')))
        return false;
    for (size_t i = 1; i < n; i++) {
        char c = s[i];
        if (!(c == '_' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z')))
            return false;
    }
    return true;
}

int ecl_reload_probe(ecl_reload_src *src, ecl_err *e)
{
    if (!ecl_sql_ident_ok(src->table))
        return ecl_err_set(e, ECL_EINVAL, "table name '%s' is not a plain identifier", src->table);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", src->lake, src->table);
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT
                   ? ecl_err_set(e, ECL_ENOTFOUND, "table '%s' is not in the lake '%s'", src->table, src->lake)
                   : ecl_err_errno(e, errno, "cannot read '%s'", dir);
    src->partition_key[0] = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* hidden names are staging or bookkeeping, never data */
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        const char *eq = strchr(de->d_name, '=');
        int32_t day;
        if (!eq || (size_t)(eq - de->d_name) >= sizeof src->partition_key ||
            ecl_date_parse(eq + 1, strlen(eq + 1), &day)) {
            rc = ecl_err_set(e, ECL_EINVAL, "table '%s' is not partitioned by date ('%s/%s')", src->table,
                             dir, de->d_name);
            break;
        }
        size_t kn = (size_t)(eq - de->d_name);
        if (src->partition_key[0] &&
            (strlen(src->partition_key) != kn || strncmp(src->partition_key, de->d_name, kn) != 0)) {
            rc = ecl_err_set(e, ECL_EINVAL, "table '%s' mixes partition keys '%s' and '%.*s'", src->table,
                             src->partition_key, (int)kn, de->d_name);
            break;
        }
        memcpy(src->partition_key, de->d_name, kn);
        src->partition_key[kn] = 0;
    }
    closedir(d);
    if (!rc && !src->partition_key[0])
        rc = ecl_err_set(e, ECL_ENOTFOUND, "table '%s' has no partitions in '%s'", src->table, src->lake);
    if (!rc && !ecl_sql_ident_ok(src->partition_key))
        rc = ecl_err_set(e, ECL_EINVAL, "partition key '%s' is not a plain identifier", src->partition_key);
    return rc;
}

static int table_exists(ecl_db *db, const char *table, bool *exists, ecl_err *e)
{
    const char *sql = ecl_db_kind_of(db) == ECL_DB_SQLITE
                          ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
                          : "SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                            "AND table_schema = current_schema()";
    int64_t n = 0;
    bool found;
    int rc = ecl_db_query_int(db, sql, 1, &table, &n, &found, e);
    *exists = n > 0;
    return rc;
}

int ecl_reload_count(ecl_db *db, const ecl_reload_src *src, int32_t start, int32_t end,
                     uint64_t *rows, ecl_err *e)
{
    bool exists;
    *rows = 0;
    if (table_exists(db, src->table, &exists, e))
        return e->code;
    if (!exists)
        return 0;
    char sql[256], a[11], b[11];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM \"%s\" WHERE \"%s\" BETWEEN ? AND ?", src->table,
             src->partition_key);
    ecl_date_format(start, a);
    ecl_date_format(end, b);
    const char *params[2] = {a, b};
    int64_t n = 0;
    bool found;
    int rc = ecl_db_query_int(db, sql, 2, params, &n, &found, e);
    *rows = (uint64_t)n;
    return rc;
}

typedef struct chunk_file {
    char *path; /* lake + '/' + the manifest's relative path */
    int32_t day;
} chunk_file;

typedef struct chunk_files {
    chunk_file *v;
    size_t n, cap;
    uint64_t rows;
} chunk_files;

static void chunk_files_release(chunk_files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->v[i].path);
    free(f->v);
    memset(f, 0, sizeof *f);
}

static int chunk_files_add(chunk_files *f, const char *lake, const char *rel, int32_t day)
{
    if (ecl_array_grow((void **)&f->v, &f->cap, f->n, sizeof *f->v))
        return ECL_ENOMEM;
    size_t len = strlen(lake) + strlen(rel) + 2;
    char *s = malloc(len);
    if (!s)
        return ECL_ENOMEM;
    snprintf(s, len, "%s/%s", lake, rel);
    f->v[f->n++] = (chunk_file){s, day};
    return 0;
}

/* Collects the files of every committed partition in the range; refuses uncommitted ones before
 * anything is deleted, because a reload from a half-written source would lose rows. */
static int collect(const ecl_reload_src *src, int32_t start, int32_t end, chunk_files *f,
                   ecl_reload_counts *out, ecl_err *e)
{
    for (int32_t day = start; day <= end; day++) {
        char ds[11], dir[4096], path[4200];
        ecl_date_format(day, ds);
        snprintf(dir, sizeof dir, "%s/%s/%s=%s", src->lake, src->table, src->partition_key, ds);
        struct stat st;
        if (stat(dir, &st) != 0) {
            out->missing++;
            continue;
        }
        snprintf(path, sizeof path, "%s/%s", dir, ECL_SUCCESS_NAME);
        if (stat(path, &st) != 0)
            return ecl_err_set(e, ECL_EPARTIAL,
                               "partition '%s/%s=%s' is not committed (no %s): finish it with "
                               "'ecomlake backfill' before reloading",
                               src->table, src->partition_key, ds, ECL_SUCCESS_NAME);
        snprintf(path, sizeof path, "%s/%s", dir, ECL_MANIFEST_NAME);
        ecl_buf raw = ECL_BUF_INIT;
        ecl_manifest m;
        ecl_manifest_init(&m);
        int rc = ecl_read_file(path, &raw, 64u << 20, e);
        if (!rc)
            rc = ecl_manifest_parse(&m, path, raw.data, raw.len, e);
        for (size_t i = 0; !rc && i < m.nfiles; i++)
            if (chunk_files_add(f, src->lake, m.files[i].path, day))
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory listing partition files");
        if (!rc) {
            f->rows += m.total_rows;
            out->partitions++;
        }
        ecl_manifest_release(&m);
        ecl_buf_release(&raw);
        if (rc)
            return rc;
    }
    return 0;
}

static const char *sql_type(const ecl_field *f, char buf[32])
{
    switch (f->type) {
    case ECL_T_BOOL: return "BOOLEAN";
    case ECL_T_INT32: return "INTEGER";
    case ECL_T_INT64: return "BIGINT";
    case ECL_T_DOUBLE: return "DOUBLE PRECISION";
    case ECL_T_STRING: return "TEXT";
    case ECL_T_DATE: return "DATE";
    case ECL_T_TIMESTAMP: return "TIMESTAMP";
    case ECL_T_DECIMAL: snprintf(buf, 32, "NUMERIC(%d,%d)", f->precision, f->scale); return buf;
    }
    return "TEXT";
}

static int create_table(ecl_db *db, const ecl_reload_src *src, const ecl_schema *s, ecl_err *e)
{
    ecl_buf sql = ECL_BUF_INIT;
    ecl_buf_printf(&sql, "CREATE TABLE IF NOT EXISTS \"%s\" (", src->table);
    for (size_t i = 0; i < s->nfields; i++) {
        char tb[32];
        if (!ecl_sql_ident_ok(s->fields[i].name)) {
            ecl_buf_release(&sql);
            return ecl_err_set(e, ECL_EINVAL, "column name '%s' is not a plain identifier",
                               s->fields[i].name);
        }
        ecl_buf_printf(&sql, "\"%s\" %s%s, ", s->fields[i].name, sql_type(&s->fields[i], tb),
                       s->fields[i].nullable ? "" : " NOT NULL");
    }
    ecl_buf_printf(&sql, "\"%s\" DATE NOT NULL)", src->partition_key);
    int rc = ecl_buf_oom(&sql) ? ecl_err_set(e, ECL_ENOMEM, "out of memory building SQL")
                               : ecl_db_exec(db, (const char *)sql.data, e);
    ecl_buf_release(&sql);
    return rc;
}

/* Rows are staged as text in an arena and sent as multi-row INSERTs: one round trip per
 * rows_per_stmt rows instead of one per row. */
typedef struct inserter {
    ecl_db *db;
    const ecl_reload_src *src;
    const ecl_schema *schema;
    size_t ncols; /* schema columns + partition key */
    size_t rows_per_stmt;
    ecl_stmt *full;
    size_t pending;   /* rows staged */
    ecl_buf arena;    /* NUL-terminated values */
    int64_t *offsets; /* per staged value; -1 = NULL */
} inserter;

static int prepare_insert(inserter *in, size_t rows, ecl_stmt **st, ecl_err *e)
{
    ecl_buf sql = ECL_BUF_INIT;
    ecl_buf_printf(&sql, "INSERT INTO \"%s\" (", in->src->table);
    for (size_t i = 0; i < in->schema->nfields; i++)
        ecl_buf_printf(&sql, "\"%s\", ", in->schema->fields[i].name);
    ecl_buf_printf(&sql, "\"%s\") VALUES ", in->src->partition_key);
    for (size_t r = 0; r < rows; r++) {
        ecl_buf_puts(&sql, r ? ", (" : "(");
        for (size_t c = 0; c < in->ncols; c++)
            ecl_buf_puts(&sql, c ? ", ?" : "?");
        ecl_buf_putc(&sql, ')');
    }
    int rc = ecl_buf_oom(&sql) ? ecl_err_set(e, ECL_ENOMEM, "out of memory building SQL")
                               : ecl_db_prepare(in->db, st, (const char *)sql.data, e);
    ecl_buf_release(&sql);
    return rc;
}

static void stage_value(inserter *in, size_t k, const char *v, size_t n)
{
    if (!v) {
        in->offsets[k] = -1;
        return;
    }
    in->offsets[k] = (int64_t)in->arena.len;
    ecl_buf_append(&in->arena, v, n);
    ecl_buf_putc(&in->arena, 0);
}

static void stage_row(inserter *in, const ecl_batch *b, size_t i, const char *day)
{
    size_t base = in->pending * in->ncols;
    for (size_t c = 0; c < in->schema->nfields; c++) {
        const ecl_column *col = &b->cols[c];
        char buf[40];
        if (ecl_col_is_null(col, i)) {
            stage_value(in, base + c, NULL, 0);
            continue;
        }
        switch (col->type) {
        case ECL_T_BOOL: stage_value(in, base + c, ecl_col_bool(col, i) ? "1" : "0", 1); continue;
        case ECL_T_INT32: snprintf(buf, sizeof buf, "%d", ecl_col_i32(col, i)); break;
        case ECL_T_INT64: snprintf(buf, sizeof buf, "%lld", (long long)ecl_col_i64(col, i)); break;
        case ECL_T_DOUBLE: ecl_format_double(ecl_col_f64(col, i), buf); break;
        case ECL_T_DATE: ecl_date_format(ecl_col_i32(col, i), buf); break;
        case ECL_T_TIMESTAMP: ecl_format_timestamp(ecl_col_i64(col, i), ECL_TS_SPACE_MICROS, buf); break;
        case ECL_T_DECIMAL: ecl_format_decimal(ecl_col_i64(col, i), in->schema->fields[c].scale, buf); break;
        case ECL_T_STRING: {
            size_t n;
            const char *p = ecl_col_str(col, i, &n);
            stage_value(in, base + c, p, n);
            continue;
        }
        }
        stage_value(in, base + c, buf, strlen(buf));
    }
    stage_value(in, base + in->ncols - 1, day, strlen(day));
    in->pending++;
}

/* Sends the staged rows: through the full-size statement, or one prepared for a final short batch. */
static int flush_rows(inserter *in, ecl_err *e)
{
    if (!in->pending)
        return 0;
    if (ecl_buf_oom(&in->arena))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory staging rows");
    ecl_stmt *st = in->full, *tail = NULL;
    int rc = 0;
    if (in->pending < in->rows_per_stmt) {
        rc = prepare_insert(in, in->pending, &tail, e);
        st = tail;
    }
    for (size_t k = 0; !rc && k < in->pending * in->ncols; k++) {
        const char *v = in->offsets[k] < 0 ? NULL : (const char *)in->arena.data + in->offsets[k];
        if (ecl_stmt_bind_text(st, (int)k + 1, v))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory binding values");
    }
    if (!rc)
        rc = ecl_stmt_run(st, e);
    if (st)
        ecl_stmt_reset(st);
    if (tail)
        ecl_stmt_free(tail);
    in->pending = 0;
    ecl_buf_clear(&in->arena);
    return rc;
}

static int insert_file(inserter *in, const char *path, const char *day, uint64_t *rows, ecl_err *e)
{
    ecl_pq_reader *r = NULL;
    int rc = ecl_pq_reader_open(&r, path, e);
    if (rc)
        return rc;
    const ecl_schema *fs = ecl_pq_reader_schema(r);
    if (fs->nfields != in->schema->nfields) {
        ecl_pq_reader_free(r);
        return ecl_err_set(e, ECL_EFORMAT, "'%s' has %zu columns, the table has %zu", path, fs->nfields,
                           in->schema->nfields);
    }
    ecl_batch b;
    if (ecl_batch_init(&b, fs)) {
        ecl_pq_reader_free(r);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory reading '%s'", path);
    }
    for (size_t rg = 0; !rc && rg < ecl_pq_reader_num_row_groups(r); rg++) {
        ecl_batch_clear(&b);
        rc = ecl_pq_reader_read_row_group(r, rg, &b, e);
        for (size_t i = 0; !rc && i < b.nrows; i++) {
            stage_row(in, &b, i, day);
            (*rows)++;
            if (in->pending == in->rows_per_stmt)
                rc = flush_rows(in, e);
        }
    }
    ecl_batch_release(&b);
    ecl_pq_reader_free(r);
    if (rc)
        ecl_err_prefix(e, "loading '%s'", path);
    return rc;
}

int ecl_reload_chunk(ecl_db *db, const ecl_reload_src *src, int32_t start, int32_t end, bool dry_run,
                     ecl_reload_counts *out, ecl_err *e)
{
    memset(out, 0, sizeof *out);
    chunk_files f = {0};
    int rc = collect(src, start, end, &f, out, e);
    if (!rc && dry_run) {
        out->inserted = f.rows;
        rc = ecl_reload_count(db, src, start, end, &out->deleted, e);
    }
    if (rc || dry_run) {
        chunk_files_release(&f);
        return rc;
    }

    ecl_pq_reader *first = NULL;
    ecl_schema schema;
    ecl_schema_init(&schema);
    if (f.n) {
        rc = ecl_pq_reader_open(&first, f.v[0].path, e);
        if (!rc && ecl_schema_copy(&schema, ecl_pq_reader_schema(first)))
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        ecl_pq_reader_free(first);
    }
    if (!rc)
        rc = ecl_db_begin(db, e);
    if (rc) {
        ecl_schema_release(&schema);
        chunk_files_release(&f);
        return rc;
    }
    bool exists = false;
    rc = table_exists(db, src->table, &exists, e);
    if (!rc && !exists && f.n)
        rc = create_table(db, src, &schema, e);
    if (!rc && (exists || f.n)) {
        char sql[256], a[11], b[11];
        snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE \"%s\" BETWEEN ? AND ?", src->table,
                 src->partition_key);
        ecl_date_format(start, a);
        ecl_date_format(end, b);
        const char *params[2] = {a, b};
        int64_t changes = 0;
        rc = ecl_db_execp(db, sql, 2, params, &changes, e);
        out->deleted = (uint64_t)changes;
    }
    inserter in = {db, src, &schema, schema.nfields + 1, 0, NULL, 0, ECL_BUF_INIT, NULL};
    if (!rc && f.n) {
        /* Multi-row INSERTs cut round trips; both engines take at least 32k parameters. */
        in.rows_per_stmt = 30000 / in.ncols;
        if (in.rows_per_stmt > 256)
            in.rows_per_stmt = 256;
        in.offsets = malloc(in.rows_per_stmt * in.ncols * sizeof *in.offsets);
        if (!in.offsets)
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory");
        if (!rc)
            rc = prepare_insert(&in, in.rows_per_stmt, &in.full, e);
        for (size_t i = 0; !rc && i < f.n; i++) {
            char day[11];
            ecl_date_format(f.v[i].day, day);
            rc = insert_file(&in, f.v[i].path, day, &out->inserted, e);
        }
        if (!rc)
            rc = flush_rows(&in, e);
    }
    if (in.full)
        ecl_stmt_free(in.full);
    free(in.offsets);
    ecl_buf_release(&in.arena);
    if (!rc)
        rc = ecl_db_commit(db, e);
    else
        ecl_db_rollback(db);
    if (!rc && out->inserted != f.rows)
        rc = ecl_err_set(e, ECL_EMISMATCH, "loaded %llu rows but the manifests list %llu",
                         (unsigned long long)out->inserted, (unsigned long long)f.rows);
    ecl_schema_release(&schema);
    chunk_files_release(&f);
    return rc;
}
