{#- One file: its records, its rejects and its ledger row, in the adapter's one
    transaction. `staged_rows` / `staged_rejects` are the stage locations the
    adapter PUT the staged files to (`@"db"."schema"."stage"/path`), written as is.
    https://docs.snowflake.com/en/sql-reference/sql/copy-into-table
    FORCE = TRUE: the file name is unique per run and the ledger is the
    exactly-once guard, so COPY's own load history must not skip a retried file.
    ON_ERROR = ABORT_STATEMENT: one bad record fails the file (pushdown already
    sent bad lines to the rejects). -#}
{%- if c.rows > 0 %}
{%- if c.json %}
{#- ALLOW_DUPLICATE keeps the last value of a repeated key, as pushdown's own
    check read it (VARIANT cannot hold both). -#}
COPY INTO {{ c.table }} ({{ q.ids(["payload", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT $1:payload, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1:_line::NUMBER(38, 0)
      FROM {{ c.staged_rows }})
FILE_FORMAT = (TYPE = JSON, ALLOW_DUPLICATE = TRUE)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
{%- else %}
{#- Staged CSV: `_line` then the columns, RFC 4180 quoting, no header. An empty
    unquoted field is NULL (as in DuckDB's read_csv); NULL_IF = () so that a
    literal \N stays text, and no backslash escapes outside quotes. -#}
COPY INTO {{ c.table }} ({{ q.ids(c.columns) }}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {% for col in c.columns %}${{ loop.index + 1 }}, {% endfor %}{{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1::NUMBER(38, 0)
      FROM {{ c.staged_rows }})
FILE_FORMAT = (TYPE = CSV, FIELD_DELIMITER = ',', SKIP_HEADER = 0, FIELD_OPTIONALLY_ENCLOSED_BY = '"', ESCAPE_UNENCLOSED_FIELD = NONE, EMPTY_FIELD_AS_NULL = TRUE, NULL_IF = ())
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
{%- endif %}
;
{%- endif %}
{%- if c.rejects > 0 %}
COPY INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {{ q.str(c.source) }}, {{ q.str(c.file) }}, $1:line::NUMBER(38, 0), $1:raw_text::VARCHAR, $1:reason::VARCHAR, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, $1:line::NUMBER(38, 0)
      FROM {{ c.staged_rejects }})
FILE_FORMAT = (TYPE = JSON)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
;
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES ({{ q.str(c.checksum) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ c.bytes }}, {{ c.rows }}, {{ c.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.ingested_at) }})
;
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'loaded', {{ c.rows }}, {{ c.rejects }}, {{ q.ts(c.ingested_at) }})
