{#- One row per (model, upstream), replaced in a single statement. -#}
MERGE INTO {{ q.table("audit", "watermarks") }} AS _t
USING (SELECT {{ q.str(c.model) }} AS {{ q.id("model") }}, {{ q.str(c.upstream) }} AS {{ q.id("upstream") }}) AS _s
ON _t.{{ q.id("model") }} = _s.{{ q.id("model") }} AND _t.{{ q.id("upstream") }} = _s.{{ q.id("upstream") }}
WHEN MATCHED THEN UPDATE SET {{ q.id("value") }} = {{ q.str(c.value) }}, {{ q.id("run_id") }} = {{ q.str(c.run_id) }}, {{ q.id("updated_at") }} = {{ q.ts(c.at) }}
WHEN NOT MATCHED THEN INSERT ({{ q.ids(["model", "upstream", "value", "run_id", "updated_at"]) }})
VALUES (_s.{{ q.id("model") }}, _s.{{ q.id("upstream") }}, {{ q.str(c.value) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.at) }})
