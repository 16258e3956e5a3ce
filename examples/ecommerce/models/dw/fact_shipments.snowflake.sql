-- No FILTER clause in Snowflake: conditional aggregates take IFF. The carrier
-- is the one of the latest milestone, by (event_time, milestone), among the
-- milestones that name one, as DuckDB's arg_max (which skips NULL carriers).
WITH carriers AS (
    SELECT shipment_id, carrier
    FROM ods.shipment_milestones
    WHERE carrier IS NOT NULL
    QUALIFY row_number() OVER (
        PARTITION BY shipment_id ORDER BY event_time DESC NULLS LAST, milestone DESC NULLS LAST
    ) = 1
),
shipments AS (
    SELECT
        shipment_id,
        min(order_id) AS order_id,
        min(IFF(milestone = 'label_created', event_time, NULL)) AS label_created_at,
        min(IFF(milestone = 'picked_up', event_time, NULL)) AS picked_up_at,
        min(IFF(milestone = 'delivered', event_time, NULL)) AS delivered_at
    FROM ods.shipment_milestones
    GROUP BY shipment_id
)
SELECT
    s.shipment_id,
    s.order_id,
    c.carrier,
    s.label_created_at,
    s.picked_up_at,
    s.delivered_at,
    CAST(o.order_created_at AS DATE) AS order_date
FROM shipments AS s
LEFT JOIN carriers AS c ON c.shipment_id = s.shipment_id
LEFT JOIN ods.orders_current AS o ON o.order_id = s.order_id
