{#- Shared fragments of the snowflake templates. -#}

{#- Null-safe equality of `keys` between two aliases. Snowflake supports the
    standard IS NOT DISTINCT FROM (same as EQUAL_NULL):
    https://docs.snowflake.com/en/sql-reference/functions/is-distinct-from -#}
{%- macro keys_match(q, left, right, keys) -%}
{%- for k in keys %}{% if !loop.first %} AND {% endif %}{{ left }}.{{ q.id(k) }} IS NOT DISTINCT FROM {{ right }}.{{ q.id(k) }}{% endfor -%}
{%- endmacro -%}

{#- TRUE for the rows of `alias` inside `scope`. -#}
{%- macro scope_match(q, alias, scope) -%}
{%- match scope -%}
{%- when Scope::All -%}TRUE
{%- when Scope::Match with { table, columns } -%}
EXISTS (SELECT 1 FROM {{ table }} AS _k WHERE {% for col in columns %}{% if !loop.first %} AND {% endif %}_k.{{ q.id(col) }} IS NOT DISTINCT FROM {{ alias }}.{{ q.id(col) }}{% endfor %})
{%- when Scope::Range with { column, start, end } -%}
({{ alias }}.{{ q.id(column) }} BETWEEN {{ q.date(start) }} AND {{ q.date(end) }} OR {{ alias }}.{{ q.id(column) }} IS NULL)
{%- endmatch -%}
{%- endmacro -%}

{#- `a DESC NULLS LAST, b NULLS LAST` from (column, descending) pairs. -#}
{%- macro order_by(q, terms) -%}
{%- for (col, desc) in terms.iter() %}{% if !loop.first %}, {% endif %}{{ q.id(col) }}{{ q.dir(desc) }} NULLS LAST{% endfor -%}
{%- endmacro -%}
