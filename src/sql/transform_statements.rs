//! Contexts of the transform, gate and audit statements.
//!
//! Relation names (`target`, `stage`, ...) arrive already quoted; a `select`
//! is the model's own SQL (possibly with references substituted) and is
//! embedded as a subquery, never edited.

use chrono::{NaiveDate, NaiveDateTime};

/// Which rows of a model a run recomputes.
#[derive(Debug, Clone, PartialEq)]
pub enum Scope {
    /// Everything: a full build.
    All,
    /// Rows whose `columns` match a row of the quoted `table` (keys or partitions).
    Match { table: String, columns: Vec<String> },
    /// Rows whose `column` lies in [start, end] (a backfill), and rows whose
    /// partition is unknown (NULL): they belong to no date, so every
    /// backfill recomputes them.
    Range {
        column: String,
        start: NaiveDate,
        end: NaiveDate,
    },
}

/// audit.runs / models / checks / watermarks, and the `_pushdown` work schema.
pub struct CreateRunTables;

/// One row with a count > 0 when `schema.name` exists.
pub struct RelationExists {
    pub schema: String,
    pub name: String,
}

/// `max(column)` and the row count of a relation: where an append-only
/// upstream stands, the position a run advances to.
pub struct MaxValue {
    pub relation: String,
    pub column: String,
}

/// Fragment: raw rows whose watermark column is past `since` (already widened by the lookback).
pub struct ChangedRaw {
    pub table: String,
    pub column: String,
    pub since: Option<NaiveDateTime>,
}

/// Fragment: a model's logged changes after run `since_seq`.
pub struct ChangedModel {
    pub changes: String,
    pub since_seq: i64,
}

/// Materializes the distinct scope values (keys or partitions) of this run.
pub struct CreateKeys {
    pub table: String,
    pub columns: Vec<String>,
    /// SELECTs each yielding `columns`; unioned.
    pub selects: Vec<String>,
}

/// Fragment: the upstream column of changed rows, named as this model's scope column.
pub struct KeysFromChanged {
    pub column: String,
    pub upstream_column: String,
    pub changed: String,
}

/// Fragment: scope values of this model's rows, new and published, whose
/// `column` matches `upstream_column` of a changed upstream row.
pub struct KeysVia {
    pub scope: Vec<String>,
    /// The model's SELECT narrowed to the changed keys, to find rows not
    /// published yet; `None` for a model built by key, whose new rows
    /// appear only through its grain upstream (already in scope).
    pub select: Option<String>,
    pub target: Option<String>,
    pub column: String,
    pub upstream_column: String,
    pub changed: String,
}

/// Fragment: scope values of this model's rows that reference a version of
/// an SCD2 upstream (by its surrogate key in `column`) and whose reference
/// may move because that version changed: a row keeps its version when
/// `valid_at` still lies in the version's validity interval and the
/// version's tracked columns are unchanged, so a new version touches the
/// rows from its `valid_from` on, not every row of the entity.
pub struct KeysViaValidAt {
    pub scope: Vec<String>,
    /// The model's SELECT over the changed entities' versions only, to find
    /// rows not published yet; `None` for a model whose rows appear only
    /// through its grain upstream (published rows are then all there is).
    pub select: Option<String>,
    pub target: String,
    /// This model's column holding the surrogate key.
    pub column: String,
    /// This model's column whose time picks the valid version.
    pub valid_at: String,
    /// The SCD2 upstream as published now.
    pub upstream: String,
    pub surrogate_key: String,
    /// The upstream's entity key (its `unique_key`).
    pub entity_keys: Vec<String>,
    pub valid_from: String,
    pub tracked: Vec<String>,
    /// The upstream's change log since this model's watermark.
    pub changed: String,
}

/// Fragment: an upstream relation narrowed to the rows whose columns match
/// a row of `keys` (a table or a parenthesized query), null-safe. Read in
/// place of the upstream when a `via` says that only those rows feed the
/// rows in scope.
pub struct RestrictedRead {
    pub relation: String,
    /// (the upstream's column, the column of `keys` it must match)
    pub columns: Vec<(String, String)>,
    pub keys: String,
}

/// Fragment: scope values of the rows a SELECT yields (the model's SQL over
/// an upstream's changed rows only).
pub struct KeysOfRows {
    pub scope: Vec<String>,
    pub select: String,
}

/// Fragment: partitions currently holding the given keys.
pub struct PartitionsOfKeys {
    pub partition: String,
    pub target: String,
    pub keys: Vec<String>,
    pub key_rows: String,
}

/// "Latest wins" deduplication by key.
#[derive(Debug, Clone)]
pub struct Latest {
    pub keys: Vec<String>,
    /// (column, descending)
    pub order: Vec<(String, bool)>,
}

/// The model's rows for this run's scope, in a staging table.
pub struct BuildStage {
    pub stage: String,
    pub select: String,
    pub scope: Scope,
    pub latest: Option<Latest>,
}

/// SCD2 versions for this run's scope: one row per change of the tracked
/// columns, with a deterministic surrogate key.
pub struct BuildScd2Stage {
    pub stage: String,
    pub select: String,
    pub scope: Scope,
    pub keys: Vec<String>,
    pub tracked: Vec<String>,
    pub valid_from: String,
    pub surrogate_key: String,
    /// Tie-break among snapshots with the same key and valid_from.
    pub order: Vec<(String, bool)>,
    /// Every column of the model's SELECT, in order.
    pub columns: Vec<String>,
}

/// `SELECT * FROM relation LIMIT 0`: the column names.
pub struct SelectColumns {
    pub relation: String,
}

