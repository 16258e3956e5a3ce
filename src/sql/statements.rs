//! The statement contexts: one struct per template file.
//!
//! Fields hold plain values; templates quote them through `q` (the dialect's
//! [`super::Q`]) so the quoting rules live in exactly one place.

use chrono::{NaiveDate, NaiveDateTime};

pub use super::transform_statements::*;
use pushdown_adapter::Dialect;

use super::{Q, Statement};

/// Declares a context and binds it to the same file in each dialect folder.
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
    CreateSchema => "duckdb/create_schema.sql", "snowflake/create_schema.sql", "bigquery/create_schema.sql";
    CreateLandingTables => "duckdb/create_landing_tables.sql", "snowflake/create_landing_tables.sql", "bigquery/create_landing_tables.sql";
    CreateRawTable => "duckdb/create_raw_table.sql", "snowflake/create_raw_table.sql", "bigquery/create_raw_table.sql";
    LandedChecksums => "duckdb/landed_checksums.sql", "snowflake/landed_checksums.sql", "bigquery/landed_checksums.sql";
    LoadBatch => "duckdb/load_batch.sql", "snowflake/load_batch.sql", "bigquery/load_batch.sql";
    RecordSkippedFile => "duckdb/record_skipped_file.sql", "snowflake/record_skipped_file.sql", "bigquery/record_skipped_file.sql";
    CreateRunTables => "duckdb/create_run_tables.sql", "snowflake/create_run_tables.sql", "bigquery/create_run_tables.sql";
    RelationExists => "duckdb/relation_exists.sql", "snowflake/relation_exists.sql", "bigquery/relation_exists.sql";
    MaxValue => "duckdb/max_value.sql", "snowflake/max_value.sql", "bigquery/max_value.sql";
    ChangedRaw => "duckdb/changed_raw.sql", "snowflake/changed_raw.sql", "bigquery/changed_raw.sql";
    ChangedModel => "duckdb/changed_model.sql", "snowflake/changed_model.sql", "bigquery/changed_model.sql";
    CreateKeys => "duckdb/create_keys.sql", "snowflake/create_keys.sql", "bigquery/create_keys.sql";
    KeysFromChanged => "duckdb/keys_from_changed.sql", "snowflake/keys_from_changed.sql", "bigquery/keys_from_changed.sql";
    KeysVia => "duckdb/keys_via.sql", "snowflake/keys_via.sql", "bigquery/keys_via.sql";
    KeysOfRows => "duckdb/keys_of_rows.sql", "snowflake/keys_of_rows.sql", "bigquery/keys_of_rows.sql";
    KeysViaValidAt => "duckdb/keys_via_valid_at.sql", "snowflake/keys_via_valid_at.sql", "bigquery/keys_via_valid_at.sql";
    RestrictedRead => "duckdb/restricted_read.sql", "snowflake/restricted_read.sql", "bigquery/restricted_read.sql";
    PartitionsOfKeys => "duckdb/partitions_of_keys.sql", "snowflake/partitions_of_keys.sql", "bigquery/partitions_of_keys.sql";
    BuildStage => "duckdb/build_stage.sql", "snowflake/build_stage.sql", "bigquery/build_stage.sql";
    BuildScd2Stage => "duckdb/build_scd2_stage.sql", "snowflake/build_scd2_stage.sql", "bigquery/build_scd2_stage.sql";
    SelectColumns => "duckdb/select_columns.sql", "snowflake/select_columns.sql", "bigquery/select_columns.sql";
    ComputeDelta => "duckdb/compute_delta.sql", "snowflake/compute_delta.sql", "bigquery/compute_delta.sql";
    DeltaCounts => "duckdb/delta_counts.sql", "snowflake/delta_counts.sql", "bigquery/delta_counts.sql";
    Publish => "duckdb/publish.sql", "snowflake/publish.sql", "bigquery/publish.sql";
    PrepareChanges => "duckdb/prepare_changes.sql", "snowflake/prepare_changes.sql", "bigquery/prepare_changes.sql";
    AppendChanges => "duckdb/append_changes.sql", "snowflake/append_changes.sql", "bigquery/append_changes.sql";
    UpsertWatermark => "duckdb/upsert_watermark.sql", "snowflake/upsert_watermark.sql", "bigquery/upsert_watermark.sql";
    InsertRun => "duckdb/insert_run.sql", "snowflake/insert_run.sql", "bigquery/insert_run.sql";
    FinishRun => "duckdb/finish_run.sql", "snowflake/finish_run.sql", "bigquery/finish_run.sql";
    MarkAbandonedRuns => "duckdb/mark_abandoned_runs.sql", "snowflake/mark_abandoned_runs.sql", "bigquery/mark_abandoned_runs.sql";
    InsertModelAudit => "duckdb/insert_model_audit.sql", "snowflake/insert_model_audit.sql", "bigquery/insert_model_audit.sql";
    InsertCheckAudit => "duckdb/insert_check_audit.sql", "snowflake/insert_check_audit.sql", "bigquery/insert_check_audit.sql";
    CheckQuery => "duckdb/check_query.sql", "snowflake/check_query.sql", "bigquery/check_query.sql";
    DropRelations => "duckdb/drop_relations.sql", "snowflake/drop_relations.sql", "bigquery/drop_relations.sql";
    CreateView => "duckdb/create_view.sql", "snowflake/create_view.sql", "bigquery/create_view.sql";
    PruneChanges => "duckdb/prune_changes.sql", "snowflake/prune_changes.sql", "bigquery/prune_changes.sql";
    NextRunSeq => "duckdb/next_run_seq.sql", "snowflake/next_run_seq.sql", "bigquery/next_run_seq.sql";
    ReadWatermarks => "duckdb/read_watermarks.sql", "snowflake/read_watermarks.sql", "bigquery/read_watermarks.sql";
    WouldBe => "duckdb/would_be.sql", "snowflake/would_be.sql", "bigquery/would_be.sql";
    CountRows => "duckdb/count_rows.sql", "snowflake/count_rows.sql", "bigquery/count_rows.sql";
    DropView => "duckdb/drop_view.sql", "snowflake/drop_view.sql", "bigquery/drop_view.sql";
    DistinctValues => "duckdb/distinct_values.sql", "snowflake/distinct_values.sql", "bigquery/distinct_values.sql";
    RecentRuns => "duckdb/recent_runs.sql", "snowflake/recent_runs.sql", "bigquery/recent_runs.sql";
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
pub struct RecordSkippedFile {
    pub run_id: String,
    pub source: String,
    pub file: String,
    pub checksum: String,
    pub at: NaiveDateTime,
}
