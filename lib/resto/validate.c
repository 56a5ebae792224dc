/* validate.c - validation of landed restaurant CSV files (see validate.h for the rules). */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../buf.h"
#include "../csv.h"
#include "resto.h"

/* Beyond this many problems per window only the count grows: the file is clearly not sales data. */
enum { MAX_PROBLEMS = 20000 };

void ecl_resto_problems_release(ecl_resto_problems *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].file);
        free(p->v[i].column);
        free(p->v[i].message);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

int ecl_resto_problem_add(ecl_resto_problems *p, const char *file, uint64_t line, const char *column,
                          const char *rule, const char *fmt, ...)
{
    if (p->n >= MAX_PROBLEMS)
        return 0;
    if (ecl_array_grow((void **)&p->v, &p->cap, p->n, sizeof *p->v))
        return ECL_ENOMEM;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ecl_resto_problem *q = &p->v[p->n];
    q->file = strdup(file ? file : "");
    q->line = line;
    q->column = column ? strdup(column) : NULL;
    q->rule = rule;
    q->message = strdup(msg);
    if (!q->file || !q->message || (column && !q->column)) {
        free(q->file);
        free(q->column);
        free(q->message);
        return ECL_ENOMEM;
    }
    p->n++;
    return 0;
}

/* ---- small helpers ---- */

static char *dup_field(const ecl_csv_field *f)
{
    if (f->n == 0)
        return NULL;
    char *s = malloc(f->n + 1);
    if (s) {
        memcpy(s, f->p, f->n);
        s[f->n] = 0;
    }
    return s;
}

static bool parse_i64(const char *s, size_t n, int64_t *v)
{
    size_t i = 0;
    bool neg = false;
    if (n > 0 && (s[0] == '-' || s[0] == '+'))
        neg = s[i++] == '-';
    if (i == n || n - i > 18)
        return false;
    int64_t x = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = neg ? -x : x;
    return true;
}

/* Money: digits with an optional sign and at most 2 decimals, as the generator writes it. */
static bool parse_money(const char *s, size_t n, int64_t *cents)
{
    const char *why;
    return n > 0 && ecl_parse_decimal(s, n, 12, 2, cents, &why) == 0;
}

static bool in_sorted(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && v[lo] == x;
}

/* String -> first index map (open addressing), for duplicate ids and item -> order lookups. */
typedef struct idmap {
    size_t *slots; /* index + 1, 0 = empty */
    size_t mask;
} idmap;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

static int idmap_init(idmap *m, size_t n)
{
    size_t cap = 16;
    while (cap < n * 2 + 2)
        cap *= 2;
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    return m->slots ? 0 : ECL_ENOMEM;
}

/* Returns the index already stored for key, or stores idx and returns SIZE_MAX. */
static size_t idmap_put(idmap *m, char *const *keys, const char *key, size_t idx, bool insert)
{
    for (size_t h = hash_str(key) & m->mask;; h = (h + 1) & m->mask) {
        if (m->slots[h] == 0) {
            if (insert)
                m->slots[h] = idx + 1;
            return SIZE_MAX;
        }
        if (strcmp(keys[m->slots[h] - 1], key) == 0)
            return m->slots[h] - 1;
    }
}

/* ---- path info ---- */

