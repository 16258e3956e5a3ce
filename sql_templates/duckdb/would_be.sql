{%- import "duckdb/_macros.sql" as m -%}
{%- if c.replaces_all -%}
{{ c.stage }}
{%- else -%}
(SELECT * FROM {{ c.target }} AS _t WHERE NOT ({% call m::scope_match(q, "_t", c.scope) %}{% endcall %}) UNION ALL BY NAME SELECT * FROM {{ c.stage }})
{%- endif -%}
