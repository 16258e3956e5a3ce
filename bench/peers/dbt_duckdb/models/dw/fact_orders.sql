{#- Grain: one row per order that has its order_created event, partitioned by
    the UTC date of that event. An incremental run replaces (delete+insert)
    every order_date partition holding an order whose order, payments,
    shipments or customer version changed since this model last ran, and
    every date whose FX rate changed: a refund weeks late reaches its old
    partition. A backfill replaces exactly the partitions in its range. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_date',
    pre_hook="{{ snapshot_partition_counts('order_date') }}",
) }}

WITH
{% if is_incremental() -%}
affected_dates AS (
    {% if is_backfill() -%}
    SELECT CAST(d AS DATE) AS order_date
    FROM generate_series(CAST('{{ var("backfill_start") }}' AS DATE), CAST('{{ var("backfill_end") }}' AS DATE), INTERVAL 1 DAY) AS g(d)
    {%- else -%}
    WITH changed_orders AS (
        SELECT order_id FROM {{ ref('orders_current') }} AS u WHERE {{ changed_since('u') }}
        UNION
        SELECT order_id FROM {{ ref('payments_current') }} AS u WHERE {{ changed_since('u') }}
        UNION
        SELECT order_id FROM {{ ref('shipment_milestones') }} AS u WHERE {{ changed_since('u') }}
        UNION
        SELECT o.order_id
        FROM {{ ref('orders_current') }} AS o
        JOIN {{ ref('dim_customer') }} AS u ON u.customer_id = o.customer_id
        WHERE {{ changed_since('u') }}
    )
    SELECT CAST(order_created_at AS DATE) AS order_date
    FROM {{ ref('orders_current') }}
    WHERE order_created_at IS NOT NULL AND order_id IN (SELECT order_id FROM changed_orders)
    UNION
    SELECT order_date FROM {{ this }} WHERE order_id IN (SELECT order_id FROM changed_orders)
    UNION
    SELECT rate_date FROM {{ ref('fx_rates') }} AS u WHERE {{ changed_since('u') }}
    {%- endif %}
),
{% endif -%}
orders AS (
    SELECT * FROM {{ ref('orders_current') }}
    WHERE order_created_at IS NOT NULL
    {% if is_incremental() -%}
      AND CAST(order_created_at AS DATE) IN (SELECT order_date FROM affected_dates)
    {%- endif %}
),
customer AS (
    -- The version valid when the order was created; the earliest version
    -- when the order predates every version.
    SELECT o.order_id, d.customer_sk
    FROM orders AS o
    JOIN {{ ref('dim_customer') }} AS d ON d.customer_id = o.customer_id
    QUALIFY row_number() OVER (
        PARTITION BY o.order_id
        ORDER BY (d.valid_from <= o.order_created_at AND (d.valid_to IS NULL OR o.order_created_at < d.valid_to)) DESC,
                 d.valid_from ASC
    ) = 1
),
payments AS (
    SELECT order_id, bool_or(status = 'captured') AS is_paid, bool_or(status = 'refunded') AS is_refunded
    FROM {{ ref('payments_current') }}
    WHERE order_id IN (SELECT order_id FROM orders)
    GROUP BY order_id
),
delivered AS (
    SELECT order_id, max(event_time) AS delivered_at
    FROM {{ ref('shipment_milestones') }}
    WHERE milestone = 'delivered' AND order_id IN (SELECT order_id FROM orders)
    GROUP BY order_id
),
priced AS (
    SELECT
        o.*,
        CAST(o.order_created_at AS DATE) AS order_date,
        CAST(coalesce(fx.usd_rate, CASE WHEN o.currency = 'USD' THEN 1 END) AS DECIMAL(18, 6)) AS usd_rate
    FROM orders AS o
    LEFT JOIN {{ ref('fx_rates') }} AS fx ON fx.rate_date = CAST(o.order_created_at AS DATE) AND fx.currency = o.currency
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
    d.delivered_at,
    {{ stamp() }} AS _dbt_loaded_at
FROM priced AS p
LEFT JOIN customer AS c ON c.order_id = p.order_id
LEFT JOIN payments AS pay ON pay.order_id = p.order_id
LEFT JOIN delivered AS d ON d.order_id = p.order_id
