{#- Helpers shared by the incremental models. Every model stamps the rows it
    writes with _dbt_loaded_at (the run's start); a reader recomputes what its
    upstreams stamped after its own latest stamp, so a run that failed or was
    skipped half-way is caught up by the next one. -#}

{% macro run_ts() -%}
    CAST('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' AS TIMESTAMP)
{%- endmacro %}

{% macro is_backfill() -%}
    {{ return(var('backfill_start') is not none) }}
{%- endmacro %}

{#- What this run writes is stamped with the run's time; a backfill stamps
    with the model's previous stamp, so changes outside its range stay
    pending for the next incremental run (as pushdown leaves watermarks). -#}
{% macro stamp() -%}
    {%- if is_incremental() and is_backfill() -%}
        (SELECT max(_dbt_loaded_at) FROM {{ this }})
    {%- else -%}
        {{ run_ts() }}
    {%- endif -%}
{%- endmacro %}

{#- Raw rows landed since this model's newest input, minus the lookback. -#}
{% macro raw_since(ingested_at='_ingested_at') -%}
    {{ ingested_at }} > (SELECT coalesce(max(_ingested_at), TIMESTAMP '1970-01-01') FROM {{ this }}) - INTERVAL '{{ var("lookback") }}'
{%- endmacro %}

{#- Rows an upstream model stamped after this model last wrote. -#}
{% macro changed_since(alias) -%}
    {{ alias }}._dbt_loaded_at > (SELECT coalesce(max(_dbt_loaded_at), TIMESTAMP '1970-01-01') FROM {{ this }})
{%- endmacro %}

{#- Keeps only rows that differ from the current table (or are new), so a
    merge rewrites and stamps nothing that did not change. -#}
{% macro differs_from_this(alias, keys, columns) -%}
    NOT EXISTS (
        SELECT 1 FROM {{ this }} AS _t
        WHERE {% for k in keys %}_t.{{ k }} = {{ alias }}.{{ k }} AND {% endfor %}
              {% for c in columns %}{% if not loop.first %} AND {% endif %}_t.{{ c }} IS NOT DISTINCT FROM {{ alias }}.{{ c }}{% endfor %}
    )
{%- endmacro %}

{#- Partitions of a backfill range, as a predicate on a date column. -#}
{% macro in_backfill_range(col) -%}
    {{ col }} BETWEEN CAST('{{ var("backfill_start") }}' AS DATE) AND CAST('{{ var("backfill_end") }}' AS DATE)
{%- endmacro %}

{#- Row counts of a partitioned model's partitions before this run rewrites
    them: the row_count_delta test compares against it. -#}
{% macro snapshot_partition_counts(partition_by) -%}
    CREATE SCHEMA IF NOT EXISTS audit_dbt;
    CREATE OR REPLACE TABLE audit_dbt.{{ this.identifier }}__partition_counts AS
    {% if is_incremental() -%}
    SELECT {{ partition_by }} AS partition_value, count(*) AS row_count FROM {{ this }} GROUP BY 1
    {%- else -%}
    SELECT CAST(NULL AS DATE) AS partition_value, CAST(0 AS BIGINT) AS row_count WHERE false
    {%- endif %}
{%- endmacro %}