static bool digits(const char *s, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

void ecl_resto_parse_path(const char *rel, ecl_resto_path_info *pi)
{
    pi->date = INT32_MIN;
    pi->unit = -1;
    pi->window_start = pi->window_end = -1;
    const char *p = strstr(rel, "csv_sales/");
    if (!p)
        return;
    p += 10;
    int y, m, d;
    if (strlen(p) >= 11 && digits(p, 4, &y) && p[4] == '/' && digits(p + 5, 2, &m) && p[7] == '/' &&
        digits(p + 8, 2, &d) && p[10] == '/' && ecl_date_valid(y, m, d)) {
        pi->date = ecl_days_from_civil(y, m, d);
        p += 11;
    } else {
        return;
    }
    if (strncmp(p, "unit_", 5) == 0) {
        int64_t u = 0;
        const char *q = p + 5;
        int nd = 0;
        while (*q >= '0' && *q <= '9' && nd < 9)
            u = u * 10 + (*q++ - '0'), nd++;
        if (nd > 0 && *q == '/') {
            pi->unit = u;
            p = q + 1;
        } else {
            return;
        }
    }
    int a, b;
    if (strncmp(p, "window_", 7) == 0 && digits(p + 7, 2, &a) && digits(p + 9, 2, &b) && p[11] == '/') {
        pi->window_start = a;
        pi->window_end = b;
    }
}

/* ---- reading one file ---- */

typedef struct colspec {
    const char *name;
    bool required; /* column must exist */
} colspec;

typedef struct reader_ctx {
    ecl_csv_reader *r;
    const char *path;
    ecl_resto_problems *pr;
    int idx[16];
    bool fatal;
} reader_ctx;

static const char *classify(const ecl_err *err)
{
    if (err->code == ECL_EINVAL)
        return "field_count";
    return strstr(err->msg, "UTF-8") ? "encoding" : "malformed";
}

/* Strips the reader's "NAME:LINE:COL: " prefix: the problem carries those separately. */
static const char *bare_message(const char *msg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(msg, name, n) == 0 && msg[n] == ':') {
        const char *p = strchr(msg + n + 1, ':');
        if (p && (p = strchr(p + 1, ':')))
            return p[1] == ' ' ? p + 2 : p + 1;
    }
    return msg;
}

static int open_file(reader_ctx *c, const char *path, const uint8_t *data, size_t n,
                     const colspec *cols, size_t ncols, ecl_err *e)
{
    ecl_csv_dialect d;
    ecl_csv_dialect_default(&d);
    d.delimiter = ';';
    c->path = path;
    c->fatal = false;
    ecl_err ie = ECL_ERR_INIT;
    int rc = ecl_csv_open_mem(&c->r, path, data, n, &d, &ie);
    if (rc == ECL_ENOMEM)
        return ecl_err_set(e, ECL_ENOMEM, "%s", ie.msg);
    if (rc) {
        c->fatal = true;
        return ecl_resto_problem_add(c->pr, path, 1, NULL, classify(&ie), "%s",
                                     bare_message(ie.msg, path));
    }
    const ecl_csv_field *h;
    size_t nh;
    ecl_csv_header(c->r, &h, &nh);
    if (nh == 0) {
        c->fatal = true;
        return ecl_resto_problem_add(c->pr, path, 0, NULL, "empty_file", "the file has no header row");
    }
    for (size_t j = 0; j < ncols; j++) {
        c->idx[j] = -1;
        for (size_t k = 0; k < nh; k++)
            if (h[k].n == strlen(cols[j].name) && memcmp(h[k].p, cols[j].name, h[k].n) == 0) {
                c->idx[j] = (int)k;
                break;
            }
        if (c->idx[j] < 0 && cols[j].required) {
            c->fatal = true;
            if (ecl_resto_problem_add(c->pr, path, 1, cols[j].name, "missing_column",
                                      "required column '%s' is missing from the header (is the "
                                      "delimiter ';'?)", cols[j].name))
                return ECL_ENOMEM;
        }
    }
    return 0;
}

/* Next record: 1 with fields, 0 at the end, -1 on allocation failure. Bad records become problems. */
static int next_record(reader_ctx *c, const ecl_csv_field **f, size_t *nf, ecl_err *e)
{
    for (;;) {
        ecl_err ie = ECL_ERR_INIT;
        int rc = ecl_csv_next(c->r, f, nf, &ie);
        if (rc == 0)
            return 1;
        if (rc == ECL_ENOTFOUND)
            return 0;
        if (rc == ECL_ENOMEM) {
            ecl_err_set(e, ECL_ENOMEM, "%s", ie.msg);
            return -1;
        }
        if (ecl_resto_problem_add(c->pr, c->path, ecl_csv_line(c->r), NULL, classify(&ie), "%s",
                                  bare_message(ie.msg, c->path))) {
            ecl_err_set(e, ECL_ENOMEM, "out of memory recording problems");
            return -1;
        }
    }
}

