{%- if let Some(select) = c.select -%}
SELECT {% for col in c.scope %}{% if !loop.first %}, {% endif %}_n.{{ q.id(col) }}{% endfor %} FROM ({{ select }}) AS _n
WHERE _n.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.upstream_column) }} FROM {{ c.changed }} AS _c)
{%- if c.target.is_some() %}
UNION ALL
{%- endif %}
{%- endif %}
{%- if let Some(target) = c.target %}
SELECT {% for col in c.scope %}{% if !loop.first %}, {% endif %}_o.{{ q.id(col) }}{% endfor %} FROM {{ target }} AS _o
WHERE _o.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.upstream_column) }} FROM {{ c.changed }} AS _c)
{%- endif %}
