//! The boundary between pushdown's core and a warehouse.
//!
//! The core renders every statement itself (from `sql_templates/<dialect>/`) and
//! hands adapters finished SQL: an adapter moves bytes and runs statements, it
//! never writes SQL. The boundary is deliberately small so a new warehouse is a
//! few hundred lines:
//!
//! * required: [`Warehouse::dialect`], [`Warehouse::execute`], [`Warehouse::query`];
//! * provided: [`Warehouse::stage`] (default: the local path is the staged
//!   location, right for warehouses that read the agent's disk),
//!   [`Warehouse::unstage`], and their batch forms [`Warehouse::stage_batch`]
//!   and [`Warehouse::unstage_batch`] (default: one file at a time) for
//!   warehouses that load many files in one request.

use std::fmt;
use std::path::Path;

use async_trait::async_trait;
pub use rust_decimal::Decimal;

mod value;
pub use value::{Rows, Value};

/// The SQL dialects pushdown renders for. Adapters say which one they speak;
/// the core picks the template folder and quoting rules from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dialect {
    DuckDb,
    Snowflake,
    BigQuery,
}

impl Dialect {
    pub const ALL: [Dialect; 3] = [Dialect::DuckDb, Dialect::Snowflake, Dialect::BigQuery];

    /// The name used on the command line and as the template folder.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::DuckDb => "duckdb",
            Dialect::Snowflake => "snowflake",
            Dialect::BigQuery => "bigquery",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.name() == name)
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What went wrong, in the terms the core branches on. Adapters map their
/// warehouse's codes onto these; the core never parses message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Could not reach or authenticate to the warehouse.
    Connection,
    /// The warehouse refused a statement (syntax, constraint, missing object...).
    Statement,
    /// A passing condition (throttling, a lost connection, a serialization
    /// conflict): the same request may succeed later.
    Transient,
    /// Moving a file into the warehouse's stage failed.
    Stage,
    /// Someone else holds the warehouse exclusively (an embedded database
    /// file locked by another process): the same request succeeds once they
    /// let go. The message names the holder when the warehouse says.
    Busy,
}

/// An error from the warehouse, with the statement it concerns (by index into
/// the batch given to [`Warehouse::execute`]) so the core can name it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct WarehouseError {
    pub kind: ErrorKind,
    pub message: String,
    /// Index of the failing statement within the batch, when known.
    pub statement: Option<usize>,
}

impl WarehouseError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            statement: None,
        }
    }

    pub fn at_statement(mut self, index: usize) -> Self {
        self.statement = Some(index);
        self
    }

    /// Whether backing off and retrying the same request can help.
    pub fn is_retryable(&self) -> bool {
        matches!(self.kind, ErrorKind::Transient | ErrorKind::Busy)
    }
}

pub type Result<T, E = WarehouseError> = std::result::Result<T, E>;

/// How a staged file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagedFormat {
    /// One JSON object per line.
    JsonLines,
    /// RFC 4180 CSV: comma separated, `"` quoted with `""` inside quotes, no
    /// header, records may span lines. An empty unquoted field is NULL.
    Csv,
}

/// The type of a staged column, for warehouses that load through an API and
/// must declare a schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagedType {
    Integer,
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedColumn {
    pub name: String,
    pub ty: StagedType,
}

impl StagedColumn {
    pub fn new(name: impl Into<String>, ty: StagedType) -> Self {
        Self {
            name: name.into(),
            ty,
        }
    }
}

/// A file the core wrote for the warehouse to load (checked, tokenized
/// records, or rejects), described well enough to load it without guessing.
#[derive(Debug, Clone, Copy)]
pub struct StagedFile<'a> {
    pub path: &'a Path,
    /// Stable identity of the staged bytes (derived from the source file's
    /// checksum, the target table and the part): the same id always means the
    /// same content, so an adapter can make its upload idempotent, e.g. with a
    /// load job id derived from it that the warehouse refuses to run twice.
    pub id: &'a str,
    pub format: StagedFormat,
    /// The columns in file order (CSV) or the keys of each object (JSON).
    pub columns: &'a [StagedColumn],
}

/// A warehouse pushdown can land into and transform inside.
#[async_trait]
pub trait Warehouse: Send + Sync {
    /// The dialect this warehouse speaks.
    fn dialect(&self) -> Dialect;

    /// Runs the statements in order as one transaction: either every statement
    /// takes effect or none does.
    async fn execute(&self, statements: &[String]) -> Result<()>;

    /// Runs one read-only statement and returns its rows.
    async fn query(&self, sql: &str) -> Result<Rows>;

    /// Makes a file the core wrote readable by the warehouse and returns the
    /// location templates read it from (a path, a stage path, a table).
    async fn stage(&self, file: &StagedFile<'_>) -> Result<String> {
        Ok(file.path.to_string_lossy().into_owned())
    }

    /// Releases what [`Warehouse::stage`] created, once its rows are committed.
    async fn unstage(&self, _location: &str) -> Result<()> {
        Ok(())
    }

    /// Stages the files of one landing batch and returns each file's
    /// location, in the order given. Warehouses that pay per load request
    /// (BigQuery: one load job per request, with a daily quota per table)
    /// override it to send files that share a layout together.
    async fn stage_batch(&self, files: &[StagedFile<'_>]) -> Result<Vec<String>> {
        let mut locations = Vec::with_capacity(files.len());
        for file in files {
            locations.push(self.stage(file).await?);
        }
        Ok(locations)
    }

    /// Releases what [`Warehouse::stage_batch`] returned, once the batch is
    /// committed (several files may share a location).
    async fn unstage_batch(&self, locations: &[String]) -> Result<()> {
        for location in locations {
            self.unstage(location).await?;
        }
        Ok(())
    }

    /// The most source bytes one landing batch holds. Remote warehouses hold a
    /// batch's staged files in memory to upload them; an embedded one reads
    /// them from disk and loads fewer, larger batches faster.
    fn landing_batch_bytes(&self) -> u64 {
        128 << 20
    }

    /// Finishes the work the warehouse would otherwise do when the agent lets
    /// go of it (an embedded database writes its log into its file), so that
    /// the run's timing counts it as the warehouse's and a failure is seen.
    /// Called once, after the run's last statement.
    async fn close(&self) -> Result<()> {
        Ok(())
    }

    /// Bytes the warehouse would process to run `sql`, asked without running
    /// it (BigQuery's dry run), for `pushdown render --dry-run`. `None`: this
    /// warehouse gives no estimate.
    async fn estimate(&self, _sql: &str) -> Result<Option<u64>> {
        Ok(None)
    }
}
