{#- One file: its records, its rejects and its ledger row, in one multi-statement
    transaction. `staged_rows` / `staged_rejects` are the URIs the adapter staged
    the files to (LOAD DATA into temporary tables, then INSERT). -#}
BEGIN TRANSACTION;
{%- if c.rows > 0 %}
LOAD DATA INTO TEMP TABLE _pd_rows ({% if c.json %}{{ q.id("_line") }} INT64, {{ q.id("payload") }} JSON{% else %}{{ q.id("_line") }} INT64{% for col in c.columns %}, {{ q.id(col) }} STRING{% endfor %}{% endif %})
FROM FILES (format = {% if c.json %}'JSON'{% else %}'CSV'{% endif %}, uris = [{{ q.str(c.staged_rows) }}]);
INSERT INTO {{ c.table }} ({% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("_line") }}
FROM _pd_rows;
{%- endif %}
{%- if c.rejects > 0 %}
LOAD DATA INTO TEMP TABLE _pd_rejects ({{ q.id("line") }} INT64, {{ q.id("reason") }} STRING, {{ q.id("raw_text") }} STRING)
FROM FILES (format = 'JSON', uris = [{{ q.str(c.staged_rejects) }}]);
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.id("line") }}, {{ q.id("raw_text") }}, {{ q.id("reason") }}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("line") }}
FROM _pd_rejects;
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES ({{ q.str(c.checksum) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ c.bytes }}, {{ c.rows }}, {{ c.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.ingested_at) }});
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'loaded', {{ c.rows }}, {{ c.rejects }}, {{ q.ts(c.ingested_at) }});
COMMIT TRANSACTION
