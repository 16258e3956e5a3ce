{%- import "snowflake/_macros.sql" as m -%}
{%- if c.replaces_all -%}
{{ c.stage }}
{%- else -%}
(SELECT {{ q.ids(c.columns) }} FROM {{ c.target }} AS _t WHERE NOT ({% call m::scope_match(q, "_t", c.scope) %}{% endcall %}) UNION ALL SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }})
{%- endif -%}
