/* pushdown
# SCD type 2 over (email token, country, segment). Each export is a snapshot
# at its updated_at; pushdown keeps only snapshots that change a tracked
# column, closes each version at the next one's valid_from, and keys versions
# by hash(customer_id, valid_from): an incremental history and a full rebuild
# give identical keys.
materialized = "scd2"
unique_key = ["customer_id"]

# A customer's versions come from its own snapshots only: read just those.
[upstream."raw.customers"]
via = "customer_id"

[scd2]
tracked = ["email_token", "country", "segment"]
valid_from = "valid_from"
surrogate_key = "customer_sk"

[[checks]]
type = "unique"
columns = ["customer_sk"]
*/
SELECT
    customer_id,
    email AS email_token,
    upper(trim(country)) AS country,
    trim(segment) AS segment,
    CAST(CAST(upper(trim(updated_at)) AS TIMESTAMPTZ) AS TIMESTAMP) AS valid_from
FROM raw.customers
