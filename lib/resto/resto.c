/* resto.c - reference data, unit list and window generation of the restaurant model. */
#include "resto.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rng.h"

const ecl_resto_product ecl_resto_products[ECL_RESTO_NPRODUCTS] = {
    {1, "Bowl de Acai Premium", 2890},          {2, "Salada Caesar Grelhada", 3250},
    {3, "Wrap Integral de Frango", 2690},       {4, "Suco Verde Detox", 1490},
    {5, "Smoothie de Frutas Vermelhas", 1850},  {6, "Poke Bowl Salmao", 4290},
    {7, "Sanduiche Natural Integral", 2290},    {8, "Tapioca Fit Recheada", 1990},
    {9, "Sopa de Legumes Organica", 2450},      {10, "Omelete de Claras", 2190},
    {11, "Granola Bowl com Iogurte", 2350},     {12, "Hamburguer de Grao de Bico", 3490},
    {13, "Crepioca Proteica", 2090},            {14, "Agua de Coco Natural", 890},
    {15, "Cha Gelado Funcional", 1250},         {16, "Panqueca de Banana Fit", 1990},
    {17, "Cuscuz Nordestino Light", 1850},      {18, "Pasta de Amendoim Artesanal", 1590},
    {19, "Mix de Castanhas Premium", 2290},     {20, "Biscoito de Arroz Integral", 990},
    {21, "Iogurte Grego Natural", 1350},        {22, "Barra de Proteina Caseira", 1190},
    {23, "Risoto de Quinoa", 3690},             {24, "Frango Grelhado com Legumes", 3850},
    {25, "Salmao ao Molho de Maracuja", 5290},  {26, "Espaguete de Abobrinha", 2990},
    {27, "Torta Salgada Integral", 1690},       {28, "Vitamina de Abacate Proteica", 1750},
    {29, "Brigadeiro Fit de Cacau", 790},       {30, "Pudim de Chia com Manga", 1490},
};

