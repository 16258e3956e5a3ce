{%- import "snowflake/_macros.sql" as m -%}
{#- The adapter runs these in one transaction (DML only; a CREATE commits on its
    own, atomically). COPY GRANTS keeps the privileges of the table it replaces:
    https://docs.snowflake.com/en/sql-reference/sql/create-table -#}
{%- if c.create %}
CREATE TABLE {{ c.target }} AS SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- else %}
{%- match c.kind %}
{%- when PublishKind::Replace %}
CREATE OR REPLACE TABLE {{ c.target }} COPY GRANTS AS SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- when PublishKind::Merge %}
{#- MERGE by key: a key with new rows is updated or inserted; a key left only on
    the 'old' side (its rows are gone) is deleted. Snowflake's MERGE has no
    WHEN NOT MATCHED BY SOURCE, so those keys come in as source rows flagged
    `_pd_delete`: GROUP BY treats NULL keys as one group, like the null-safe ON.
    https://docs.snowflake.com/en/sql-reference/sql/merge
    A key must have at most one new row: Snowflake refuses a target row matched
    by several source rows (ERROR_ON_NONDETERMINISTIC_MERGE). -#}
MERGE INTO {{ c.target }} AS _t
USING (
    SELECT {{ q.ids(c.columns) }}, FALSE AS {{ q.id("_pd_delete") }}
    FROM {{ c.delta }} WHERE {{ q.id("_pd_side") }} = 'new'
    UNION ALL
    SELECT {% for col in c.columns %}{% if c.keys.contains(col) %}{{ q.id(col) }}{% else %}NULL AS {{ q.id(col) }}{% endif %}, {% endfor %}TRUE AS {{ q.id("_pd_delete") }}
    FROM {{ c.delta }} GROUP BY {{ q.ids(c.keys) }} HAVING COUNT_IF({{ q.id("_pd_side") }} = 'new') = 0
) AS _s
ON {% call m::keys_match(q, "_t", "_s", c.keys) %}{% endcall %}
WHEN MATCHED AND _s.{{ q.id("_pd_delete") }} THEN DELETE
WHEN MATCHED THEN UPDATE SET {% for col in c.columns %}{% if !loop.first %}, {% endif %}{{ q.id(col) }} = _s.{{ q.id(col) }}{% endfor %}
WHEN NOT MATCHED AND NOT _s.{{ q.id("_pd_delete") }} THEN INSERT ({{ q.ids(c.columns) }})
VALUES ({% for col in c.columns %}{% if !loop.first %}, {% endif %}_s.{{ q.id(col) }}{% endfor %})
{%- when PublishKind::Partitions %}
{#- Partition overwrite: replace exactly the partitions in scope. Not INSERT
    OVERWRITE, which truncates the whole table. -#}
DELETE FROM {{ c.target }} AS _t WHERE {% call m::scope_match(q, "_t", c.scope) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- endmatch %}
{%- endif %}
