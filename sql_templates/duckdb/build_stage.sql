{%- import "duckdb/_macros.sql" as m -%}
CREATE OR REPLACE TEMP TABLE {{ c.stage }} AS
SELECT * FROM (
{{ c.select }}
) AS _s
WHERE {% call m::scope_match(q, "_s", c.scope) %}{% endcall %}
{%- if let Some(latest) = c.latest %}
QUALIFY row_number() OVER (PARTITION BY {% for k in latest.keys %}{% if !loop.first %}, {% endif %}_s.{{ q.id(k) }}{% endfor %} ORDER BY {% call m::order_by(q, latest.order) %}{% endcall %}) = 1
{%- endif %}
