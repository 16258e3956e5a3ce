/* pushdown
# One row per payment: its latest event.
materialized = "incremental"
unique_key = ["payment_id"]
latest_by = ["event_time desc", "version desc", "_ingested_at desc"]

[[checks]]
type = "unique"
columns = ["payment_id"]
*/
SELECT
    payment_id,
    order_id,
    CAST(CAST(event_time AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
    status,
    CAST(amount AS DECIMAL(18, 2)) AS amount,
    currency,
    CAST(version AS INTEGER) AS version,
    _ingested_at
FROM raw.payments_events
