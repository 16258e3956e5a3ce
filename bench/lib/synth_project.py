#!/usr/bin/env python3
"""Writes a synthetic 50-model pushdown project and its landing zone.

  synth_project.py DIR [--days 10] [--rows-per-day 5000] [--chains 10]

One small raw CSV source (`events`), then `--chains` (default 10) parallel
chains of five models each, every kind of materialization pushdown has except
scd2:

  stg.events_k     incremental          (unique_key event_id, latest_by)
  int.daily_k      partition_overwrite  (partition_by event_date, via event_date)
  int.accounts_k   incremental          (unique_key account_id, GROUP BY)
  mart.summary_k   table                (joins daily_k, accounts_k and the next
                                         chain's accounts, so the DAG fans in)
  mart.v_summary_k view

so 10 chains = 50 models, 5 levels deep. Deterministic: same arguments, same
bytes.
"""
import argparse
import datetime as dt
import os
import random

TOML = """\
[project]
name = "synthetic50"
landing = "landing"
default_target = "dev"

[transform]
lookback = "3 days"

[targets.dev]
adapter = "duckdb"
path = "target/synthetic.duckdb"

[[sources]]
name = "events"
format = "csv"
columns = ["event_id", "account_id", "event_time", "kind", "amount"]
required = ["event_id", "account_id", "event_time"]
types = { event_time = "timestamp", amount = "decimal" }
"""

STG = """\
/* pushdown
# Chain {k}: typed, one row per event (latest delivery wins).
materialized = "incremental"
unique_key = ["event_id"]
latest_by = ["event_time desc", "_ingested_at desc"]

[[checks]]
type = "unique"
columns = ["event_id"]
*/
SELECT
    event_id,
    account_id,
    CAST(CAST(event_time AS TIMESTAMPTZ) AS TIMESTAMP) AS event_time,
    CAST(CAST(event_time AS TIMESTAMPTZ) AS DATE) AS event_date,
    kind,
    CAST(amount AS DECIMAL(18, 2)) * {mult} AS amount,
    _ingested_at
FROM raw.events
"""

DAILY = """\
/* pushdown
materialized = "partition_overwrite"
partition_by = "event_date"

[upstream."stg.events_{k}"]
via = "event_date"

[[checks]]
type = "not_null"
columns = ["event_date"]
*/
SELECT
    event_date,
    kind,
    count(*) AS events,
    sum(amount) AS amount
FROM stg.events_{k}
GROUP BY event_date, kind
"""

ACCOUNTS = """\
/* pushdown
materialized = "incremental"
unique_key = ["account_id"]

[upstream."stg.events_{k}"]
via = "account_id"

[[checks]]
type = "unique"
columns = ["account_id"]
*/
SELECT
    account_id,
    count(*) AS events,
    sum(amount) AS amount,
    max(event_time) AS last_event_at
FROM stg.events_{k}
GROUP BY account_id
"""

SUMMARY = """\
/* pushdown
materialized = "table"

[[checks]]
type = "unique"
columns = ["kind"]
*/
SELECT
    d.kind,
    sum(d.events) AS events,
    sum(d.amount) AS amount,
    (SELECT count(*) FROM int.accounts_{k}) AS accounts,
    (SELECT max(last_event_at) FROM int.accounts_{k2}) AS last_event_elsewhere
FROM int.daily_{k} AS d
GROUP BY d.kind
"""

VIEW = """\
/* pushdown
materialized = "view"
*/
SELECT kind, events, amount, amount / nullif(events, 0) AS avg_amount
FROM mart.summary_{k}
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--rows-per-day", type=int, default=5000)
    ap.add_argument("--chains", type=int, default=10)
    ap.add_argument("--start", default="2026-01-01")
    a = ap.parse_args()
    root = a.dir
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "pushdown.toml"), "w") as f:
        f.write(TOML)
    layers = {
        "stg": [("events_{k}", STG)],
        "int": [("daily_{k}", DAILY), ("accounts_{k}", ACCOUNTS)],
        "mart": [("summary_{k}", SUMMARY), ("v_summary_{k}", VIEW)],
    }
    n = 0
    for schema, models in layers.items():
        os.makedirs(os.path.join(root, "models", schema), exist_ok=True)
        for k in range(a.chains):
            for name, text in models:
                args = {"k": k, "k2": (k + 1) % a.chains, "mult": k + 1}
                path = os.path.join(root, "models", schema, name.format(**args) + ".sql")
                with open(path, "w") as f:
                    f.write(text.format(**args))
                n += 1
    rng = random.Random(7)
    start = dt.date.fromisoformat(a.start)
    event = 0
    for d in range(a.days):
        day = start + dt.timedelta(days=d)
        folder = os.path.join(root, "landing", "events", day.isoformat())
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, f"events_{day.isoformat()}.csv"), "w") as f:
            f.write("event_id,account_id,event_time,kind,amount\n")
            for _ in range(a.rows_per_day):
                event += 1
                t = dt.datetime.combine(day, dt.time()) + dt.timedelta(
                    seconds=rng.randrange(86400)
                )
                f.write(
                    f"e{event:09d},a{rng.randrange(2000):05d},{t.isoformat()}Z,"
                    f"k{rng.randrange(5)},{rng.randrange(1, 100000) / 100:.2f}\n"
                )
    print(f"{n} models, {a.days} days x {a.rows_per_day} rows in {root}")


if __name__ == "__main__":
    main()