#define PROBLEM(...)                                                                               \
    do {                                                                                           \
        if (ecl_resto_problem_add(pr, __VA_ARGS__))                                                \
            goto oom;                                                                              \
    } while (0)

/* ---- pedido.csv ---- */

enum { P_UNIT, P_ID, P_TYPE, P_DATE, P_VALUE, P_ADDR, P_FEE, P_STATUS, P_TS, P_N };
static const colspec pedido_cols[P_N] = {
    {"Id_Unidade", true}, {"Id_Pedido", true},        {"Tipo_Pedido", true},
    {"Data_Pedido", true}, {"Vlr_Pedido", true},      {"Endereco_Entrega", true},
    {"Taxa_Entrega", true}, {"Status", true},         {"Data_Hora_Pedido", false},
};

enum { I_ORDER, I_ID, I_PRODUCT, I_QTY, I_PRICE, I_OBS, I_N };
static const colspec item_cols[I_N] = {
    {"Id_Pedido", true}, {"Id_Item_Pedido", true}, {"Id_Produto", true},
    {"Qtd", true},       {"Vlr_Item", true},       {"Observacao", true},
};

static const ecl_csv_field *col(reader_ctx *c, const ecl_csv_field *f, int j)
{
    return c->idx[j] >= 0 ? &f[c->idx[j]] : NULL;
}

static bool one_of(const ecl_csv_field *f, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (f->n == strlen(set[i]) && memcmp(f->p, set[i], f->n) == 0)
            return true;
    return false;
}

