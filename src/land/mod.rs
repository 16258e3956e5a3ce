//! `pushdown land`: raw files into the warehouse, exactly once, nothing lost.
//!
//! Threads prepare the next files (hash, decode, parse, check, tokenize,
//! stage) while the warehouse loads a batch of the files before them. Each
//! file's records, rejects and ledger row commit in one transaction, keyed
//! by the SHA-256 of the file's bytes: a crash leaves a file either fully
//! landed or not at all, and a rerun lands exactly what is missing.

pub mod lines;
pub mod pii;
pub mod prepare;
pub mod record;
pub mod scan;
pub mod validate;
pub mod workers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use pushdown_adapter::{StagedColumn, StagedFile, StagedFormat, StagedType, Warehouse};
use serde::Serialize;

use crate::config::Project;
use crate::error::{Error, FailureKind, Result};
use crate::progress::Progress;
use crate::run::RunContext;
use crate::sql::{
    CreateLandingTables, CreateRawTable, CreateSchema, FileLoad, LandedChecksums, LoadBatch, Q,
    RecordSkippedFiles, SkippedFile, Statement,
};
use crate::warehouse::{Exec, WarehouseExt};
use pii::Tokenizer;
use prepare::{Known, Prepared, Stat};

/// What landing did, per source and in total.
#[derive(Debug, Default, Clone, Serialize)]
pub struct LandReport {
    pub files_loaded: u64,
    pub files_skipped: u64,
    pub rows: u64,
    pub rejects: u64,
    pub sources: BTreeMap<String, SourceCounts>,
    /// Files that could not be read as a whole; the others still landed.
    pub file_errors: Vec<String>,
    pub ignored: Vec<String>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct SourceCounts {
    pub files_loaded: u64,
    pub files_skipped: u64,
    pub rows: u64,
    pub rejects: u64,
    /// Files skipped because their content landed before under another name
    /// (files this run saw again under their own name are only counted).
    pub skipped_files: Vec<String>,
}

/// Creates the raw schema, the raw tables, the rejects table and the ledger.
pub async fn ensure_tables(wh: &dyn Warehouse, project: &Project) -> Result<()> {
    let d = wh.dialect();
    let q = Q::new(d);
    let mut statements = Vec::new();
    for schema in ["raw", "audit"] {
        statements.extend(
            CreateSchema {
                schema: schema.into(),
            }
            .render(d),
        );
    }
    statements.extend(CreateLandingTables.render(d));
    for s in &project.sources {
        statements.extend(
            CreateRawTable {
                table: q.table("raw", &s.name),
                json: s.format.lands_as_json(),
                columns: s.columns.clone(),
            }
            .render(d),
        );
    }
    wh.run(Exec::new("create raw tables", statements)).await
}

pub async fn land(
    wh: &dyn Warehouse,
    project: &Project,
    run: &RunContext,
    progress: &Progress,
) -> Result<LandReport> {
    let tokenizer = project.pii_key()?.map(|k| Tokenizer::new(&k));
    ensure_tables(wh, project).await?;
    let d = wh.dialect();
    let q = Q::new(d);
    let landed = wh
        .fetch("read the landing ledger", &LandedChecksums.render(d)[0])
        .await?;
    let mut loaded: HashSet<String> = landed
        .rows
        .iter()
        .filter_map(|r| r[0].as_str().map(str::to_owned))
        .collect();
    // Files landed before under the same name are not parsed again, and not
    // even read while their size and modification time are as recorded: an
    // incremental run costs what arrived, not the size of the landing zone.
    // A name may have held several contents over time (rewritten in place):
    // each is known.
    let mut known: HashMap<String, Vec<Known>> = HashMap::new();
    for r in &landed.rows {
        let (Some(checksum), Some(file)) = (r[0].as_str(), r.get(1).and_then(|v| v.as_str()))
        else {
            continue;
        };
        let stat = match (
            r.get(2).and_then(|v| v.as_i64()),
            r.get(3).and_then(|v| v.as_i64()),
        ) {
            (Some(bytes), Some(modified_ns)) => u64::try_from(bytes).ok().map(|bytes| Stat {
                bytes,
                modified_ns: Some(modified_ns),
            }),
            _ => None,
        };
        known.entry(file.to_owned()).or_default().push(Known {
            checksum: checksum.to_owned(),
            stat,
        });
    }
    let known = Arc::new(known);

    let scan = scan::scan(&project.landing, &project.sources).map_err(|e| {
        Error::run(
            FailureKind::Input,
            format!(
                "cannot read the landing zone {}: {e}",
                project.landing.display()
            ),
        )
    })?;
    let mut report = LandReport {
        ignored: scan.ignored,
        ..Default::default()
    };
    for ignored in &report.ignored {
        tracing::warn!(path = %ignored, "ignored in the landing zone");
    }
    let staging = staging_dir(project, &run.run_id)?;

    // A file the ledger recorded under its name, size and modification time
    // is skipped here: sent through the preparing threads, each one cost
    // thread hand-overs for a stat, 0.15 s of a day's run at 299 days of
    // landing zone.
    let mut jobs = Vec::with_capacity(scan.jobs.len());
    let (mut total_bytes, mut skipped_bytes) = (0, 0);
    for job in scan.jobs {
        let stat = std::fs::metadata(&job.path).ok().map(|m| Stat::of(&m));
        let bytes = stat.map_or(0, |s| s.bytes);
        total_bytes += bytes;
        if let Some(stat) = stat
            && let Some(ks) = known.get(&job.rel)
            && prepare::unchanged(ks, stat).is_some()
        {
            tracing::debug!(file = %job.rel, "skipped: landed before");
            let counts = report.sources.entry(job.source).or_default();
            counts.files_skipped += 1;
            report.files_skipped += 1;
            skipped_bytes += bytes;
            continue;
        }
        jobs.push(job);
    }
    let bar = progress.bar("landing", total_bytes);
    bar.inc(skipped_bytes);

    // Files are prepared on every core, up to PREPARED_AHEAD files ahead of
    // the batch being built, and handed over in the scan's order (which
    // decides, among files with the same bytes, the one that lands). A
    // prepared file is a few paths and counts in memory; its records wait on
    // disk.
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    let mut rx = workers::in_order(
        jobs,
        threads,
        PREPARED_AHEAD,
        Arc::new(project.sources.clone()),
        tokenizer.map(Arc::new),
        Arc::clone(&known),
        staging.clone(),
    );

    let mut outcome = Ok(());
    let mut skipped = Vec::new();
    let mut batch = Batch::default();
    let max_bytes = wh.landing_batch_bytes();
    while let Some(prepared) = rx.recv().await {
        let p = match prepared {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(file = %e.file, error = %e.message, "file not landed");
                report.file_errors.push(e.to_string());
                continue;
            }
        };
        bar.inc(p.bytes);
        let counts = report.sources.entry(p.job.source.clone()).or_default();
        if loaded.contains(&p.checksum) || batch.contains(&p.checksum) {
            counts.files_skipped += 1;
            report.files_skipped += 1;
            remove_staged(&p);
            // Seen under this very name by an earlier run, which recorded it:
            // recording it on every run would grow audit.files with the
            // landing zone times the number of runs.
            if known
                .get(&p.job.rel)
                .is_some_and(|ks| ks.iter().any(|k| k.checksum == p.checksum))
            {
                tracing::debug!(file = %p.job.rel, "skipped: landed before");
                continue;
            }
            tracing::info!(file = %p.job.rel, checksum = %p.checksum, "skipped: this content was landed before under another name");
            counts.skipped_files.push(p.job.rel.clone());
            skipped.push(SkippedFile {
                source: p.job.source.clone(),
                file: p.job.rel.clone(),
                checksum: p.checksum.clone(),
            });
            continue;
        }
        let (load, to_stage) = describe(&q, project, &p);
        // A reader over several files sizes its buffers by the longest record
        // of any of them (DuckDB: 16 per thread), so a file with an outsized
        // record is loaded alone rather than making its batch pay for it.
        if (oversized(&load) || batch.ends_before(&load))
            && let Err(e) = commit(wh, run, &mut batch, &mut report, &mut loaded).await
        {
            outcome = Err(e);
            break;
        }
        batch.loads.push(load);
        batch.to_stage.push(to_stage);
        batch.files.push(p);
        if batch.full(max_bytes)
            && let Err(e) = commit(wh, run, &mut batch, &mut report, &mut loaded).await
        {
            outcome = Err(e);
            break;
        }
    }
    if outcome.is_ok() {
        outcome = commit(wh, run, &mut batch, &mut report, &mut loaded).await;
    }
    rx.close().await;
    if outcome.is_ok() {
        outcome = if skipped.is_empty() {
            Ok(())
        } else {
            let record = RecordSkippedFiles {
                run_id: run.run_id.clone(),
                at: chrono::Utc::now().naive_utc(),
                files: skipped,
            };
            wh.run(Exec::new(
                "record the skipped files in audit.files",
                record.render(d),
            ))
            .await
        };
    }
    bar.finish();
    let _ = std::fs::remove_dir_all(&staging);
    outcome?;
    Ok(report)
}

