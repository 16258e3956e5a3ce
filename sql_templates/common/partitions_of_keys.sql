SELECT _o.{{ q.id(c.partition) }} FROM {{ c.target }} AS _o
WHERE EXISTS (SELECT 1 FROM ({{ c.key_rows }}) AS _r WHERE {% for k in c.keys %}{% if !loop.first %} AND {% endif %}_r.{{ q.id(k) }} IS NOT DISTINCT FROM _o.{{ q.id(k) }}{% endfor %})