static int read_orders(const ecl_resto_window_in *in, const ecl_resto_refs *refs,
                       const ecl_resto_path_info *pi, ecl_resto_window_out *out, ecl_err *e)
{
    ecl_resto_problems *pr = &out->problems;
    reader_ctx c = {.pr = pr};
    const char *path = in->orders_path;
    if (open_file(&c, path, in->orders, in->orders_len, pedido_cols, P_N, e))
        goto oom;
    if (c.fatal) {
        ecl_csv_free(c.r);
        return 0;
    }
    int64_t w0 = 0, w1 = 0;
    bool have_window = false;
    if (pi->window_start >= 0 && pi->date != INT32_MIN) {
        const ecl_resto_window *w = ecl_resto_window_find(pi->window_start, pi->window_end);
        ecl_err te = ECL_ERR_INIT;
        const char *zone = in->timezone ? in->timezone : "America/Sao_Paulo";
        if (w && ecl_tz_local_to_utc(zone, pi->date, w->start_hour * 3600, &w0, &te) == 0 &&
            ecl_tz_local_to_utc(zone, pi->date + (w->end_hour == 24), (w->end_hour % 24) * 3600, &w1,
                                &te) == 0)
            have_window = true;
    }
    size_t cap = 0;
    const ecl_csv_field *f;
    size_t nf;
    int more;
    while ((more = next_record(&c, &f, &nf, e)) == 1) {
        if (ecl_array_grow((void **)&out->orders, &cap, out->norders, sizeof *out->orders))
            goto oom;
        ecl_resto_order_row *o = &out->orders[out->norders++];
        uint64_t line = ecl_csv_line(c.r);
        o->line = line;
        o->ok = true;
        size_t before = pr->n;
        const ecl_csv_field *x;
        static const char *const req[] = {"Id_Unidade", "Id_Pedido", "Tipo_Pedido", "Data_Pedido",
                                          "Vlr_Pedido", NULL, "Taxa_Entrega", "Status"};
        for (int j = 0; j < P_ADDR + 3; j++)
            if (req[j] && (x = col(&c, f, j)) && x->n == 0)
                PROBLEM(path, line, req[j], "required", "'%s' is empty", req[j]);
        if ((x = col(&c, f, P_UNIT))->n && !parse_i64(x->p, x->n, &o->unit))
            PROBLEM(path, line, "Id_Unidade", "type", "'%.*s' is not an integer", (int)x->n, x->p);
        else if (x->n) {
            if (refs->check_units && !in_sorted(refs->units, refs->nunits, o->unit))
                PROBLEM(path, line, "Id_Unidade", "unknown_unit", "unit %lld is not in the units "
                        "reference table", (long long)o->unit);
            if (pi->unit >= 0 && o->unit != pi->unit)
                PROBLEM(path, line, "Id_Unidade", "unit_path_mismatch", "unit %lld in a file under "
                        "unit_%03lld", (long long)o->unit, (long long)pi->unit);
        }
        x = col(&c, f, P_ID);
        o->id = dup_field(x);
        x = col(&c, f, P_TYPE);
        o->type = dup_field(x);
        if (x->n && !one_of(x, ecl_resto_order_types, 2))
            PROBLEM(path, line, "Tipo_Pedido", "order_type_domain", "'%.*s' is not 'Loja Online' or "
                    "'Loja Fisica'", (int)x->n, x->p);
        x = col(&c, f, P_DATE);
        if (x->n && ecl_date_parse(x->p, x->n, &o->date))
            PROBLEM(path, line, "Data_Pedido", "type", "'%.*s' is not a date (YYYY-MM-DD)", (int)x->n, x->p);
        else if (x->n && pi->date != INT32_MIN && o->date != pi->date)
            PROBLEM(path, line, "Data_Pedido", "date_path_mismatch", "date %.*s in a file under a "
                    "different date directory", (int)x->n, x->p);
        x = col(&c, f, P_VALUE);
        if (x->n && !parse_money(x->p, x->n, &o->value))
            PROBLEM(path, line, "Vlr_Pedido", "type", "'%.*s' is not an amount with 2 decimals",
                    (int)x->n, x->p);
        else if (x->n && o->value < 0)
            PROBLEM(path, line, "Vlr_Pedido", "negative_value", "Vlr_Pedido %.*s is negative", (int)x->n, x->p);
        o->address = dup_field(col(&c, f, P_ADDR));
        x = col(&c, f, P_FEE);
        if (x->n && !parse_money(x->p, x->n, &o->fee))
            PROBLEM(path, line, "Taxa_Entrega", "type", "'%.*s' is not an amount with 2 decimals",
                    (int)x->n, x->p);
        else if (x->n && o->fee < 0)
            PROBLEM(path, line, "Taxa_Entrega", "negative_value", "Taxa_Entrega %.*s is negative",
                    (int)x->n, x->p);
        else if (x->n && o->fee != 0 && o->type && strcmp(o->type, "Loja Fisica") == 0)
            PROBLEM(path, line, "Taxa_Entrega", "fee_rule", "a Loja Fisica order has delivery fee %.*s",
                    (int)x->n, x->p);
        x = col(&c, f, P_STATUS);
        o->status = dup_field(x);
        if (x->n && !one_of(x, ecl_resto_statuses, 3))
            PROBLEM(path, line, "Status", "status_domain", "'%.*s' is not Finalizado, Pendente or "
                    "Cancelado", (int)x->n, x->p);
        if ((x = col(&c, f, P_TS)) && x->n) {
            int64_t us;
            o->timestamp = dup_field(x);
            if (ecl_parse_timestamp(x->p, x->n, &us))
                PROBLEM(path, line, "Data_Hora_Pedido", "type", "'%.*s' is not an ISO 8601 timestamp",
                        (int)x->n, x->p);
            else if (have_window && (us < w0 * 1000000 || us >= w1 * 1000000))
                PROBLEM(path, line, "Data_Hora_Pedido", "timestamp_outside_window",
                        "%.*s is outside the window %02d:00-%02d:00 of its directory", (int)x->n, x->p,
                        pi->window_start, pi->window_end % 24);
        }
        if ((o->id == NULL) != (col(&c, f, P_ID)->n == 0) || (o->address == NULL) != (col(&c, f, P_ADDR)->n == 0) ||
            (o->type == NULL) != (col(&c, f, P_TYPE)->n == 0) || (o->status == NULL) != (col(&c, f, P_STATUS)->n == 0))
            goto oom;
        o->ok = pr->n == before;
    }
    if (more < 0)
        goto fail;
    /* Duplicates: the first occurrence wins, as the original's drop_duplicates(keep='first'). */
    idmap m;
    char **keys = calloc(out->norders + 1, sizeof *keys);
    if (!keys || idmap_init(&m, out->norders)) {
        free(keys);
        goto oom;
    }
    for (size_t i = 0; i < out->norders; i++) {
        keys[i] = out->orders[i].id;
        if (!keys[i])
            continue;
        size_t first = idmap_put(&m, keys, keys[i], i, true);
        if (first != SIZE_MAX) {
            out->orders[i].ok = false;
            if (ecl_resto_problem_add(pr, path, out->orders[i].line, "Id_Pedido", "duplicate_id",
                                      "order %s repeats line %llu", keys[i],
                                      (unsigned long long)out->orders[first].line)) {
                free(keys);
                free(m.slots);
                goto oom;
            }
        }
    }
    free(keys);
    free(m.slots);
    ecl_csv_free(c.r);
    return 0;
oom:
    ecl_err_set(e, ECL_ENOMEM, "out of memory validating '%s'", path);
fail:
    ecl_csv_free(c.r);
    return e->code ? e->code : ECL_ENOMEM;
}

