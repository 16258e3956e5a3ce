WITH counts AS (
    SELECT
        order_date,
        COUNTIF(NOT is_cancelled AND delivered_at IS NOT NULL) AS delivered_orders,
        COUNTIF(NOT is_cancelled AND delivered_at IS NOT NULL
                AND TIMESTAMP_DIFF(delivered_at, order_created_at, MICROSECOND) > 72 * 3600 * 1000000) AS breached_orders,
        COUNTIF(NOT is_cancelled AND delivered_at IS NULL) AS pending_orders
    FROM dw.fact_orders
    GROUP BY order_date
)
SELECT
    order_date,
    delivered_orders,
    breached_orders,
    pending_orders,
    -- Exact rational rounding, half away from zero: floor((2*b*10^4 + d) / 2d) / 10^4.
    CASE WHEN delivered_orders > 0
         THEN CAST(CAST(DIV(breached_orders * 20000 + delivered_orders, 2 * delivered_orders) AS NUMERIC) * NUMERIC '0.0001' AS NUMERIC(10, 4))
    END AS breach_rate
FROM counts
