//! Running models inside the warehouse, write-audit-publish.
//!
//! For every selected model, in DAG order:
//!
//! 1. **Scope**: a full build, a backfill range, or — incrementally — the keys
//!    (or partitions) touched by what changed upstream since this model's
//!    watermarks. Raw upstreams change by ingestion time (widened by the
//!    lookback); model upstreams publish a change log (old and new versions of
//!    every row they changed, stamped with the run's sequence number), so a
//!    refund landing weeks late reaches the old order's partition, however old.
//! 2. **Build** the scope's rows into a staging table.
//! 3. **Delta**: the rows that really differ from what is published. An
//!    empty delta publishes nothing: reruns change nothing.
//! 4. **Gates** run on the table as it would be after publishing.
//! 5. **Publish** in one transaction: the rows, the change log entries, the
//!    advanced watermarks and the audit rows. A crash before the commit leaves
//!    the published table and every watermark as they were, so the next run
//!    redoes exactly this work.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::{NaiveDate, NaiveDateTime};
use pushdown_adapter::{Rows, Value, Warehouse};
use serde::Serialize;

use super::dag::{Dag, Reference, references, substitute};
use super::model::{Check, CheckKind, Materialization, Model, Severity, Via, dialect_variant};
use super::names::{Names, split_id};
use super::position::RawPosition;
use crate::config::Project;
use crate::error::{Error, FailureKind, Result};
use crate::run::RunContext;
use crate::sql::*;
use crate::warehouse::{Exec, WarehouseExt};

/// Which partitions and keys a run recomputes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// What changed since the last run (watermark + lookback + changed keys).
    Incremental,
    /// Exactly the partitions in [start, end]; unpartitioned models catch up
    /// incrementally so the partitions are computed from current state.
    Backfill { start: NaiveDate, end: NaiveDate },
    /// Everything, from raw.
    FullRefresh,
}

