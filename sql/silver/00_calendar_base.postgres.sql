-- The calendar spine of the data's range (min..max order date of bronze), built with a recursive CTE.
-- PostgreSQL spelling of silver/00_calendar_base.sqlite.sql (same columns, same values).
DROP TABLE IF EXISTS silver_calendar_base;
CREATE TABLE silver_calendar_base AS
WITH RECURSIVE days(d) AS (
    SELECT MIN(data_pedido) FROM orders WHERE data_pedido IS NOT NULL
    UNION ALL
    SELECT d + 1 FROM days
    WHERE d < (SELECT MAX(data_pedido) FROM orders)
)
SELECT
    d AS full_date,
    d - DATE '1970-01-01' AS day_number,
    CAST(EXTRACT(DOW FROM d) AS INTEGER) + 1 AS day_of_week_num,
    CAST(EXTRACT(DOY FROM d) AS INTEGER) AS day_of_year,
    CAST(EXTRACT(WEEK FROM d) AS INTEGER) AS iso_week,
    CAST(date_trunc('month', d) AS DATE) AS first_day_of_month,
    CAST(date_trunc('month', d) + INTERVAL '1 month - 1 day' AS DATE) AS last_day_of_month
FROM days
WHERE d IS NOT NULL;
