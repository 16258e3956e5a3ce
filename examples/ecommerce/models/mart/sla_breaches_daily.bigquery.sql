WITH counts AS (
    SELECT
        order_date,
        COUNTIF(NOT is_cancelled AND delivered_at IS NOT NULL) AS delivered_orders,
        COUNTIF(NOT is_cancelled AND delivered_at IS NOT NULL
                AND TIMESTAMP_DIFF(delivered_at, order_created_at, MICROSECOND) > 259200000000) AS breached_orders,  -- 72 hours
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
    -- The FLOAT64 quotient is never within an ulp of an integer it is not, so
    -- FLOOR is exact; dividing the NUMERIC by 10^4 is exact too. (bqemulator
    -- gets DIV() and a CAST to NUMERIC(p, 4) wrong; this form it gets right.)
    CASE WHEN delivered_orders > 0
         THEN CAST(CAST(FLOOR((breached_orders * 20000 + delivered_orders) / (2 * delivered_orders)) AS INT64) AS NUMERIC) / 10000
    END AS breach_rate
FROM counts
