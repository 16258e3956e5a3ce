SELECT * FROM {{ c.relation }} LIMIT 0
