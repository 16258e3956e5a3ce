//! Crash anywhere: `pushdown run` on the reference pipeline with generated
//! data, killed for real (SIGKILL at a random moment, or an abort at a named
//! point picked at random) once or twice, then rerun. After every crash and
//! rerun the warehouse equals an uninterrupted run's, table by table, row by
//! row, and `audit.runs` shows each crashed run as not finished (`abandoned`).
//!
//! The schedule comes from a printed seed (`PUSHDOWN_TEST_SEED` replays it);
//! `PUSHDOWN_CRASH_POINTS` sets how many kill points are tried (12 by
//! default, to keep CI within a minute or two; raise it for a soak).
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const SOURCES: [&str; 5] = [
    "orders_events",
    "payments_events",
    "shipments_events",
    "customers",
    "fx_rates",
];

const TABLES: [&str; 13] = [
    "ods.orders_current",
    "ods.payments_current",
    "ods.shipment_milestones",
    "ods.fx_rates",
    "dw.dim_customer",
    "dw.dim_date",
    "dw.fact_orders",
    "dw.fact_shipments",
    "mart.revenue_daily",
    "mart.sla_breaches_daily",
    "raw.rejects",
    "audit.landed_files",
    "audit.files",
];

/// Every table's rows, sorted. Ingestion metadata differs by nature between
/// two warehouses (wall-clock `_ingested_at`, batch and run ids), so it is
/// projected away; everything else must match exactly.
fn state(db: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    let raw = SOURCES.iter().map(|s| format!("raw.{s}"));
    for t in raw.chain(TABLES.iter().map(|t| t.to_string())) {
        let sql = match t.as_str() {
            t if t.starts_with("raw.") && t != "raw.rejects" => {
                format!("SELECT * EXCLUDE (_ingested_at, _ingest_date, _batch_id) FROM {t}")
            }
            "raw.rejects" => format!("SELECT source, file, line, raw_text, reason FROM {t}"),
            t if t.starts_with("ods.") => {
                format!("SELECT * EXCLUDE (_ingested_at) FROM {t}")
            }
            "audit.landed_files" => {
                format!("SELECT checksum, source, file, bytes, rows, rejects FROM {t}")
            }
            // A file seen by several runs (crashed ones included) is recorded
            // by each; what counts is which files were landed, once each.
            "audit.files" => {
                format!("SELECT DISTINCT source, file, checksum FROM {t} WHERE status = 'loaded'")
            }
            t => format!("SELECT * FROM {t}"),
        };
        let mut rows = query(db, &sql);
        rows.sort();
        out.push((t, rows));
    }
    out
}

fn assert_same(
    want: &[(String, Vec<Vec<String>>)],
    got: &[(String, Vec<Vec<String>>)],
    what: &str,
) {
    for ((t, a), (_, b)) in want.iter().zip(got) {
        if a != b {
            let first = a
                .iter()
                .zip(b)
                .find(|(x, y)| x != y)
                .map(|(x, y)| format!("\n  uninterrupted: {x:?}\n  crashed+rerun: {y:?}"))
                .unwrap_or_default();
            panic!(
                "{what}: {t} differs from the uninterrupted run ({} rows vs {}){first}",
                a.len(),
                b.len()
            );
        }
    }
}

/// xorshift64: a schedule replayable from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// A DuckDB file and its write-ahead log, copied as a closed database.
fn copy_db(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap();
    let wal = |p: &Path| PathBuf::from(format!("{}.wal", p.display()));
    let _ = std::fs::remove_file(wal(to));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).unwrap();
    }
}

struct Pipeline {
    project: PathBuf,
    landing: PathBuf,
}

