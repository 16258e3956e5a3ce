{#- Rows referencing a changed SCD2 version whose reference may move. The
    old state of a version is its 'old' row in the first logged run after
    this model's watermark; its new state is the published upstream. A
    version whose tracked columns are unchanged keeps the rows whose
    time lies in its interval: new rows are new unless the old interval
    held them, published rows stay unless the new interval holds them. -#}
{%- if let Some(select) = c.select %}
SELECT {% for s in c.scope %}{% if !loop.first %}, {% endif %}_n.{{ q.id(s) }}{% endfor %} FROM ({{ select }}) AS _n
WHERE _n.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.surrogate_key) }} FROM {{ c.changed }} AS _c)
AND NOT EXISTS (SELECT 1 FROM {{ c.changed }} AS _p JOIN {{ c.upstream }} AS _v ON _v.{{ q.id(c.surrogate_key) }} = _p.{{ q.id(c.surrogate_key) }}
    WHERE _p.{{ q.id("_pd_side") }} = 'old' AND _p.{{ q.id("_pd_seq") }} = (SELECT min(_f.{{ q.id("_pd_seq") }}) FROM {{ c.changed }} AS _f WHERE _f.{{ q.id(c.surrogate_key) }} = _p.{{ q.id(c.surrogate_key) }})
    AND _p.{{ q.id(c.surrogate_key) }} = _n.{{ q.id(c.column) }} AND _n.{{ q.id(c.valid_at) }} >= _p.{{ q.id(c.valid_from) }} AND (_p.{{ q.id("valid_to") }} IS NULL OR _n.{{ q.id(c.valid_at) }} < _p.{{ q.id("valid_to") }}){% for t in c.tracked %} AND _v.{{ q.id(t) }} IS NOT DISTINCT FROM _p.{{ q.id(t) }}{% endfor %})
{%- else %}
{#- A model whose rows appear only through its grain upstream: rows
    that may move are published ones, also those without a version and
    those that predate every version of a changed entity. -#}
SELECT {% for s in c.scope %}{% if !loop.first %}, {% endif %}_o.{{ q.id(s) }}{% endfor %} FROM {{ c.target }} AS _o
WHERE _o.{{ q.id(c.column) }} IS NULL
UNION ALL
SELECT {% for s in c.scope %}{% if !loop.first %}, {% endif %}_o.{{ q.id(s) }}{% endfor %} FROM {{ c.target }} AS _o JOIN {{ c.upstream }} AS _v ON _v.{{ q.id(c.surrogate_key) }} = _o.{{ q.id(c.column) }}
WHERE _o.{{ q.id(c.valid_at) }} < _v.{{ q.id(c.valid_from) }}
AND EXISTS (SELECT 1 FROM {{ c.changed }} AS _e WHERE {% for k in c.entity_keys %}{% if !loop.first %} AND {% endif %}_e.{{ q.id(k) }} IS NOT DISTINCT FROM _v.{{ q.id(k) }}{% endfor %})
{%- endif %}
UNION ALL
SELECT {% for s in c.scope %}{% if !loop.first %}, {% endif %}_o.{{ q.id(s) }}{% endfor %} FROM {{ c.target }} AS _o
WHERE _o.{{ q.id(c.column) }} IN (SELECT _c.{{ q.id(c.surrogate_key) }} FROM {{ c.changed }} AS _c)
AND NOT EXISTS (SELECT 1 FROM {{ c.changed }} AS _p JOIN {{ c.upstream }} AS _v ON _v.{{ q.id(c.surrogate_key) }} = _p.{{ q.id(c.surrogate_key) }}
    WHERE _p.{{ q.id("_pd_side") }} = 'old' AND _p.{{ q.id("_pd_seq") }} = (SELECT min(_f.{{ q.id("_pd_seq") }}) FROM {{ c.changed }} AS _f WHERE _f.{{ q.id(c.surrogate_key) }} = _p.{{ q.id(c.surrogate_key) }})
    AND _v.{{ q.id(c.surrogate_key) }} = _o.{{ q.id(c.column) }} AND _o.{{ q.id(c.valid_at) }} >= _v.{{ q.id(c.valid_from) }} AND (_v.{{ q.id("valid_to") }} IS NULL OR _o.{{ q.id(c.valid_at) }} < _v.{{ q.id("valid_to") }}){% for t in c.tracked %} AND _v.{{ q.id(t) }} IS NOT DISTINCT FROM _p.{{ q.id(t) }}{% endfor %})
