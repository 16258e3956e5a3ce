DELETE FROM {{ q.table("audit", "watermarks") }} WHERE {{ q.id("model") }} = {{ q.str(c.model) }} AND {{ q.id("upstream") }} = {{ q.str(c.upstream) }}
;
INSERT INTO {{ q.table("audit", "watermarks") }} ({{ q.ids(["model", "upstream", "value", "run_id", "updated_at"]) }})
VALUES ({{ q.str(c.model) }}, {{ q.str(c.upstream) }}, {{ q.str(c.value) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.at) }})
