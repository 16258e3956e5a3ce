#!/usr/bin/env python3
"""Table-by-table equality of pushdown's warehouse and the dbt-duckdb peer's,
built from the same landing zone: the check that comes before any timing.

  compare.py PUSHDOWN.duckdb PEER.duckdb [--json]

Every table of the spec (raw, ods, dw, mart), the rejects and the landing
ledger is compared row by row as a multiset (EXCEPT ALL both ways) on the
columns pushdown writes, with their types. Left out, and listed in the output:
landing times and batch ids (`_ingested_at`, `_ingest_date`, `_batch_id`,
`batch_id`, `run_id`, `ingested_at`: each stack stamps its own clock) and the
peer's lineage columns (`_dbt_loaded_at`). JSON payloads are compared after
DuckDB's `json()` normalization (both loaders keep each value as written but
re-serialize the object after tokenizing). Exits 1 on any difference.
"""
from __future__ import annotations

import json
import sys

import duckdb

TABLES = [
    "raw.orders_events", "raw.payments_events", "raw.shipments_events", "raw.customers",
    "raw.fx_rates", "raw.rejects", "audit.landed_files",
    "ods.orders_current", "ods.payments_current", "ods.shipment_milestones", "ods.fx_rates",
    "dw.dim_customer", "dw.dim_date", "dw.fact_orders", "dw.fact_shipments",
    "mart.revenue_daily", "mart.sla_breaches_daily",
]
# Each stack's own clock and run identity.
STAMPS = {"_ingested_at", "_ingest_date", "_batch_id", "batch_id", "run_id", "ingested_at"}


def columns(con, db: str, table: str) -> dict[str, str]:
    schema, name = table.split(".")
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [db, schema, name]).fetchall()
    return dict(rows)


def compare(pushdown: str, peer: str) -> dict:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH '{pushdown}' AS p (READ_ONLY)")
    con.execute(f"ATTACH '{peer}' AS q (READ_ONLY)")
    out = {"tables": [], "equal": True}
    for t in TABLES:
        pc, qc = columns(con, "p", t), columns(con, "q", t)
        r = {"table": t}
        out["tables"].append(r)
        if not pc or not qc:
            r["error"] = f"missing in {'pushdown' if not pc else 'peer'}"
            out["equal"] = False
            continue
        cols = [c for c in pc if c not in STAMPS]
        missing = [c for c in cols if c not in qc]
        r["ignored"] = sorted((set(pc) | set(qc)) - set(cols))
        r["type_mismatch"] = {c: [pc[c], qc[c]] for c in cols if c in qc and pc[c] != qc[c]}
        if missing:
            r["error"] = f"peer lacks columns {missing}"
            out["equal"] = False
            continue
        sel = ", ".join(f'CAST(json("{c}") AS VARCHAR) AS "{c}"' if pc[c] == "JSON" else f'"{c}"'
                        for c in cols)
        sch, name = t.split(".")
        a = f'SELECT {sel} FROM p."{sch}"."{name}"'
        b = f'SELECT {sel} FROM q."{sch}"."{name}"'
        r["rows_pushdown"] = con.execute(f"SELECT count(*) FROM p.\"{sch}\".\"{name}\"").fetchone()[0]
        r["rows_peer"] = con.execute(f"SELECT count(*) FROM q.\"{sch}\".\"{name}\"").fetchone()[0]
        r["only_pushdown"] = con.execute(f"SELECT count(*) FROM ({a} EXCEPT ALL {b})").fetchone()[0]
        r["only_peer"] = con.execute(f"SELECT count(*) FROM ({b} EXCEPT ALL {a})").fetchone()[0]
        r["equal"] = r["only_pushdown"] == 0 and r["only_peer"] == 0 and not r["type_mismatch"]
        if not r["equal"]:
            out["equal"] = False
            r["sample_pushdown"] = [list(map(str, x)) for x in
                                    con.execute(f"{a} EXCEPT ALL {b} LIMIT 3").fetchall()]
            r["sample_peer"] = [list(map(str, x)) for x in
                                con.execute(f"{b} EXCEPT ALL {a} LIMIT 3").fetchall()]
    return out


def main() -> None:
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    res = compare(sys.argv[1], sys.argv[2])
    if "--json" in sys.argv:
        print(json.dumps(res))
    else:
        for r in res["tables"]:
            if "error" in r:
                print(f"DIFF  {r['table']}: {r['error']}")
                continue
            mark = "equal" if r["equal"] else "DIFF "
            print(f"{mark} {r['table']:<26} {r['rows_pushdown']:>9} rows (peer {r['rows_peer']}); "
                  f"only in pushdown {r['only_pushdown']}, only in peer {r['only_peer']}"
                  + (f"; types differ {r['type_mismatch']}" if r["type_mismatch"] else "")
                  + (f"; not compared: {', '.join(r['ignored'])}" if r["ignored"] else ""))
            for k in ("sample_pushdown", "sample_peer"):
                for x in r.get(k, []):
                    print(f"      {k}: {x}")
        print("ALL EQUAL" if res["equal"] else "DIFFERENCES FOUND")
    sys.exit(0 if res["equal"] else 1)


if __name__ == "__main__":
    main()
