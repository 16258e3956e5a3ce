{#- Raw tables are append-only and keep records as received. -#}
CREATE TABLE IF NOT EXISTS {{ c.table }} (
{%- if c.json %}
    {{ q.id("payload") }} VARIANT,
{%- else %}
{%- for col in c.columns %}
    {{ q.id(col) }} VARCHAR,
{%- endfor %}
{%- endif %}
    {{ q.id("_ingested_at") }} TIMESTAMP_NTZ NOT NULL,
    {{ q.id("_ingest_date") }} DATE NOT NULL,
    {{ q.id("_source_file") }} VARCHAR NOT NULL,
    {{ q.id("_batch_id") }} VARCHAR NOT NULL,
    {{ q.id("_checksum") }} VARCHAR NOT NULL,
    {{ q.id("_line") }} NUMBER(38, 0) NOT NULL
)
