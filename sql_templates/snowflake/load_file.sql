{#- One file: its records, its rejects and its ledger row, in one transaction.
    `staged_rows` / `staged_rejects` are stage paths the adapter PUT the staged files to. -#}
{%- if c.rows > 0 %}
{%- if c.json %}
COPY INTO {{ c.table }} ({{ q.ids(["payload", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT $1:payload, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1:_line::NUMBER
      FROM {{ c.staged_rows }})
FILE_FORMAT = (TYPE = JSON)
FORCE = TRUE
{%- else %}
COPY INTO {{ c.table }} ({{ q.ids(c.columns) }}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {% for col in c.columns %}${{ loop.index + 1 }}, {% endfor %}{{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1::NUMBER
      FROM {{ c.staged_rows }})
FILE_FORMAT = (TYPE = CSV, FIELD_OPTIONALLY_ENCLOSED_BY = '"', ESCAPE_UNENCLOSED_FIELD = NONE, EMPTY_FIELD_AS_NULL = TRUE)
FORCE = TRUE
{%- endif %}
;
{%- endif %}
{%- if c.rejects > 0 %}
COPY INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {{ q.str(c.source) }}, {{ q.str(c.file) }}, $1:line::NUMBER, $1:raw_text::VARCHAR, $1:reason::VARCHAR, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1:line::NUMBER
      FROM {{ c.staged_rejects }})
FILE_FORMAT = (TYPE = JSON)
FORCE = TRUE
;
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES ({{ q.str(c.checksum) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ c.bytes }}, {{ c.rows }}, {{ c.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.ingested_at) }})
;
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'loaded', {{ c.rows }}, {{ c.rejects }}, {{ q.ts(c.ingested_at) }})
