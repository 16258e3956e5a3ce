/* pushdown
# One row per order: its latest event (spec §2 ods.orders_current).
materialized = "incremental"
unique_key = ["order_id"]
latest_by = ["event_time desc", "version desc", "_ingested_at desc"]

[[checks]]
type = "unique"
columns = ["order_id"]

[[checks]]
type = "not_null"
columns = ["order_id"]
*/
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
    -- When the order was created, whatever event is the latest; null until
    -- the order_created event has arrived.
    min(CASE WHEN payload ->> 'event_type' = 'order_created'
             THEN CAST(CAST(upper(trim(payload ->> 'event_time')) AS TIMESTAMPTZ) AS TIMESTAMP) END)
        OVER (PARTITION BY payload ->> 'order_id') AS order_created_at,
    _ingested_at
FROM raw.orders_events
