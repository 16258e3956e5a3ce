SELECT _c.{{ q.id(c.upstream_column) }} AS {{ q.id(c.column) }} FROM {{ c.changed }} AS _c
