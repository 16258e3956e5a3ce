{#- The current database's catalogue. The adapter's session treats quoted
    identifiers case-insensitively (QUOTED_IDENTIFIERS_IGNORE_CASE), which
    stores them upper-cased, so names are compared without case:
    https://docs.snowflake.com/en/sql-reference/parameters#quoted-identifiers-ignore-case -#}
SELECT count(*) AS n FROM information_schema.tables
WHERE upper(table_schema) = upper({{ q.str(c.schema) }}) AND upper(table_name) = upper({{ q.str(c.name) }})
