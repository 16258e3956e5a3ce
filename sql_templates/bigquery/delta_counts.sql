{#- A key on both sides was updated; only new, inserted; only old, deleted.
    No GROUP BY ALL here; FILTER (WHERE ...) is COUNTIF and bool_or is LOGICAL_OR:
    https://cloud.google.com/bigquery/docs/reference/standard-sql/aggregate_functions#countif
    https://cloud.google.com/bigquery/docs/reference/standard-sql/aggregate_functions#logical_or -#}
WITH _k AS (
    SELECT {{ q.ids(c.keys) }}, LOGICAL_OR({{ q.id("_pd_side") }} = 'new') AS _new, LOGICAL_OR({{ q.id("_pd_side") }} = 'old') AS _old
    FROM {{ c.delta }} GROUP BY {{ q.ids(c.keys) }}
)
SELECT
    COUNTIF(_new AND NOT _old) AS inserted,
    COUNTIF(_new AND _old) AS updated,
    COUNTIF(_old AND NOT _new) AS deleted
FROM _k
