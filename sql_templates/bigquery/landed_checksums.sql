SELECT {{ q.id("checksum") }} FROM {{ q.table("audit", "landed_files") }}
