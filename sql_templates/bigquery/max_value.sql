{#- The watermark as text the engine parses back ("%Y-%m-%d %H:%M:%S%.f"): a plain
    CAST(... AS STRING) of a TIMESTAMP appends the zone ("+00"). -#}
SELECT FORMAT_TIMESTAMP('%Y-%m-%d %H:%M:%E6S', CAST(max({{ q.id(c.column) }}) AS TIMESTAMP), 'UTC') AS v, count(*) AS n FROM {{ c.relation }}
