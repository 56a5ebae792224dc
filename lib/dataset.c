/* dataset.c - the generic half of dataset.h: dispatch by dataset name, the accessors every model
 * shares, cursor bookkeeping (duplicates, row-level mess log) and messiness counts. */
#include "dataset.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/* Built-in datasets. A new model adds one line here. */
static const struct {
    const char *name;
    ecl_model_open_fn open;
} k_datasets[] = {
    {"ecom", ecl_ecom_open},
    {"restaurant", ecl_resto_open},
};

int ecl_model_open(ecl_model **mp, const ecl_model_opts *o, ecl_err *e)
{
    *mp = NULL;
    const char *name = o && o->dataset ? o->dataset : "ecom";
    for (size_t i = 0; i < sizeof k_datasets / sizeof k_datasets[0]; i++) {
        if (strcmp(k_datasets[i].name, name) != 0)
            continue;
        ecl_model *m = calloc(1, sizeof *m);
        if (!m)
            return ecl_err_set(e, ECL_ENOMEM, "out of memory opening dataset '%s'", name);
        ecl_model_opts def = {0};
        int rc = k_datasets[i].open(m, o ? o : &def, e);
        if (rc) {
            if (m->ops && m->ops->free)
                m->ops->free(m);
            free(m);
            return rc;
        }
        *mp = m;
        return 0;
    }
    char known[256] = "";
    for (size_t i = 0; i < sizeof k_datasets / sizeof k_datasets[0]; i++) {
        if (i)
            strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, k_datasets[i].name, sizeof known - strlen(known) - 1);
    }
    return ecl_err_set(e, ECL_EINVAL, "unknown dataset '%s' (known: %s)", name, known);
}

void ecl_model_free(ecl_model *m)
{
    if (!m)
        return;
    if (m->ops && m->ops->free)
        m->ops->free(m);
    free(m);
}

size_t ecl_model_ntables(const ecl_model *m) { return m->ntables; }

const ecl_model_table *ecl_model_table_at(const ecl_model *m, size_t i)
{
    return i < m->ntables ? &m->tables[i] : NULL;
}

int ecl_model_table_index(const ecl_model *m, const char *name)
{
    for (size_t i = 0; i < m->ntables; i++)
        if (strcmp(m->tables[i].name, name) == 0)
            return (int)i;
    return -1;
}

int32_t ecl_model_epoch(const ecl_model *m) { return m->epoch; }
uint64_t ecl_model_seed(const ecl_model *m) { return m->seed; }
const char *ecl_model_messiness(const ecl_model *m) { return m->messiness; }
const char *ecl_model_config_hash(const ecl_model *m) { return m->config_hash; }
const char *ecl_model_version(const ecl_model *m) { return m->version; }

int ecl_model_emit_static_mess(ecl_model *m, size_t table, ecl_batch *out, ecl_mess_counts *counts,
                               ecl_buf *mess_log, ecl_err *e)
{
    if (table >= m->ntables || m->tables[table].kind != ECL_TABLE_STATIC)
        return ecl_err_set(e, ECL_EINVAL, "table %zu is not a static table", table);
    return m->ops->emit_static(m, table, out, counts, mess_log, e);
}

int ecl_model_emit_static(ecl_model *m, size_t table, ecl_batch *out, ecl_err *e)
{
    return ecl_model_emit_static_mess(m, table, out, NULL, NULL, e);
}

int ecl_cursor_open(ecl_cursor **c, ecl_model *m, int32_t start, ecl_err *e)
{
    *c = NULL;
    if (start < m->epoch) {
        char d[11], ep[11];
        ecl_date_format(start, d);
        ecl_date_format(m->epoch, ep);
        return ecl_err_set(e, ECL_EINVAL, "start day %s is before the dataset epoch %s", d, ep);
    }
    return m->ops->cursor_open(c, m, start, e);
}

int ecl_cursor_step(ecl_cursor *c, bool emit, ecl_batch *out, ecl_mess_counts *counts, ecl_err *e)
{
    ecl_cursor_reset_dups(c);
    return c->m->ops->cursor_step(c, emit, out, counts, e);
}

