INSERT INTO {{ q.table("audit", "files") }} ({{ q.ids(["run_id", "source", "file", "checksum", "status", "rows", "rejects", "recorded_at"]) }})
VALUES ({{ q.str(c.run_id) }}, {{ q.str(c.source) }}, {{ q.str(c.file) }}, {{ q.str(c.checksum) }}, 'skipped', 0, 0, {{ q.ts(c.at) }})
