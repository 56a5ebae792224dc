/* ecomlake continuous - generate restaurant business windows as they close, on a schedule. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/cancel.h"
#include "../lib/csv.h"
#include "../lib/log.h"
#include "../lib/resto/continuous.h"
#include "commands.h"
#include "resto_cli.h"

static const char help[] =
    "usage: ecomlake continuous [--output-dir DIR | --dest URL] [--timezone ZONE] [--units N]\n"
    "                           [--seed N] [--state URL] [--since YYYY-MM-DD] [--once]\n"
    "                           [--format csv|parquet] [--now TIMESTAMP] [--no-fsync] [--json]\n"
    "\n"
    "A long-running scheduler for the restaurant chain's business windows (10-12, 12-14, 14-16,\n"
    "16-18, 18-20, 20-22, 22-24 local time): each window is generated for every unit right after\n"
    "it closes and committed like 'ecomlake window' does. Windows missed while the scheduler was\n"
    "down are caught up, oldest first, from its state; a window is never published twice, even by\n"
    "two schedulers sharing one state. One log line per window. SIGTERM or SIGINT stops it cleanly\n"
    "(between windows, or between units: a window cut short is regenerated identically later).\n"
    "\n"
    "The schedule starts with the local day of its first run (that whole day is generated) unless\n"
    "--since gives an earlier date. The state remembers units, seed, time zone and format and\n"
    "refuses a run with different ones.\n"
    "\n"
    "Options:\n"
    "  --output-dir DIR    lake root (default 'output')\n"
    "  --dest URL          s3://bucket/prefix, gs://bucket/prefix or file:// (needs --state)\n"
    "  --timezone ZONE     the chain's time zone from the tz database (default America/Sao_Paulo)\n"
    "  --units N           restaurant units (default 50)\n"
    "  --seed N            random seed (default 0)\n"
    "  --format FMT        csv (default, the original dialect) or parquet (typed files, see\n"
    "                      'ecomlake window --help')\n"
    "  --state URL         scheduler state: sqlite:PATH or postgresql://... (default\n"
    "                      sqlite:DIR/.ecomlake-continuous.db)\n"
    "  --since DATE        generate from this business date on (catch-up of history)\n"
    "  --once              run whatever is due and exit (cron, Kubernetes CronJob)\n"
    "  --now TIMESTAMP     pretend the clock reads TIMESTAMP (ISO 8601 with offset or Z) when\n"
    "                      starting; for tests and replays\n"
    "  --no-fsync          skip fsync (faster, not crash-safe)\n"
    "  --json              one JSON object per published window on stdout\n"
    "\n"
    "Exit codes: 0 ok (also after a clean SIGTERM), 1 failure, 2 usage, 130 interrupted inside a\n"
    "window.\n"
    "\n"
    "Examples:\n"
    "  ecomlake continuous --output-dir /srv/lake\n"
    "  ecomlake continuous --output-dir lake --once          # from cron, e.g. '5 * * * *'\n"
    "  ecomlake continuous --output-dir lake --once --now 2026-02-01T14:05:00-03:00\n";

enum { O_OUT = 1000, O_DEST, O_TZ, O_UNITS, O_SEED, O_STATE, O_SINCE, O_ONCE, O_NOW, O_NOFSYNC, O_JSON, O_FORMAT };

static int run(int argc, char **argv);
const cli_cmd cmd_continuous = {"continuous", "generate restaurant business windows as they close (scheduler)",
                                help, run};

static void on_window(const ecl_resto_cont_event *ev, void *ctx)
{
    bool json = *(bool *)ctx;
    char ds[11];
    ecl_date_format(ev->date, ds);
    ecl_log(ECL_LOG_INFO, "continuous", "published %s %s: %llu orders, %llu items, %llu files%s", ds,
            ev->window->tag, (unsigned long long)ev->stats.orders, (unsigned long long)ev->stats.items,
            (unsigned long long)ev->stats.files, ev->catch_up ? " (catch-up)" : "");
    if (json) {
        printf("{\"date\":\"%s\",\"window\":\"%s\",\"orders\":%llu,\"items\":%llu,\"files\":%llu,"
               "\"catch_up\":%s}\n",
               ds, ev->window->tag, (unsigned long long)ev->stats.orders,
               (unsigned long long)ev->stats.items, (unsigned long long)ev->stats.files,
               ev->catch_up ? "true" : "false");
        fflush(stdout);
    }
}

static int64_t monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static int run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output-dir", required_argument, 0, O_OUT}, {"dest", required_argument, 0, O_DEST},
        {"timezone", required_argument, 0, O_TZ},    {"units", required_argument, 0, O_UNITS},
        {"seed", required_argument, 0, O_SEED},      {"state", required_argument, 0, O_STATE},
        {"since", required_argument, 0, O_SINCE},    {"once", no_argument, 0, O_ONCE},
        {"now", required_argument, 0, O_NOW},        {"no-fsync", no_argument, 0, O_NOFSYNC},
        {"json", no_argument, 0, O_JSON},            {"format", required_argument, 0, O_FORMAT},
        {0, 0, 0, 0},
    };
    const char *out = NULL, *dest = NULL, *now_s = NULL;
    ecl_resto_cont_opts o = {0};
    o.timezone = "America/Sao_Paulo";
    o.units = 50;
    o.durable = true;
    bool once = false, json = false;
    long v;
    int c;
    while ((c = cli_getopt(&cmd_continuous, argc, argv, "", longopts)) != -1) {
        switch (c) {
        case 'h': return EXIT_OK;
        case O_OUT: out = optarg; break;
        case O_DEST: dest = optarg; break;
        case O_TZ: o.timezone = optarg; break;
        case O_UNITS:
            if (cli_parse_long(&cmd_continuous, "--units", optarg, 1, ECL_RESTO_MAX_UNITS, &v))
                return EXIT_USAGE;
            o.units = (int)v;
            break;
        case O_SEED:
            if (cli_parse_long(&cmd_continuous, "--seed", optarg, 0, INT64_MAX, &v))
                return EXIT_USAGE;
            o.seed = (uint64_t)v;
            break;
        case O_STATE: o.state_url = optarg; break;
        case O_SINCE:
            if (cli_parse_date(&cmd_continuous, "--since", optarg, &o.since))
                return EXIT_USAGE;
            o.since_set = true;
            break;
        case O_ONCE: once = true; break;
        case O_NOW: now_s = optarg; break;
        case O_NOFSYNC: o.durable = false; break;
        case O_JSON: json = true; break;
        case O_FORMAT:
            if (strcmp(optarg, "parquet") != 0 && strcmp(optarg, "csv") != 0)
                return cli_usage_error(&cmd_continuous, "--format: '%s' is not one of csv, parquet", optarg);
            o.parquet = strcmp(optarg, "parquet") == 0;
            break;
        default: return EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error(&cmd_continuous, "unexpected argument '%s'", argv[optind]);
    char root[4096];
    ecl_sink *sink = NULL;
    int src = resto_cli_root(&cmd_continuous, out, dest, root, sizeof root, &sink);
    if (src)
        return src < 0 ? EXIT_USAGE : src;
    if (sink && !o.state_url) {
        ecl_sink_free(sink);
        return cli_usage_error(&cmd_continuous, "--dest %s needs --state (where the schedule's state lives)", root);
    }
    o.root = root;
    o.sink = sink;
    ecl_err e = ECL_ERR_INIT;
    if (ecl_tz_check(o.timezone, &e)) {
        ecl_sink_free(sink);
        return cli_usage_error(&cmd_continuous, "--timezone: %s", e.msg);
    }
    /* The clock: --now fixes the starting instant, real time advances it. */
    int64_t base = (int64_t)time(NULL);
    if (now_s) {
        int64_t us;
        if (ecl_parse_timestamp(now_s, strlen(now_s), &us)) {
            ecl_sink_free(sink);
            return cli_usage_error(&cmd_continuous, "--now: '%s' is not an ISO 8601 timestamp", now_s);
        }
        base = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    }
    int64_t mono0 = monotonic_s();
    ecl_resto_cont *sched;
    if (ecl_resto_cont_open(&sched, &o, base, &e)) {
        ecl_sink_free(sink);
        return cli_fail(&e);
    }
    char start[11];
    ecl_date_format(ecl_resto_cont_start_date(sched), start);
    ecl_log(ECL_LOG_INFO, "continuous", "schedule from %s, %d units, zone %s, lake '%s'%s", start, o.units,
            o.timezone, root, once ? ", once" : "");
    int rc = EXIT_OK;
    for (;;) {
        int64_t now = base + (monotonic_s() - mono0);
        uint64_t n;
        if (ecl_resto_cont_run_due(sched, now, on_window, &json, &n, &e)) {
            rc = e.code == ECL_EINTR ? EXIT_INTERRUPTED : cli_fail(&e);
            if (e.code == ECL_EINTR)
                cli_warn("%s", e.msg);
            break;
        }
        if (once) {
            if (n == 0)
                ecl_log(ECL_LOG_INFO, "continuous", "nothing due");
            break;
        }
        int64_t next;
        if (ecl_resto_cont_next_close(sched, now, &next, &e)) {
            rc = cli_fail(&e);
            break;
        }
        char when[32];
        int32_t d;
        int sod, off;
        if (ecl_tz_utc_to_local(o.timezone, next, &d, &sod, &off, &e) == 0) {
            ecl_date_format(d, when);
            ecl_log(ECL_LOG_DEBUG, "continuous", "next window closes %s %02d:%02d", when, sod / 3600,
                    sod / 60 % 60);
        }
        /* Sleep in short steps so a signal stops us promptly; a clock jump is caught up next turn. */
        while (!ecl_cancelled() && base + (monotonic_s() - mono0) < next) {
            struct timespec ts = {0, 200 * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (ecl_cancelled()) {
            ecl_log(ECL_LOG_INFO, "continuous", "stopping on signal");
            break;
        }
    }
    ecl_resto_cont_close(sched);
    ecl_sink_free(sink);
    if (rc == EXIT_OK && ecl_cancelled())
        ecl_cancel_flag = 0; /* a clean stop between windows is a success */
    return rc;
}
