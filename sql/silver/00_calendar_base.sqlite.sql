-- The calendar spine of the data's range (min..max order date of bronze), built with a recursive CTE.
-- One of the two per-dialect files of the build: date arithmetic is the part SQLite and PostgreSQL
-- spell differently (date(d, '+1 day') vs d + 1, strftime vs EXTRACT). Everything else derives from
-- these columns in portable SQL.
DROP TABLE IF EXISTS silver_calendar_base;
CREATE TABLE silver_calendar_base AS
WITH RECURSIVE days(d) AS (
    SELECT MIN(data_pedido) FROM orders WHERE data_pedido IS NOT NULL
    UNION ALL
    SELECT date(d, '+1 day') FROM days
    WHERE d < (SELECT MAX(data_pedido) FROM orders)
)
SELECT
    d AS full_date,
    CAST(julianday(d) - 2440587.5 AS INTEGER) AS day_number,
    CAST(strftime('%w', d) AS INTEGER) + 1 AS day_of_week_num,
    CAST(strftime('%j', d) AS INTEGER) AS day_of_year,
    -- ISO week: the week of the Thursday of this date's Monday-based week
    (CAST(strftime('%j', date(d, ((4 - ((CAST(strftime('%w', d) AS INTEGER) + 6) % 7 + 1)) || ' days'))) AS INTEGER) - 1) / 7 + 1 AS iso_week,
    date(d, 'start of month') AS first_day_of_month,
    date(d, 'start of month', '+1 month', '-1 day') AS last_day_of_month
FROM days
WHERE d IS NOT NULL;
