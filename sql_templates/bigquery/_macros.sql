{#- Shared fragments of the bigquery templates. -#}

{#- Null-safe equality of `keys` between two aliases, in the form BigQuery's
    MERGE documentation gives for join keys that may be NULL:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax#merge_statement -#}
{%- macro keys_match(q, left, right, keys) -%}
{%- for k in keys %}{% if !loop.first %} AND {% endif %}({{ left }}.{{ q.id(k) }} = {{ right }}.{{ q.id(k) }} OR ({{ left }}.{{ q.id(k) }} IS NULL AND {{ right }}.{{ q.id(k) }} IS NULL)){% endfor -%}
{%- endmacro -%}

{#- TRUE for the rows of `alias` inside `scope`. -#}
{%- macro scope_match(q, alias, scope) -%}
{%- match scope -%}
{%- when Scope::All -%}TRUE
{%- when Scope::Match with { table, columns } -%}
EXISTS (SELECT 1 FROM {{ table }} AS _k WHERE {% for col in columns %}{% if !loop.first %} AND {% endif %}(_k.{{ q.id(col) }} = {{ alias }}.{{ q.id(col) }} OR (_k.{{ q.id(col) }} IS NULL AND {{ alias }}.{{ q.id(col) }} IS NULL)){% endfor %})
{%- when Scope::Range with { column, start, end } -%}
({{ alias }}.{{ q.id(column) }} BETWEEN {{ q.date(start) }} AND {{ q.date(end) }} OR {{ alias }}.{{ q.id(column) }} IS NULL)
{%- endmatch -%}
{%- endmacro -%}

{#- `a DESC NULLS LAST, b NULLS LAST` from (column, descending) pairs. -#}
{%- macro order_by(q, terms) -%}
{%- for (col, desc) in terms.iter() %}{% if !loop.first %}, {% endif %}{{ q.id(col) }}{{ q.dir(desc) }} NULLS LAST{% endfor -%}
{%- endmacro -%}
