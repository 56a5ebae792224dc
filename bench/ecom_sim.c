/* ecom_sim - drives the ecom model through cursors without writing files: times seeking (simulation
 * without rows) and emitting, and prints rows per day per table (mean, min, max) and per month.
 *   ecom_sim [--config FILE] [--seed N] [--mess LEVEL] [--monthly] START END */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/dataset.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    ecl_model_opts o = {0};
    int monthly = 0, a = 1;
    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (!strcmp(argv[a], "--config") && a + 1 < argc)
            o.config_path = argv[++a];
        else if (!strcmp(argv[a], "--seed") && a + 1 < argc)
            o.seed = strtoull(argv[++a], NULL, 10), o.seed_set = true;
        else if (!strcmp(argv[a], "--mess") && a + 1 < argc)
            o.messiness = argv[++a];
        else if (!strcmp(argv[a], "--monthly"))
            monthly = 1;
    }
    if (argc - a != 2) {
        fprintf(stderr, "usage: ecom_sim [--config F] [--seed N] [--mess L] [--monthly] START END\n");
        return 2;
    }
    int32_t start, end;
    if (ecl_date_parse(argv[a], strlen(argv[a]), &start) || ecl_date_parse(argv[a + 1], strlen(argv[a + 1]), &end)) {
        fprintf(stderr, "bad date\n");
        return 2;
    }
    ecl_err e = ECL_ERR_INIT;
    ecl_model *m;
    if (ecl_model_open(&m, &o, &e)) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 1;
    }
    size_t nt = ecl_model_ntables(m);
    double t0 = now();
    ecl_cursor *c;
    if (ecl_cursor_open(&c, m, start, &e)) {
        fprintf(stderr, "error: %s\n", e.msg);
        return 1;
    }
    double t1 = now();
    printf("seek %d days: %.3f s\n", start - ecl_model_epoch(m), t1 - t0);
    ecl_batch *b = calloc(nt, sizeof *b);
    for (size_t t = 0; t < nt; t++)
        ecl_batch_init(&b[t], &ecl_model_table_at(m, t)->schema);
    uint64_t tot[16] = {0}, mn[16], mx[16] = {0}, mon[16] = {0};
    for (size_t t = 0; t < nt; t++)
        mn[t] = UINT64_MAX;
    int days = 0, mdays = 0, cur_month = -1;
    ecl_mess_counts counts = {0};
    for (int32_t d = start; d <= end; d++) {
        for (size_t t = 0; t < nt; t++)
            ecl_batch_clear(&b[t]);
        if (ecl_cursor_step(c, true, b, &counts, &e)) {
            fprintf(stderr, "error: %s\n", e.msg);
            return 1;
        }
        int y, mo, dd;
        ecl_civil_from_days(d, &y, &mo, &dd);
        if (monthly && mo != cur_month) {
            if (cur_month >= 0) {
                printf("%04d-%02d", y - (mo == 1), cur_month);
                for (size_t t = 0; t < nt; t++)
                    printf(" %s=%.0f", ecl_model_table_at(m, t)->name, (double)mon[t] / mdays);
                printf("\n");
            }
            memset(mon, 0, sizeof mon);
            mdays = 0;
            cur_month = mo;
        }
        mdays++;
        for (size_t t = 0; t < nt; t++) {
            uint64_t n = b[t].nrows;
            tot[t] += n;
            mon[t] += n;
            if (n < mn[t])
                mn[t] = n;
            if (n > mx[t])
                mx[t] = n;
        }
        days++;
    }
    double t2 = now();
    uint64_t all = 0;
    printf("emit %d days: %.3f s\n", days, t2 - t1);
    for (size_t t = 0; t < nt; t++) {
        if (ecl_model_table_at(m, t)->kind == ECL_TABLE_STATIC)
            continue;
        all += tot[t];
        printf("%-16s mean/day %8.1f  min %6llu  max %6llu  total %llu\n", ecl_model_table_at(m, t)->name,
               (double)tot[t] / days, (unsigned long long)mn[t], (unsigned long long)mx[t],
               (unsigned long long)tot[t]);
    }
    printf("rows %llu, %.0f rows/s emitting\n", (unsigned long long)all, all / (t2 - t1));
    for (size_t i = 0; i < counts.n; i++)
        printf("mess %s.%s %s: %llu\n", counts.items[i].table, counts.items[i].column, counts.items[i].kind,
               (unsigned long long)counts.items[i].count);
    ecl_mess_counts_release(&counts);
    for (size_t t = 0; t < nt; t++)
        ecl_batch_release(&b[t]);
    free(b);
    ecl_cursor_free(c);
    ecl_model_free(m);
    return 0;
}
