{#- One rate per (day, currency); a redelivered or corrected file wins by landing order. -#}
{{ config(unique_key=['rate_date', 'currency']) }}

WITH
{% if is_incremental() -%}
changed AS (
    SELECT DISTINCT CAST(NULLIF(trim(rate_date), '') AS DATE) AS rate_date, upper(trim(currency)) AS currency
    FROM {{ source('raw', 'fx_rates') }} WHERE {{ raw_since() }}
),
{% endif -%}
rates AS (
    SELECT
        CAST(NULLIF(trim(rate_date), '') AS DATE) AS rate_date,
        upper(trim(currency)) AS currency,
        CAST(NULLIF(trim(usd_rate), '') AS DECIMAL(18, 6)) AS usd_rate,
        _ingested_at,
        _line
    FROM {{ source('raw', 'fx_rates') }}
),
latest AS (
    SELECT * FROM rates
    {% if is_incremental() -%}
    WHERE (rate_date, currency) IN (SELECT (rate_date, currency) FROM changed)
    {%- endif %}
    QUALIFY row_number() OVER (PARTITION BY rate_date, currency ORDER BY _ingested_at DESC, _line DESC) = 1
)
SELECT l.*, {{ stamp() }} AS _dbt_loaded_at
FROM latest AS l
{% if is_incremental() -%}
WHERE {{ differs_from_this('l', ['rate_date', 'currency'], ['usd_rate']) }}
{%- endif %}
