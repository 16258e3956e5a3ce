UPDATE {{ q.table("audit", "runs") }}
SET {{ q.id("status") }} = {{ q.str(c.status) }}, {{ q.id("ended_at") }} = {{ q.ts(c.ended_at) }}, {{ q.id("error") }} = {% if let Some(e) = c.error %}{{ q.str(e) }}{% else %}NULL{% endif %}
WHERE {{ q.id("run_id") }} = {{ q.str(c.run_id) }}