static int read_items(const ecl_resto_window_in *in, const ecl_resto_refs *refs,
                      ecl_resto_window_out *out, ecl_err *e)
{
    ecl_resto_problems *pr = &out->problems;
    reader_ctx c = {.pr = pr};
    const char *path = in->items_path;
    if (open_file(&c, path, in->items, in->items_len, item_cols, I_N, e))
        goto oom;
    if (c.fatal) {
        ecl_csv_free(c.r);
        return 1; /* no usable rows */
    }
    size_t cap = 0;
    const ecl_csv_field *f;
    size_t nf;
    int more;
    while ((more = next_record(&c, &f, &nf, e)) == 1) {
        if (ecl_array_grow((void **)&out->items, &cap, out->nitems, sizeof *out->items))
            goto oom;
        ecl_resto_item_row *it = &out->items[out->nitems++];
        uint64_t line = ecl_csv_line(c.r);
        it->line = line;
        it->qty = it->price = -1;
        size_t before = pr->n;
        const ecl_csv_field *x;
        for (int j = 0; j < I_OBS; j++)
            if (col(&c, f, j)->n == 0)
                PROBLEM(path, line, item_cols[j].name, "required", "'%s' is empty", item_cols[j].name);
        it->order_id = dup_field(col(&c, f, I_ORDER));
        it->id = dup_field(col(&c, f, I_ID));
        it->observation = dup_field(col(&c, f, I_OBS));
        if ((it->order_id == NULL) != (col(&c, f, I_ORDER)->n == 0) || (it->id == NULL) != (col(&c, f, I_ID)->n == 0) ||
            (it->observation == NULL) != (col(&c, f, I_OBS)->n == 0))
            goto oom;
        x = col(&c, f, I_PRODUCT);
        if (x->n && !parse_i64(x->p, x->n, &it->product))
            PROBLEM(path, line, "Id_Produto", "type", "'%.*s' is not an integer", (int)x->n, x->p);
        else if (x->n && refs->check_products && !in_sorted(refs->products, refs->nproducts, it->product))
            PROBLEM(path, line, "Id_Produto", "unknown_product", "product %lld is not in the products "
                    "reference table", (long long)it->product);
        x = col(&c, f, I_QTY);
        if (x->n && !parse_i64(x->p, x->n, &it->qty))
            PROBLEM(path, line, "Qtd", "type", "'%.*s' is not an integer", (int)x->n, x->p);
        else if (x->n && it->qty < 1)
            PROBLEM(path, line, "Qtd", "quantity_range", "quantity %lld is below 1", (long long)it->qty);
        x = col(&c, f, I_PRICE);
        if (x->n && !parse_money(x->p, x->n, &it->price))
            PROBLEM(path, line, "Vlr_Item", "type", "'%.*s' is not an amount with 2 decimals", (int)x->n, x->p);
        else if (x->n && it->price < 0)
            PROBLEM(path, line, "Vlr_Item", "negative_value", "Vlr_Item %.*s is negative", (int)x->n, x->p);
        it->ok = pr->n == before;
    }
    if (more < 0)
        goto fail;
    ecl_csv_free(c.r);
    return 0;
oom:
    ecl_err_set(e, ECL_ENOMEM, "out of memory validating '%s'", path);
fail:
    ecl_csv_free(c.r);
    return -(e->code ? e->code : ECL_ENOMEM);
}