static const char *const rs_cities[] = {
    "Porto Alegre", "Caxias do Sul", "Pelotas", "Canoas", "Santa Maria", "Gravatai", "Viamao",
    "Novo Hamburgo", "Sao Leopoldo", "Rio Grande", "Alvorada", "Passo Fundo", "Sapucaia do Sul",
    "Uruguaiana", "Santa Cruz do Sul", "Cachoeirinha", "Bage", "Bento Goncalves", "Erechim", "Guaiba",
};
static const char *const sc_cities[] = {
    "Florianopolis", "Joinville", "Blumenau", "Sao Jose", "Chapeco", "Criciuma", "Itajai",
    "Jaragua do Sul", "Lages", "Palhoca", "Balneario Camboriu", "Brusque", "Tubarao",
    "Sao Bento do Sul", "Cacador",
};
static const char *const pr_cities[] = {
    "Curitiba", "Londrina", "Maringa", "Ponta Grossa", "Cascavel", "Sao Jose dos Pinhais",
    "Foz do Iguacu", "Colombo", "Guarapuava", "Paranagua", "Araucaria", "Toledo", "Apucarana",
    "Pinhais", "Campo Largo",
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const ecl_resto_state ecl_resto_states[ECL_RESTO_NSTATES] = {
    {1, 1, "Rio Grande do Sul", "RS", 0.40, rs_cities, COUNT(rs_cities), 90000, 99999},
    {2, 1, "Santa Catarina", "SC", 0.35, sc_cities, COUNT(sc_cities), 88000, 89999},
    {3, 1, "Parana", "PR", 0.25, pr_cities, COUNT(pr_cities), 80000, 87999},
};

/* One table for the whole product (the original had two that disagreed about 22:00). */
const ecl_resto_window ecl_resto_windows[ECL_RESTO_NWINDOWS] = {
    {10, 12, 1, 2, "morning ramp-up", "window_1012"},
    {12, 14, 3, 5, "lunch peak", "window_1214"},
    {14, 16, 1, 2, "afternoon lull", "window_1416"},
    {16, 18, 2, 3, "late afternoon", "window_1618"},
    {18, 20, 4, 6, "dinner peak", "window_1820"},
    {20, 22, 2, 3, "evening wind-down", "window_2022"},
    {22, 24, 2, 3, "late evening", "window_2224"},
};

const char *const ecl_resto_observations[ECL_RESTO_NOBSERVATIONS] = {
    "Sem gluten", "Extra proteina", "Sem lactose", "Sem acucar", "Ponto especial",
    "Dobro de molho", "Sem cebola", "Bem passado", "Ao ponto", "Sem sal",
    "Porção extra", "Sem pimenta", "Com molho a parte", "Vegano", "Sem conservantes",
};
const char *const ecl_resto_statuses[3] = {"Finalizado", "Pendente", "Cancelado"};
const char *const ecl_resto_order_types[2] = {"Loja Online", "Loja Fisica"};

static const double status_weights[3] = {0.85, 0.10, 0.05};
static const double type_weights[2] = {0.60, 0.40};

const ecl_resto_product *ecl_resto_product_by_id(int id)
{
    return id >= 1 && id <= ECL_RESTO_NPRODUCTS ? &ecl_resto_products[id - 1] : NULL;
}

const ecl_resto_state *ecl_resto_state_by_id(int id)
{
    return id >= 1 && id <= ECL_RESTO_NSTATES ? &ecl_resto_states[id - 1] : NULL;
}

const ecl_resto_window *ecl_resto_window_find(int start_hour, int end_hour)
{
    if (end_hour == 0)
        end_hour = 24;
    for (size_t i = 0; i < ECL_RESTO_NWINDOWS; i++)
        if (ecl_resto_windows[i].start_hour == start_hour && ecl_resto_windows[i].end_hour == end_hour)
            return &ecl_resto_windows[i];
    return NULL;
}

const ecl_resto_window *ecl_resto_window_starting(int hour)
{
    for (size_t i = 0; i < ECL_RESTO_NWINDOWS; i++)
        if (ecl_resto_windows[i].start_hour == hour)
            return &ecl_resto_windows[i];
    return NULL;
}

int ecl_resto_parse_hhmm(const char *s, int *hour, ecl_err *e)
{
    if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' ||
        s[3] < '0' || s[3] > '5' || s[4] < '0' || s[4] > '9')
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not a time of day (expected HH:MM)", s);
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || (h == 24 && m != 0))
        return ecl_err_set(e, ECL_EINVAL, "'%s' is not a time of day (expected HH:MM)", s);
    if (m != 0)
        return ecl_err_set(e, ECL_EINVAL, "'%s': business windows start and end on the hour", s);
    *hour = h;
    return 0;
}

/* Python's round() on n * pct / 100: half to even, computed exactly. */
static int round_half_even(int n, int pct)
{
    long long num = (long long)n * pct, q = num / 100, r = num % 100;
    if (r * 2 > 100 || (r * 2 == 100 && (q & 1)))
        q++;
    return (int)q;
}

