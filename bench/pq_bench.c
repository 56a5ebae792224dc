/* pq_bench - builds the Parquet benchmark table in memory (rows x 12 columns: ints, doubles, a date,
 * a timestamp, a decimal, low- and high-cardinality strings, ~5% nulls in half the columns) and
 * times our writer on it, once per codec. The formulas are plain integer arithmetic on the row
 * number so bench/parquet.mjs can build the identical table in DuckDB with SQL.
 *
 *   pq_bench [--rows N] [--out-dir DIR] [--threads N] [--codecs snappy,zstd]
 *
 * Prints one JSON object: rows, build seconds, and per codec seconds, bytes and the file path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../lib/parquet.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A file output without the fsync at close: DuckDB's COPY does not sync either, and the benchmark
 * measures the writer, not the disk. */
static int fd_write(ecl_out *o, const void *p, size_t n, ecl_err *e)
{
    int fd = (int)(intptr_t)o->ctx;
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return ecl_err_errno(e, errno, "cannot write the benchmark file");
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static double cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static const char *statuses[] = {"pending", "paid", "shipped", "delivered", "cancelled"};

/* Null when (i * 37 + salt) % 100 < 5: about 5%. */
static int is_null(int64_t i, int salt) { return (i * 37 + salt) % 100 < 5; }

static int build(ecl_schema *s, ecl_batch *b, int64_t rows)
{
    ecl_schema_init(s);
    ecl_schema_add(s, "id", ECL_T_INT64, false);
    ecl_schema_add(s, "customer_id", ECL_T_INT32, false);
    ecl_schema_add(s, "qty", ECL_T_INT32, true);
    ecl_schema_add(s, "price", ECL_T_DOUBLE, false);
    ecl_schema_add(s, "discount", ECL_T_DOUBLE, true);
    ecl_schema_add(s, "order_date", ECL_T_DATE, false);
    ecl_schema_add(s, "created_at", ECL_T_TIMESTAMP, true);
    ecl_schema_add_decimal(s, "amount", 12, 2, true);
    ecl_schema_add(s, "status", ECL_T_STRING, false);
    ecl_schema_add(s, "country", ECL_T_STRING, true);
    ecl_schema_add(s, "sku", ECL_T_STRING, true);
    ecl_schema_add(s, "email", ECL_T_STRING, true);
    if (ecl_batch_init(b, s))
        return 1;
    for (size_t c = 0; c < s->nfields; c++)
        if (ecl_col_reserve(&b->cols[c], (size_t)rows))
            return 1;
    char buf[64];
    for (int64_t i = 0; i < rows; i++) {
        ecl_column *c = b->cols;
        ecl_col_push_i64(&c[0], i);
        ecl_col_push_i32(&c[1], (int32_t)((i * 7919) % 100000));
        if (is_null(i, 1)) ecl_col_push_null(&c[2]);
        else ecl_col_push_i32(&c[2], (int32_t)((i * 13) % 10 + 1));
        ecl_col_push_f64(&c[3], (double)((i * 2654435761LL) % 100000) / 100.0);
        if (is_null(i, 2)) ecl_col_push_null(&c[4]);
        else ecl_col_push_f64(&c[4], (double)((i * 31) % 50) / 100.0);
        ecl_col_push_i32(&c[5], (int32_t)(18000 + i / 10000));
        if (is_null(i, 3)) ecl_col_push_null(&c[6]);
        else ecl_col_push_i64(&c[6], 1600000000000000LL + i * 1000003LL);
        if (is_null(i, 4)) ecl_col_push_null(&c[7]);
        else ecl_col_push_i64(&c[7], (i * 48271) % 1000000 - 500000);
        ecl_col_push_cstr(&c[8], statuses[(i * 7) % 5]);
        if (is_null(i, 5)) ecl_col_push_null(&c[9]);
        else ecl_col_push_str(&c[9], buf, (size_t)snprintf(buf, sizeof buf, "C%lld", (long long)((i * 17) % 50)));
        if (is_null(i, 6)) ecl_col_push_null(&c[10]);
        else ecl_col_push_str(&c[10], buf, (size_t)snprintf(buf, sizeof buf, "SKU-%lld", (long long)((i * 104729) % 20000)));
        if (is_null(i, 7)) ecl_col_push_null(&c[11]);
        else ecl_col_push_str(&c[11], buf, (size_t)snprintf(buf, sizeof buf, "user%lld@example.com", (long long)((i * 7919) % 1000003)));
    }
    ecl_err e = ECL_ERR_INIT;
    return ecl_batch_seal(b, &e) ? 1 : 0;
}

int main(int argc, char **argv)
{
    int64_t rows = 10000000;
    const char *dir = ".";
    const char *codecs = "snappy,zstd";
    int threads = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--out-dir"))
            dir = argv[i + 1];
        else if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--codecs"))
            codecs = argv[i + 1];
        else {
            fprintf(stderr, "usage: pq_bench [--rows N] [--out-dir DIR] [--threads N] [--codecs LIST]\n");
            return 2;
        }
    }
    ecl_schema s;
    ecl_batch b;
    double t0 = now();
    if (build(&s, &b, rows)) {
        fprintf(stderr, "pq_bench: out of memory building the table\n");
        return 1;
    }
    printf("{\"rows\":%lld,\"columns\":%zu,\"build_s\":%.3f,\"runs\":[", (long long)rows, s.nfields, now() - t0);
    char *list = strdup(codecs);
    int first = 1;
    for (char *sv = NULL, *name = strtok_r(list, ",", &sv); name; name = strtok_r(NULL, ",", &sv)) {
        ecl_pq_opts o;
        ecl_pq_opts_default(&o);
        if (ecl_codec_parse(name, &o.codec)) {
            fprintf(stderr, "pq_bench: unknown codec '%s'\n", name);
            return 2;
        }
        o.threads = threads;
        char path[4096];
        snprintf(path, sizeof path, "%s/ours-%s.parquet", dir, name);
        ecl_err e = ECL_ERR_INIT;
        double t = now(), c0 = cpu();
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            perror(path);
            return 1;
        }
        ecl_out out = {.write = fd_write, .ctx = (void *)(intptr_t)fd};
        ecl_pq_writer *w;
        if (ecl_pq_writer_open(&w, &out, &s, &o, &e) || ecl_pq_writer_write(w, &b, &e) ||
            ecl_pq_writer_finish(w, &e) || close(fd) != 0) {
            fprintf(stderr, "pq_bench: %s\n", e.msg);
            return 1;
        }
        double secs = now() - t, cpus = cpu() - c0;
        printf("%s{\"codec\":\"%s\",\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"bytes\":%llu,\"path\":\"%s\"}", first ? "" : ",", name,
               secs, cpus, (unsigned long long)out.written, path);
        first = 0;
        ecl_pq_writer_free(w);
    }
    printf("]}\n");
    free(list);
    ecl_batch_release(&b);
    ecl_schema_release(&s);
    return 0;
}
