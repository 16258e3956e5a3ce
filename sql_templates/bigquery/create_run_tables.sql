{#- BigQuery datasets; a dataset name starting with `_` is hidden in the console. -#}
CREATE SCHEMA IF NOT EXISTS {{ q.id("audit") }}
;
CREATE SCHEMA IF NOT EXISTS {{ q.id("_pushdown") }}
;
{# One row per run; a run that died stays `running` until the next run marks it `abandoned`.
    No primary keys: BigQuery only has NOT ENFORCED ones. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "runs") }} (
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("run_seq") }} INT64 NOT NULL,
    {{ q.id("command") }} STRING NOT NULL,
    {{ q.id("mode") }} STRING NOT NULL,
    {{ q.id("range_start") }} DATE,
    {{ q.id("range_end") }} DATE,
    {{ q.id("target") }} STRING NOT NULL,
    {{ q.id("status") }} STRING NOT NULL,
    {{ q.id("started_at") }} TIMESTAMP NOT NULL,
    {{ q.id("ended_at") }} TIMESTAMP,
    {{ q.id("error") }} STRING,
    {{ q.id("pushdown_version") }} STRING NOT NULL
)
;
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "models") }} (
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("model") }} STRING NOT NULL,
    {{ q.id("materialization") }} STRING NOT NULL,
    {{ q.id("status") }} STRING NOT NULL,
    {{ q.id("partitions") }} STRING,
    {{ q.id("partitions_count") }} INT64 NOT NULL,
    {{ q.id("rows_inserted") }} INT64 NOT NULL,
    {{ q.id("rows_updated") }} INT64 NOT NULL,
    {{ q.id("rows_deleted") }} INT64 NOT NULL,
    {{ q.id("started_at") }} TIMESTAMP NOT NULL,
    {{ q.id("ended_at") }} TIMESTAMP NOT NULL,
    {{ q.id("error") }} STRING
)
;
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "checks") }} (
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("model") }} STRING NOT NULL,
    {{ q.id("check_name") }} STRING NOT NULL,
    {{ q.id("check_type") }} STRING NOT NULL,
    {{ q.id("severity") }} STRING NOT NULL,
    {{ q.id("status") }} STRING NOT NULL,
    {{ q.id("offending") }} INT64 NOT NULL,
    {{ q.id("threshold") }} STRING,
    {{ q.id("recorded_at") }} TIMESTAMP NOT NULL
)
;
{# How far each model has consumed each upstream: an ingestion time for raw
    sources, a run sequence number for models' change logs. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "watermarks") }} (
    {{ q.id("model") }} STRING NOT NULL,
    {{ q.id("upstream") }} STRING NOT NULL,
    {{ q.id("value") }} STRING NOT NULL,
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("updated_at") }} TIMESTAMP NOT NULL
)