/// A staged file of a batch, owned until the batch is staged as a whole.
struct ToStage {
    path: PathBuf,
    id: String,
    format: StagedFormat,
    columns: Vec<StagedColumn>,
}

impl ToStage {
    fn as_staged(&self) -> StagedFile<'_> {
        StagedFile {
            path: &self.path,
            id: &self.id,
            format: self.format,
            columns: &self.columns,
        }
    }
}

/// A prepared file's load (its staged locations still empty) and its staged
/// records and rejects, which [`commit`] stages with the rest of the batch.
fn describe(q: &Q, project: &Project, p: &Prepared) -> (FileLoad, [Option<ToStage>; 2]) {
    let source = project
        .source(&p.job.source)
        .expect("prepared from a configured source");
    let json = source.format.lands_as_json();
    let rows = (p.rows > 0).then(|| {
        let mut columns = vec![StagedColumn::new("_line", StagedType::Integer)];
        if json {
            columns.push(StagedColumn::new("payload", StagedType::Json));
        } else {
            columns.extend(
                source
                    .columns
                    .iter()
                    .map(|c| StagedColumn::new(c, StagedType::Text)),
            );
        }
        ToStage {
            path: p.staged_rows.clone(),
            id: format!("{}-{}-rows", p.checksum, source.name),
            format: if json {
                StagedFormat::JsonLines
            } else {
                StagedFormat::Csv
            },
            columns,
        }
    });
    let rejects = (p.rejects > 0).then(|| ToStage {
        path: p.staged_rejects.clone(),
        id: format!("{}-{}-rejects", p.checksum, source.name),
        format: StagedFormat::JsonLines,
        columns: vec![
            StagedColumn::new("line", StagedType::Integer),
            StagedColumn::new("reason", StagedType::Text),
            StagedColumn::new("raw_text", StagedType::Text),
        ],
    });
    let now = chrono::Utc::now().naive_utc();
    let load = FileLoad {
        table: q.table("raw", &source.name),
        json,
        columns: source.columns.clone(),
        staged_rows: String::new(),
        staged_rejects: String::new(),
        rows: p.rows,
        rejects: p.rejects,
        bytes: p.bytes,
        // DuckDB's defaults (16 MiB JSON objects, 2 MiB CSV lines) cover
        // ordinary files; a longer record raises the bound for its batch only.
        max_record_bytes: p.longest.max(default_record_bytes(json)),
        source: source.name.clone(),
        file: p.job.rel.clone(),
        checksum: p.checksum.clone(),
        ingested_at: now,
        ingest_date: now.date(),
        modified_ns: p.modified_ns,
    };
    (load, [rows, rejects])
}

