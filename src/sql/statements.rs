//! The statement contexts: one struct per template file.
//!
//! Fields hold plain values; templates quote them through `q` (the dialect's
//! [`super::Q`]) so the quoting rules live in exactly one place.

use chrono::{NaiveDate, NaiveDateTime};

pub use super::transform_statements::*;
use pushdown_adapter::Dialect;

use super::{Q, Statement};

/// Declares a context and binds it to one file per dialect: the dialect's own
/// (`sql_templates/<dialect>/`) where its SQL differs, else the shared one
/// (`sql_templates/common/`), as dbt's default-and-override macros do.
macro_rules! statements {
    ($( $(#[$meta:meta])* $name:ident => $duck:tt, $snow:tt, $bq:tt; )*) => {
        mod duckdb_sql {
            #[allow(unused_imports)] use super::*;
            $( #[derive(askama::Template)] #[template(path = $duck, escape = "none")] #[allow(dead_code)]
               pub struct $name<'a> { pub q: super::Q, pub c: &'a super::$name } )*
        }
        mod snowflake_sql {
            #[allow(unused_imports)] use super::*;
            $( #[derive(askama::Template)] #[template(path = $snow, escape = "none")] #[allow(dead_code)]
               pub struct $name<'a> { pub q: super::Q, pub c: &'a super::$name } )*
        }
        mod bigquery_sql {
            #[allow(unused_imports)] use super::*;
            $( #[derive(askama::Template)] #[template(path = $bq, escape = "none")] #[allow(dead_code)]
               pub struct $name<'a> { pub q: super::Q, pub c: &'a super::$name } )*
        }
        $(
            impl Statement for $name {
                const FILE: &'static str = stringify!($name);
                fn render_raw(&self, dialect: Dialect) -> askama::Result<String> {
                    use askama::Template;
                    let q = Q::new(dialect);
                    match dialect {
                        Dialect::DuckDb => duckdb_sql::$name { q, c: self }.render(),
                        Dialect::Snowflake => snowflake_sql::$name { q, c: self }.render(),
                        Dialect::BigQuery => bigquery_sql::$name { q, c: self }.render(),
                    }
                }
            }
        )*
        /// Every template file name, for the grid test.
        pub const TEMPLATE_FILES: &[[&str; 3]] = &[ $( [$duck, $snow, $bq] ),* ];
    };
}

