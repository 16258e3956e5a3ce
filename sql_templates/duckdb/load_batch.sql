{#- A batch of files in one transaction: their records, rejects and ledger rows.
    The staged files were written by pushdown (records checked and tokenized).
    Each raw table's files are read by ONE read_json/read_csv over the list of
    files: a reader per small file costs more than the file (measured in
    BENCHMARKS.md). `filename` tags every record with its staged file, which
    joins it to that file's metadata. -#}
{%- for g in c.groups %}
INSERT INTO {{ g.table }} ({% if g.json %}{{ q.id("payload") }}{% else %}{{ q.ids(g.columns) }}{% endif %}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {% if g.json %}{{ q.id("r") }}.{{ q.id("payload") }}{% else %}{% for col in g.columns %}{{ q.id("r") }}.{{ q.id(col) }}, {% endfor %}{% endif %}{% if g.json %}, {% endif %}{{ q.id("m") }}.{{ q.id("_ingested_at") }}, {{ q.id("m") }}.{{ q.id("_ingest_date") }}, {{ q.id("m") }}.{{ q.id("_source_file") }}, {{ q.str(c.batch_id) }}, {{ q.id("m") }}.{{ q.id("_checksum") }}, {{ q.id("r") }}.{{ q.id("_line") }}
{%- if g.json %}
FROM read_json([{% for f in g.files %}{{ q.str(f.staged_rows) }}{% if !loop.last %}, {% endif %}{% endfor %}], format = 'newline_delimited', columns = {'_line': 'BIGINT', 'payload': 'JSON'}, maximum_object_size = {{ g.max_record_bytes }}, filename = '_pd_staged') AS {{ q.id("r") }}
{%- else %}
FROM read_csv([{% for f in g.files %}{{ q.str(f.staged_rows) }}{% if !loop.last %}, {% endif %}{% endfor %}], auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', strict_mode = true, max_line_size = {{ g.max_record_bytes }}, filename = '_pd_staged',
    columns = {'_line': 'BIGINT'{% for col in g.columns %}, {{ q.str(col) }}: 'VARCHAR'{% endfor %}}) AS {{ q.id("r") }}
{%- endif %}
JOIN (VALUES
{%- for f in g.files %}
    ({{ q.str(f.staged_rows) }}, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(f.checksum) }}){% if !loop.last %},{% endif %}
{%- endfor %}
) AS {{ q.id("m") }} ({{ q.ids(["_pd_staged", "_ingested_at", "_ingest_date", "_source_file", "_checksum"]) }})
ON {{ q.id("r") }}.{{ q.id("_pd_staged") }} = {{ q.id("m") }}.{{ q.id("_pd_staged") }}
;
{%- endfor %}
{%- if !c.with_rejects.is_empty() %}
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
SELECT {{ q.id("m") }}.{{ q.id("source") }}, {{ q.id("m") }}.{{ q.id("file") }}, {{ q.id("r") }}.{{ q.id("line") }}, {{ q.id("r") }}.{{ q.id("raw_text") }}, {{ q.id("r") }}.{{ q.id("reason") }}, {{ q.id("m") }}.{{ q.id("_ingested_at") }}, {{ q.id("m") }}.{{ q.id("_ingest_date") }}, {{ q.id("m") }}.{{ q.id("file") }}, {{ q.str(c.batch_id) }}, {{ q.id("m") }}.{{ q.id("_checksum") }}, {{ q.id("r") }}.{{ q.id("line") }}
FROM read_json([{% for f in c.with_rejects %}{{ q.str(f.staged_rejects) }}{% if !loop.last %}, {% endif %}{% endfor %}], format = 'newline_delimited', columns = {'line': 'BIGINT', 'reason': 'VARCHAR', 'raw_text': 'VARCHAR'}, maximum_object_size = {{ c.max_reject_bytes }}, filename = '_pd_staged') AS {{ q.id("r") }}
JOIN (VALUES
{%- for f in c.with_rejects %}
    ({{ q.str(f.staged_rejects) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.checksum) }}){% if !loop.last %},{% endif %}
{%- endfor %}
) AS {{ q.id("m") }} ({{ q.ids(["_pd_staged", "source", "file", "_ingested_at", "_ingest_date", "_checksum"]) }})
ON {{ q.id("r") }}.{{ q.id("_pd_staged") }} = {{ q.id("m") }}.{{ q.id("_pd_staged") }}
;
{%- endif %}
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
