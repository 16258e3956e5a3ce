{#- One row per order_date that has any order. Sums are exact DECIMAL; the p95
    is PERCENTILE_CONT's linear interpolation computed in DECIMAL, then rounded
    half away from zero. Replaces the partitions fact_orders rewrote. -#}
WITH facts AS (
    SELECT * FROM {{ ref('fact_orders') }}
    {% if is_incremental() -%}
    WHERE order_date IN ({{ mart_dates() }})
    {%- endif %}
),
ranked AS (
    SELECT
        order_date,
        net_amount_usd AS v,
        row_number() OVER (PARTITION BY order_date ORDER BY net_amount_usd) - 1 AS i,
        0.95 * (count(*) OVER (PARTITION BY order_date) - 1) AS pos
    FROM facts
    WHERE NOT is_cancelled
),
p95 AS (
    SELECT
        order_date,
        max(v) FILTER (WHERE i = floor(pos)) AS lo,
        coalesce(max(v) FILTER (WHERE i = floor(pos) + 1), max(v) FILTER (WHERE i = floor(pos))) AS hi,
        max(pos) - floor(max(pos)) AS frac
    FROM ranked
    GROUP BY order_date
)
SELECT
    f.order_date,
    count(*) FILTER (WHERE NOT f.is_cancelled) AS orders,
    count(*) FILTER (WHERE f.is_cancelled) AS cancelled_orders,
    CAST(coalesce(sum(f.gross_amount_usd) FILTER (WHERE NOT f.is_cancelled), 0) AS DECIMAL(18, 2)) AS gross_usd,
    CAST(coalesce(sum(f.net_amount_usd) FILTER (WHERE NOT f.is_cancelled), 0) AS DECIMAL(18, 2)) AS net_usd,
    CAST(coalesce(sum(f.net_amount_usd) FILTER (WHERE NOT f.is_cancelled AND f.is_paid AND NOT f.is_refunded), 0) AS DECIMAL(18, 2)) AS paid_net_usd,
    CAST(round(any_value(p.lo) + any_value(p.frac) * (any_value(p.hi) - any_value(p.lo)), 2) AS DECIMAL(18, 2)) AS p95_net_usd,
    {{ stamp() }} AS _dbt_loaded_at
FROM facts AS f
LEFT JOIN p95 AS p ON p.order_date = f.order_date
GROUP BY f.order_date
