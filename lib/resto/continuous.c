/* continuous.c - due-window computation, catch-up and the publish ledger of the scheduler. */
#include "continuous.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cancel.h"
#include "../db.h"
#include "../log.h"

struct ecl_resto_cont {
    ecl_db *db;
    ecl_resto_cont_opts o;
    char root[4096];
    char zone[128];
    int32_t start;
    ecl_resto_unit *units;
    bool reference_done;
};

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS continuous_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS continuous_windows ("
    " date TEXT NOT NULL, window TEXT NOT NULL, status TEXT NOT NULL, orders BIGINT, items BIGINT,"
    " files BIGINT, bytes BIGINT, published_at TEXT, catch_up INTEGER, PRIMARY KEY (date, window));";

int32_t ecl_resto_cont_start_date(const ecl_resto_cont *c) { return c->start; }

static int meta_get(ecl_db *db, const char *key, char *out, size_t n, bool *found, ecl_err *e)
{
    ecl_stmt *st;
    *found = false;
    if (ecl_db_prepare(db, &st, "SELECT value FROM continuous_meta WHERE key = ?", e))
        return e->code;
    ecl_stmt_bind_text(st, 1, key);
    bool row;
    int rc = ecl_stmt_next(st, &row, e);
    if (!rc && row) {
        snprintf(out, n, "%s", ecl_stmt_text(st, 0));
        *found = true;
    }
    ecl_stmt_free(st);
    return rc;
}

static int meta_put(ecl_db *db, const char *key, const char *value, ecl_err *e)
{
    const char *p[2] = {key, value};
    return ecl_db_execp(db, "INSERT INTO continuous_meta (key, value) VALUES (?, ?)", 2, p, NULL, e);
}

/* Records the settings on first use; checks them afterwards. */
static int check_meta(ecl_resto_cont *c, int64_t now, ecl_err *e)
{
    char units[24], seed[24], start[16];
    snprintf(units, sizeof units, "%d", c->o.units);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)c->o.seed);
    int32_t today, sod, off;
    if (ecl_tz_utc_to_local(c->zone, now, &today, &sod, &off, e))
        return e->code;
    ecl_date_format(c->o.since_set ? c->o.since : today, start);
    /* A state from before formats existed has no "format" key: it gets the current one. */
    enum { NKEYS = 5, START = NKEYS - 1 };
    const char *keys[NKEYS] = {"units", "seed", "timezone", "format", "start_date"};
    const char *vals[NKEYS] = {units, seed, c->zone, c->o.parquet ? "parquet" : "csv", start};
    const char *flags[NKEYS] = {"--units", "--seed", "--timezone", "--format", NULL};
    if (ecl_db_begin(c->db, e))
        return e->code;
    int rc = 0;
    for (int k = 0; k < NKEYS && !rc; k++) {
        char have[256];
        bool found;
        rc = meta_get(c->db, keys[k], have, sizeof have, &found, e);
        if (rc)
            break;
        if (!found)
            rc = meta_put(c->db, keys[k], vals[k], e);
        else if (k == START) {
            /* --since may move the start earlier (a backfill of the schedule), never later */
            if (c->o.since_set && strcmp(vals[k], have) < 0) {
                const char *p[1] = {vals[k]};
                rc = ecl_db_execp(c->db, "UPDATE continuous_meta SET value = ? WHERE key = 'start_date'",
                                  1, p, NULL, e);
            } else {
                snprintf(start, sizeof start, "%s", have);
            }
        } else if (strcmp(have, vals[k]) != 0)
            rc = ecl_err_set(e, ECL_ECONFIG, "the state was created with %s %s, not %s: use the same "
                             "settings or another --state", flags[k], have, vals[k]);
    }
    if (!rc)
        rc = ecl_db_commit(c->db, e);
    else
        ecl_db_rollback(c->db);
    if (!rc && ecl_date_parse(start, strlen(start), &c->start))
        rc = ecl_err_set(e, ECL_EFORMAT, "bad start_date '%s' in the state", start);
    return rc;
}

