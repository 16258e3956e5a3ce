{%- for t in c.tables %}
DROP TABLE IF EXISTS {{ t }}
;
{%- endfor %}
