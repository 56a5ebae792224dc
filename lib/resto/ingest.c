/* ingest.c - landed restaurant files -> bronze warehouse (see ingest.h). */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
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
#include "validate.h"

enum { DEFAULT_MAX_SIZE = 10 * 1024 * 1024, DEFAULT_BATCH = 64, TX_ATTEMPTS = 5 };

/* ---- scanning the source ---- */

typedef struct win_dir {
    char *rel; /* "csv_sales/2026/02/01/unit_001/window_1214" */
    bool has_orders, has_items;
    char keys[2][96]; /* stat keys of pedido.csv and item_pedido.csv taken during the scan */
} win_dir;

typedef struct scan {
    win_dir *dirs;
    size_t n, cap;
    bool ref[4];
    const char *root;
    const char *quarantine_abs;
    uint64_t other_files;
} scan;

static const char *const ref_kinds[4] = {"produto", "unidade", "estado", "pais"};
static const ecl_wh_table ref_tables[4] = {ECL_WH_PRODUCTS, ECL_WH_UNITS, ECL_WH_STATES, ECL_WH_COUNTRIES};

static void stat_key(const struct stat *st, char out[96]);

static int add_dir(scan *s, const char *rel, bool orders, bool items, char keys[2][96])
{
    if (ecl_array_grow((void **)&s->dirs, &s->cap, s->n, sizeof *s->dirs))
        return ECL_ENOMEM;
    if (!(s->dirs[s->n].rel = strdup(rel)))
        return ECL_ENOMEM;
    s->dirs[s->n].has_orders = orders;
    s->dirs[s->n].has_items = items;
    memcpy(s->dirs[s->n].keys, keys, sizeof s->dirs[s->n].keys);
    s->n++;
    return 0;
}

/* Entries are stored as one type byte (d_type) followed by the name, sorted by name. */
static int cmp_entry(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

/* Walks ROOT/rel recursively; a directory holding pedido.csv or item_pedido.csv is a window. */
static int walk(scan *s, const char *rel, ecl_err *e)
{
    char abs[4096];
    snprintf(abs, sizeof abs, "%s/%s", s->root, rel);
    if (s->quarantine_abs && strcmp(abs, s->quarantine_abs) == 0)
        return 0;
    DIR *d = opendir(abs);
    if (!d)
        return ecl_err_errno(e, errno, "cannot read directory '%s'", abs);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", and unfinished publishes (".window_1214.tmp-123") */
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                rc = ecl_err_set(e, ECL_ENOMEM, "out of memory scanning '%s'", abs);
                break;
            }
            names = v;
        }
        size_t len = strlen(de->d_name);
        if (!(names[n] = malloc(len + 2))) {
            rc = ecl_err_set(e, ECL_ENOMEM, "out of memory scanning '%s'", abs);
            break;
        }
        /* d_type saves a stat per entry on file systems that report it */
        names[n][0] = (char)de->d_type;
        memcpy(names[n] + 1, de->d_name, len + 1);
        n++;
    }
    if (!rc)
        qsort(names, n, sizeof *names, cmp_entry);
    bool orders = false, items = false;
    char keys[2][96] = {"", ""};
    for (size_t i = 0; i < n && !rc; i++) {
        const char *name = names[i] + 1;
        unsigned char type = (unsigned char)names[i][0];
        char sub[4096], subabs[4200];
        snprintf(sub, sizeof sub, "%s/%s", rel, name);
        if (type == DT_UNKNOWN || type == DT_LNK) {
            struct stat st;
            snprintf(subabs, sizeof subabs, "%s/%s", s->root, sub);
            if (stat(subabs, &st) != 0)
                continue; /* vanished (moved by a concurrent ingest) */
            type = S_ISDIR(st.st_mode) ? DT_DIR : DT_REG;
        }
        if (type == DT_DIR)
            rc = walk(s, sub, e);
        else if (strcmp(name, "pedido.csv") == 0 || strcmp(name, "item_pedido.csv") == 0) {
            /* stat relative to the open directory: no path walk per file */
            int k = name[0] == 'p' ? 0 : 1;
            struct stat st;
            if (fstatat(dirfd(d), name, &st, 0) == 0)
                stat_key(&st, keys[k]);
            if (k == 0)
                orders = true;
            else
                items = true;
        }
        else if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".csv") == 0) {
            ecl_log(ECL_LOG_DEBUG, sub, "skipped: unknown file type");
            s->other_files++;
        }
    }
    closedir(d);
    if (!rc && (orders || items) && add_dir(s, rel, orders, items, keys))
        rc = ecl_err_set(e, ECL_ENOMEM, "out of memory scanning '%s'", abs);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void scan_release(scan *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->dirs[i].rel);
    free(s->dirs);
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
} src_file;

static void stat_key(const struct stat *st, char out[96])
{
    snprintf(out, 96, "%lld:%lld.%09ld:%lld.%09ld:%llu", (long long)st->st_size, (long long)st->st_mtim.tv_sec,
             st->st_mtim.tv_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
             (unsigned long long)st->st_ino);
}

