/* Unit tests for the ingest validator: the original rules, the added rules, cross-file rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/resto/validate.h"

static const int64_t units[] = {1, 2, 3}, products[] = {1, 2, 3};
static const char *const P = "csv_sales/2026/02/01/unit_001/window_1214/pedido.csv";
static const char *const I = "csv_sales/2026/02/01/unit_001/window_1214/item_pedido.csv";
#define HDR "Id_Unidade;Id_Pedido;Tipo_Pedido;Data_Pedido;Vlr_Pedido;Endereco_Entrega;Taxa_Entrega;Status\n"
#define IHDR "Id_Pedido;Id_Item_Pedido;Id_Produto;Qtd;Vlr_Item;Observacao\n"

static void run_window(const char *orders, const char *items, ecl_resto_window_out *out)
{
    ecl_resto_refs refs = {units, 3, products, 3, true, true};
    ecl_resto_window_in in = {0};
    in.orders_path = P;
    in.orders = (const uint8_t *)orders;
    in.orders_len = orders ? strlen(orders) : 0;
    in.has_orders = orders != NULL;
    in.items_path = I;
    in.items = (const uint8_t *)items;
    in.items_len = items ? strlen(items) : 0;
    in.has_items = items != NULL;
    in.timezone = "America/Sao_Paulo";
    ecl_err e = ECL_ERR_INIT;
    assert_int_equal(ecl_resto_validate_window(&in, &refs, out, &e), 0);
}

static int has(const ecl_resto_window_out *o, const char *file, uint64_t line, const char *rule)
{
    for (size_t i = 0; i < o->problems.n; i++)
        if (strcmp(o->problems.v[i].file, file) == 0 && o->problems.v[i].line == line &&
            strcmp(o->problems.v[i].rule, rule) == 0)
            return 1;
    return 0;
}

static void valid_window_loads_whole(void **state)
{
    (void)state;
    ecl_resto_window_out o;
    run_window(HDR "1;A;Loja Online;2026-02-01;35.00;Rua X, 1;5.00;Finalizado\n"
                   "1;B;Loja Fisica;2026-02-01;7.90;;0.00;Cancelado\n",
               IHDR "A;A1;1;3;10.00;Sem sal\nB;B1;2;1;7.90;\n", &o);
    assert_int_equal(o.problems.n, 0);
    assert_int_equal(o.orders_valid, 2);
    assert_int_equal(o.items_valid, 2);
    assert_int_equal(o.orders[0].value, 3500);
    assert_int_equal(o.orders[0].fee, 500);
    assert_null(o.orders[1].address);
    assert_null(o.items[1].observation);
    ecl_resto_window_out_release(&o);
}

static void original_and_new_row_rules(void **state)
{
    (void)state;
    ecl_resto_window_out o;
    run_window(HDR "1;A;Loja Fisica;2026-02-01;10.00;;0.00;Aberto\n"        /* 2 status_domain */
                   "1;B;Balcao;2026-02-01;10.00;;0.00;Finalizado\n"         /* 3 order_type_domain */
                   "1;C;Loja Fisica;2026-02-01;-1.00;;0.00;Finalizado\n"    /* 4 negative_value */
                   "1;D;Loja Fisica;2026-2-1;10.00;;0.00;Finalizado\n"      /* 5 type (strict date) */
                   "9;E;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado\n"    /* 6 unknown_unit */
                   "1;F;Loja Fisica;2026-02-01;12.00;;2.00;Finalizado\n"    /* 7 fee_rule */
                   "1;G;Loja Fisica;2026-02-01;11.00;;0.00;Finalizado\n"    /* 8 order_value_mismatch */
                   "1;G;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado\n"    /* 9 duplicate_id */
                   "1;;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado\n"     /* 10 required */
                   "1;H;Loja Fisica;2026-02-01;10.00;;0.00\n",              /* 11 field_count */
               IHDR "G;G1;1;1;10.00;\nX;X1;1;1;1.00;\nA;A1;5;1;10.00;\n", &o);
    assert_true(has(&o, P, 2, "status_domain"));
    assert_true(has(&o, P, 3, "order_type_domain"));
    assert_true(has(&o, P, 4, "negative_value"));
    assert_true(has(&o, P, 5, "type"));
    assert_true(has(&o, P, 6, "unknown_unit"));
    assert_true(has(&o, P, 6, "unit_path_mismatch"));
    assert_true(has(&o, P, 7, "fee_rule"));
    assert_true(has(&o, P, 8, "order_value_mismatch"));
    assert_true(has(&o, P, 9, "duplicate_id"));
    assert_true(has(&o, P, 10, "required"));
    assert_true(has(&o, P, 11, "field_count"));
    assert_true(has(&o, I, 2, "order_rejected")); /* G was rejected */
    assert_true(has(&o, I, 3, "orphan_item"));
    assert_true(has(&o, I, 4, "unknown_product"));
    assert_int_equal(o.orders_valid, 0);
    assert_int_equal(o.items_valid, 0);
    ecl_resto_window_out_release(&o);
}

