/* resto_dataset.c - the restaurant chain behind the generic dataset contract (dataset.h), so backfill
 * and every other dataset-driven command can publish it day by day into the raw zone.
 *
 * Tables, with the column names the chain's files use (the raw zone keeps what lands; bronze
 * lowercases them):
 *   orders       daily  ingest_dt  the pedido rows of the day's seven windows, every unit
 *   order_items  daily  ingest_dt  the item_pedido rows of the same orders
 *   products, units, states, countries  static: one snapshot partition each,
 *                reference_version=1 (the reference data is fixed by the model; a changed catalogue
 *                would land as a new version beside the old one)
 * A day is the concatenation, window by window and unit by unit, of exactly what `ecomlake window`
 * generates for that date, units and seed, so raw-zone rows and window files agree. The model keeps
 * no state across days: seeking is free and any chunking or sharding gives the same partitions.
 *
 * Config (YAML, all optional): seed, units (1..100000, default 50), timezone (tz database name,
 * default America/Sao_Paulo), epoch (first date, default 1970-01-01). No messiness levels yet:
 * anything but "none" is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../dataset.h"
#include "../hash.h"
#include "../version.h"
#include "../yamlcfg.h"
#include "resto.h"

enum { T_ORDERS, T_ITEMS, T_PRODUCTS, T_UNITS, T_STATES, T_COUNTRIES, T_N };

#define REFERENCE_VERSION 1

typedef struct rs_model {
    ecl_model_table tables[T_N];
    ecl_resto_unit *units;
    int nunits;
    char zone[128];
} rs_model;

typedef struct rs_cursor {
    ecl_cursor base; /* first: the generic code sees an ecl_cursor */
} rs_cursor;

static const struct {
    const char *name;
    ecl_table_kind kind;
    ecl_resto_table source;
    const char *pk, *event_time;
} k_tables[T_N] = {
    {"orders", ECL_TABLE_DAILY, ECL_RESTO_PEDIDO, "Id_Pedido", "Data_Hora_Pedido"},
    {"order_items", ECL_TABLE_DAILY, ECL_RESTO_ITEM_PEDIDO, "Id_Item_Pedido", NULL},
    {"products", ECL_TABLE_STATIC, ECL_RESTO_PRODUTO, "Id_Produto", NULL},
    {"units", ECL_TABLE_STATIC, ECL_RESTO_UNIDADE, "Id_Unidade", NULL},
    {"states", ECL_TABLE_STATIC, ECL_RESTO_ESTADO, "Id_Estado", NULL},
    {"countries", ECL_TABLE_STATIC, ECL_RESTO_PAIS, "Id_Pais", NULL},
};

static void rs_free(ecl_model *m)
{
    rs_model *M = m->impl;
    if (!M)
        return;
    for (int t = 0; t < T_N; t++)
        ecl_schema_release(&M->tables[t].schema);
    free(M->units);
    free(M);
    m->impl = NULL;
}

static int rs_emit_static(ecl_model *m, size_t table, ecl_batch *out, ecl_mess_counts *counts,
                          ecl_buf *mess_log, ecl_err *e)
{
    (void)counts;
    (void)mess_log;
    rs_model *M = m->impl;
    ecl_resto_table src = k_tables[table].source;
    size_t rows = src == ECL_RESTO_PRODUTO   ? ECL_RESTO_NPRODUCTS
                  : src == ECL_RESTO_UNIDADE ? (size_t)M->nunits
                  : src == ECL_RESTO_ESTADO  ? ECL_RESTO_NSTATES
                                             : 1;
    /* The snapshot column first: ecl_resto_gen_reference fills the others and seals the batch. */
    ecl_column *vc = &out->cols[out->schema->nfields - 1];
    for (size_t i = 0; i < rows; i++)
        if (ecl_col_push_i32(vc, REFERENCE_VERSION))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory building '%s'", k_tables[table].name);
    return ecl_resto_gen_reference(src, M->units, M->nunits, out, e);
}

static int rs_cursor_open(ecl_cursor **cp, ecl_model *m, int32_t start, ecl_err *e)
{
    rs_cursor *c = calloc(1, sizeof *c);
    if (!c)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a cursor");
    if (ecl_cursor_base_init(&c->base, m, start, e)) {
        free(c);
        return e->code;
    }
    *cp = &c->base;
    return 0;
}

static int rs_cursor_step(ecl_cursor *c, bool emit, ecl_batch *out, ecl_mess_counts *counts, ecl_err *e)
{
    (void)counts;
    rs_model *M = c->m->impl;
    int32_t day = c->day;
    if (emit) {
        ecl_resto_gen g = {c->m->seed, M->zone};
        for (int k = 0; k < ECL_RESTO_NWINDOWS; k++) {
            const ecl_resto_window *w = &ecl_resto_windows[k];
            int64_t t0, t1;
            if (ecl_resto_window_span(M->zone, day, w, &t0, &t1, e))
                return e->code;
            for (int u = 0; u < M->nunits; u++)
                if (ecl_resto_gen_window_span(&g, day, &M->units[u], w, t0, t1, &out[T_ORDERS],
                                              &out[T_ITEMS], e))
                    return e->code;
        }
    }
    c->day = day + 1;
    return 0;
}

