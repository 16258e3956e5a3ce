{#- The gates each model passed at its last publish: the checks of the run
    that last published it, with no offending row. -#}
SELECT _c.{{ q.id("model") }}, _c.{{ q.id("check_name") }}, _c.{{ q.id("check_type") }}
FROM {{ q.table("audit", "checks") }} AS _c
JOIN {{ q.table("audit", "models") }} AS _m ON _m.{{ q.id("run_id") }} = _c.{{ q.id("run_id") }} AND _m.{{ q.id("model") }} = _c.{{ q.id("model") }}
WHERE _c.{{ q.id("status") }} = 'pass' AND _m.{{ q.id("status") }} = 'success'
  AND _m.{{ q.id("ended_at") }} = (SELECT max(_l.{{ q.id("ended_at") }}) FROM {{ q.table("audit", "models") }} AS _l
    WHERE _l.{{ q.id("model") }} = _m.{{ q.id("model") }} AND _l.{{ q.id("status") }} = 'success')
