#!/usr/bin/env python3
"""The native-reader baseline for the landing benchmark.

Loads the same landing zone as `pushdown land` into a fresh DuckDB file with
DuckDB's own readers, one CREATE TABLE ... AS SELECT per source. It does none
of pushdown's extra work: no SHA-256, no per-line validation, no PII
tokenizing, no rejects table, no ledger, no de-duplication of redelivered
files. Bad lines are skipped (`ignore_errors`), so the reader does not stop.

  native_load.py LANDING DB_FILE [--mode typed|raw]

typed (default): read_json auto-detects a typed column per JSON key, like a
  user would write it (`union_by_name`, so the drifted `channel` key is kept,
  as pushdown keeps it); read_csv reads every column as VARCHAR (pushdown's
  raw CSV tables are VARCHAR too; every file of a source has the same header,
  so no `union_by_name`, which would cost ~2.5x here).
raw: orders as one JSON value per line (read_ndjson_objects), the closest
  like-for-like to pushdown's `payload JSON` raw column.

Prints one JSON line: {"seconds": wall seconds inside DuckDB, "rows": {...}}.
"""
import json
import sys
import time

import duckdb

JSON_SOURCES = ["orders_events"]
CSV_SOURCES = ["payments_events", "shipments_events", "customers", "fx_rates"]


def main() -> None:
    landing, db_file = sys.argv[1], sys.argv[2]
    mode = "typed"
    if "--mode" in sys.argv:
        mode = sys.argv[sys.argv.index("--mode") + 1]
    con = duckdb.connect(db_file)
    con.execute("SET TimeZone = 'UTC'")
    rows = {}
    started = time.perf_counter()
    for src in JSON_SOURCES:
        glob = f"{landing}/{src}/*/*.jsonl*".replace("'", "''")
        if mode == "raw":
            reader = f"read_ndjson_objects('{glob}', ignore_errors = true)"
        else:
            reader = (
                f"read_json('{glob}', format = 'newline_delimited', "
                "ignore_errors = true, union_by_name = true)"
            )
        con.execute(f'CREATE TABLE "{src}" AS SELECT * FROM {reader}')
        rows[src] = con.execute(f'SELECT count(*) FROM "{src}"').fetchone()[0]
    for src in CSV_SOURCES:
        glob = f"{landing}/{src}/*/*.csv".replace("'", "''")
        reader = (
            f"read_csv('{glob}', header = true, all_varchar = true, "
            "ignore_errors = true)"
        )
        con.execute(f'CREATE TABLE "{src}" AS SELECT * FROM {reader}')
        rows[src] = con.execute(f'SELECT count(*) FROM "{src}"').fetchone()[0]
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    con.close()
    print(json.dumps({"seconds": seconds, "mode": mode, "rows": rows}))


if __name__ == "__main__":
    main()
