/* ecomlake upload-raw - publish complete local partitions to S3 or GCS: data files, then the
 * manifest, then _SUCCESS; unchanged objects skipped after one listing; every object verified. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../lib/cancel.h"
#include "../lib/column.h"
#include "../lib/hash.h"
#include "../lib/io.h"
#include "../lib/log.h"
#include "../lib/manifest.h"
#include "../lib/remote.h"
#include "../lib/sink.h"
#include "commands.h"

extern const cli_cmd cmd_upload_raw;

typedef struct lfile {
    char *name;
    char *path;
    uint64_t size;
    char sha256[65]; /* from the local _MANIFEST.json, "" when it does not list the file */
} lfile;

typedef struct unit {
    char *table;
    char *part; /* "ingest_dt=2024-01-04" */
    char *dir;
    lfile *files; /* data files sorted, then _MANIFEST.json, then _SUCCESS */
    int nfiles;
    uint64_t bytes;
    const char *problem; /* "missing" / "incomplete" before any upload */
    ecl_err err;
    int uploaded, skipped, deleted;
    uint64_t bytes_sent;
    bool fast; /* found committed from the listing and the manifests alone */
} unit;

typedef struct rentry {
    char *key;
    ecl_obj_info info;
} rentry;

typedef struct run {
    ecl_sink *sink;
    unit *units;
    int nunits;
    rentry *remote;
    size_t nremote, capremote;
    _Atomic int next;
    _Atomic bool fatal;
    pthread_mutex_t mu;
    ecl_err fatal_err;
    cli_progress *prog;
    bool keep_stale;
} run;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_rentry(const void *a, const void *b) { return strcmp(((const rentry *)a)->key, ((const rentry *)b)->key); }

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    if (!s) {
        fputs("error: out of memory\n", stderr);
        exit(EXIT_FAILURE_);
    }
    return s;
}

static bool is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Sorted names of the entries of dir that pass keep(); dirs_only selects subdirectories. */
static char **list_dir(const char *dir, bool dirs_only, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *p = xasprintf("%s/%s", dir, de->d_name);
        struct stat st;
        bool ok = stat(p, &st) == 0 && (dirs_only ? S_ISDIR(st.st_mode) : S_ISREG(st.st_mode));
        free(p);
        if (!ok)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            char **t = realloc(v, (size_t)cap * sizeof *t);
            if (!t)
                break;
            v = t;
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (*n)
        qsort(v, (size_t)*n, sizeof *v, cmp_str);
    return v;
}

static void free_strs(char **v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static void add_unit(unit **u, int *n, int *cap, const char *src, const char *table, const char *part)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 32;
        *u = realloc(*u, (size_t)*cap * sizeof **u);
        if (!*u) {
            fputs("error: out of memory\n", stderr);
            exit(EXIT_FAILURE_);
        }
    }
    unit *x = &(*u)[(*n)++];
    memset(x, 0, sizeof *x);
    x->table = strdup(table);
    x->part = strdup(part);
    x->dir = xasprintf("%s/%s/%s", src, table, part);
    if (!is_dir(x->dir)) {
        x->problem = "missing";
        return;
    }
    int nf = 0;
    char **names = list_dir(x->dir, false, &nf);
    bool has_success = false, has_manifest = false;
    x->files = calloc((size_t)nf + 1, sizeof *x->files);
    for (int i = 0; i < nf; i++) {
        if (!strcmp(names[i], "_SUCCESS")) {
            has_success = true;
            continue;
        }
        if (!strcmp(names[i], "_MANIFEST.json")) {
            has_manifest = true;
            continue;
        }
        if (strstr(names[i], ".tmp"))
            continue; /* a writer's temp file, never part of a partition */
        lfile *f = &x->files[x->nfiles++];
        f->name = strdup(names[i]);
        f->path = xasprintf("%s/%s", x->dir, names[i]);
    }
    if (has_manifest) {
        lfile *f = &x->files[x->nfiles++];
        f->name = strdup("_MANIFEST.json");
        f->path = xasprintf("%s/_MANIFEST.json", x->dir);
    }
    if (has_success) {
        lfile *f = &x->files[x->nfiles++];
        f->name = strdup("_SUCCESS");
        f->path = xasprintf("%s/_SUCCESS", x->dir);
    } else {
        x->problem = "incomplete";
    }
    for (int i = 0; i < x->nfiles; i++) {
        struct stat st;
        if (stat(x->files[i].path, &st) == 0)
            x->files[i].size = (uint64_t)st.st_size;
        x->bytes += x->files[i].size;
    }
    free_strs(names, nf);
}