/// Stages every file of the batch in one call (a warehouse that loads
/// through requests sends the batch's files together) and fills in each
/// load's staged locations.
async fn stage_files(wh: &dyn Warehouse, batch: &mut Batch, what: &str) -> Result<()> {
    let files: Vec<StagedFile<'_>> = batch
        .to_stage
        .iter()
        .flatten()
        .flatten()
        .map(ToStage::as_staged)
        .collect();
    if files.is_empty() {
        return Ok(());
    }
    let locations = wh.stage_batch(&files).await.map_err(|e| {
        Error::run(
            crate::warehouse::failure_kind(&e),
            format!("{what}: staging failed: {e}"),
        )
    })?;
    if locations.len() != files.len() {
        return Err(Error::run(
            FailureKind::Internal,
            format!(
                "{what}: the adapter staged {} files but returned {} locations",
                files.len(),
                locations.len()
            ),
        ));
    }
    let mut locations = locations.into_iter();
    for (load, [rows, rejects]) in batch.loads.iter_mut().zip(&batch.to_stage) {
        if rows.is_some() {
            load.staged_rows = locations.next().expect("one location per staged file");
        }
        if rejects.is_some() {
            load.staged_rejects = locations.next().expect("one location per staged file");
        }
    }
    Ok(())
}

