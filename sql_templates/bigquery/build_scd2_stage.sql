{%- import "bigquery/_macros.sql" as m -%}
{#- Snapshots in scope -> one row per (key, valid_from) -> only rows whose
    tracked columns differ from the previous snapshot's -> versions closed by
    the next version's valid_from. The surrogate key hashes key and valid_from,
    so an incremental history and a full rebuild give identical keys.
    IS DISTINCT FROM is GoogleSQL:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/operators#is_distinct -#}
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
        {% for t in c.tracked %}{% if !loop.first %} OR {% endif %}({{ q.id(t) }} IS DISTINCT FROM lag({{ q.id(t) }}) OVER _w){% endfor %}
            OR row_number() OVER _w = 1 AS _pd_changed
    FROM _snap
    WINDOW _w AS (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }})
)
{# The same text as DuckDB's md5(concat_ws('|', ...)), hex-encoded: ARRAY_TO_STRING
    skips NULL elements as concat_ws does
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/array_functions#array_to_string);
    %E6S writes the seconds with 6 fractional digits like DuckDB's %f
    (https://cloud.google.com/bigquery/docs/reference/standard-sql/format-elements#format_elements_date_time). -#}
SELECT
    TO_HEX(MD5(ARRAY_TO_STRING([{% for k in c.keys %}CAST({{ q.id(k) }} AS STRING), {% endfor %}FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%E6S', CAST({{ q.id(c.valid_from) }} AS TIMESTAMP), 'UTC')], '|'))) AS {{ q.id(c.surrogate_key) }},
    {{ q.ids(c.columns) }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) AS {{ q.id("valid_to") }},
    lead({{ q.id(c.valid_from) }}) OVER (PARTITION BY {{ q.ids(c.keys) }} ORDER BY {{ q.id(c.valid_from) }}) IS NULL AS {{ q.id("is_current") }}
FROM _changes
WHERE _pd_changed
