CREATE OR REPLACE {{ q.scratch_table() }} {{ c.table }} AS
SELECT DISTINCT {{ q.ids(c.columns) }} FROM (
{%- for s in c.selects %}
{%- if !loop.first %}
    UNION ALL
{%- endif %}
    {{ s }}
{%- endfor %}
) AS _keys
