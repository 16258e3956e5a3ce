-- UTC timestamps: parsed with their offset, moved to UTC, offset dropped
-- (see ods/order_events.snowflake.sql).
SELECT
    customer_id,
    email AS email_token,
    upper(trim(country)) AS country,
    trim(segment) AS segment,
    CAST(CONVERT_TIMEZONE('UTC', CAST(upper(trim(updated_at)) AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS valid_from
FROM raw.customers
