-- Snowflake has no bool_or (BOOLOR_AGG) and sorts NULLs first when descending
-- (DuckDB last): the order is spelled out.
WITH orders AS (
    SELECT * FROM ods.orders_current WHERE order_created_at IS NOT NULL
),
customer AS (
    -- The version valid when the order was created; the earliest version
    -- when the order predates every version.
    SELECT o.order_id, d.customer_sk
    FROM orders AS o
    JOIN dw.dim_customer AS d ON d.customer_id = o.customer_id
    QUALIFY row_number() OVER (
        PARTITION BY o.order_id
        ORDER BY (d.valid_from <= o.order_created_at AND (d.valid_to IS NULL OR o.order_created_at < d.valid_to)) DESC NULLS LAST,
                 d.valid_from ASC NULLS LAST
    ) = 1
),
payments AS (
    SELECT order_id, BOOLOR_AGG(status = 'captured') AS is_paid, BOOLOR_AGG(status = 'refunded') AS is_refunded
    FROM ods.payments_current
    GROUP BY order_id
),
delivered AS (
    SELECT order_id, max(event_time) AS delivered_at
    FROM ods.shipment_milestones
    WHERE milestone = 'delivered'
    GROUP BY order_id
),
priced AS (
    SELECT
        o.*,
        CAST(o.order_created_at AS DATE) AS order_date,
        CAST(coalesce(fx.usd_rate, CASE WHEN o.currency = 'USD' THEN 1 END) AS DECIMAL(18, 6)) AS usd_rate
    FROM orders AS o
    LEFT JOIN ods.fx_rates AS fx ON fx.rate_date = CAST(o.order_created_at AS DATE) AND fx.currency = o.currency
)
SELECT
    p.order_id,
    p.order_date,
    p.order_created_at,
    c.customer_sk,
    p.currency,
    p.gross_amount,
    p.discount_amount,
    p.tax_amount,
    CAST(p.gross_amount - p.discount_amount AS DECIMAL(18, 2)) AS net_amount,
    p.usd_rate,
    CAST(round((p.gross_amount - p.discount_amount) * p.usd_rate, 2) AS DECIMAL(18, 2)) AS net_amount_usd,
    CAST(round(p.gross_amount * p.usd_rate, 2) AS DECIMAL(18, 2)) AS gross_amount_usd,
    p.status = 'cancelled' AS is_cancelled,
    coalesce(pay.is_paid, false) AS is_paid,
    coalesce(pay.is_refunded, false) AS is_refunded,
    d.delivered_at
FROM priced AS p
LEFT JOIN customer AS c ON c.order_id = p.order_id
LEFT JOIN payments AS pay ON pay.order_id = p.order_id
LEFT JOIN delivered AS d ON d.order_id = p.order_id
