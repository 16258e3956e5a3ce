WITH shipments AS (
    SELECT
        shipment_id,
        min(order_id) AS order_id,
        -- The carrier of the latest milestone that names one, like DuckDB's
        -- arg_max(carrier, (event_time, milestone)), which skips NULL carriers:
        -- the key sorts as the tuple does, and is NULL where the carrier is.
        MAX_BY(carrier, IF(carrier IS NULL, NULL,
            CONCAT(FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', event_time, 'UTC'), '|', milestone))) AS carrier,
        min(IF(milestone = 'label_created', event_time, NULL)) AS label_created_at,
        min(IF(milestone = 'picked_up', event_time, NULL)) AS picked_up_at,
        min(IF(milestone = 'delivered', event_time, NULL)) AS delivered_at
    FROM ods.shipment_milestones
    GROUP BY shipment_id
)
SELECT
    s.shipment_id,
    s.order_id,
    s.carrier,
    s.label_created_at,
    s.picked_up_at,
    s.delivered_at,
    CAST(o.order_created_at AS DATE) AS order_date
FROM shipments AS s
LEFT JOIN ods.orders_current AS o ON o.order_id = s.order_id
