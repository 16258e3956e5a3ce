//! `pushdown status`: recent runs, read from the warehouse's audit tables.

use std::path::Path;

use crate::config::Project;
use crate::error::Result;
use crate::sql::{RecentRuns, Statement};
use crate::warehouse::WarehouseExt;

pub async fn status(project_dir: &Path, target: Option<&str>, limit: u32) -> Result<()> {
    let project = Project::load(project_dir)?;
    let target = project.target(target)?.clone();
    let wh = crate::adapters::connect(&project, &target).await?;
    let sql = &RecentRuns { limit }.render(wh.dialect())[0];
    let rows = match wh.fetch("read audit.runs", sql).await {
        Ok(r) => r,
        Err(_) => {
            println!("no runs recorded yet on target `{}`", target.name);
            return Ok(());
        }
    };
    println!(
        "{:<38} {:>5} {:<10} {:<13} {:<10} {:<26} error",
        "run_id", "seq", "command", "mode", "status", "started_at"
    );
    for r in &rows.rows {
        let cell = |i: usize| {
            r.get(i)
                .map(|v| {
                    if v.is_null() {
                        String::new()
                    } else {
                        v.to_string()
                    }
                })
                .unwrap_or_default()
        };
        let error: String = cell(6).chars().take(80).collect();
        println!(
            "{:<38} {:>5} {:<10} {:<13} {:<10} {:<26} {}",
            cell(0),
            cell(1),
            cell(2),
            cell(3),
            cell(4),
            cell(5),
            error
        );
    }
    Ok(())
}
