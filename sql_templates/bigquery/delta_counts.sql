{#- A key on both sides was updated; only new, inserted; only old, deleted. -#}
WITH _k AS (
    SELECT {{ q.ids(c.keys) }}, bool_or(_pd_side = 'new') AS _new, bool_or(_pd_side = 'old') AS _old
    FROM {{ c.delta }} GROUP BY ALL
)
SELECT
    count(*) FILTER (WHERE _new AND NOT _old) AS inserted,
    count(*) FILTER (WHERE _new AND _old) AS updated,
    count(*) FILTER (WHERE _old AND NOT _new) AS deleted
FROM _k
