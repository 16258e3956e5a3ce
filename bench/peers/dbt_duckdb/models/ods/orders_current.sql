{#- One row per order: its latest event (event_time desc, version desc,
    _ingested_at desc). An incremental run recomputes the orders that have raw
    events landed since the last run (plus the lookback) from all their
    events, and merges the rows that changed. -#}
{{ config(unique_key='order_id') }}

WITH
{% if is_incremental() -%}
changed_orders AS (
    SELECT DISTINCT payload ->> 'order_id' AS order_id
    FROM {{ source('raw', 'orders_events') }}
    WHERE {{ raw_since() }}
),
{% endif -%}
events AS (
    SELECT
        payload ->> 'order_id' AS order_id,
        payload ->> 'event_id' AS event_id,
        payload ->> 'customer_id' AS customer_id,
        -- Tokenized at landing: the address never reached the warehouse.
        payload ->> 'customer_email' AS email_token,
        payload ->> 'event_type' AS event_type,
        CAST(CAST(upper(trim(payload ->> 'event_time')) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
        CAST(NULLIF(trim(payload ->> 'version'), '') AS INTEGER) AS version,
        payload ->> 'status' AS status,
        upper(trim(payload ->> 'currency')) AS currency,
        CAST(NULLIF(trim(payload ->> 'gross_amount'), '') AS DECIMAL(18, 2)) AS gross_amount,
        CAST(coalesce(NULLIF(trim(payload ->> 'discount_amount'), ''), '0') AS DECIMAL(18, 2)) AS discount_amount,
        CAST(NULLIF(trim(payload ->> 'tax_amount'), '') AS DECIMAL(18, 2)) AS tax_amount,
        upper(trim(payload ->> 'country')) AS country,
        payload ->> 'channel' AS channel,
        _ingested_at
    FROM {{ source('raw', 'orders_events') }}
    {% if is_incremental() -%}
    WHERE payload ->> 'order_id' IN (SELECT order_id FROM changed_orders)
    {%- endif %}
),
latest AS (
    SELECT
        * EXCLUDE (_ingested_at),
        -- The earliest order_created, whatever event is the latest; null
        -- until the order_created event has arrived.
        min(event_time) FILTER (WHERE event_type = 'order_created') OVER (PARTITION BY order_id) AS order_created_at,
        _ingested_at
    FROM events
    QUALIFY row_number() OVER (PARTITION BY order_id ORDER BY event_time DESC, version DESC, _ingested_at DESC) = 1
)
SELECT l.*, {{ stamp() }} AS _dbt_loaded_at
FROM latest AS l
{% if is_incremental() -%}
WHERE {{ differs_from_this('l', ['order_id'], ['event_id', 'customer_id', 'email_token', 'event_type', 'event_time',
      'version', 'status', 'currency', 'gross_amount', 'discount_amount', 'tax_amount', 'country', 'channel',
      'order_created_at']) }}
{%- endif %}
