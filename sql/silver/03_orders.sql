-- Orders: typed and renamed, one row per order id (the latest ingest wins; ties by source file).
DROP TABLE IF EXISTS silver_orders;
CREATE TABLE silver_orders AS
SELECT
    o.id_pedido AS order_id,
    o.id_unidade AS unit_id,
    CASE WHEN UPPER(o.tipo_pedido) LIKE '%ONLINE%' THEN 'ONLINE'
         WHEN UPPER(o.tipo_pedido) LIKE '%FISIC%' THEN 'PHYSICAL'
         ELSE 'UNKNOWN' END AS order_type,
    o.status AS order_status,
    o.data_pedido AS order_date,
    c.year AS order_year,
    c.month AS order_month,
    c.day_of_month AS order_day,
    c.day_of_week_name AS order_day_of_week,
    o.data_hora_pedido AS order_timestamp,
    ROUND(o.vlr_pedido, 2) AS order_value,
    ROUND(o.taxa_entrega, 2) AS delivery_fee,
    ROUND(o.vlr_pedido - o.taxa_entrega, 2) AS items_subtotal,
    CASE WHEN o.tipo_pedido = 'Loja Online' AND TRIM(COALESCE(o.endereco_entrega, '')) <> ''
         THEN TRIM(o.endereco_entrega) END AS delivery_address,
    o._source_file,
    o._ingest_timestamp,
    o._ingest_date
FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY id_pedido ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM orders b) o
LEFT JOIN silver_calendar c ON c.full_date = o.data_pedido
WHERE o.rn = 1;
CREATE INDEX silver_orders_order_id ON silver_orders (order_id);
CREATE INDEX silver_orders_order_date ON silver_orders (order_date);
