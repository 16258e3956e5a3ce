//! `pushdown render` and `pushdown validate`: everything that needs no
//! connection and no secret, for reviews and for CI.

use std::path::Path;

use pushdown_adapter::Dialect;

use crate::config::Project;
use crate::error::{Error, Result};
use crate::sql::*;
use crate::transform::Mode;
use crate::transform::dag::{Dag, projection_columns};
use crate::transform::model::{Materialization, Model};
use crate::transform::names::Names;
use crate::transform::stage::build_stage;

/// The statements that build and publish `m` in `mode`, as a first run
/// would submit them (incremental key discovery needs the warehouse's
/// watermarks, so it is shown as the first build it starts with).
pub fn model_statements(q: &Q, m: &Model, mode: Mode) -> Vec<String> {
    let d = q.dialect;
    let n = Names::of(q, m);
    let sql = m.sql.clone();
    let mut out = CreateSchema {
        schema: m.schema.clone(),
    }
    .render(d);
    if m.materialized == Materialization::View {
        out.extend(
            CreateView {
                target: n.target,
                select: sql,
            }
            .render(d),
        );
        return out;
    }
    let scope = match (mode, crate::transform::engine::dated_partition(m)) {
        (Mode::Backfill { start, end }, Some(p)) => Scope::Range {
            column: p.clone(),
            start,
            end,
        },
        _ => Scope::All,
    };
    let columns = projection_columns(&sql).unwrap_or_else(|| vec!["*".into()]);
    out.extend(build_stage(
        d,
        m,
        &n.stage,
        &sql,
        scope.clone(),
        columns.clone(),
    ));
    let kind = if scope == Scope::All {
        PublishKind::Replace
    } else {
        PublishKind::Partitions
    };
    out.extend(
        Publish {
            kind,
            target: n.target,
            stage: n.stage,
            delta: n.delta,
            scope,
            keys: m.unique_key.clone(),
            columns,
            partition_by: m.partition_by.clone(),
            partition_timestamps: false,
            create: false,
            // Offline there is no delta to narrow the publish by.
            by_delta: false,
        }
        .render(d),
    );
    out
}

pub fn render(project_dir: &Path, dialect: &str, mode: Mode, select: &[String]) -> Result<()> {
    let d = Dialect::from_name(dialect).ok_or_else(|| {
        Error::Usage(format!(
            "unknown dialect `{dialect}` (duckdb, snowflake, bigquery)"
        ))
    })?;
    let project = Project::load(project_dir)?;
    let dag = crate::transform::load(&project)?;
    let selected = crate::transform::select(&dag, select)?;
    let q = Q::new(d);
    for m in dag.models.iter().filter(|m| selected.contains(&m.id())) {
        println!(
            "-- model {} ({}) [{}]",
            m.id(),
            m.file
                .strip_prefix(&project.dir)
                .unwrap_or(&m.file)
                .display(),
            m.materialized.name()
        );
        for s in model_statements(&q, m, mode) {
            println!("{s};\n");
        }
    }
    Ok(())
}

/// `render --dry-run`: the statements of [`render`] in the target's dialect,
/// each preceded by what the target's warehouse says it would process. A
/// statement reading a table an earlier statement creates (a model's stage)
/// cannot be estimated before that table exists; it says so and the listing
/// goes on. Nothing runs.
pub async fn dry_run(
    project_dir: &Path,
    target: Option<&str>,
    mode: Mode,
    select: &[String],
) -> Result<()> {
    let project = Project::load(project_dir)?;
    let target = project.target(target)?.clone();
    let dag = crate::transform::load(&project)?;
    let selected = crate::transform::select(&dag, select)?;
    let wh = crate::adapters::connect(&project, &target).await?;
    let q = Q::new(wh.dialect());
    let mut total: u64 = 0;
    let mut unknown = 0usize;
    for m in dag.models.iter().filter(|m| selected.contains(&m.id())) {
        println!("-- model {} [{}]", m.id(), m.materialized.name());
        for s in model_statements(&q, m, mode) {
            match wh.estimate(&s).await {
                Ok(Some(bytes)) => {
                    total += bytes;
                    println!("-- dry run: {bytes} bytes processed");
                }
                Ok(None) => {
                    unknown += 1;
                    println!("-- dry run: {} gives no estimate", wh.dialect());
                }
                Err(e) => {
                    unknown += 1;
                    println!(
                        "-- dry run: not estimated: {}",
                        e.message.lines().next().unwrap_or("").trim()
                    );
                }
            }
            println!("{s};\n");
        }
    }
    println!(
        "-- total: {total} bytes processed by the estimated statements; {unknown} not estimated"
    );
    Ok(())
}

/// Loads the project and its models and renders every statement in every
/// dialect; reports all problems at once.
pub fn validate(project_dir: &Path) -> Result<()> {
    let project = Project::load(project_dir)?;
    let unknown: Vec<crate::error::ConfigProblem> = project
        .targets
        .values()
        .filter(|t| !crate::adapters::KNOWN.contains(&t.adapter.as_str()))
        .map(|t| crate::error::ConfigProblem {
            file: project.file.clone(),
            line: None,
            field: Some(format!("targets.{}.adapter", t.name)),
            message: format!(
                "unknown adapter `{}` (known: {})",
                t.adapter,
                crate::adapters::KNOWN.join(", ")
            ),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(Error::Config(unknown));
    }
    let dag: Dag = crate::transform::load(&project)?;
    for d in Dialect::ALL {
        let q = Q::new(d);
        for m in &dag.models {
            for mode in [Mode::FullRefresh, Mode::Incremental] {
                let _ = model_statements(&q, m, mode);
            }
        }
    }
    println!(
        "{}: {} source(s), {} model(s), {} target(s): ok",
        project.file.display(),
        project.sources.len(),
        dag.models.len(),
        project.targets.len()
    );
    Ok(())
}
