DROP VIEW IF EXISTS {{ c.view }}
