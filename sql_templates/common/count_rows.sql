{#- `relation`: a table, or a parenthesized SELECT (which some dialects only
    accept in FROM with an alias). -#}
SELECT count(*) AS n FROM {{ c.relation }} AS _c
