{#- One file: its records, its rejects and its ledger row, in one transaction.
    The staged files were written by pushdown (records checked and tokenized). -#}
{%- if c.rows > 0 %}
INSERT INTO {{ c.table }} ({% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {% if c.json %}{{ q.id("payload") }}{% else %}{{ q.ids(c.columns) }}{% endif %}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("_line") }}
{%- if c.json %}
FROM read_json({{ q.str(c.staged_rows) }}, format = 'newline_delimited', columns = {'_line': 'BIGINT', 'payload': 'JSON'}, maximum_object_size = {{ c.max_record_bytes }})
{%- else %}
FROM read_csv({{ q.str(c.staged_rows) }}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', strict_mode = true, max_line_size = {{ c.max_record_bytes }},
    columns = {'_line': 'BIGINT'{% for col in c.columns %}, {{ q.str(col) }}: 'VARCHAR'{% endfor %}})
{%- endif %}
;
{%- endif %}
{%- if c.rejects > 0 %}
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.id("line") }}, {{ q.id("raw_text") }}, {{ q.id("reason") }}, {{ q.ts(c.ingested_at) }}, {{ q.date(c.ingest_date) }}, {{ q.str(c.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(c.checksum) }}, {{ q.id("line") }}
FROM read_json({{ q.str(c.staged_rejects) }}, format = 'newline_delimited', columns = {'line': 'BIGINT', 'reason': 'VARCHAR', 'raw_text': 'VARCHAR'}, maximum_object_size = {{ c.max_record_bytes }})
;
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at"]) }})
VALUES ({{ q.str(c.checksum) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ c.bytes }}, {{ c.rows }}, {{ c.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.ingested_at) }})
;
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'loaded', {{ c.rows }}, {{ c.rejects }}, {{ q.ts(c.ingested_at) }})
