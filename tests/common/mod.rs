//! Shared helpers of the integration tests: run the real `pushdown` binary
//! as a child process and read the DuckDB file it wrote.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pushdown_adapter::{Value, Warehouse};
use pushdown_duckdb::{DuckDb, DuckDbSettings};

pub const PII_KEY: &str = "test-key-\u{1F511}";

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_pushdown"))
}

pub fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ecommerce")
}

/// `pushdown <args>` with the deployment variables of the outside checks.
pub fn pushdown(args: &[&str], landing: &Path, db: &Path) -> Output {
    Command::new(bin())
        .args(args)
        .env("PUSHDOWN_LANDING_DIR", landing)
        .env("PUSHDOWN_DUCKDB_PATH", db)
        .env("PUSHDOWN_PII_KEY", PII_KEY)
        .env("PUSHDOWN_LOG", "warn")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run pushdown")
}

/// Like [`pushdown`], panicking with the output unless it exits 0.
pub fn pushdown_ok(args: &[&str], landing: &Path, db: &Path) -> Output {
    let out = pushdown(args, landing, db);
    assert!(
        out.status.success(),
        "pushdown {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Rows of a query as text, one string per cell (NULL as `NULL`).
pub fn query(db: &Path, sql: &str) -> Vec<Vec<String>> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let settings = DuckDbSettings::at(db.to_path_buf());
        let wh = DuckDb::open(settings).await.expect("open duckdb");
        let rows = wh.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.rows
            .into_iter()
            .map(|r| r.into_iter().map(|v| text(&v)).collect())
            .collect()
    })
}

/// Runs a statement on the database file, as another tool would.
pub fn execute(db: &Path, sql: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let wh = DuckDb::open(DuckDbSettings::at(db.to_path_buf()))
            .await
            .expect("open duckdb");
        wh.execute(&[sql.to_string()])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    });
}

pub fn text(v: &Value) -> String {
    match v {
        Value::Timestamp(t) => t.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
        other => other.to_string(),
    }
}

pub fn scalar(db: &Path, sql: &str) -> String {
    query(db, sql).remove(0).remove(0)
}

/// Every row of a table, sorted, for comparing two warehouses.
pub fn table(db: &Path, name: &str) -> Vec<Vec<String>> {
    let mut rows = query(db, &format!("SELECT * FROM {name}"));
    rows.sort();
    rows
}
pub mod snowflake;
pub mod targets;
