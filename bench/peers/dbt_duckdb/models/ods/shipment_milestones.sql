{#- One row per (shipment, milestone): the earliest time it was reached. -#}
{{ config(unique_key=['shipment_id', 'milestone']) }}

WITH
{% if is_incremental() -%}
changed AS (
    SELECT DISTINCT shipment_id, milestone FROM {{ source('raw', 'shipments_events') }} WHERE {{ raw_since() }}
),
{% endif -%}
typed AS (
    SELECT
        shipment_id,
        milestone,
        order_id,
        carrier,
        CAST(CAST(upper(trim(event_time)) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
        _ingested_at
    FROM {{ source('raw', 'shipments_events') }}
    {% if is_incremental() -%}
    WHERE (shipment_id, milestone) IN (SELECT (shipment_id, milestone) FROM changed)
    {%- endif %}
),
earliest AS (
    -- In a separate step: ordering by event_time in the typing SELECT
    -- would order by the raw text column of that name.
    SELECT * FROM typed
    QUALIFY row_number() OVER (PARTITION BY shipment_id, milestone ORDER BY event_time ASC, _ingested_at ASC) = 1
)
SELECT e.*, {{ stamp() }} AS _dbt_loaded_at
FROM earliest AS e
{% if is_incremental() -%}
WHERE {{ differs_from_this('e', ['shipment_id', 'milestone'], ['order_id', 'carrier', 'event_time']) }}
{%- endif %}
