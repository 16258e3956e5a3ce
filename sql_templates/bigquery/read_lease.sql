{#- The holder first; a second row can only exist on warehouses without
    enforced keys after a race, and then the earliest wins. -#}
SELECT {{ q.ids(["run_id", "host", "pid", "command", "target", "acquired_at", "expires_at"]) }}, CURRENT_TIMESTAMP() AS {{ q.id("now") }}
FROM {{ q.table("audit", "lease") }}
WHERE {{ q.id("name") }} = {{ q.str(c.name) }}
ORDER BY {{ q.id("acquired_at") }}, {{ q.id("run_id") }}