/* Cross-file rules: duplicates of item ids, orphans, reconciliation, all-or-nothing orders. */
static int cross_check(const ecl_resto_window_in *in, ecl_resto_window_out *out, bool items_usable,
                       bool items_broken)
{
    ecl_resto_problems *pr = &out->problems;
    size_t no = out->norders, ni = out->nitems;
    char **okeys = calloc(no + 1, sizeof *okeys), **ikeys = calloc(ni + 1, sizeof *ikeys);
    idmap om = {0}, im = {0};
    int rc = ECL_ENOMEM;
    if (!okeys || !ikeys || idmap_init(&om, no) || idmap_init(&im, ni))
        goto done;
    for (size_t i = 0; i < no; i++) {
        okeys[i] = out->orders[i].id;
        /* map only the first occurrence (the one that may load) */
        if (okeys[i] && out->orders[i].ok)
            idmap_put(&om, okeys, okeys[i], i, true);
    }
    for (size_t i = 0; i < no; i++)
        if (okeys[i] && !out->orders[i].ok && idmap_put(&om, okeys, okeys[i], 0, false) == SIZE_MAX)
            idmap_put(&om, okeys, okeys[i], i, true);
    for (size_t i = 0; i < ni; i++) {
        ecl_resto_item_row *it = &out->items[i];
        ikeys[i] = it->id;
        if (it->id) {
            size_t first = idmap_put(&im, ikeys, it->id, i, true);
            if (first != SIZE_MAX) {
                it->ok = false;
                if (ecl_resto_problem_add(pr, in->items_path, it->line, "Id_Item_Pedido", "duplicate_id",
                                          "item %s repeats line %llu", it->id,
                                          (unsigned long long)out->items[first].line))
                    goto done;
            }
        }
        size_t oi = it->order_id ? idmap_put(&om, okeys, it->order_id, 0, false) : SIZE_MAX;
        if (it->order_id && oi == SIZE_MAX) {
            if (it->ok && ecl_resto_problem_add(pr, in->items_path, it->line, "Id_Pedido", "orphan_item",
                                                "order %s is not in this window's pedido.csv", it->order_id))
                goto done;
            it->ok = false;
            continue;
        }
        if (oi == SIZE_MAX)
            continue;
        ecl_resto_order_row *o = &out->orders[oi];
        o->nitems++;
        if (it->qty > 0 && it->price >= 0)
            o->items_sum += it->qty * it->price;
        if (!it->ok)
            o->item_bad = true;
    }
    if (items_usable || items_broken) {
        for (size_t i = 0; i < no; i++) {
            ecl_resto_order_row *o = &out->orders[i];
            if (!o->ok)
                continue;
            if (items_broken) {
                o->ok = false;
                if (ecl_resto_problem_add(pr, in->orders_path, o->line, NULL, "item_rejected",
                                          "the window's item_pedido.csv is unusable, so order %s cannot "
                                          "be loaded with its items", o->id))
                    goto done;
            } else if (o->item_bad) {
                o->ok = false;
                if (ecl_resto_problem_add(pr, in->orders_path, o->line, NULL, "item_rejected",
                                          "order %s has a rejected item, so it is rejected whole", o->id))
                    goto done;
            } else if (o->value != o->items_sum + o->fee) {
                o->ok = false;
                if (ecl_resto_problem_add(pr, in->orders_path, o->line, "Vlr_Pedido", "order_value_mismatch",
                                          "Vlr_Pedido %lld.%02lld != items %lld.%02lld + fee %lld.%02lld "
                                          "(%d items)", (long long)(o->value / 100), (long long)(o->value % 100),
                                          (long long)(o->items_sum / 100), (long long)(o->items_sum % 100),
                                          (long long)(o->fee / 100), (long long)(o->fee % 100), o->nitems))
                    goto done;
            }
        }
    }
    for (size_t i = 0; i < ni; i++) {
        ecl_resto_item_row *it = &out->items[i];
        if (!it->ok || !it->order_id)
            continue;
        size_t oi = idmap_put(&om, okeys, it->order_id, 0, false);
        if (oi != SIZE_MAX && !out->orders[oi].ok) {
            it->ok = false;
            if (ecl_resto_problem_add(pr, in->items_path, it->line, "Id_Pedido", "order_rejected",
                                      "order %s was rejected, so its items are too", it->order_id))
                goto done;
        }
    }
    rc = 0;
done:
    free(okeys);
    free(ikeys);
    free(om.slots);
    free(im.slots);
    return rc;
}

