/* pqwrite - writes a Parquet file of deterministic random data with our writer and prints, as JSON,
 * the schema, every value written and the expected whole-file statistics, so tests can compare
 * what other readers see with what was written.
 *
 *   pqwrite --out FILE [--seed N] [--rows N] [--codec snappy|zstd|gzip|none] [--nulls P]
 *           [--types t1,t2,...] [--random-schema] [--page-bytes N] [--rg-bytes N] [--dict-max N]
 *           [--no-dict] [--threads N] [--batch N] [--long-strings] [--kv key=value] [--quiet]
 *
 * --nulls P makes every column nullable with null probability P (P=1: all null); 0 = required.
 * --random-schema draws the column count and types from the seed. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/parquet.h"
#include "../../lib/rng.h"
#include "pq_json.h"

static const char *utf8_words[] = {"", "a", "Zürich", "東京", "naïve café", "emoji 😀", "plain",
                                   "x\"quote\\", "tab\there", "ÆØÅ", "Ελληνικά", "żółć"};

typedef struct colgen {
    int mode;        /* 0 = high cardinality, 1 = low cardinality */
    int64_t card;    /* pool size for low cardinality */
} colgen;

static int64_t pow10i(int p)
{
    int64_t v = 1;
    while (p-- > 0)
        v *= 10;
    return v;
}

static void gen_value(ecl_column *c, const ecl_field *f, const colgen *g, ecl_rng *r, uint64_t seed,
                      size_t col, bool long_strings)
{
    uint64_t pick = g->mode ? (uint64_t)ecl_rng_range(r, 0, g->card - 1) : ecl_rng_u64(r);
    /* low-cardinality values come from a pool drawn by their pool index */
    ecl_rng vr = g->mode ? ecl_rng_key(seed, col, pick, 7) : *r;
    ecl_rng *v = g->mode ? &vr : r;
    int edge = (int)ecl_rng_range(v, 0, 40);
    switch (f->type) {
    case ECL_T_BOOL:
        ecl_col_push_bool(c, ecl_rng_u64(v) & 1);
        break;
    case ECL_T_INT32: {
        int32_t x = edge == 0 ? INT32_MIN : edge == 1 ? INT32_MAX : edge == 2 ? 0
                    : (int32_t)ecl_rng_range(v, -100000, 100000);
        ecl_col_push_i32(c, x);
        break;
    }
    case ECL_T_INT64: {
        int64_t x = edge == 0 ? INT64_MIN : edge == 1 ? INT64_MAX : edge == 2 ? -1
                    : (int64_t)ecl_rng_u64(v) >> (ecl_rng_u64(v) % 60);
        ecl_col_push_i64(c, x);
        break;
    }
    case ECL_T_DOUBLE: {
        double x = edge == 0 ? NAN : edge == 1 ? -0.0 : edge == 2 ? 0.0 : edge == 3 ? INFINITY
                   : edge == 4 ? -INFINITY : (ecl_rng_double(v) - 0.5) * 1e6;
        ecl_col_push_f64(c, x);
        break;
    }
    case ECL_T_STRING: {
        char buf[96];
        if (long_strings && edge == 5) {
            size_t n = (size_t)ecl_rng_range(v, 1 << 20, (1 << 20) + 5000);
            char *s = malloc(n);
            for (size_t i = 0; i < n; i++)
                s[i] = (char)('a' + (i * 7 + n) % 26);
            ecl_col_push_str(c, s, n);
            free(s);
        } else if (edge < 12) {
            ecl_col_push_cstr(c, utf8_words[edge]);
        } else {
            int n = snprintf(buf, sizeof buf, "s%llx-%d", (unsigned long long)ecl_rng_u64(v),
                             (int)ecl_rng_range(v, 0, 99));
            ecl_col_push_str(c, buf, (size_t)n);
        }
        break;
    }
    case ECL_T_DATE: {
        int32_t x = edge == 0 ? ecl_days_from_civil(1, 1, 1) : edge == 1 ? ecl_days_from_civil(9999, 12, 31)
                    : (int32_t)ecl_rng_range(v, -40000, 40000);
        ecl_col_push_i32(c, x);
        break;
    }
    case ECL_T_TIMESTAMP: {
        int64_t x = edge == 0 ? -62135596800000000LL : (int64_t)ecl_rng_range(v, -2000000000000000LL, 4000000000000000LL);
        ecl_col_push_i64(c, x);
        break;
    }
    case ECL_T_DECIMAL: {
        int64_t lim = pow10i(f->precision) - 1;
        int64_t x = edge == 0 ? lim : edge == 1 ? -lim : ecl_rng_range(v, -lim, lim);
        ecl_col_push_i64(c, x);
        break;
    }
    }
}

