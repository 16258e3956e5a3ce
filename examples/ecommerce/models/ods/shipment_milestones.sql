/* pushdown
# One row per (shipment, milestone): the earliest time it was reached.
materialized = "incremental"
unique_key = ["shipment_id", "milestone"]
latest_by = ["event_time asc", "_ingested_at asc"]

# A shipment's milestones come from its own events only: read just those.
[upstream."raw.shipments_events"]
via = "shipment_id"
*/
SELECT
    shipment_id,
    milestone,
    order_id,
    carrier,
    CAST(CAST(upper(trim(event_time)) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
    _ingested_at
FROM raw.shipments_events