int ecl_resto_validate_window(const ecl_resto_window_in *in, const ecl_resto_refs *refs,
                              ecl_resto_window_out *out, ecl_err *e)
{
    memset(out, 0, sizeof *out);
    ecl_resto_path_info pi;
    ecl_resto_parse_path(in->has_orders ? in->orders_path : in->items_path ? in->items_path : "", &pi);
    if (in->has_orders && read_orders(in, refs, &pi, out, e))
        return e->code;
    bool items_usable = false;
    if (in->has_items) {
        int r = read_items(in, refs, out, e);
        if (r < 0)
            return e->code;
        items_usable = r == 0;
    }
    /* Without the companion item file the reconciliation cannot be checked; orders load on their
     * own rules. Without pedido.csv every item is an orphan. */
    bool broken = in->items_unusable || (in->has_items && !items_usable);
    if (cross_check(in, out, in->has_items && items_usable, broken))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory validating a window");
    for (size_t i = 0; i < out->norders; i++)
        out->orders_valid += out->orders[i].ok;
    for (size_t i = 0; i < out->nitems; i++)
        out->items_valid += out->items[i].ok;
    return 0;
}

void ecl_resto_window_out_release(ecl_resto_window_out *out)
{
    for (size_t i = 0; i < out->norders; i++) {
        ecl_resto_order_row *o = &out->orders[i];
        free(o->id);
        free(o->type);
        free(o->address);
        free(o->status);
        free(o->timestamp);
    }
    for (size_t i = 0; i < out->nitems; i++) {
        free(out->items[i].order_id);
        free(out->items[i].id);
        free(out->items[i].observation);
    }
    free(out->orders);
    free(out->items);
    ecl_resto_problems_release(&out->problems);
    memset(out, 0, sizeof *out);
}

/* ---- reference files ---- */

