//! The boundary between pushdown's core and a warehouse.
//!
//! The core renders every statement itself (from `sql_templates/<dialect>/`) and
//! hands adapters finished SQL: an adapter moves bytes and runs statements, it
//! never writes SQL. The boundary is deliberately small so a new warehouse is a
//! few hundred lines:
//!
//! * required: [`Warehouse::dialect`], [`Warehouse::execute`], [`Warehouse::query`];
//! * provided: [`Warehouse::stage`] (default: the local path is the staged
//!   location, right for warehouses that read the agent's disk) and
//!   [`Warehouse::unstage`].

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

    /// Makes a local file readable by the warehouse and returns the location
    /// that templates use to read it (`staged_uri`).
    async fn stage(&self, local: &Path) -> Result<String> {
        Ok(local.to_string_lossy().into_owned())
    }

    /// Releases what [`Warehouse::stage`] created, once its rows are committed.
    async fn unstage(&self, _location: &str) -> Result<()> {
        Ok(())
    }
}
