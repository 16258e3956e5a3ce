{#- Raw tables are append-only and keep records as received; partitioned by ingest date. -#}
CREATE TABLE IF NOT EXISTS {{ c.table }} (
{%- if c.json %}
    {{ q.id("payload") }} JSON,
{%- else %}
{%- for col in c.columns %}
    {{ q.id(col) }} STRING,
{%- endfor %}
{%- endif %}
    {{ q.id("_ingested_at") }} TIMESTAMP NOT NULL,
    {{ q.id("_ingest_date") }} DATE NOT NULL,
    {{ q.id("_source_file") }} STRING NOT NULL,
    {{ q.id("_batch_id") }} STRING NOT NULL,
    {{ q.id("_checksum") }} STRING NOT NULL,
    {{ q.id("_line") }} INT64 NOT NULL
)
PARTITION BY {{ q.id("_ingest_date") }}
