{#- How many values of `field` the parent lost in its changes since a
    reader's mark: values its change log removed more often than it added
    them back (a multiset difference, written with GROUP BY because
    Snowflake and BigQuery have no EXCEPT ALL). An update logs the value on
    both sides, so only a deletion counts. -#}
SELECT count(*) AS lost FROM (
  SELECT _l.{{ q.id(c.field) }} FROM {{ c.changed }} AS _l
  GROUP BY _l.{{ q.id(c.field) }}
  HAVING sum(CASE WHEN _l.{{ q.id("_pd_side") }} = 'old' THEN 1 ELSE 0 END)
       > sum(CASE WHEN _l.{{ q.id("_pd_side") }} = 'new' THEN 1 ELSE 0 END)
) AS _lost
