SELECT count(*) AS n FROM {{ c.relation }}
