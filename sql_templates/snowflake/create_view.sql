{#- COPY GRANTS keeps the privileges granted on the view it replaces:
    https://docs.snowflake.com/en/sql-reference/sql/create-view -#}
CREATE OR REPLACE VIEW {{ c.target }} COPY GRANTS AS
{{ c.select }}
