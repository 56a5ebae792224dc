/* pqstatloc - prints, as JSON, where every statistic of a Parquet file lies in its bytes, so a test
 * can patch one (same length) and check that `ecomlake verify --deep` notices.
 *
 *   pqstatloc FILE
 *
 * Output: {"columns":[{"name","type","physical"}],"row_groups":[{"rows","columns":[{"chunk":S,
 * "pages":[S...]}]}]} where S = {"min_value":[offset,length],"max_value":...,"min":...,"max":...,
 * "null_count":n,"null_count_at":offset|null}. null_count_at is the offset of the varint after the
 * field header, known when the deprecated min precedes it (non-string columns of our writer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../lib/io.h"
#include "../../lib/parquet.h"
#include "../../lib/pq_format.h"

static const uint8_t *base;

static void loc(const char *name, const uint8_t *p, size_t n, bool *first)
{
    printf("%s\"%s\":", *first ? "" : ",", name);
    *first = false;
    if (p)
        printf("[%lld,%zu]", (long long)(p - base), n);
    else
        fputs("null", stdout);
}

static void stats(const ecl_pq_raw_stats *s)
{
    bool first = true;
    putchar('{');
    loc("min_value", s->min, s->min_len, &first);
    loc("max_value", s->max, s->max_len, &first);
    loc("min", s->min_dep, s->min_dep_len, &first);
    loc("max", s->max_dep, s->max_dep_len, &first);
    printf(",\"present\":%s,\"null_count\":", s->present ? "true" : "false");
    if (s->has_null_count)
        printf("%lld", (long long)s->null_count);
    else
        fputs("null", stdout);
    /* compact protocol: field 3 (i64) right after field 2 is the byte 0x16, then the varint */
    const uint8_t *after = s->min_dep ? s->min_dep + s->min_dep_len : NULL;
    if (after && s->has_null_count && *after == 0x16)
        printf(",\"null_count_at\":%lld}", (long long)(after + 1 - base));
    else
        fputs(",\"null_count_at\":null}", stdout);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: pqstatloc FILE\n", stderr);
        return 2;
    }
    ecl_buf data = ECL_BUF_INIT;
    ecl_err e = ECL_ERR_INIT;
    ecl_pq_reader *r = NULL;
    if (ecl_read_file(argv[1], &data, 0, &e) || ecl_pq_reader_open_mem(&r, data.data, data.len, &e)) {
        fprintf(stderr, "pqstatloc: %s\n", e.msg);
        return 1;
    }
    base = data.data;
    const ecl_schema *s = ecl_pq_reader_schema(r);
    fputs("{\"columns\":[", stdout);
    for (size_t c = 0; c < s->nfields; c++)
        printf("%s{\"name\":\"%s\",\"type\":\"%s\",\"physical\":%d}", c ? "," : "", s->fields[c].name,
               ecl_type_name(s->fields[c].type), ecl_pq_reader_physical_type(r, c));
    fputs("],\"row_groups\":[", stdout);
    for (size_t rg = 0; rg < ecl_pq_reader_num_row_groups(r); rg++) {
        printf("%s{\"rows\":%lld,\"columns\":[", rg ? "," : "", (long long)ecl_pq_reader_row_group_rows(r, rg));
        for (size_t c = 0; c < s->nfields; c++) {
            ecl_pq_raw_stats st;
            ecl_pq_reader_raw_stats(r, rg, c, &st);
            printf("%s{\"chunk\":", c ? "," : "");
            stats(&st);
            fputs(",\"pages\":[", stdout);
            size_t np = 0;
            if (ecl_pq_reader_pages(r, rg, c, NULL, 0, &np, &e)) {
                fprintf(stderr, "pqstatloc: %s\n", e.msg);
                return 1;
            }
            ecl_pq_page_info *pages = calloc(np ? np : 1, sizeof *pages);
            ecl_pq_reader_pages(r, rg, c, pages, np, &np, &e);
            bool first = true;
            for (size_t p = 0; p < np; p++) {
                if (pages[p].type != PQ_PAGE_DATA && pages[p].type != PQ_PAGE_DATA_V2)
                    continue;
                if (!first)
                    putchar(',');
                first = false;
                printf("{\"values\":%d,\"stats\":", pages[p].num_values);
                stats(&pages[p].stats);
                putchar('}');
            }
            free(pages);
            fputs("]}", stdout);
        }
        fputs("]}", stdout);
    }
    fputs("]}\n", stdout);
    ecl_pq_reader_free(r);
    ecl_buf_release(&data);
    return 0;
}
