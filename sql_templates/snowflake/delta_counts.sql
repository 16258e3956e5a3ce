{#- A key on both sides was updated; only new, inserted; only old, deleted.
    GROUP BY lists the keys; FILTER (WHERE ...) is COUNT_IF and bool_or is BOOLOR_AGG here:
    https://docs.snowflake.com/en/sql-reference/functions/count_if
    https://docs.snowflake.com/en/sql-reference/functions/boolor_agg -#}
WITH _k AS (
    SELECT {{ q.ids(c.keys) }}, BOOLOR_AGG({{ q.id("_pd_side") }} = 'new') AS _new, BOOLOR_AGG({{ q.id("_pd_side") }} = 'old') AS _old
    FROM {{ c.delta }} GROUP BY {{ q.ids(c.keys) }}
)
SELECT
    COUNT_IF(_new AND NOT _old) AS inserted,
    COUNT_IF(_new AND _old) AS updated,
    COUNT_IF(_old AND NOT _new) AS deleted
FROM _k
