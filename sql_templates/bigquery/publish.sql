{%- import "bigquery/_macros.sql" as m -%}
{#- Each kind is one statement, atomic on its own: BigQuery has no transaction
    across separate jobs, and DDL cannot run inside a multi-statement one. -#}
{%- if c.create || c.kind == PublishKind::Replace %}
{#- A table created from the stage, partitioned by the model's partition column:
    a DATE column as it is, a TIMESTAMP by its day (the partition_expression
    rules refuse a bare TIMESTAMP column:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#partition_expression).
    A filter on the column itself prunes either way. -#}
CREATE {% if !c.create %}OR REPLACE {% endif %}TABLE {{ c.target }}
{%- if let Some(p) = c.partition_by %}
PARTITION BY {% if c.partition_timestamps %}DATE({{ q.id(p) }}){% else %}{{ q.id(p) }}{% endif %}
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
{#- Partition overwrite: delete every target row in scope, insert the stage's
    rows. The two statements join the adapter's multi-statement transaction
    with the rest of the publish batch, so they commit together
    (https://cloud.google.com/bigquery/docs/transactions). Chosen over one
    MERGE ... WHEN NOT MATCHED BY SOURCE: on bqemulator the MERGE took 20-50x
    longer (7-14 s vs 0.2-0.4 s for 3 of 60 partitions, 120k rows; BENCHMARKS.md),
    and on BigQuery a DELETE whose filter is on the partition column with
    constants is billed for the scanned partitions only, as is the MERGE, so
    the MERGE saves nothing. -#}
DELETE FROM {{ c.target }} AS _t
WHERE {% call m::scope_match(q, "_t", c.scope) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- when PublishKind::Replace %}
{%- endmatch %}
{%- endif %}
