//! The warehouse refusing a statement mid-run, for real: a NOT NULL
//! constraint someone added to a published table, violated by new data. The
//! run fails cleanly (exit 1, kind `warehouse`) naming the model, its file,
//! the statement and the warehouse's message; the refused model and
//! everything downstream stay exactly as they were, row by row; the run is
//! recorded as failed; and once the constraint is gone the next run ends in
//! the same state as a warehouse that never saw the refusal.
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::{Path, PathBuf};

use common::*;

const PROJECT: &str = r#"
[project]
name = "refusal_test"
default_target = "dev"

[targets.dev]
adapter = "duckdb"
path = "target/unused.duckdb"

[[sources]]
name = "sales"
format = "csv"
columns = ["id", "region", "amount"]
required = ["id"]
types = { amount = "decimal" }
"#;

const ODS: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["id"]
latest_by = ["_ingested_at desc", "_line desc"]
*/
SELECT id, region, CAST(amount AS DECIMAL(18, 2)) AS amount, _ingested_at, _line FROM raw.sales
"#;

const FACT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["id"]

[upstream."ods.sales_current"]
via = "id"
*/
SELECT id, region, amount FROM ods.sales_current
"#;

const MART: &str = r#"/* pushdown
materialized = "table"
*/
SELECT region, count(*) AS sales, sum(amount) AS amount FROM dw.fact_sales GROUP BY region
"#;

struct Setup {
    _dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    for (file, text) in [
        ("pushdown.toml", PROJECT),
        ("models/ods/sales_current.sql", ODS),
        ("models/dw/fact_sales.sql", FACT),
        ("models/mart/sales_by_region.sql", MART),
    ] {
        let p = project.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let landing = dir.path().join("landing");
    Setup {
        project,
        landing,
        _dir: dir,
    }
}

impl Setup {
    fn arrive(&self, day: &str, csv: &str) {
        let p = self.landing.join(format!("sales/{day}/sales.csv"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, csv).unwrap();
    }

    fn run(&self, db: &Path, result: &Path) -> std::process::Output {
        pushdown(
            &[
                "run",
                "--project",
                self.project.to_str().unwrap(),
                "--result-file",
                result.to_str().unwrap(),
            ],
            &self.landing,
            db,
        )
    }
}

const MODELS: [&str; 3] = ["ods.sales_current", "dw.fact_sales", "mart.sales_by_region"];

fn published(db: &Path) -> Vec<Vec<Vec<String>>> {
    MODELS
        .iter()
        .map(|t| {
            if *t == "ods.sales_current" {
                let mut rows = query(db, &format!("SELECT * EXCLUDE (_ingested_at) FROM {t}"));
                rows.sort();
                rows
            } else {
                table(db, t)
            }
        })
        .collect()
}

#[test]
fn a_refused_statement_fails_the_run_by_name_and_leaves_published_tables_as_they_were() {
    let s = setup();
    let dir = s.landing.parent().unwrap().to_path_buf();
    let db = dir.join("wh.duckdb");
    let result = dir.join("result.json");
    s.arrive("2026-01-01", "id,region,amount\n1,EU,10.00\n2,US,20.00\n");
    assert!(s.run(&db, &result).status.success());

    // Someone tightens a published table; the next delivery breaks the rule.
    query(
        &db,
        "ALTER TABLE dw.fact_sales ALTER COLUMN region SET NOT NULL",
    );
    let before = published(&db);
    s.arrive("2026-01-02", "id,region,amount\n2,US,25.00\n3,,30.00\n");
    let out = s.run(&db, &result);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");

    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    assert_eq!(r["error"]["kind"], "warehouse", "{r}");
    assert_eq!(r["error"]["retryable"], false);
    let message = r["error"]["message"].as_str().unwrap();
    println!("{message}");
    for part in [
        "model dw.fact_sales",
        "models/dw/fact_sales.sql",
        "the warehouse refused it",
        "statement",
        "NOT NULL constraint failed",
    ] {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
    assert!(stderr.contains("model dw.fact_sales"), "{stderr}");

    // The refused model and its reader are exactly as they were; the
    // upstream published its own, consistent change before the refusal.
    let after = published(&db);
    assert_eq!(after[1], before[1], "dw.fact_sales changed");
    assert_eq!(after[2], before[2], "mart.sales_by_region changed");
    assert_eq!(
        query(&db, "SELECT id, amount FROM ods.sales_current ORDER BY id"),
        vec![
            vec!["1".to_string(), "10.00".to_string()],
            vec!["2".to_string(), "25.00".to_string()],
            vec!["3".to_string(), "30.00".to_string()],
        ]
    );
    // The run is recorded as failed, with the same message.
    let runs = query(
        &db,
        "SELECT status, error FROM audit.runs ORDER BY started_at",
    );
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1][0], "failed");
    assert!(runs[1][1].contains("model dw.fact_sales"), "{:?}", runs[1]);

    // Constraint lifted, the next run finishes the work: the same state as a
    // warehouse that took both deliveries without any refusal.
    query(
        &db,
        "ALTER TABLE dw.fact_sales ALTER COLUMN region DROP NOT NULL",
    );
    let out = s.run(&db, &result);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let clean = dir.join("clean.duckdb");
    assert!(s.run(&clean, &dir.join("clean.json")).status.success());
    assert_eq!(published(&db), published(&clean));
    assert_eq!(
        scalar(
            &db,
            "SELECT count(*) FROM dw.fact_sales WHERE region IS NULL"
        ),
        "1"
    );
}
