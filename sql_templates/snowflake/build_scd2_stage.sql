{%- import "snowflake/_macros.sql" as m -%}
{#- Snapshots in scope -> one row per (key, valid_from) -> only rows whose
    tracked columns differ from the previous snapshot's -> versions closed by
    the next version's valid_from. The surrogate key hashes key and valid_from,
    so an incremental history and a full rebuild give identical keys.
    Snowflake has no named WINDOW clause, and ROW_NUMBER needs an ORDER BY:
    https://docs.snowflake.com/en/sql-reference/functions/row_number -#}
CREATE OR REPLACE TABLE {{ c.stage }} AS
WITH _snap AS (
    SELECT * FROM (
{{ c.select }}
    ) AS _s
    WHERE {% call m::scope_match(q, "_s", c.scope) %}{% endcall %}
    QUALIFY row_number() OVER (PARTITION BY {{ q.ids(c.keys) }}, {{ q.id(c.valid_from) }} ORDER BY {% if c.order.is_empty() %}{{ q.id(c.valid_from) }}{% else %}{% call m::order_by(q, c.order) %}{% endcall %}{% endif %}) = 1
),
_changes AS (
    SELECT *,
        {% for t in c.tracked %}{% if !loop.first %} OR {% endif %}({{ q.id(t) }} IS DISTINCT FROM lag({{ q.id(t) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }})){% endfor %}
            OR row_number() OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) = 1 AS _pd_changed
    FROM _snap
)
{# The same text as DuckDB's md5(concat_ws('|', ...)), which skips NULLs:
    each part is '|' || part (NULL when the part is NULL, then ''), and the
    leading '|' is cut. Snowflake's CONCAT_WS would return NULL instead. The
    timestamp is written with 6 fractional digits like DuckDB's %f
    (https://docs.snowflake.com/en/sql-reference/functions-conversion#label-date-time-format-conversion). -#}
SELECT
    MD5(SUBSTR({% for k in c.keys %}COALESCE('|' || CAST({{ q.id(k) }} AS VARCHAR), '') || {% endfor %}COALESCE('|' || TO_CHAR(CAST({{ q.id(c.valid_from) }} AS TIMESTAMP_NTZ), 'YYYY-MM-DD"T"HH24:MI:SS.FF6'), ''), 2)) AS {{ q.id(c.surrogate_key) }},
    {{ q.ids(c.columns) }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) AS {{ q.id("valid_to") }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) IS NULL AS {{ q.id("is_current") }}
FROM _changes
WHERE _pd_changed
