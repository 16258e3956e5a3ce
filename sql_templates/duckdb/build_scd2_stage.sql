{%- import "duckdb/_macros.sql" as m -%}
{#- Snapshots in scope -> one row per (key, valid_from) -> only rows whose
    tracked columns differ from the previous snapshot's -> versions closed by
    the next version's valid_from. The surrogate key hashes key and valid_from,
    so an incremental history and a full rebuild give identical keys. -#}
CREATE OR REPLACE TEMP TABLE {{ c.stage }} AS
WITH _snap AS (
    SELECT * FROM (
{{ c.select }}
    ) AS _s
    WHERE {% call m::scope_match(q, "_s", c.scope) %}{% endcall %}
    QUALIFY row_number() OVER (PARTITION BY {{ q.ids(c.keys) }}, {{ q.id(c.valid_from) }}{% if !c.order.is_empty() %} ORDER BY {% call m::order_by(q, c.order) %}{% endcall %}{% endif %}) = 1
),
_changes AS (
    SELECT *,
        {% for t in c.tracked %}{% if !loop.first %} OR {% endif %}({{ q.id(t) }} IS DISTINCT FROM lag({{ q.id(t) }}) OVER _w){% endfor %}
            OR row_number() OVER _w = 1 AS _pd_changed
    FROM _snap
    WINDOW _w AS (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }})
)
SELECT
    md5(concat_ws('|', {% for k in c.keys %}CAST({{ q.id(k) }} AS VARCHAR), {% endfor %}strftime(CAST({{ q.id(c.valid_from) }} AS TIMESTAMP), '%Y-%m-%dT%H:%M:%S.%f'))) AS {{ q.id(c.surrogate_key) }},
    {{ q.ids(c.columns) }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) AS {{ q.id("valid_to") }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) IS NULL AS {{ q.id("is_current") }}
FROM _changes
WHERE _pd_changed
