/* ecomlake window - generate one business window of restaurant sales for every unit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/resto/resto_publish.h"
#include "commands.h"
#include "resto_cli.h"

static const char help[] =
    "usage: ecomlake window --window-start HH:MM --window-end HH:MM [--date YYYY-MM-DD]\n"
    "                       [--units N] [--seed N] [--output-dir DIR | --dest URL]\n"
    "                       [--format csv|parquet] [--timezone ZONE] [--no-fsync] [--json]\n"
    "\n"
    "Generates one 2-hour business window of MR. HEALTH restaurant sales for every unit and commits\n"
    "it as csv_sales/YYYY/MM/DD/unit_NNN/window_HHHH/{pedido.csv,item_pedido.csv} with a\n"
    "_MANIFEST.json and _SUCCESS per directory (atomic: a reader never sees a half window), plus\n"
    "reference_data/{produto,unidade,estado,pais}.csv. Files use the original dialect: ';'\n"
    "separated, a header row, money with 2 decimals; pedido.csv has one extra last column,\n"
    "Data_Hora_Pedido, the order's local time with the zone's UTC offset.\n"
    "\n"
    "--format parquet writes pedido.parquet, item_pedido.parquet and reference_data/*.parquet\n"
    "instead, with the same column names and typed values: integer ids and quantities, money as\n"
    "DECIMAL(10,2), Data_Pedido as DATE, Data_Hora_Pedido as TIMESTAMP (UTC), and NULL where the\n"
    "CSV has an empty optional field (Endereco_Entrega, Observacao).\n"
    "\n"
    "Business windows (orders per unit): 10-12 (1-2), 12-14 (3-5), 14-16 (1-2), 16-18 (2-3),\n"
    "18-20 (4-6), 20-22 (2-3), 22-24 (2-3, tag window_2224; --window-end 00:00 is accepted).\n"
    "A start hour outside the business windows is skipped: the command says so and exits 0\n"
    "without writing, like the original scheduler function. A business start hour with another\n"
    "end is an unknown window and a usage error.\n"
    "\n"
    "The same date, window, units and seed always give byte-identical files, with the same order\n"
    "and item IDs, so a regenerated window replaces itself and deduplicates downstream.\n"
    "\n"
    "Options:\n"
    "  --window-start HH:MM   start of the window (required)\n"
    "  --window-end HH:MM     end of the window (required)\n"
    "  --date YYYY-MM-DD      business date (default: today in --timezone)\n"
    "  --units N              number of restaurant units, 1..100000 (default 50)\n"
    "  --seed N               random seed (default 0)\n"
    "  --output-dir DIR       lake root (default 'output')\n"
    "  --dest URL             s3://bucket/prefix, gs://bucket/prefix or file:// (data files, then\n"
    "                         _MANIFEST.json, then _SUCCESS per directory; unchanged objects skipped)\n"
    "  --format FMT           csv (default, the original dialect) or parquet\n"
    "  --timezone ZONE        the chain's time zone (default America/Sao_Paulo)\n"
    "  --no-fsync             skip fsync (faster, not crash-safe; for benchmarks)\n"
    "  --json                 print a JSON summary on stdout\n"
    "\n"
    "Examples:\n"
    "  ecomlake window --window-start 12:00 --window-end 14:00 --date 2026-02-01 --seed 42\n"
    "  ecomlake window --window-start 22:00 --window-end 00:00 --output-dir lake\n"
    "  ecomlake window --window-start 18:00 --window-end 20:00 --format parquet --dest s3://bucket/raw\n";

enum { O_START = 1000, O_END, O_DATE, O_UNITS, O_SEED, O_OUT, O_DEST, O_FORMAT, O_TZ, O_NOFSYNC, O_JSON };

static int run(int argc, char **argv);
const cli_cmd cmd_window = {"window", "generate one business window of restaurant sales", help, run};

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"window-start", required_argument, 0, O_START}, {"window-end", required_argument, 0, O_END},
        {"date", required_argument, 0, O_DATE},          {"units", required_argument, 0, O_UNITS},
        {"seed", required_argument, 0, O_SEED},          {"output-dir", required_argument, 0, O_OUT},
        {"dest", required_argument, 0, O_DEST},          {"format", required_argument, 0, O_FORMAT},
        {"timezone", required_argument, 0, O_TZ},        {"no-fsync", no_argument, 0, O_NOFSYNC},
        {"json", no_argument, 0, O_JSON},                {0, 0, 0, 0},
    };
    const char *start = NULL, *end = NULL, *date_s = NULL, *out = NULL, *dest = NULL;
    const char *zone = "America/Sao_Paulo", *format = "csv";
    long units = 50, seed = 0;
    bool durable = true, json = false;
    int c;
    while ((c = cli_getopt(&cmd_window, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_START: start = optarg; break;
        case O_END: end = optarg; break;
        case O_DATE: date_s = optarg; break;
        case O_UNITS:
            if (cli_parse_long(&cmd_window, "--units", optarg, 1, ECL_RESTO_MAX_UNITS, &units))
                return EXIT_USAGE;
            break;
        case O_SEED:
            if (cli_parse_long(&cmd_window, "--seed", optarg, 0, INT64_MAX, &seed))
                return EXIT_USAGE;
            break;
        case O_OUT: out = optarg; break;
        case O_DEST: dest = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_TZ: zone = optarg; break;
        case O_NOFSYNC: durable = false; break;
        case O_JSON: json = true; break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_window, "unexpected argument '%s'", argv[optind]);
    if (!start || !end)
        return cli_usage_error(&cmd_window, "--window-start and --window-end are required");
    bool parquet = strcmp(format, "parquet") == 0;
    if (!parquet && strcmp(format, "csv") != 0)
        return cli_usage_error(&cmd_window, "--format: '%s' is not one of csv, parquet", format);
    char root[4096];
    ecl_sink *sink = NULL;
    int src = resto_cli_root(&cmd_window, out, dest, root, sizeof root, &sink);
    if (src)
        return src < 0 ? EXIT_USAGE : src;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_tz_check(zone, &e))
        return cli_usage_error(&cmd_window, "--timezone: %s", e.msg);
    int sh, eh;
    if (ecl_resto_parse_hhmm(start, &sh, &e))
        return cli_usage_error(&cmd_window, "--window-start: %s", e.msg);
    if (ecl_resto_parse_hhmm(end, &eh, &e))
        return cli_usage_error(&cmd_window, "--window-end: %s", e.msg);
    const ecl_resto_window *w = ecl_resto_window_starting(sh);
    if (!w) {
        /* The skip rule of the original scheduler function: not an error, nothing written. */
        if (json)
            printf("{\"status\":\"skipped\",\"reason\":\"Hour %d is outside business windows "
                   "(10-22 even hours)\"}\n", sh);
        cli_info("[SKIP] hour %d is outside business windows (10-22 even hours); nothing written", sh);
        return EXIT_OK;
    }
    if (ecl_resto_window_find(sh, eh) != w)
        return cli_usage_error(&cmd_window,
                               "unknown window %s-%s: a window starting at %02d:00 ends at %02d:00",
                               start, end, w->start_hour, w->end_hour % 24);
    int32_t date;
    if (date_s) {
        if (cli_parse_date(&cmd_window, "--date", date_s, &date))
            return EXIT_USAGE;
    } else {
        int sod, off;
        if (ecl_tz_utc_to_local(zone, (int64_t)time(NULL), &date, &sod, &off, &e))
            return cli_fail(&e);
    }
    ecl_resto_unit *ulist = NULL;
    if (ecl_resto_units((int)units, &ulist, &e)) {
        ecl_sink_free(sink);
        return cli_fail(&e);
    }
    ecl_resto_pub p = {.root = root, .sink = sink, .seed = (uint64_t)seed, .timezone = zone,
                       .units = ulist, .nunits = (int)units, .durable = durable,
                       .parquet = parquet};
    ecl_resto_pub_stats st = {0};
    double t0 = cli_now();
    int rc = ecl_resto_publish_reference(&p, &st, &e);
    if (!rc)
        rc = ecl_resto_publish_window(&p, date, w, &st, &e);
    free(ulist);
    ecl_sink_free(sink);
    if (rc)
        return cli_fail(&e);
    char ds[11];
    ecl_date_format(date, ds);
    if (json)
        printf("{\"status\":\"success\",\"window\":\"%02d:00-%02d:00\",\"tag\":\"%s\",\"date\":\"%s\","
               "\"units\":%ld,\"total_orders\":%llu,\"total_items\":%llu,\"files_written\":%llu,"
               "\"bytes\":%llu,\"format\":\"%s\"}\n",
               w->start_hour, w->end_hour % 24, w->tag, ds, units, (unsigned long long)st.orders,
               (unsigned long long)st.items, (unsigned long long)st.files,
               (unsigned long long)st.bytes, format);
    cli_info("%s %s: %ld units, %llu orders, %llu items, %llu files in %.2fs -> %s", ds, w->tag, units,
             (unsigned long long)st.orders, (unsigned long long)st.items,
             (unsigned long long)st.files, cli_now() - t0, root);
    return EXIT_OK;
}
