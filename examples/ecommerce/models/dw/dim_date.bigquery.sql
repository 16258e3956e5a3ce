SELECT
    d AS date,
    EXTRACT(YEAR FROM d) AS year,
    EXTRACT(QUARTER FROM d) AS quarter,
    EXTRACT(MONTH FROM d) AS month,
    EXTRACT(DAY FROM d) AS day_of_month,
    -- DAYOFWEEK counts from Sunday = 1; ISO from Monday = 1.
    MOD(EXTRACT(DAYOFWEEK FROM d) + 5, 7) + 1 AS iso_day_of_week,
    FORMAT_DATE('%A', d) AS day_name,
    MOD(EXTRACT(DAYOFWEEK FROM d) + 5, 7) + 1 >= 6 AS is_weekend
FROM (
    SELECT min(order_date) AS lo, max(order_date) AS hi FROM dw.fact_orders
) AS bounds, UNNEST(GENERATE_DATE_ARRAY(bounds.lo, bounds.hi, INTERVAL 1 DAY)) AS d
WHERE d IS NOT NULL
