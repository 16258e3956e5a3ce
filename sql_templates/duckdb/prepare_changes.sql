{#- The change log's table is created before the publish transaction: DDL
    inside it would commit it early on Snowflake and is not allowed in a
    BigQuery transaction. A reset (every reader is rebuilt in this run)
    starts the log afresh, in the model's current columns. #}
{%- if c.reset %}
DROP TABLE IF EXISTS {{ c.changes }}
;
{%- endif %}
CREATE TABLE IF NOT EXISTS {{ c.changes }} AS SELECT *, CAST(0 AS BIGINT) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }} WHERE FALSE
