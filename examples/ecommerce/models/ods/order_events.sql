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
-- One parse of each payload into the fields read below: `payload ->> 'x'`
-- parses the whole document again for every field (about 4x slower over the
-- history, measured in BENCHMARKS.md). A field absent from a payload, like
-- `channel` before it appeared, reads as NULL, exactly as `->>` does.
WITH events AS (
    SELECT json_transform(payload, '{"order_id": "VARCHAR", "event_id": "VARCHAR", "customer_id": "VARCHAR", "customer_email": "VARCHAR", "event_type": "VARCHAR", "event_time": "VARCHAR", "version": "VARCHAR", "status": "VARCHAR", "currency": "VARCHAR", "gross_amount": "VARCHAR", "discount_amount": "VARCHAR", "tax_amount": "VARCHAR", "country": "VARCHAR", "channel": "VARCHAR"}') AS e, _ingested_at
    FROM raw.orders_events
)
SELECT
    e.order_id,
    e.event_id,
    e.customer_id,
    -- Tokenized at landing: the address never reached the warehouse.
    e.customer_email AS email_token,
    e.event_type,
    CAST(CAST(upper(trim(e.event_time)) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
    CAST(NULLIF(trim(e.version), '') AS INTEGER) AS version,
    e.status,
    upper(trim(e.currency)) AS currency,
    CAST(NULLIF(trim(e.gross_amount), '') AS DECIMAL(18, 2)) AS gross_amount,
    CAST(coalesce(NULLIF(trim(e.discount_amount), ''), '0') AS DECIMAL(18, 2)) AS discount_amount,
    CAST(NULLIF(trim(e.tax_amount), '') AS DECIMAL(18, 2)) AS tax_amount,
    upper(trim(e.country)) AS country,
    e.channel,
    _ingested_at
FROM events
