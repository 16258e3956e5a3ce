SELECT {{ q.ids(["checksum", "file"]) }} FROM {{ q.table("audit", "landed_files") }}