statements! {
    CreateSchema => "common/create_schema.sql", "common/create_schema.sql", "common/create_schema.sql";
    CreateLandingTables => "duckdb/create_landing_tables.sql", "snowflake/create_landing_tables.sql", "bigquery/create_landing_tables.sql";
    CreateRawTable => "duckdb/create_raw_table.sql", "snowflake/create_raw_table.sql", "bigquery/create_raw_table.sql";
    LandedChecksums => "common/landed_checksums.sql", "common/landed_checksums.sql", "common/landed_checksums.sql";
    LoadBatch => "duckdb/load_batch.sql", "snowflake/load_batch.sql", "bigquery/load_batch.sql";
    RecordSkippedFiles => "common/record_skipped_files.sql", "common/record_skipped_files.sql", "common/record_skipped_files.sql";
    CreateRunTables => "duckdb/create_run_tables.sql", "snowflake/create_run_tables.sql", "bigquery/create_run_tables.sql";
    RelationExists => "duckdb/relation_exists.sql", "snowflake/relation_exists.sql", "bigquery/relation_exists.sql";
    MaxValue => "duckdb/max_value.sql", "snowflake/max_value.sql", "bigquery/max_value.sql";
    ChangedRaw => "common/changed_raw.sql", "common/changed_raw.sql", "common/changed_raw.sql";
    ChangedModel => "common/changed_model.sql", "common/changed_model.sql", "common/changed_model.sql";
    LostValues => "common/lost_values.sql", "common/lost_values.sql", "common/lost_values.sql";
    CreateKeys => "common/create_keys.sql", "common/create_keys.sql", "common/create_keys.sql";
    KeysFromChanged => "common/keys_from_changed.sql", "common/keys_from_changed.sql", "common/keys_from_changed.sql";
    KeysVia => "common/keys_via.sql", "common/keys_via.sql", "common/keys_via.sql";
    KeysOfRows => "common/keys_of_rows.sql", "common/keys_of_rows.sql", "common/keys_of_rows.sql";
    KeysViaValidAt => "common/keys_via_valid_at.sql", "common/keys_via_valid_at.sql", "bigquery/keys_via_valid_at.sql";
    RestrictedRead => "duckdb/restricted_read.sql", "common/restricted_read.sql", "bigquery/restricted_read.sql";
    PartitionsOfKeys => "common/partitions_of_keys.sql", "common/partitions_of_keys.sql", "bigquery/partitions_of_keys.sql";
    BuildStage => "duckdb/build_stage.sql", "snowflake/build_stage.sql", "bigquery/build_stage.sql";
    BuildScd2Stage => "duckdb/build_scd2_stage.sql", "snowflake/build_scd2_stage.sql", "bigquery/build_scd2_stage.sql";
    SelectColumns => "common/select_columns.sql", "common/select_columns.sql", "common/select_columns.sql";
    ComputeDelta => "duckdb/compute_delta.sql", "snowflake/compute_delta.sql", "bigquery/compute_delta.sql";
    DeltaCounts => "duckdb/delta_counts.sql", "snowflake/delta_counts.sql", "bigquery/delta_counts.sql";
    Publish => "duckdb/publish.sql", "snowflake/publish.sql", "bigquery/publish.sql";
    PrepareChanges => "duckdb/prepare_changes.sql", "snowflake/prepare_changes.sql", "bigquery/prepare_changes.sql";
    AppendChanges => "duckdb/append_changes.sql", "snowflake/append_changes.sql", "bigquery/append_changes.sql";
    UpsertWatermark => "duckdb/upsert_watermark.sql", "snowflake/upsert_watermark.sql", "bigquery/upsert_watermark.sql";
    InsertRun => "common/insert_run.sql", "common/insert_run.sql", "common/insert_run.sql";
    FinishRun => "common/finish_run.sql", "common/finish_run.sql", "common/finish_run.sql";
    MarkAbandonedRuns => "common/mark_abandoned_runs.sql", "common/mark_abandoned_runs.sql", "common/mark_abandoned_runs.sql";
    InsertModelAudit => "common/insert_model_audit.sql", "common/insert_model_audit.sql", "common/insert_model_audit.sql";
    InsertCheckAudit => "common/insert_check_audit.sql", "common/insert_check_audit.sql", "common/insert_check_audit.sql";
    CheckQuery => "duckdb/check_query.sql", "snowflake/check_query.sql", "bigquery/check_query.sql";
    DropRelations => "common/drop_relations.sql", "common/drop_relations.sql", "common/drop_relations.sql";
    CreateView => "common/create_view.sql", "snowflake/create_view.sql", "common/create_view.sql";
    PruneChanges => "common/prune_changes.sql", "common/prune_changes.sql", "common/prune_changes.sql";
    NextRunSeq => "common/next_run_seq.sql", "common/next_run_seq.sql", "common/next_run_seq.sql";
    ReadWatermarks => "common/read_watermarks.sql", "common/read_watermarks.sql", "common/read_watermarks.sql";
    ReadPassedGates => "common/read_passed_gates.sql", "common/read_passed_gates.sql", "common/read_passed_gates.sql";
    WouldBe => "duckdb/would_be.sql", "snowflake/would_be.sql", "bigquery/would_be.sql";
    CountRows => "common/count_rows.sql", "common/count_rows.sql", "common/count_rows.sql";
    DropView => "common/drop_view.sql", "common/drop_view.sql", "common/drop_view.sql";
    DistinctValues => "common/distinct_values.sql", "common/distinct_values.sql", "common/distinct_values.sql";
    RecentRuns => "common/recent_runs.sql", "common/recent_runs.sql", "common/recent_runs.sql";
    CreateLeaseTable => "duckdb/create_lease_table.sql", "snowflake/create_lease_table.sql", "bigquery/create_lease_table.sql";
    AcquireLease => "duckdb/acquire_lease.sql", "snowflake/acquire_lease.sql", "bigquery/acquire_lease.sql";
    ReadLease => "duckdb/read_lease.sql", "snowflake/read_lease.sql", "bigquery/read_lease.sql";
    RenewLease => "duckdb/renew_lease.sql", "snowflake/renew_lease.sql", "bigquery/renew_lease.sql";
    ReleaseLease => "common/release_lease.sql", "common/release_lease.sql", "common/release_lease.sql";
}

/// `CREATE SCHEMA IF NOT EXISTS`.
pub struct CreateSchema {
    pub schema: String,
}

/// `raw.rejects` and the landing ledger `audit.landed_files` / `audit.files`.
pub struct CreateLandingTables;

