#!/usr/bin/env python3
"""Where landing's DuckDB time goes: the load phase of `pushdown land`
reproduced outside pushdown, in three shapes, on the same DuckDB version.

  land_profile.py LANDING WORKDIR

1. per-file: pushdown's own load statements (sql_templates/duckdb/load_file.sql),
   one transaction per file (records INSERT ... FROM read_json/read_csv of a
   staged file, plus the ledger row), like `pushdown land` submits them; and
   per-file-16MiB: the same with 16 MiB maximum_object_size / max_line_size;
2. bulk-staged: the same staged files and the same SELECT, but one INSERT per
   source over a glob of all its staged files;
3. native: CREATE TABLE AS SELECT * FROM read_json/read_csv on the original
   files (the landing benchmark's baseline).

The staged files are made here in Python in pushdown's staged format
(`{"_line":N,"payload":{...}}` for JSON Lines, `N,<record>` for CSV), for the
lines pushdown would accept as far as shape goes (JSON objects, CSV records
with the header's field count); this script does not time that step.

Prints a table of seconds per source and shape.
"""
import glob
import gzip
import json
import os
import shutil
import sys
import time

import duckdb

COLUMNS = {
    "payments_events": ["payment_id", "order_id", "event_time", "status", "amount", "currency", "version"],
    "shipments_events": ["shipment_id", "order_id", "event_time", "milestone", "carrier"],
    "customers": ["customer_id", "email", "country", "segment", "updated_at"],
    "fx_rates": ["rate_date", "currency", "usd_rate"],
}
META = "_ingested_at TIMESTAMP NOT NULL, _ingest_date DATE NOT NULL, _source_file VARCHAR NOT NULL, " \
       "_batch_id VARCHAR NOT NULL, _checksum VARCHAR NOT NULL, _line BIGINT NOT NULL"


def stage(landing, work):
    staged = {}
    for src in ["orders_events"] + list(COLUMNS):
        out = os.path.join(work, src)
        os.makedirs(out, exist_ok=True)
        files = sorted(glob.glob(f"{landing}/{src}/*/*"))
        staged[src] = []
        for i, path in enumerate(files):
            opener = gzip.open if path.endswith(".gz") else open
            dest = os.path.join(out, f"{i:06d}.rows")
            with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as f, \
                    open(dest, "w") as w:
                if src == "orders_events":
                    for n, line in enumerate(f, 1):
                        line = line.rstrip("\r\n")
                        try:
                            obj = json.loads(line)
                        except ValueError:
                            continue
                        if isinstance(obj, dict):
                            w.write(f'{{"_line":{n},"payload":{line.strip()}}}\n')
                else:
                    import csv
                    rows = csv.reader(f)
                    header = next(rows, None)
                    for n, rec in enumerate(rows, 2):
                        if header and len(rec) == len(header):
                            w.write(f"{n}," + ",".join(
                                '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v
                                for v in rec) + "\n")
            staged[src].append((path, dest))
    return staged


def select_of(src, path, max_object=1073741824):
    p = path.replace("'", "''")
    if src == "orders_events":
        return ("payload", f"read_json('{p}', format = 'newline_delimited', columns = "
                           f"{{'_line': 'BIGINT', 'payload': 'JSON'}}, maximum_object_size = {max_object})")
    cols = ", ".join(f"'{c}': 'VARCHAR'" for c in COLUMNS[src])
    return (", ".join(COLUMNS[src]),
            f"read_csv('{p}', auto_detect = false, header = false, delim = ',', quote = '\"', "
            f"escape = '\"', strict_mode = true, max_line_size = {max_object}, "
            f"columns = {{'_line': 'BIGINT', {cols}}})")


def create(con, src):
    body = "payload JSON" if src == "orders_events" else ", ".join(f"{c} VARCHAR" for c in COLUMNS[src])
    con.execute(f"CREATE TABLE {src} ({body}, {META})")


def main():
    landing, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    staged = stage(landing, os.path.join(work, "staged"))
    meta = "TIMESTAMP '2026-01-01 00:00:00', DATE '2026-01-01', '{f}', 'batch', '{c}', _line"
    results = {}
    # 1. per file, one transaction each, like pushdown (1a: pushdown's 1 GiB
    # maximum_object_size; 1b: DuckDB's default 16 MiB)
    for shape, max_object in (("per-file", 1073741824), ("per-file-16MiB", 16777216)):
        db = os.path.join(work, f"{shape}.duckdb")
        con = duckdb.connect(db)
        con.execute("CREATE TABLE ledger (checksum VARCHAR PRIMARY KEY, source VARCHAR, file VARCHAR)")
        for src, files in staged.items():
            create(con, src)
            t = time.perf_counter()
            for i, (orig, path) in enumerate(files):
                cols, reader = select_of(src, path, max_object)
                ck = f"{src}-{i:06d}".rjust(64, "0")
                con.execute("BEGIN")
                con.execute(f"INSERT INTO {src} ({cols}, _ingested_at, _ingest_date, _source_file, _batch_id, _checksum, _line) "
                            f"SELECT {cols}, {meta.format(f=os.path.basename(orig), c=ck)} FROM {reader}")
                con.execute("INSERT INTO ledger VALUES (?, ?, ?)", [ck, src, orig])
                con.execute("COMMIT")
            results.setdefault(src, {})[shape] = time.perf_counter() - t
        con.close()
        os.remove(db)
    # 2. the same staged files in one INSERT per source
    db = os.path.join(work, "bulk.duckdb")
    con = duckdb.connect(db)
    for src, files in staged.items():
        create(con, src)
        # 16 MiB: with pushdown's 1 GiB max_line_size, a CSV glob makes DuckDB
        # ask for a 16 GiB buffer (16 x max_line_size) and fail.
        cols, reader = select_of(src, os.path.join(work, "staged", src, "*.rows"), 16777216)
        t = time.perf_counter()
        con.execute(f"INSERT INTO {src} ({cols}, _ingested_at, _ingest_date, _source_file, _batch_id, _checksum, _line) "
                    f"SELECT {cols}, {meta.format(f='f', c='c' * 64)} FROM {reader}")
        con.execute("CHECKPOINT")
        results[src]["bulk-staged"] = time.perf_counter() - t
    con.close()
    # 3. native
    db = os.path.join(work, "native.duckdb")
    con = duckdb.connect(db)
    for src in staged:
        t = time.perf_counter()
        if src == "orders_events":
            con.execute(f"CREATE TABLE {src} AS SELECT * FROM read_json('{landing}/{src}/*/*.jsonl*', "
                        "format = 'newline_delimited', ignore_errors = true, union_by_name = true)")
        else:
            con.execute(f"CREATE TABLE {src} AS SELECT * FROM read_csv('{landing}/{src}/*/*.csv', "
                        "header = true, all_varchar = true, ignore_errors = true)")
        con.execute("CHECKPOINT")
        results[src]["native"] = time.perf_counter() - t
    con.close()
    shapes = ["per-file", "per-file-16MiB", "bulk-staged", "native"]
    print(f"{'source':18s} {'files':>5s} " + " ".join(f"{k:>15s}" for k in shapes))
    tot = {k: 0.0 for k in shapes}
    for src, r in results.items():
        print(f"{src:18s} {len(staged[src]):5d} " + " ".join(f"{r[k]:14.2f}s" for k in shapes))
        for k in shapes:
            tot[k] += r[k]
    print(f"{'total':18s} {sum(len(v) for v in staged.values()):5d} " + " ".join(f"{tot[k]:14.2f}s" for k in shapes))
    print(json.dumps({"results": results, "total": tot}))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