static const char *const roman[] = {"", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"};

static void unit_name(ecl_resto_unit *u, const ecl_resto_state *s, int index)
{
    size_t cycle = (size_t)index / s->ncities;
    u->city = s->cities[(size_t)index % s->ncities];
    if (cycle < COUNT(roman))
        snprintf(u->name, sizeof u->name, "Mr. Health - %s%s", u->city, roman[cycle]);
    else
        snprintf(u->name, sizeof u->name, "Mr. Health - %s %zu", u->city, cycle + 1);
}

int ecl_resto_units(int n, ecl_resto_unit **out, ecl_err *e)
{
    if (n < 1 || n > ECL_RESTO_MAX_UNITS)
        return ecl_err_set(e, ECL_EINVAL, "unit count %d is out of range (1..%d)", n,
                           ECL_RESTO_MAX_UNITS);
    ecl_resto_unit *u = calloc((size_t)n, sizeof *u);
    if (!u)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory for %d units", n);
    static const int pct[ECL_RESTO_NSTATES] = {40, 35, 25};
    int per_state[ECL_RESTO_NSTATES] = {0};
    int id = 1;
    for (int s = 0; s < ECL_RESTO_NSTATES && id <= n; s++) {
        int want = round_half_even(n, pct[s]);
        if (want < 1)
            want = 1;
        for (int i = 0; i < want && id <= n; i++, id++) {
            u[id - 1].id = id;
            u[id - 1].state_id = ecl_resto_states[s].id;
            unit_name(&u[id - 1], &ecl_resto_states[s], per_state[s]++);
        }
    }
    /* Surplus after rounding: dealt to the states in turn (the original picked them at random). */
    for (int k = 0; id <= n; k++, id++) {
        int s = k % ECL_RESTO_NSTATES;
        u[id - 1].id = id;
        u[id - 1].state_id = ecl_resto_states[s].id;
        unit_name(&u[id - 1], &ecl_resto_states[s], per_state[s]++);
    }
    *out = u;
    return 0;
}

/* ---- schemas ---- */

static ecl_schema schemas[ECL_RESTO_NTABLES];
static pthread_once_t schemas_once = PTHREAD_ONCE_INIT;
static const char *const table_files[ECL_RESTO_NTABLES] = {"pedido", "item_pedido", "produto",
                                                           "unidade", "estado", "pais"};

static void build_schemas(void)
{
    ecl_schema *s = &schemas[ECL_RESTO_PEDIDO];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Unidade", ECL_T_INT32, false);
    ecl_schema_add(s, "Id_Pedido", ECL_T_STRING, false);
    ecl_schema_add(s, "Tipo_Pedido", ECL_T_STRING, false);
    ecl_schema_add(s, "Data_Pedido", ECL_T_DATE, false);
    ecl_schema_add_decimal(s, "Vlr_Pedido", 10, 2, false);
    /* Optional text is NULL when absent: an empty CSV field, a NULL in typed formats. */
    ecl_schema_add(s, "Endereco_Entrega", ECL_T_STRING, true);
    ecl_schema_add_decimal(s, "Taxa_Entrega", 10, 2, false);
    ecl_schema_add(s, "Status", ECL_T_STRING, false);
    /* New column, last so readers of the original layout still find theirs by position. */
    ecl_schema_add(s, "Data_Hora_Pedido", ECL_T_TIMESTAMP, false);

    s = &schemas[ECL_RESTO_ITEM_PEDIDO];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Pedido", ECL_T_STRING, false);
    ecl_schema_add(s, "Id_Item_Pedido", ECL_T_STRING, false);
    ecl_schema_add(s, "Id_Produto", ECL_T_INT32, false);
    ecl_schema_add(s, "Qtd", ECL_T_INT32, false);
    ecl_schema_add_decimal(s, "Vlr_Item", 10, 2, false);
    ecl_schema_add(s, "Observacao", ECL_T_STRING, true);

    s = &schemas[ECL_RESTO_PRODUTO];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Produto", ECL_T_INT32, false);
    ecl_schema_add(s, "Nome_Produto", ECL_T_STRING, false);

    s = &schemas[ECL_RESTO_UNIDADE];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Unidade", ECL_T_INT32, false);
    ecl_schema_add(s, "Nome_Unidade", ECL_T_STRING, false);
    ecl_schema_add(s, "Id_Estado", ECL_T_INT32, false);

    s = &schemas[ECL_RESTO_ESTADO];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Estado", ECL_T_INT32, false);
    ecl_schema_add(s, "Id_Pais", ECL_T_INT32, false);
    ecl_schema_add(s, "Nome_Estado", ECL_T_STRING, false);

    s = &schemas[ECL_RESTO_PAIS];
    ecl_schema_init(s);
    ecl_schema_add(s, "Id_Pais", ECL_T_INT32, false);
    ecl_schema_add(s, "Nome_Pais", ECL_T_STRING, false);
}

const ecl_schema *ecl_resto_schema(ecl_resto_table t)
{
    pthread_once(&schemas_once, build_schemas);
    return (unsigned)t < ECL_RESTO_NTABLES ? &schemas[t] : NULL;
}

const char *ecl_resto_table_file(ecl_resto_table t)
{
    return (unsigned)t < ECL_RESTO_NTABLES ? table_files[t] : NULL;
}

/* ---- IDs and keys ---- */

/* (date, window, unit) packed into one key part; units stay below 2^24. */
static uint64_t window_key(int32_t date, int window_start, int unit)
{
    return ((uint64_t)(uint32_t)date << 32) | ((uint64_t)(unsigned)window_start << 24) |
           (uint64_t)(unsigned)unit;
}

static void format_uuid(uint64_t hi, uint64_t lo, char out[37])
{
    /* RFC 9562 version 8 (custom) with the RFC variant: UUID-shaped, derived, never random. */
    hi = (hi & ~0xf000ULL) | 0x8000ULL;
    lo = (lo & ~(3ULL << 62)) | (2ULL << 62);
    snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32), (unsigned)(hi >> 16) & 0xffff,
             (unsigned)hi & 0xffff, (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

void ecl_resto_order_id(uint64_t seed, int32_t date, int unit, int window_start, int seq, char out[37])
{
    ecl_rng r = ecl_rng_key(seed, ecl_tag_str("resto.order.id"), window_key(date, window_start, unit),
                            (uint64_t)seq);
    uint64_t hi = ecl_rng_u64(&r), lo = ecl_rng_u64(&r);
    format_uuid(hi, lo, out);
}

void ecl_resto_item_id(uint64_t seed, int32_t date, int unit, int window_start, int seq, int item,
                       char out[37])
{
    ecl_rng r = ecl_rng_key(seed, ecl_tag_str("resto.item.id"), window_key(date, window_start, unit),
                            ((uint64_t)seq << 16) | (uint64_t)item);
    uint64_t hi = ecl_rng_u64(&r), lo = ecl_rng_u64(&r);
    format_uuid(hi, lo, out);
}

/* ---- addresses (in the unit's city and state) ---- */

static const char *const street_kinds[] = {"Rua", "Avenida", "Travessa", "Alameda", "Rua", "Rua"};
static const char *const first_names[] = {
    "Isaac", "Maria", "Joao", "Ana", "Pedro", "Helena", "Lucas", "Beatriz", "Gabriel", "Julia",
    "Rafael", "Laura", "Bernardo", "Alice", "Miguel", "Sofia", "Davi", "Valentina", "Heitor", "Cecilia",
};
static const char *const last_names[] = {
    "Ramos", "Silva", "Santos", "Oliveira", "Souza", "Lima", "Pereira", "Costa", "Almeida",
    "Barbosa", "Ribeiro", "Martins", "Carvalho", "Rocha", "Gomes", "Teixeira", "Moreira", "Cardoso",
};
static const char *const districts[] = {
    "Centro", "Cidade Baixa", "Bela Vista", "Jardim America", "Vila Nova", "Sao Joao",
    "Boa Vista", "Santa Tereza", "Industrial", "Cristo Rei", "Petropolis", "Trindade",
};

static int push_address(ecl_column *c, ecl_rng *r, const ecl_resto_unit *u)
{
    const ecl_resto_state *s = ecl_resto_state_by_id(u->state_id);
    char buf[256];
    int cep = (int)ecl_rng_range(r, s->cep_lo, s->cep_hi);
    int cep3 = (int)ecl_rng_range(r, 0, 999);
    /* Each draw in its own statement, last field first (the order the data was first generated in):
     * argument order is unspecified in C, and the data must not depend on the compiler. */
    const char *district = districts[ecl_rng_range(r, 0, COUNT(districts) - 1)];
    int number = (int)ecl_rng_range(r, 1, 2999);
    const char *last = last_names[ecl_rng_range(r, 0, COUNT(last_names) - 1)];
    const char *first = first_names[ecl_rng_range(r, 0, COUNT(first_names) - 1)];
    const char *kind = street_kinds[ecl_rng_range(r, 0, COUNT(street_kinds) - 1)];
    snprintf(buf, sizeof buf, "%s %s %s, %d, %s, %05d-%03d %s / %s", kind, first, last, number, district, cep, cep3,
             u->city, s->abbrev);
    return ecl_col_push_cstr(c, buf);
}

/* ---- sales ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int ecl_resto_window_span(const char *zone, int32_t date, const ecl_resto_window *w, int64_t *t0,
                          int64_t *t1, ecl_err *e)
{
    if (!zone)
        zone = "America/Sao_Paulo";
    if (ecl_tz_local_to_utc(zone, date, w->start_hour * 3600, t0, e) ||
        ecl_tz_local_to_utc(zone, date + (w->end_hour == 24), (w->end_hour % 24) * 3600, t1, e))
        return e->code;
    if (*t1 <= *t0)
        *t1 = *t0 + 1;
    return 0;
}

int ecl_resto_gen_window(const ecl_resto_gen *g, int32_t date, const ecl_resto_unit *u,
                         const ecl_resto_window *w, ecl_batch *orders, ecl_batch *items, ecl_err *e)
{
    int64_t t0, t1;
    if (ecl_resto_window_span(g->timezone, date, w, &t0, &t1, e))
        return e->code;
    return ecl_resto_gen_window_span(g, date, u, w, t0, t1, orders, items, e);
}

int ecl_resto_gen_window_span(const ecl_resto_gen *g, int32_t date, const ecl_resto_unit *u,
                              const ecl_resto_window *w, int64_t t0, int64_t t1, ecl_batch *orders,
                              ecl_batch *items, ecl_err *e)
{
    uint64_t wk = window_key(date, w->start_hour, u->id);
    ecl_rng rc = ecl_rng_key(g->seed, ecl_tag_str("resto.count"), wk, 0);
    int n = (int)ecl_rng_range(&rc, w->min_orders, w->max_orders);
    int64_t times[16];
    if (n > (int)COUNT(times))
        n = (int)COUNT(times);
    ecl_rng rt = ecl_rng_key(g->seed, ecl_tag_str("resto.time"), wk, 0);
    /* Whole seconds: the CSV dialect carries seconds, and every format must hold the same instant. */
    for (int i = 0; i < n; i++) {
        times[i] = (int64_t)ecl_rng_range(&rt, t0 * 1000000, t1 * 1000000 - 1);
        times[i] -= ((times[i] % 1000000) + 1000000) % 1000000;
    }
    /* Sequence numbers follow time, so order 1 is the window's first sale. */
    qsort(times, (size_t)n, sizeof times[0], cmp_i64);

    ecl_column *oc = orders->cols, *ic = items->cols;
    int rcode = 0;
    for (int seq = 1; seq <= n; seq++) {
        ecl_rng r = ecl_rng_key(g->seed, ecl_tag_str("resto.order"), wk, (uint64_t)seq);
        char oid[37], iid[37];
        ecl_resto_order_id(g->seed, date, u->id, w->start_hour, seq, oid);
        size_t type = ecl_rng_weighted(&r, type_weights, 2);
        size_t status = ecl_rng_weighted(&r, status_weights, 3);
        int nitems = (int)ecl_rng_range(&r, 1, 5);
        int64_t subtotal = 0;
        for (int it = 1; it <= nitems; it++) {
            const ecl_resto_product *p = &ecl_resto_products[ecl_rng_range(&r, 0, ECL_RESTO_NPRODUCTS - 1)];
            int qty = (int)ecl_rng_range(&r, 1, 3);
            const char *obs = ecl_rng_bernoulli(&r, 0.30)
                                  ? ecl_resto_observations[ecl_rng_range(&r, 0, ECL_RESTO_NOBSERVATIONS - 1)]
                                  : NULL;
            subtotal += qty * p->price_cents;
            ecl_resto_item_id(g->seed, date, u->id, w->start_hour, seq, it, iid);
            rcode |= ecl_col_push_cstr(&ic[0], oid);
            rcode |= ecl_col_push_cstr(&ic[1], iid);
            rcode |= ecl_col_push_i32(&ic[2], p->id);
            rcode |= ecl_col_push_i32(&ic[3], qty);
            rcode |= ecl_col_push_i64(&ic[4], p->price_cents);
            rcode |= obs ? ecl_col_push_cstr(&ic[5], obs) : ecl_col_push_null(&ic[5]);
        }
        int64_t fee = 0;
        rcode |= ecl_col_push_i32(&oc[0], u->id);
        rcode |= ecl_col_push_cstr(&oc[1], oid);
        rcode |= ecl_col_push_cstr(&oc[2], ecl_resto_order_types[type]);
        rcode |= ecl_col_push_i32(&oc[3], date);
        if (type == 0) {
            fee = ecl_rng_range(&r, 500, 2500);
            ecl_rng ra = ecl_rng_key(g->seed, ecl_tag_str("resto.address"), wk, (uint64_t)seq);
            rcode |= ecl_col_push_i64(&oc[4], subtotal + fee);
            rcode |= push_address(&oc[5], &ra, u);
        } else {
            rcode |= ecl_col_push_i64(&oc[4], subtotal);
            rcode |= ecl_col_push_null(&oc[5]);
        }
        rcode |= ecl_col_push_i64(&oc[6], fee);
        rcode |= ecl_col_push_cstr(&oc[7], ecl_resto_statuses[status]);
        rcode |= ecl_col_push_i64(&oc[8], times[seq - 1]);
    }
    if (rcode)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory generating window %s", w->tag);
    if (ecl_batch_seal(orders, e) || ecl_batch_seal(items, e))
        return e->code;
    return 0;
}

int ecl_resto_gen_reference(ecl_resto_table t, const ecl_resto_unit *units, int nunits,
                            ecl_batch *out, ecl_err *e)
{
    ecl_column *c = out->cols;
    int rc = 0;
    switch (t) {
    case ECL_RESTO_PRODUTO:
        for (int i = 0; i < ECL_RESTO_NPRODUCTS; i++) {
            rc |= ecl_col_push_i32(&c[0], ecl_resto_products[i].id);
            rc |= ecl_col_push_cstr(&c[1], ecl_resto_products[i].name);
        }
        break;
    case ECL_RESTO_UNIDADE:
        for (int i = 0; i < nunits; i++) {
            rc |= ecl_col_push_i32(&c[0], units[i].id);
            rc |= ecl_col_push_cstr(&c[1], units[i].name);
            rc |= ecl_col_push_i32(&c[2], units[i].state_id);
        }
        break;
    case ECL_RESTO_ESTADO:
        for (int i = 0; i < ECL_RESTO_NSTATES; i++) {
            rc |= ecl_col_push_i32(&c[0], ecl_resto_states[i].id);
            rc |= ecl_col_push_i32(&c[1], ecl_resto_states[i].country_id);
            rc |= ecl_col_push_cstr(&c[2], ecl_resto_states[i].name);
        }
        break;
    case ECL_RESTO_PAIS:
        rc |= ecl_col_push_i32(&c[0], ECL_RESTO_COUNTRY_ID);
        rc |= ecl_col_push_cstr(&c[1], ECL_RESTO_COUNTRY_NAME);
        break;
    default:
        return ecl_err_set(e, ECL_EINVAL, "table %d is not a reference table", (int)t);
    }
    if (rc)
        return ecl_err_set(e, ECL_ENOMEM, "out of memory building reference table '%s'",
                           ecl_resto_table_file(t));
    return ecl_batch_seal(out, e);
}
