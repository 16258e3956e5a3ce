{#- Every rejected line, with the same metadata as the raw tables. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("raw", "rejects") }} (
    {{ q.id("source") }} STRING NOT NULL,
    {{ q.id("file") }} STRING NOT NULL,
    {{ q.id("line") }} INT64 NOT NULL,
    {{ q.id("raw_text") }} STRING,
    {{ q.id("reason") }} STRING NOT NULL,
    {{ q.id("_ingested_at") }} TIMESTAMP NOT NULL,
    {{ q.id("_ingest_date") }} DATE NOT NULL,
    {{ q.id("_source_file") }} STRING NOT NULL,
    {{ q.id("_batch_id") }} STRING NOT NULL,
    {{ q.id("_checksum") }} STRING NOT NULL,
    {{ q.id("_line") }} INT64 NOT NULL
)
PARTITION BY {{ q.id("_ingest_date") }}
;
{# The exactly-once ledger: one row per file content ever landed. BigQuery has
    no enforced primary key (only NOT ENFORCED ones, which the optimizer trusts),
    so none is declared: the checksum is checked before each load. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "landed_files") }} (
    {{ q.id("checksum") }} STRING,
    {{ q.id("source") }} STRING NOT NULL,
    {{ q.id("file") }} STRING NOT NULL,
    {{ q.id("bytes") }} INT64 NOT NULL,
    {{ q.id("rows") }} INT64 NOT NULL,
    {{ q.id("rejects") }} INT64 NOT NULL,
    {{ q.id("batch_id") }} STRING NOT NULL,
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("ingested_at") }} TIMESTAMP NOT NULL,
    {#- The file's size (`bytes`) and modification time when it was read: a
        later run that finds both unchanged trusts the checksum instead of
        reading the file again. #}
    {{ q.id("modified_ns") }} INT64
)
;
{# A ledger made by an older pushdown gains the column (NULL: read once more). -#}
ALTER TABLE {{ q.table("audit", "landed_files") }} ADD COLUMN IF NOT EXISTS {{ q.id("modified_ns") }} INT64
;
{# Every decision about a file, per run: loaded or skipped. -#}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "files") }} (
    {{ q.id("run_id") }} STRING NOT NULL,
    {{ q.id("source") }} STRING NOT NULL,
    {{ q.id("file") }} STRING NOT NULL,
    {{ q.id("checksum") }} STRING NOT NULL,
    {{ q.id("status") }} STRING NOT NULL,
    {{ q.id("rows") }} INT64 NOT NULL,
    {{ q.id("rejects") }} INT64 NOT NULL,
    {{ q.id("recorded_at") }} TIMESTAMP NOT NULL
)
