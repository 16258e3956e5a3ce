/* pushdown
# One row per shipment, in the partition of its order's order_date (null
# until the order's order_created event has arrived).
materialized = "partition_overwrite"
partition_by = "order_date"
unique_key = ["shipment_id"]

[upstream."ods.shipment_milestones"]
via = "shipment_id"
# One row per shipment of ods.shipment_milestones (see fact_orders).
grain = true
[upstream."ods.orders_current"]
via = "order_id"

[[checks]]
type = "unique"
columns = ["shipment_id"]
*/
WITH shipments AS (
    SELECT
        shipment_id,
        min(order_id) AS order_id,
        arg_max(carrier, (event_time, milestone)) AS carrier,
        min(event_time) FILTER (WHERE milestone = 'label_created') AS label_created_at,
        min(event_time) FILTER (WHERE milestone = 'picked_up') AS picked_up_at,
        min(event_time) FILTER (WHERE milestone = 'delivered') AS delivered_at
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
