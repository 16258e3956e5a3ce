#!/usr/bin/env python3
"""The benchmark driver behind `bench/run` (run it through that script: it
builds the binaries and sets up DuckDB and this venv first).

Every scenario is measured side by side in one run and reported as ratios:

1. landing   pushdown `land` vs DuckDB's own read_json/read_csv on the same files
2. pipeline  full refresh (land + transform) of days 1..N-1, then one
             incremental run that lands and transforms day N
3. history   the incremental day at 1x and 10x history, same size of new day
4. overhead  a synthetic 50-model project: pushdown's own time vs DuckDB's

Writes bench/results/latest.md (the report) and latest.json (every sample).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
REPO = BENCH.parent
SOURCES = ["orders_events", "payments_events", "shipments_events", "customers", "fx_rates"]
START = dt.date(2026, 1, 1)
DAYS = 30
ORDERS_1X = 5000
HISTORY_ORDERS = 1000  # the history-scaling scenario: a 1000-order day on 30 and 300 days


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


# ---------------------------------------------------------------- processes

class Runner:
    def __init__(self, bin_dir: Path, work: Path, lib_dir: str):
        self.pushdown = bin_dir / "pushdown"
        # Built with `heap-stats` (bench/run): reports pushdown's own heap.
        self.pushdown_heap = bin_dir / "pushdown-heap"
        self.gen = bin_dir / "ecommerce-gen"
        self.work = work
        self.lib_dir = lib_dir
        self.failures: list[str] = []
        self.n = 0
        self.peer: Peer | None = None

    def measure(self, cmd: list[str], env: dict | None = None, label: str = "") -> dict:
        """Runs cmd under /usr/bin/time -v; wall clock and peak RSS of the process."""
        self.n += 1
        tfile = self.work / "logs" / f"{self.n:04d}.time"
        efile = self.work / "logs" / f"{self.n:04d}.stderr"
        full_env = dict(os.environ)
        full_env.update(env or {})
        t0 = time.perf_counter()
        with open(efile, "wb") as err:
            p = subprocess.run(
                ["/usr/bin/time", "-v", "-o", str(tfile)] + cmd,
                env=full_env, stdout=subprocess.PIPE, stderr=err,
            )
        wall = time.perf_counter() - t0
        rss_kb = None
        cpu = 0.0
        for line in tfile.read_text().splitlines():
            if "Maximum resident set size" in line:
                rss_kb = int(line.split(":")[1])
            elif "User time (seconds)" in line or "System time (seconds)" in line:
                cpu += float(line.split(":")[1])
        # CPU seconds (user + system, the process and its children) next to
        # wall time: on a machine shared with other jobs it moves far less.
        out = {"wall": wall, "cpu": cpu, "rss_mb": rss_kb / 1024 if rss_kb else None, "rc": p.returncode,
               "stdout": p.stdout.decode(errors="replace"), "stderr_file": str(efile)}
        if p.returncode != 0:
            tail = efile.read_text(errors="replace")[-1500:]
            self.failures.append(f"{label}: exit {p.returncode}: {tail}")
            log(f"FAILED {label} (exit {p.returncode}); stderr tail:\n{tail}")
        return out

    def pushdown_cmd(self, project: Path, landing: Path, db: Path, args: list[str],
                     label: str, binary: Path | None = None) -> dict:
        result = self.work / "logs" / f"result-{self.n + 1:04d}.json"
        env = {
            "PUSHDOWN_LANDING_DIR": str(landing),
            "PUSHDOWN_DUCKDB_PATH": str(db),
            "PUSHDOWN_PII_KEY": "bench-pii-key",
            "PUSHDOWN_LOG": os.environ.get("BENCH_PUSHDOWN_LOG", "warn"),
            "LD_LIBRARY_PATH": self.lib_dir,
        }
        m = self.measure([str(binary or self.pushdown)] + args + ["--project", str(project),
                         "--result-file", str(result)], env, label)
        m["result"] = None
        if result.exists():
            r = json.loads(result.read_text())
            m["result"] = r
            m["duration"] = r.get("duration_seconds")
            m["warehouse"] = r.get("warehouse_seconds")
            m["heap_mb"] = (r.get("peak_heap_bytes") or 0) / 2**20 or None
            if r.get("status") != "success":
                self.failures.append(f"{label}: status {r.get('status')}: {r.get('error')}")
                log(f"FAILED {label}: {r.get('error')}")
        return m


def rm_db(db: Path) -> None:
    for p in (db, Path(str(db) + ".wal")):
        if p.exists():
            p.unlink()


def dir_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def generate(r: Runner, out: Path, days: int, orders: int) -> Path:
    """Generates (or reuses, when the same generator made it) a landing zone."""
    st = r.gen.stat()
    stamp = f"seed=42 start={START} days={days} orders={orders} gen={st.st_size}:{int(st.st_mtime)}"
    marker = out / ".bench-params"
    if marker.exists() and marker.read_text() == stamp:
        log(f"reusing {out.name} ({days} days x {orders} orders/day)")
        return out
    shutil.rmtree(out, ignore_errors=True)
    log(f"generating {out.name}: {days} days x {orders} orders/day")
    m = r.measure([str(r.gen), "--out", str(out), "--seed", "42", "--start", str(START),
                   "--days", str(days), "--orders-per-day", str(orders)], label=f"generate {out.name}")
    if m["rc"] != 0:
        raise SystemExit("the generator failed")
    marker.write_text(stamp)
    return out


def link_days(landing: Path, dest: Path, keep) -> Path:
    """A landing zone of hard links to the arrival folders whose date `keep` accepts."""
    shutil.rmtree(dest, ignore_errors=True)
    for src in SOURCES:
        sdir = landing / src
        if not sdir.is_dir():
            continue
        for day in sorted(os.listdir(sdir)):
            try:
                d = dt.date.fromisoformat(day)
            except ValueError:
                continue
            if keep(d):
                target = dest / src / day
                target.parent.mkdir(parents=True, exist_ok=True)
                subprocess.run(["cp", "-al", str(sdir / day), str(target)], check=True)
    return dest


def copy_project(src: Path, dest: Path) -> Path:
    """The example project copied, so pushdown's target/ (staging, run_results)
    lands in the bench work folder, not in the source tree."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(src / "pushdown.toml", dest / "pushdown.toml")
    shutil.copytree(src / "models", dest / "models")
    return dest


