{#- One transaction: an expired lease is dropped, then the row is inserted
    only if no one holds the name. Whoever's row is there afterwards holds it. -#}
DELETE FROM {{ q.table("audit", "lease") }}
WHERE {{ q.id("name") }} = {{ q.str(c.name) }} AND {{ q.id("expires_at") }} < SYSDATE()
;
INSERT INTO {{ q.table("audit", "lease") }} ({{ q.ids(["name", "run_id", "host", "pid", "command", "target", "acquired_at", "expires_at"]) }})
SELECT {{ q.str(c.name) }}, {{ q.str(c.run_id) }}, {{ q.str(c.host) }}, {{ c.pid }}, {{ q.str(c.command) }}, {{ q.str(c.target) }}, SYSDATE(), DATEADD(SECOND, {{ c.ttl_seconds }}, SYSDATE())
WHERE NOT EXISTS (SELECT 1 FROM {{ q.table("audit", "lease") }} WHERE {{ q.id("name") }} = {{ q.str(c.name) }})
