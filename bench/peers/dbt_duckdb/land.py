#!/usr/bin/env python3
"""The peer's loader: what a competent team would write next to dbt-duckdb to
land the reference pipeline's files (shared/spec/ecommerce.md section 1) the
way pushdown does, so the two stacks do the same work.

  land.py --landing DIR --db FILE.duckdb   (PII key in $PUSHDOWN_PII_KEY)

Per file, in the landing zone's order (source, arrival day, name):
- SHA-256 of the stored bytes; content landed before (audit.landed_files) is
  recorded as skipped in audit.files and not parsed again; a file whose name,
  size and modification time are as the ledger recorded them is not even
  read (the ledger's modified_ns, as pushdown keeps it);
- every physical line is decoded, parsed and checked with pushdown's rules
  (required fields, typed fields, CSV field counts) and lands either in
  raw.<source> or in raw.rejects with a reason in pushdown's words;
- customer_email / email are replaced by lowercase hex HMAC-SHA-256 of the
  trimmed, lower-cased address, and rejected text is scrubbed of anything
  shaped like an address (a port of src/land/pii.rs);
- metadata columns _ingested_at (per file), _ingest_date, _source_file,
  _batch_id, _checksum, _line.

Files are hashed and parsed by one worker process per core, into staging
files, and loaded in landing order with one INSERT per source and batch
(DuckDB's fast path over a list of files); a batch commits in one transaction
together with its ledger rows, so a file is landed exactly once or not at
all. Prints one JSON line with counts.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import hashlib
import hmac
import json
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb

# The reference pipeline's sources, as examples/ecommerce/pushdown.toml declares them.
SOURCES = {
    "orders_events": {
        "format": "jsonl",
        "required": ["event_id", "order_id", "event_type", "event_time"],
        "pii": ["customer_email"],
        "types": {"event_time": "timestamp", "gross_amount": "decimal",
                  "discount_amount": "decimal", "tax_amount": "decimal", "version": "integer"},
    },
    "payments_events": {
        "format": "csv",
        "columns": ["payment_id", "order_id", "event_time", "status", "amount", "currency", "version"],
        "required": ["payment_id", "order_id", "event_time"],
        "pii": [],
        "types": {"event_time": "timestamp", "amount": "decimal", "version": "integer"},
    },
    "shipments_events": {
        "format": "csv",
        "columns": ["shipment_id", "order_id", "event_time", "milestone", "carrier"],
        "required": ["shipment_id", "order_id", "event_time", "milestone"],
        "pii": [],
        "types": {"event_time": "timestamp"},
    },
    "customers": {
        "format": "csv",
        "columns": ["customer_id", "email", "country", "segment", "updated_at"],
        "required": ["customer_id", "updated_at"],
        "pii": ["email"],
        "types": {"updated_at": "timestamp"},
    },
    "fx_rates": {
        "format": "csv",
        "columns": ["rate_date", "currency", "usd_rate"],
        "required": ["rate_date", "currency", "usd_rate"],
        "pii": [],
        "types": {"rate_date": "date", "usd_rate": "decimal"},
    },
}
# Checked in name order, as pushdown's BTreeMap does: the first failure is the reason.
for _s in SOURCES.values():
    _s["types"] = dict(sorted(_s["types"].items()))

META = ["_ingested_at", "_ingest_date", "_source_file", "_batch_id", "_checksum", "_line"]
BATCH_FILES = 64
BATCH_BYTES = 128 << 20

# ------------------------------------------------------------------ values

RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))")
INTEGER = re.compile(r"[-+]?[0-9]+")
DECIMAL = re.compile(r"[-+]?([0-9]+(\.[0-9]+)?|\.[0-9]+)")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def is_timestamp(t: str) -> bool:
    m = RFC3339.fullmatch(t.strip())
    if not m:
        return False
    y, mo, d, h, mi, s = (int(m.group(i)) for i in range(1, 7))
    try:
        dt.date(y, mo, d)
    except ValueError:
        return False
    if h > 23 or mi > 59 or s > 60:
        return False
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    return True


def is_date(t: str) -> bool:
    t = t.strip()
    if not DATE.fullmatch(t):
        return False
    try:
        dt.date.fromisoformat(t)
        return True
    except ValueError:
        return False


def text_is(ty: str, text: str) -> bool:
    if ty == "timestamp":
        return is_timestamp(text)
    if ty == "date":
        return is_date(text)
    if ty == "decimal":
        return DECIMAL.fullmatch(text.strip()) is not None
    if ty == "integer":
        return INTEGER.fullmatch(text.strip()) is not None
    if ty == "boolean":
        return text.strip().lower() in ("true", "false", "t", "f", "1", "0")
    return True


class Num(str):
    """A JSON number kept as written (validation and re-serialization need the text)."""


def json_field_ok(ty: str, v) -> bool:
    if isinstance(v, bool):
        return ty in ("boolean", "text")
    if isinstance(v, Num):
        if ty == "decimal":
            return DECIMAL.fullmatch(v) is not None and not v.startswith("+")
        if ty == "integer":
            return INTEGER.fullmatch(v) is not None
        return ty == "text"
    if isinstance(v, str):
        if ty in ("integer", "boolean"):
            return False
        return text_is(ty, v)
    return ty == "text"  # nested


def csv_field_ok(ty: str, v) -> bool:
    return text_is(ty, v)


def missing(v) -> bool:
    return v is None or (isinstance(v, str) and not isinstance(v, Num) and not v.strip())


def check(src: dict, get) -> str | None:
    for f in src["required"]:
        v = get(f)
        if v is _ABSENT or missing(v):
            return f"missing_field:{f}"
    for f, ty in src["types"].items():
        v = get(f)
        if v is _ABSENT or missing(v):
            continue
        if not (json_field_ok if src["format"] == "jsonl" else csv_field_ok)(ty, v):
            return f"invalid_{ty}:{f}"
    return None


_ABSENT = object()

# ------------------------------------------------------------------ PII


class Tokenizer:
    def __init__(self, key: bytes):
        self.mac = hmac.new(key, digestmod=hashlib.sha256)

    def token(self, value: str) -> str:
        m = self.mac.copy()
        m.update(value.strip().lower().encode())
        return m.hexdigest()

    LOCAL = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~.-")
    DOMAIN = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.")

    def scrub(self, text: str) -> str:
        """Replaces every e-mail-shaped run by its token (src/land/pii.rs: email_spans)."""
        if "@" not in text:
            return text
        b = text.encode()
        spans = []
        i = 0
        while True:
            at = b.find(b"@", i)
            if at < 0:
                break
            start = at
            while start > 0 and b[start - 1] in self.LOCAL:
                start -= 1
            while start < at and b[start] in b".'`":
                start += 1
            end = at + 1
            while end < len(b) and b[end] in self.DOMAIN:
                end += 1
            while end > at + 1 and b[end - 1] in b".-":
                end -= 1
            domain = b[at + 1:end]
            if start < at and b"." in domain and not domain.startswith(b"."):
                if not spans or spans[-1][1] <= start:
                    spans.append((start, end))
                i = end
            else:
                i = at + 1
        if not spans:
            return text
        out, pos = [], 0
        for s, e in spans:
            out.append(b[pos:s])
            out.append(self.token(b[s:e].decode()).encode())
            pos = e
        out.append(b[pos:])
        return b"".join(out).decode()


# ------------------------------------------------------------------ files


def lines(raw: bytes):
    """Physical lines, 1-based, without terminators; a BOM before line 1 dropped."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    parts = raw.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    for n, line in enumerate(parts, 1):
        if line.endswith(b"\r"):
            line = line[:-1]
        yield n, line


