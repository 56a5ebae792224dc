/* ecomlake build - build the silver and gold layers of the restaurant warehouse. */
#include <stdio.h>
#include <string.h>

#include "../lib/warehouse.h"
#include "commands.h"

static const char help[] =
    "usage: ecomlake build silver|gold|all --warehouse URL [--json]\n"
    "\n"
    "Rebuilds the restaurant warehouse's silver layer (typed, renamed, deduplicated tables:\n"
    "silver_calendar, silver_products, silver_countries, silver_states, silver_units,\n"
    "silver_orders, silver_order_items) and/or its gold layer (gold_dim_date, gold_dim_product,\n"
    "gold_dim_unit, gold_dim_geography, gold_fact_sales, gold_fact_order_items and the\n"
    "aggregations gold_agg_daily_sales, gold_agg_unit_performance, gold_agg_product_performance)\n"
    "from the bronze tables that 'ingest' loads.\n"
    "\n"
    "The SQL lives in the repository's sql/silver and sql/gold (compiled into the binary) and runs\n"
    "on SQLite and PostgreSQL alike; the date spine is the one per-engine file. dim_date covers the\n"
    "data's own date range. The whole build runs in one transaction, so readers see the previous\n"
    "layer or the new one, never a half-built one. The same bronze data gives the same gold\n"
    "figures on both engines (money is aggregated in integer cents).\n"
    "\n"
    "Options:\n"
    "  --warehouse URL   sqlite:PATH, a path, or postgresql://... (or ECOMLAKE_WAREHOUSE)\n"
    "  --json            print the row count of every built table as JSON on stdout\n"
    "\n"
    "Examples:\n"
    "  ecomlake build all --warehouse sqlite:bronze.db\n"
    "  ecomlake build gold --warehouse postgresql://etl@localhost/mrhealth\n";

enum { O_WH = 1000, O_JSON };

static int run(int argc, char **argv);
const cli_cmd cmd_build = {"build", "build the restaurant warehouse's silver and gold layers", help, run};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"warehouse", required_argument, 0, O_WH},
        {"json", no_argument, 0, O_JSON},
        {0, 0, 0, 0},
    };
    const char *wh = cli_env("WAREHOUSE");
    bool json = false;
    int c;
    while ((c = cli_getopt(&cmd_build, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_WH: wh = optarg; break;
        case O_JSON: json = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error(&cmd_build, "give exactly one layer: silver, gold or all");
    const char *layer = argv[optind];
    if (strcmp(layer, "silver") != 0 && strcmp(layer, "gold") != 0 && strcmp(layer, "all") != 0)
        return cli_usage_error(&cmd_build, "unknown layer '%s' (silver, gold or all)", layer);
    if (!wh || !*wh)
        return cli_usage_error(&cmd_build, "--warehouse is required");
    ecl_err e = ECL_ERR_INIT;
    ecl_wh *w;
    if (ecl_wh_open(&w, wh, &e))
        return cli_fail(&e);
    double t0 = cli_now();
    if (ecl_wh_build(w, layer, &e)) {
        ecl_wh_close(w);
        return cli_fail(&e);
    }
    double secs = cli_now() - t0;
    static const char *const layers[2] = {"silver", "gold"};
    if (json)
        printf("{\"layer\":\"%s\",\"seconds\":%.3f,\"tables\":{", layer, secs);
    bool first = true;
    int rc = 0;
    for (int l = 0; l < 2 && !rc; l++) {
        if (strcmp(layer, "all") != 0 && strcmp(layer, layers[l]) != 0)
            continue;
        for (const char *const *t = ecl_wh_layer_tables(layers[l]); *t && !rc; t++) {
            char sql[128];
            snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM %s", *t);
            int64_t n = 0;
            bool found;
            rc = ecl_db_query_int(ecl_wh_db(w), sql, 0, NULL, &n, &found, &e);
            if (rc)
                break;
            if (json)
                printf("%s\"%s\":%lld", first ? "" : ",", *t, (long long)n);
            else
                cli_info("%-30s %lld rows", *t, (long long)n);
            first = false;
        }
    }
    if (json)
        printf("}}\n");
    ecl_wh_close(w);
    if (rc)
        return cli_fail(&e);
    cli_info("built %s in %.2fs", layer, secs);
    return EXIT_OK;
}
