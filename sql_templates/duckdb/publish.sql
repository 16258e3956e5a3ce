{%- import "duckdb/_macros.sql" as m -%}
{#- DuckDB runs these in one transaction; readers see the old rows or the new, never a mix. -#}
{%- if c.create %}
CREATE TABLE {{ c.target }} AS SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- else %}
{%- match c.kind %}
{%- when PublishKind::Replace %}
CREATE OR REPLACE TABLE {{ c.target }} AS SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- when PublishKind::Merge %}
{#- MERGE by key: drop the published versions of changed keys, insert their new rows. -#}
{%- call m::delete_matching(q, c.target, c.delta, c.keys, c.scope, false) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.delta }} WHERE _pd_side = 'new'
{%- when PublishKind::Partitions %}
{%- if c.by_delta %}
{#- Partition overwrite, writing only what changed: the rows of the partitions
    in scope whose key is in the delta give way to the rebuild's rows of
    those keys. Every other row of those partitions is the same in both, and
    rewriting it (most of the partition, on an ordinary day) would cost the
    write and the checkpoint for nothing. -#}
{%- call m::delete_matching(q, c.target, c.delta, c.keys, c.scope, true) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }} AS _s
WHERE EXISTS (SELECT 1 FROM {{ c.delta }} AS _d WHERE {% for k in c.keys %}{% if !loop.first %} AND {% endif %}_d.{{ q.id(k) }} IS NOT DISTINCT FROM _s.{{ q.id(k) }}{% endfor %})
{%- else %}
{#- Partition overwrite: replace exactly the partitions in scope. -#}
DELETE FROM {{ c.target }} AS _t WHERE {% call m::scope_match(q, "_t", c.scope) %}{% endcall %}
;
INSERT INTO {{ c.target }} ({{ q.ids(c.columns) }})
SELECT {{ q.ids(c.columns) }} FROM {{ c.stage }}
{%- endif %}
{%- endmatch %}
{%- endif %}
