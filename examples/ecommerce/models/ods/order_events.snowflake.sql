-- `payload` is a VARIANT: fields by path, cast to VARCHAR (a JSON null reads
-- as SQL NULL). Timestamps: parsed with their offset as TIMESTAMP_TZ, moved
-- to UTC, then the offset dropped; a plain CAST to TIMESTAMP_NTZ would keep
-- the local wall time instead.
SELECT
    payload:order_id::VARCHAR AS order_id,
    payload:event_id::VARCHAR AS event_id,
    payload:customer_id::VARCHAR AS customer_id,
    -- Tokenized at landing: the address never reached the warehouse.
    payload:customer_email::VARCHAR AS email_token,
    payload:event_type::VARCHAR AS event_type,
    CAST(CONVERT_TIMEZONE('UTC', CAST(upper(trim(payload:event_time::VARCHAR)) AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS event_time,
    CAST(NULLIF(trim(payload:version::VARCHAR), '') AS INTEGER) AS version,
    payload:status::VARCHAR AS status,
    upper(trim(payload:currency::VARCHAR)) AS currency,
    CAST(NULLIF(trim(payload:gross_amount::VARCHAR), '') AS DECIMAL(18, 2)) AS gross_amount,
    CAST(coalesce(NULLIF(trim(payload:discount_amount::VARCHAR), ''), '0') AS DECIMAL(18, 2)) AS discount_amount,
    CAST(NULLIF(trim(payload:tax_amount::VARCHAR), '') AS DECIMAL(18, 2)) AS tax_amount,
    upper(trim(payload:country::VARCHAR)) AS country,
    payload:channel::VARCHAR AS channel,
    _ingested_at
FROM raw.orders_events
