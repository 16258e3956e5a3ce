SELECT {{ q.ids(["model", "upstream", "value"]) }} FROM {{ q.table("audit", "watermarks") }}
