SELECT {% for col in c.scope %}{% if !loop.first %}, {% endif %}_n.{{ q.id(col) }}{% endfor %} FROM ({{ c.select }}) AS _n
WHERE _n.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.upstream_column) }} FROM {{ c.changed }} AS _c)
{%- if let Some(target) = c.target %}
UNION ALL
SELECT {% for col in c.scope %}{% if !loop.first %}, {% endif %}_o.{{ q.id(col) }}{% endfor %} FROM {{ target }} AS _o
WHERE _o.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.upstream_column) }} FROM {{ c.changed }} AS _c)
{%- endif %}
