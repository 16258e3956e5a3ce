WITH RECURSIVE days (d, last_day) AS (
    SELECT min(order_date), max(order_date) FROM dw.fact_orders
    UNION ALL
    SELECT DATEADD(day, 1, d), last_day FROM days WHERE d < last_day
)
SELECT
    CAST(d AS DATE) AS date,
    YEAR(d) AS year,
    QUARTER(d) AS quarter,
    MONTH(d) AS month,
    DAY(d) AS day_of_month,
    DAYOFWEEKISO(d) AS iso_day_of_week,
    -- Snowflake's DAYNAME abbreviates ('Thu'); the spec wants the full name.
    DECODE(DAYOFWEEKISO(d), 1, 'Monday', 2, 'Tuesday', 3, 'Wednesday', 4, 'Thursday', 5, 'Friday', 6, 'Saturday', 7, 'Sunday') AS day_name,
    DAYOFWEEKISO(d) >= 6 AS is_weekend
FROM days
WHERE d IS NOT NULL