static int on_remote(const char *key, const ecl_obj_info *info, void *ctx)
{
    run *r = ctx;
    if (r->nremote == r->capremote) {
        r->capremote = r->capremote ? r->capremote * 2 : 1024;
        rentry *t = realloc(r->remote, r->capremote * sizeof *t);
        if (!t)
            return 1;
        r->remote = t;
    }
    r->remote[r->nremote].key = strdup(key);
    r->remote[r->nremote].info = *info;
    r->nremote++;
    return 0;
}

static const rentry *remote_find(const run *r, const char *key)
{
    rentry k = {(char *)key, {0}};
    return r->nremote ? bsearch(&k, r->remote, r->nremote, sizeof k, cmp_rentry) : NULL;
}

static bool fatal_code(int code)
{
    return code == ECL_EAUTH || code == ECL_EPERM || code == ECL_ECONFIG || code == ECL_ENOMEM ||
           code == ECL_EINTR || (code == ECL_ENOTFOUND);
}

static const rentry *remote_at(const run *r, const char *prefix, const char *name)
{
    char key[4096];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    return remote_find(r, key);
}

/* Index of the first remote entry at or after key. */
static size_t remote_lower(const run *r, const char *key)
{
    rentry k0 = {(char *)key, {0}};
    size_t lo = 0, hi = r->nremote;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cmp_rentry(&r->remote[mid], &k0) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Reads the local manifest: notes each data file's SHA-256 in u->files and tells whether the local
 * partition is exactly what the manifest lists (same names, same sizes). *mf gets the manifest
 * bytes. */
static bool load_manifest(unit *u, const char *prefix, ecl_buf *mf)
{
    lfile *man = NULL;
    for (int i = 0; i < u->nfiles; i++)
        if (!strcmp(u->files[i].name, "_MANIFEST.json"))
            man = &u->files[i];
    ecl_err e = ECL_ERR_INIT;
    if (!man || ecl_read_file(man->path, mf, 64u << 20, &e))
        return false;
    ecl_manifest m;
    ecl_manifest_init(&m);
    bool exact = false;
    if (ecl_manifest_parse(&m, man->path, mf->data, mf->len, &e) == 0) {
        size_t plen = strlen(prefix), listed = 0;
        int ndata = 0;
        exact = true;
        for (int i = 0; i < u->nfiles; i++) {
            lfile *f = &u->files[i];
            if (f == man || !strcmp(f->name, "_SUCCESS"))
                continue;
            ndata++;
            bool found = false;
            for (size_t j = 0; j < m.nfiles && !found; j++) {
                const char *mp = m.files[j].path;
                if (!strncmp(mp, prefix, plen) && !strcmp(mp + plen, f->name)) {
                    found = true;
                    listed++;
                    /* a file of another size than listed fails the check when it is uploaded */
                    snprintf(f->sha256, sizeof f->sha256, "%s", m.files[j].sha256);
                    if (m.files[j].bytes != f->size)
                        exact = false;
                }
            }
            exact = exact && found;
        }
        exact = exact && listed == m.nfiles && (size_t)ndata == m.nfiles;
    } else {
        ecl_log(ECL_LOG_DEBUG, man->path, "cannot read the manifest: %s", e.msg);
    }
    ecl_manifest_release(&m);
    return exact;
}

/* Is the partition already committed remotely with exactly the local bytes, judged from the listing
 * alone? The remote _MANIFEST.json must be byte-identical to the local one (size and MD5 or SHA-256
 * from the listing: a few KiB hashed locally), _SUCCESS present, every file the manifest lists present
 * with its size (and its SHA-256 when the listing carries it) and written before _SUCCESS, nothing
 * else under the partition. The committed manifest vouches for the data files' contents: every one
 * of them was checked against it before _SUCCESS was written. */
static bool committed_as_local(const run *r, const unit *u, const char *prefix, const ecl_buf *mf)
{
    const rentry *rm = remote_at(r, prefix, "_MANIFEST.json"), *rs = remote_at(r, prefix, "_SUCCESS");
    if (!rm || !rs || rm->info.size != mf->len)
        return false;
    uint8_t dg[32];
    char hex[65];
    if (rm->info.sha256_hex[0]) {
        ecl_sha256(mf->data, mf->len, dg);
        ecl_hex(dg, 32, hex);
        if (strcasecmp(hex, rm->info.sha256_hex))
            return false;
    } else {
        const char *md5 = ecl_obj_md5(&rm->info);
        if (!md5)
            return false;
        ecl_md5(mf->data, mf->len, dg);
        ecl_hex(dg, 16, hex);
        if (strcasecmp(hex, md5))
            return false;
    }
    for (int i = 0; i < u->nfiles; i++) {
        const lfile *f = &u->files[i];
        const rentry *re = remote_at(r, prefix, f->name);
        if (!re || re->info.size != f->size)
            return false;
        if (re == rm || re == rs)
            continue;
        if (re->info.sha256_hex[0] && strcasecmp(re->info.sha256_hex, f->sha256))
            return false;
        /* replaced after the commit (by something else than us: we withdraw _SUCCESS first) */
        if (re->info.modified[0] && rs->info.modified[0] && strcmp(re->info.modified, rs->info.modified) > 0)
            return false;
    }
    size_t plen = strlen(prefix), n = 0;
    for (size_t i = remote_lower(r, prefix); i < r->nremote && !strncmp(r->remote[i].key, prefix, plen); i++)
        n++;
    return n == (size_t)u->nfiles;
}

/* Marks the partitions already committed as they are locally; returns how many need work. */
static int plan_units(run *r)
{
    int work = 0;
    for (int i = 0; i < r->nunits; i++) {
        unit *u = &r->units[i];
        if (u->problem)
            continue;
        char prefix[2048];
        snprintf(prefix, sizeof prefix, "%s/%s/", u->table, u->part);
        ecl_buf mf = ECL_BUF_INIT;
        u->fast = load_manifest(u, prefix, &mf) && committed_as_local(r, u, prefix, &mf);
        ecl_buf_release(&mf);
        work += !u->fast;
    }
    return work;
}

static int publish_unit(run *r, unit *u, ecl_err *e)
{
    char prefix[2048];
    snprintf(prefix, sizeof prefix, "%s/%s/", u->table, u->part);
    if (u->fast) {
        u->skipped = u->nfiles;
        cli_progress_add(r->prog, (uint64_t)u->nfiles, 0, u->bytes);
        return 0;
    }
    ecl_local_digest *d = calloc((size_t)u->nfiles, sizeof *d);
    bool *need = calloc((size_t)u->nfiles, sizeof *need);
    if (!d || !need) {
        free(d);
        free(need);
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    }
    int rc = 0, changed = 0;
    for (int i = 0; !rc && i < u->nfiles; i++) {
        const rentry *re = remote_at(r, prefix, u->files[i].name);
        /* Hash only what may already be there: an absent object or one of another size is uploaded,
         * and hashed while it is sent. */
        if (re && re->info.size == u->files[i].size) {
            rc = ecl_sink_digest(r->sink, u->files[i].path, NULL, 0, &d[i], e);
            if (rc)
                break;
            need[i] = !ecl_sink_matches(&re->info, &d[i]);
        } else {
            need[i] = true;
        }
        if (need[i] && strcmp(u->files[i].name, "_SUCCESS"))
            changed++;
    }
    /* Objects under the partition that the local partition does not have: stale parts of an earlier,
     * larger export. They go before the new _SUCCESS so readers never see them as committed. */
    size_t plen = strlen(prefix);
    size_t lo = remote_lower(r, prefix);
    size_t stale_from = lo;
    int nstale = 0;
    for (size_t i = lo; i < r->nremote && !strncmp(r->remote[i].key, prefix, plen); i++) {
        const char *nm = r->remote[i].key + plen;
        bool local = false;
        for (int j = 0; j < u->nfiles && !local; j++)
            local = !strcmp(nm, u->files[j].name);
        if (!local)
            nstale++;
    }
    if (!rc && (changed || nstale)) {
        char key[4096];
        snprintf(key, sizeof key, "%s_SUCCESS", prefix);
        if (remote_find(r, key)) {
            /* the partition is about to change: withdraw its commit marker first */
            ecl_log(ECL_LOG_INFO, key, "partition changes: removing the old _SUCCESS first");
            rc = r->sink->ops->del(r->sink, key, e);
            for (int i = 0; i < u->nfiles; i++)
                if (!strcmp(u->files[i].name, "_SUCCESS"))
                    need[i] = true;
        }
    }
    for (int i = 0; !rc && i < u->nfiles; i++) {
        bool is_success = !strcmp(u->files[i].name, "_SUCCESS");
        if (is_success && nstale && !r->keep_stale) {
            for (size_t s = stale_from; !rc && s < r->nremote && !strncmp(r->remote[s].key, prefix, plen); s++) {
                const char *nm = r->remote[s].key + plen;
                bool local = false;
                for (int j = 0; j < u->nfiles && !local; j++)
                    local = !strcmp(nm, u->files[j].name);
                if (!local) {
                    rc = r->sink->ops->del(r->sink, r->remote[s].key, e);
                    if (!rc) {
                        u->deleted++;
                        ecl_log(ECL_LOG_INFO, r->remote[s].key, "deleted stale object");
                    }
                }
            }
        }
        if (rc)
            break;
        if (!need[i]) {
            u->skipped++;
            cli_progress_add(r->prog, 1, 0, u->files[i].size);
            continue;
        }
        if (ecl_cancelled()) {
            rc = ecl_err_set(e, ECL_EINTR, "interrupted");
            break;
        }
        char key[4096];
        snprintf(key, sizeof key, "%s%s", prefix, u->files[i].name);
        /* data files carry their manifest's SHA-256, checked against the bytes as they are sent */
        const char *sha = u->files[i].sha256[0] ? u->files[i].sha256 : d[i].sha256_hex[0] ? d[i].sha256_hex : NULL;
        ecl_put_opts po = {sha,
                           !strcmp(u->files[i].name, "_MANIFEST.json") ? "application/json"
                           : strstr(u->files[i].name, ".parquet")    ? "application/vnd.apache.parquet"
                                                                     : "application/octet-stream",
                           false};
        ecl_put_result res;
        rc = r->sink->ops->put_file(r->sink, u->files[i].path, key, &po, &res, e);
        if (!rc) {
            u->uploaded++;
            u->bytes_sent += res.bytes_sent;
            cli_progress_add(r->prog, 1, 0, u->files[i].size);
            ecl_log(ECL_LOG_DEBUG, key, "uploaded %llu bytes%s", (unsigned long long)res.bytes_sent,
                    res.retries ? " after retries" : "");
        }
    }
    free(d);
    free(need);
    return rc;
}

/* Up to this many partitions are listed one by one; more share one listing of their common prefix
 * (which pages through every key under it). */
enum { LIST_EACH_MAX = 2 };

static int list_remote(run *r, ecl_err *e)
{
    int n = 0;
    for (int i = 0; i < r->nunits; i++)
        n += !r->units[i].problem;
    char p[2048];
    if (n <= LIST_EACH_MAX) {
        for (int i = 0; i < r->nunits; i++) {
            if (r->units[i].problem)
                continue;
            snprintf(p, sizeof p, "%s/%s/", r->units[i].table, r->units[i].part);
            int rc = r->sink->ops->list(r->sink, p, on_remote, r, e);
            if (rc)
                return rc;
        }
        return 0;
    }
    size_t common = SIZE_MAX;
    char first[2048] = "";
    for (int i = 0; i < r->nunits; i++) {
        if (r->units[i].problem)
            continue;
        snprintf(p, sizeof p, "%s/%s/", r->units[i].table, r->units[i].part);
        if (common == SIZE_MAX) {
            snprintf(first, sizeof first, "%s", p);
            common = strlen(first);
        }
        size_t k = 0;
        while (k < common && p[k] == first[k])
            k++;
        common = k;
    }
    first[common == SIZE_MAX ? 0 : common] = 0;
    return r->sink->ops->list(r->sink, first, on_remote, r, e);
}

static void *worker(void *arg)
{
    run *r = arg;
    for (;;) {
        if (r->fatal || ecl_cancelled())
            break;
        int i = r->next++;
        if (i >= r->nunits)
            break;
        unit *u = &r->units[i];
        if (u->problem)
            continue;
        int rc = publish_unit(r, u, &u->err);
        if (rc) {
            ecl_log(ECL_LOG_ERROR, u->dir, "partition not published: %s", u->err.msg);
            if (fatal_code(rc)) {
                pthread_mutex_lock(&r->mu);
                ecl_err_set(&r->fatal_err, u->err.code, "%s", u->err.msg);
                pthread_mutex_unlock(&r->mu);
                r->fatal = true;
            }
        }
    }
    return NULL;
}

static const struct option longopts[] = {
    {"source", required_argument, NULL, 's'},       {"dest", required_argument, NULL, 'd'},
    {"bucket", required_argument, NULL, 'b'},       {"prefix", required_argument, NULL, 'p'},
    {"ingest-date", required_argument, NULL, 'i'},  {"start-date", required_argument, NULL, 'S'},
    {"end-date", required_argument, NULL, 'E'},     {"table", required_argument, NULL, 't'},
    {"dimensions", no_argument, NULL, 'D'},         {"jobs", required_argument, NULL, 'j'},
    {"dry-run", no_argument, NULL, 'n'},            {"no-dry-run", no_argument, NULL, 'N'},
    {"json", no_argument, NULL, 'J'},               {"endpoint-url", required_argument, NULL, 'e'},
    {"region", required_argument, NULL, 'r'},       {"profile", required_argument, NULL, 'P'},
    {"path-style", no_argument, NULL, 'y'},         {"keep-stale", no_argument, NULL, 'k'},
    {"stale-upload-hours", required_argument, NULL, 'H'},
    {"help", no_argument, NULL, 'h'},               {NULL, 0, NULL, 0},
};

static json_t *unit_json(const unit *u)
{
    return json_pack("{s:s,s:s,s:s,s:s?,s:i,s:i,s:i}", "table", u->table, "partition", u->part, "state",
                     u->problem ? u->problem : u->err.code ? "failed" : "published", "error",
                     u->err.code ? u->err.msg : NULL, "uploaded", u->uploaded, "skipped", u->skipped, "deleted",
                     u->deleted);
}

static int run_cmd(int argc, char **argv)
{
    const char *source = "output/raw", *dest = NULL, *bucket = NULL, *prefix = "ecom/raw";
    int32_t d0 = INT32_MIN, d1 = INT32_MIN, ingest = INT32_MIN;
    char **tables = NULL;
    int ntables = 0;
    bool dims = false, dry = false, json = false;
    long jobs = 4;
    double stale_hours = 24;
    ecl_sink_opts so = {0};
    run r;
    memset(&r, 0, sizeof r);
    const char *env_jobs = cli_env("JOBS");
    if (env_jobs && cli_parse_long(&cmd_upload_raw, "ECOMLAKE_JOBS", env_jobs, 1, 256, &jobs))
        return EXIT_USAGE;
    int c;
    while ((c = cli_getopt(&cmd_upload_raw, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case '?': return EXIT_USAGE;
        case 's': source = optarg; break;
        case 'd': dest = optarg; break;
        case 'b': bucket = optarg; break;
        case 'p': prefix = optarg; break;
        case 'i': if (cli_parse_date(&cmd_upload_raw, "--ingest-date", optarg, &ingest)) return EXIT_USAGE; break;
        case 'S': if (cli_parse_date(&cmd_upload_raw, "--start-date", optarg, &d0)) return EXIT_USAGE; break;
        case 'E': if (cli_parse_date(&cmd_upload_raw, "--end-date", optarg, &d1)) return EXIT_USAGE; break;
        case 't':
            tables = realloc(tables, (size_t)(ntables + 1) * sizeof *tables);
            tables[ntables++] = strdup(optarg);
            break;
        case 'D': dims = true; break;
        case 'j': if (cli_parse_long(&cmd_upload_raw, "--jobs", optarg, 1, 256, &jobs)) return EXIT_USAGE; break;
        case 'n': dry = true; break;
        case 'N': dry = false; break;
        case 'J': json = true; break;
        case 'e': so.endpoint_url = optarg; break;
        case 'r': so.region = optarg; break;
        case 'P': so.profile = optarg; break;
        case 'y': so.path_style = true; break;
        case 'k': r.keep_stale = true; break;
        case 'H':
            if (cli_parse_double(&cmd_upload_raw, "--stale-upload-hours", optarg, 0, 1e6, &stale_hours))
                return EXIT_USAGE;
            break;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_upload_raw, "unexpected argument '%s'", argv[optind]);
    /* dates: --start-date[..--end-date] wins over --ingest-date */
    if (d1 != INT32_MIN && d0 == INT32_MIN)
        return cli_usage_error(&cmd_upload_raw, "--end-date needs --start-date");
    if (d0 == INT32_MIN && ingest != INT32_MIN)
        d0 = d1 = ingest;
    else if (d0 != INT32_MIN && d1 == INT32_MIN)
        d1 = d0;
    if (d0 != INT32_MIN && d1 < d0)
        return cli_usage_error(&cmd_upload_raw, "--end-date is before --start-date");
    if (d0 == INT32_MIN && !dims)
        return cli_usage_error(&cmd_upload_raw, "give --ingest-date, --start-date[/--end-date] or --dimensions");
    if (d0 != INT32_MIN && d1 - d0 > 100000)
        return cli_usage_error(&cmd_upload_raw, "date range too long");
    char *dest_owned = NULL;
    if (!dest) {
        if (!bucket)
            return cli_usage_error(&cmd_upload_raw, "give --dest URL or --bucket NAME");
        if (strstr(bucket, "://"))
            return cli_usage_error(&cmd_upload_raw, "--bucket takes a bare name; use --dest for URLs");
        while (*prefix == '/')
            prefix++;
        size_t pl = strlen(prefix);
        while (pl && prefix[pl - 1] == '/')
            pl--;
        dest = dest_owned = xasprintf("gs://%s%s%.*s", bucket, pl ? "/" : "", (int)pl, prefix);
    } else if (bucket) {
        return cli_usage_error(&cmd_upload_raw, "give either --dest or --bucket/--prefix, not both");
    }
    if (strncmp(dest, "s3://", 5) && strncmp(dest, "gs://", 5))
        return cli_usage_error(&cmd_upload_raw, "--dest '%s': use s3://bucket/prefix or gs://bucket/prefix", dest);
    if (!is_dir(source)) {
        cli_error("source '%s' does not exist or is not a directory", source);
        return EXIT_FAILURE_;
    }
    if (!ntables) {
        tables = list_dir(source, true, &ntables);
        if (!ntables) {
            cli_error("no tables under '%s'", source);
            return EXIT_FAILURE_;
        }
    }
    int cap = 0;
    for (int t = 0; t < ntables; t++) {
        char td[4096];
        snprintf(td, sizeof td, "%s/%s", source, tables[t]);
        /* A table partitioned only by another key (customers/signup_date=..., product_catalog/
         * category=...) is a dimension: its partitions are not per ingest date, so none is missing. */
        int nkeys = 0, ndates = 0;
        char **tparts = list_dir(td, true, &nkeys);
        for (int i = 0; i < nkeys; i++)
            ndates += !strncmp(tparts[i], "ingest_dt=", 10);
        bool dimension = nkeys > 0 && ndates == 0;
        for (int i = 0; i < nkeys; i++)
            dimension = dimension && strchr(tparts[i], '=') != NULL;
        free_strs(tparts, nkeys);
        if (dimension && !dims)
            cli_info("table '%s' has only dimension partitions: add --dimensions to upload them", tables[t]);
        for (int32_t d = d0; d0 != INT32_MIN && !dimension && d <= d1; d++) {
            char ds[11], part[32];
            ecl_date_format(d, ds);
            snprintf(part, sizeof part, "ingest_dt=%s", ds);
            add_unit(&r.units, &r.nunits, &cap, source, tables[t], part);
        }
        if (dims) {
            int np = 0;
            char **parts = list_dir(td, true, &np);
            for (int i = 0; i < np; i++)
                if (strchr(parts[i], '=') && strncmp(parts[i], "ingest_dt=", 10))
                    add_unit(&r.units, &r.nunits, &cap, source, tables[t], parts[i]);
            free_strs(parts, np);
        }
    }
    int nmissing = 0, nincomplete = 0, nfiles = 0;
    uint64_t total = 0;
    for (int i = 0; i < r.nunits; i++) {
        unit *u = &r.units[i];
        if (u->problem && !strcmp(u->problem, "missing")) {
            nmissing++;
            cli_warn("missing partition '%s'", u->dir);
        } else if (u->problem) {
            nincomplete++;
            cli_warn("refusing '%s': no _SUCCESS (the partition is incomplete; re-export it)", u->dir);
        } else {
            nfiles += u->nfiles;
            total += u->bytes;
        }
    }
    int nfail = nmissing + nincomplete;
    int rc = 0;
    ecl_err e = ECL_ERR_INIT;
    double t0 = cli_now();
    if (dry) {
        for (int i = 0; i < r.nunits; i++) {
            unit *u = &r.units[i];
            if (!u->problem && !json)
                printf("[dry-run] would upload %s (%d files, %llu bytes) -> %s/%s/%s/\n", u->dir, u->nfiles,
                       (unsigned long long)u->bytes, dest, u->table, u->part);
        }
    } else {
        so.jobs = (int)jobs;
        rc = !strncmp(dest, "s3://", 5) ? ecl_sink_open_s3(&r.sink, dest, &so, &e)
                                        : ecl_sink_open_gs(&r.sink, dest, &so, &e);
        /* One paginated listing decides what is already there: of the partitions themselves when
         * there are one or two, else of the longest prefix they all share. */
        if (!rc)
            rc = list_remote(&r, &e);
        int work = 0;
        if (!rc) {
            if (r.nremote)
                qsort(r.remote, r.nremote, sizeof *r.remote, cmp_rentry);
            work = plan_units(&r);
        }
        /* Unfinished uploads only matter to a run that uploads: a no-op re-run stays one listing. */
        if (!rc && work && stale_hours > 0) {
            int aborted = 0;
            ecl_err ce = ECL_ERR_INIT;
            if (ecl_sink_cleanup_uploads(r.sink, "", stale_hours * 3600, &aborted, &ce))
                ecl_log(ECL_LOG_WARN, dest, "cleanup of unfinished uploads failed: %s", ce.msg);
            else if (aborted)
                ecl_log(ECL_LOG_INFO, dest, "aborted %d unfinished uploads older than %g h", aborted, stale_hours);
        }
        if (rc) {
            if (rc == ECL_ETRANSIENT)
                ecl_err_prefix(&e, "cannot list %s (endpoint unreachable or failing; nothing was uploaded)", dest);
        } else {
            pthread_mutex_init(&r.mu, NULL);
            r.prog = cli_progress_start("upload", (uint64_t)nfiles, "objects");
            int nt = (int)jobs < r.nunits ? (int)jobs : r.nunits;
            pthread_t th[256];
            int started = 0;
            for (int i = 0; i < nt; i++)
                if (pthread_create(&th[started], NULL, worker, &r) == 0)
                    started++;
            if (!started)
                worker(&r);
            for (int i = 0; i < started; i++)
                pthread_join(th[i], NULL);
            cli_progress_finish(r.prog);
            pthread_mutex_destroy(&r.mu);
            if (r.fatal)
                rc = ecl_err_set(&e, r.fatal_err.code, "%s", r.fatal_err.msg);
        }
    }
    double secs = cli_now() - t0;
    int uploaded = 0, skipped = 0, deleted = 0, published = 0, failed_upload = 0;
    uint64_t sent = 0;
    for (int i = 0; i < r.nunits; i++) {
        unit *u = &r.units[i];
        uploaded += u->uploaded;
        skipped += u->skipped;
        deleted += u->deleted;
        sent += u->bytes_sent;
        if (u->problem)
            continue;
        if (u->err.code)
            failed_upload++;
        else if (!dry && (u->uploaded || u->skipped || u->nfiles == 0))
            published++;
    }
    nfail += failed_upload;
    ecl_sink_stats st = {0};
    if (r.sink)
        ecl_sink_get_stats(r.sink, &st);
    double mbps = secs > 0 ? (double)sent / 1e6 / secs : 0;
    int exit_code = rc ? cli_exit_code(e.code) : nfail || (!dry && published + nfail < r.nunits) ? EXIT_PARTIAL : EXIT_OK;
    if (ecl_cancelled())
        exit_code = EXIT_INTERRUPTED;
    if (json) {
        json_t *o = json_pack("{s:s,s:s,s:b,s:i,s:i,s:i,s:i,s:i,s:I,s:I,s:i,s:i,s:i,s:I,s:f,s:f,s:i}", "command",
                              "upload-raw", "dest", dest, "dry_run", dry, "partitions", r.nunits, "published",
                              published, "missing", nmissing, "incomplete", nincomplete, "failed", failed_upload,
                              "objects_planned", (json_int_t)nfiles, "bytes_planned", (json_int_t)total, "uploaded",
                              uploaded, "skipped", skipped, "deleted", deleted, "bytes_sent", (json_int_t)sent,
                              "seconds", secs, "mb_per_s", mbps, "retries", (int)st.retries);
        json_object_set_new(o, "requests", json_integer(st.requests));
        json_object_set_new(o, "exit_code", json_integer(exit_code));
        if (rc)
            json_object_set_new(o, "error", json_string(e.msg));
        json_t *arr = json_array();
        for (int i = 0; i < r.nunits; i++)
            if (r.units[i].problem || r.units[i].err.code)
                json_array_append_new(arr, unit_json(&r.units[i]));
        json_object_set_new(o, "problems", arr);
        char *s = json_dumps(o, JSON_COMPACT);
        if (s)
            puts(s);
        free(s);
        json_decref(o);
    } else if (dry) {
        char b[32];
        cli_fmt_bytes((double)total, b);
        printf("[dry-run] %d partitions, %d objects, %s would be uploaded to %s; %d missing, %d incomplete\n",
               r.nunits - nmissing - nincomplete, nfiles, b, dest, nmissing, nincomplete);
    } else if (!rc || published || uploaded) {
        char b[32], t[32];
        cli_fmt_bytes((double)sent, b);
        cli_fmt_duration(secs, t);
        printf("uploaded %d objects (%s) to %s in %s (%.1f MB/s); skipped %d unchanged, deleted %d stale, "
               "%ld retries; partitions: %d published, %d missing, %d incomplete, %d failed\n",
               uploaded, b, dest, t, mbps, skipped, deleted, st.retries, published, nmissing, nincomplete,
               failed_upload);
    }
    if (rc) {
        cli_fail(&e);
    } else if (failed_upload) {
        const char *first = "";
        for (int i = 0; i < r.nunits && !first[0]; i++)
            if (r.units[i].err.code)
                first = r.units[i].err.msg;
        cli_error("%d partitions failed to upload (first: %s); re-run the same command to resume", failed_upload,
                  first);
    }
    ecl_sink_free(r.sink);
    for (int i = 0; i < r.nunits; i++) {
        unit *u = &r.units[i];
        for (int k = 0; k < u->nfiles; k++) {
            free(u->files[k].name);
            free(u->files[k].path);
        }
        free(u->files);
        free(u->table);
        free(u->part);
        free(u->dir);
    }
    free(r.units);
    for (size_t i = 0; i < r.nremote; i++)
        free(r.remote[i].key);
    free(r.remote);
    free_strs(tables, ntables);
    free(dest_owned);
    return exit_code;
}

const cli_cmd cmd_upload_raw = {
    "upload-raw",
    "publish complete local partitions to S3 or GCS (verified, resumable, skips unchanged objects)",
    "usage: ecomlake upload-raw --dest s3://BUCKET/PREFIX|gs://BUCKET/PREFIX\n"
    "                           (--ingest-date D | --start-date D [--end-date D] | --dimensions) [options]\n"
    "       ecomlake upload-raw --bucket NAME [--prefix ecom/raw] --ingest-date D   (GCS, as the original)\n"
    "\n"
    "Uploads each complete partition (<source>/<table>/ingest_dt=D/) in order: data files, then\n"
    "_MANIFEST.json, then _SUCCESS. A partition without _SUCCESS is refused, a missing one reported;\n"
    "both make the run end with exit code 3. Objects whose remote copy already has the same bytes are\n"
    "skipped after one listing, so a re-run costs a listing, not a re-upload: a partition whose remote\n"
    "_MANIFEST.json equals the local one, with _SUCCESS and every listed file in place at its size, is\n"
    "skipped without reading its data. Every upload is checked against the manifest's SHA-256 while it\n"
    "is sent and against the store's checksum afterwards. Transient failures are retried with backoff; a run\n"
    "that still fails is resumed by running the same command again.\n"
    "\n"
    "Options:\n"
    "  --source DIR            local lake root (default output/raw)\n"
    "  --dest URL              s3://bucket/prefix or gs://bucket/prefix\n"
    "  --bucket NAME           GCS bucket (with --prefix, default ecom/raw) instead of --dest\n"
    "  --ingest-date D         one ingest date (YYYY-MM-DD)\n"
    "  --start-date D          first date; --end-date D last date (default: the start date)\n"
    "  --table T               only this table (repeatable; default every table directory)\n"
    "  --dimensions            also upload dimension partitions (customers/signup_date=...,\n"
    "                          product_catalog/category=...)\n"
    "  --jobs N                parallel uploads and parts (default 4, ECOMLAKE_JOBS)\n"
    "  --endpoint-url URL      S3 endpoint (MinIO, R2, Ceph, https://storage.googleapis.com);\n"
    "                          default AWS_ENDPOINT_URL, else AWS\n"
    "  --region R              S3 region (default AWS_REGION, AWS_DEFAULT_REGION, profile, us-east-1)\n"
    "  --profile NAME          credentials profile of ~/.aws/credentials (default AWS_PROFILE)\n"
    "  --path-style            path-style S3 addressing (default with --endpoint-url)\n"
    "  --keep-stale            keep remote objects of a partition that the local one no longer has\n"
    "  --stale-upload-hours H  abort our unfinished multipart uploads older than H hours (default 24, 0 = never)\n"
    "  --dry-run               report what would be uploaded, touch nothing\n"
    "  --json                  print the summary as one JSON object\n"
    "\n"
    "Environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_PROFILE,\n"
    "AWS_SHARED_CREDENTIALS_FILE (S3); GOOGLE_APPLICATION_CREDENTIALS, STORAGE_EMULATOR_HOST (GCS);\n"
    "ECOMLAKE_UPLOAD_RETRIES (3), ECOMLAKE_UPLOAD_BACKOFF_BASE (5 s), ECOMLAKE_MULTIPART_THRESHOLD\n"
    "(64M), ECOMLAKE_PART_SIZE (16M), ECOMLAKE_S3_CHECKSUM (md5|crc32c|sha256|off). See\n"
    "docs/object-storage.md.\n"
    "\n"
    "Examples:\n"
    "  ecomlake upload-raw --source lake --dest s3://my-lake/ecom/raw --start-date 2024-01-01 \\\n"
    "      --end-date 2024-01-31 --jobs 8\n"
    "  AWS_ENDPOINT_URL=http://127.0.0.1:9000 ecomlake upload-raw --dest s3://lake/raw --ingest-date 2024-01-04\n"
    "  ecomlake upload-raw --bucket my-gcs-bucket --prefix ecom/raw --ingest-date 2024-01-04 --dry-run\n"
    "\n"
    "Exit codes: 0 all published, 1 failure (credentials, bucket, endpoint), 2 usage,\n"
    "3 some partitions missing, incomplete or failed (re-run to resume), 130 interrupted.\n",
    run_cmd,
};
