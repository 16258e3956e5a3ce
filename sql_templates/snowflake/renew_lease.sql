UPDATE {{ q.table("audit", "lease") }}
SET {{ q.id("expires_at") }} = DATEADD(SECOND, {{ c.ttl_seconds }}, SYSDATE())
WHERE {{ q.id("name") }} = {{ q.str(c.name) }} AND {{ q.id("run_id") }} = {{ q.str(c.run_id) }}
