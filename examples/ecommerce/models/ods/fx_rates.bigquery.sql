SELECT
    CAST(NULLIF(trim(rate_date), '') AS DATE) AS rate_date,
    upper(trim(currency)) AS currency,
    CAST(NULLIF(trim(usd_rate), '') AS NUMERIC(18, 6)) AS usd_rate,
    _ingested_at,
    _line
FROM raw.fx_rates
