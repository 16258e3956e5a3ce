SELECT
    customer_id,
    email AS email_token,
    upper(trim(country)) AS country,
    trim(segment) AS segment,
    CAST(upper(trim(updated_at)) AS TIMESTAMP) AS valid_from
FROM raw.customers
