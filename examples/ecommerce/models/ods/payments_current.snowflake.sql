-- UTC timestamps: parsed with their offset, moved to UTC, offset dropped
-- (see order_events.snowflake.sql).
SELECT
    payment_id,
    order_id,
    CAST(CONVERT_TIMEZONE('UTC', CAST(upper(trim(event_time)) AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS event_time,
    status,
    CAST(NULLIF(trim(amount), '') AS DECIMAL(18, 2)) AS amount,
    upper(trim(currency)) AS currency,
    CAST(NULLIF(trim(version), '') AS INTEGER) AS version,
    _ingested_at
FROM raw.payments_events
