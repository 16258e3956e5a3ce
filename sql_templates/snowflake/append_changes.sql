INSERT INTO {{ c.changes }} SELECT *, CAST({{ c.seq }} AS NUMBER(38, 0)) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
