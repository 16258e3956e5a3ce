/* pushdown
# One rate per (day, currency); a redelivered or corrected file wins by landing order.
materialized = "incremental"
unique_key = ["rate_date", "currency"]
latest_by = ["_ingested_at desc", "_line desc"]
*/
SELECT
    CAST(NULLIF(trim(rate_date), '') AS DATE) AS rate_date,
    upper(trim(currency)) AS currency,
    CAST(NULLIF(trim(usd_rate), '') AS DECIMAL(18, 6)) AS usd_rate,
    _ingested_at,
    _line
FROM raw.fx_rates
