{%- import "bigquery/_macros.sql" as m -%}
SELECT _o.{{ q.id(c.partition) }} FROM {{ c.target }} AS _o
WHERE EXISTS (SELECT 1 FROM ({{ c.key_rows }}) AS _r WHERE {% call m::keys_match(q, "_r", "_o", c.keys) %}{% endcall %})
