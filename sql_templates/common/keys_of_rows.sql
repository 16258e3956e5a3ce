SELECT {% for col in c.scope %}{% if !loop.first %}, {% endif %}_n.{{ q.id(col) }}{% endfor %} FROM ({{ c.select }}) AS _n
