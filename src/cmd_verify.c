/* ecomlake verify - check a lake's partitions against their manifests, locally or remotely.
 *
 * Everything goes through the sink interface (list, head, get), so the same checks run on a local
 * directory, S3 or GCS. A partition is:
 *   ok        _SUCCESS, a manifest that parses, every listed file present with its size and SHA-256,
 *             and nothing else in the directory;
 *   partial   no _SUCCESS (an interrupted write: not visible to manifest-driven readers);
 *   corrupt   _SUCCESS but a missing/unreadable manifest or a file that is missing or differs;
 *   orphaned  committed, but holding data files its manifest does not list;
 *   missing   a day inside the checked range (or a gap between a table's first and last day)
 *             with no partition at all.
 * --deep also reads every file with our Parquet reader: row counts, schema and column statistics
 * must agree with the manifest and the data. Any problem exits 4. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/buf.h"
#include "../lib/cancel.h"
#include "../lib/hash.h"
#include "../lib/manifest.h"
#include "../lib/parquet.h"
#include "../lib/csv.h"
#include "../lib/pq_check.h"
#include "../lib/publish.h"
#include "../lib/sink.h"
#include "commands.h"
#include "rawzone.h"

extern const cli_cmd cmd_verify;

typedef struct obj {
    char *key;
    uint64_t size;
} obj;

typedef struct objlist {
    obj *v;
    size_t n, cap;
} objlist;

static int collect(const char *key, const ecl_obj_info *info, void *ctx)
{
    objlist *l = ctx;
    if (ecl_array_grow((void **)&l->v, &l->cap, l->n, sizeof *l->v))
        return 1;
    if (!(l->v[l->n].key = strdup(key)))
        return 1;
    l->v[l->n++].size = info->size;
    return 0;
}

typedef enum { P_OK, P_MISSING, P_PARTIAL, P_ORPHANED, P_CORRUPT, P_NKINDS } pkind;
static const char *const kind_names[P_NKINDS] = {"ok", "missing", "partial", "orphaned", "corrupt"};

typedef struct problem {
    pkind kind;
    char *partition;
    char *reason;
} problem;

typedef struct vstate {
    ecl_sink *sink;
    bool deep, json, range;
    int32_t start, end;
    uint64_t counts[P_NKINDS];
    uint64_t files, rows, bytes, staging;
    problem *probs;
    size_t nprobs, capprobs;
    /* per table: days seen (for gap detection) */
    struct tday {
        char table[64];
        char key[64];
        int32_t *days;
        size_t n, cap;
    } *tables;
    size_t ntables;
} vstate;

