-- Gold aggregations. Money is summed into integer cents and every average or percentage is an
-- integer division rounded half up, (2n + d) / (2d): PostgreSQL computes NUMERIC exactly and SQLite
-- in binary floating point, and ROUND(AVG(x), 2) could differ between them on a .xx5 tie. Integer
-- arithmetic gives the same figures on both engines.
DROP TABLE IF EXISTS gold_agg_daily_sales;
CREATE TABLE gold_agg_daily_sales AS
WITH s AS (
    SELECT f.order_date,
           COUNT(*) AS total_orders,
           SUM(CASE WHEN f.order_type = 'ONLINE' THEN 1 ELSE 0 END) AS online_orders,
           SUM(CASE WHEN f.order_type = 'PHYSICAL' THEN 1 ELSE 0 END) AS physical_orders,
           CAST(ROUND(SUM(f.order_value) * 100) AS BIGINT) AS revenue_cents,
           CAST(ROUND(SUM(CASE WHEN f.order_type = 'ONLINE' THEN f.order_value ELSE 0 END) * 100) AS BIGINT) AS online_cents,
           CAST(ROUND(SUM(CASE WHEN f.order_type = 'PHYSICAL' THEN f.order_value ELSE 0 END) * 100) AS BIGINT) AS physical_cents,
           CAST(ROUND(SUM(f.delivery_fee) * 100) AS BIGINT) AS fee_cents,
           SUM(CASE WHEN f.delivery_fee > 0 THEN 1 ELSE 0 END) AS fee_orders,
           CAST(SUM(f.total_quantity) AS BIGINT) AS items_sold,
           COUNT(DISTINCT f.unit_key) AS active_units,
           SUM(CASE WHEN f.order_status = 'Finalizado' THEN 1 ELSE 0 END) AS completed_orders,
           SUM(CASE WHEN f.order_status = 'Cancelado' THEN 1 ELSE 0 END) AS canceled_orders,
           SUM(CASE WHEN f.order_status = 'Pendente' THEN 1 ELSE 0 END) AS pending_orders
    FROM gold_fact_sales f
    GROUP BY f.order_date
)
SELECT d.date_key, d.full_date AS order_date, d.year, d.month, d.month_name, d.year_month,
       d.day_of_week_name, d.is_weekend,
       s.total_orders, s.online_orders, s.physical_orders,
       ROUND(s.revenue_cents / 100.0, 2) AS total_revenue,
       ROUND(s.online_cents / 100.0, 2) AS online_revenue,
       ROUND(s.physical_cents / 100.0, 2) AS physical_revenue,
       ROUND(((2 * s.revenue_cents + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS avg_order_value,
       ROUND(s.fee_cents / 100.0, 2) AS total_delivery_fees,
       CASE WHEN s.fee_orders > 0
            THEN ROUND(((2 * s.fee_cents + s.fee_orders) / (2 * s.fee_orders)) / 100.0, 2) ELSE 0 END AS avg_delivery_fee,
       s.items_sold AS total_items_sold,
       ROUND(((200 * s.items_sold + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS avg_items_per_order,
       s.active_units, s.completed_orders, s.canceled_orders, s.pending_orders,
       ROUND(((20000 * s.online_orders + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS online_pct,
       ROUND(((20000 * s.canceled_orders + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS cancellation_rate
FROM s
JOIN gold_dim_date d ON d.full_date = s.order_date
WHERE s.total_orders > 0;

DROP TABLE IF EXISTS gold_agg_unit_performance;
CREATE TABLE gold_agg_unit_performance AS
WITH s AS (
    SELECT f.unit_key,
           COUNT(*) AS total_orders,
           SUM(CASE WHEN f.order_type = 'ONLINE' THEN 1 ELSE 0 END) AS online_orders,
           SUM(CASE WHEN f.order_type = 'PHYSICAL' THEN 1 ELSE 0 END) AS physical_orders,
           CAST(ROUND(SUM(f.order_value) * 100) AS BIGINT) AS revenue_cents,
           CAST(SUM(f.total_quantity) AS BIGINT) AS items_sold,
           SUM(CASE WHEN f.order_status = 'Finalizado' THEN 1 ELSE 0 END) AS completed_orders,
           SUM(CASE WHEN f.order_status = 'Cancelado' THEN 1 ELSE 0 END) AS canceled_orders,
           MIN(f.order_date) AS first_order_date,
           MAX(f.order_date) AS last_order_date,
           MAX(d.day_number) - MIN(d.day_number) + 1 AS days_active
    FROM gold_fact_sales f
    JOIN gold_dim_date d ON d.full_date = f.order_date
    GROUP BY f.unit_key
)
SELECT s.unit_key, u.unit_id, u.unit_name, u.state_name, u.country_name,
       s.total_orders, s.online_orders, s.physical_orders,
       ROUND(s.revenue_cents / 100.0, 2) AS total_revenue,
       ROUND(((2 * s.revenue_cents + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS avg_order_value,
       s.items_sold AS total_items_sold,
       ROUND(((200 * s.items_sold + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS avg_items_per_order,
       s.completed_orders, s.canceled_orders,
       ROUND(((20000 * s.canceled_orders + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS cancellation_rate,
       ROUND(((20000 * s.online_orders + s.total_orders) / (2 * s.total_orders)) / 100.0, 2) AS online_pct,
       s.first_order_date, s.last_order_date, s.days_active,
       RANK() OVER (ORDER BY s.revenue_cents DESC) AS revenue_rank,
       RANK() OVER (ORDER BY s.total_orders DESC) AS order_volume_rank
FROM s
LEFT JOIN gold_dim_unit u ON u.unit_key = s.unit_key;

DROP TABLE IF EXISTS gold_agg_product_performance;
CREATE TABLE gold_agg_product_performance AS
WITH s AS (
    SELECT i.product_key,
           COUNT(DISTINCT i.order_id) AS total_orders,
           COUNT(*) AS total_line_items,
           CAST(SUM(i.quantity) AS BIGINT) AS quantity_sold,
           CAST(ROUND(SUM(i.total_item_value) * 100) AS BIGINT) AS revenue_cents,
           CAST(ROUND(SUM(i.unit_price) * 100) AS BIGINT) AS price_cents,
           COUNT(DISTINCT i.unit_key) AS units_selling_product,
           MIN(i.order_date) AS first_sold_date,
           MAX(i.order_date) AS last_sold_date
    FROM gold_fact_order_items i
    GROUP BY i.product_key
), n AS (
    SELECT COUNT(*) AS units_total FROM gold_dim_unit
)
SELECT s.product_key, p.product_id, p.product_name,
       s.total_orders, s.total_line_items, s.quantity_sold AS total_quantity_sold,
       -- per line, as the original computed it despite the name
       ROUND(((200 * s.quantity_sold + s.total_line_items) / (2 * s.total_line_items)) / 100.0, 2) AS avg_quantity_per_order,
       ROUND(s.revenue_cents / 100.0, 2) AS total_revenue,
       ROUND(((2 * s.price_cents + s.total_line_items) / (2 * s.total_line_items)) / 100.0, 2) AS avg_unit_price,
       ROUND(((2 * s.revenue_cents + s.total_line_items) / (2 * s.total_line_items)) / 100.0, 2) AS avg_line_value,
       s.units_selling_product,
       CASE WHEN n.units_total > 0
            THEN ROUND(((20000 * s.units_selling_product + n.units_total) / (2 * n.units_total)) / 100.0, 2) END AS unit_penetration_pct,
       s.first_sold_date, s.last_sold_date,
       RANK() OVER (ORDER BY s.revenue_cents DESC) AS revenue_rank,
       RANK() OVER (ORDER BY s.quantity_sold DESC) AS volume_rank
FROM s
CROSS JOIN n
LEFT JOIN gold_dim_product p ON p.product_key = s.product_key;
