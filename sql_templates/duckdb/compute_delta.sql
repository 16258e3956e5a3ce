{%- import "duckdb/_macros.sql" as m -%}
{#- The rows that really change: a rerun over unchanged input yields an empty delta. -#}
CREATE OR REPLACE TEMP TABLE {{ c.delta }} AS
{%- if let Some(target) = c.target %}
WITH _old AS ({% call m::rows_in_scope(q, q.ids(c.columns), target, "_t", c.scope) %}{% endcall %}),
     _new AS (SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }})
(SELECT *, 'new' AS _pd_side FROM (SELECT * FROM _new EXCEPT SELECT * FROM _old))
UNION ALL
(SELECT *, 'old' AS _pd_side FROM (SELECT * FROM _old EXCEPT SELECT * FROM _new))
{%- else %}
SELECT {{ q.ids(c.columns) }}, 'new' AS _pd_side FROM {{ c.stage }}
{%- endif %}
