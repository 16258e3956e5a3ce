{#- One file: its records, its rejects and its ledger row, as one script (a
    single statement for pushdown). `staged_rows` / `staged_rejects` are the
    Cloud Storage URIs the adapter staged the files to.
    LOAD DATA cannot run inside a multi-statement transaction (only queries, DML
    and temporary-table DDL can: https://cloud.google.com/bigquery/docs/transactions),
    so the files are first loaded into temporary tables, which change nothing
    permanent; then every permanent write commits together.
    https://cloud.google.com/bigquery/docs/reference/standard-sql/load-statements
    Staged CSV: `_line` then the columns, RFC 4180 quoting, no header, records
    that may span lines, text kept byte for byte; an empty field is NULL (the
    default null marker), as in DuckDB's read_csv. -#}
{%- if c.rows > 0 %}
LOAD DATA INTO TEMP TABLE pd_staged_rows ({{ q.id("_line") }} INT64{% if c.json %}, {{ q.id("payload") }} JSON{% else %}{% for col in c.columns %}, {{ q.id(col) }} STRING{% endfor %}{% endif %})
{%- if c.json %}
FROM FILES (format = 'JSON', uris = [{{ q.str(c.staged_rows) }}]);
{%- else %}
FROM FILES (format = 'CSV', uris = [{{ q.str(c.staged_rows) }}], skip_leading_rows = 0, field_delimiter = ',', quote = '"', allow_quoted_newlines = TRUE, preserve_ascii_control_characters = TRUE);
{%- endif %}
{%- endif %}
{%- if c.rejects > 0 %}
LOAD DATA INTO TEMP TABLE pd_staged_rejects ({{ q.id("line") }} INT64, {{ q.id("reason") }} STRING, {{ q.id("raw_text") }} STRING)
FROM FILES (format = 'JSON', uris = [{{ q.str(c.staged_rejects) }}]);
{%- endif %}
BEGIN TRANSACTION;
{%- if c.rows > 0 %}
INSERT INTO {{ c.table }} ({% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("_line") }}
FROM pd_staged_rows;
{%- endif %}
{%- if c.rejects > 0 %}
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.id("line") }}, {{ q.id("raw_text") }}, {{ q.id("reason") }}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("line") }}
FROM pd_staged_rejects;
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES ({{ q.str(c.checksum) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ c.bytes }}, {{ c.rows }}, {{ c.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.ingested_at) }});
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'loaded', {{ c.rows }}, {{ c.rejects }}, {{ q.ts(c.ingested_at) }});
COMMIT TRANSACTION
