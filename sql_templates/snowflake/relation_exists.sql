SELECT count(*) AS n FROM information_schema.tables
WHERE table_schema = {{ q.str(c.schema) }} AND table_name = {{ q.str(c.name) }}
