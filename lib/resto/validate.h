/* validate.h - the csv-processor's validation of landed restaurant files, with the rules it lacked.
 *
 * A window directory's pedido.csv and item_pedido.csv are validated together, because several rules
 * span both files. Every problem is recorded with file, line, column and rule name; nothing is
 * dropped silently. Rules (names as stored in the rejects table and in _error.json):
 *
 *   file level (the file has no valid row):
 *     missing_column    a required column is absent from the header (wrong delimiter lands here)
 *     size_limit        the file is larger than the limit (checked by the caller before reading)
 *     empty_file        no header at all
 *   row level (the original's rules):
 *     required          a required field is empty
 *     type              not an integer / decimal with 2 places / YYYY-MM-DD date (strict) / timestamp
 *     status_domain     Status not in {Finalizado, Pendente, Cancelado}
 *     duplicate_id      Id_Pedido / Id_Item_Pedido repeated in the file (the first is kept)
 *   row level (new):
 *     order_type_domain Tipo_Pedido not in {Loja Online, Loja Fisica}
 *     negative_value    a money value below zero
 *     quantity_range    Qtd below 1
 *     fee_rule          a Loja Fisica order with a non-zero delivery fee
 *     order_value_mismatch  Vlr_Pedido != sum(Qtd * Vlr_Item) + Taxa_Entrega over the order's items
 *     unknown_unit      Id_Unidade not in the units reference table
 *     unknown_product   Id_Produto not in the products reference table
 *     unit_path_mismatch / date_path_mismatch  the row disagrees with its unit_NNN / YYYY/MM/DD path
 *     timestamp_outside_window  Data_Hora_Pedido outside the window named by the path
 *     orphan_item       the item's order is not in the same window's pedido.csv
 *     order_rejected    the item's order was rejected (an order loads with all its items or not at all)
 *     item_rejected     one of the order's items was rejected, or the window's item file exists
 *                       but is unusable (no header, over the size limit)
 *     field_count       wrong number of fields (truncated line, stray delimiter)
 *     encoding          invalid UTF-8
 *     malformed         other CSV syntax errors (unterminated quote)
 */
#ifndef ECL_RESTO_VALIDATE_H
#define ECL_RESTO_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../buf.h"
#include "../err.h"
#include "resto.h"

typedef struct ecl_resto_problem {
    char *file;
    uint64_t line; /* 0 = the whole file */
    char *column;  /* NULL when the problem is not about one column */
    const char *rule;
    char *message;
} ecl_resto_problem;

typedef struct ecl_resto_problems {
    ecl_resto_problem *v;
    size_t n, cap;
} ecl_resto_problems;

void ecl_resto_problems_release(ecl_resto_problems *p);
int ecl_resto_problem_add(ecl_resto_problems *p, const char *file, uint64_t line, const char *column,
                          const char *rule, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Money is in cents; text fields are NUL-terminated copies (NULL = empty in the file). */
typedef struct ecl_resto_order_row {
    uint64_t line;
    int64_t unit;
    char *id, *type, *address, *status, *timestamp;
    int32_t date;
    int64_t value, fee;
    int64_t items_sum;
    int nitems;
    bool ok, item_bad;
} ecl_resto_order_row;

typedef struct ecl_resto_item_row {
    uint64_t line;
    char *order_id, *id, *observation;
    int64_t product, qty, price;
    bool ok;
} ecl_resto_item_row;

/* Reference ids the rows must exist in; sorted ascending (NULL/0 = the rule is not checked). */
typedef struct ecl_resto_refs {
    const int64_t *units;
    size_t nunits;
    const int64_t *products;
    size_t nproducts;
    bool check_units, check_products;
} ecl_resto_refs;

typedef struct ecl_resto_window_in {
    const char *orders_path; /* source-relative paths, used in problems and for path rules */
    const uint8_t *orders;
    size_t orders_len;
    bool has_orders;
    const char *items_path;
    const uint8_t *items;
    size_t items_len;
    bool has_items;
    bool items_unusable; /* item_pedido.csv exists but cannot be read (over the size limit) */
    const char *timezone; /* for timestamp_outside_window; NULL = America/Sao_Paulo */
} ecl_resto_window_in;

typedef struct ecl_resto_window_out {
    ecl_resto_order_row *orders;
    size_t norders;
    ecl_resto_item_row *items;
    size_t nitems;
    uint64_t orders_valid, items_valid;
    ecl_resto_problems problems;
} ecl_resto_window_out;

/* What a source-relative path says: csv_sales/YYYY/MM/DD/unit_NNN[/window_HHHH]/file. Fields the
 * path lacks are -1 (date: INT32_MIN). */
typedef struct ecl_resto_path_info {
    int32_t date;
    int64_t unit;
    int window_start, window_end;
} ecl_resto_path_info;
void ecl_resto_parse_path(const char *rel, ecl_resto_path_info *pi);

/* Validates a window's files; fills out (release with ecl_resto_window_out_release). Only allocation
 * failures are errors: everything wrong with the input becomes a problem. */
int ecl_resto_validate_window(const ecl_resto_window_in *in, const ecl_resto_refs *refs,
                              ecl_resto_window_out *out, ecl_err *e);
void ecl_resto_window_out_release(ecl_resto_window_out *out);

/* Validation of the reference CSVs (produto, unidade, estado, pais): header, integer ids, required
 * names, duplicate ids. rows[i] holds the row's fields as NUL-terminated copies (ncols each). */
typedef struct ecl_resto_ref_out {
    char **cells;   /* nrows * ncols */
    uint64_t *lines;
    size_t nrows, ncols;
    ecl_resto_problems problems;
} ecl_resto_ref_out;
/* kind: "produto", "unidade", "estado" or "pais". */
int ecl_resto_validate_reference(const char *kind, const char *path, const uint8_t *data, size_t n,
                                 ecl_resto_ref_out *out, ecl_err *e);
void ecl_resto_ref_out_release(ecl_resto_ref_out *out);

/* Parquet files (as `window --format parquet` writes them) are validated by the same rules: each is
 * rendered into the CSV dialect above (money with 2 decimals, dates YYYY-MM-DD, timestamps in local
 * time with the offset of the zone named by the file's ecomlake.timezone metadata, else timezone;
 * NULL text as an empty field), columns found by name and in CSV order. A row's line is then its
 * 1-based row number + 1, as if the file had a header line. A file that cannot be used at all fills
 * bad (rule "malformed": not Parquet, truncated, corrupt; "missing_column"; "type": a column of the
 * wrong type) and leaves csv empty. Only allocation failures are errors. */
typedef struct ecl_resto_pq_bad {
    const char *rule; /* NULL: the file rendered */
    char column[64];
    char message[1200];
} ecl_resto_pq_bad;
int ecl_resto_parquet_render(ecl_resto_table t, const uint8_t *data, size_t n, const char *timezone,
                             ecl_buf *csv, ecl_resto_pq_bad *bad, ecl_err *e);

#endif