/// The longest record DuckDB's readers take by default (16 MiB JSON objects,
/// 2 MiB CSV lines); other warehouses' limits are larger.
fn default_record_bytes(json: bool) -> u64 {
    if json { 16 << 20 } else { 2 << 20 }
}

fn oversized(load: &FileLoad) -> bool {
    load.max_record_bytes > default_record_bytes(load.json)
}

/// Files committed together. Each file is still all-or-nothing (its rows,
/// rejects and ledger row are in the same transaction); batching only spares
/// the warehouse a commit per small file, which dominated landing time.
#[derive(Default)]
struct Batch {
    files: Vec<Prepared>,
    /// Each file's load, in the order of `files`.
    loads: Vec<FileLoad>,
    /// Each file's staged records and rejects, in the order of `files`.
    to_stage: Vec<[Option<ToStage>; 2]>,
}

/// How many files the preparing threads may run ahead of the batch being
/// built: enough to have the next batch's first files ready when a commit
/// ends, few enough to bound the staged files on disk.
const PREPARED_AHEAD: usize = 64;

impl Batch {
    /// Few large loads beat many small ones: DuckDB writes an insert's full
    /// row groups (122,880 rows) straight to the database file, but logs a
    /// smaller one and rewrites it at the next checkpoint, and the partial
    /// row group each insert leaves is merged with its neighbours there too.
    /// Measured on the reference zones (BENCHMARKS.md): batches of 64 files
    /// that mixed sources landed 1x in 4.4-4.5 s; one table per batch up to
    /// 4 row groups / 128 MiB, 3.4-3.9 s at 1x but 30-32 s at 10x; up to 32
    /// row groups / 512 MiB, the same at 1x and 24-25 s at 10x (DuckDB busy
    /// 18-19 s instead of 28-29 s). Larger gave nothing more. The bytes are
    /// the warehouse's to bound ([`Warehouse::landing_batch_bytes`]): a
    /// remote one holds a batch in memory to upload it.
    const MAX_FILES: usize = 1024;
    const TABLE_ROWS: u64 = 122_880;
    const MAX_ROWS: u64 = 32 * Self::TABLE_ROWS;

    fn full(&self, max_bytes: u64) -> bool {
        self.files.len() >= Self::MAX_FILES
            || self.files.iter().map(|f| f.bytes).sum::<u64>() >= max_bytes
            || self.files.iter().map(|f| f.rows).sum::<u64>() >= Self::MAX_ROWS
            || self.loads.iter().any(oversized)
    }

