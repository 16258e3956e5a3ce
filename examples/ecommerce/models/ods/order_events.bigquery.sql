SELECT
    JSON_VALUE(payload, '$.order_id') AS order_id,
    JSON_VALUE(payload, '$.event_id') AS event_id,
    JSON_VALUE(payload, '$.customer_id') AS customer_id,
    -- Tokenized at landing: the address never reached the warehouse.
    JSON_VALUE(payload, '$.customer_email') AS email_token,
    JSON_VALUE(payload, '$.event_type') AS event_type,
    CAST(upper(trim(JSON_VALUE(payload, '$.event_time'))) AS TIMESTAMP) AS event_time,
    CAST(NULLIF(trim(JSON_VALUE(payload, '$.version')), '') AS INT64) AS version,
    JSON_VALUE(payload, '$.status') AS status,
    upper(trim(JSON_VALUE(payload, '$.currency'))) AS currency,
    CAST(NULLIF(trim(JSON_VALUE(payload, '$.gross_amount')), '') AS NUMERIC(18, 2)) AS gross_amount,
    CAST(coalesce(NULLIF(trim(JSON_VALUE(payload, '$.discount_amount')), ''), '0') AS NUMERIC(18, 2)) AS discount_amount,
    CAST(NULLIF(trim(JSON_VALUE(payload, '$.tax_amount')), '') AS NUMERIC(18, 2)) AS tax_amount,
    upper(trim(JSON_VALUE(payload, '$.country'))) AS country,
    JSON_VALUE(payload, '$.channel') AS channel,
    _ingested_at
FROM raw.orders_events
