/* resto.h - the MR. HEALTH restaurant chain as a deterministic model.
 *
 * Reference data (countries, states, units, the 30 products with their prices) is fixed; sales are
 * generated per (date, unit, business window). Every draw comes from the counter-based RNG keyed by
 * (seed, date, unit, window, sequence), so a window generated alone, again, or inside a 90-day run is
 * byte-identical, and order/item IDs (UUID-shaped, derived from the same key) deduplicate.
 *
 * Differences from the original, on purpose: one window table including 22-24 (tag window_2224),
 * unknown windows rejected; each order has a timestamp inside its window (Data_Hora_Pedido); delivery
 * addresses lie in the unit's own city and state; unit names are unique; surplus units are assigned
 * deterministically instead of randomly. */
#ifndef ECL_RESTO_H
#define ECL_RESTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../column.h"
#include "../err.h"
#include "../io.h"

enum { ECL_RESTO_NPRODUCTS = 30, ECL_RESTO_NSTATES = 3, ECL_RESTO_NWINDOWS = 7,
       ECL_RESTO_NOBSERVATIONS = 15, ECL_RESTO_MAX_UNITS = 100000 };

typedef struct ecl_resto_product {
    int id;
    const char *name;
    int64_t price_cents;
} ecl_resto_product;

typedef struct ecl_resto_state {
    int id;
    int country_id;
    const char *name;
    const char *abbrev;
    double share;
    const char *const *cities;
    size_t ncities;
    int cep_lo, cep_hi; /* first five CEP digits of the state's postal range */
} ecl_resto_state;

typedef struct ecl_resto_unit {
    int id;
    int state_id;
    const char *city;
    char name[96];
} ecl_resto_unit;

typedef struct ecl_resto_window {
    int start_hour, end_hour; /* end 24 = midnight */
    int min_orders, max_orders;
    const char *label;
    const char *tag; /* "window_1214" */
} ecl_resto_window;

extern const ecl_resto_product ecl_resto_products[ECL_RESTO_NPRODUCTS];
extern const ecl_resto_state ecl_resto_states[ECL_RESTO_NSTATES];
extern const ecl_resto_window ecl_resto_windows[ECL_RESTO_NWINDOWS];
extern const char *const ecl_resto_observations[ECL_RESTO_NOBSERVATIONS];
extern const char *const ecl_resto_statuses[3];
extern const char *const ecl_resto_order_types[2];
#define ECL_RESTO_COUNTRY_ID 1
#define ECL_RESTO_COUNTRY_NAME "Brasil"

const ecl_resto_product *ecl_resto_product_by_id(int id);
const ecl_resto_state *ecl_resto_state_by_id(int id);
/* The window with exactly these hours (end 0 means 24), or NULL. */
const ecl_resto_window *ecl_resto_window_find(int start_hour, int end_hour);
/* The window starting at hour, or NULL: the business-hours (skip) rule. */
const ecl_resto_window *ecl_resto_window_starting(int hour);
/* Parses "HH:MM" (minutes must be 00; "24:00" allowed) into an hour. */
int ecl_resto_parse_hhmm(const char *s, int *hour, ecl_err *e);

/* The unit list for n units (1..ECL_RESTO_MAX_UNITS): ids 1..n, state shares 0.40/0.35/0.25 with
 * half-even rounding as the original, surplus units dealt to the states in turn. Names are unique. */
int ecl_resto_units(int n, ecl_resto_unit **units, ecl_err *e);

/* Schemas of the two sales tables and the four reference tables, in CSV column order. */
typedef enum ecl_resto_table {
    ECL_RESTO_PEDIDO,
    ECL_RESTO_ITEM_PEDIDO,
    ECL_RESTO_PRODUTO,
    ECL_RESTO_UNIDADE,
    ECL_RESTO_ESTADO,
    ECL_RESTO_PAIS,
    ECL_RESTO_NTABLES
} ecl_resto_table;

const ecl_schema *ecl_resto_schema(ecl_resto_table t);
const char *ecl_resto_table_file(ecl_resto_table t); /* "pedido", "item_pedido", "produto", ... */

/* Generation context: the time zone converts the window's local hours to UTC instants. */
typedef struct ecl_resto_gen {
    uint64_t seed;
    const char *timezone; /* NULL = "America/Sao_Paulo" */
} ecl_resto_gen;

/* Appends one (date, unit, window)'s orders and items to the two batches (initialised with the
 * pedido and item_pedido schemas). */
int ecl_resto_gen_window(const ecl_resto_gen *g, int32_t date, const ecl_resto_unit *u,
                         const ecl_resto_window *w, ecl_batch *orders, ecl_batch *items, ecl_err *e);
/* The window's start and end as UTC seconds (its local hours through the tz database). */
int ecl_resto_window_span(const char *zone, int32_t date, const ecl_resto_window *w, int64_t *t0,
                          int64_t *t1, ecl_err *e);
/* ecl_resto_gen_window with the span already computed (one time-zone lookup per window, not per
 * unit); gives the same rows. */
int ecl_resto_gen_window_span(const ecl_resto_gen *g, int32_t date, const ecl_resto_unit *u,
                              const ecl_resto_window *w, int64_t t0, int64_t t1, ecl_batch *orders,
                              ecl_batch *items, ecl_err *e);
/* Appends all rows of a reference table. */
int ecl_resto_gen_reference(ecl_resto_table t, const ecl_resto_unit *units, int nunits,
                            ecl_batch *out, ecl_err *e);

/* The deterministic IDs, exposed for tests: 36-character UUID-shaped strings (version 8). */
void ecl_resto_order_id(uint64_t seed, int32_t date, int unit, int window_start, int seq, char out[37]);
void ecl_resto_item_id(uint64_t seed, int32_t date, int unit, int window_start, int seq, int item,
                       char out[37]);

/* Writes a batch in the original's CSV dialect: ';' separated, header, LF, money with 2 decimals,
 * timestamps as local ISO 8601 with the zone's offset ("2026-02-01T12:34:56-03:00"). Fields never
 * need quoting for generated data; a field holding ';', '"' or a newline is quoted anyway. */
int ecl_resto_write_csv(ecl_out *o, const ecl_batch *b, const char *timezone, ecl_err *e);

/* Time zones through the system tz database. Not thread-safe with other users of TZ (setenv + tzset
 * under a lock of our own; the previous TZ is restored). */
int ecl_tz_local_to_utc(const char *zone, int32_t date, int seconds_of_day, int64_t *utc_seconds,
                        ecl_err *e);
/* Local civil time of a UTC instant: date, seconds of day and the UTC offset in seconds. */
int ecl_tz_utc_to_local(const char *zone, int64_t utc_seconds, int32_t *date, int *seconds_of_day,
                        int *offset_seconds, ecl_err *e);
int ecl_tz_check(const char *zone, ecl_err *e); /* ECL_EINVAL if the zone is not in the database */

#endif
