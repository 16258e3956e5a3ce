SELECT CAST(max({{ q.id(c.column) }}) AS VARCHAR) AS v FROM {{ c.relation }}
