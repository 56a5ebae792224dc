-- Order items: typed, one row per item id, only for orders that exist in bronze (as the original's
-- inner join, without multiplying rows when an order was loaded twice).
DROP TABLE IF EXISTS silver_order_items;
CREATE TABLE silver_order_items AS
SELECT
    i.id_item_pedido AS order_item_id,
    i.id_pedido AS order_id,
    i.id_produto AS product_id,
    CAST(i.qtd AS BIGINT) AS quantity,
    ROUND(i.vlr_item, 2) AS unit_price,
    ROUND(i.qtd * i.vlr_item, 2) AS total_item_value,
    CASE WHEN TRIM(COALESCE(i.observacao, '')) = '' THEN NULL ELSE TRIM(i.observacao) END AS observation,
    i._source_file,
    i._ingest_timestamp,
    i._ingest_date
FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY id_item_pedido ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM order_items b) i
WHERE i.rn = 1 AND EXISTS (SELECT 1 FROM orders o WHERE o.id_pedido = i.id_pedido);
CREATE INDEX silver_order_items_order_id ON silver_order_items (order_id);
