-- Gold dimensions. dim_date spans the data's range (from silver_calendar), not a hard-coded period,
-- so no order can fall outside it. Flags are 0/1 integers: the same values on SQLite and PostgreSQL.
DROP TABLE IF EXISTS gold_dim_date;
CREATE TABLE gold_dim_date AS
SELECT date_key, full_date, year, quarter, year_quarter, month, month_name, year_month, week_of_year,
       iso_week, day_of_month, day_of_week_num, day_of_week_name, day_of_week_abbrev, day_of_year,
       is_weekend, is_weekday, day_in_month, last_day_of_month, first_day_of_month, day_number
FROM silver_calendar;

DROP TABLE IF EXISTS gold_dim_product;
CREATE TABLE gold_dim_product AS
SELECT product_id AS product_key, product_id, product_name, CURRENT_TIMESTAMP AS _valid_from,
       '9999-12-31 23:59:59' AS _valid_to, 1 AS is_current
FROM silver_products;

DROP TABLE IF EXISTS gold_dim_unit;
CREATE TABLE gold_dim_unit AS
SELECT unit_id AS unit_key, unit_id, unit_name, state_id, state_name, country_id, country_name,
       CURRENT_TIMESTAMP AS _valid_from, '9999-12-31 23:59:59' AS _valid_to, 1 AS is_current
FROM silver_units;

DROP TABLE IF EXISTS gold_dim_geography;
CREATE TABLE gold_dim_geography AS
SELECT s.state_id AS geography_key, s.state_id, s.state_name, c.country_id, c.country_name
FROM silver_states s
JOIN silver_countries c ON c.country_id = s.country_id;
