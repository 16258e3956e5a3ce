{#- Each gate yields one row: the number of offending rows (or partitions). -#}
{%- match c.check %}
{%- when CheckSpec::NotNull with { columns } %}
SELECT count(*) AS offending FROM {{ c.relation }} AS _r
WHERE {% for col in columns %}{% if !loop.first %} OR {% endif %}_r.{{ q.id(col) }} IS NULL{% endfor %}
{%- when CheckSpec::Unique with { columns, among } %}
SELECT coalesce(sum(_n), 0) AS offending FROM (
    SELECT count(*) AS _n FROM {{ c.relation }} AS _r{% if let Some(rows) = among %} WHERE EXISTS (SELECT 1 FROM {{ rows }} AS _a WHERE {% for col in columns %}{% if !loop.first %} AND {% endif %}_a.{{ q.id(col) }} IS NOT DISTINCT FROM _r.{{ q.id(col) }}{% endfor %}){% endif %} GROUP BY {% for col in columns %}{% if !loop.first %}, {% endif %}_r.{{ q.id(col) }}{% endfor %} HAVING count(*) > 1
) AS _dups
{%- when CheckSpec::Relationships with { column, to, field } %}
SELECT count(*) AS offending FROM {{ c.relation }} AS _r
WHERE _r.{{ q.id(column) }} IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM {{ to }} AS _p WHERE _p.{{ q.id(field) }} = _r.{{ q.id(column) }})
{%- when CheckSpec::AcceptedValues with { column, values } %}
SELECT count(*) AS offending FROM {{ c.relation }} AS _r
WHERE _r.{{ q.id(column) }} IS NOT NULL
  AND CAST(_r.{{ q.id(column) }} AS VARCHAR) NOT IN ({% for v in values %}{% if !loop.first %}, {% endif %}{{ q.str(v) }}{% endfor %})
{%- when CheckSpec::RowCountDelta with { partition, target, changed, max_change } %}
{#- Per partition this run rewrites: previous count vs new count. -#}
{%- if let Some(delta) = changed %}
{#- A build by key: the partitions its changed rows leave or enter, counted as they would be. #}
WITH _new AS (SELECT _r.{{ q.id(partition) }} AS _p, count(*) AS _n FROM {{ c.relation }} AS _r
    WHERE EXISTS (SELECT 1 FROM {{ delta }} AS _d WHERE _d.{{ q.id(partition) }} IS NOT DISTINCT FROM _r.{{ q.id(partition) }}) GROUP BY 1)
{%- else %}
WITH _new AS (SELECT {{ q.id(partition) }} AS _p, count(*) AS _n FROM {{ c.stage }} GROUP BY 1)
{%- endif %}
{%- if let Some(t) = target %},
_old AS (SELECT _t.{{ q.id(partition) }} AS _p, count(*) AS _n FROM {{ t }} AS _t WHERE _t.{{ q.id(partition) }} IN (SELECT _p FROM _new) GROUP BY 1)
{#- Growth or shrinkage by more than a factor of (1 + max_change). #}
SELECT count(*) AS offending FROM _new LEFT JOIN _old ON _new._p IS NOT DISTINCT FROM _old._p
WHERE _old._n IS NOT NULL AND (_new._n > (1 + {{ max_change }}) * _old._n OR _new._n * (1 + {{ max_change }}) < _old._n)
{%- else %}
SELECT 0 AS offending
{%- endif %}
{%- when CheckSpec::Freshness with { column, cutoff } %}
SELECT CASE WHEN max(_r.{{ q.id(column) }}) IS NULL OR CAST(max(_r.{{ q.id(column) }}) AS TIMESTAMP) < {{ q.ts(cutoff) }} THEN 1 ELSE 0 END AS offending
FROM {{ c.relation }} AS _r
{%- endmatch %}
