/* pushdown
# One row per payment: its latest event.
materialized = "incremental"
unique_key = ["payment_id"]
latest_by = ["event_time desc", "version desc", "_ingested_at desc"]

# A payment is rebuilt from its own events only: read just those.
[upstream."raw.payments_events"]
via = "payment_id"

[[checks]]
type = "unique"
columns = ["payment_id"]
*/
SELECT
    payment_id,
    order_id,
    CAST(CAST(upper(trim(event_time)) AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
    status,
    CAST(NULLIF(trim(amount), '') AS DECIMAL(18, 2)) AS amount,
    upper(trim(currency)) AS currency,
    CAST(NULLIF(trim(version), '') AS INTEGER) AS version,
    _ingested_at
FROM raw.payments_events