int32_t ecl_cursor_day(const ecl_cursor *c) { return c->day; }

void ecl_cursor_free(ecl_cursor *c)
{
    if (c)
        c->m->ops->cursor_free(c);
}

void ecl_cursor_set_mess_log(ecl_cursor *c, ecl_buf *out) { c->mess_log = out; }

int ecl_cursor_base_init(ecl_cursor *c, ecl_model *m, int32_t day, ecl_err *e)
{
    c->m = m;
    c->day = day;
    c->mess_log = NULL;
    c->dups = calloc(m->ntables ? m->ntables : 1, sizeof *c->dups);
    if (!c->dups)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory opening a cursor");
    return 0;
}

void ecl_cursor_base_release(ecl_cursor *c)
{
    if (!c->dups)
        return;
    for (size_t i = 0; i < c->m->ntables; i++) {
        free(c->dups[i].rows);
        free(c->dups[i].seq);
    }
    free(c->dups);
    c->dups = NULL;
}

void ecl_cursor_reset_dups(ecl_cursor *c)
{
    for (size_t i = 0; c->dups && i < c->m->ntables; i++)
        c->dups[i].n = 0;
}

int ecl_cursor_note_dup(ecl_cursor *c, size_t table, size_t row, uint32_t seq)
{
    if (table >= c->m->ntables)
        return ECL_EINVAL;
    ecl_dup_list *d = &c->dups[table];
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        size_t *r = realloc(d->rows, nc * sizeof *r);
        if (!r)
            return ECL_ENOMEM;
        d->rows = r;
        uint32_t *s = realloc(d->seq, nc * sizeof *s);
        if (!s)
            return ECL_ENOMEM;
        d->seq = s;
        d->cap = nc;
    }
    d->rows[d->n] = row;
    d->seq[d->n] = seq;
    d->n++;
    return 0;
}

uint32_t ecl_cursor_dup_seq(const ecl_cursor *c, size_t table, size_t row)
{
    if (!c->dups || table >= c->m->ntables)
        return 0;
    const ecl_dup_list *d = &c->dups[table];
    /* rows are noted in increasing order: binary search */
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->rows[mid] < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < d->n && d->rows[lo] == row ? d->seq[lo] : 0;
}

/* ---- messiness counts ---- */

void ecl_mess_counts_clear(ecl_mess_counts *c) { c->n = 0; }

void ecl_mess_counts_release(ecl_mess_counts *c)
{
    free(c->items);
    c->items = NULL;
    c->n = c->cap = 0;
}

static bool same(const char *a, const char *b) { return a == b || (a && b && strcmp(a, b) == 0); }

int ecl_mess_counts_add(ecl_mess_counts *c, const char *table, const char *column, const char *kind,
                        uint64_t n)
{
    for (size_t i = 0; i < c->n; i++) {
        ecl_mess_count *it = &c->items[i];
        if (same(it->table, table) && same(it->column, column) && same(it->kind, kind)) {
            it->count += n;
            return 0;
        }
    }
    if (ecl_array_grow((void **)&c->items, &c->cap, c->n, sizeof *c->items))
        return ECL_ENOMEM;
    c->items[c->n++] = (ecl_mess_count){table, column, kind, n};
    return 0;
}

uint64_t ecl_mess_counts_get(const ecl_mess_counts *c, const char *table, const char *column,
                             const char *kind)
{
    uint64_t t = 0;
    for (size_t i = 0; i < c->n; i++) {
        const ecl_mess_count *it = &c->items[i];
        if ((!table || same(it->table, table)) && (!column || same(it->column, column)) &&
            (!kind || same(it->kind, kind)))
            t += it->count;
    }
    return t;
}

int ecl_mess_counts_merge(ecl_mess_counts *dst, const ecl_mess_counts *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = ecl_mess_counts_add(dst, src->items[i].table, src->items[i].column, src->items[i].kind,
                                     src->items[i].count);
        if (rc)
            return rc;
    }
    return 0;
}
