//! The statement contexts: one struct per template file.
//!
//! Fields hold plain values; templates quote them through `q` (the dialect's
//! [`super::Q`]) so the quoting rules live in exactly one place.

use chrono::{NaiveDate, NaiveDateTime};
use pushdown_adapter::Dialect;

use super::{Q, Statement};

/// Declares a context and binds it to the same file in each dialect folder.
macro_rules! statements {
    ($( $(#[$meta:meta])* $name:ident => $duck:tt, $snow:tt, $bq:tt; )*) => {
        mod duckdb_sql {
            $( #[derive(askama::Template)] #[template(path = $duck, escape = "none")] #[allow(dead_code)]
               pub struct $name<'a> { pub q: super::Q, pub c: &'a super::$name } )*
        }
        mod snowflake_sql {
            $( #[derive(askama::Template)] #[template(path = $snow, escape = "none")] #[allow(dead_code)]
               pub struct $name<'a> { pub q: super::Q, pub c: &'a super::$name } )*
        }
        mod bigquery_sql {
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
    LoadFile => "duckdb/load_file.sql", "snowflake/load_file.sql", "bigquery/load_file.sql";
    RecordSkippedFile => "duckdb/record_skipped_file.sql", "snowflake/record_skipped_file.sql", "bigquery/record_skipped_file.sql";
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

/// One file's rows, its rejects and its ledger row, in one transaction.
pub struct LoadFile {
    pub table: String,
    pub json: bool,
    pub columns: Vec<String>,
    /// Where the warehouse reads the staged records (and rejects) from.
    pub staged_rows: String,
    pub staged_rejects: String,
    pub rows: u64,
    pub rejects: u64,
    pub bytes: u64,
    pub source: String,
    pub file: String,
    pub checksum: String,
    pub batch_id: String,
    pub run_id: String,
    pub ingested_at: NaiveDateTime,
    pub ingest_date: NaiveDate,
}

/// A file skipped because its checksum was landed before.
pub struct RecordSkippedFile {
    pub run_id: String,
    pub source: String,
    pub file: String,
    pub checksum: String,
    pub at: NaiveDateTime,
}
