/* continuous.h - the scheduler behind `ecomlake continuous`: generate each business window when it
 * closes, catch up windows missed while down, never publish a window twice.
 *
 * State lives in a small database (db.h URL, a SQLite file by default) with two tables:
 *   continuous_meta(key, value)         start_date, units, seed, timezone, format of this schedule
 *   continuous_windows(date, window, status, orders, items, files, bytes, published_at, catch_up)
 * A window is due when its end instant (local hours in the schedule's time zone, through the tz
 * database, so DST zones work) is at or before "now" and it has no row. Each window is published
 * (atomically, resto_publish.h) and recorded inside one write transaction on the state, so two
 * schedulers sharing a state file cannot both publish it; a crash between the publish and the
 * record republishes byte-identical files. The schedule starts at the local day of the first run
 * (the whole day is generated) or at an explicit since-date. */
#ifndef ECL_RESTO_CONTINUOUS_H
#define ECL_RESTO_CONTINUOUS_H

#include <stdbool.h>
#include <stdint.h>

#include "../err.h"
#include "resto_publish.h"

typedef struct ecl_resto_cont ecl_resto_cont;

typedef struct ecl_resto_cont_opts {
    const char *root;      /* lake root (a URL, for messages, when sink is set) */
    ecl_sink *sink;        /* NULL = local files under root; else object storage (state_url needed) */
    const char *state_url; /* db.h URL of the state; NULL = sqlite:ROOT/.ecomlake-continuous.db */
    const char *timezone;  /* NULL = America/Sao_Paulo */
    int units;
    uint64_t seed;
    int32_t since; /* first business date to generate */
    bool since_set;
    bool durable;
    bool parquet; /* Parquet windows instead of CSV (pinned by the state like units and seed) */
} ecl_resto_cont_opts;

typedef struct ecl_resto_cont_event {
    int32_t date;
    const ecl_resto_window *window;
    ecl_resto_pub_stats stats;
    bool catch_up; /* not the most recently closed window */
    int64_t closed_at; /* UTC seconds */
} ecl_resto_cont_event;

typedef void (*ecl_resto_cont_cb)(const ecl_resto_cont_event *ev, void *ctx);

/* Opens (creating if needed) the state; the first open records the schedule's start and settings,
 * later opens must use the same units, seed, time zone and format (ECL_ECONFIG otherwise). now is UTC
 * seconds, used for the start date of a new schedule. */
int ecl_resto_cont_open(ecl_resto_cont **c, const ecl_resto_cont_opts *o, int64_t now, ecl_err *e);
void ecl_resto_cont_close(ecl_resto_cont *c);
/* Publishes every due window (oldest first) at instant now; cb is called after each. Polls
 * ecl_cancelled() between windows. */
int ecl_resto_cont_run_due(ecl_resto_cont *c, int64_t now, ecl_resto_cont_cb cb, void *ctx,
                           uint64_t *published, ecl_err *e);
/* The next instant after now at which a window closes. */
int ecl_resto_cont_next_close(ecl_resto_cont *c, int64_t now, int64_t *next, ecl_err *e);
/* The schedule's first date. */
int32_t ecl_resto_cont_start_date(const ecl_resto_cont *c);

#endif
