{#- Every landed checksum with the names it was seen under: landed as, and
    skipped as (a redelivery). A file seen before under its name is only
    hashed by the next runs, not read and checked again; one whose size and
    modification time are also as recorded is not read at all. -#}
SELECT {{ q.ids(["checksum", "file", "bytes", "modified_ns"]) }} FROM {{ q.table("audit", "landed_files") }}
UNION ALL
SELECT DISTINCT {{ q.ids(["checksum", "file"]) }}, NULL, NULL FROM {{ q.table("audit", "files") }} WHERE {{ q.id("status") }} = 'skipped'
