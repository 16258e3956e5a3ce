{#- One row per shipment, with its order's order_date (null until the
    order's order_created event has arrived). Merged by shipment_id: a run
    recomputes the shipments whose milestones or order changed; a backfill
    the shipments of orders in range (and those without an order_date). -#}
{{ config(materialized='incremental', incremental_strategy='merge', unique_key='shipment_id') }}

WITH
{% if is_incremental() -%}
affected AS (
    {% if is_backfill() -%}
    SELECT shipment_id FROM {{ this }} WHERE {{ in_backfill_range('order_date') }} OR order_date IS NULL
    UNION
    SELECT m.shipment_id
    FROM {{ ref('shipment_milestones') }} AS m
    JOIN {{ ref('orders_current') }} AS o ON o.order_id = m.order_id
    WHERE {{ in_backfill_range('CAST(o.order_created_at AS DATE)') }}
    {%- else -%}
    SELECT shipment_id FROM {{ ref('shipment_milestones') }} AS u WHERE {{ changed_since('u') }}
    UNION
    SELECT m.shipment_id
    FROM {{ ref('shipment_milestones') }} AS m
    JOIN {{ ref('orders_current') }} AS u ON u.order_id = m.order_id
    WHERE {{ changed_since('u') }}
    {%- endif %}
),
{% endif -%}
shipments AS (
    SELECT
        shipment_id,
        min(order_id) AS order_id,
        arg_max(carrier, (event_time, milestone)) AS carrier,
        min(event_time) FILTER (WHERE milestone = 'label_created') AS label_created_at,
        min(event_time) FILTER (WHERE milestone = 'picked_up') AS picked_up_at,
        min(event_time) FILTER (WHERE milestone = 'delivered') AS delivered_at
    FROM {{ ref('shipment_milestones') }}
    {% if is_incremental() -%}
    WHERE shipment_id IN (SELECT shipment_id FROM affected)
    {%- endif %}
    GROUP BY shipment_id
),
joined AS (
    SELECT
        s.shipment_id,
        s.order_id,
        s.carrier,
        s.label_created_at,
        s.picked_up_at,
        s.delivered_at,
        CAST(o.order_created_at AS DATE) AS order_date
    FROM shipments AS s
    LEFT JOIN {{ ref('orders_current') }} AS o ON o.order_id = s.order_id
)
SELECT j.*, {{ stamp() }} AS _dbt_loaded_at
FROM joined AS j
{% if is_incremental() -%}
WHERE {{ differs_from_this('j', ['shipment_id'], ['order_id', 'carrier', 'label_created_at', 'picked_up_at',
      'delivered_at', 'order_date']) }}
{%- endif %}