static void rs_cursor_free(ecl_cursor *c)
{
    ecl_cursor_base_release(c);
    free(c);
}

static const ecl_model_ops k_rs_ops = {rs_free, rs_emit_static, rs_cursor_open, rs_cursor_step,
                                       rs_cursor_free};

/* Reads the optional config file into the settings. */
static int load_config(const char *path, uint64_t *seed, int *units, char *zone, size_t zn,
                       int32_t *epoch, ecl_err *e)
{
    ecl_ydoc *doc = NULL;
    int rc = ecl_ydoc_load_file(&doc, path, e);
    if (rc)
        return rc;
    const ecl_ynode *root = ecl_ydoc_root(doc);
    static const char *const allowed[] = {"seed", "units", "timezone", "epoch", NULL};
    int64_t v;
    const char *s;
    if (!ecl_y_is_null(root))
        rc = ecl_y_expect_map(root, e);
    if (!rc)
        ecl_y_check_keys(root, allowed, NULL, NULL);
    if (!rc && !(rc = ecl_y_opt_int(root, "seed", (int64_t)*seed, &v, e))) {
        if (v < 0)
            rc = ecl_y_error(ecl_y_get(root, "seed"), e, "expected a seed >= 0");
        *seed = (uint64_t)v;
    }
    if (!rc && ecl_y_get(root, "units")) {
        rc = ecl_y_int_range(ecl_y_get(root, "units"), 1, ECL_RESTO_MAX_UNITS, &v, e);
        *units = (int)v;
    }
    if (!rc && !(rc = ecl_y_opt_str(root, "timezone", zone, &s, e))) {
        ecl_err te = ECL_ERR_INIT;
        if (ecl_tz_check(s, &te))
            rc = ecl_y_error(ecl_y_get(root, "timezone"), e, "%s", te.msg);
        else
            snprintf(zone, zn, "%s", s);
    }
    if (!rc && ecl_y_get(root, "epoch"))
        rc = ecl_y_date(ecl_y_get(root, "epoch"), epoch, e);
    ecl_ydoc_free(doc);
    return rc;
}

int ecl_resto_open(ecl_model *m, const ecl_model_opts *o, ecl_err *e)
{
    rs_model *M = calloc(1, sizeof *M);
    if (!M)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening the restaurant model");
    m->ops = &k_rs_ops;
    m->impl = M;
    uint64_t seed = 0;
    int units = 50;
    int32_t epoch = 0;
    snprintf(M->zone, sizeof M->zone, "America/Sao_Paulo");
    int rc = 0;
    if (o->config_path)
        rc = load_config(o->config_path, &seed, &units, M->zone, sizeof M->zone, &epoch, e);
    if (rc)
        return rc;
    if (o->seed_set)
        seed = o->seed;
    if (o->messiness && strcmp(o->messiness, "none") != 0)
        return ecl_err_set(e, ECL_EINVAL,
                           "messiness level '%s' is not available for the restaurant dataset (only 'none')",
                           o->messiness);
    if ((rc = ecl_resto_units(units, &M->units, e)))
        return rc;
    M->nunits = units;
    for (int t = 0; t < T_N; t++) {
        ecl_model_table *mt = &M->tables[t];
        mt->name = k_tables[t].name;
        mt->kind = k_tables[t].kind;
        mt->partition_key = mt->kind == ECL_TABLE_DAILY ? "ingest_dt" : "reference_version";
        mt->primary_key = k_tables[t].pk;
        mt->event_time_column = k_tables[t].event_time;
        if (ecl_schema_copy(&mt->schema, ecl_resto_schema(k_tables[t].source)) ||
            (mt->kind == ECL_TABLE_STATIC && ecl_schema_add(&mt->schema, "reference_version", ECL_T_INT32, false)))
            return ecl_err_set(e, ECL_ENOMEM, "out of memory opening the restaurant model");
    }
    m->tables = M->tables;
    m->ntables = T_N;
    m->epoch = epoch;
    m->seed = seed;
    snprintf(m->messiness, sizeof m->messiness, "none");
    m->version = ECL_WRITER_NAME " restaurant-model 1";
    /* The knobs that shape the rows (the seed is recorded on its own, as for ecom). */
    char canon[256], epoch_s[11];
    ecl_date_format(epoch, epoch_s);
    int n = snprintf(canon, sizeof canon, "dataset=restaurant\nunits=%d\ntimezone=%s\nepoch=%s\nreference_version=%d\n",
                     units, M->zone, epoch_s, REFERENCE_VERSION);
    uint8_t h[32];
    ecl_sha256(canon, (size_t)n, h);
    ecl_hex(h, 32, m->config_hash);
    return 0;
}
