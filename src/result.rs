//! The machine-readable result of a run (`--result-file`, and always
//! `<target_dir>/run_results.json`), in the spirit of dbt's run_results.json.
//!
//! Airflow pushes it to XCom and Actions steps read it, so its shape is a
//! contract: fields are only ever added. `schema_version` changes if a field
//! ever has to change meaning. It never contains a secret.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, FailureKind};
use crate::land::LandReport;
use crate::transform::TransformReport;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct RunResult {
    pub schema_version: u32,
    pub pushdown_version: &'static str,
    pub command: String,
    pub run_id: String,
    pub project: String,
    pub target: String,
    pub mode: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    /// `success` or `failed`.
    pub status: &'static str,
    pub started_at: String,
    pub finished_at: String,
    pub duration_seconds: f64,
    /// Of `duration_seconds`, the time spent waiting on the warehouse
    /// (statements and loads); the rest is pushdown's own work.
    pub warehouse_seconds: f64,
    /// The most memory pushdown's own code held at once, in bytes, when
    /// built with `heap-stats`: an embedded warehouse's memory is not in it
    /// (see `src/heap.rs`).
    pub peak_heap_bytes: Option<u64>,
    pub error: Option<RunError>,
    pub land: Option<LandReport>,
    pub transform: Option<TransformReport>,
}

#[derive(Debug, Serialize)]
pub struct RunError {
    /// `config`, `usage`, or why a run failed: `gate`, `warehouse`,
    /// `transient`, `input`, `busy`, `internal`.
    pub kind: String,
    pub message: String,
    /// Whether retrying the same command may succeed.
    pub retryable: bool,
}

impl RunError {
    pub fn from(e: &Error) -> Self {
        let kind = match e {
            Error::Config(_) => "config".to_string(),
            Error::Usage(_) => "usage".to_string(),
            Error::Run { kind, .. } => serde_json::to_value(kind)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
        };
        let retryable = matches!(
            e.failure_kind(),
            Some(FailureKind::Transient | FailureKind::Busy)
        );
        Self {
            kind,
            message: e.to_string(),
            retryable,
        }
    }
}

impl RunResult {
    /// Writes the result to each path, creating folders as needed.
    pub fn write(&self, paths: &[PathBuf]) -> std::io::Result<()> {
        let text = serde_json::to_string_pretty(self).expect("the result serializes");
        for path in paths {
            write_atomically(path, &text)?;
        }
        Ok(())
    }
}

/// Readers (Airflow's XCom push, an Actions step) never see a half-written file.
fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