/// A source's raw table: a JSON `payload` or its CSV columns as text, plus
/// pushdown's metadata columns.
pub struct CreateRawTable {
    pub table: String,
    pub json: bool,
    pub columns: Vec<String>,
}

/// The checksums of every file already landed.
pub struct LandedChecksums;

/// A batch of landed files committed in one transaction. Each file stays
/// all-or-nothing: its rows, its rejects and its ledger rows are all in it.
pub struct LoadBatch {
    pub batch_id: String,
    pub run_id: String,
    /// Every file of the batch, in landing order.
    pub files: Vec<FileLoad>,
    /// The files that have rows, grouped by the raw table they land in, so a
    /// dialect can read a table's files in one statement.
    pub groups: Vec<LoadGroup>,
    /// The files that have rejects.
    pub with_rejects: Vec<FileLoad>,
    /// The longest staged reject line of the batch, in bytes.
    pub max_reject_bytes: u64,
}

/// The files of a batch that land in one raw table.
pub struct LoadGroup {
    pub table: String,
    pub json: bool,
    pub columns: Vec<String>,
    /// The longest staged record of these files, in bytes.
    pub max_record_bytes: u64,
    pub files: Vec<FileLoad>,
}

/// One landed file of a batch.
#[derive(Clone)]
pub struct FileLoad {
    pub table: String,
    pub json: bool,
    pub columns: Vec<String>,
    /// Where the warehouse reads the staged records (and rejects) from: what
    /// the adapter's `stage` returned, empty when there are none.
    pub staged_rows: String,
    pub staged_rejects: String,
    pub rows: u64,
    pub rejects: u64,
    pub bytes: u64,
    /// The largest record a reader must buffer, in bytes (readers that size
    /// buffers by a fixed maximum would allocate it for every file).
    pub max_record_bytes: u64,
    pub source: String,
    pub file: String,
    pub checksum: String,
    pub ingested_at: NaiveDateTime,
    pub ingest_date: NaiveDate,
    /// The file's modification time as read (nanoseconds since the epoch),
    /// recorded so that later runs can trust the checksum of an untouched
    /// file; `None` where the file system does not say.
    pub modified_ns: Option<i64>,
}

impl LoadBatch {
    /// Groups `files` for the templates.
    pub fn new(batch_id: String, run_id: String, files: Vec<FileLoad>) -> Self {
        let mut groups: Vec<LoadGroup> = Vec::new();
        for f in files.iter().filter(|f| f.rows > 0) {
            match groups.iter_mut().find(|g| g.table == f.table) {
                Some(g) => {
                    g.max_record_bytes = g.max_record_bytes.max(f.max_record_bytes);
                    g.files.push(f.clone());
                }
                None => groups.push(LoadGroup {
                    table: f.table.clone(),
                    json: f.json,
                    columns: f.columns.clone(),
                    max_record_bytes: f.max_record_bytes,
                    files: vec![f.clone()],
                }),
            }
        }
        let with_rejects: Vec<FileLoad> = files.iter().filter(|f| f.rejects > 0).cloned().collect();
        let max_reject_bytes = with_rejects
            .iter()
            .map(|f| f.max_record_bytes)
            .max()
            .unwrap_or(0);
        Self {
            batch_id,
            run_id,
            files,
            groups,
            with_rejects,
            max_reject_bytes,
        }
    }
}

/// A file skipped because its checksum was landed before.
pub struct RecordSkippedFiles {
    pub run_id: String,
    pub at: NaiveDateTime,
    pub files: Vec<SkippedFile>,
}

pub struct SkippedFile {
    pub source: String,
    pub file: String,
    pub checksum: String,
}

/// `audit.lease`: the row that says which run may write to the warehouse.
pub struct CreateLeaseTable;

/// Takes the lease `name` for a run unless someone holds it unexpired.
pub struct AcquireLease {
    pub name: String,
    pub run_id: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    pub target: String,
    pub ttl_seconds: i64,
}

/// Who holds the lease `name`, with the warehouse's clock.
pub struct ReadLease {
    pub name: String,
}

/// Pushes the run's lease expiry `ttl_seconds` past the warehouse's now.
pub struct RenewLease {
    pub name: String,
    pub run_id: String,
    pub ttl_seconds: i64,
}

/// Drops the lease `name` if `run_id` holds it (a finished run, or a holder
/// known to be dead).
pub struct ReleaseLease {
    pub name: String,
    pub run_id: String,
}
