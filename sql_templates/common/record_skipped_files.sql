{#- Files whose content landed before under another name, one row each. -#}
INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES
{%- for f in c.files %}
    ({{ q.str(c.run_id) }}, {{ q.str(f.source) }}, {{ q.str(f.file) }}, {{ q.str(f.checksum) }}, 'skipped', 0, 0, {{ q.ts(c.at) }}){% if !loop.last %},{% endif %}
{%- endfor %}