def backdate(db: Path) -> dict:
    """Rewrites the landed history as if daily runs had landed it: each raw row's
    `_ingested_at` moves to its arrival folder's date (keeping the order rows
    were landed in), and the raw watermarks follow. Without this, a history
    landed a minute ago lies entirely inside the 3-day lookback (which counts
    ingestion time) and the "incremental" day reprocesses all of it."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    tables = [f"raw.{s}" for s in SOURCES] + ["raw.rejects"]
    t0 = min(con.execute(f"SELECT min(_ingested_at) FROM {t}").fetchone()[0] or dt.datetime.max
             for t in tables)
    # Models that copy `_ingested_at` (ods helpers and "latest" tables) follow
    # their raw rows: landing stamps each file, so old -> new is a function.
    con.execute("CREATE TEMP TABLE _pd_backdate (old TIMESTAMP, new TIMESTAMP)")
    for t in tables:
        con.execute(f"""
            INSERT INTO _pd_backdate
            SELECT _ingested_at, min(CAST(split_part(_source_file, '/', 2) AS DATE) + INTERVAL 1 HOUR
                                     + (_ingested_at - TIMESTAMP '{t0}'))
            FROM {t} GROUP BY _ingested_at""")
    copies = [f'"{s}"."{n}"' for s, n in con.execute("""
        SELECT c.schema_name, c.table_name
        FROM duckdb_columns() AS c JOIN duckdb_tables() AS t USING (database_name, schema_name, table_name)
        WHERE c.column_name = '_ingested_at' AND c.database_name = current_database()
          AND c.schema_name NOT IN ('raw', 'audit', '_pushdown')""").fetchall()]
    for t in copies:
        con.execute(f"""
            UPDATE {t} SET _ingested_at = m.new FROM
              (SELECT old, min(new) AS new FROM _pd_backdate GROUP BY old) AS m
            WHERE {t}._ingested_at = m.old""")
    for t in tables:
        con.execute(f"""
            UPDATE {t} SET
              _ingested_at = CAST(split_part(_source_file, '/', 2) AS DATE) + INTERVAL 1 HOUR
                             + (_ingested_at - TIMESTAMP '{t0}'),
              _ingest_date = CAST(split_part(_source_file, '/', 2) AS DATE)""")
    marks = {}
    for t in tables:
        # The position pushdown records for a raw upstream: its newest
        # watermark value and its row count (which the move leaves as it is).
        v = con.execute(f"SELECT CAST(max(_ingested_at) AS VARCHAR) || '; rows=' || count(*) FROM {t}").fetchone()[0]
        n = con.execute("UPDATE audit.watermarks SET value = ? WHERE upstream = ?", [v, t]).fetchone()
        marks[t] = (v, n[0] if n else 0)
    con.execute("CHECKPOINT")
    con.close()
    return marks



def backdate_peer(db: Path) -> None:
    """backdate() for the peer's database: the same move of each raw row's
    `_ingested_at` to its arrival day, carried into the models' `_ingested_at`
    (the peer's watermarks are the newest of them) through the per-file
    landing times, which are unique."""
    import duckdb

    con = duckdb.connect(str(db))
    con.execute("SET TimeZone = 'UTC'")
    tables = [f"raw.{s}" for s in SOURCES] + ["raw.rejects"]
    union = " UNION ALL ".join(f"SELECT DISTINCT _ingested_at, _source_file FROM {t}" for t in tables)
    con.execute(f"""CREATE TEMP TABLE moved AS
        SELECT _ingested_at AS old,
               CAST(split_part(_source_file, '/', 2) AS DATE) + INTERVAL 1 HOUR
                 + (_ingested_at - (SELECT min(_ingested_at) FROM ({union}))) AS new
        FROM ({union}) GROUP BY ALL""")
    for t in tables + ["ods.orders_current", "ods.payments_current", "ods.shipment_milestones",
                       "ods.fx_rates", "dw.dim_customer"]:
        extra = ", _ingest_date = CAST(m.new AS DATE)" if t.startswith("raw.") else ""
        con.execute(f"UPDATE {t} SET _ingested_at = m.new{extra} FROM moved AS m WHERE {t}._ingested_at = m.old")
    con.execute("CHECKPOINT")
    con.close()


# ---------------------------------------------------------------- scenarios

def scenario_landing(r: Runner, project: Path, landing: Path, scale: int, reps: int,
                     python: str) -> dict:
    nbytes = dir_bytes(landing)
    files = sum(1 for p in landing.rglob("*") if p.is_file() and not p.name.startswith("."))
    samples = []
    for i in range(reps):
        order = ["pushdown", "native"] if i % 2 == 0 else ["native", "pushdown"]
        if r.peer:
            order.insert(1, "peer")
        s = {}
        for who in order:
            db = r.work / "db" / f"land-{who}-{scale}x.duckdb"
            rm_db(db)
            log(f"landing {scale}x rep {i + 1}/{reps}: {who}")
            if who == "pushdown":
                m = r.pushdown_cmd(project, landing, db, ["land"], f"land {scale}x")
                land = (m.get("result") or {}).get("land") or {}
                m["rows"] = land.get("rows")
                m["rejects"] = land.get("rejects")
                m["files_skipped"] = land.get("files_skipped")
            elif who == "peer":
                m = r.peer.land(landing, db, f"peer land {scale}x")
                try:
                    m["peer"] = json.loads(m["stdout"].strip().splitlines()[-1])
                except Exception:
                    m["peer"] = None
                m["rows"] = (m["peer"] or {}).get("rows")
            else:
                m = r.measure([python, str(HERE / "native_load.py"), str(landing), str(db)],
                              label=f"native {scale}x")
                try:
                    m["native"] = json.loads(m["stdout"].strip().splitlines()[-1])
                except Exception:
                    m["native"] = None
            m["db_mb"] = db.stat().st_size / 2**20 if db.exists() else None
            rm_db(db)
            m.pop("stdout", None)
            s[who] = m
        samples.append(s)
    heap = None
    if r.pushdown_heap.exists():
        # Outside the timed samples: the counting allocator costs CPU.
        db = r.work / "db" / f"land-heap-{scale}x.duckdb"
        rm_db(db)
        log(f"landing {scale}x: pushdown's own heap (heap-stats build)")
        heap = r.pushdown_cmd(project, landing, db, ["land"], f"land {scale}x heap",
                              binary=r.pushdown_heap).get("heap_mb")
        rm_db(db)
    pw = median([s["pushdown"]["wall"] for s in samples])
    nw = median([s["native"]["wall"] for s in samples])
    peer = {}
    if r.peer:
        qw = median([s["peer"]["wall"] for s in samples])
        peer = {"peer_wall": qw, "peer_rss": max(s["peer"]["rss_mb"] for s in samples),
                "peer_rows": samples[0]["peer"].get("rows"), "peer_mbps": nbytes / qw / 1e6}
    return {**peer,
        "scale": scale, "bytes": nbytes, "files": files, "samples": samples,
        "pushdown_wall": pw, "native_wall": nw,
        "pushdown_mbps": nbytes / pw / 1e6, "native_mbps": nbytes / nw / 1e6,
        "ratio": nw / pw,
        "pushdown_warehouse": median([s["pushdown"].get("warehouse") for s in samples]),
        "pushdown_duration": median([s["pushdown"].get("duration") for s in samples]),
        "pushdown_rss": max(s["pushdown"]["rss_mb"] for s in samples),
        "pushdown_heap": heap,
        "native_rss": max(s["native"]["rss_mb"] for s in samples),
        "rows": samples[0]["pushdown"].get("rows"),
        "rejects": samples[0]["pushdown"].get("rejects"),
    }


def last_order_day(days: int) -> dt.date:
    return START + dt.timedelta(days=days - 1)


def scenario_pipeline(r: Runner, project: Path, landing: Path, label: str, days: int,
                      reps: int, fr_reps: int | None = None, inc_reps: int | None = None,
                      bd_reps: int = 0) -> dict:
    """Full refresh over arrival days < the last order day, then one incremental
    run that adds the last order day's arrival folders. Arrival folders after it
    (the generator's thin tail of late events) are left out."""
    new = last_order_day(days)
    hist = link_days(landing, r.work / f"{label}-hist", lambda d: d < new)
    full = link_days(landing, r.work / f"{label}-hist+day", lambda d: d <= new)
    hist_bytes = dir_bytes(hist)
    day_bytes = dir_bytes(full) - hist_bytes
    fr_reps = reps if fr_reps is None else fr_reps
    inc_reps = fr_reps if inc_reps is None else inc_reps
    fr, inc, inc_bd = [], [], []
    snapshot = r.work / "db" / f"{label}-after-fr.duckdb"
    for i in range(fr_reps):
        db = r.work / "db" / f"{label}.duckdb"
        rm_db(db)
        log(f"pipeline {label} rep {i + 1}/{fr_reps}: full refresh of {days - 1} arrival days")
        m = r.pushdown_cmd(project, hist, db, ["run", "--mode", "full-refresh"], f"{label} full refresh")
        m.pop("stdout", None)
        m["db_mb"] = db.stat().st_size / 2**20
        fr.append(m)
        if i == 0:
            rm_db(snapshot)
            shutil.copy(db, snapshot)
        rm_db(db)
    for i in range(inc_reps):
        db = r.work / "db" / f"{label}.duckdb"
        rm_db(db)
        shutil.copy(snapshot, db)
        log(f"pipeline {label} rep {i + 1}/{inc_reps}: incremental day {new} (history as landed)")
        m = r.pushdown_cmd(project, full, db, ["run", "--mode", "incremental"], f"{label} incremental")
        m.pop("stdout", None)
        inc.append(m)
        rm_db(db)
    # The same day again, on the same history as daily runs would have left it.
    marks = None
    for i in range(bd_reps):
        db = r.work / "db" / f"{label}-bd.duckdb"
        rm_db(db)
        shutil.copy(snapshot, db)
        marks = backdate(db)
        log(f"pipeline {label} rep {i + 1}/{reps}: incremental day {new} (history backdated)")
        m = r.pushdown_cmd(project, full, db, ["run", "--mode", "incremental"],
                           f"{label} incremental backdated")
        m.pop("stdout", None)
        inc_bd.append(m)
        rm_db(db)
    rm_db(snapshot)
    shutil.rmtree(hist, ignore_errors=True)
    shutil.rmtree(full, ignore_errors=True)

    def summary(ms):
        if not ms:
            return None
        w = median([m["wall"] for m in ms])
        wh = median([m.get("warehouse") for m in ms])
        du = median([m.get("duration") for m in ms])
        tr = median([sum(x["duration_seconds"] for x in (m.get("result") or {}).get("transform", {}).get("models", []))
                     for m in ms])
        return {"wall": w, "duration": du, "warehouse": wh, "transform": tr,
                "overhead": (du - wh) if du is not None and wh is not None else None,
                "rss": max(m["rss_mb"] for m in ms), "n": len(ms),
                "models": summarize_models(ms[-1].get("result"))}

    return {"label": label, "days": days, "new_day": str(new),
            "hist_bytes": hist_bytes, "day_bytes": day_bytes, "watermarks_backdated": marks,
            "full_refresh": summary(fr), "incremental": summary(inc),
            "incremental_backdated": summary(inc_bd),
            "samples": {"full_refresh": fr, "incremental": inc, "incremental_backdated": inc_bd}}


def summarize_models(result: dict | None) -> dict:
    if not result or not result.get("transform"):
        return {}
    return {m["model"]: {"build": m["build"], "status": m["status"],
                         "seconds": m["duration_seconds"], "partitions": m["partitions_count"],
                         "inserted": m["rows_inserted"], "updated": m["rows_updated"]}
            for m in result["transform"]["models"]}


def scenario_overhead(r: Runner, python: str, reps: int) -> dict:
    proj = r.work / "synthetic50"
    shutil.rmtree(proj, ignore_errors=True)
    subprocess.run([python, str(HERE / "synth_project.py"), str(proj)], check=True,
                   stdout=subprocess.DEVNULL)
    v = r.measure([str(r.pushdown), "validate", "--project", str(proj)],
                  {"LD_LIBRARY_PATH": r.lib_dir}, "validate synthetic50")
    fr, noop = [], []
    for i in range(reps):
        db = r.work / "db" / "synthetic50.duckdb"
        rm_db(db)
        log(f"overhead 50 models rep {i + 1}/{reps}: full refresh, then a no-op incremental")
        m = r.pushdown_cmd(proj, proj / "landing", db, ["run", "--mode", "full-refresh"], "synthetic50 full refresh")
        m.pop("stdout", None)
        fr.append(m)
        m = r.pushdown_cmd(proj, proj / "landing", db, ["run", "--mode", "incremental"], "synthetic50 no-op incremental")
        m.pop("stdout", None)
        noop.append(m)
        rm_db(db)

    def summary(ms):
        w = median([m["wall"] for m in ms])
        du = median([m.get("duration") for m in ms])
        wh = median([m.get("warehouse") for m in ms])
        res = ms[0].get("result") or {}
        models = (res.get("transform") or {}).get("models") or []
        return {"wall": w, "duration": du, "warehouse": wh,
                "overhead": du - wh if du is not None and wh is not None else None,
                "share": (du - wh) / du if du else None, "rss": max(m["rss_mb"] for m in ms),
                "models": len(models),
                "builds": {b: sum(1 for m in models if m["build"] == b) for b in {m["build"] for m in models}}}

    return {"validate_wall": v["wall"], "full_refresh": summary(fr), "noop": summary(noop),
            "samples": {"full_refresh": fr, "noop": noop}}



# ---------------------------------------------------------------- the dbt-duckdb peer

PEER_SRC = BENCH / "peers" / "dbt_duckdb"
BACKFILL_DAYS = 7


class Peer:
    """The same pipeline with the stack users would pick instead: a Python +
    DuckDB loader (bench/peers/dbt_duckdb/land.py) and dbt-duckdb. A step is
    the loader then `dbt build`; its wall time is the sum of both processes,
    its peak RSS the larger of the two."""

    def __init__(self, r: Runner, venv: Path):
        self.r = r
        self.python = venv / "bin" / "python"
        self.dbt = venv / "bin" / "dbt"
        self.project = r.work / "peer-project"
        shutil.rmtree(self.project, ignore_errors=True)
        shutil.copytree(PEER_SRC, self.project,
                        ignore=shutil.ignore_patterns("target", "logs", "__pycache__", ".user.yml"))
        self.target = r.work / "peer-target"
        self.versions = subprocess.run([str(self.python), "-c",
                                        "import importlib.metadata as m; print(m.version('dbt-core'), "
                                        "m.version('dbt-duckdb'), m.version('duckdb'))"],
                                       capture_output=True, text=True).stdout.split()

    def env(self, db: Path) -> dict:
        return {"PUSHDOWN_PII_KEY": "bench-pii-key", "PEER_DUCKDB_PATH": str(db),
                "DO_NOT_TRACK": "1", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}

    def land(self, landing: Path, db: Path, label: str) -> dict:
        return self.r.measure([str(self.python), str(self.project / "land.py"), "--landing", str(landing),
                               "--db", str(db)], self.env(db), label)

    def dbt_cmd(self, verb: str, db: Path, extra: list[str], label: str) -> dict:
        cmd = [str(self.dbt), verb, "--project-dir", str(self.project), "--profiles-dir", str(self.project),
               "--target-path", str(self.target), "--log-path", str(self.r.work / "logs" / "dbt")] + extra
        return self.r.measure(cmd, self.env(db), label)

    def warm_up(self, db: Path) -> None:
        """Parses the project once, as a deployed project would have, so every
        measured `dbt build` uses dbt's partial parsing."""
        self.dbt_cmd("parse", db, [], "peer dbt parse")

    def step(self, landing: Path, db: Path, extra: list[str], label: str) -> dict:
        a = self.land(landing, db, f"peer land ({label})")
        b = self.dbt_cmd("build", db, extra, f"peer dbt build ({label})")
        return {"wall": a["wall"] + b["wall"], "cpu": a["cpu"] + b["cpu"],
                "land_wall": a["wall"], "dbt_wall": b["wall"],
                "rss_mb": max(x for x in (a["rss_mb"], b["rss_mb"]) if x is not None),
                "land_rss": a["rss_mb"], "dbt_rss": b["rss_mb"], "rc": a["rc"] or b["rc"]}


def compare_dbs(r: Runner, pushdown_db: Path, peer_db: Path, label: str) -> dict:
    """Runs bench/peers/compare.py (outside any timing): every spec table equal?"""
    p = subprocess.run([str(r.peer.python), str(BENCH / "peers" / "compare.py"), str(pushdown_db),
                        str(peer_db), "--json"], capture_output=True, text=True)
    try:
        res = json.loads(p.stdout.strip().splitlines()[-1])
    except Exception:
        res = {"equal": False, "error": (p.stdout + p.stderr)[-1500:]}
    if not res.get("equal"):
        bad = [t["table"] for t in res.get("tables", []) if not t.get("equal")]
        r.failures.append(f"{label}: the peer's tables differ from pushdown's: {bad or res.get('error')}")
        log(f"FAILED {label}: tables differ: {bad or res.get('error')}")
    else:
        log(f"{label}: all {len(res['tables'])} tables equal")
    return res


def scenario_peer(r: Runner, project: Path, landing: Path, label: str, days: int, reps: int,
                  as_landed: bool = False) -> dict:
    """pushdown vs the dbt-duckdb peer, side by side on the same files, four
    steps in a row on one database each: a full refresh over arrival days <
    the last order day, the incremental day that adds it, the same run again
    (nothing new: a no-op), and a backfill of the last BACKFILL_DAYS order
    dates. After each step of the first repetition the two warehouses are
    compared table by table (not timed)."""
    new = last_order_day(days)
    hist = link_days(landing, r.work / f"peer-{label}-hist", lambda d: d < new)
    full = link_days(landing, r.work / f"peer-{label}-full", lambda d: d <= new)
    hist_bytes = dir_bytes(hist)
    day_bytes = dir_bytes(full) - hist_bytes
    bf_start, bf_end = new - dt.timedelta(days=BACKFILL_DAYS - 1), new
    steps = ["full_refresh", "incremental", "noop", "backfill"]
    samples = {k: {"pushdown": [], "peer": []} for k in steps}
    checks = {}
    r.peer.warm_up(r.work / "db" / "peer-parse.duckdb")
    for i in range(reps):
        order = ["pushdown", "peer"] if i % 2 == 0 else ["peer", "pushdown"]
        dbs = {}
        for who in order:
            db = r.work / "db" / f"peer-{label}-{who}.duckdb"
            rm_db(db)
            dbs[who] = db
        for step in steps:
            for who in order:
                db = dbs[who]
                log(f"peer {label} rep {i + 1}/{reps}: {step}, {who}")
                if who == "pushdown":
                    args = {"full_refresh": ["run", "--mode", "full-refresh"],
                            "incremental": ["run", "--mode", "incremental"],
                            "noop": ["run", "--mode", "incremental"],
                            "backfill": ["run", "--mode", "backfill", "--start", str(bf_start),
                                         "--end", str(bf_end)]}[step]
                    m = r.pushdown_cmd(project, hist if step == "full_refresh" else full, db, args,
                                       f"{label} {step} pushdown")
                    m.pop("stdout", None)
                    res = m.pop("result", None) or {}
                    m["models"] = summarize_models(res)
                    m["land"] = {k: v for k, v in (res.get("land") or {}).items() if k != "sources"}
                else:
                    extra = {"full_refresh": ["--full-refresh"], "incremental": [], "noop": [],
                             "backfill": ["--vars", json.dumps({"backfill_start": str(bf_start),
                                                                "backfill_end": str(bf_end)})]}[step]
                    m = r.peer.step(hist if step == "full_refresh" else full, db, extra,
                                    f"{label} {step} peer")
                samples[step][who].append(m)
            if i == 0:
                checks[step] = compare_dbs(r, dbs["pushdown"], dbs["peer"], f"{label} after {step}")
            if step == "full_refresh" and not as_landed:
                # As daily runs would have left the history (see backdate()):
                # otherwise all of it lies in the next run's 3-day lookback.
                backdate(dbs["pushdown"])
                backdate_peer(dbs["peer"])
        for db in dbs.values():
            rm_db(db)
    shutil.rmtree(hist, ignore_errors=True)
    shutil.rmtree(full, ignore_errors=True)

    def summary(ms):
        return {"wall": median([m["wall"] for m in ms]), "cpu": median([m.get("cpu") for m in ms]),
                "rss": max(m["rss_mb"] or 0 for m in ms),
                "duration": median([m.get("duration") for m in ms]),
                "warehouse": median([m.get("warehouse") for m in ms]),
                "land_wall": median([m.get("land_wall") for m in ms]),
                "dbt_wall": median([m.get("dbt_wall") for m in ms]), "n": len(ms)}

    out = {"label": label, "new_day": str(new), "backfill_range": [str(bf_start), str(bf_end)],
           "history": "as landed" if as_landed else "backdated",
           "hist_bytes": hist_bytes, "day_bytes": day_bytes, "samples": samples,
           "checks": {k: {"equal": v.get("equal"),
                          "tables": [{x: t.get(x) for x in ("table", "equal", "rows_pushdown", "rows_peer",
                                                             "only_pushdown", "only_peer", "error")}
                                     for t in v.get("tables", [])]} for k, v in checks.items()}}
    for step in steps:
        out[step] = {"pushdown": summary(samples[step]["pushdown"]), "peer": summary(samples[step]["peer"])}
    return out


# ---------------------------------------------------------------- report

def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = ""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"

    def out(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO).stdout.strip()
        except Exception:
            return "?"

    import duckdb
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem,
            "kernel": platform.release(), "rustc": out(["rustc", "--version"]),
            "duckdb_python": duckdb.__version__, "commit": out(["git", "rev-parse", "--short", "HEAD"]),
            "dirty": bool(out(["git", "status", "--porcelain"])),
            "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def f(x, fmt="{:.2f}"):
    return "-" if x is None else fmt.format(x)


PEER_TARGETS = {"full_refresh": 2.0, "incremental": 4.0, "noop": 10.0, "backfill": 1.0}
PEER_STEPS = [("full_refresh", "full refresh, end to end"), ("incremental", "one incremental day"),
              ("noop", "no-op rerun"), ("backfill", f"backfill of {BACKFILL_DAYS} order dates")]


def report_peer(res: dict) -> list[str]:
    L = []
    v = res.get("peer_versions") or ["?", "?", "?"]
    L.append(f"## 5. pushdown vs the dbt-duckdb peer (dbt-core {v[0]}, dbt-duckdb {v[1]}, duckdb {v[2]})\n")
    L.append("Same landing zone, same machine, run side by side (order alternating between repetitions), "
             "each stack on its own database file. A peer step is `land.py` then `dbt build`: wall = "
             "both processes, peak RSS = the larger. speed-up = peer wall / pushdown wall. "
             "The steps run in a row on one database per stack: full refresh over arrival days before the "
             "last order day; " + ("the history then backdated on both (`backdate()`, `backdate_peer()`: "
             "as daily runs would have left it, so the 3-day lookback holds 3 days, not all history); "
             if res["peer"] and res["peer"][0].get("history") == "backdated" else "history as landed (all of it "
             "inside the 3-day lookback); ") + "the incremental run adding the last order day; the same run "
             "again; a backfill of the last 7 order dates.\n")
    L.append("| scale | step | input | pushdown wall | peer wall (loader + dbt) | **speed-up** | target | verdict "
             "| CPU s pushdown / peer (ratio) | pushdown peak RSS | peer peak RSS |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    land = {x["scale"]: x for x in res.get("landing") or []}
    for x in res["peer"]:
        scale = int(x["label"].rstrip("x"))
        ld = land.get(scale)
        if ld and ld.get("peer_wall"):
            ratio = ld["native_wall"] / ld["pushdown_wall"]
            L.append(f"| {x['label']} | landing: pushdown vs native `read_json`/`read_csv` vs Python loader | "
                     f"{ld['bytes'] / 1e6:.0f} MB | {ld['pushdown_wall']:.1f} s | native {ld['native_wall']:.1f} s, "
                     f"loader {ld['peer_wall']:.1f} s | **{ratio:.2f}x** of native, "
                     f"**{ld['peer_wall'] / ld['pushdown_wall']:.1f}x** vs loader | >= 0.80x native | "
                     f"{'met' if ratio >= 0.8 else 'not met'} | - | {ld['pushdown_rss']:.0f} MB "
                     f"| native {ld['native_rss']:.0f} MB, loader {ld['peer_rss']:.0f} MB |")
        for key, name in PEER_STEPS:
            p, q = x[key]["pushdown"], x[key]["peer"]
            sp = q["wall"] / p["wall"] if p["wall"] else None
            tgt = PEER_TARGETS[key]
            inp = {"full_refresh": x.get("hist_bytes"), "incremental": x.get("day_bytes")}.get(key)
            inp = f"{inp / 1e6:.0f} MB" if inp and inp > 50e6 else (f"{inp / 1e6:.1f} MB" if inp else "nothing new")
            if key == "backfill":
                inp = f"{x['backfill_range'][0]} .. {x['backfill_range'][1]}"
            L.append(f"| {x['label']} | {name} (n={p['n']}) | {inp} | {p['wall']:.2f} s | {q['wall']:.2f} s "
                     f"({f(q['land_wall'], '{:.1f}')} + {f(q['dbt_wall'], '{:.1f}')}) | **{f(sp, '{:.1f}x')}** "
                     f"| {'> 1' if tgt == 1.0 else f'>= {tgt:.0f}'}x | {'met' if sp and sp >= tgt and sp > 1 else 'not met'} "
                     f"| {f(p.get('cpu'), '{:.1f}')} / {f(q.get('cpu'), '{:.1f}')} "
                     f"({f(q['cpu'] / p['cpu'] if p.get('cpu') and q.get('cpu') else None, '{:.1f}x')}) "
                     f"| {p['rss']:.0f} MB | {q['rss']:.0f} MB |")
    L.append("")
    L.append("Equality checks (`bench/peers/compare.py`, outside the timings, first repetition): ")
    for x in res["peer"]:
        for step, c in x["checks"].items():
            bad = [t["table"] for t in c["tables"] if not t.get("equal")]
            L.append(f"{x['label']} after {step}: "
                     + (f"all {len(c['tables'])} tables equal." if c.get("equal") else f"**DIFFERENT**: {bad}"))
    if res["peer"]:
        L.append("")
        own = []
        for x in res["peer"]:
            p = x["full_refresh"]["pushdown"]
            if p.get("duration") and p.get("warehouse") is not None:
                share = (p["duration"] - p["warehouse"]) / p["duration"]
                own.append(f"{x['label']}: {p['duration'] - p['warehouse']:.2f} s of {p['duration']:.1f} s = "
                           f"**{share:.1%}** (target < 5% at 10x)")
        L.append("pushdown's own time in the full refresh (duration - warehouse_seconds): " + "; ".join(own) + ".  ")
        if len(res["peer"]) >= 2:
            a, b = res["peer"][0], res["peer"][-1]
            L.append(f"Peak RSS of pushdown, {b['label']} / {a['label']} (input {b['hist_bytes'] / a['hist_bytes']:.1f}x): "
                     + ", ".join(f"{name.split(',')[0]} {b[k]['pushdown']['rss'] / a[k]['pushdown']['rss']:.1f}x "
                                 f"({a[k]['pushdown']['rss']:.0f} -> {b[k]['pushdown']['rss']:.0f} MB)"
                                 for k, name in PEER_STEPS) + ".")
    L.append("")
    return L


def report(res: dict) -> str:
    m = res["machine"]
    L = []
    L.append(f"# pushdown benchmark results ({res['started']} UTC)\n")
    L.append(f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem']} RAM; {m['rustc']}; "
             f"DuckDB {m['duckdb_python']}; pushdown {m['commit']}{' (work tree modified)' if m['dirty'] else ''}.  ")
    L.append(f"Load average at start {' '.join(m['loadavg'])}, at end {' '.join(res['loadavg_end'])} "
             f"(other jobs share this machine: compare ratios, not absolute times).  ")
    L.append(f"Repetitions (median; peak RSS is the max over repetitions): "
             f"{', '.join(f'{k}x: {v}' for k, v in res['reps_by_scale'].items())}; history and overhead: {res['reps']}. "
             f"Total bench time {res['total_seconds'] / 60:.1f} min.\n")

    if res.get("landing"):
        L.append("## 1. Landing: pushdown `land` vs DuckDB's native readers, same files\n")
        L.append("| scale | input | files | rows / rejects | pushdown wall | native wall | pushdown MB/s | native MB/s | **ratio** (target >= 0.80) | pushdown: DuckDB wait / own | peak RSS pushdown | peak RSS native |")
        L.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for x in res["landing"]:
            own = (x["pushdown_duration"] - x["pushdown_warehouse"]) if x["pushdown_duration"] else None
            L.append(f"| {x['scale']}x | {x['bytes'] / 1e6:.0f} MB | {x['files']} | {x['rows']} / {x['rejects']} "
                     f"| {x['pushdown_wall']:.1f} s | {x['native_wall']:.1f} s | {x['pushdown_mbps']:.1f} | {x['native_mbps']:.1f} "
                     f"| **{x['ratio']:.2f}x** | {f(x['pushdown_warehouse'], '{:.1f}')} s / {f(own, '{:.1f}')} s "
                     f"| {x['pushdown_rss']:.0f} MB | {x['native_rss']:.0f} MB |")
        L.append("")
        L.append("ratio = pushdown throughput / native throughput = native wall / pushdown wall. "
                 "Native = one `CREATE TABLE AS SELECT * FROM read_json(...)` / `read_csv(..., all_varchar)` "
                 "per source with `ignore_errors`, no hashing, validation, tokenizing, rejects, ledger or "
                 "de-duplication. Peak RSS = the whole process (pushdown embeds DuckDB).")
        heaps = [(x["scale"], x.get("pushdown_heap")) for x in res["landing"] if x.get("pushdown_heap")]
        if heaps:
            L.append("pushdown's own heap at its peak, without DuckDB's memory (a `heap-stats` build, "
                     "one extra untimed run): " + ", ".join(f"{k}x {h:.1f} MB" for k, h in heaps) + ".")
        L.append("")

    if res.get("pipeline"):
        L.append("## 2. Pipeline: full refresh, then one incremental day\n")
        L.append("| scale | step | input | wall | DuckDB (warehouse_seconds) | pushdown own (duration - warehouse) | own share | of which transform (sum of models) | peak RSS |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for x in res["pipeline"]:
            for key, name in [("full_refresh", f"full refresh, arrival days < {x['new_day']}"),
                              ("incremental", f"incremental, arrival day {x['new_day']}"),
                              ("incremental_backdated", f"incremental {x['new_day']}, history backdated")]:
                s = x.get(key)
                if not s:
                    continue
                share = s["overhead"] / s["duration"] if s["duration"] else None
                inp = f"{x['hist_bytes'] / 1e6:.0f} MB" if key == "full_refresh" else f"{x['day_bytes'] / 1e6:.1f} MB"
                L.append(f"| {x['label']} | {name} (n={s['n']}) | {inp} | {s['wall']:.1f} s | {f(s['warehouse'], '{:.1f}')} s "
                         f"| {f(s['overhead'], '{:.2f}')} s | {f(share, '{:.0%}')} | {f(s['transform'], '{:.1f}')} s | {s['rss']:.0f} MB |")
        if len(res["pipeline"]) >= 2:
            a, b = res["pipeline"][0], res["pipeline"][-1]
            L.append("")
            L.append(f"{b['label']} / {a['label']}: input {b['hist_bytes'] / a['hist_bytes']:.1f}x; "
                     f"full refresh wall {b['full_refresh']['wall'] / a['full_refresh']['wall']:.1f}x; "
                     f"incremental wall {b['incremental']['wall'] / a['incremental']['wall']:.1f}x "
                     f"(new day {b['day_bytes'] / a['day_bytes']:.1f}x, history {b['hist_bytes'] / a['hist_bytes']:.1f}x); "
                     f"peak RSS full refresh {b['full_refresh']['rss'] / a['full_refresh']['rss']:.1f}x.")
        L.append("")
        L.append("Per-model seconds and build kinds of every run are in latest.json.\n")
    if res.get("history"):
        L.append("## 3. Incremental day vs history size (same size of new day)\n")
        L.append("| history | history input | new day input | full refresh wall | incremental wall, as landed | incremental wall, backdated | DuckDB | own | transform |")
        L.append("|---|---|---|---|---|---|---|---|---|")
        for x in res["history"]:
            s = x["incremental_backdated"]
            L.append(f"| {x['days'] - 1} days x {HISTORY_ORDERS} orders | {x['hist_bytes'] / 1e6:.0f} MB | {x['day_bytes'] / 1e6:.1f} MB "
                     f"| {x['full_refresh']['wall']:.1f} s | {x['incremental']['wall']:.1f} s | {s['wall']:.1f} s (n={s['n']}) | {f(s['warehouse'], '{:.1f}')} s "
                     f"| {f(s['overhead'], '{:.2f}')} s | {f(s['transform'], '{:.1f}')} s |")
        if len(res["history"]) == 2:
            a, b = res["history"]
            ab, bb = a["incremental_backdated"], b["incremental_backdated"]
            L.append("")
            L.append(f"10x history / 1x history: incremental backdated "
                     f"**{bb['wall'] / ab['wall']:.2f}x** wall, "
                     f"**{bb['transform'] / ab['transform']:.2f}x** transform (sum of models); "
                     f"incremental as landed {b['incremental']['wall'] / a['incremental']['wall']:.2f}x, "
                     f"full refresh {b['full_refresh']['wall'] / a['full_refresh']['wall']:.2f}x.")
            L.append("")
            L.append("Seconds per model of the backdated incremental day (last repetition):\n")
            L.append("| model | " + " | ".join(f"{x['days'] - 1} days: build, s, partitions" for x in (a, b)) + " |")
            L.append("|---|---|---|")
            for name in ab["models"]:
                cells = []
                for s_ in (ab, bb):
                    mm = s_["models"].get(name) or {}
                    cells.append(f"{mm.get('build', '-')}, {f(mm.get('seconds'))}, {mm.get('partitions', '-')}")
                L.append(f"| {name} | " + " | ".join(cells) + " |")
        L.append("")
        L.append("\"as landed\": the history was landed minutes before, so all of it lies inside the "
                 "3-day lookback (which compares `_ingested_at`, the landing time) and is re-read. "
                 "\"backdated\": the same database with each raw row's `_ingested_at` (and the raw "
                 "watermarks) moved to its arrival day, as daily runs would have left it.\n")
    if res.get("overhead"):
        o = res["overhead"]
        L.append("## 4. Overhead on a 50-model project\n")
        L.append("| run | models (builds) | wall | DuckDB (warehouse_seconds) | pushdown own | **own share** | peak RSS |")
        L.append("|---|---|---|---|---|---|---|")
        for key, name in [("full_refresh", "full refresh (land 10 files + 50 models)"),
                          ("noop", "no-op incremental rerun")]:
            s = o[key]
            builds = ", ".join(f"{k} {v}" for k, v in sorted(s["builds"].items()))
            L.append(f"| {name} | {s['models']} ({builds}) | {s['wall']:.2f} s | {f(s['warehouse'])} s "
                     f"| {f(s['overhead'])} s | **{f(s['share'], '{:.0%}')}** | {s['rss']:.0f} MB |")
        L.append(f"\n`pushdown validate` (parse 50 models, DAG, render every template, no connection): "
                 f"{o['validate_wall']:.2f} s wall.\n")
    if res.get("peer"):
        L.extend(report_peer(res))
    if res["failures"]:
        L.append("## Failures\n")
        for x in res["failures"]:
            L.append("```\n" + x.strip() + "\n```")
    return "\n".join(L) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin-dir", required=True)
    ap.add_argument("--lib-dir", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--scale", default="1,10")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="landing,peer,pipeline,history,overhead")
    ap.add_argument("--as-landed", action="store_true",
                    help="peer scenario: keep the history's landing times (no backdating)")
    ap.add_argument("--peer-venv", default="", help="the dbt-duckdb peer's venv (bench/peers/setup.sh)")
    ap.add_argument("--out", default=str(BENCH / "results"))
    ap.add_argument("--reps", type=int, default=0, help="repetitions at every scale")
    a = ap.parse_args()
    scales = [int(s) for s in a.scale.split(",") if s]
    only = set(a.only.split(","))
    reps = 1 if a.quick else 3
    work = Path(a.work)
    (work / "logs").mkdir(parents=True, exist_ok=True)
    (work / "db").mkdir(parents=True, exist_ok=True)
    r = Runner(Path(a.bin_dir), work, a.lib_dir)
    python = sys.executable
    started = time.time()
    res = {"started": dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), "reps": reps,
           "reps_by_scale": {},
           "scales": scales, "machine": machine(), "failures": r.failures}
    project = copy_project(REPO / "examples" / "ecommerce", work / "project-ecommerce")
    res["landing"], res["pipeline"], res["history"], res["peer"] = [], [], [], []
    if a.peer_venv and ({"landing", "peer"} & only):
        r.peer = Peer(r, Path(a.peer_venv))
        res["peer_versions"] = r.peer.versions
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    def checkpoint():
        # What is measured so far survives an interrupted run:
        # `bench.py --report partial.json` renders it.
        res["total_seconds"] = time.time() - started
        res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        (out / "partial.json").write_text(json.dumps(res, indent=1, default=str))

    for scale in scales:
        # Above 1x a run takes minutes, which dwarfs run-to-run noise: once, to
        # keep the whole bench near 20 minutes (--reps overrides).
        n = a.reps or (reps if scale == 1 else 1)
        res["reps_by_scale"][scale] = n
        landing = generate(r, work / f"landing-{scale}x", DAYS, ORDERS_1X * scale)
        if "landing" in only:
            res["landing"].append(scenario_landing(r, project, landing, scale, n, python))
            checkpoint()
        if "peer" in only and r.peer:
            res["peer"].append(scenario_peer(r, project, landing, f"{scale}x", DAYS, n,
                                             as_landed=a.as_landed))
            checkpoint()
        if "pipeline" in only:
            res["pipeline"].append(scenario_pipeline(r, project, landing, f"{scale}x", DAYS, n))
            checkpoint()
    if "history" in only and not a.quick:
        for days in (DAYS, DAYS * 10):
            landing = generate(r, work / f"landing-h{days}d", days, HISTORY_ORDERS)
            res["history"].append(scenario_pipeline(r, project, landing, f"h{days}d", days, reps,
                                                    fr_reps=1, inc_reps=1, bd_reps=reps))
    if "overhead" in only:
        res["overhead"] = scenario_overhead(r, python, reps)
    res["total_seconds"] = time.time() - started
    res["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
    (out / "latest.json").write_text(json.dumps(res, indent=1, default=str))
    text = report(res)
    (out / "latest.md").write_text(text)
    print()
    print(text)
    if r.failures:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--report":
        # Re-render a report from a saved latest.json.
        print(report(json.loads(Path(sys.argv[2]).read_text())))
    else:
        main()
