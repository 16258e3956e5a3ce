CREATE SCHEMA IF NOT EXISTS {{ q.id("audit") }}
;
{# At most one row per lease name: the run that may write to this warehouse
    now, until `expires_at` (warehouse clock, UTC) unless it renews. #}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "lease") }} (
    {{ q.id("name") }} STRING NOT NULL,
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("host") }} STRING NOT NULL,
    {{ q.id("pid") }} INT64 NOT NULL,
    {{ q.id("command") }} STRING NOT NULL,
    {{ q.id("target") }} STRING NOT NULL,
    {{ q.id("acquired_at") }} TIMESTAMP NOT NULL,
    {{ q.id("expires_at") }} TIMESTAMP NOT NULL
)
