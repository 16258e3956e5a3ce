{#- One row per (model, upstream), replaced inside the publish transaction.
    DELETE + INSERT rather than MERGE: fakesnow emulates MERGE with a
    temporary table it cannot create in a transaction that already wrote. -#}
DELETE FROM {{ q.table("audit", "watermarks") }} WHERE {{ q.id("model") }} = {{ q.str(c.model) }} AND {{ q.id("upstream") }} = {{ q.str(c.upstream) }}
;
INSERT INTO {{ q.table("audit", "watermarks") }} ({{ q.ids(["model", "upstream", "value", "run_id", "updated_at"]) }})
VALUES ({{ q.str(c.model) }}, {{ q.str(c.upstream) }}, {{ q.str(c.value) }}, {{ q.str(c.run_id) }}, {{ q.ts(c.at) }})