typedef struct st {
    bool has;
    int64_t imin, imax;
    double dmin, dmax;
    const uint8_t *smin, *smax;
    size_t sminl, smaxl;
    int64_t nulls;
} st;

static int bcmp_(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    return c ? c : (an > bn) - (an < bn);
}

static void print_stats(FILE *f, const ecl_column *c, const ecl_field *fl)
{
    st s = {0};
    for (size_t r = 0; r < c->len; r++) {
        if (ecl_col_is_null(c, r)) {
            s.nulls++;
            continue;
        }
        if (c->type == ECL_T_DOUBLE) {
            double d = ecl_col_f64(c, r);
            if (isnan(d))
                continue;
            if (!s.has || d < s.dmin || (d == 0 && s.dmin == 0 && signbit(d)))
                s.dmin = d;
            if (!s.has || d > s.dmax || (d == 0 && s.dmax == 0 && !signbit(d)))
                s.dmax = d;
        } else if (c->type == ECL_T_STRING) {
            size_t n;
            const uint8_t *p = (const uint8_t *)ecl_col_str(c, r, &n);
            if (!s.has || bcmp_(p, n, s.smin, s.sminl) < 0) {
                s.smin = p;
                s.sminl = n;
            }
            if (!s.has || bcmp_(p, n, s.smax, s.smaxl) > 0) {
                s.smax = p;
                s.smaxl = n;
            }
        } else {
            int64_t v = c->type == ECL_T_BOOL ? ecl_col_bool(c, r)
                        : (c->type == ECL_T_INT32 || c->type == ECL_T_DATE) ? ecl_col_i32(c, r)
                                                                             : ecl_col_i64(c, r);
            if (!s.has || v < s.imin)
                s.imin = v;
            if (!s.has || v > s.imax)
                s.imax = v;
        }
        s.has = true;
    }
    fprintf(f, "{\"null_count\":%lld", (long long)s.nulls);
    if (s.has) {
        fputs(",\"min\":", f);
        if (fl->type == ECL_T_DOUBLE)
            pqj_double(f, s.dmin == 0 ? -0.0 : s.dmin);
        else
            pqj_value(f, fl->type, s.imin, s.dmin, s.smin, s.sminl);
        fputs(",\"max\":", f);
        if (fl->type == ECL_T_DOUBLE)
            pqj_double(f, s.dmax == 0 ? 0.0 : s.dmax);
        else
            pqj_value(f, fl->type, s.imax, s.dmax, s.smax, s.smaxl);
    }
    fputs("}", f);
}

static const char *all_types = "bool,int32,int64,double,string,date,timestamp,decimal(9,2),decimal(18,4)";