def dump(v) -> str:
    """Compact JSON, numbers as written."""
    if isinstance(v, Num):
        return str.__str__(v)
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dump(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def _no_constants(name):
    raise ValueError(f"not JSON: {name}")


def split_csv(record: str) -> list[str]:
    """One CSV record (RFC 4180), as pushdown's splitter reads it."""
    fields = []
    i, n = 0, len(record)
    while True:
        if i < n and record[i] == '"':
            value = []
            j = i + 1
            while True:
                q = record.find('"', j)
                if q < 0:
                    value.append(record[j:])
                    j = n
                    break
                value.append(record[j:q])
                j = q + 1
                if j < n and record[j] == '"':
                    value.append('"')
                    j += 1
                else:
                    break
            end = record.find(",", j)
            end = n if end < 0 else end
            value.append(record[j:end])
            fields.append("".join(value))
            i = end
        else:
            end = record.find(",", i)
            end = n if end < 0 else end
            fields.append(record[i:end])
            i = end
        if i >= n:
            return fields
        i += 1
        if i == n:
            fields.append("")
            return fields


def csv_field(v: str) -> str:
    if any(c in v for c in ',"\n\r'):
        return '"' + v.replace('"', '""') + '"'
    return v


class Stage:
    """One file's staging files: its rows, its rejects."""

    def __init__(self, root: Path, fid: int, source: str, fmt: str):
        self.rows_path = root / f"{fid:06d}.{'jsonl' if fmt == 'jsonl' else 'csv'}"
        self.rejects_path = root / f"{fid:06d}.rejects.jsonl"
        self.rows = open(self.rows_path, "w", encoding="utf-8", newline="")
        self.writer = self.rows if fmt == "jsonl" else csv.writer(self.rows, lineterminator="\n")
        self.rejects = open(self.rejects_path, "w", encoding="utf-8")

    def close(self):
        self.rows.close()
        self.rejects.close()


class Parser:
    """Reads one file into its staging files (runs in a worker process)."""

    def __init__(self, tok: Tokenizer | None, work: Path, landed: set[str],
                 known: dict[str, list[tuple[str, int, int | None]]]):
        self.tok = tok
        self.work = work
        self.landed = landed
        self.known = known

    def scrub(self, text: str) -> str:
        return self.tok.scrub(text) if self.tok else text

    def prepare(self, job: tuple[int, str, str, str]) -> dict:
        fid, name, path, rel = job
        src = SOURCES[name]
        st = os.stat(path)
        for checksum, size, mtime in self.known.get(rel, ()):
            if mtime is not None and (size, mtime) == (st.st_size, st.st_mtime_ns):
                return {"fid": fid, "source": name, "file": rel, "checksum": checksum,
                        "bytes": size, "rows": 0, "rejects": 0, "modified_ns": mtime, "status": "skipped"}
        raw = Path(path).read_bytes()
        out = {"fid": fid, "source": name, "file": rel, "checksum": hashlib.sha256(raw).hexdigest(),
               "bytes": len(raw), "rows": 0, "rejects": 0, "modified_ns": st.st_mtime_ns}
        if out["checksum"] in self.landed:
            out["status"] = "skipped"
            return out
        data = raw
        if path.lower().endswith(".gz"):
            try:
                data = gzip.decompress(raw)
            except (OSError, EOFError) as e:
                out["status"] = "error"
                out["error"] = f"{rel}: not a valid gzip file ({e}); nothing from it was loaded"
                return out
        stage = Stage(self.work, fid, name, src["format"])
        parse = self.jsonl if src["format"] == "jsonl" else self.csv
        try:
            out["rows"], out["rejects"] = parse(src, name, fid, data, stage)
        finally:
            stage.close()
        out["status"] = "loaded"
        out["rows_path"], out["rejects_path"] = str(stage.rows_path), str(stage.rejects_path)
        return out

    # -- parsing

    def jsonl(self, src, name, fid, raw: bytes, stage: Stage) -> tuple[int, int]:
        w = stage.writer
        rows = rejects = 0
        for n, b in lines(raw):
            try:
                text = b.decode("utf-8")
            except UnicodeDecodeError:
                self.reject(stage, fid, n, self.scrub(b.decode("utf-8", "replace")), "invalid_utf8")
                rejects += 1
                continue
            if not text.strip():
                self.reject(stage, fid, n, text, "empty_line")
                rejects += 1
                continue
            try:
                obj = json.loads(text, parse_float=Num, parse_int=Num, parse_constant=_no_constants)
            except ValueError:
                self.reject(stage, fid, n, self.scrub(text), "invalid_json")
                rejects += 1
                continue
            if not isinstance(obj, dict):
                self.reject(stage, fid, n, self.scrub(text), "not_an_object")
                rejects += 1
                continue
            tokenized = False
            if self.tok:
                for f in src["pii"]:
                    if f in obj and obj[f] is not None:
                        v = obj[f]
                        obj[f] = self.tok.token(v if isinstance(v, str) and not isinstance(v, Num)
                                                else dump(v))
                        tokenized = True
            reason = check(src, lambda f: obj.get(f, _ABSENT))
            payload = dump(obj) if tokenized else text.strip()
            if reason:
                self.reject(stage, fid, n, self.scrub(payload), reason)
                rejects += 1
            else:
                w.write('{"_f":%d,"_line":%d,"payload":%s}\n' % (fid, n, payload))
                rows += 1
        return rows, rejects

    def csv(self, src, name, fid, raw: bytes, stage: Stage) -> tuple[int, int]:
        w = stage.writer
        cols = src["columns"]
        pii = [c in src["pii"] for c in cols]
        rows = rejects = 0
        header = None
        record_lines: list[tuple[int, bytes]] = []
        open_quote = False

        def records():
            nonlocal open_quote
            buf = []
            for n, b in lines(raw):
                open_quote ^= b.count(b'"') % 2 == 1
                buf.append((n, b))
                if not open_quote:
                    yield buf
                    buf = []
            if buf:
                yield buf

        for rec in records():
            first = rec[0][0]
            bad_utf8 = False
            parts = []
            for _, b in rec:
                try:
                    parts.append(b.decode("utf-8"))
                except UnicodeDecodeError:
                    bad_utf8 = True
                    parts.append(b.decode("utf-8", "replace"))
            record = "\n".join(parts)
            if header is None:
                names = [x.strip() for x in split_csv(record)]
                positions, miss = [], None
                for c in cols:
                    if c in names:
                        positions.append(names.index(c))
                    else:
                        miss = miss or c
                        positions.append(0)
                header = (positions, len(names), miss)
                continue
            positions, width, miss = header
            if bad_utf8:
                self.reject(stage, fid, first, self.scrub(record), "invalid_utf8")
                rejects += 1
                continue
            if not record.strip():
                self.reject(stage, fid, first, record, "empty_line")
                rejects += 1
                continue
            fields = split_csv(record)
            if miss:
                self.reject(stage, fid, first, self.scrub(record), f"header_mismatch:{miss}")
                rejects += 1
                continue
            if len(fields) != width:
                self.reject(stage, fid, first, self.scrub(record), "wrong_field_count")
                rejects += 1
                continue
            tokenized = False
            if self.tok:
                for c, p, is_pii in zip(cols, positions, pii):
                    if is_pii and fields[p] != "":
                        fields[p] = self.tok.token(fields[p])
                        tokenized = True
            reason = check(src, lambda f: (lambda v: None if v == "" else v)(
                fields[positions[cols.index(f)]]) if f in cols else _ABSENT)
            if reason:
                text = ",".join(csv_field(f) for f in fields) if tokenized else record
                self.reject(stage, fid, first, self.scrub(text), reason)
                rejects += 1
                continue
            w.writerow([fid, first] + [fields[p] for p in positions])
            rows += 1
        return rows, rejects

    def reject(self, stage: Stage, fid: int, line: int, text: str, reason: str):
        stage.rejects.write(json.dumps({"_f": fid, "line": line, "reason": reason, "raw_text": text},
                                       ensure_ascii=False) + "\n")


_parser: Parser | None = None


def _init_worker(key, work, landed, known):
    global _parser
    _parser = Parser(Tokenizer(key) if key else None, work, landed, known)


def _prepare(job):
    return _parser.prepare(job)


class Loader:
    """Scans, prepares files on every core (in landing order), and loads them
    in batches: per batch one INSERT per source over the staged files and the
    batch's ledger rows, in one transaction."""

    def __init__(self, con, landing: Path, key: bytes | None, work: Path, workers: int):
        self.con = con
        self.landing = landing
        self.key = key
        self.work = work
        self.workers = workers
        self.batch_id = str(uuid.uuid4())
        self.last_ts = None
        self.counts = {"files_loaded": 0, "files_skipped": 0, "rows": 0, "rejects": 0}

    def now(self) -> dt.datetime:
        t = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        if self.last_ts is not None and t <= self.last_ts:
            t = self.last_ts + dt.timedelta(microseconds=1)
        self.last_ts = t
        return t

    def run(self) -> dict:
        con = self.con
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS audit")
        meta = ("_ingested_at TIMESTAMP NOT NULL, _ingest_date DATE NOT NULL, _source_file VARCHAR NOT NULL, "
                "_batch_id VARCHAR NOT NULL, _checksum VARCHAR NOT NULL, _line BIGINT NOT NULL")
        for name, src in SOURCES.items():
            cols = "payload JSON" if src["format"] == "jsonl" else ", ".join(f'"{c}" VARCHAR' for c in src["columns"])
            con.execute(f'CREATE TABLE IF NOT EXISTS raw."{name}" ({cols}, {meta})')
        con.execute(f"""CREATE TABLE IF NOT EXISTS raw.rejects (source VARCHAR NOT NULL, file VARCHAR NOT NULL,
            line BIGINT NOT NULL, raw_text VARCHAR, reason VARCHAR NOT NULL, {meta})""")
        con.execute("""CREATE TABLE IF NOT EXISTS audit.landed_files (checksum VARCHAR PRIMARY KEY,
            source VARCHAR NOT NULL, file VARCHAR NOT NULL, bytes BIGINT NOT NULL, rows BIGINT NOT NULL,
            rejects BIGINT NOT NULL, batch_id VARCHAR NOT NULL, ingested_at TIMESTAMP NOT NULL,
            modified_ns BIGINT)""")
        con.execute("""CREATE TABLE IF NOT EXISTS audit.files (batch_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
            file VARCHAR NOT NULL, checksum VARCHAR NOT NULL, status VARCHAR NOT NULL, rows BIGINT NOT NULL,
            rejects BIGINT NOT NULL, recorded_at TIMESTAMP NOT NULL)""")
        known: dict[str, list[tuple[str, int, int | None]]] = {}
        for checksum, file, size, mtime in con.execute(
                "SELECT checksum, file, bytes, modified_ns FROM audit.landed_files").fetchall():
            known.setdefault(file, []).append((checksum, size, mtime))
        landed = {c for entries in known.values() for c, _, _ in entries}
        jobs = [(i, name, str(path), rel) for i, (name, path, rel) in enumerate(self.scan())]
        batch: list[dict] = []
        skipped = []
        batch_bytes = 0
        seen = set(landed)
        with ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                 initargs=(self.key, self.work, landed, known)) as pool:
            # A bounded window of files in flight, consumed in landing order.
            window: deque = deque()
            it = iter(jobs)
            for job in it:
                window.append(pool.submit(_prepare, job))
                if len(window) >= 2 * self.workers:
                    break
            while window:
                p = window.popleft().result()
                nxt = next(it, None)
                if nxt is not None:
                    window.append(pool.submit(_prepare, nxt))
                if p["status"] == "error":
                    print(p["error"], file=sys.stderr)
                    continue
                if p["status"] == "skipped" or p["checksum"] in seen:
                    for k in ("rows_path", "rejects_path"):
                        if p.get(k):
                            os.unlink(p[k])
                    skipped.append((self.batch_id, p["source"], p["file"], p["checksum"], "skipped", 0, 0,
                                    self.now()))
                    self.counts["files_skipped"] += 1
                    continue
                seen.add(p["checksum"])
                p["at"] = self.now()
                batch.append(p)
                batch_bytes += p["bytes"]
                if len(batch) >= BATCH_FILES or batch_bytes >= BATCH_BYTES:
                    self.commit(batch)
                    batch, batch_bytes = [], 0
        if batch:
            self.commit(batch)
        if skipped:
            con.executemany("INSERT INTO audit.files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", skipped)
        con.execute("CHECKPOINT")
        return self.counts

    def scan(self):
        for name in SOURCES:
            root = self.landing / name
            if not root.is_dir():
                continue
            days = sorted(d for d in os.listdir(root)
                          if len(d) == 10 and is_date(d) and (root / d).is_dir())
            for day in days:
                for f in sorted(os.listdir(root / day)):
                    if f.startswith((".", "_")) or not (root / day / f).is_file():
                        continue
                    yield name, root / day / f, f"{name}/{day}/{f}"

    def commit(self, batch: list[dict]):
        con = self.con
        con.execute("BEGIN")
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE batch_files (fid INTEGER, source VARCHAR, file VARCHAR, "
                        "checksum VARCHAR, ts TIMESTAMP)")
            con.executemany("INSERT INTO batch_files VALUES (?, ?, ?, ?, ?)",
                            [(b["fid"], b["source"], b["file"], b["checksum"], b["at"]) for b in batch])
            meta_sel = (f"f.ts, CAST(f.ts AS DATE), f.file, '{self.batch_id}', f.checksum")
            for name, src in SOURCES.items():
                staged = [b["rows_path"] for b in batch if b["source"] == name and b["rows"]]
                if not staged:
                    continue
                if src["format"] == "jsonl":
                    con.execute(f"""INSERT INTO raw."{name}"
                        SELECT s.payload, {meta_sel}, s._line
                        FROM read_json(?, format = 'newline_delimited',
                                       columns = {{'_f': 'INTEGER', '_line': 'BIGINT', 'payload': 'JSON'}}) AS s
                        JOIN batch_files AS f ON f.fid = s._f""", [staged])
                else:
                    cols = {c: "VARCHAR" for c in ["_f", "_line"] + src["columns"]}
                    cols["_f"], cols["_line"] = "INTEGER", "BIGINT"
                    spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
                    sel = ", ".join(f's."{c}"' for c in src["columns"])
                    con.execute(f"""INSERT INTO raw."{name}"
                        SELECT {sel}, {meta_sel}, s._line
                        FROM read_csv(?, header = false, auto_detect = false, delim = ',', quote = '"',
                                      escape = '"', columns = {spec}) AS s
                        JOIN batch_files AS f ON f.fid = s._f""", [staged])
            rejects = [b["rejects_path"] for b in batch if b["rejects"]]
            if rejects:
                con.execute(f"""INSERT INTO raw.rejects
                    SELECT f.source, f.file, s.line, s.raw_text, s.reason, {meta_sel}, s.line
                    FROM read_json(?, format = 'newline_delimited',
                                   columns = {{'_f': 'INTEGER', 'line': 'BIGINT', 'reason': 'VARCHAR',
                                               'raw_text': 'VARCHAR'}}) AS s
                    JOIN batch_files AS f ON f.fid = s._f""", [rejects])
            con.executemany("INSERT INTO audit.landed_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(b["checksum"], b["source"], b["file"], b["bytes"], b["rows"], b["rejects"],
                              self.batch_id, b["at"], b["modified_ns"]) for b in batch])
            con.executemany("INSERT INTO audit.files VALUES (?, ?, ?, ?, 'loaded', ?, ?, ?)",
                            [(self.batch_id, b["source"], b["file"], b["checksum"], b["rows"], b["rejects"],
                              b["at"]) for b in batch])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            for b in batch:
                for k in ("rows_path", "rejects_path"):
                    if b.get(k) and os.path.exists(b[k]):
                        os.unlink(b[k])
        self.counts["files_loaded"] += len(batch)
        self.counts["rows"] += sum(b["rows"] for b in batch)
        self.counts["rejects"] += sum(b["rejects"] for b in batch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--landing", required=True)
    ap.add_argument("--db", required=True)
    ap.add_argument("--threads", type=int, default=0, help="DuckDB threads (default: all cores)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes parsing files (default: one per core)")
    a = ap.parse_args()
    key = os.environ.get("PUSHDOWN_PII_KEY")
    key = key.encode() if key else None
    started = time.perf_counter()
    con = duckdb.connect(a.db)
    con.execute("SET TimeZone = 'UTC'")
    if a.threads:
        con.execute(f"SET threads = {a.threads}")
    work = Path(tempfile.mkdtemp(prefix="peer-land-"))
    try:
        counts = Loader(con, Path(a.landing), key, work, a.workers).run()
    finally:
        con.close()
        shutil.rmtree(work, ignore_errors=True)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