impl Mode {
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Incremental => "incremental",
            Mode::Backfill { .. } => "backfill",
            Mode::FullRefresh => "full-refresh",
        }
    }

    pub fn range(&self) -> (Option<NaiveDate>, Option<NaiveDate>) {
        match self {
            Mode::Backfill { start, end } => (Some(*start), Some(*end)),
            _ => (None, None),
        }
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct TransformReport {
    pub run_seq: i64,
    pub models: Vec<ModelReport>,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct ModelReport {
    pub model: String,
    pub file: String,
    pub materialization: String,
    /// `success`, `unchanged` (nothing to publish), `failed` (a gate or the
    /// warehouse refused), `skipped` (an upstream failed).
    pub status: String,
    /// `full`, `incremental`, `backfill` or `none`.
    pub build: String,
    pub partitions: Vec<String>,
    pub partitions_count: u64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_deleted: i64,
    pub started_at: String,
    pub duration_seconds: f64,
    pub checks: Vec<CheckReport>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub name: String,
    #[serde(rename = "type")]
    pub check_type: String,
    pub severity: String,
    /// `pass`, `fail` or `warn`.
    pub status: String,
    pub offending: i64,
    pub threshold: Option<String>,
}

pub struct Engine<'a> {
    pub wh: &'a dyn Warehouse,
    pub project: &'a Project,
    pub dag: &'a Dag,
    pub run: &'a RunContext,
    pub mode: Mode,
    pub selected: BTreeSet<String>,
    q: Q,
    run_seq: i64,
    watermarks: BTreeMap<(String, String), String>,
    /// Models whose gate or build failed this run: their downstream is skipped.
    failed: BTreeSet<String>,
    /// (model, check name, check type) of the gates each model passed at
    /// its last publish.
    passed: BTreeSet<(String, String, String)>,
    /// (schema, name) of relations found to exist: a run drops none of its
    /// tables, views or change logs, so each is looked up until found once.
    seen: std::sync::Mutex<BTreeSet<(String, String)>>,
}

/// The work one model does in this run, decided before anything is written.
struct Plan {
    scope: Scope,
    build: &'static str,
    /// Watermarks to record on publish: (upstream, value).
    advance: Vec<(String, String)>,
}

impl<'a> Engine<'a> {
    pub fn new(
        wh: &'a dyn Warehouse,
        project: &'a Project,
        dag: &'a Dag,
        run: &'a RunContext,
        mode: Mode,
        selected: BTreeSet<String>,
    ) -> Self {
        let q = Q::new(wh.dialect());
        Self {
            wh,
            project,
            dag,
            run,
            mode,
            selected,
            q,
            run_seq: 0,
            watermarks: BTreeMap::new(),
            failed: BTreeSet::new(),
            passed: BTreeSet::new(),
            seen: Default::default(),
        }
    }

    fn d(&self) -> pushdown_adapter::Dialect {
        self.q.dialect
    }

    /// Creates the audit tables, marks runs that died as abandoned, and
    /// records this run as running.
    pub async fn begin(&mut self, command: &str) -> Result<()> {
        let d = self.d();
        self.wh
            .run(Exec::new(
                "create the audit tables",
                CreateRunTables.render(d),
            ))
            .await?;
        let seq = self
            .wh
            .fetch("read the run sequence", &NextRunSeq.render(d)[0])
            .await?;
        self.run_seq = seq.scalar().and_then(Value::as_i64).unwrap_or(1);
        let (range_start, range_end) = self.mode.range();
        let mut stmts = MarkAbandonedRuns {
            at: self.run.started_at,
        }
        .render(d);
        stmts.extend(
            InsertRun {
                run_id: self.run.run_id.clone(),
                run_seq: self.run_seq,
                command: command.into(),
                mode: self.mode.name().into(),
                range_start,
                range_end,
                target: self.run.target.clone(),
                started_at: self.run.started_at,
                version: env!("CARGO_PKG_VERSION").into(),
            }
            .render(d),
        );
        self.wh
            .run(Exec::new("record the run in audit.runs", stmts))
            .await?;
        let rows = self
            .wh
            .fetch("read audit.watermarks", &ReadWatermarks.render(d)[0])
            .await?;
        for r in rows.rows {
            if let [Value::Text(m), Value::Text(u), Value::Text(v)] = r.as_slice() {
                self.watermarks.insert((m.clone(), u.clone()), v.clone());
            }
        }
        let rows = self
            .wh
            .fetch(
                "read the gates passed at each model's last publish",
                &ReadPassedGates.render(d)[0],
            )
            .await?;
        for r in rows.rows {
            if let [Value::Text(m), Value::Text(c), Value::Text(t)] = r.as_slice() {
                self.passed.insert((m.clone(), c.clone(), t.clone()));
            }
        }
        Ok(())
    }

    /// Records the run's end in audit.runs.
    pub async fn finish(&self, error: Option<&Error>) -> Result<()> {
        let stmts = FinishRun {
            run_id: self.run.run_id.clone(),
            status: if error.is_some() {
                "failed".into()
            } else {
                "success".into()
            },
            ended_at: now(),
            error: error.map(|e| e.to_string()),
        }
        .render(self.d());
        self.wh
            .run(Exec::new("record the run's end in audit.runs", stmts))
            .await
    }

    /// Runs every selected model. Gate failures skip what depends on the
    /// failed model and fail the run at the end; a warehouse error stops it.
    pub async fn run_models(&mut self) -> Result<TransformReport> {
        let mut report = TransformReport {
            run_seq: self.run_seq,
            models: Vec::new(),
        };
        let models: Vec<Model> = self
            .dag
            .models
            .iter()
            .filter(|m| self.selected.contains(&m.id()))
            .cloned()
            .collect();
        for m in &models {
            let id = m.id();
            let blocked: Vec<String> = self
                .dag
                .upstream
                .get(&id)
                .map(|u| {
                    u.iter()
                        .filter(|x| self.failed.contains(*x))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            if !blocked.is_empty() {
                self.failed.insert(id.clone());
                let r = ModelReport {
                    model: id.clone(),
                    file: rel(self.project, m),
                    materialization: m.materialized.name().into(),
                    status: "skipped".into(),
                    build: "none".into(),
                    started_at: now().and_utc().to_rfc3339(),
                    error: Some(format!("not run: upstream {} failed", blocked.join(", "))),
                    ..Default::default()
                };
                self.audit_model(&r).await?;
                report.models.push(r);
                continue;
            }
            tracing::info!(model = %id, "building");
            let r = self.run_model(m).await?;
            tracing::info!(model = %id, status = %r.status, inserted = r.rows_inserted, updated = r.rows_updated, deleted = r.rows_deleted, partitions = r.partitions_count, "done");
            if r.status == "failed" {
                self.failed.insert(id);
            }
            report.models.push(r);
        }
        self.prune_changes().await?;
        Ok(report)
    }

    fn model_sql(&self, m: &Model) -> Result<String> {
        match dialect_variant(m, self.d()) {
            Some(p) => std::fs::read_to_string(&p)
                .map(|t| {
                    super::model::split_header(&t)
                        .map(|(_, _, sql, _)| sql.to_string())
                        .unwrap_or(t)
                })
                .map(|s| s.trim_end().trim_end_matches(';').to_string())
                .map_err(|e| {
                    Error::run(
                        FailureKind::Input,
                        format!("{}: cannot read: {e}", p.display()),
                    )
                }),
            None => Ok(m.sql.clone()),
        }
    }

    async fn exists(&self, schema: &str, name: &str) -> Result<bool> {
        let key = (schema.to_string(), name.to_string());
        if self.seen.lock().expect("not poisoned").contains(&key) {
            return Ok(true);
        }
        let sql = &RelationExists {
            schema: schema.into(),
            name: name.into(),
        }
        .render(self.d())[0];
        let rows = self
            .wh
            .fetch(&format!("look up {schema}.{name}"), sql)
            .await?;
        let found = rows.scalar().and_then(Value::as_i64).unwrap_or(0) > 0;
        if found {
            self.seen.lock().expect("not poisoned").insert(key);
        }
        Ok(found)
    }

    async fn scalar_i64(&self, what: &str, sql: &str) -> Result<i64> {
        Ok(self
            .wh
            .fetch(what, sql)
            .await?
            .scalar()
            .and_then(Value::as_i64)
            .unwrap_or(0))
    }

    /// `count(*)` of a table or a parenthesized SELECT.
    async fn count_rows(&self, what: &str, relation: String) -> Result<i64> {
        self.scalar_i64(what, &CountRows { relation }.render(self.d())[0])
            .await
    }

    /// The relations `select` reads, or an input error naming the model file.
    fn references_of(&self, m: &Model, select: &str) -> Result<Vec<Reference>> {
        references(select).map_err(|e| {
            Error::run(
                FailureKind::Input,
                format!("{}: cannot parse the SELECT: {e}", rel(self.project, m)),
            )
        })
    }

    fn what(&self, m: &Model, step: &str) -> String {
        format!("model {} ({}), {step}", m.id(), rel(self.project, m))
    }

    async fn run_model(&mut self, m: &Model) -> Result<ModelReport> {
        let started = now();
        let clock = Instant::now();
        let id = m.id();
        let mut report = ModelReport {
            model: id.clone(),
            file: rel(self.project, m),
            materialization: m.materialized.name().into(),
            started_at: started.and_utc().to_rfc3339(),
            ..Default::default()
        };
        let result = if m.materialized == Materialization::View {
            self.run_view(m, &mut report).await
        } else {
            self.run_table(m, &mut report).await
        };
        report.duration_seconds = clock.elapsed().as_secs_f64();
        if let Err(e) = result {
            report.status = "failed".into();
            report.error = Some(e.to_string());
            // Best effort: the run's failure is what matters, not this row.
            let _ = self.audit_model(&report).await;
            return Err(e);
        }
        Ok(report)
    }

    async fn run_view(&mut self, m: &Model, report: &mut ModelReport) -> Result<()> {
        let d = self.d();
        let n = Names::of(&self.q, m);
        let select = self.model_sql(m)?;
        report.build = "full".into();
        self.wh
            .run(Exec::new(
                self.what(m, "create the schema"),
                CreateSchema {
                    schema: m.schema.clone(),
                }
                .render(d),
            ))
            .await?;
        // The view is checked under its staging name before it replaces the published one.
        self.wh
            .run(Exec::new(
                self.what(m, "stage the view"),
                CreateView {
                    target: n.view_stage.clone(),
                    select: select.clone(),
                }
                .render(d),
            ))
            .await?;
        let checks = self
            .run_checks(
                m,
                &n.view_stage,
                &n.view_stage,
                RowCountSides::default(),
                false,
            )
            .await?;
        let failed = gate_failed(&checks);
        report.checks = checks;
        if let Some(msg) = failed {
            report.status = "failed".into();
            report.error = Some(msg);
            self.audit_model(report).await?;
            return Ok(());
        }
        let mut stmts = CreateView {
            target: n.target.clone(),
            select,
        }
        .render(d);
        stmts.extend(
            DropView {
                view: n.view_stage.clone(),
            }
            .render(d),
        );
        report.status = "success".into();
        stmts.extend(self.audit_statements(report));
        self.wh
            .run(Exec::new(self.what(m, "publish the view"), stmts))
            .await
    }

    /// The scope of this run for `m`, or `None` when nothing upstream changed.
    async fn plan(&self, m: &Model, n: &Names, select: &str, exists: bool) -> Result<Option<Plan>> {
        let d = self.d();
        let id = m.id();
        let ups: Vec<String> = self
            .dag
            .upstream
            .get(&id)
            .map(|u| u.iter().cloned().collect())
            .unwrap_or_default();
        // Where each upstream stands now: what a publish of this run records.
        let mut advance = Vec::new();
        for up in &ups {
            if up.starts_with("raw.") {
                let (s, t) = split_id(up);
                let sql = &MaxValue {
                    relation: self.q.table(s, t),
                    column: m.watermark.clone(),
                }
                .render(d)[0];
                let v = self
                    .wh
                    .fetch(&self.what(m, &format!("read the watermark of {up}")), sql)
                    .await?;
                if let Some([Value::Text(newest), rows, ..]) = v.rows.first().map(Vec::as_slice) {
                    let at = RawPosition {
                        newest: newest.clone(),
                        rows: rows.as_i64(),
                    };
                    advance.push((up.clone(), at.value()));
                }
            } else {
                advance.push((up.clone(), self.run_seq.to_string()));
            }
        }
        if let (Mode::Backfill { start, end }, Some(p), false) = (
            self.mode,
            dated_partition(m),
            m.materialized == Materialization::Table,
        ) {
            // Exactly the range, even for a table built here for the first
            // time. A backfill leaves watermarks alone: changes it did not
            // cover stay pending for the next incremental run.
            return Ok(Some(Plan {
                scope: Scope::Range {
                    column: p.clone(),
                    start,
                    end,
                },
                build: "backfill",
                advance: Vec::new(),
            }));
        }
        let rebuild =
            self.mode == Mode::FullRefresh || !exists || m.materialized == Materialization::Table;
        if rebuild {
            return Ok(Some(Plan {
                scope: Scope::All,
                build: "full",
                advance,
            }));
        }
        if self.inputs_unchanged(m, &ups, &advance).await? {
            tracing::info!(model = %id, "nothing arrived upstream since its last publish");
            return Ok(None);
        }
        let scope_cols: Vec<String> = match (m.materialized, &m.partition_by) {
            (Materialization::PartitionOverwrite, Some(p)) if !by_key(m) => vec![p.clone()],
            _ => shared_via(m, &ups).unwrap_or_else(|| m.unique_key.clone()),
        };
        let refs = self.references_of(m, select)?;
        let lookback = m.lookback.unwrap_or(self.project.transform.lookback);
        let mut selects = Vec::new();
        // The changed keys of the upstreams read through each via column.
        let mut via_keys: Vec<(String, Vec<String>)> = Vec::new();
        for up in &ups {
            let Some(mark) = self.watermarks.get(&(id.clone(), up.clone())) else {
                tracing::info!(model = %id, upstream = %up, "no watermark yet: full build");
                return Ok(Some(Plan {
                    scope: Scope::All,
                    build: "full",
                    advance,
                }));
            };
            let changed = if up.starts_with("raw.") {
                let (s, t) = split_id(up);
                let then = RawPosition::parse(mark);
                let mut since = parse_ts(&then.newest);
                if self.landed_behind(m, up, &then, &advance, since).await? {
                    since = since.map(|t| t - lookback);
                }
                ChangedRaw {
                    table: self.q.table(s, t),
                    column: m.watermark.clone(),
                    since,
                }
                .render(d)
                .join("\n")
            } else {
                let upm = self.dag.model(up).expect("an upstream model");
                if upm.materialized == Materialization::View {
                    tracing::info!(model = %id, upstream = %up, "reads a view, whose changes are not tracked: full build");
                    return Ok(Some(Plan {
                        scope: Scope::All,
                        build: "full",
                        advance,
                    }));
                }
                let un = Names::of(&self.q, upm);
                let (s, t) = split_id(up);
                if !self
                    .exists("_pushdown", &format!("{s}__{t}__changes"))
                    .await?
                {
                    continue;
                }
                ChangedModel {
                    changes: un.changes,
                    since_seq: mark.parse().unwrap_or(0),
                }
                .render(d)
                .join("\n")
            };
            match m.upstream.get(up) {
                Some(via) if via.valid_at.is_some() => {
                    let upm = self.dag.model(up).expect("an upstream model");
                    let scd2 = upm.scd2.as_ref().expect("validated: an scd2 upstream");
                    let (s, t) = split_id(up);
                    // The changed entities with all their versions: enough
                    // for the SELECT to pick the right version of each.
                    let entities = RestrictedRead {
                        relation: self.q.table(s, t),
                        columns: upm
                            .unique_key
                            .iter()
                            .map(|k| (k.clone(), k.clone()))
                            .collect(),
                        keys: changed.clone(),
                    }
                    .render(d)
                    .join("\n");
                    let grain = m.upstream.values().any(|v| v.grain);
                    let sub = (!grain).then(|| {
                        substitute(select, &refs, |r| {
                            (&r.target == up).then(|| entities.clone())
                        })
                    });
                    selects.push(
                        KeysViaValidAt {
                            scope: scope_cols.clone(),
                            select: sub,
                            target: n.target.clone(),
                            column: via.column.clone(),
                            valid_at: via.valid_at.clone().unwrap_or_default(),
                            upstream: self.q.table(s, t),
                            surrogate_key: via.upstream_column.clone(),
                            entity_keys: upm.unique_key.clone(),
                            valid_from: scd2.valid_from.clone(),
                            tracked: scd2.tracked.clone(),
                            changed,
                        }
                        .render(d)
                        .join("\n"),
                    );
                }
                Some(via) if scope_cols == [via.column.clone()] => selects.push(
                    KeysFromChanged {
                        column: via.column.clone(),
                        upstream_column: via.upstream_column.clone(),
                        changed,
                    }
                    .render(d)
                    .join("\n"),
                ),
                // Gathered per via column, below.
                Some(via) => {
                    let key = KeysFromChanged {
                        column: via.column.clone(),
                        upstream_column: via.upstream_column.clone(),
                        changed,
                    }
                    .render(d)
                    .join("\n");
                    match via_keys.iter_mut().find(|(c, _)| *c == via.column) {
                        Some((_, keys)) => keys.push(key),
                        None => via_keys.push((via.column.clone(), vec![key])),
                    }
                }
                None => {
                    let sub = substitute(select, &refs, |r| {
                        (&r.target == up).then(|| changed.clone())
                    });
                    selects.push(
                        KeysOfRows {
                            scope: scope_cols.clone(),
                            select: sub.clone(),
                        }
                        .render(d)
                        .join("\n"),
                    );
                    if let (Materialization::PartitionOverwrite, Some(p)) =
                        (m.materialized, &m.partition_by)
                        && !m.unique_key.is_empty()
                        && !by_key(m)
                    {
                        let key_rows = KeysOfRows {
                            scope: m.unique_key.clone(),
                            select: sub,
                        }
                        .render(d)
                        .join("\n");
                        selects.push(
                            PartitionsOfKeys {
                                partition: p.clone(),
                                target: n.target.clone(),
                                keys: m.unique_key.clone(),
                                key_rows,
                            }
                            .render(d)
                            .join("\n"),
                        );
                    }
                }
            }
        }
        // Rows whose via column matches a changed key depend only on the rows
        // of every upstream mapped through the same column that match it
        // too: the SELECT runs once over just those, for the changed keys of
        // all those upstreams together (fact_orders: one evaluation for the
        // orders changed in orders, payments and shipments, not three).
        //
        // A model built by key has rows only through its grain upstream, whose
        // changed keys are in scope already: any other row a change can touch
        // is published, so the published rows alone are searched.
        for (column, keys) in via_keys {
            let changed = format!("({})", keys.join("\nUNION ALL\n"));
            selects.push(
                KeysVia {
                    scope: scope_cols.clone(),
                    select: (!by_key(m)).then(|| {
                        self.narrowed(m, select, &refs, |v| {
                            (v.column == column).then(|| (changed.clone(), column.clone()))
                        })
                    }),
                    target: Some(n.target.clone()),
                    column: column.clone(),
                    upstream_column: column.clone(),
                    changed,
                }
                .render(d)
                .join("\n"),
            );
        }
        if selects.is_empty() {
            return Ok(None);
        }
        let create = CreateKeys {
            table: n.keys.clone(),
            columns: scope_cols.clone(),
            selects,
        }
        .render(d);
        self.wh
            .run(Exec::new(
                self.what(m, "find the keys changed upstream"),
                create,
            ))
            .await?;
        let count = self
            .count_rows(&self.what(m, "count the changed keys"), n.keys.clone())
            .await?;
        if count == 0 {
            return Ok(Some(Plan {
                scope: Scope::Match {
                    table: n.keys.clone(),
                    columns: scope_cols,
                },
                build: "none",
                advance,
            }));
        }
        Ok(Some(Plan {
            scope: Scope::Match {
                table: n.keys.clone(),
                columns: scope_cols,
            },
            build: "incremental",
            advance,
        }))
    }

    /// Whether rows may have reached raw upstream `up` behind the position
    /// recorded at `m`'s last publish (`then`): a loader with a skewed clock,
    /// or one stamping rows before a slow commit. Only then does the run
    /// reread the lookback window before the watermark. Raw tables are
    /// append-only, so when every row added since is past the recorded
    /// newest value (the growth of the row count equals the rows past it),
    /// nothing can have landed behind it. Without a recorded count, assume
    /// it may have.
    async fn landed_behind(
        &self,
        m: &Model,
        up: &str,
        then: &RawPosition,
        advance: &[(String, String)],
        since: Option<NaiveDateTime>,
    ) -> Result<bool> {
        let now = advance
            .iter()
            .find(|(u, _)| u == up)
            .map(|(_, v)| RawPosition::parse(v));
        let (Some(then_rows), Some(now_rows), Some(since)) =
            (then.rows, now.and_then(|p| p.rows), since)
        else {
            return Ok(true);
        };
        let (s, t) = split_id(up);
        let past = ChangedRaw {
            table: self.q.table(s, t),
            column: m.watermark.clone(),
            since: Some(since),
        }
        .render(self.d())
        .join("\n");
        let past = self
            .count_rows(
                &self.what(m, &format!("count the rows of {up} past its watermark")),
                past,
            )
            .await?;
        Ok(now_rows - then_rows != past)
    }

    /// Whether no upstream of `m` changed since its last publish: each raw
    /// upstream is where it was then (same newest watermark value and row
    /// count; raw tables are append-only) and no upstream model logged a
    /// change since. Such a model's rows cannot differ from the published
    /// ones, so the run neither rereads its lookback window nor runs its
    /// gates: a rerun with nothing new costs a few metadata reads per model.
    async fn inputs_unchanged(
        &self,
        m: &Model,
        ups: &[String],
        advance: &[(String, String)],
    ) -> Result<bool> {
        let id = m.id();
        for up in ups {
            let Some(mark) = self.watermarks.get(&(id.clone(), up.clone())) else {
                return Ok(false);
            };
            if up.starts_with("raw.") {
                let Some((_, now)) = advance.iter().find(|(u, _)| u == up) else {
                    return Ok(false);
                };
                if !RawPosition::parse(mark).unchanged_at(&RawPosition::parse(now)) {
                    return Ok(false);
                }
                continue;
            }
            let changed = match self.logged_since(up, mark).await? {
                Logged::Unknown => return Ok(false),
                Logged::Nothing => continue,
                Logged::Since(changed) => changed,
            };
            let n = self
                .count_rows(&self.what(m, &format!("look for changes of {up}")), changed)
                .await?;
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn run_table(&mut self, m: &Model, report: &mut ModelReport) -> Result<()> {
        let d = self.d();
        let n = Names::of(&self.q, m);
        let id = m.id();
        let select = self.model_sql(m)?;
        let exists = self.exists(&m.schema, &m.name).await?;
        self.wh
            .run(Exec::new(
                self.what(m, "create the schema"),
                CreateSchema {
                    schema: m.schema.clone(),
                }
                .render(d),
            ))
            .await?;
        let plan = match self.plan(m, &n, &select, exists).await? {
            Some(p) => p,
            None => Plan {
                scope: Scope::All,
                build: "none",
                advance: Vec::new(),
            },
        };
        report.build = plan.build.into();
        if plan.build == "none" {
            report.status = "unchanged".into();
            let mut stmts = self.watermark_statements(&id, &plan.advance);
            stmts.extend(self.audit_statements(report));
            self.wh
                .run(Exec::new(self.what(m, "advance its watermarks"), stmts))
                .await?;
            self.note_watermarks(&id, &plan.advance);
            return Ok(());
        }

        // Build the scope's rows.
        // An SCD2 build lists the SELECT's columns around the ones it adds.
        let select_columns = if m.materialized == Materialization::Scd2 {
            let sql = &SelectColumns {
                relation: format!("({select}) AS _m"),
            }
            .render(d)[0];
            self.wh
                .fetch(&self.what(m, "read its columns"), sql)
                .await?
                .columns
        } else {
            Vec::new()
        };
        // Upstreams mapped through a scope column are read only where they
        // match the scope: the build then reads what changed, not the history.
        let build_select = match &plan.scope {
            Scope::Match { table, columns } => {
                let refs = self.references_of(m, &select)?;
                self.narrowed(m, &select, &refs, |v| {
                    columns
                        .contains(&v.column)
                        .then(|| (table.clone(), v.column.clone()))
                })
            }
            _ => select.clone(),
        };
        let build = super::stage::build_stage(
            d,
            m,
            &n.stage,
            &build_select,
            plan.scope.clone(),
            select_columns,
        );
        self.wh
            .run(Exec::new(self.what(m, "build its rows in staging"), build))
            .await?;
        let columns = self
            .wh
            .fetch(
                &self.what(m, "read its columns"),
                &SelectColumns {
                    relation: n.stage.clone(),
                }
                .render(d)[0],
            )
            .await?
            .columns;

        let full = plan.scope == Scope::All;
        let kind = if full || !exists {
            PublishKind::Replace
        } else {
            match m.materialized {
                Materialization::PartitionOverwrite if by_key(m) => PublishKind::Merge,
                Materialization::PartitionOverwrite => PublishKind::Partitions,
                Materialization::Incremental | Materialization::Scd2 => PublishKind::Merge,
                _ => PublishKind::Replace,
            }
        };
        let row_keys: Vec<String> = match (m.materialized, &m.scd2) {
            (Materialization::Scd2, Some(s)) => m
                .unique_key
                .iter()
                .cloned()
                .chain([s.valid_from.clone()])
                .collect(),
            _ if !m.unique_key.is_empty() => m.unique_key.clone(),
            _ => columns.clone(),
        };
        if exists && !full {
            check_columns(
                m,
                self.project,
                &self
                    .wh
                    .fetch(
                        &self.what(m, "read its published columns"),
                        &SelectColumns {
                            relation: n.target.clone(),
                        }
                        .render(d)[0],
                    )
                    .await?,
                &columns,
                self.mode,
            )?;
        }

        // What really changes. Skipped only for a full refresh whose every
        // reader is rebuilt in this same run (nobody needs the change log).
        let downstream = self.dag.downstream(&id);
        let readers_rebuilt =
            self.mode == Mode::FullRefresh && downstream.iter().all(|x| self.selected.contains(x));
        let need_delta =
            kind == PublishKind::Merge || (!downstream.is_empty() && !readers_rebuilt) || !full;
        if need_delta {
            let delta = ComputeDelta {
                delta: n.delta.clone(),
                stage: n.stage.clone(),
                target: exists.then(|| n.target.clone()),
                scope: plan.scope.clone(),
                columns: columns.clone(),
            }
            .render(d);
            self.wh
                .run(Exec::new(
                    self.what(m, "compare with the published rows"),
                    delta,
                ))
                .await?;
            let counts = self
                .wh
                .fetch(
                    &self.what(m, "count the changes"),
                    &DeltaCounts {
                        delta: n.delta.clone(),
                        keys: row_keys.clone(),
                    }
                    .render(d)[0],
                )
                .await?;
            if let Some(r) = counts.rows.first() {
                report.rows_inserted = r[0].as_i64().unwrap_or(0);
                report.rows_updated = r[1].as_i64().unwrap_or(0);
                report.rows_deleted = r[2].as_i64().unwrap_or(0);
            }
        } else {
            report.rows_inserted = self
                .count_rows(&self.what(m, "count its rows"), n.stage.clone())
                .await?;
            if exists {
                report.rows_deleted = self
                    .count_rows(&self.what(m, "count its rows"), n.target.clone())
                    .await?;
            }
        }
        let mut partition_timestamps = false;
        if let Some(p) = &m.partition_by {
            let parts = match &plan.scope {
                // The partitions a build by key recomputes: those its keys
                // in scope were published in, and those they enter.
                Scope::Match { table, columns } if by_key(m) => vec![
                    n.stage.clone(),
                    RestrictedRead {
                        relation: n.target.clone(),
                        columns: columns.iter().map(|c| (c.clone(), c.clone())).collect(),
                        keys: table.clone(),
                    }
                    .render(d)
                    .join("\n"),
                ],
                Scope::Match { table, .. } => vec![table.clone()],
                _ => vec![n.stage.clone()],
            };
            let rows = self
                .wh
                .fetch(
                    &self.what(m, "list its partitions"),
                    &DistinctValues {
                        relations: parts,
                        column: p.clone(),
                    }
                    .render(d)[0],
                )
                .await?;
            partition_timestamps = rows
                .rows
                .iter()
                .any(|r| matches!(r.first(), Some(Value::Timestamp(_))));
            report.partitions_count = rows.rows.len() as u64;
            report.partitions = rows
                .rows
                .iter()
                .take(100)
                .map(|r| r[0].to_string())
                .collect();
        }
        let changed = report.rows_inserted + report.rows_updated + report.rows_deleted > 0;

        // Gates, on the table as it would be after publishing.
        let would_be = WouldBe {
            target: n.target.clone(),
            stage: n.stage.clone(),
            scope: plan.scope.clone(),
            replaces_all: kind == PublishKind::Replace,
            columns: columns.clone(),
        }
        .render(d)
        .join("\n");
        let row_count = RowCountSides {
            target: exists.then(|| n.target.clone()),
            // A build by key stages the changed rows only: a partition's new
            // count is read from the table as it would be.
            changed: (need_delta && !full && by_key(m)).then(|| n.delta.clone()),
        };
        // An incremental publish leaves the rows outside its scope alone.
        let incremental = kind != PublishKind::Replace;
        let checks = self
            .run_checks(m, &would_be, &n.stage, row_count, incremental)
            .await?;
        let failed = gate_failed(&checks);
        report.checks = checks;
        if let Some(msg) = failed {
            report.status = "failed".into();
            report.error = Some(msg);
            self.audit_model(report).await?;
            return Ok(());
        }

        // Publish: rows, change log, watermarks and audit rows, together.
        let mut stmts = Vec::new();
        if changed || !exists || full {
            stmts.extend(
                Publish {
                    kind,
                    target: n.target.clone(),
                    stage: n.stage.clone(),
                    delta: n.delta.clone(),
                    scope: plan.scope.clone(),
                    keys: row_keys,
                    columns: columns.clone(),
                    partition_by: m.partition_by.clone(),
                    partition_timestamps,
                    create: !exists,
                    by_delta: kind == PublishKind::Partitions
                        && need_delta
                        && exists
                        && !full
                        && !m.unique_key.is_empty(),
                }
                .render(d),
            );
            if need_delta && !downstream.is_empty() {
                let prepare = PrepareChanges {
                    changes: n.changes.clone(),
                    delta: n.delta.clone(),
                    reset: readers_rebuilt && exists,
                };
                self.wh
                    .run(Exec::new(
                        self.what(m, "prepare its change log"),
                        prepare.render(d),
                    ))
                    .await?;
                stmts.extend(
                    AppendChanges {
                        changes: n.changes.clone(),
                        delta: n.delta.clone(),
                        seq: self.run_seq,
                    }
                    .render(d),
                );
            }
        }
        report.status = if changed || !exists {
            "success".into()
        } else {
            "unchanged".into()
        };
        let advance = if matches!(self.mode, Mode::Backfill { .. }) && dated_partition(m).is_some()
        {
            Vec::new()
        } else {
            plan.advance.clone()
        };
        stmts.extend(self.watermark_statements(&id, &advance));
        stmts.extend(self.audit_statements(report));
        crate::failpoint::hit(&format!("transform:before_publish:{id}"));
        self.wh
            .run(Exec::new(self.what(m, "publish"), stmts))
            .await?;
        crate::failpoint::hit(&format!("transform:after_publish:{id}"));
        self.note_watermarks(&id, &advance);
        let mut work = vec![n.stage.clone(), n.delta.clone()];
        if matches!(plan.scope, Scope::Match { .. }) {
            work.push(n.keys.clone());
        }
        self.wh
            .run(Exec::new(
                self.what(m, "drop its work tables"),
                DropRelations { tables: work }.render(d),
            ))
            .await?;
        Ok(())
    }

    /// The model's SELECT with each upstream for whose `via` `key_of` names
    /// a relation of keys and its column read only where its via column
    /// matches one of them. Sound by what `via` declares: the model's rows
    /// with a via value depend on the upstream's rows with that value alone.
    fn narrowed(
        &self,
        m: &Model,
        select: &str,
        refs: &[Reference],
        key_of: impl Fn(&Via) -> Option<(String, String)>,
    ) -> String {
        substitute(select, refs, |r| {
            let via = m.upstream.get(&r.target)?;
            if via.valid_at.is_some() {
                return None;
            }
            let (keys, key) = key_of(via)?;
            let (s, t) = split_id(&r.target);
            Some(
                RestrictedRead {
                    relation: self.q.table(s, t),
                    columns: vec![(via.upstream_column.clone(), key)],
                    keys,
                }
                .render(self.d())
                .join("\n"),
            )
        })
    }

    fn note_watermarks(&mut self, id: &str, advance: &[(String, String)]) {
        for (up, v) in advance {
            self.watermarks
                .insert((id.to_string(), up.clone()), v.clone());
        }
    }

    fn watermark_statements(&self, id: &str, advance: &[(String, String)]) -> Vec<String> {
        let at = now();
        advance
            .iter()
            .flat_map(|(up, v)| {
                UpsertWatermark {
                    model: id.into(),
                    upstream: up.clone(),
                    value: v.clone(),
                    run_id: self.run.run_id.clone(),
                    at,
                }
                .render(self.d())
            })
            .collect()
    }

    fn audit_statements(&self, r: &ModelReport) -> Vec<String> {
        let d = self.d();
        let at = now();
        let started = chrono::DateTime::parse_from_rfc3339(&r.started_at)
            .map(|t| t.naive_utc())
            .unwrap_or(at);
        let mut stmts = InsertModelAudit {
            run_id: self.run.run_id.clone(),
            model: r.model.clone(),
            materialization: r.materialization.clone(),
            status: r.status.clone(),
            partitions: (!r.partitions.is_empty()).then(|| r.partitions.join(",")),
            partitions_count: r.partitions_count as i64,
            rows_inserted: r.rows_inserted,
            rows_updated: r.rows_updated,
            rows_deleted: r.rows_deleted,
            started_at: started,
            ended_at: at,
            error: r.error.clone(),
        }
        .render(d);
        for c in &r.checks {
            stmts.extend(
                InsertCheckAudit {
                    run_id: self.run.run_id.clone(),
                    model: r.model.clone(),
                    check_name: c.name.clone(),
                    check_type: c.check_type.clone(),
                    severity: c.severity.clone(),
                    status: c.status.clone(),
                    offending: c.offending,
                    threshold: c.threshold.clone(),
                    at,
                }
                .render(d),
            );
        }
        stmts
    }

    async fn audit_model(&self, r: &ModelReport) -> Result<()> {
        self.wh
            .run(Exec::new(
                format!("model {}: write its audit rows", r.model),
                self.audit_statements(r),
            ))
            .await
    }

    async fn run_checks(
        &self,
        m: &Model,
        relation: &str,
        stage: &str,
        row_count: RowCountSides,
        incremental: bool,
    ) -> Result<Vec<CheckReport>> {
        let mut out = Vec::new();
        for c in &m.checks {
            let mut check = self.check_spec(m, c, &row_count);
            let mut relation = relation;
            if incremental && self.passed_before(m, c) {
                // The rows this run leaves alone passed this check at the
                // last publish, and a null or a duplicate needs a row
                // written now: the rows written are checked (with the
                // published rows sharing their keys, for unique), which
                // counts the same offending rows as the whole table would.
                match &mut check {
                    CheckSpec::NotNull { .. } => relation = stage,
                    CheckSpec::Unique { among, .. } => *among = Some(stage.to_string()),
                    // An orphan needs a row written now, or a parent key
                    // lost since the last publish: while the parent lost
                    // none, the rows written are checked.
                    CheckSpec::Relationships { .. } => {
                        if let CheckKind::Relationships { to, field, .. } = &c.kind
                            && self.lost_nothing(m, to, field).await?
                        {
                            relation = stage;
                        }
                    }
                    _ => {}
                }
            }
            let sql = CheckQuery {
                relation: relation.to_string(),
                stage: stage.to_string(),
                check,
            }
            .render(self.d());
            let offending = self
                .scalar_i64(&self.what(m, &format!("run check {}", c.name)), &sql[0])
                .await?;
            let status = match (offending, c.severity) {
                (0, _) => "pass",
                (_, Severity::Warn) => "warn",
                (_, Severity::Error) => "fail",
            };
            if status != "pass" {
                tracing::warn!(model = %m.id(), check = %c.name, offending, status, "check did not pass");
            }
            out.push(CheckReport {
                name: c.name.clone(),
                check_type: c.kind.type_name().into(),
                severity: if c.severity == Severity::Warn {
                    "warn".into()
                } else {
                    "error".into()
                },
                status: status.into(),
                offending,
                threshold: c.kind.threshold(),
            });
        }
        Ok(out)
    }

    /// What model `up` logged for its readers past a reader's `mark`.
    async fn logged_since(&self, up: &str, mark: &str) -> Result<Logged> {
        let Some(upm) = self.dag.model(up) else {
            return Ok(Logged::Unknown);
        };
        if upm.materialized == Materialization::View {
            return Ok(Logged::Unknown);
        }
        let (s, t) = split_id(up);
        if !self
            .exists("_pushdown", &format!("{s}__{t}__changes"))
            .await?
        {
            // Never logged a change for its readers (see `plan`).
            return Ok(Logged::Nothing);
        }
        Ok(Logged::Since(
            ChangedModel {
                changes: Names::of(&self.q, upm).changes,
                since_seq: mark.parse().unwrap_or(0),
            }
            .render(self.d())
            .join("\n"),
        ))
    }

    /// Whether parent model `to` removed no value of `field` since `m` last
    /// published (read from its change log past `m`'s mark on it). False
    /// when that cannot be known: `to` is not a model `m` reads, or a view.
    async fn lost_nothing(&self, m: &Model, to: &str, field: &str) -> Result<bool> {
        let Some(mark) = self.watermarks.get(&(m.id(), to.to_string())) else {
            return Ok(false);
        };
        let changed = match self.logged_since(to, mark).await? {
            Logged::Unknown => return Ok(false),
            Logged::Nothing => return Ok(true),
            Logged::Since(changed) => changed,
        };
        let sql = &LostValues {
            changed,
            field: field.to_string(),
        }
        .render(self.d())[0];
        let lost = self
            .scalar_i64(&self.what(m, &format!("look for values {to} lost")), sql)
            .await?;
        Ok(lost == 0)
    }

    /// Whether `c` passed at `m`'s last publish, under a name that says
    /// what it checks (a default name: a renamed or redefined check is
    /// another check).
    fn passed_before(&self, m: &Model, c: &Check) -> bool {
        c.name == c.kind.default_name()
            && self
                .passed
                .contains(&(m.id(), c.name.clone(), c.kind.type_name().into()))
    }

    fn check_spec(&self, m: &Model, c: &Check, row_count: &RowCountSides) -> CheckSpec {
        match &c.kind {
            CheckKind::NotNull { columns } => CheckSpec::NotNull {
                columns: columns.clone(),
            },
            CheckKind::Unique { columns } => CheckSpec::Unique {
                columns: columns.clone(),
                among: None,
            },
            CheckKind::Relationships { column, to, field } => {
                let (s, t) = split_id(to);
                CheckSpec::Relationships {
                    column: column.clone(),
                    to: self.q.table(s, t),
                    field: field.clone(),
                }
            }
            CheckKind::AcceptedValues { column, values } => CheckSpec::AcceptedValues {
                column: column.clone(),
                values: values.clone(),
            },
            CheckKind::RowCountDelta { max_change } => CheckSpec::RowCountDelta {
                partition: m.partition_by.clone().unwrap_or_default(),
                target: row_count.target.clone(),
                changed: row_count.changed.clone(),
                max_change: *max_change,
            },
            CheckKind::Freshness { column, max_age } => CheckSpec::Freshness {
                column: column.clone(),
                cutoff: self.run.started_at - *max_age,
            },
        }
    }

    /// Drops change-log entries that every reader has consumed.
    async fn prune_changes(&self) -> Result<()> {
        for m in &self.dag.models {
            let id = m.id();
            let readers = self.dag.downstream(&id);
            if readers.is_empty() || m.materialized == Materialization::View {
                continue;
            }
            let marks: Option<Vec<i64>> = readers
                .iter()
                .map(|r| {
                    self.watermarks
                        .get(&(r.clone(), id.clone()))
                        .and_then(|v| v.parse().ok())
                })
                .collect();
            let Some(upto) = marks.and_then(|v| v.into_iter().min()) else {
                continue;
            };
            if !self
                .exists("_pushdown", &format!("{}__{}__changes", m.schema, m.name))
                .await?
            {
                continue;
            }
            let n = Names::of(&self.q, m);
            self.wh
                .run(Exec::new(
                    format!("model {id}: prune its change log"),
                    PruneChanges {
                        changes: n.changes,
                        upto_seq: upto,
                    }
                    .render(self.d()),
                ))
                .await?;
        }
        Ok(())
    }
}

/// What a model logged for its readers since a mark.
enum Logged {
    /// Cannot be known: not a model, or a view (it logs nothing and changes
    /// with its inputs).
    Unknown,
    /// No change log at all: it never logged a change.
    Nothing,
    /// Its change log past the mark (a [`ChangedModel`] fragment).
    Since(String),
}

/// The message of the first failing error-severity gate.
fn gate_failed(checks: &[CheckReport]) -> Option<String> {
    let failed: Vec<String> = checks
        .iter()
        .filter(|c| c.status == "fail")
        .map(|c| format!("check `{}` failed: {} offending", c.name, c.offending))
        .collect();
    (!failed.is_empty()).then(|| failed.join("; "))
}

fn check_columns(
    m: &Model,
    project: &Project,
    published: &Rows,
    staged: &[String],
    mode: Mode,
) -> Result<()> {
    if published.columns == staged {
        return Ok(());
    }
    let hint = if mode == Mode::FullRefresh {
        ""
    } else {
        "; run `pushdown transform --mode full-refresh --select` this model to rebuild it"
    };
    Err(Error::run(
        FailureKind::Warehouse,
        format!(
            "model {} ({}): its SELECT now yields columns ({}) but the published table has ({}){hint}",
            m.id(),
            rel(project, m),
            staged.join(", "),
            published.columns.join(", ")
        ),
    ))
}

/// Whether `m` is built by key although it is published by partition: a
/// partitioned model with a grain upstream has exactly one row per key of
/// that upstream, and a row changes only when its own inputs do (that is
/// what its `via`s declare). A partition touched by a change therefore
/// differs from its published version in the changed keys' rows alone, so
/// an incremental run rebuilds those rows and merges them by key into
/// whichever partitions they leave or enter; the untouched rows of those
/// partitions, however many, are neither rebuilt nor rewritten. The result
/// is the partition overwrite's, row for row.
fn by_key(m: &Model) -> bool {
    m.materialized == Materialization::PartitionOverwrite
        && m.partition_by.is_some()
        && m.upstream.values().any(|v| v.grain)
}

/// The one column through which every upstream of an incremental model is
/// read, when it is a part of a composite unique key: the model's rows with
/// a value of it depend on the upstreams' rows with that value alone (what
/// `via` declares), so a run rebuilds every row of each changed value and
/// its scope is that column. Finding the changed values then takes the
/// upstreams' changed rows alone; scoped by the whole key, the run would
/// evaluate the SELECT over every row of those values just to list their
/// keys (ods.shipment_milestones: all events of each changed shipment).
fn shared_via(m: &Model, ups: &[String]) -> Option<Vec<String>> {
    if m.materialized != Materialization::Incremental || m.unique_key.len() < 2 {
        return None;
    }
    let mut column = None;
    for up in ups {
        let via = m.upstream.get(up).filter(|v| v.valid_at.is_none())?;
        if column.is_some_and(|c| c != &via.column) {
            return None;
        }
        column = Some(&via.column);
    }
    column
        .filter(|c| m.unique_key.contains(c))
        .map(|c| vec![c.clone()])
}

/// Where the row-count gate reads the previous and the changed partitions.
#[derive(Default)]
struct RowCountSides {
    /// The published table, when there is one.
    target: Option<String>,
    /// For a build by key: the delta, whose rows name the partitions touched.
    changed: Option<String>,
}

/// The partition column a backfill range applies to. A model partitioned by
/// its own watermark column (landing time) has no business dates: a backfill
/// catches it up incrementally, like an unpartitioned model.
pub fn dated_partition(m: &Model) -> Option<&String> {
    m.partition_by.as_ref().filter(|p| **p != m.watermark)
}

fn rel(project: &Project, m: &Model) -> String {
    m.file
        .strip_prefix(&project.dir)
        .unwrap_or(&m.file)
        .display()
        .to_string()
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn parse_ts(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .or_else(|| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").ok())
}
