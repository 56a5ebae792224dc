/* sqlfiles.c - embeds the sql/ files with the assembler's .incbin (paths are relative to the
 * repository root, where make runs; the Makefile makes this object depend on sql/). */
#include "sqlfiles.h"

#include <stdbool.h>
#include <string.h>

#define ECL_SQL_EMBED(sym, path)                                                                   \
    __asm__(".section .rodata\n"                                                                   \
            ".hidden " #sym "\n"                                                                   \
            ".global " #sym "\n"                                                                   \
            ".balign 16\n" #sym ":\n"                                                              \
            ".incbin \"" path "\"\n"                                                               \
            ".byte 0\n"                                                                            \
            ".previous\n");                                                                        \
    extern const char sym[]

ECL_SQL_EMBED(sql_bronze_create, "sql/bronze/create_tables.sql");
ECL_SQL_EMBED(sql_silver_cal_lite, "sql/silver/00_calendar_base.sqlite.sql");
ECL_SQL_EMBED(sql_silver_cal_pg, "sql/silver/00_calendar_base.postgres.sql");
ECL_SQL_EMBED(sql_silver_cal, "sql/silver/01_calendar.sql");
ECL_SQL_EMBED(sql_silver_ref, "sql/silver/02_reference.sql");
ECL_SQL_EMBED(sql_silver_orders, "sql/silver/03_orders.sql");
ECL_SQL_EMBED(sql_silver_items, "sql/silver/04_order_items.sql");
ECL_SQL_EMBED(sql_gold_dims, "sql/gold/01_dimensions.sql");
ECL_SQL_EMBED(sql_gold_facts, "sql/gold/02_facts.sql");
ECL_SQL_EMBED(sql_gold_aggs, "sql/gold/03_aggregations.sql");

/* In execution order within each layer. */
static const ecl_sqlfile files[] = {
    {"bronze/create_tables", NULL, sql_bronze_create},
    {"silver/00_calendar_base", "sqlite", sql_silver_cal_lite},
    {"silver/00_calendar_base", "postgres", sql_silver_cal_pg},
    {"silver/01_calendar", NULL, sql_silver_cal},
    {"silver/02_reference", NULL, sql_silver_ref},
    {"silver/03_orders", NULL, sql_silver_orders},
    {"silver/04_order_items", NULL, sql_silver_items},
    {"gold/01_dimensions", NULL, sql_gold_dims},
    {"gold/02_facts", NULL, sql_gold_facts},
    {"gold/03_aggregations", NULL, sql_gold_aggs},
};

const char *ecl_sqlfile_get(const char *name, const char *dialect)
{
    const char *any = NULL;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(files[i].name, name) != 0)
            continue;
        if (files[i].dialect && dialect && strcmp(files[i].dialect, dialect) == 0)
            return files[i].text;
        if (!files[i].dialect)
            any = files[i].text;
    }
    return any;
}

size_t ecl_sqlfile_steps(const char *layer, const char **names, size_t max)
{
    size_t n = 0, len = strlen(layer);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strncmp(files[i].name, layer, len) != 0 || files[i].name[len] != '/')
            continue;
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(names[k], files[i].name) == 0;
        if (!seen && n < max)
            names[n++] = files[i].name;
    }
    return n;
}
