{%- import "bigquery/_macros.sql" as m -%}
{#- The rows that really change: a rerun over unchanged input yields an empty delta.
    BigQuery spells the set difference EXCEPT DISTINCT:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/query-syntax#set_operators -#}
CREATE OR REPLACE TABLE {{ c.delta }} AS
{%- if let Some(target) = c.target %}
WITH _old AS (SELECT {{ q.ids(c.columns) }} FROM {{ target }} AS _t WHERE {% call m::scope_match(q, "_t", c.scope) %}{% endcall %}),
     _new AS (SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }})
(SELECT *, 'new' AS {{ q.id("_pd_side") }} FROM (SELECT * FROM _new EXCEPT DISTINCT SELECT * FROM _old))
UNION ALL
(SELECT *, 'old' AS {{ q.id("_pd_side") }} FROM (SELECT * FROM _old EXCEPT DISTINCT SELECT * FROM _new))
{%- else %}
SELECT {{ q.ids(c.columns) }}, 'new' AS {{ q.id("_pd_side") }} FROM {{ c.stage }}
{%- endif %}
