{#- A batch of files as one script (a single statement for pushdown): each
    file's records, rejects and ledger rows. `staged_rows` / `staged_rejects`
    are the tables the adapter loaded the staged files into with load jobs
    (fully qualified and quoted); a load job cannot run inside a transaction
    (https://cloud.google.com/bigquery/docs/transactions), so the adapter
    loads them first, where they change nothing permanent, and every
    permanent write commits here together. -#}
BEGIN TRANSACTION;
{%- for g in c.groups %}
INSERT INTO {{ g.table }} ({% if g.json %}{{ q.id("payload") }}{% else %}{{ q.ids(g.columns) }}{% endif %}, {{ q.ids(["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
{%- for f in g.files %}
SELECT {% if g.json %}{{ q.id("payload") }}{% else %}{{ q.ids(g.columns) }}{% endif %}, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, {{ q.id("_line") }}
FROM {{ f.staged_rows }}{% if !loop.last %}
UNION ALL{% endif %}
{%- endfor %};
{%- endfor %}
{%- if !c.with_rejects.is_empty() %}
INSERT INTO {{ q.table("raw", "rejects") }} ({{ q.ids(["source", "file", "line", "raw_text", "reason", "_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]) }})
{%- for f in c.with_rejects %}
SELECT {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.id("line") }}, {{ q.id("raw_text") }}, {{ q.id("reason") }}, {{ q.ts(f.ingested_at) }}, {{ q.date(f.ingest_date) }}, {{ q.str(f.file) }}, {{ q.str(c.batch_id) }}, {{ q.str(f.checksum) }}, {{ q.id("line") }}
FROM {{ f.staged_rejects }}{% if !loop.last %}
UNION ALL{% endif %}
{%- endfor %};
{%- endif %}
INSERT INTO {{ q.table("audit", "landed_files") }} ({{ q.ids(["checksum", "source", "file", "bytes", "rows", "rejects", "batch_id", "run_id", "ingested_at", "modified_ns"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(f.checksum) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ f.bytes }}, {{ f.rows }}, {{ f.rejects }}, {{ q.str(c.batch_id) }}, {{ q.str(c.run_id) }}, {{ q.ts(f.ingested_at) }}, {% match f.modified_ns %}{% when Some(n) %}{{ n }}{% when None %}NULL{% endmatch %}){% if !loop.last %},{% endif %}
{%- endfor %};
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(c.run_id) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.str(f.checksum) }}, 'loaded', {{ f.rows }}, {{ f.rejects }}, {{ q.ts(f.ingested_at) }}){% if !loop.last %},{% endif %}
{%- endfor %};
COMMIT TRANSACTION