static void add_problem(vstate *v, pkind k, const char *partition, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_problem(vstate *v, pkind k, const char *partition, const char *fmt, ...)
{
    v->counts[k]++;
    if (k == P_OK)
        return;
    if (v->nprobs == v->capprobs) {
        size_t cap = v->capprobs ? v->capprobs * 2 : 64;
        problem *p = realloc(v->probs, cap * sizeof *p);
        if (!p)
            return;
        v->probs = p;
        v->capprobs = cap;
    }
    char reason[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    v->probs[v->nprobs++] = (problem){k, strdup(partition), strdup(reason)};
}

static void note_day(vstate *v, const char *table, const char *key, int32_t day)
{
    struct tday *t = NULL;
    for (size_t i = 0; i < v->ntables; i++)
        if (strcmp(v->tables[i].table, table) == 0 && strcmp(v->tables[i].key, key) == 0)
            t = &v->tables[i];
    if (!t) {
        struct tday *nt = realloc(v->tables, (v->ntables + 1) * sizeof *nt);
        if (!nt)
            return;
        v->tables = nt;
        t = &nt[v->ntables++];
        memset(t, 0, sizeof *t);
        snprintf(t->table, sizeof t->table, "%s", table);
        snprintf(t->key, sizeof t->key, "%s", key);
    }
    if (ecl_array_grow((void **)&t->days, &t->cap, t->n, sizeof *t->days))
        return;
    t->days[t->n++] = day;
}

/* The event-time range of a partition's rows, in µs (dates at midnight), gathered over its files. */
typedef struct evrange {
    bool any;
    int64_t min, max;
} evrange;

static void type_text(const ecl_field *f, char out[32])
{
    if (f->type == ECL_T_DECIMAL)
        snprintf(out, 32, "decimal(%d,%d)", f->precision, f->scale);
    else
        snprintf(out, 32, "%s", ecl_type_name(f->type));
}

/* Lineage and event time of the rows [0, n) of one row group against the manifest. */
static int check_rows(const ecl_manifest *m, const ecl_manifest_file *f, const ecl_batch *b, size_t n, evrange *ev,
                      char *why, size_t whylen)
{
    const ecl_schema *s = b->schema;
    int bcol = ecl_schema_find(s, "batch_id"), scol = ecl_schema_find(s, "source_file");
    int icol = ecl_schema_find(s, "ingestion_ts");
    int ecol = m->event_time_column ? ecl_schema_find(s, m->event_time_column) : -1;
    int64_t ingest = 0;
    bool have_ingest = m->ingestion_ts && icol >= 0 && b->cols[icol].type == ECL_T_TIMESTAMP &&
                       ecl_parse_timestamp(m->ingestion_ts, strlen(m->ingestion_ts), &ingest) == 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        const char *bv;
        if (bcol >= 0) {
            bv = ecl_col_is_null(&b->cols[bcol], i) ? "" : ecl_col_str(&b->cols[bcol], i, &len);
            if (ecl_col_is_null(&b->cols[bcol], i) || len != strlen(m->batch_id) || memcmp(bv, m->batch_id, len) != 0) {
                snprintf(why, whylen, "row %zu has batch_id '%.*s', the manifest says '%s'", i,
                         (int)(ecl_col_is_null(&b->cols[bcol], i) ? 0 : len), bv, m->batch_id);
                return -1;
            }
        }
        if (scol >= 0 && b->cols[scol].type == ECL_T_STRING) {
            bv = ecl_col_is_null(&b->cols[scol], i) ? "" : ecl_col_str(&b->cols[scol], i, &len);
            if (ecl_col_is_null(&b->cols[scol], i) || len != strlen(f->path) || memcmp(bv, f->path, len) != 0) {
                snprintf(why, whylen, "row %zu has source_file '%.*s', but it lives in '%s'", i,
                         (int)(ecl_col_is_null(&b->cols[scol], i) ? 0 : len), bv, f->path);
                return -1;
            }
        }
        if (have_ingest && (ecl_col_is_null(&b->cols[icol], i) || ecl_col_i64(&b->cols[icol], i) != ingest)) {
            snprintf(why, whylen, "row %zu has another ingestion_ts than the manifest's %s", i, m->ingestion_ts);
            return -1;
        }
        if (ecol >= 0 && !ecl_col_is_null(&b->cols[ecol], i) &&
            (b->cols[ecol].type == ECL_T_TIMESTAMP || b->cols[ecol].type == ECL_T_DATE)) {
            int64_t t = b->cols[ecol].type == ECL_T_DATE ? (int64_t)ecl_col_i32(&b->cols[ecol], i) * 86400000000LL
                                                         : ecl_col_i64(&b->cols[ecol], i);
            if (!ev->any || t < ev->min)
                ev->min = t;
            if (!ev->any || t > ev->max)
                ev->max = t;
            ev->any = true;
        }
    }
    return 0;
}

/* After every file of a partition: the manifest's event-time range must be the data's. */
static int check_event_range(const ecl_manifest *m, const evrange *ev, char *why, size_t whylen)
{
    if (!m->event_time_column)
        return 0;
    const char *names[2] = {"min_event_time", "max_event_time"};
    const char *texts[2] = {m->min_event_time, m->max_event_time};
    for (int k = 0; k < 2; k++) {
        int64_t want = k ? ev->max : ev->min, got;
        if (!texts[k] && !ev->any)
            continue;
        char have[40];
        if (ev->any)
            ecl_iso_utc(want, true, have);
        if (!texts[k] || !ev->any || ecl_parse_timestamp(texts[k], strlen(texts[k]), &got) != 0 || got != want) {
            snprintf(why, whylen, "the manifest's %s is %s, the data's is %s", names[k], texts[k] ? texts[k] : "null",
                     ev->any ? have : "null (no values)");
            return -1;
        }
    }
    return 0;
}

/* --deep: read the file back and check rows, schema, lineage and statistics. */
static int deep_check(vstate *v, const ecl_manifest *m, const ecl_manifest_file *f, const ecl_buf *data,
                      evrange *ev, char *why, size_t whylen)
{
    ecl_pq_reader *r = NULL;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_pq_reader_open_mem(&r, data->data, data->len, &e)) {
        snprintf(why, whylen, "unreadable parquet: %s", e.msg);
        return -1;
    }
    int bad = 0;
    const ecl_schema *s = ecl_pq_reader_schema(r);
    if ((uint64_t)ecl_pq_reader_num_rows(r) != f->rows) {
        snprintf(why, whylen, "%lld rows in the file, %llu in the manifest", (long long)ecl_pq_reader_num_rows(r),
                 (unsigned long long)f->rows);
        bad = -1;
    }
    if (!bad && m->nschema && m->nschema != s->nfields) {
        snprintf(why, whylen, "%zu columns in the file, %zu in the manifest", s->nfields, m->nschema);
        bad = -1;
    }
    for (size_t i = 0; !bad && m->nschema && i < s->nfields; i++) {
        char type[32];
        type_text(&s->fields[i], type);
        if (strcmp(s->fields[i].name, m->schema[i].name) != 0) {
            snprintf(why, whylen, "column %zu is '%s' in the file, '%s' in the manifest", i, s->fields[i].name,
                     m->schema[i].name);
            bad = -1;
        } else if (m->schema[i].type && strcmp(type, m->schema[i].type) != 0) {
            snprintf(why, whylen, "column '%s' is %s in the file, %s in the manifest", s->fields[i].name, type,
                     m->schema[i].type);
            bad = -1;
        }
    }
    bool ours = ecl_pq_written_by_us(r);
    uint64_t seen = 0;
    for (size_t rg = 0; !bad && rg < ecl_pq_reader_num_row_groups(r); rg++) {
        ecl_batch b;
        if (ecl_batch_init(&b, s)) {
            bad = -1;
            snprintf(why, whylen, "out of memory");
            break;
        }
        if (ecl_pq_reader_read_row_group(r, rg, &b, &e)) {
            snprintf(why, whylen, "row group %zu: %s", rg, e.msg);
            bad = -1;
        }
        size_t n = bad ? 0 : b.cols[0].len;
        seen += n;
        for (size_t c = 0; !bad && c < s->nfields; c++) {
            char w[800];
            if (ecl_pq_check_stats(r, rg, c, &b.cols[c], n, ours, w, sizeof w)) {
                snprintf(why, whylen, "row group %zu column '%s' %s", rg, s->fields[c].name, w);
                bad = -1;
            }
        }
        if (!bad && check_rows(m, f, &b, n, ev, why, whylen))
            bad = -1;
        ecl_batch_release(&b);
    }
    if (!bad && seen != f->rows) {
        snprintf(why, whylen, "%llu rows read, %llu in the manifest", (unsigned long long)seen,
                 (unsigned long long)f->rows);
        bad = -1;
    }
    (void)v;
    ecl_pq_reader_free(r);
    return bad;
}

