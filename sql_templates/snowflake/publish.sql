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
{#- By key, as on DuckDB: drop the published versions of changed keys, insert
    their new rows, in the adapter's one transaction. Not Snowflake's MERGE:
    it refuses a key with several source rows (ERROR_ON_NONDETERMINISTIC_MERGE),
    has no WHEN NOT MATCHED BY SOURCE for keys whose rows are gone, and
    fakesnow emulates it with a temporary table it cannot create inside a
    transaction that already wrote. -#}
DELETE FROM {{ c.target }} AS _t
WHERE EXISTS (SELECT 1 FROM {{ c.delta }} AS _d WHERE {% call m::keys_match(q, "_d", "_t", c.keys) %}{% endcall %})
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.delta }} WHERE {{ q.id("_pd_side") }} = 'new'
{%- when PublishKind::Partitions %}
{#- Partition overwrite: replace exactly the partitions in scope. Not INSERT
    OVERWRITE, which truncates the whole table. -#}
DELETE FROM {{ c.target }} AS _t WHERE {% call m::scope_match(q, "_t", c.scope) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- endmatch %}
{%- endif %}