/// Rows that differ between the stage and the published rows in scope, with
/// `_pd_side` 'new' (in stage) or 'old' (published).
pub struct ComputeDelta {
    pub delta: String,
    pub stage: String,
    pub target: Option<String>,
    pub scope: Scope,
    pub columns: Vec<String>,
}

/// inserted / updated / deleted counts of a delta, by row key.
pub struct DeltaCounts {
    pub delta: String,
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishKind {
    /// Replace the whole table with the stage.
    Replace,
    /// Replace the rows of `keys` in the delta (MERGE semantics).
    Merge,
    /// Replace exactly the partitions in scope.
    Partitions,
}

/// Makes the stage's rows the published ones, atomically.
pub struct Publish {
    pub kind: PublishKind,
    pub target: String,
    pub stage: String,
    pub delta: String,
    pub scope: Scope,
    pub keys: Vec<String>,
    pub columns: Vec<String>,
    pub partition_by: Option<String>,
    /// The partition column holds timestamps, not dates (as its values in
    /// the stage show): BigQuery partitions such a column by `DATE(column)`
    /// and refuses the bare column.
    pub partition_timestamps: bool,
    /// The table does not exist yet.
    pub create: bool,
    /// A partition overwrite may write just the rows of the keys in the delta
    /// (`keys` is the model's unique key and the delta compares the
    /// partitions in scope with their rebuild): the partitions' other rows
    /// are the same in both. A dialect may still replace whole partitions.
    pub by_delta: bool,
}

/// Creates the model's change log if needed, before the publish transaction.
pub struct PrepareChanges {
    pub changes: String,
    pub delta: String,
    /// Start the log afresh (every reader is rebuilt in this run).
    pub reset: bool,
}

/// Appends a delta to the model's change log under this run's sequence.
pub struct AppendChanges {
    pub changes: String,
    pub delta: String,
    pub seq: i64,
}

pub struct UpsertWatermark {
    pub model: String,
    pub upstream: String,
    pub value: String,
    pub run_id: String,
    pub at: NaiveDateTime,
}

pub struct InsertRun {
    pub run_id: String,
    pub run_seq: i64,
    pub command: String,
    pub mode: String,
    pub range_start: Option<NaiveDate>,
    pub range_end: Option<NaiveDate>,
    pub target: String,
    pub started_at: NaiveDateTime,
    pub version: String,
}

pub struct FinishRun {
    pub run_id: String,
    pub status: String,
    pub ended_at: NaiveDateTime,
    pub error: Option<String>,
}

/// Runs left `running` by a process that died are marked `abandoned`.
pub struct MarkAbandonedRuns {
    pub at: NaiveDateTime,
}

pub struct InsertModelAudit {
    pub run_id: String,
    pub model: String,
    pub materialization: String,
    pub status: String,
    pub partitions: Option<String>,
    pub partitions_count: i64,
    pub rows_inserted: i64,
    pub rows_updated: i64,
    pub rows_deleted: i64,
    pub started_at: NaiveDateTime,
    pub ended_at: NaiveDateTime,
    pub error: Option<String>,
}

pub struct InsertCheckAudit {
    pub run_id: String,
    pub model: String,
    pub check_name: String,
    pub check_type: String,
    pub severity: String,
    pub status: String,
    pub offending: i64,
    pub threshold: Option<String>,
    pub at: NaiveDateTime,
}

/// One row: how many values of `field` a parent model's changes since a
/// reader's mark removed for good (see the template).
pub struct LostValues {
    /// The parent's change log past the mark ([`ChangedModel`]).
    pub changed: String,
    pub field: String,
}

/// What a gate counts. Each yields one row with the offending count.
#[derive(Debug, Clone)]
pub enum CheckSpec {
    NotNull {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
        /// Only the groups with a key among these rows (the rows a run
        /// writes, when the rest passed this check at the last publish).
        among: Option<String>,
    },
    Relationships {
        column: String,
        to: String,
        field: String,
    },
    AcceptedValues {
        column: String,
        values: Vec<String>,
    },
    /// Partitions in `scope` whose row count moved by more than `max_change`.
    RowCountDelta {
        partition: String,
        target: Option<String>,
        /// A build by key: the delta, whose rows (old and new) name the
        /// partitions touched; their new counts are read from the relation
        /// as it would be, the stage holding only the changed rows.
        changed: Option<String>,
        max_change: f64,
    },
    Freshness {
        column: String,
        cutoff: NaiveDateTime,
    },
}

pub struct CheckQuery {
    /// The relation as it would be after publishing.
    pub relation: String,
    pub stage: String,
    pub check: CheckSpec,
}

pub struct DropRelations {
    pub tables: Vec<String>,
}

pub struct CreateView {
    pub target: String,
    pub select: String,
}

/// Drops change-log entries every reader has consumed.
pub struct PruneChanges {
    pub changes: String,
    pub upto_seq: i64,
}

pub struct NextRunSeq;

pub struct ReadWatermarks;

/// (model, check name, check type) of the gates each model passed at its
/// last publish.
pub struct ReadPassedGates;

/// Fragment: the model's rows as they would be after publishing the stage.
pub struct WouldBe {
    pub target: String,
    pub stage: String,
    pub scope: Scope,
    pub replaces_all: bool,
    pub columns: Vec<String>,
}

/// The number of rows of a table or of a parenthesized SELECT.
pub struct CountRows {
    pub relation: String,
}

pub struct DropView {
    pub view: String,
}

/// The distinct values of one column, sorted: partitions a run touched.
pub struct DistinctValues {
    /// One relation, or several whose values are pooled.
    pub relations: Vec<String>,
    pub column: String,
}

/// The newest runs of audit.runs.
pub struct RecentRuns {
    pub limit: u32,
}
