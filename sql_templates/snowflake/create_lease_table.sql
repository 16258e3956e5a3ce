CREATE SCHEMA IF NOT EXISTS {{ q.id("audit") }}
;
{# At most one row per lease name: the run that may write to this warehouse
    now, until `expires_at` (warehouse clock, UTC) unless it renews. #}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "lease") }} (
    {{ q.id("name") }} VARCHAR NOT NULL,
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("host") }} VARCHAR NOT NULL,
    {{ q.id("pid") }} BIGINT NOT NULL,
    {{ q.id("command") }} VARCHAR NOT NULL,
    {{ q.id("target") }} VARCHAR NOT NULL,
    {{ q.id("acquired_at") }} TIMESTAMP_NTZ NOT NULL,
    {{ q.id("expires_at") }} TIMESTAMP_NTZ NOT NULL
)
