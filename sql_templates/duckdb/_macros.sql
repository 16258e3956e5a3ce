{#- Shared fragments of the duckdb templates. -#}

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

{#- The rows of `relation` inside `scope`, as a query. For a Match scope, a
    semi-join on `=` and a branch for the rows with a NULL scope column:
    see restricted_read.sql for why. -#}
{%- macro rows_in_scope(q, list, relation, alias, scope) -%}
{%- match scope -%}
{%- when Scope::Match with { table, columns } -%}
SELECT {{ list }} FROM {{ relation }} AS {{ alias }} SEMI JOIN {{ table }} AS _k ON {% for col in columns %}{% if !loop.first %} AND {% endif %}_k.{{ q.id(col) }} = {{ alias }}.{{ q.id(col) }}{% endfor %}
UNION ALL
SELECT {{ list }} FROM {{ relation }} AS {{ alias }} WHERE ({% for col in columns %}{% if !loop.first %} OR {% endif %}{{ alias }}.{{ q.id(col) }} IS NULL{% endfor %}) AND {% call scope_match(q, alias, scope) %}{% endcall %}
{%- else -%}
SELECT {{ list }} FROM {{ relation }} AS {{ alias }} WHERE {% call scope_match(q, alias, scope) %}{% endcall %}
{%- endmatch -%}
{%- endmacro -%}

{#- Deletes the rows of `target` (as `_t`) whose `keys` match a row of
    `rows`, null-safe, and (when `scoped`) that lie inside `scope`: a join on `=` (which
    DuckDB prunes the target's row groups for, see restricted_read.sql),
    then the rows with a NULL key column. Two statements. -#}
{%- macro delete_matching(q, target, rows, keys, scope, scoped) -%}
DELETE FROM {{ target }} AS _t
USING (SELECT DISTINCT {{ q.ids(keys) }} FROM {{ rows }}) AS _d
WHERE {% for k in keys %}{% if !loop.first %} AND {% endif %}_d.{{ q.id(k) }} = _t.{{ q.id(k) }}{% endfor %}{% if scoped %} AND {% call scope_match(q, "_t", scope) %}{% endcall %}{% endif %}
;
DELETE FROM {{ target }} AS _t
WHERE ({% for k in keys %}{% if !loop.first %} OR {% endif %}_t.{{ q.id(k) }} IS NULL{% endfor %})
  AND EXISTS (SELECT 1 FROM {{ rows }} AS _d WHERE {% for k in keys %}{% if !loop.first %} AND {% endif %}_d.{{ q.id(k) }} IS NOT DISTINCT FROM _t.{{ q.id(k) }}{% endfor %})
{%- if scoped %}
  AND {% call scope_match(q, "_t", scope) %}{% endcall %}
{%- endif %}
{%- endmacro -%}

{#- `a DESC, b` from (column, descending) pairs. -#}
{%- macro order_by(q, terms) -%}
{%- for (col, desc) in terms.iter() %}{% if !loop.first %}, {% endif %}{{ q.id(col) }}{{ q.dir(desc) }} NULLS LAST{% endfor -%}
{%- endmacro -%}