/* Checks one partition directory given its sorted objects [a, b). */
static int check_partition(vstate *v, const char *dir, const obj *objs, size_t a, size_t b, ecl_err *e)
{
    bool success = false, manifest = false;
    for (size_t i = a; i < b; i++) {
        const char *base = objs[i].key + strlen(dir) + 1;
        success |= strcmp(base, ECL_SUCCESS_NAME) == 0;
        manifest |= strcmp(base, ECL_MANIFEST_NAME) == 0;
    }
    if (!success) {
        add_problem(v, P_PARTIAL, dir, "no %s (%zu object%s, %s)", ECL_SUCCESS_NAME, b - a, b - a == 1 ? "" : "s",
                    manifest ? "manifest present" : "no manifest");
        return 0;
    }
    if (!manifest) {
        add_problem(v, P_CORRUPT, dir, "%s without %s", ECL_SUCCESS_NAME, ECL_MANIFEST_NAME);
        return 0;
    }
    char key[1400];
    snprintf(key, sizeof key, "%s/%s", dir, ECL_MANIFEST_NAME);
    ecl_buf mb = ECL_BUF_INIT;
    ecl_err le = ECL_ERR_INIT;
    int rc = v->sink->ops->get(v->sink, key, &mb, &le);
    if (rc) {
        if (rc == ECL_ETRANSIENT || rc == ECL_EAUTH || rc == ECL_EPERM) {
            *e = le;
            ecl_buf_release(&mb);
            return rc;
        }
        add_problem(v, P_CORRUPT, dir, "cannot read the manifest: %s", le.msg);
        ecl_buf_release(&mb);
        return 0;
    }
    ecl_manifest m;
    if (ecl_manifest_parse(&m, key, mb.data, mb.len, &le)) {
        add_problem(v, P_CORRUPT, dir, "%s", le.msg);
        ecl_buf_release(&mb);
        return 0;
    }
    ecl_buf_release(&mb);
    char expect_dir[1400];
    snprintf(expect_dir, sizeof expect_dir, "%s/%s", m.table, m.partition);
    bool bad = false;
    evrange ev = {0};
    if (strcmp(expect_dir, dir) != 0) {
        add_problem(v, P_CORRUPT, dir, "the manifest describes '%s'", expect_dir);
        bad = true;
    }
    for (size_t f = 0; !bad && f < m.nfiles; f++) {
        const ecl_manifest_file *mf = &m.files[f];
        const obj *o = NULL;
        for (size_t i = a; i < b; i++)
            if (strcmp(objs[i].key, mf->path) == 0)
                o = &objs[i];
        if (!o) {
            add_problem(v, P_CORRUPT, dir, "'%s' is listed in the manifest but missing", mf->path);
            bad = true;
            break;
        }
        if (o->size != mf->bytes) {
            add_problem(v, P_CORRUPT, dir, "'%s' has %llu bytes, the manifest says %llu", mf->path,
                        (unsigned long long)o->size, (unsigned long long)mf->bytes);
            bad = true;
            break;
        }
        char sha[65] = "";
        ecl_buf data = ECL_BUF_INIT;
        {
            ecl_obj_info info;
            le = (ecl_err)ECL_ERR_INIT;
            rc = v->sink->ops->head(v->sink, mf->path, &info, &le);
            if (!rc)
                snprintf(sha, sizeof sha, "%s", info.sha256_hex);
            if (!rc && (v->deep || !sha[0])) {
                rc = v->sink->ops->get(v->sink, mf->path, &data, &le);
                if (!rc) {
                    uint8_t d[32];
                    ecl_sha256(data.data, data.len, d);
                    ecl_hex(d, 32, sha);
                }
            }
            if (rc) {
                ecl_buf_release(&data);
                if (rc == ECL_ETRANSIENT || rc == ECL_EAUTH || rc == ECL_EPERM) {
                    *e = le;
                    ecl_manifest_release(&m);
                    return rc;
                }
                add_problem(v, P_CORRUPT, dir, "cannot read '%s': %s", mf->path, le.msg);
                bad = true;
                break;
            }
        }
        if (strcmp(sha, mf->sha256) != 0) {
            add_problem(v, P_CORRUPT, dir, "'%s' sha256 %s, the manifest says %s", mf->path, sha, mf->sha256);
            bad = true;
        } else if (v->deep) {
            char why[1024];
            if (deep_check(v, &m, mf, &data, &ev, why, sizeof why)) {
                add_problem(v, P_CORRUPT, dir, "'%s': %s", mf->path, why);
                bad = true;
            }
        }
        ecl_buf_release(&data);
    }
    if (!bad && v->deep) {
        char why[600];
        if (check_event_range(&m, &ev, why, sizeof why)) {
            add_problem(v, P_CORRUPT, dir, "%s", why);
            bad = true;
        }
    }
    if (!bad) {
        /* Objects the manifest does not list (stale parts of an older version). */
        for (size_t i = a; i < b; i++) {
            const char *base = objs[i].key + strlen(dir) + 1;
            if (strcmp(base, ECL_SUCCESS_NAME) == 0 || strcmp(base, ECL_MANIFEST_NAME) == 0)
                continue;
            bool listed = false;
            for (size_t f = 0; f < m.nfiles; f++)
                listed |= strcmp(m.files[f].path, objs[i].key) == 0;
            if (!listed) {
                add_problem(v, P_ORPHANED, dir, "'%s' is not listed in the manifest", objs[i].key);
                bad = true;
                break;
            }
        }
    }
    if (!bad) {
        add_problem(v, P_OK, dir, "ok");
        v->files += m.nfiles;
        v->rows += m.total_rows;
        v->bytes += m.total_bytes;
    }
    ecl_manifest_release(&m);
    return 0;
}

