{#- The current database's catalogue. Names are created quoted, so they are
    stored (and compared) exactly as given, lowercase included:
    https://docs.snowflake.com/en/sql-reference/identifiers-syntax#double-quoted-identifiers -#}
SELECT count(*) AS n FROM information_schema.tables
WHERE table_schema = {{ q.str(c.schema) }} AND table_name = {{ q.str(c.name) }}
