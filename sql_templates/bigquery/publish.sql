{%- import "bigquery/_macros.sql" as m -%}
{#- Each kind is one statement, atomic on its own: BigQuery has no transaction
    across separate jobs, and DDL cannot run inside a multi-statement one. -#}
{%- if c.create || c.kind == PublishKind::Replace %}
{#- A table created from the stage, partitioned by the model's partition column
    (a DATE column; see the partition_expression rules:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#partition_expression). -#}
CREATE {% if !c.create %}OR REPLACE {% endif %}TABLE {{ c.target }}
{%- if let Some(p) = c.partition_by %}
PARTITION BY {{ q.id(p) }}
{%- endif %}
AS SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- else %}
{%- match c.kind %}
{%- when PublishKind::Merge %}
{#- MERGE by key: a key with new rows is updated or inserted; a key left only on
    the 'old' side (its rows are gone) is deleted. Those keys come in as source
    rows flagged `_pd_delete` (GROUP BY treats NULL keys as one group, like the
    null-safe ON), so no WHEN clause needs a subquery.
    https://cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax#merge_statement
    A key must have at most one new row: "UPDATE/MERGE must match at most one
    source row for each target row". -#}
MERGE INTO {{ c.target }} AS _t
USING (
    SELECT {{ q.ids(c.columns) }}, FALSE AS {{ q.id("_pd_delete") }}
    FROM {{ c.delta }} WHERE {{ q.id("_pd_side") }} = 'new'
    UNION ALL
    SELECT {% for col in c.columns %}{% if c.keys.contains(col) %}{{ q.id(col) }}{% else %}NULL AS {{ q.id(col) }}{% endif %}, {% endfor %}TRUE AS {{ q.id("_pd_delete") }}
    FROM {{ c.delta }} GROUP BY {{ q.ids(c.keys) }} HAVING COUNTIF({{ q.id("_pd_side") }} = 'new') = 0
) AS _s
ON {% call m::keys_match(q, "_t", "_s", c.keys) %}{% endcall %}
WHEN MATCHED AND _s.{{ q.id("_pd_delete") }} THEN DELETE
WHEN MATCHED THEN UPDATE SET {% for col in c.columns %}{% if !loop.first %}, {% endif %}{{ q.id(col) }} = _s.{{ q.id(col) }}{% endfor %}
WHEN NOT MATCHED AND NOT _s.{{ q.id("_pd_delete") }} THEN INSERT ({{ q.ids(c.columns) }})
VALUES ({% for col in c.columns %}{% if !loop.first %}, {% endif %}_s.{{ q.id(col) }}{% endfor %})
{%- when PublishKind::Partitions %}
{#- Partition overwrite as one MERGE (BigQuery's REPLACE idiom): every target row
    in scope is deleted and every stage row inserted, atomically, with no
    multi-statement transaction (which could not nest in one the adapter opens)
    and no subquery in a WHEN condition. -#}
{%- match c.scope %}
{%- when Scope::Match with { table, columns } %}
{#- The partitions in scope come in as source rows flagged `_pd_delete`; each
    target row of such a partition matches exactly one of them (the keys table
    is distinct). -#}
MERGE INTO {{ c.target }} AS _t
USING (
    SELECT {{ q.ids(c.columns) }}, FALSE AS {{ q.id("_pd_delete") }} FROM {{ c.stage }}
    UNION ALL
    SELECT {% for col in c.columns %}{% if columns.contains(col) %}_k.{{ q.id(col) }}{% else %}NULL{% endif %} AS {{ q.id(col) }}, {% endfor %}TRUE AS {{ q.id("_pd_delete") }} FROM {{ table }} AS _k
) AS _s
ON _s.{{ q.id("_pd_delete") }} AND {% call m::keys_match(q, "_t", "_s", columns) %}{% endcall %}
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED AND NOT _s.{{ q.id("_pd_delete") }} THEN INSERT ({{ q.ids(c.columns) }})
VALUES ({% for col in c.columns %}{% if !loop.first %}, {% endif %}_s.{{ q.id(col) }}{% endfor %})
{%- else %}
{#- A constant false predicate: no join at all; a Range scope prunes partitions.
    https://cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax#merge_statement -#}
MERGE INTO {{ c.target }} AS _t
USING (SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}) AS _s
ON FALSE
WHEN NOT MATCHED BY SOURCE AND {% call m::scope_match(q, "_t", c.scope) %}{% endcall %} THEN DELETE
WHEN NOT MATCHED THEN INSERT ({{ q.ids(c.columns) }})
VALUES ({% for col in c.columns %}{% if !loop.first %}, {% endif %}_s.{{ q.id(col) }}{% endfor %})
{%- endmatch %}
{%- when PublishKind::Replace %}
{%- endmatch %}
{%- endif %}
