SELECT coalesce(max({{ q.id("run_seq") }}), 0) + 1 AS seq FROM {{ q.table("audit", "runs") }}
