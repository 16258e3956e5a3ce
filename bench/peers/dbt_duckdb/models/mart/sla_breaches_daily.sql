{#- One row per order_date that has any order. A breach is a delivery more
    than 72 hours (strictly) after the order was created. -#}
WITH counts AS (
    SELECT
        order_date,
        count(*) FILTER (WHERE NOT is_cancelled AND delivered_at IS NOT NULL) AS delivered_orders,
        count(*) FILTER (WHERE NOT is_cancelled AND delivered_at IS NOT NULL
                           AND delivered_at - order_created_at > INTERVAL 72 HOUR) AS breached_orders,
        count(*) FILTER (WHERE NOT is_cancelled AND delivered_at IS NULL) AS pending_orders
    FROM {{ ref('fact_orders') }}
    {% if is_incremental() -%}
    WHERE order_date IN ({{ mart_dates() }})
    {%- endif %}
    GROUP BY order_date
)
SELECT
    order_date,
    delivered_orders,
    breached_orders,
    pending_orders,
    -- Exact rational rounding, half away from zero: floor((2*b*10^4 + d) / 2d) / 10^4.
    CASE WHEN delivered_orders > 0
         THEN CAST(CAST((breached_orders * 20000 + delivered_orders) // (2 * delivered_orders) AS DECIMAL(18, 0)) * 0.0001 AS DECIMAL(10, 4))
    END AS breach_rate,
    {{ stamp() }} AS _dbt_loaded_at
FROM counts
