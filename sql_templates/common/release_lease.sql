DELETE FROM {{ q.table("audit", "lease") }}
WHERE {{ q.id("name") }} = {{ q.str(c.name) }} AND {{ q.id("run_id") }} = {{ q.str(c.run_id) }}
