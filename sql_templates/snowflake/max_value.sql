{#- The watermark as text the engine parses back ("%Y-%m-%d %H:%M:%S%.f"): a plain
    CAST would follow the session's TIMESTAMP_OUTPUT_FORMAT (milliseconds by default):
    https://docs.snowflake.com/en/sql-reference/parameters#timestamp-output-format -#}
SELECT TO_CHAR(CAST(max({{ q.id(c.column) }}) AS TIMESTAMP_NTZ), 'YYYY-MM-DD HH24:MI:SS.FF6') AS v, count(*) AS n FROM {{ c.relation }}
