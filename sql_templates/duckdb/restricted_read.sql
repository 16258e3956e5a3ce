{#- The upstream narrowed to the rows a scope depends on. A semi-join on `=`
    is what DuckDB pushes the keys' min and max into the scan for, skipping
    the row groups outside them by their zone maps; under EXISTS with
    IS NOT DISTINCT FROM it reads every row (measured in BENCHMARKS.md).
    `=` never matches NULL, so the rows with a NULL key column come from a
    second branch, which each row group's NULL statistics mostly skip. -#}
(SELECT _u.* FROM {{ c.relation }} AS _u SEMI JOIN {{ c.keys }} AS _r ON {% for (col, k) in c.columns.iter() %}{% if !loop.first %} AND {% endif %}_r.{{ q.id(k) }} = _u.{{ q.id(col) }}{% endfor %}
UNION ALL
SELECT _u.* FROM {{ c.relation }} AS _u WHERE ({% for (col, k) in c.columns.iter() %}{% if !loop.first %} OR {% endif %}_u.{{ q.id(col) }} IS NULL{% endfor %})
  AND EXISTS (SELECT 1 FROM {{ c.keys }} AS _r WHERE {% for (col, k) in c.columns.iter() %}{% if !loop.first %} AND {% endif %}_r.{{ q.id(k) }} IS NOT DISTINCT FROM _u.{{ q.id(col) }}{% endfor %}))
