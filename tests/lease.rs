//! One writer at a time: the lease in `audit.lease`, and DuckDB's own file
//! lock, raced by real processes.
//!
//! * Two real `pushdown` processes on one DuckDB file: the second waits for
//!   the first and then runs, or gives up after `--lease-wait` as `busy`,
//!   naming the holder's process; nothing is doubled.
//! * The lease row: a live holder on another host blocks a run (busy, named);
//!   an expired lease, or one whose process on this host is gone, is taken
//!   over at once.
//! * Renewal and loss, in process on a real DuckDB: a held lease outlives its
//!   ttl while renewed; a lease taken away stops the work as `busy`.
#![cfg(feature = "duckdb-system")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use pushdown::config::LeaseSettings;
use pushdown::error::FailureKind;
use pushdown::lease::{self, Lease};
use pushdown::run::RunContext;
use pushdown_adapter::Warehouse;
use pushdown_duckdb::{DuckDb, DuckDbSettings};

const PROJECT: &str = r#"
[project]
name = "lease_test"
default_target = "dev"

[targets.dev]
adapter = "duckdb"
path = "target/unused.duckdb"

[[sources]]
name = "sales"
format = "csv"
columns = ["id", "amount"]
required = ["id"]
"#;

const MODEL: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["id"]
latest_by = ["_ingested_at desc", "_line desc"]
*/
SELECT id, CAST(amount AS DECIMAL(18, 2)) AS amount, _ingested_at, _line FROM raw.sales
"#;

struct Setup {
    _dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
    db: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    for (file, text) in [
        ("pushdown.toml", PROJECT),
        ("models/ods/sales_current.sql", MODEL),
    ] {
        let p = project.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let landing = dir.path().join("landing");
    let day = landing.join("sales/2026-01-01");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(day.join("a.csv"), "id,amount\n1,1.50\n2,2.50\n").unwrap();
    let db = dir.path().join("wh.duckdb");
    Setup {
        project,
        landing,
        db,
        _dir: dir,
    }
}

impl Setup {
    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(["run", "--project", self.project.to_str().unwrap()])
            .args(extra)
            .env("PUSHDOWN_LANDING_DIR", &self.landing)
            .env("PUSHDOWN_DUCKDB_PATH", &self.db)
            .env("PUSHDOWN_PII_KEY", PII_KEY)
            .env("PUSHDOWN_LOG", "warn")
            .current_dir(std::env::temp_dir());
        c
    }

    fn result(&self, name: &str) -> PathBuf {
        self.project.parent().unwrap().join(name)
    }
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Starts a run that pauses (holding the file and the lease) at a failpoint
/// and returns once it got there.
fn start_holder(s: &Setup, pause_ms: u64) -> std::process::Child {
    let mut child = s
        .command(&["--result-file", s.result("holder.json").to_str().unwrap()])
        .env(
            "PUSHDOWN_FAILPOINT",
            format!("run:before_transform@{pause_ms}"),
        )
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "the holder ended before its failpoint"
        );
        if line.contains("failpoint run:before_transform") {
            break;
        }
    }
    // Keep draining so the holder never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    child
}