impl Pipeline {
    fn command(&self, db: &Path) -> Command {
        let mut c = Command::new(bin());
        c.args([
            "run",
            "--project",
            self.project.to_str().unwrap(),
            "--mode",
            "incremental",
        ])
        .env("PUSHDOWN_LANDING_DIR", &self.landing)
        .env("PUSHDOWN_DUCKDB_PATH", db)
        .env("PUSHDOWN_PII_KEY", PII_KEY)
        .env("PUSHDOWN_LOG", "error")
        .current_dir(std::env::temp_dir())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        c
    }
}

/// How one crash is caused.
#[derive(Debug, Clone)]
enum Kill {
    /// SIGKILL this long after the start.
    After(Duration),
    /// Abort at a named point (`PUSHDOWN_FAILPOINT`).
    At(String),
}

/// Runs once with the kill; whether the process died before finishing.
fn crash(p: &Pipeline, db: &Path, kill: &Kill) -> bool {
    let mut c = p.command(db);
    match kill {
        Kill::At(point) => {
            c.env("PUSHDOWN_FAILPOINT", point);
            !c.status().unwrap().success()
        }
        Kill::After(delay) => {
            let mut child = c.spawn().unwrap();
            let deadline = Instant::now() + *delay;
            while Instant::now() < deadline {
                if let Some(status) = child.try_wait().unwrap() {
                    assert!(status.success(), "an uninterrupted run failed");
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            child.kill().unwrap();
            child.wait().unwrap();
            true
        }
    }
}

fn models(project: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for schema in std::fs::read_dir(project.join("models")).unwrap() {
        let schema = schema.unwrap();
        for file in std::fs::read_dir(schema.path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".sql").filter(|s| !s.contains('.')) {
                out.push(format!("{}.{stem}", schema.file_name().to_string_lossy()));
            }
        }
    }
    out.sort();
    out
}

/// Files that arrived on these dates, over every source.
fn files_of(landing: &Path, dates: &[chrono::NaiveDate]) -> usize {
    let mut n = 0;
    for source in std::fs::read_dir(landing).unwrap() {
        for day in dates {
            if let Ok(entries) =
                std::fs::read_dir(source.as_ref().unwrap().path().join(day.to_string()))
            {
                n += entries.count();
            }
        }
    }
    n
}

fn runs(db: &Path) -> Vec<(String, String)> {
    query(db, "SELECT run_id, status FROM audit.runs ORDER BY run_id")
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect()
}

#[test]
fn a_run_killed_anywhere_is_finished_by_the_next_run_as_if_never_interrupted() {
    let seed: u64 = std::env::var("PUSHDOWN_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let points: usize = std::env::var("PUSHDOWN_CRASH_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(12);
    println!("crash schedule seed: {seed} (PUSHDOWN_TEST_SEED={seed} replays it)");
    let mut rng = Rng(seed | 1);

    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let cfg = ecommerce_gen::Config {
        days: 4,
        ..ecommerce_gen::Config::small(20261125)
    };
    let summary = ecommerce_gen::generate(&cfg, &all).unwrap();
    let p = Pipeline {
        project: example(),
        landing: dir.path().join("landing"),
    };
    let dates = &summary.arrival_dates;
    let split = dates.len() / 2;

    // The warehouse before the crashed run: the first days, run cleanly.
    let base = dir.path().join("base.duckdb");
    for day in &dates[..split] {
        ecommerce_gen::copy_arrival_day(&all, &p.landing, *day).unwrap();
    }
    assert!(p.command(&base).status().unwrap().success());
    let base_runs = runs(&base).len();
    // The rest arrives; the next run lands and transforms it.
    for day in &dates[split..] {
        ecommerce_gen::copy_arrival_day(&all, &p.landing, *day).unwrap();
    }
    let files = files_of(&p.landing, &dates[split..]);

    let reference = dir.path().join("reference.duckdb");
    copy_db(&base, &reference);
    let started = Instant::now();
    assert!(p.command(&reference).status().unwrap().success());
    let took = started.elapsed();
    let want = state(&reference);
    println!(
        "uninterrupted run: {took:?}, {files} new files, {} rows in raw",
        want.iter()
            .filter(|(t, _)| t.starts_with("raw."))
            .map(|(_, r)| r.len())
            .sum::<usize>()
    );

    let models = models(&p.project);
    let named = |rng: &mut Rng| -> String {
        let model = &models[rng.below(models.len() as u64) as usize];
        let file = 1 + rng.below(files as u64);
        match rng.below(8) {
            0 => format!("land:mid_file#{}", 1 + rng.below(2)),
            1 => format!("land:before_commit#{file}"),
            2 => format!("land:after_commit#{file}"),
            3 => "run:after_begin".into(),
            4 => "run:before_transform".into(),
            5 => format!("transform:before_publish:{model}"),
            6 => format!("transform:after_publish:{model}"),
            _ => "transform:before_finish".into(),
        }
    };

    let (mut tried, mut killed) = (0, 0);
    let mut case = 0;
    while tried < points {
        case += 1;
        let db = dir.path().join(format!("crash-{case}.duckdb"));
        copy_db(&base, &db);
        // One crash, sometimes a second one during the recovery run.
        let crashes = if rng.below(4) == 0 { 2 } else { 1 };
        let mut unfinished = std::collections::BTreeSet::new();
        let mut finished = 0;
        let mut schedule = Vec::new();
        for _ in 0..crashes {
            let kill = if rng.below(2) == 0 {
                Kill::At(named(&mut rng))
            } else {
                // Anywhere in the run, a little past its usual end included.
                let ms = rng.below(took.as_millis() as u64 * 11 / 10 + 1);
                Kill::After(Duration::from_millis(ms))
            };
            let died = crash(&p, &db, &kill);
            tried += 1;
            schedule.push(format!(
                "{kill:?} -> {}",
                if died { "killed" } else { "finished first" }
            ));
            if !died {
                finished += 1;
                continue;
            }
            killed += 1;
            // The run is recorded as running before it writes anything else,
            // so a kill after that point leaves it visibly unfinished.
            let now = runs(&db);
            let running: Vec<&String> = now
                .iter()
                .filter(|(_, s)| s == "running")
                .map(|(id, _)| id)
                .collect();
            assert!(running.len() <= 1, "case {case}: {now:?}");
            if matches!(kill, Kill::At(_)) {
                assert_eq!(
                    running.len(),
                    1,
                    "case {case} {kill:?}: the crashed run is not shown as running"
                );
            }
            unfinished.extend(running.into_iter().cloned());
        }
        println!("case {case}: {}", schedule.join("; "));

        // The next run cleans up and finishes the work.
        assert!(
            p.command(&db).status().unwrap().success(),
            "case {case}: the run after the crash failed"
        );
        assert_same(
            &want,
            &state(&db),
            &format!("case {case} ({})", schedule.join("; ")),
        );
        let after = runs(&db);
        let count = |status: &str| after.iter().filter(|(_, s)| s == status).count();
        assert_eq!(count("running"), 0, "case {case}: {after:?}");
        let abandoned: std::collections::BTreeSet<String> = after
            .iter()
            .filter(|(_, s)| s == "abandoned")
            .map(|(id, _)| id.clone())
            .collect();
        assert_eq!(abandoned, unfinished, "case {case}: {after:?}");
        assert_eq!(
            after.last().map(|(_, s)| s.as_str()),
            Some("success"),
            "case {case}"
        );
        // A run killed after recording its end (while releasing its lease or
        // writing its result file) counts as a success: it was one.
        assert_eq!(count("failed"), 0, "case {case}: {after:?}");
        let successes = count("success");
        assert!(
            (base_runs + finished + 1..=base_runs + crashes + 1).contains(&successes),
            "case {case}: {after:?}"
        );
        assert_eq!(scalar(&db, "SELECT count(*) FROM audit.lease"), "0");
        std::fs::remove_file(&db).ok();
    }
    println!(
        "kill points tried: {tried} ({killed} killed the run, the rest finished first), seed {seed}"
    );
}
