SELECT CAST(max({{ q.id(c.column) }}) AS VARCHAR) AS v, count(*) AS n FROM {{ c.relation }}