#[test]
fn a_second_process_gives_up_as_busy_naming_the_holder_or_waits_its_turn() {
    let s = setup();
    let mut holder = start_holder(&s, 6000);

    // Gives up after a short wait, naming the process holding the database.
    let started = Instant::now();
    let out = s
        .command(&[
            "--lease-wait",
            "1s",
            "--result-file",
            s.result("busy.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let waited = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        waited >= Duration::from_millis(900),
        "gave up after {waited:?}, before its wait"
    );
    let result = json(&s.result("busy.json"));
    assert_eq!(result["error"]["kind"], "busy", "{result}");
    assert_eq!(result["error"]["retryable"], true);
    let message = result["error"]["message"].as_str().unwrap();
    println!("busy on the file: {message}");
    assert!(message.contains("busy"), "{message}");
    assert!(
        message.contains(&format!("PID {}", holder.id())),
        "the message names the holder's process {}: {message}",
        holder.id()
    );
    assert!(stderr.contains(message.lines().next().unwrap()), "{stderr}");

    // With a wait longer than the holder's pause, the second run waits its turn.
    let waiter = s
        .command(&[
            "--lease-wait",
            "60s",
            "--result-file",
            s.result("waiter.json").to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let holder_was_running = holder.try_wait().unwrap().is_none();
    let held = holder.wait().unwrap();
    let waited = waiter.wait_with_output().unwrap();
    let waiter_stderr = String::from_utf8_lossy(&waited.stderr);
    assert!(held.success(), "the holder failed");
    assert!(
        waited.status.success(),
        "the waiting run failed: {waiter_stderr}"
    );
    if holder_was_running {
        assert!(
            waiter_stderr.contains("held by another process; waiting"),
            "{waiter_stderr}"
        );
    }
    assert_eq!(json(&s.result("holder.json"))["status"], "success");
    assert_eq!(json(&s.result("waiter.json"))["land"]["files_skipped"], 1);

    // Nothing doubled: the file landed once, the model holds each row once,
    // both runs finished, and no lease is left behind.
    assert_eq!(scalar(&s.db, "SELECT count(*) FROM raw.sales"), "2");
    assert_eq!(scalar(&s.db, "SELECT count(*) FROM ods.sales_current"), "2");
    assert_eq!(
        query(
            &s.db,
            "SELECT status, count(*) FROM audit.runs GROUP BY ALL"
        ),
        vec![vec!["success".to_string(), "2".to_string()]]
    );
    assert_eq!(scalar(&s.db, "SELECT count(*) FROM audit.lease"), "0");
}

#[test]
fn a_live_lease_blocks_and_a_stale_one_is_taken_over() {
    let s = setup();
    // A first run creates the tables; its lease is released.
    assert!(s.command(&[]).status().unwrap().success());
    assert_eq!(scalar(&s.db, "SELECT count(*) FROM audit.lease"), "0");
    let runs = || scalar(&s.db, "SELECT count(*) FROM audit.runs");
    assert_eq!(runs(), "1");

    // A run on another host holds the lease and keeps renewing it.
    let hold = |host: &str, pid: u32, expires: &str| {
        execute(
            &s.db,
            &format!(
                "INSERT INTO audit.lease VALUES ('pushdown', 'run-elsewhere', '{host}', {pid}, 'run', 'prod', \
                 CAST(current_timestamp AS TIMESTAMP) - INTERVAL 1 MINUTE, CAST(current_timestamp AS TIMESTAMP) {expires})"
            ),
        )
    };
    hold("airflow-worker-7", 4242, "+ INTERVAL 1 HOUR");
    let out = s
        .command(&[
            "--lease-wait",
            "2s",
            "--result-file",
            s.result("busy.json").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let result = json(&s.result("busy.json"));
    assert_eq!(result["error"]["kind"], "busy", "{result}");
    let message = result["error"]["message"].as_str().unwrap();
    for part in [
        "run-elsewhere",
        "airflow-worker-7",
        "pid 4242",
        "target `prod`",
    ] {
        assert!(message.contains(part), "`{part}` missing: {message}");
    }
    assert_eq!(
        runs(),
        "1",
        "a blocked run writes nothing, not even audit rows"
    );

    // The holder died an hour ago: its lease expired and is taken over.
    execute(&s.db, "DELETE FROM audit.lease");
    hold("airflow-worker-7", 4242, "- INTERVAL 1 SECOND");
    assert!(
        s.command(&["--lease-wait", "0s"])
            .status()
            .unwrap()
            .success(),
        "an expired lease blocked the run"
    );
    assert_eq!(runs(), "2");

    // The holder ran here and its process is gone: no need to wait for expiry.
    let mut dead = Command::new("true").spawn().unwrap();
    let dead_pid = dead.id();
    dead.wait().unwrap();
    hold(&lease::host(), dead_pid, "+ INTERVAL 1 HOUR");
    assert!(
        s.command(&["--lease-wait", "0s"])
            .status()
            .unwrap()
            .success(),
        "a dead local holder blocked the run"
    );
    assert_eq!(runs(), "3");
    assert_eq!(scalar(&s.db, "SELECT count(*) FROM audit.lease"), "0");
}

fn settings(wait_ms: i64, ttl_s: i64) -> LeaseSettings {
    LeaseSettings {
        wait: chrono::Duration::milliseconds(wait_ms),
        ttl: chrono::Duration::seconds(ttl_s),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lease_is_renewed_and_a_lost_one_stops_the_work() {
    let dir = tempfile::tempdir().unwrap();
    let wh = DuckDb::open(DuckDbSettings::at(dir.path().join("wh.duckdb")))
        .await
        .unwrap();
    let a = RunContext::new("dev");
    let b = RunContext::new("dev");

    // Racing takers: exactly one wins.
    let (ra, rb) = tokio::join!(
        Lease::acquire(&wh, &a, "run", settings(0, 3)),
        Lease::acquire(&wh, &b, "run", settings(0, 3)),
    );
    assert!(ra.is_ok() != rb.is_ok(), "{ra:?} {rb:?}");
    let (held, other) = match (ra, rb) {
        (Ok(l), Err(_)) => (l, &b),
        (Err(_), Ok(l)) => (l, &a),
        _ => unreachable!(),
    };
    let holder = lease::read(&wh).await.unwrap().remove(0);

    // Held past its 3 s ttl: renewals keep the other run out.
    let first_expiry = holder.expires_at.clone();
    held.hold(&wh, async {
        tokio::time::sleep(Duration::from_millis(4500)).await;
        let e = Lease::acquire(&wh, other, "run", settings(500, 3))
            .await
            .unwrap_err();
        assert_eq!(e.failure_kind(), Some(FailureKind::Busy));
        assert!(e.to_string().contains(&holder.run_id), "{e}");
        Ok(())
    })
    .await
    .unwrap();
    let renewed = lease::read(&wh).await.unwrap().remove(0);
    assert_eq!(renewed.run_id, holder.run_id);
    assert!(renewed.expires_at > first_expiry, "never renewed");

    // Taken away (this process stalled past its expiry and another run took
    // over): the work stops at the next renewal instead of writing on.
    wh.execute(&["UPDATE audit.lease SET run_id = 'the-new-holder'".to_string()])
        .await
        .unwrap();
    let started = Instant::now();
    let e = held
        .hold(&wh, async {
            tokio::time::sleep(Duration::from_secs(30)).await;
            Ok(())
        })
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(e.failure_kind(), Some(FailureKind::Busy));
    assert!(e.to_string().contains("the-new-holder"), "{e}");

    // Released, the lease is free for the next run.
    wh.execute(&["DELETE FROM audit.lease".to_string()])
        .await
        .unwrap();
    let next = Lease::acquire(&wh, other, "run", settings(0, 3))
        .await
        .unwrap();
    assert_eq!(lease::read(&wh).await.unwrap()[0].run_id, other.run_id);
    next.release(&wh).await;
    assert!(lease::read(&wh).await.unwrap().is_empty());
}
