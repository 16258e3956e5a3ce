{#- The order_date partitions a mart recomputes: those fact_orders rewrote
    since the mart last ran, or a backfill's range. -#}
{% macro mart_dates() -%}
    {%- if is_backfill() -%}
    SELECT CAST(d AS DATE) AS order_date
    FROM generate_series(CAST('{{ var("backfill_start") }}' AS DATE), CAST('{{ var("backfill_end") }}' AS DATE), INTERVAL 1 DAY) AS g(d)
    {%- else -%}
    SELECT DISTINCT order_date FROM {{ ref('fact_orders') }} AS u WHERE {{ changed_since('u') }}
    {%- endif -%}
{%- endmacro %}