static int usage(void)
{
    fprintf(stderr, "usage: pqwrite --out FILE [--seed N] [--rows N] [--codec C] [--nulls P] "
                    "[--types LIST] [--random-schema] [--page-bytes N] [--rg-bytes N] [--dict-max N] "
                    "[--no-dict] [--threads N] [--batch N] [--long-strings] [--kv k=v] [--quiet]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *types = all_types;
    uint64_t seed = 1;
    size_t rows = 100, batch = 1000;
    double pnull = 0;
    bool random_schema = false, quiet = false, long_strings = false;
    ecl_pq_opts o;
    ecl_pq_opts_default(&o);
    ecl_kv kvs[16];
    size_t nkv = 0;
    static const struct option lo[] = {
        {"out", 1, 0, 'o'}, {"seed", 1, 0, 's'}, {"rows", 1, 0, 'r'}, {"codec", 1, 0, 'c'},
        {"nulls", 1, 0, 'n'}, {"types", 1, 0, 't'}, {"random-schema", 0, 0, 'R'},
        {"page-bytes", 1, 0, 'p'}, {"rg-bytes", 1, 0, 'g'}, {"dict-max", 1, 0, 'd'},
        {"no-dict", 0, 0, 'D'}, {"threads", 1, 0, 'T'}, {"batch", 1, 0, 'b'},
        {"long-strings", 0, 0, 'L'}, {"kv", 1, 0, 'k'}, {"quiet", 0, 0, 'q'}, {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (ch) {
        case 'o': out = optarg; break;
        case 's': seed = strtoull(optarg, NULL, 10); break;
        case 'r': rows = strtoull(optarg, NULL, 10); break;
        case 'c':
            if (ecl_codec_parse(optarg, &o.codec))
                return usage();
            break;
        case 'n': pnull = strtod(optarg, NULL); break;
        case 't': types = optarg; break;
        case 'R': random_schema = true; break;
        case 'p': o.page_bytes = strtoull(optarg, NULL, 10); break;
        case 'g': o.row_group_bytes = strtoull(optarg, NULL, 10); break;
        case 'd': o.dict_max_bytes = strtoull(optarg, NULL, 10); break;
        case 'D': o.no_dictionary = true; break;
        case 'T': o.threads = atoi(optarg); break;
        case 'b': batch = strtoull(optarg, NULL, 10); break;
        case 'L': long_strings = true; break;
        case 'k': {
            char *eq = strchr(optarg, '=');
            if (!eq || nkv == 16)
                return usage();
            *eq = 0;
            kvs[nkv++] = (ecl_kv){optarg, eq + 1};
            break;
        }
        case 'q': quiet = true; break;
        default: return usage();
        }
    }
    if (!out || batch == 0)
        return usage();
    o.kv = kvs;
    o.nkv = nkv;

    ecl_schema s;
    ecl_schema_init(&s);
    ecl_rng sr = ecl_rng_key(seed, 1, 0, 0);
    char list[1024];
    if (random_schema) {
        static const char *pool[] = {"bool", "int32", "int64", "double", "string", "date",
                                     "timestamp", "decimal(5,0)", "decimal(9,3)", "decimal(12,2)",
                                     "decimal(18,6)", "string", "int64"};
        int ncols = (int)ecl_rng_range(&sr, 1, 12);
        list[0] = 0;
        for (int i = 0; i < ncols; i++) {
            strcat(list, i ? "," : "");
            strcat(list, pool[ecl_rng_range(&sr, 0, 12)]);
        }
        types = list;
    }
    colgen gens[64];
    char *dup = strdup(types);
    size_t ncols = 0;
    for (char *save = NULL, *tok = strtok_r(dup, ",", &save); tok && ncols < 64;
         tok = strtok_r(NULL, ",", &save)) {
        /* decimal(p,s) contains a comma: glue the scale back */
        char name[64];
        if (strncmp(tok, "decimal(", 8) == 0 && !strchr(tok, ')')) {
            char *rest = strtok_r(NULL, ",", &save);
            snprintf(name, sizeof name, "%s,%s", tok, rest ? rest : "");
        } else {
            snprintf(name, sizeof name, "%s", tok);
        }
        ecl_type t;
        int p = 0, sc = 0;
        if (ecl_type_parse(name, &t, &p, &sc)) {
            fprintf(stderr, "pqwrite: unknown type '%s'\n", name);
            return 2;
        }
        char cname[80];
        snprintf(cname, sizeof cname, "c%zu_%s", ncols, ecl_type_name(t));
        for (char *q = cname; *q; q++)
            if (*q == '(' || *q == ')' || *q == ',')
                *q = '_';
        bool nullable = pnull > 0 || (random_schema && ecl_rng_bernoulli(&sr, 0.5));
        int rc = t == ECL_T_DECIMAL ? ecl_schema_add_decimal(&s, cname, p, sc, nullable)
                                    : ecl_schema_add(&s, cname, t, nullable);
        if (rc)
            return 1;
        gens[ncols].mode = (int)(ecl_rng_u64(&sr) & 1);
        gens[ncols].card = ecl_rng_range(&sr, 1, 200);
        ncols++;
    }
    free(dup);
    double colnull[64];
    for (size_t i = 0; i < ncols; i++)
        colnull[i] = s.fields[i].nullable ? (pnull > 0 ? pnull : ecl_rng_double(&sr) * 0.3) : 0;

    ecl_err e = ECL_ERR_INIT;
    ecl_out fo;
    if (ecl_out_file(&fo, out, &e)) {
        fprintf(stderr, "pqwrite: %s\n", e.msg);
        return 1;
    }
    ecl_pq_writer *w;
    if (ecl_pq_writer_open(&w, &fo, &s, &o, &e)) {
        fprintf(stderr, "pqwrite: %s\n", e.msg);
        return 1;
    }
    /* all rows are kept to print them; batches go to the writer as they fill */
    ecl_batch all, b;
    ecl_batch_init(&all, &s);
    ecl_batch_init(&b, &s);
    for (size_t r = 0; r < rows; r++) {
        for (size_t ci = 0; ci < ncols; ci++) {
            ecl_rng rr = ecl_rng_key(seed, ci, r, 3);
            if (colnull[ci] > 0 && ecl_rng_double(&rr) < colnull[ci]) {
                ecl_col_push_null(&b.cols[ci]);
                if (!quiet)
                    ecl_col_push_null(&all.cols[ci]);
            } else {
                ecl_rng r2 = rr;
                gen_value(&b.cols[ci], &s.fields[ci], &gens[ci], &rr, seed, ci, long_strings);
                if (!quiet)
                    gen_value(&all.cols[ci], &s.fields[ci], &gens[ci], &r2, seed, ci, long_strings);
            }
        }
        if (b.cols[0].len == batch || r + 1 == rows) {
            if (ecl_batch_seal(&b, &e) || ecl_pq_writer_write(w, &b, &e)) {
                fprintf(stderr, "pqwrite: %s\n", e.msg);
                return 1;
            }
            ecl_batch_clear(&b);
        }
    }
    if (ecl_pq_writer_finish(w, &e) || ecl_out_close(&fo, &e)) {
        fprintf(stderr, "pqwrite: %s\n", e.msg);
        return 1;
    }
    ecl_pq_writer_free(w);
    if (!quiet) {
        ecl_batch_seal(&all, &e);
        FILE *f = stdout;
        fprintf(f, "{\"rows\":%zu,\"schema\":", rows);
        pqj_schema(f, &s);
        fputs(",\"columns\":[", f);
        for (size_t ci = 0; ci < ncols; ci++) {
            fputs(ci ? ",[" : "[", f);
            for (size_t r = 0; r < rows; r++) {
                if (r)
                    fputc(',', f);
                pqj_cell(f, &all.cols[ci], r);
            }
            fputs("]", f);
        }
        fputs("],\"stats\":[", f);
        for (size_t ci = 0; ci < ncols; ci++) {
            if (ci)
                fputc(',', f);
            print_stats(f, &all.cols[ci], &s.fields[ci]);
        }
        fputs("]}\n", f);
    }
    ecl_batch_release(&all);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
    return 0;
}
