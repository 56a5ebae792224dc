-- Gold facts: one row per order, one row per order line.
DROP TABLE IF EXISTS gold_fact_sales;
CREATE TABLE gold_fact_sales AS
SELECT o.order_id, d.date_key, o.order_date, o.unit_id AS unit_key, o.order_type, o.order_status,
       o.order_value, o.delivery_fee, o.items_subtotal,
       COALESCE(a.total_items, 0) AS total_items,
       COALESCE(a.distinct_products, 0) AS distinct_products,
       COALESCE(a.total_quantity, 0) AS total_quantity,
       o.order_timestamp, o.delivery_address, o._ingest_date
FROM silver_orders o
LEFT JOIN gold_dim_date d ON d.full_date = o.order_date
LEFT JOIN (SELECT order_id, COUNT(*) AS total_items, COUNT(DISTINCT product_id) AS distinct_products,
                  CAST(SUM(quantity) AS BIGINT) AS total_quantity
           FROM silver_order_items GROUP BY order_id) a ON a.order_id = o.order_id;
CREATE INDEX gold_fact_sales_order_date ON gold_fact_sales (order_date);

DROP TABLE IF EXISTS gold_fact_order_items;
CREATE TABLE gold_fact_order_items AS
SELECT i.order_item_id AS item_id, i.order_id, d.date_key, o.order_date, o.unit_id AS unit_key,
       i.product_id AS product_key, i.quantity, i.unit_price, i.total_item_value, o.order_type,
       o.order_status, i.observation, i._ingest_date
FROM silver_order_items i
JOIN silver_orders o ON o.order_id = i.order_id
LEFT JOIN gold_dim_date d ON d.full_date = o.order_date;
