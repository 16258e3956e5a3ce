-- UTC timestamps: parsed with their offset, moved to UTC, offset dropped
-- (see order_events.snowflake.sql).
SELECT
    shipment_id,
    milestone,
    order_id,
    carrier,
    CAST(CONVERT_TIMEZONE('UTC', CAST(upper(trim(event_time)) AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS event_time,
    _ingested_at
FROM raw.shipments_events