static void wrong_delimiter_is_missing_columns(void **state)
{
    (void)state;
    ecl_resto_window_out o;
    run_window("Id_Unidade,Id_Pedido,Tipo_Pedido,Data_Pedido,Vlr_Pedido,Endereco_Entrega,Taxa_Entrega,Status\n"
               "1,A,Loja Fisica,2026-02-01,10.00,,0.00,Finalizado\n",
               NULL, &o);
    assert_int_equal(o.problems.n, 8);
    for (size_t i = 0; i < o.problems.n; i++) {
        assert_string_equal(o.problems.v[i].rule, "missing_column");
        assert_non_null(o.problems.v[i].column);
    }
    assert_int_equal(o.orders_valid, 0);
    ecl_resto_window_out_release(&o);
}

static void timestamps_must_be_inside_the_window(void **state)
{
    (void)state;
    ecl_resto_window_out o;
    run_window("Id_Unidade;Id_Pedido;Tipo_Pedido;Data_Pedido;Vlr_Pedido;Endereco_Entrega;Taxa_Entrega;"
               "Status;Data_Hora_Pedido\n"
               "1;A;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;2026-02-01T12:00:00-03:00\n"
               "1;B;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;2026-02-01T14:00:00-03:00\n"
               "1;C;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;2026-02-01T16:59:59Z\n"
               "1;D;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado;yesterday\n",
               IHDR "A;A1;1;1;10.00;\nB;B1;1;1;10.00;\nC;C1;1;1;10.00;\nD;D1;1;1;10.00;\n", &o);
    assert_false(has(&o, P, 2, "timestamp_outside_window"));
    assert_true(has(&o, P, 3, "timestamp_outside_window")); /* the end is exclusive */
    assert_false(has(&o, P, 4, "timestamp_outside_window")); /* 13:59:59 local */
    assert_true(has(&o, P, 5, "type"));
    assert_int_equal(o.orders_valid, 2);
    assert_int_equal(o.items_valid, 2);
    ecl_resto_window_out_release(&o);
}

static void unreadable_items_reject_orders(void **state)
{
    (void)state;
    ecl_resto_window_out o;
    run_window(HDR "1;A;Loja Fisica;2026-02-01;10.00;;0.00;Finalizado\n", "\xff\xfe\n", &o);
    assert_true(has(&o, I, 1, "encoding"));
    assert_true(has(&o, P, 2, "item_rejected"));
    assert_int_equal(o.orders_valid, 0);
    ecl_resto_window_out_release(&o);
}

static void path_parsing(void **state)
{
    (void)state;
    ecl_resto_path_info pi;
    ecl_resto_parse_path("csv_sales/2026/02/01/unit_007/window_2224/pedido.csv", &pi);
    assert_int_equal(pi.unit, 7);
    assert_int_equal(pi.window_start, 22);
    assert_int_equal(pi.window_end, 24);
    ecl_resto_parse_path("csv_sales/2026/02/30/unit_007/pedido.csv", &pi);
    assert_int_equal(pi.date, INT32_MIN);
    ecl_resto_parse_path("csv_sales/2026/02/01/unit_1234/pedido.csv", &pi);
    assert_int_equal(pi.unit, 1234);
    assert_int_equal(pi.window_start, -1);
}

static void reference_rules(void **state)
{
    (void)state;
    ecl_resto_ref_out o;
    ecl_err e = ECL_ERR_INIT;
    const char *csv = "Id_Unidade;Nome_Unidade;Id_Estado\n1;Mr. Health - A;1\n1;dup;1\nx;B;1\n2;;1\n3;C;2\n";
    assert_int_equal(ecl_resto_validate_reference("unidade", "reference_data/unidade.csv",
                                                  (const uint8_t *)csv, strlen(csv), &o, &e), 0);
    assert_int_equal(o.nrows, 2);
    assert_string_equal(o.cells[3], "3");
    assert_int_equal(o.problems.n, 3);
    assert_string_equal(o.problems.v[0].rule, "duplicate_id");
    assert_string_equal(o.problems.v[1].rule, "type");
    assert_string_equal(o.problems.v[2].rule, "required");
    ecl_resto_ref_out_release(&o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_window_loads_whole),
        cmocka_unit_test(original_and_new_row_rules),
        cmocka_unit_test(wrong_delimiter_is_missing_columns),
        cmocka_unit_test(timestamps_must_be_inside_the_window),
        cmocka_unit_test(unreadable_items_reject_orders),
        cmocka_unit_test(path_parsing),
        cmocka_unit_test(reference_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
