(SELECT * FROM {{ c.table }}{% if let Some(since) = c.since %} WHERE {{ q.id(c.column) }} > {{ q.ts(since) }}{% endif %})
