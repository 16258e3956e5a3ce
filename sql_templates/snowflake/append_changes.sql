{#- Snowflake commits an open transaction before any DDL, CREATE ... AS included
    (https://docs.snowflake.com/en/sql-reference/transactions): the CREATE below
    ends the adapter's transaction early. -#}
{%- if c.reset %}
CREATE OR REPLACE TABLE {{ c.changes }} AS SELECT *, CAST({{ c.seq }} AS NUMBER(38, 0)) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
{%- else %}
CREATE TABLE IF NOT EXISTS {{ c.changes }} AS SELECT *, CAST(0 AS NUMBER(38, 0)) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }} WHERE FALSE
;
INSERT INTO {{ c.changes }} SELECT *, CAST({{ c.seq }} AS NUMBER(38, 0)) AS {{ q.id("_pd_seq") }} FROM {{ c.delta }}
{%- endif %}
