{#- One row per calendar day from the first to the last order_date. -#}
{{ config(materialized='table') }}

SELECT
    CAST(d AS DATE) AS date,
    year(d) AS year,
    quarter(d) AS quarter,
    month(d) AS month,
    day(d) AS day_of_month,
    isodow(d) AS iso_day_of_week,
    dayname(d) AS day_name,
    isodow(d) >= 6 AS is_weekend
FROM (
    SELECT unnest(generate_series(min(order_date), max(order_date), INTERVAL 1 DAY)) AS d
    FROM {{ ref('fact_orders') }}
) AS days
WHERE d IS NOT NULL