int ecl_resto_validate_reference(const char *kind, const char *path, const uint8_t *data, size_t n,
                                 ecl_resto_ref_out *out, ecl_err *e)
{
    static const struct {
        const char *kind;
        colspec cols[3];
        size_t n;
    } specs[] = {
        {"produto", {{"Id_Produto", true}, {"Nome_Produto", true}}, 2},
        {"unidade", {{"Id_Unidade", true}, {"Nome_Unidade", true}, {"Id_Estado", true}}, 3},
        {"estado", {{"Id_Estado", true}, {"Id_Pais", true}, {"Nome_Estado", true}}, 3},
        {"pais", {{"Id_Pais", true}, {"Nome_Pais", true}}, 2},
    };
    memset(out, 0, sizeof *out);
    size_t k = 0;
    while (k < 4 && strcmp(specs[k].kind, kind) != 0)
        k++;
    if (k == 4)
        return ecl_err_set(e, ECL_EINVAL, "unknown reference table '%s'", kind);
    ecl_resto_problems *pr = &out->problems;
    out->ncols = specs[k].n;
    reader_ctx c = {.pr = pr};
    if (open_file(&c, path, data, n, specs[k].cols, specs[k].n, e))
        return ecl_err_set(e, ECL_ENOMEM, "out of memory validating '%s'", path);
    if (c.fatal) {
        ecl_csv_free(c.r);
        return 0;
    }
    size_t cap = 0, lcap = 0;
    const ecl_csv_field *f;
    size_t nf;
    int more;
    int64_t *ids = NULL;
    size_t idcap = 0;
    while ((more = next_record(&c, &f, &nf, e)) == 1) {
        uint64_t line = ecl_csv_line(c.r);
        size_t before = pr->n;
        int64_t id = 0;
        for (size_t j = 0; j < out->ncols; j++) {
            const ecl_csv_field *x = col(&c, f, (int)j);
            const char *name = specs[k].cols[j].name;
            int64_t v = 0;
            if (x->n == 0)
                PROBLEM(path, line, name, "required", "'%s' is empty", name);
            else if (strncmp(name, "Id_", 3) == 0 && !parse_i64(x->p, x->n, &v))
                PROBLEM(path, line, name, "type", "'%.*s' is not an integer", (int)x->n, x->p);
            else if (j == 0)
                id = v;
        }
        if (pr->n == before) {
            for (size_t i = 0; i < out->nrows; i++)
                if (ids[i] == id)
                    PROBLEM(path, line, specs[k].cols[0].name, "duplicate_id", "id %lld repeats line %llu",
                            (long long)id, (unsigned long long)out->lines[i]);
        }
        if (pr->n != before)
            continue;
        if (ecl_array_grow((void **)&out->cells, &cap, out->nrows * out->ncols + out->ncols - 1, sizeof(char *)) ||
            ecl_array_grow((void **)&out->lines, &lcap, out->nrows, sizeof *out->lines) ||
            ecl_array_grow((void **)&ids, &idcap, out->nrows, sizeof *ids))
            goto oom;
        for (size_t j = 0; j < out->ncols; j++) {
            char *s = dup_field(col(&c, f, (int)j));
            if (!s)
                goto oom;
            out->cells[out->nrows * out->ncols + j] = s;
        }
        out->lines[out->nrows] = line;
        ids[out->nrows] = id;
        out->nrows++;
    }
    free(ids);
    ecl_csv_free(c.r);
    return more < 0 ? e->code : 0;
oom:
    free(ids);
    ecl_csv_free(c.r);
    return ecl_err_set(e, ECL_ENOMEM, "out of memory validating '%s'", path);
}

void ecl_resto_ref_out_release(ecl_resto_ref_out *out)
{
    for (size_t i = 0; i < out->nrows * out->ncols; i++)
        free(out->cells[i]);
    free(out->cells);
    free(out->lines);
    ecl_resto_problems_release(&out->problems);
    memset(out, 0, sizeof *out);
}