    /// Whether the batch is committed before `next`, of another table: once
    /// the batch holds a load's worth of rows for its table. Smaller loads
    /// of several tables (an incremental day's few files) still share one
    /// commit.
    fn ends_before(&self, next: &FileLoad) -> bool {
        let Some(last) = self.loads.last() else {
            return false;
        };
        last.table != next.table
            && self
                .loads
                .iter()
                .filter(|l| l.table == last.table)
                .map(|l| l.rows)
                .sum::<u64>()
                >= Self::TABLE_ROWS
    }

    /// The stage locations the loads read, to release once committed.
    fn staged(&self) -> Vec<String> {
        self.loads
            .iter()
            .flat_map(|l| [&l.staged_rows, &l.staged_rejects])
            .filter(|l| !l.is_empty())
            .cloned()
            .collect()
    }

    fn contains(&self, checksum: &str) -> bool {
        self.files.iter().any(|f| f.checksum == checksum)
    }
}

/// Commits the batch's files in one transaction and accounts for them.
async fn commit(
    wh: &dyn Warehouse,
    run: &RunContext,
    batch: &mut Batch,
    report: &mut LandReport,
    loaded: &mut HashSet<String>,
) -> Result<()> {
    if batch.files.is_empty() {
        return Ok(());
    }
    let mut batch = std::mem::take(batch);
    let names: Vec<&str> = batch.files.iter().map(|f| f.job.rel.as_str()).collect();
    let what = if names.len() == 1 {
        format!("land {}", names[0])
    } else {
        format!(
            "land {} files ({} .. {})",
            names.len(),
            names[0],
            names[names.len() - 1]
        )
    };
    stage_files(wh, &mut batch, &what).await?;
    crate::failpoint::hit("land:before_commit");
    let staged = batch.staged();
    let load = LoadBatch::new(run.run_id.clone(), run.run_id.clone(), batch.loads);
    let result = wh.run(Exec::new(what, load.render(wh.dialect()))).await;
    let _ = wh.unstage_batch(&staged).await;
    result?;
    for p in &batch.files {
        tracing::info!(file = %p.job.rel, rows = p.rows, rejects = p.rejects, "landed");
        let counts = report.sources.entry(p.job.source.clone()).or_default();
        counts.files_loaded += 1;
        counts.rows += p.rows;
        counts.rejects += p.rejects;
        report.files_loaded += 1;
        report.rows += p.rows;
        report.rejects += p.rejects;
        loaded.insert(p.checksum.clone());
        remove_staged(p);
    }
    crate::failpoint::hit("land:after_commit");
    Ok(())
}

/// A fresh folder for this run's staged batches: under the project's target
/// folder, or under the system's temporary folder when the project is
/// read-only (a deployment may mount it so).
fn staging_dir(project: &Project, run_id: &str) -> Result<PathBuf> {
    let mut last_error = None;
    let own = project.target_dir.join("staging");
    sweep_stale(&own);
    for root in [own, std::env::temp_dir().join("pushdown-staging")] {
        let dir = root.join(run_id);
        match std::fs::create_dir_all(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last_error = Some(format!("{}: {e}", dir.display())),
        }
    }
    Err(Error::run(
        FailureKind::Input,
        format!(
            "cannot create a staging folder ({})",
            last_error.unwrap_or_default()
        ),
    ))
}

/// Removes staging folders left by runs that died. Other runs of the same
/// project (against another target or landing zone) may be staging right
/// now, so only folders untouched for a day are swept.
fn sweep_stale(root: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    for entry in entries.flatten() {
        let stale = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > day);
        if stale {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn remove_staged(p: &Prepared) {
    let _ = std::fs::remove_file(&p.staged_rows);
    let _ = std::fs::remove_file(&p.staged_rejects);
}
