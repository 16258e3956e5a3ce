{#- A batch of files in the adapter's one transaction: each file's records,
    rejects and ledger rows. One COPY per staged file: COPY's FILES list
    cannot tag a row with per-file metadata (checksum, source file).
    `staged_rows` / `staged_rejects` are the stage locations the adapter PUT
    the staged files to (`@"db"."schema"."stage"/path`), written as is.
    https://docs.snowflake.com/en/sql-reference/sql/copy-into-table
    FORCE = TRUE: the file name is unique per run and the ledger is the
    exactly-once guard, so COPY's own load history must not skip a retried file.
    ON_ERROR = ABORT_STATEMENT: one bad record fails the file (pushdown already
    sent bad lines to the rejects). -#}
{%- for f in c.files %}
{% if f.rows > 0 %}
{%- if f.json %}
{#- ALLOW_DUPLICATE keeps the last value of a repeated key, as pushdown's own
    check read it (VARIANT cannot hold both). -#}
COPY INTO {{ f.table }} ({{ q.ids(["payload", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT $1:payload, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, $1:_line::NUMBER(38, 0)
      FROM {{ f.staged_rows }})
FILE_FORMAT = (TYPE = JSON, ALLOW_DUPLICATE = TRUE)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
{%- else %}
{#- Staged CSV: `_line` then the columns, RFC 4180 quoting, no header. An empty
    unquoted field is NULL (as in DuckDB's read_csv); NULL_IF = () so that a
    literal \N stays text, and no backslash escapes outside quotes. -#}
COPY INTO {{ f.table }} ({{ q.ids(f.columns) }}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {% for col in f.columns %}${{ loop.index + 1 }}, {% endfor %}{{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, $1::NUMBER(38, 0)
      FROM {{ f.staged_rows }})
FILE_FORMAT = (TYPE = CSV, FIELD_DELIMITER = ',', SKIP_HEADER = 0, FIELD_OPTIONALLY_ENCLOSED_BY = '"', ESCAPE_UNENCLOSED_FIELD = NONE, EMPTY_FIELD_AS_NULL = TRUE, NULL_IF = ())
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
{%- endif %}
;
{%- endif %}
{%- if f.rejects > 0 %}
COPY INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
FROM (SELECT {{ q.str(f.source) }}, {{ q.str(f.file) }}, $1:line::NUMBER(38, 0), $1:raw_text::VARCHAR, $1:reason::VARCHAR, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, $1:line::NUMBER(38, 0)
      FROM {{ f.staged_rejects }})
FILE_FORMAT = (TYPE = JSON)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
;
{%- endif %}
{%- endfor %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(f.checksum) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ f.bytes }}, {{ f.rows }}, {{ f.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(f.ingested_at) }}){% if !loop.last %},{% endif %}
{%- endfor %}
;
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(c.run_id) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.str(f.checksum) }}, 'loaded', {{ f.rows }}, {{ f.rejects }}, {{ q.ts(f.ingested_at) }}){% if !loop.last %},{% endif %}
{%- endfor %}
