/* pushdown
# One row per order: its latest event (spec §2 ods.orders_current), from the
# typed events of ods.order_events. An order is rebuilt from all its events
# when any of them is new; `via` lets the build read only those orders' events.
materialized = "incremental"
unique_key = ["order_id"]
latest_by = ["event_time desc", "version desc", "_ingested_at desc"]

[upstream."ods.order_events"]
via = "order_id"

[[checks]]
type = "unique"
columns = ["order_id"]

[[checks]]
type = "not_null"
columns = ["order_id"]
*/
SELECT
    order_id,
    event_id,
    customer_id,
    email_token,
    event_type,
    event_time,
    version,
    status,
    currency,
    gross_amount,
    discount_amount,
    tax_amount,
    country,
    channel,
    -- When the order was created, whatever event is the latest; null until
    -- the order_created event has arrived.
    min(CASE WHEN event_type = 'order_created' THEN event_time END)
        OVER (PARTITION BY order_id) AS order_created_at,
    _ingested_at
FROM ods.order_events
