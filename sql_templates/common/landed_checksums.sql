{#- Every landed checksum with the names it was seen under: landed as, and
    skipped as (a redelivery). A file seen before under its name is only
    hashed by the next runs, not read and checked again. -#}
SELECT {{ q.ids(["checksum", "file"]) }} FROM {{ q.table("audit", "landed_files") }}
UNION ALL
SELECT DISTINCT {{ q.ids(["checksum", "file"]) }} FROM {{ q.table("audit", "files") }} WHERE {{ q.id("status") }} = 'skipped'
