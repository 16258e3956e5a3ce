/* pushdown
# Helper table, not in the spec: every landed order event with its fields
# extracted from the JSON payload and typed, once. Partitioned by landing
# time, so a run reads only the raw rows of its lookback window and appends
# what is new; ods.orders_current then finds and rebuilds its affected orders
# from plain columns instead of parsing the whole raw history.
materialized = "partition_overwrite"
partition_by = "_ingested_at"

[upstream."raw.orders_events"]
via = "_ingested_at"
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
    _ingested_at
FROM raw.orders_events
