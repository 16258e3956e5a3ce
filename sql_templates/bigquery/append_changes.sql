{%- if c.reset %}
CREATE OR REPLACE TABLE {{ c.changes }} AS SELECT *, CAST({{ c.seq }} AS INT64) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
{%- else %}
CREATE TABLE IF NOT EXISTS {{ c.changes }} AS SELECT *, CAST(0 AS INT64) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }} WHERE FALSE
;
INSERT INTO {{ c.changes }} SELECT *, CAST({{ c.seq }} AS INT64) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
{%- endif %}