/* The git-index shortcut: unchanged stat data -> the ledger's hash is still the file's hash. */
static void stat_unchanged(const ecl_wh *w, const char *root, const char *rel, bool rehash, bool *same,
                           bool *exists)
{
    char abs[4200];
    snprintf(abs, sizeof abs, "%s/%s", root, rel);
    struct stat st;
    *same = false;
    *exists = stat(abs, &st) == 0;
    if (!*exists || rehash)
        return;
    const ecl_wh_entry *en = ecl_wh_ledger_cached(w, rel);
    char key[96];
    stat_key(&st, key);
    *same = en && en->stat_key[0] && strcmp(en->stat_key, key) == 0;
}

/* Reads (unless over the limit) and hashes a file. ECL_ENOTFOUND if it vanished. */
static int load_file(src_file *f, const char *root, const char *rel, uint64_t max, ecl_err *e)
{
    snprintf(f->rel, sizeof f->rel, "%s", rel);
    snprintf(f->abs, sizeof f->abs, "%s/%s", root, rel);
    f->present = false;
    f->too_big = false;
    f->unchanged = false;
    f->known = false;
    ecl_buf_clear(&f->data);
    /* One open + fstat + read per file: the re-ingest of unchanged files is this plus a hash. */
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
    uint8_t d[32];
    ecl_sha256(f->data.data, f->data.len, d);
    ecl_hex(d, 32, f->sha);
    f->size = f->data.len;
    f->present = true;
    return 0;
}

/* ---- shared run state ---- */

typedef struct run {
    ecl_wh *w;
    const ecl_resto_ingest_opts *o;
    ecl_resto_ingest_stats *st;
    char now[40], today[11];
    char quarantine[4096];
    ecl_resto_refs refs;
    int64_t *units, *products;
    size_t nunits, nproducts;
    bool pg;
} run;

static bool same_as_ledger(run *r, const src_file *f)
{
    const ecl_wh_entry *en = ecl_wh_ledger_cached(r->w, f->rel);
    return en && strcmp(en->sha256, f->sha) == 0;
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

/* quarantine/<path without its leading csv_sales/> */
static void quarantine_path(run *r, const char *rel, char *out, size_t n)
{
    const char *tail = strncmp(rel, "csv_sales/", 10) == 0 ? rel + 10 : rel;
    snprintf(out, n, "%s/%s", r->quarantine, tail);
}

static int write_error_json(run *r, const src_file *f, const ecl_resto_problems *pr, uint64_t rows_total,
                            const char *dest, ecl_err *e)
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
    if (!s)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory writing an error report");
    char path[4300];
    snprintf(path, sizeof path, "%.*s_error.json", (int)(strlen(dest) - 4), dest);
    int rc = ecl_write_file_atomic(path, s, strlen(s), e);
    free(s);
    return rc;
}

