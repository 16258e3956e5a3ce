UPDATE {{ q.table("audit", "lease") }}
SET {{ q.id("expires_at") }} = CAST(current_timestamp AS TIMESTAMP) + INTERVAL '{{ c.ttl_seconds }} seconds'
WHERE {{ q.id("name") }} = {{ q.str(c.name) }} AND {{ q.id("run_id") }} = {{ q.str(c.run_id) }}
