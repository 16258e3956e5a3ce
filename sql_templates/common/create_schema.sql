CREATE SCHEMA IF NOT EXISTS {{ q.id(c.schema) }}