/* Moves a file to quarantine with its error report; a file already gone was moved by another run. */
static int quarantine_file(run *r, const src_file *f, const ecl_resto_problems *pr, uint64_t rows_total,
                           ecl_err *e)
{
    char dest[4300], dir[4300];
    quarantine_path(r, f->rel, dest, sizeof dest);
    snprintf(dir, sizeof dir, "%s", dest);
    *strrchr(dir, '/') = 0;
    if (ecl_mkdirs(dir, e))
        return e->code;
    if (write_error_json(r, f, pr, rows_total, dest, e))
        return e->code;
    if (rename(f->abs, dest) != 0) {
        if (errno == ENOENT)
            return 0;
        if (errno != EXDEV)
            return ecl_err_errno(e, errno, "cannot move '%s' to '%s'", f->abs, dest);
        /* another file system: copy durably, then remove the original */
        if (ecl_write_file_atomic(dest, f->data.data, f->data.len, e))
            return e->code;
        if (unlink(f->abs) != 0 && errno != ENOENT)
            return ecl_err_errno(e, errno, "cannot remove '%s'", f->abs);
    }
    ecl_log(ECL_LOG_WARN, f->rel, "quarantined: %zu problem%s (see %s)", count_problems(pr, f->rel),
            count_problems(pr, f->rel) == 1 ? "" : "s", dest);
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
        ecl_buf_init(&f[k].data, 0);
    int rc = 0;
    bool any = false;
    for (int k = 0; k < 4 && !rc; k++) {
        if (!s->ref[k])
            continue;
        char rel[64];
        snprintf(rel, sizeof rel, "reference_data/%s.csv", ref_kinds[k]);
        bool same, exists;
        stat_unchanged(r->w, r->o->source, rel, r->o->rehash, &same, &exists);
        if (same) {
            r->st->files_seen++;
            r->st->files_skipped++;
            continue;
        }
        rc = load_file(&f[k], r->o->source, rel, r->o->max_file_size, e);
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
        else
            rc = ecl_resto_validate_reference(ref_kinds[k], rel, f[k].data.data, f[k].data.len, &out[k], e);
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
        ecl_buf_release(&f[k].data);
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

static int prepare_item(run *r, const win_dir *d, work_item *wi, ecl_err *e)
{
    static const char *const names[2] = {"pedido.csv", "item_pedido.csv"};
    bool has[2] = {d->has_orders, d->has_items};
    wi->skip = false;
    wi->validated = false;
    wi->quarantine[0] = wi->quarantine[1] = false;
    memset(&wi->out, 0, sizeof wi->out);
    /* Fast path: every file of the window has the stat data recorded with its hash. */
    int nsame = 0, nexist = 0;
    for (int k = 0; k < 2; k++) {
        if (!has[k] || !d->keys[k][0])
            continue;
        char rel[4200];
        snprintf(rel, sizeof rel, "%s/%s", d->rel, names[k]);
        const ecl_wh_entry *en = ecl_wh_ledger_cached(r->w, rel);
        nexist++;
        nsame += !r->o->rehash && en && strcmp(en->stat_key, d->keys[k]) == 0;
    }
    if (nexist > 0 && nsame == nexist) {
        wi->skip = true;
        wi->files[0].present = wi->files[1].present = false;
        r->st->files_seen += (uint64_t)nexist;
        r->st->files_skipped += (uint64_t)nexist;
        return 0;
    }
    bool all_same = true;
    for (int k = 0; k < 2; k++) {
        wi->files[k].present = false;
        if (!has[k])
            continue;
        char rel[4200];
        snprintf(rel, sizeof rel, "%s/%s", d->rel, names[k]);
        int rc = load_file(&wi->files[k], r->o->source, rel, r->o->max_file_size, e);
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
    ecl_resto_window_in in = {0};
    in.timezone = r->o->timezone;
    in.orders_path = wi->files[0].rel;
    in.items_path = wi->files[1].rel;
    /* An oversized file is not read: it is a problem of its own, and its companion is validated as
     * if it were absent. */
    in.has_orders = wi->files[0].present && !wi->files[0].too_big;
    in.orders = wi->files[0].data.data;
    in.orders_len = wi->files[0].data.len;
    in.has_items = wi->files[1].present && !wi->files[1].too_big;
    in.items = wi->files[1].data.data;
    in.items_len = wi->files[1].data.len;
    in.items_unusable = wi->files[1].present && wi->files[1].too_big;
    if (!in.has_orders)
        snprintf(wi->files[0].rel, sizeof wi->files[0].rel, "%s/%s", d->rel, names[0]);
    if (!in.has_items)
        snprintf(wi->files[1].rel, sizeof wi->files[1].rel, "%s/%s", d->rel, names[1]);
    if (ecl_resto_validate_window(&in, &r->refs, &wi->out, e))
        return e->code;
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
            bool known = r->pg ? ecl_wh_ledger_cached(r->w, f->rel) != NULL : f->known;
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
            ecl_buf_init(&items[i].files[k].data, 0);
    int rc = 0;
    for (size_t at = 0; at < s->n && !rc; at += batch) {
        if (ecl_cancelled()) {
            rc = ecl_err_set(e, ECL_EINTR, "interrupted after %zu of %zu window directories", at, s->n);
            break;
        }
        size_t n = s->n - at < batch ? s->n - at : batch;
        bool work = false;
        for (size_t i = 0; i < n && !rc; i++) {
            rc = prepare_item(r, &s->dirs[at + i], &items[i], e);
            work |= !items[i].skip;
        }
        if (!rc && work && !r->o->dry_run) {
            for (int attempt = 1;; attempt++) {
                ecl_err te = ECL_ERR_INIT;
                rc = commit_batch(r, items, n, &te);
                if (rc == ECL_ETRANSIENT && attempt < TX_ATTEMPTS) {
                    ecl_log(ECL_LOG_DEBUG, s->dirs[at].rel, "retrying a busy transaction: %s", te.msg);
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
                ecl_log(ECL_LOG_WARN, s->dirs[at + i].rel, "loaded with %zu rejected row problem%s "
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
            ecl_buf_release(&items[i].files[k].data);
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
    struct stat sst;
    if (stat(opts.source, &sst) != 0)
        return ecl_err_errno(e, errno, "cannot read source '%s'", opts.source);
    if (!S_ISDIR(sst.st_mode))
        return ecl_err_set(e, ECL_EINVAL, "source '%s' is not a directory", opts.source);

    scan s = {.root = opts.source, .quarantine_abs = r.quarantine};
    int rc = 0;
    for (int k = 0; k < 4; k++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/reference_data/%s.csv", opts.source, ref_kinds[k]);
        s.ref[k] = access(p, F_OK) == 0;
    }
    char sales[4200];
    snprintf(sales, sizeof sales, "%s/csv_sales", opts.source);
    if (access(sales, F_OK) == 0)
        rc = walk(&s, "csv_sales", e);
    if (!rc && !opts.dry_run)
        rc = ecl_wh_lock(w, e);
    if (!rc)
        rc = ecl_wh_ledger_load(w, e);
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
    scan_release(&s);
    return rc;
}
