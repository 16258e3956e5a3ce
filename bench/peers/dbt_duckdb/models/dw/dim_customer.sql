{#- SCD type 2 over (email token, country, segment), built from every export
    (each is a snapshot at its updated_at): keep the snapshots that change a
    tracked column, close each version at the next one's valid_from. A dbt
    snapshot would version by run time and see only the latest export per
    run, so the history is a model: customers with new exports get their whole
    history recomputed and replaced. customer_sk = md5(customer_id |
    valid_from), identical for incremental and full builds. -#}
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='customer_id') }}

WITH
{% if is_incremental() -%}
changed AS (
    SELECT DISTINCT customer_id FROM {{ source('raw', 'customers') }} WHERE {{ raw_since() }}
),
{% endif -%}
snapshots AS (
    SELECT
        customer_id,
        email AS email_token,
        upper(trim(country)) AS country,
        trim(segment) AS segment,
        CAST(CAST(upper(trim(updated_at)) AS TIMESTAMPTZ) AS TIMESTAMP) AS valid_from,
        _ingested_at,
        _line
    FROM {{ source('raw', 'customers') }}
    {% if is_incremental() -%}
    WHERE customer_id IN (SELECT customer_id FROM changed)
    {%- endif %}
    QUALIFY row_number() OVER (PARTITION BY customer_id, valid_from ORDER BY _ingested_at DESC, _line DESC) = 1
),
flagged AS (
    SELECT
        *,
        row_number() OVER w = 1
            OR email_token IS DISTINCT FROM lag(email_token) OVER w
            OR country IS DISTINCT FROM lag(country) OVER w
            OR segment IS DISTINCT FROM lag(segment) OVER w AS starts_version,
        max(_ingested_at) OVER (PARTITION BY customer_id) AS last_ingested_at
    FROM snapshots
    WINDOW w AS (PARTITION BY customer_id ORDER BY valid_from)
),
versions AS (
    SELECT
        md5(concat_ws('|', customer_id, strftime(valid_from, '%Y-%m-%dT%H:%M:%S.%f'))) AS customer_sk,
        customer_id,
        email_token,
        country,
        segment,
        valid_from,
        lead(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) AS valid_to,
        lead(valid_from) OVER (PARTITION BY customer_id ORDER BY valid_from) IS NULL AS is_current,
        last_ingested_at AS _ingested_at
    FROM flagged
    WHERE starts_version
)
SELECT
    v.*,
    {% if is_incremental() -%}
    -- Versions that did not change keep their stamp: readers recompute only
    -- what changed.
    CASE WHEN t.customer_sk IS NOT NULL AND t.valid_to IS NOT DISTINCT FROM v.valid_to
              AND t.email_token IS NOT DISTINCT FROM v.email_token AND t.country IS NOT DISTINCT FROM v.country
              AND t.segment IS NOT DISTINCT FROM v.segment
         THEN t._dbt_loaded_at ELSE {{ stamp() }} END AS _dbt_loaded_at
    {%- else -%}
    {{ stamp() }} AS _dbt_loaded_at
    {%- endif %}
FROM versions AS v
{% if is_incremental() -%}
LEFT JOIN {{ this }} AS t ON t.customer_sk = v.customer_sk
{%- endif %}
