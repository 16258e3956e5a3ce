//! `pushdown query`: one read-only statement against a target, rows to stdout.

use std::io::Write;
use std::path::Path;

use pushdown_adapter::Value;

use crate::cli::QueryFormat;
use crate::config::Project;
use crate::error::{Error, FailureKind, Result};
use crate::warehouse::WarehouseExt;

pub async fn query(
    project_dir: &Path,
    target: Option<&str>,
    format: QueryFormat,
    sql: &str,
) -> Result<()> {
    let project = Project::load(project_dir)?;
    let target = project.target(target)?.clone();
    let wh = crate::adapters::connect(&project, &target).await?;
    let rows = wh.fetch("the query", sql).await?;
    let mut out = std::io::stdout().lock();
    let written = match format {
        QueryFormat::Tsv => {
            let mut text = rows.columns.join("\t");
            text.push('\n');
            for row in &rows.rows {
                let cells: Vec<String> = row.iter().map(tsv_cell).collect();
                text.push_str(&cells.join("\t"));
                text.push('\n');
            }
            out.write_all(text.as_bytes())
        }
        QueryFormat::Json => rows.rows.iter().try_for_each(|row| {
            let cells: Vec<serde_json::Value> = row.iter().map(json_cell).collect();
            writeln!(out, "{}", serde_json::Value::Array(cells))
        }),
    };
    written.map_err(|e| Error::run(FailureKind::Internal, format!("cannot write the rows: {e}")))
}

/// NULL as `NULL`; tabs, newlines and backslashes escaped so a row stays a line.
fn tsv_cell(v: &Value) -> String {
    if v.is_null() {
        return "NULL".into();
    }
    let mut s = String::new();
    for ch in v.to_string().chars() {
        match ch {
            '\\' => s.push_str("\\\\"),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c => s.push(c),
        }
    }
    s
}

/// Text for every value but NULL, so decimals and timestamps keep every digit.
fn json_cell(v: &Value) -> serde_json::Value {
    match v {
        Value::Null => serde_json::Value::Null,
        other => serde_json::Value::String(other.to_string()),
    }
}
