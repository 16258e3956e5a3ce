{#- One row, n > 0 when the table or view exists. The dataset-qualified
    INFORMATION_SCHEMA.TABLES fails when the dataset itself is missing, and the
    project-level views need a `region-xx` qualifier (unqualified means the US
    only: https://cloud.google.com/bigquery/docs/information-schema-datasets-schemata),
    which no context field gives. So this is a script: a "Not found: Dataset"
    error answers 0, any other error is raised again. The query result of a
    script is that of its last SELECT.
    https://cloud.google.com/bigquery/docs/reference/standard-sql/procedural-language#beginexceptionend -#}
BEGIN
  SELECT count(*) AS n FROM {{ q.id(c.schema) }}.INFORMATION_SCHEMA.TABLES WHERE table_name = {{ q.str(c.name) }};
EXCEPTION WHEN ERROR THEN
  IF STARTS_WITH(@@error.message, 'Not found: Dataset') THEN
    SELECT 0 AS n;
  ELSE
    RAISE;
  END IF;
END
