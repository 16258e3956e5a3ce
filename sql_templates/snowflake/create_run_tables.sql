CREATE SCHEMA IF NOT EXISTS {{ q.id("audit") }}
;
CREATE SCHEMA IF NOT EXISTS {{ q.id("_pushdown") }}
;
{# One row per run; a run that died stays `running` until the next run marks it `abandoned`.
    Snowflake records PRIMARY KEY constraints but does not enforce them. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "runs") }} (
    {{ q.id("run_id") }} VARCHAR PRIMARY KEY,
    {{ q.id("run_seq") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("command") }} VARCHAR NOT NULL,
    {{ q.id("mode") }} VARCHAR NOT NULL,
    {{ q.id("range_start") }} DATE,
    {{ q.id("range_end") }} DATE,
    {{ q.id("target") }} VARCHAR NOT NULL,
    {{ q.id("status") }} VARCHAR NOT NULL,
    {{ q.id("started_at") }} TIMESTAMP_NTZ NOT NULL,
    {{ q.id("ended_at") }} TIMESTAMP_NTZ,
    {{ q.id("error") }} VARCHAR,
    {{ q.id("pushdown_version") }} VARCHAR NOT NULL
)
;
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "models") }} (
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("model") }} VARCHAR NOT NULL,
    {{ q.id("materialization") }} VARCHAR NOT NULL,
    {{ q.id("status") }} VARCHAR NOT NULL,
    {{ q.id("partitions") }} VARCHAR,
    {{ q.id("partitions_count") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("rows_inserted") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("rows_updated") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("rows_deleted") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("started_at") }} TIMESTAMP_NTZ NOT NULL,
    {{ q.id("ended_at") }} TIMESTAMP_NTZ NOT NULL,
    {{ q.id("error") }} VARCHAR
)
;
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "checks") }} (
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("model") }} VARCHAR NOT NULL,
    {{ q.id("check_name") }} VARCHAR NOT NULL,
    {{ q.id("check_type") }} VARCHAR NOT NULL,
    {{ q.id("severity") }} VARCHAR NOT NULL,
    {{ q.id("status") }} VARCHAR NOT NULL,
    {{ q.id("offending") }} NUMBER(38, 0) NOT NULL,
    {{ q.id("threshold") }} VARCHAR,
    {{ q.id("recorded_at") }} TIMESTAMP_NTZ NOT NULL
)
;
{# How far each model has consumed each upstream: an ingestion time for raw
    sources, a run sequence number for models' change logs. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "watermarks") }} (
    {{ q.id("model") }} VARCHAR NOT NULL,
    {{ q.id("upstream") }} VARCHAR NOT NULL,
    {{ q.id("value") }} VARCHAR NOT NULL,
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("updated_at") }} TIMESTAMP_NTZ NOT NULL,
    PRIMARY KEY ({{ q.id("model") }}, {{ q.id("upstream") }})
)