int ecl_resto_cont_open(ecl_resto_cont **out, const ecl_resto_cont_opts *o, int64_t now, ecl_err *e)
{
    *out = NULL;
    ecl_resto_cont *c = calloc(1, sizeof *c);
    if (!c)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory");
    c->o = *o;
    snprintf(c->root, sizeof c->root, "%s", o->root);
    snprintf(c->zone, sizeof c->zone, "%s", o->timezone ? o->timezone : "America/Sao_Paulo");
    c->o.root = c->root;
    c->o.timezone = c->zone;
    char url[4200];
    if (o->state_url)
        snprintf(url, sizeof url, "%s", o->state_url);
    else if (o->sink)
        return free(c), ecl_err_set(e, ECL_EINVAL, "a remote destination needs an explicit state (--state)");
    else
        snprintf(url, sizeof url, "sqlite:%s/.ecomlake-continuous.db", c->root);
    int rc = o->sink ? 0 : ecl_mkdirs(c->root, e);
    if (!rc)
        rc = ecl_resto_units(o->units, &c->units, e);
    if (!rc)
        rc = ecl_db_open(&c->db, url, e);
    if (!rc)
        rc = ecl_db_exec(c->db, schema_sql, e);
    if (!rc)
        rc = check_meta(c, now, e);
    if (rc) {
        ecl_resto_cont_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ecl_resto_cont_close(ecl_resto_cont *c)
{
    if (!c)
        return;
    ecl_db_close(c->db);
    free(c->units);
    free(c);
}

static int window_end(const ecl_resto_cont *c, int32_t date, const ecl_resto_window *w, int64_t *t,
                      ecl_err *e)
{
    return ecl_tz_local_to_utc(c->zone, date + (w->end_hour == 24), (w->end_hour % 24) * 3600, t, e);
}

static int is_published(ecl_resto_cont *c, const char *date, const char *tag, bool *yes, ecl_err *e)
{
    const char *p[2] = {date, tag};
    int64_t n = 0;
    bool found;
    int rc = ecl_db_query_int(c->db, "SELECT COUNT(*) FROM continuous_windows WHERE date = ? AND window = ? "
                              "AND status = 'published'", 2, p, &n, &found, e);
    *yes = n > 0;
    return rc;
}

static void utc_text(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Publishes one window under the state's write lock, unless someone already did. */
static int publish_one(ecl_resto_cont *c, int32_t date, const ecl_resto_window *w, int64_t now,
                       bool catch_up, ecl_resto_cont_event *ev, bool *done, ecl_err *e)
{
    char ds[11];
    ecl_date_format(date, ds);
    *done = false;
    if (ecl_db_begin(c->db, e))
        return e->code;
    bool yes;
    int rc = is_published(c, ds, w->tag, &yes, e);
    if (!rc && !yes) {
        ecl_resto_pub p = {.root = c->root, .sink = c->o.sink, .seed = c->o.seed, .timezone = c->zone,
                           .units = c->units, .nunits = c->o.units, .durable = c->o.durable,
                           .parquet = c->o.parquet};
        memset(&ev->stats, 0, sizeof ev->stats);
        if (!c->reference_done) {
            rc = ecl_resto_publish_reference(&p, NULL, e);
            c->reference_done = rc == 0;
        }
        if (!rc)
            rc = ecl_resto_publish_window(&p, date, w, &ev->stats, e);
        if (!rc) {
            char orders[24], items[24], files[24], bytes[24], at[32];
            snprintf(orders, sizeof orders, "%llu", (unsigned long long)ev->stats.orders);
            snprintf(items, sizeof items, "%llu", (unsigned long long)ev->stats.items);
            snprintf(files, sizeof files, "%llu", (unsigned long long)ev->stats.files);
            snprintf(bytes, sizeof bytes, "%llu", (unsigned long long)ev->stats.bytes);
            utc_text(now, at);
            const char *prm[8] = {ds, w->tag, orders, items, files, bytes, at, catch_up ? "1" : "0"};
            rc = ecl_db_execp(c->db,
                              "INSERT INTO continuous_windows (date, window, status, orders, items, files, "
                              "bytes, published_at, catch_up) VALUES (?, ?, 'published', CAST(? AS BIGINT), "
                              "CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), ?, CAST(? AS INTEGER))",
                              8, prm, NULL, e);
            *done = rc == 0;
        }
    }
    if (!rc)
        rc = ecl_db_commit(c->db, e);
    else
        ecl_db_rollback(c->db);
    if (rc)
        *done = false;
    return rc;
}

int ecl_resto_cont_run_due(ecl_resto_cont *c, int64_t now, ecl_resto_cont_cb cb, void *ctx,
                           uint64_t *published, ecl_err *e)
{
    if (published)
        *published = 0;
    int32_t today, sod, off;
    if (ecl_tz_utc_to_local(c->zone, now, &today, &sod, &off, e))
        return e->code;
    /* The latest closed window: anything older that is still missing is a catch-up. */
    int64_t latest = INT64_MIN;
    for (int32_t d = today - 1; d <= today; d++)
        for (int k = 0; k < ECL_RESTO_NWINDOWS; k++) {
            int64_t t;
            if (window_end(c, d, &ecl_resto_windows[k], &t, e))
                return e->code;
            if (t <= now && t > latest)
                latest = t;
        }
    for (int32_t d = c->start; d <= today; d++) {
        for (int k = 0; k < ECL_RESTO_NWINDOWS; k++) {
            const ecl_resto_window *w = &ecl_resto_windows[k];
            int64_t end;
            if (window_end(c, d, w, &end, e))
                return e->code;
            if (end > now)
                continue;
            char ds[11];
            ecl_date_format(d, ds);
            bool yes;
            if (is_published(c, ds, w->tag, &yes, e))
                return e->code;
            if (yes)
                continue;
            if (ecl_cancelled())
                return ecl_err_set(e, ECL_EINTR, "interrupted before window %s %s", ds, w->tag);
            ecl_resto_cont_event ev = {d, w, {0}, end != latest, end};
            bool done;
            if (publish_one(c, d, w, now, ev.catch_up, &ev, &done, e))
                return e->code;
            if (done) {
                if (published)
                    (*published)++;
                if (cb)
                    cb(&ev, ctx);
            }
        }
    }
    return 0;
}

int ecl_resto_cont_next_close(ecl_resto_cont *c, int64_t now, int64_t *next, ecl_err *e)
{
    int32_t today, sod, off;
    if (ecl_tz_utc_to_local(c->zone, now, &today, &sod, &off, e))
        return e->code;
    *next = INT64_MAX;
    for (int32_t d = today - 1; d <= today + 2; d++)
        for (int k = 0; k < ECL_RESTO_NWINDOWS; k++) {
            int64_t t;
            if (window_end(c, d, &ecl_resto_windows[k], &t, e))
                return e->code;
            if (t > now && t < *next)
                *next = t;
        }
    return 0;
}
