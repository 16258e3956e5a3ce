#!/usr/bin/env python3
"""Partition overwrite on BigQuery: one MERGE ... WHEN NOT MATCHED BY SOURCE
vs DELETE + INSERT in a multi-statement transaction, side by side on one
bqemulator server, both scopes pushdown renders (a date range; a keys table).

    bench/bigquery/partition_overwrite.py [URL]

With no URL it starts bqemulator (installed by .ci/setup-bigquery.sh) on a
free loopback port. Each form runs 3 times on a fresh table (60 daily
partitions x 2,000 rows; 3 partitions overwritten by 6,000 staged rows); the
best time is printed with a checksum of the result, which must be the same
for every form.
"""
import os, socket, subprocess, sys, time
import httpx

def start():
    exe = os.environ.get("PUSHDOWN_BQEMULATOR") or os.path.expanduser(
        "~/.cache/pushdown/bqemulator-1.4.0/bin/bqemulator")
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    proc = subprocess.Popen([exe, "start", "--rest-host", "127.0.0.1", "--rest-port", str(port),
                             "--grpc-port", "0", "--ephemeral"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/bigquery/v2/projects/p/datasets").status_code == 200:
                return url, proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("bqemulator did not start")
proc = None
if len(sys.argv) > 1:
    base = sys.argv[1]
else:
    base, proc = start()
P = "bench-po"
c = httpx.Client(timeout=600)
def q(sql):
    r = c.post(f"{base}/bigquery/v2/projects/{P}/jobs", json={"configuration": {"query": {"query": sql, "useLegacySql": False}}}).json()
    st = r.get("status", {})
    if "errorResult" in st: raise SystemExit(f"{st['errorResult']}\n{sql[:300]}")
    return r
def rows(sql):
    r = q(sql); j = r["jobReference"]["jobId"]
    return c.get(f"{base}/bigquery/v2/projects/{P}/queries/{j}").json().get("rows", [])
q("CREATE SCHEMA IF NOT EXISTS `d`")
DAYS, PER = 60, 2000
def setup():
    q("CREATE OR REPLACE TABLE `d`.`t` PARTITION BY `dt` AS SELECT CAST(n AS STRING) AS id, DATE_ADD(DATE '2026-01-01', INTERVAL MOD(n, %d) DAY) AS dt, n * 1.5 AS amount FROM UNNEST(GENERATE_ARRAY(1, %d)) AS n" % (DAYS, DAYS * PER))
    q("CREATE OR REPLACE TABLE `d`.`stage` AS SELECT CONCAT('new', CAST(n AS STRING)) AS id, DATE_ADD(DATE '2026-01-10', INTERVAL MOD(n, 3) DAY) AS dt, n * 2.0 AS amount FROM UNNEST(GENERATE_ARRAY(1, %d)) AS n" % (3 * PER))
    q("CREATE OR REPLACE TABLE `d`.`keys` AS SELECT DISTINCT dt FROM `d`.`stage`")
forms = {
 "merge_range": "MERGE INTO `d`.`t` AS _t USING (SELECT id, dt, amount FROM `d`.`stage`) AS _s ON FALSE WHEN NOT MATCHED BY SOURCE AND (_t.dt BETWEEN DATE '2026-01-10' AND DATE '2026-01-12') THEN DELETE WHEN NOT MATCHED THEN INSERT (id, dt, amount) VALUES (_s.id, _s.dt, _s.amount)",
 "delete_insert_range": "BEGIN TRANSACTION; DELETE FROM `d`.`t` WHERE dt BETWEEN DATE '2026-01-10' AND DATE '2026-01-12'; INSERT INTO `d`.`t` (id, dt, amount) SELECT id, dt, amount FROM `d`.`stage`; COMMIT TRANSACTION;",
 "merge_keys": "MERGE INTO `d`.`t` AS _t USING (SELECT id, dt, amount, FALSE AS _pd_delete FROM `d`.`stage` UNION ALL SELECT NULL, _k.dt, NULL, TRUE FROM `d`.`keys` AS _k) AS _s ON _s._pd_delete AND (_t.dt = _s.dt OR (_t.dt IS NULL AND _s.dt IS NULL)) WHEN MATCHED THEN DELETE WHEN NOT MATCHED AND NOT _s._pd_delete THEN INSERT (id, dt, amount) VALUES (_s.id, _s.dt, _s.amount)",
 "delete_insert_keys": "BEGIN TRANSACTION; DELETE FROM `d`.`t` WHERE dt IN (SELECT dt FROM `d`.`keys`); INSERT INTO `d`.`t` (id, dt, amount) SELECT id, dt, amount FROM `d`.`stage`; COMMIT TRANSACTION;",
}
results = {}
for name, sql in forms.items():
    times = []
    for _ in range(3):
        setup()
        t = time.perf_counter(); q(sql); times.append(time.perf_counter() - t)
    check = rows("SELECT count(*), countif(STARTS_WITH(id, 'new')), CAST(sum(amount) AS STRING) FROM `d`.`t`")
    results[name] = (min(times), [v["v"] for v in check[0]["f"]])
for k, (t, chk) in results.items():
    print(f"{k:22s} best of 3: {t*1000:8.1f} ms   rows/new/sum: {chk}")
if proc: proc.terminate()
