SELECT {{ q.ids(["run_id", "run_seq", "command", "mode", "status", "started_at", "error"]) }}
FROM {{ q.table("audit", "runs") }}
ORDER BY {{ q.id("run_seq") }} DESC
LIMIT {{ c.limit }}
