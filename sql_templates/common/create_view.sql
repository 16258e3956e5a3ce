CREATE OR REPLACE VIEW {{ c.target }} AS
{{ c.select }}
