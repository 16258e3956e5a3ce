SELECT DISTINCT {{ q.id(c.column) }} FROM {{ c.relation }} ORDER BY 1
