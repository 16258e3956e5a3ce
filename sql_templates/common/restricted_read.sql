{#- The upstream narrowed to the rows a scope depends on, as a semi-join the
    optimizer can push into the scan (and, with zone maps, prune by). -#}
(SELECT * FROM {{ c.relation }} AS _u WHERE EXISTS (SELECT 1 FROM {{ c.keys }} AS _r WHERE {% for (col, k) in c.columns.iter() %}{% if !loop.first %} AND {% endif %}_r.{{ q.id(k) }} IS NOT DISTINCT FROM _u.{{ q.id(col) }}{% endfor %}))
