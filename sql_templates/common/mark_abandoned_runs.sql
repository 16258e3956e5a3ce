UPDATE {{ q.table("audit", "runs") }}
SET {{ q.id("status") }} = 'abandoned', {{ q.id("error") }} = 'the run stopped before finishing (process killed or crashed); a later run found it', {{ q.id("ended_at") }} = {{ q.ts(c.at) }}
WHERE {{ q.id("status") }} = 'running'
