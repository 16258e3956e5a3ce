DELETE FROM {{ c.changes }} WHERE {{ q.id("_pd_seq") }} <= {{ c.upto_seq }}
