{#- One row per payment: its latest event (event_time desc, version desc). -#}
{{ config(unique_key='payment_id') }}

WITH
{% if is_incremental() -%}
changed AS (
    SELECT DISTINCT payment_id FROM {{ source('raw', 'payments_events') }} WHERE {{ raw_since() }}
),
{% endif -%}
typed AS (
    SELECT
        payment_id,
        order_id,
        CAST(CAST(upper(trim(event_time)) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
        status,
        CAST(NULLIF(trim(amount), '') AS DECIMAL(18, 2)) AS amount,
        upper(trim(currency)) AS currency,
        CAST(NULLIF(trim(version), '') AS INTEGER) AS version,
        _ingested_at
    FROM {{ source('raw', 'payments_events') }}
    {% if is_incremental() -%}
    WHERE payment_id IN (SELECT payment_id FROM changed)
    {%- endif %}
),
latest AS (
    -- In a separate step: ordering by event_time in the typing SELECT
    -- would order by the raw text column of that name.
    SELECT * FROM typed
    QUALIFY row_number() OVER (PARTITION BY payment_id ORDER BY event_time DESC, version DESC, _ingested_at DESC) = 1
)
SELECT l.*, {{ stamp() }} AS _dbt_loaded_at
FROM latest AS l
{% if is_incremental() -%}
WHERE {{ differs_from_this('l', ['payment_id'], ['order_id', 'event_time', 'status', 'amount', 'currency', 'version']) }}
{%- endif %}