static int cmp_day(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static void find_missing(vstate *v)
{
    for (size_t i = 0; i < v->ntables; i++) {
        struct tday *t = &v->tables[i];
        if (!t->n)
            continue;
        qsort(t->days, t->n, sizeof *t->days, cmp_day);
        int32_t lo = v->range ? v->start : t->days[0], hi = v->range ? v->end : t->days[t->n - 1];
        size_t j = 0;
        for (int32_t d = lo; d <= hi; d++) {
            while (j < t->n && t->days[j] < d)
                j++;
            if (j < t->n && t->days[j] == d)
                continue;
            char ds[11], dir[200];
            ecl_date_format(d, ds);
            snprintf(dir, sizeof dir, "%s/%s=%s", t->table, t->key, ds);
            add_problem(v, P_MISSING, dir, "no partition");
        }
    }
}

enum { OPT_DEST = 1000, OPT_START, OPT_END, OPT_DEEP, OPT_JSON, OPT_TABLE };

static const struct option longopts[] = {
    {"dest", required_argument, NULL, OPT_DEST},
    {"start-date", required_argument, NULL, OPT_START},
    {"end-date", required_argument, NULL, OPT_END},
    {"deep", no_argument, NULL, OPT_DEEP},
    {"json", no_argument, NULL, OPT_JSON},
    {"table", required_argument, NULL, OPT_TABLE},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool hidden(const char *name) { return name[0] == '.' || name[0] == '_'; }

static int run(int argc, char **argv)
{
    const char *dest = cli_env("DEST");
    const char *only_table = NULL;
    vstate v = {0};
    bool have_start = false, have_end = false;
    int opt;
    while ((opt = cli_getopt(&cmd_verify, argc, argv, "h", longopts)) != -1) {
        switch (opt) {
        case 'h': return EXIT_OK;
        case OPT_DEST: dest = optarg; break;
        case OPT_START:
            if (cli_parse_date(&cmd_verify, "--start-date", optarg, &v.start))
                return EXIT_USAGE;
            have_start = true;
            break;
        case OPT_END:
            if (cli_parse_date(&cmd_verify, "--end-date", optarg, &v.end))
                return EXIT_USAGE;
            have_end = true;
            break;
        case OPT_DEEP: v.deep = true; break;
        case OPT_JSON: v.json = true; break;
        case OPT_TABLE: only_table = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_verify, "unexpected argument '%s'", argv[optind]);
    if (!dest)
        return cli_usage_error(&cmd_verify, "--dest is required (the lake to check)");
    if (have_start != have_end)
        return cli_usage_error(&cmd_verify, "--start-date and --end-date go together");
    if (have_start && v.start > v.end)
        return cli_usage_error(&cmd_verify, "start date must not be after end date");
    v.range = have_start;
    ecl_err e = ECL_ERR_INIT;
    const char *local = ecl_sink_local_dir(dest);
    if (local && access(local, F_OK) != 0) {
        ecl_err_errno(&e, errno, "cannot open lake '%s'", local);
        return cli_fail(&e);
    }
    if (ecl_sink_open(&v.sink, dest, NULL, &e))
        return cli_fail(&e);
    objlist l = {0};
    char prefix[200] = "";
    if (only_table)
        snprintf(prefix, sizeof prefix, "%s/", only_table);
    double t0 = cli_now();
    int rc = v.sink->ops->list(v.sink, prefix, collect, &l, &e);
    /* Walk the sorted listing, one partition directory (<table>/<key>=<value>) at a time. */
    for (size_t i = 0; !rc && i < l.n;) {
        if (ecl_cancelled()) {
            rc = ecl_err_set(&e, ECL_EINTR, "interrupted");
            break;
        }
        const char *k = l.v[i].key;
        const char *s1 = strchr(k, '/');
        const char *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
        if (!s1 || hidden(k)) {
            i++; /* lake-level files: the ledger, the lock */
            continue;
        }
        if (hidden(s1 + 1)) {
            /* staging left by an interrupted run: skip the whole hidden directory */
            size_t dl = s2 ? (size_t)(s2 - k) : strlen(k);
            v.staging++;
            size_t j = i;
            while (j < l.n && strncmp(l.v[j].key, k, dl) == 0 && (l.v[j].key[dl] == '/' || l.v[j].key[dl] == 0))
                j++;
            i = j;
            continue;
        }
        if (!s2 || strchr(s2 + 1, '/')) {
            add_problem(&v, P_ORPHANED, k, "object outside a <table>/<key>=<value>/ partition");
            i++;
            continue;
        }
        char dir[1200], table[200], key[200], value[800];
        size_t dl = (size_t)(s2 - k);
        snprintf(dir, sizeof dir, "%.*s", (int)dl, k);
        snprintf(table, sizeof table, "%.*s", (int)(s1 - k), k);
        const char *eq = memchr(s1 + 1, '=', (size_t)(s2 - s1 - 1));
        size_t j = i;
        while (j < l.n && strncmp(l.v[j].key, dir, dl) == 0 && l.v[j].key[dl] == '/')
            j++;
        if (!eq) {
            add_problem(&v, P_ORPHANED, dir, "directory is not a key=value partition");
            i = j;
            continue;
        }
        snprintf(key, sizeof key, "%.*s", (int)(eq - s1 - 1), s1 + 1);
        snprintf(value, sizeof value, "%.*s", (int)(s2 - eq - 1), eq + 1);
        int32_t day;
        bool dated = ecl_date_parse(value, strlen(value), &day) == 0;
        if (dated)
            note_day(&v, table, key, day);
        if (!v.range || !dated || (day >= v.start && day <= v.end))
            rc = check_partition(&v, dir, l.v, i, j, &e);
        i = j;
    }
    if (!rc)
        find_missing(&v);
    double secs = cli_now() - t0;
    uint64_t problems = 0;
    for (int k = 1; k < P_NKINDS; k++)
        problems += v.counts[k];
    if (!rc) {
        if (v.json) {
            printf("{\"dest\":");
            rz_json_str(stdout, dest);
            printf(",\"deep\":%s,\"partitions\":%llu,\"files\":%llu,\"rows\":%llu,\"bytes\":%llu,"
                   "\"staging_dirs\":%llu,\"seconds\":%.3f,\"ok\":%s",
                   v.deep ? "true" : "false", (unsigned long long)(v.counts[P_OK] + problems - v.counts[P_MISSING]),
                   (unsigned long long)v.files, (unsigned long long)v.rows, (unsigned long long)v.bytes,
                   (unsigned long long)v.staging, secs, problems ? "false" : "true");
            for (int k = 0; k < P_NKINDS; k++)
                printf(",\"%s_count\":%llu", kind_names[k], (unsigned long long)v.counts[k]);
            printf(",\"problems\":[");
            for (size_t i = 0; i < v.nprobs; i++) {
                printf("%s{\"kind\":\"%s\",\"partition\":", i ? "," : "", kind_names[v.probs[i].kind]);
                rz_json_str(stdout, v.probs[i].partition);
                printf(",\"reason\":");
                rz_json_str(stdout, v.probs[i].reason);
                printf("}");
            }
            printf("]}\n");
        } else {
            for (size_t i = 0; i < v.nprobs; i++)
                printf("%-8s %s: %s\n", kind_names[v.probs[i].kind], v.probs[i].partition, v.probs[i].reason);
            char rows[32], bytes[32];
            cli_fmt_count((double)v.rows, rows);
            cli_fmt_bytes((double)v.bytes, bytes);
            printf("%s: %llu ok partitions (%llu files, %s rows, %s), %llu missing, %llu partial, %llu orphaned, "
                   "%llu corrupt%s%s\n",
                   problems ? "MISMATCH" : "ok", (unsigned long long)v.counts[P_OK], (unsigned long long)v.files,
                   rows, bytes, (unsigned long long)v.counts[P_MISSING], (unsigned long long)v.counts[P_PARTIAL],
                   (unsigned long long)v.counts[P_ORPHANED], (unsigned long long)v.counts[P_CORRUPT],
                   v.deep ? " (deep)" : "", "");
            if (v.staging)
                printf("note: %llu hidden staging director%s from an interrupted run (removed by the next backfill)\n",
                       (unsigned long long)v.staging, v.staging == 1 ? "y" : "ies");
        }
    }
    for (size_t i = 0; i < l.n; i++)
        free(l.v[i].key);
    free(l.v);
    for (size_t i = 0; i < v.nprobs; i++) {
        free(v.probs[i].partition);
        free(v.probs[i].reason);
    }
    free(v.probs);
    for (size_t i = 0; i < v.ntables; i++)
        free(v.tables[i].days);
    free(v.tables);
    ecl_sink_free(v.sink);
    if (rc)
        return cli_fail(&e);
    return problems ? EXIT_MISMATCH : EXIT_OK;
}

const cli_cmd cmd_verify = {
    "verify",
    "check a lake's partitions against their manifests (sizes, SHA-256, --deep reads)",
    "usage: ecomlake verify --dest DIR|URL [--start-date D --end-date D] [--table T] [--deep] [--json]\n"
    "\n"
    "Checks every partition: _SUCCESS present, a manifest that parses, every listed file present\n"
    "with its size and SHA-256, and no unlisted files. Reports missing (days without a partition\n"
    "inside the range, or gaps), partial (no _SUCCESS), orphaned (unlisted files) and corrupt\n"
    "partitions. Works on local lakes and on s3:// and gs:// destinations.\n"
    "\n"
    "Options:\n"
    "  --dest DIR|URL     the lake root (default $ECOMLAKE_DEST)\n"
    "  --start-date D     only partitions from D (with --end-date); days without a partition\n"
    "  --end-date D       in the range are reported missing\n"
    "  --table T          only this table\n"
    "  --deep             also read every file with the Parquet reader: rows, schema, statistics\n"
    "  --json             one JSON object on stdout\n"
    "\n"
    "Exit codes: 0 all ok, 4 any problem, 1 the lake could not be read.\n"
    "\n"
    "Examples:\n"
    "  ecomlake verify --dest ./lake\n"
    "  ecomlake verify --dest s3://bucket/ecom/raw --start-date 2024-10-01 --end-date 2024-12-31 --deep\n",
    run,
};
