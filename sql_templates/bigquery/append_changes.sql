INSERT INTO {{ c.changes }} SELECT *, CAST({{ c.seq }} AS INT64) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
