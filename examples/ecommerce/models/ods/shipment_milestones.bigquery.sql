SELECT
    shipment_id,
    milestone,
    order_id,
    carrier,
    CAST(upper(trim(event_time)) AS TIMESTAMP) AS event_time,
    _ingested_at
FROM raw.shipments_events
