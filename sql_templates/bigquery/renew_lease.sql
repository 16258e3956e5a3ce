UPDATE {{ q.table("audit", "lease") }}
SET {{ q.id("expires_at") }} = TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL {{ c.ttl_seconds }} SECOND)
WHERE {{ q.id("name") }} = {{ q.str(c.name) }} AND {{ q.id("run_id") }} = {{ q.str(c.run_id) }}
