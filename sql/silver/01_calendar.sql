-- Calendar attributes derived portably from the per-dialect base (names, quarters, weeks, flags).
DROP TABLE IF EXISTS silver_calendar;
CREATE TABLE silver_calendar AS
SELECT
    b.full_date,
    b.day_number,
    SUBSTR(CAST(b.full_date AS TEXT), 1, 4) || SUBSTR(CAST(b.full_date AS TEXT), 6, 2) || SUBSTR(CAST(b.full_date AS TEXT), 9, 2) AS date_key,
    CAST(SUBSTR(CAST(b.full_date AS TEXT), 1, 4) AS INTEGER) AS year,
    (CAST(SUBSTR(CAST(b.full_date AS TEXT), 6, 2) AS INTEGER) + 2) / 3 AS quarter,
    SUBSTR(CAST(b.full_date AS TEXT), 1, 4) || '-Q' || CAST((CAST(SUBSTR(CAST(b.full_date AS TEXT), 6, 2) AS INTEGER) + 2) / 3 AS TEXT) AS year_quarter,
    CAST(SUBSTR(CAST(b.full_date AS TEXT), 6, 2) AS INTEGER) AS month,
    CASE CAST(SUBSTR(CAST(b.full_date AS TEXT), 6, 2) AS INTEGER)
        WHEN 1 THEN 'January' WHEN 2 THEN 'February' WHEN 3 THEN 'March' WHEN 4 THEN 'April'
        WHEN 5 THEN 'May' WHEN 6 THEN 'June' WHEN 7 THEN 'July' WHEN 8 THEN 'August'
        WHEN 9 THEN 'September' WHEN 10 THEN 'October' WHEN 11 THEN 'November' ELSE 'December'
    END AS month_name,
    SUBSTR(CAST(b.full_date AS TEXT), 1, 7) AS year_month,
    -- Sunday-based week of the year, weeks before the first Sunday are week 0 (as BigQuery's WEEK)
    (b.day_of_year - 1 - (b.day_of_week_num - 1) + 7) / 7 AS week_of_year,
    b.iso_week,
    CAST(SUBSTR(CAST(b.full_date AS TEXT), 9, 2) AS INTEGER) AS day_of_month,
    b.day_of_week_num,
    CASE b.day_of_week_num
        WHEN 1 THEN 'Sunday' WHEN 2 THEN 'Monday' WHEN 3 THEN 'Tuesday' WHEN 4 THEN 'Wednesday'
        WHEN 5 THEN 'Thursday' WHEN 6 THEN 'Friday' ELSE 'Saturday'
    END AS day_of_week_name,
    CASE b.day_of_week_num
        WHEN 1 THEN 'Sun' WHEN 2 THEN 'Mon' WHEN 3 THEN 'Tue' WHEN 4 THEN 'Wed'
        WHEN 5 THEN 'Thu' WHEN 6 THEN 'Fri' ELSE 'Sat'
    END AS day_of_week_abbrev,
    b.day_of_year,
    CASE WHEN b.day_of_week_num IN (1, 7) THEN 1 ELSE 0 END AS is_weekend,
    CASE WHEN b.day_of_week_num IN (1, 7) THEN 0 ELSE 1 END AS is_weekday,
    CAST(SUBSTR(CAST(b.last_day_of_month AS TEXT), 9, 2) AS INTEGER) AS day_in_month,
    b.last_day_of_month,
    b.first_day_of_month
FROM silver_calendar_base b;
DROP TABLE silver_calendar_base;
