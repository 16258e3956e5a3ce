(SELECT * FROM {{ c.changes }} WHERE {{ q.id("_pd_seq") }} > {{ c.since_seq }})
