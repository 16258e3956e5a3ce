SELECT
    payment_id,
    order_id,
    CAST(upper(trim(event_time)) AS TIMESTAMP) AS event_time,
    status,
    CAST(NULLIF(trim(amount), '') AS NUMERIC(18, 2)) AS amount,
    upper(trim(currency)) AS currency,
    CAST(NULLIF(trim(version), '') AS INT64) AS version,
    _ingested_at
FROM raw.payments_events
