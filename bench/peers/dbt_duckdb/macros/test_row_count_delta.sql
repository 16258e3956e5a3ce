{#- A partition this run rewrote may grow or shrink at most by a factor of
    (1 + max_change) against its count before the run (pushdown's
    row_count_delta gate). Fails with the offending partitions. -#}
{% test row_count_delta(model, column_name, max_change) %}
WITH _new AS (
    SELECT {{ column_name }} AS partition_value, count(*) AS row_count
    FROM {{ model }}
    WHERE _dbt_loaded_at = (SELECT max(_dbt_loaded_at) FROM {{ model }})
    GROUP BY 1
),
_old AS (
    SELECT * FROM audit_dbt.{{ model.identifier }}__partition_counts
)
SELECT _new.partition_value, _old.row_count AS before, _new.row_count AS after
FROM _new JOIN _old ON _new.partition_value IS NOT DISTINCT FROM _old.partition_value
WHERE _new.row_count > (1 + {{ max_change }}) * _old.row_count
   OR _new.row_count * (1 + {{ max_change }}) < _old.row_count
{% endtest %}
