WITH counts AS (
    SELECT
        order_date,
        COUNT_IF(NOT is_cancelled AND delivered_at IS NOT NULL) AS delivered_orders,
        COUNT_IF(NOT is_cancelled AND delivered_at IS NOT NULL
                 AND delivered_at > DATEADD(hour, 72, order_created_at)) AS breached_orders,
        COUNT_IF(NOT is_cancelled AND delivered_at IS NULL) AS pending_orders
    FROM dw.fact_orders
    GROUP BY order_date
)
SELECT
    order_date,
    delivered_orders,
    breached_orders,
    pending_orders,
    -- Exact rational rounding, half away from zero: floor((2*b*10^4 + d) / 2d) / 10^4,
    -- the floor taken exactly as (n - mod(n, m)) / m (Snowflake has no `//`).
    CASE WHEN delivered_orders > 0
         THEN CAST(CAST(((breached_orders * 20000 + delivered_orders) - MOD(breached_orders * 20000 + delivered_orders, 2 * delivered_orders)) / (2 * delivered_orders) AS DECIMAL(18, 0)) * 0.0001 AS DECIMAL(10, 4))
    END AS breach_rate
FROM counts
