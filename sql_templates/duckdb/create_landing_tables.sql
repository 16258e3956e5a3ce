{# Every rejected line, with the same metadata as the raw tables. #}
CREATE TABLE IF NOT EXISTS {{ q.table("raw", "rejects") }} (
    {{ q.id("source") }} VARCHAR NOT NULL,
    {{ q.id("file") }} VARCHAR NOT NULL,
    {{ q.id("line") }} BIGINT NOT NULL,
    {{ q.id("raw_text") }} VARCHAR,
    {{ q.id("reason") }} VARCHAR NOT NULL,
    {{ q.id("_ingested_at") }} TIMESTAMP NOT NULL,
    {{ q.id("_ingest_date") }} DATE NOT NULL,
    {{ q.id("_source_file") }} VARCHAR NOT NULL,
    {{ q.id("_batch_id") }} VARCHAR NOT NULL,
    {{ q.id("_checksum") }} VARCHAR NOT NULL,
    {{ q.id("_line") }} BIGINT NOT NULL
)
;
{# The exactly-once ledger: one row per file content ever landed. #}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "landed_files") }} (
    {{ q.id("checksum") }} VARCHAR PRIMARY KEY,
    {{ q.id("source") }} VARCHAR NOT NULL,
    {{ q.id("file") }} VARCHAR NOT NULL,
    {{ q.id("bytes") }} BIGINT NOT NULL,
    {{ q.id("rows") }} BIGINT NOT NULL,
    {{ q.id("rejects") }} BIGINT NOT NULL,
    {{ q.id("batch_id") }} VARCHAR NOT NULL,
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("ingested_at") }} TIMESTAMP NOT NULL,
    {#- The file's size (`bytes`) and modification time when it was read: a
        later run that finds both unchanged trusts the checksum instead of
        reading the file again. #}
    {{ q.id("modified_ns") }} BIGINT
)
;
{# A ledger made by an older pushdown gains the column (NULL: read once more). -#}
ALTER TABLE {{ q.table("audit", "landed_files") }} ADD COLUMN IF NOT EXISTS {{ q.id("modified_ns") }} BIGINT
;
{# Every decision about a file, per run: loaded or skipped. #}
CREATE TABLE IF NOT EXISTS {{ q.table("audit", "files") }} (
    {{ q.id("run_id") }} VARCHAR NOT NULL,
    {{ q.id("source") }} VARCHAR NOT NULL,
    {{ q.id("file") }} VARCHAR NOT NULL,
    {{ q.id("checksum") }} VARCHAR NOT NULL,
    {{ q.id("status") }} VARCHAR NOT NULL,
    {{ q.id("rows") }} BIGINT NOT NULL,
    {{ q.id("rejects") }} BIGINT NOT NULL,
    {{ q.id("recorded_at") }} TIMESTAMP NOT NULL
)
