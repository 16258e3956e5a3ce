-- No FILTER clause in Snowflake: COUNT_IF, and IFF inside the aggregates.
WITH ranked AS (
    SELECT
        order_date,
        net_amount_usd AS v,
        row_number() OVER (PARTITION BY order_date ORDER BY net_amount_usd) - 1 AS i,
        0.95 * (count(*) OVER (PARTITION BY order_date) - 1) AS pos
    FROM dw.fact_orders
    WHERE NOT is_cancelled
),
p95 AS (
    SELECT
        order_date,
        max(IFF(i = floor(pos), v, NULL)) AS lo,
        coalesce(max(IFF(i = floor(pos) + 1, v, NULL)), max(IFF(i = floor(pos), v, NULL))) AS hi,
        max(pos) - floor(max(pos)) AS frac
    FROM ranked
    GROUP BY order_date
)
SELECT
    f.order_date,
    COUNT_IF(NOT f.is_cancelled) AS orders,
    COUNT_IF(f.is_cancelled) AS cancelled_orders,
    CAST(coalesce(sum(IFF(NOT f.is_cancelled, f.gross_amount_usd, NULL)), 0) AS DECIMAL(18, 2)) AS gross_usd,
    CAST(coalesce(sum(IFF(NOT f.is_cancelled, f.net_amount_usd, NULL)), 0) AS DECIMAL(18, 2)) AS net_usd,
    CAST(coalesce(sum(IFF(NOT f.is_cancelled AND f.is_paid AND NOT f.is_refunded, f.net_amount_usd, NULL)), 0) AS DECIMAL(18, 2)) AS paid_net_usd,
    CAST(round(any_value(p.lo) + any_value(p.frac) * (any_value(p.hi) - any_value(p.lo)), 2) AS DECIMAL(18, 2)) AS p95_net_usd
FROM dw.fact_orders AS f
LEFT JOIN p95 AS p ON p.order_date = f.order_date
GROUP BY f.order_date
