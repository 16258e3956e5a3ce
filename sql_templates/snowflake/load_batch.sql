{#- A batch of files: each file's records, rejects and ledger rows.
    `staged_rows` / `staged_rejects` are the stage locations the adapter PUT
    the staged files to (`@"db"."_pushdown"."stage"/file.gz`), written as is.

    Each staged file is COPYed as it is into a session-temporary load table,
    then INSERTed into its raw table with the file's metadata: a COPY with a
    transforming SELECT could do both at once, but Snowflake cannot tag rows
    with per-file metadata from a FILES list either, and the plain COPY is the
    form every Snowflake implementation (fakesnow included) reads alike.
    https://docs.snowflake.com/en/sql-reference/sql/copy-into-table

    The load tables come first: Snowflake commits an open transaction before
    DDL, and the adapter runs the DML after them (DELETE, COPY, INSERT and the
    ledger rows) as ONE transaction, so a file's rows and its ledger row
    commit together. Snowflake's 64-day load history is not relied on:
    FORCE = TRUE, the ledger is the exactly-once guard.
    ON_ERROR = ABORT_STATEMENT: pushdown already sent bad lines to the rejects. -#}
{%- for g in c.groups %}
{%- if g.json %}
CREATE TEMPORARY TABLE IF NOT EXISTS {{ q.id("_pd_load_json") }} ({{ q.id("v") }} VARIANT)
;
{%- else %}
{%- let load = "_pd_load_csv_{}"|format(loop.index) %}
CREATE OR REPLACE TEMPORARY TABLE {{ q.id(load) }} ({{ q.id("_line") }} NUMBER(38, 0){% for col in g.columns %}, {{ q.id(col) }} VARCHAR{% endfor %})
;
{%- endif %}
{%- endfor %}
{%- if !c.with_rejects.is_empty() %}
CREATE TEMPORARY TABLE IF NOT EXISTS {{ q.id("_pd_load_rejects") }} ({{ q.id("v") }} VARIANT)
;
{%- endif %}
{%- for g in c.groups %}
{%- let load = "_pd_load_csv_{}"|format(loop.index) %}
{%- for f in g.files %}
{%- if g.json %}
DELETE FROM {{ q.id("_pd_load_json") }}
;
{# ALLOW_DUPLICATE keeps the last value of a repeated key, as pushdown's own
    check read it (VARIANT cannot hold both). -#}
COPY INTO {{ q.id("_pd_load_json") }} FROM {{ f.staged_rows }}
FILE_FORMAT = (TYPE = JSON ALLOW_DUPLICATE = TRUE)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
;
INSERT INTO {{ g.table }} ({{ q.ids(["payload", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.id("v") }}:payload, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, {{ q.id("v") }}:_line::NUMBER(38, 0)
FROM {{ q.id("_pd_load_json") }}
;
{%- else %}
DELETE FROM {{ q.id(load) }}
;
{# Staged CSV: `_line` then the columns, RFC 4180 quoting, no header. An empty
    unquoted field is NULL (as in DuckDB's read_csv); NULL_IF = () so that a
    literal \N stays text, and no backslash escapes outside quotes. -#}
COPY INTO {{ q.id(load) }} FROM {{ f.staged_rows }}
FILE_FORMAT = (TYPE = CSV FIELD_DELIMITER = ',' SKIP_HEADER = 0 FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE EMPTY_FIELD_AS_NULL = TRUE NULL_IF = ())
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
;
INSERT INTO {{ g.table }} ({{ q.ids(g.columns) }}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {% for col in g.columns %}{{ q.id(col) }}, {% endfor %}{{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, {{ q.id("_line") }}
FROM {{ q.id(load) }}
;
{%- endif %}
{%- endfor %}
{%- endfor %}
{%- for f in c.with_rejects %}
DELETE FROM {{ q.id("_pd_load_rejects") }}
;
COPY INTO {{ q.id("_pd_load_rejects") }} FROM {{ f.staged_rejects }}
FILE_FORMAT = (TYPE = JSON)
ON_ERROR = ABORT_STATEMENT
FORCE = TRUE
;
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.id("v") }}:line::NUMBER(38, 0), {{ q.id("v") }}:raw_text::VARCHAR, {{ q.id("v") }}:reason::VARCHAR, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, {{ q.id("v") }}:line::NUMBER(38, 0)
FROM {{ q.id("_pd_load_rejects") }}
;
{%- endfor %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at", "modified_ns"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(f.checksum) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ f.bytes }}, {{ f.rows }}, {{ f.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(f.ingested_at) }}, {% match f.modified_ns %}{% when Some(n) %}{{ n }}{% when None %}NULL{% endmatch %}){% if !loop.last %},{% endif %}
{%- endfor %}
;
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(c.run_id) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.str(f.checksum) }}, 'loaded', {{ f.rows }}, {{ f.rejects }}, {{ q.ts(f.ingested_at) }}){% if !loop.last %},{% endif %}
{%- endfor %}
