INSERT INTO {{ c.changes }} SELECT *, CAST({{ c.seq }} AS BIGINT) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
