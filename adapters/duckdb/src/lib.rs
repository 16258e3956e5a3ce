//! pushdown's embedded warehouse: DuckDB in the agent's own process.
//!
//! DuckDB's API is blocking, so every call runs on tokio's blocking pool and
//! never stalls the runtime's workers. One connection serves the whole run:
//! pushdown submits its statements one transaction at a time, and DuckDB
//! itself parallelises each statement across cores.
//!
//! Settings (from the target's table in `pushdown.toml`):
//! * `path`: the database file, relative to the project directory;
//!   `PUSHDOWN_DUCKDB_PATH` overrides it (deployments and outside checks);
//!   `:memory:` for a throwaway database.
//! * `threads`, `memory_limit`: passed to DuckDB when set.
//! * `checkpoint_threshold`: how much write-ahead log DuckDB gathers before
//!   it checkpoints at a commit; default [`CHECKPOINT_THRESHOLD`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use duckdb::Connection;
use duckdb::types::{TimeUnit, ValueRef};
use pushdown_adapter::{
    Decimal, Dialect, ErrorKind, Result, Rows, Value, Warehouse, WarehouseError,
};

/// The environment variable that overrides the database file of a duckdb target.
pub const PATH_ENV: &str = "PUSHDOWN_DUCKDB_PATH";

/// DuckDB's default (16 MB) checkpoints in the middle of a run, at whichever
/// commit crosses it, and each checkpoint rewrites the row groups that the
/// run changed since the last one: a run that publishes a dozen models
/// rewrote some tables three times. With a threshold above what one run
/// logs, the run checkpoints once, when it closes the database (a killed run
/// leaves the log, which the next open replays). Bulk loads do not grow the
/// log: DuckDB writes their row groups to the database file directly.
pub const CHECKPOINT_THRESHOLD: &str = "1GB";

/// Where the database lives, resolved from the target's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct DuckDbSettings {
    pub path: Option<PathBuf>,
    pub threads: Option<u32>,
    pub memory_limit: Option<String>,
    pub checkpoint_threshold: String,
}

impl Default for DuckDbSettings {
    /// An in-memory database with DuckDB's own defaults but for
    /// [`CHECKPOINT_THRESHOLD`].
    fn default() -> Self {
        Self {
            path: None,
            threads: None,
            memory_limit: None,
            checkpoint_threshold: CHECKPOINT_THRESHOLD.into(),
        }
    }
}

impl DuckDbSettings {
    /// The database in `path` with the defaults.
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Some(path.into()),
            ..Self::default()
        }
    }

    /// Reads the target's settings; `project_dir` anchors a relative path.
    /// Unknown keys are an error so a typo does not silently pick a default.
    pub fn from_settings(
        settings: &BTreeMap<String, String>,
        project_dir: &Path,
    ) -> std::result::Result<Self, String> {
        let mut out = DuckDbSettings::default();
        for (key, value) in settings {
            match key.as_str() {
                "path" => out.path = Some(resolve(value, project_dir)),
                "threads" => {
                    out.threads =
                        Some(value.parse().map_err(|_| {
                            format!("`threads` must be a whole number, got `{value}`")
                        })?)
                }
                "memory_limit" => out.memory_limit = Some(value.clone()),
                "checkpoint_threshold" => out.checkpoint_threshold = value.clone(),
                other => {
                    return Err(format!(
                        "unknown duckdb setting `{other}` (known: path, threads, memory_limit, checkpoint_threshold)"
                    ));
                }
            }
        }
        if let Ok(path) = std::env::var(PATH_ENV)
            && !path.is_empty()
        {
            out.path = Some(resolve(&path, &std::env::current_dir().unwrap_or_default()));
        }
        Ok(out)
    }
}

fn resolve(value: &str, base: &Path) -> PathBuf {
    if value == ":memory:" {
        return PathBuf::from(value);
    }
    let p = PathBuf::from(value);
    if p.is_absolute() { p } else { base.join(p) }
}

/// An open DuckDB database.
pub struct DuckDb {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for DuckDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DuckDb").field("path", &self.path).finish()
    }
}

impl DuckDb {
    pub async fn open(settings: DuckDbSettings) -> Result<Self> {
        tokio::task::spawn_blocking(move || Self::open_blocking(settings))
            .await
            .map_err(|e| {
                WarehouseError::new(
                    ErrorKind::Connection,
                    format!("duckdb open task failed: {e}"),
                )
            })?
    }

    fn open_blocking(settings: DuckDbSettings) -> Result<Self> {
        let conn = match &settings.path {
            Some(p) if p.as_os_str() != ":memory:" => {
                if let Some(dir) = p.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        WarehouseError::new(
                            ErrorKind::Connection,
                            format!("cannot create {}: {e}", dir.display()),
                        )
                    })?;
                }
                Connection::open(p)
            }
            _ => Connection::open_in_memory(),
        }
        .map_err(|e| {
            let at = settings
                .path
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or(":memory:".into());
            // Another process has the file open for writing: DuckDB allows
            // one writer process per file, and says which one it is.
            let message = e.to_string();
            let kind = if message.contains("Could not set lock on file") {
                ErrorKind::Busy
            } else {
                ErrorKind::Connection
            };
            WarehouseError::new(kind, format!("cannot open duckdb database {at}: {message}"))
        })?;
        // pushdown keeps every instant in UTC. With DuckDB's ICU extension a
        // TIMESTAMPTZ -> TIMESTAMP cast follows the session time zone, so the
        // session is pinned to UTC and models give the same answer anywhere.
        // Without ICU (a bundled build without it) the setting does not exist
        // and casts are UTC already.
        let _ = conn.execute_batch("SET TimeZone = 'UTC'");
        let mut pragmas = format!(
            "SET checkpoint_threshold = '{}';",
            settings.checkpoint_threshold.replace('\'', "''")
        );
        if let Some(t) = settings.threads {
            pragmas.push_str(&format!("SET threads = {t};"));
        }
        if let Some(m) = &settings.memory_limit {
            pragmas.push_str(&format!("SET memory_limit = '{}';", m.replace('\'', "''")));
        }
        conn.execute_batch(&pragmas)
            .map_err(|e| WarehouseError::new(ErrorKind::Connection, e.to_string()))?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path: settings.path,
        })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock poisons it; the connection itself
            // is still usable, and a failed transaction was rolled back.
            let guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard)
        })
        .await
        .map_err(|e| {
            WarehouseError::new(ErrorKind::Connection, format!("duckdb task failed: {e}"))
        })?
    }
}

fn statement_error(e: duckdb::Error) -> WarehouseError {
    let message = e.to_string();
    // DuckDB reports write-write conflicts between transactions this way; the
    // same transaction retried later succeeds.
    let kind = if message.contains("Conflict on") || message.contains("write-write conflict") {
        ErrorKind::Transient
    } else {
        ErrorKind::Statement
    };
    WarehouseError::new(kind, message)
}

#[async_trait]
impl Warehouse for DuckDb {
    fn dialect(&self) -> Dialect {
        Dialect::DuckDb
    }

    async fn execute(&self, statements: &[String]) -> Result<()> {
        let statements = statements.to_vec();
        self.blocking(move |conn| {
            conn.execute_batch("BEGIN TRANSACTION")
                .map_err(statement_error)?;
            for (i, sql) in statements.iter().enumerate() {
                if let Err(e) = conn.execute_batch(sql) {
                    let _ = conn.execute_batch("ROLLBACK");
                    return Err(statement_error(e).at_statement(i));
                }
            }
            conn.execute_batch("COMMIT").map_err(|e| {
                let _ = conn.execute_batch("ROLLBACK");
                statement_error(e)
            })
        })
        .await
    }

    /// DuckDB reads staged files from disk, and each insert costs it a
    /// partial row group merged at the next checkpoint: at 10x the reference
    /// volume, batches of 512 MiB landed in 24-25 s, of 128 MiB in 30-32 s.
    fn landing_batch_bytes(&self) -> u64 {
        512 << 20
    }

    /// The checkpoint DuckDB would run when the connection closes: the run's
    /// changes, gathered in the write-ahead log (see [`CHECKPOINT_THRESHOLD`]),
    /// are compressed into the database file. At 10x the reference volume it
    /// is seconds of a run.
    async fn close(&self) -> Result<()> {
        self.blocking(|conn| conn.execute_batch("CHECKPOINT").map_err(statement_error))
            .await
    }

    async fn query(&self, sql: &str) -> Result<Rows> {
        let sql = sql.to_string();
        self.blocking(move |conn| {
            let mut stmt = conn.prepare(&sql).map_err(statement_error)?;
            let mut rows = stmt.query([]).map_err(statement_error)?;
            let columns = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
            let mut out = Vec::new();
            while let Some(row) = rows.next().map_err(statement_error)? {
                let mut values = Vec::with_capacity(columns.len());
                for i in 0..columns.len() {
                    values.push(convert(row.get_ref(i).map_err(statement_error)?));
                }
                out.push(values);
            }
            Ok(Rows { columns, rows: out })
        })
        .await
    }
}

fn convert(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Boolean(b) => Value::Bool(b),
        ValueRef::TinyInt(i) => Value::Int(i.into()),
        ValueRef::SmallInt(i) => Value::Int(i.into()),
        ValueRef::Int(i) => Value::Int(i.into()),
        ValueRef::BigInt(i) => Value::Int(i),
        ValueRef::UTinyInt(i) => Value::Int(i.into()),
        ValueRef::USmallInt(i) => Value::Int(i.into()),
        ValueRef::UInt(i) => Value::Int(i.into()),
        ValueRef::UBigInt(i) => i64::try_from(i)
            .map(Value::Int)
            .unwrap_or(Value::Text(i.to_string())),
        ValueRef::HugeInt(i) => i64::try_from(i)
            .map(Value::Int)
            .unwrap_or(Value::Text(i.to_string())),
        ValueRef::UHugeInt(i) => i64::try_from(i)
            .map(Value::Int)
            .unwrap_or(Value::Text(i.to_string())),
        ValueRef::Float(f) => Value::Float(f.into()),
        ValueRef::Double(f) => Value::Float(f),
        ValueRef::Decimal(d) => {
            let text = d.to_string();
            text.parse::<Decimal>()
                .map(Value::Decimal)
                .unwrap_or(Value::Text(text))
        }
        ValueRef::Timestamp(unit, n) => {
            let micros = unit.to_micros(n);
            chrono::DateTime::from_timestamp_micros(micros)
                .map(|t| Value::Timestamp(t.naive_utc()))
                .unwrap_or(Value::Null)
        }
        ValueRef::Date32(days) => chrono::NaiveDate::from_num_days_from_ce_opt(days + 719_163)
            .map(Value::Date)
            .unwrap_or(Value::Null),
        ValueRef::Text(bytes) => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        ValueRef::Time64(TimeUnit::Microsecond, n) => Value::Text(format!("{n}us")),
        other => Value::Text(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn threshold(settings: DuckDbSettings) -> Option<String> {
        let wh = DuckDb::open(settings).await.unwrap();
        let rows = wh
            .query("SELECT current_setting('checkpoint_threshold')")
            .await
            .unwrap();
        rows.rows[0][0].as_str().map(str::to_owned)
    }

    /// `close` writes the run's log into the database file, where dropping
    /// the connection would have (and untimed).
    #[tokio::test]
    async fn close_checkpoints_the_log() {
        let dir =
            std::env::temp_dir().join(format!("pushdown-duckdb-close-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("wh.duckdb");
        let wal = dir.join("wh.duckdb.wal");
        let wh = DuckDb::open(DuckDbSettings::at(&path)).await.unwrap();
        wh.execute(&["CREATE TABLE t AS SELECT range AS i FROM range(1000)".into()])
            .await
            .unwrap();
        let logged = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert!(logged > 0, "the commit is in the log first");
        wh.close().await.unwrap();
        let left = std::fs::metadata(&wal).map_or(0, |m| m.len());
        assert_eq!(left, 0, "the log was checkpointed ({logged} bytes before)");
        let rows = wh.query("SELECT count(*) FROM t").await.unwrap();
        assert_eq!(rows.rows[0][0], Value::Int(1000));
        drop(wh);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn settings_reach_duckdb() {
        let dir =
            std::env::temp_dir().join(format!("pushdown-duckdb-settings-{}", std::process::id()));
        let settings = BTreeMap::from([
            ("path".to_string(), "wh.duckdb".to_string()),
            ("checkpoint_threshold".to_string(), "64MB".to_string()),
        ]);
        let parsed = DuckDbSettings::from_settings(&settings, &dir).unwrap();
        // DuckDB reports sizes in its own units (64MB = 61.0 MiB).
        assert_eq!(threshold(parsed).await.as_deref(), Some("61.0 MiB"));
        let default = DuckDbSettings::at(dir.join("wh.duckdb"));
        assert_eq!(threshold(default).await.as_deref(), Some("953.6 MiB"));
        let _ = std::fs::remove_dir_all(&dir);
        let typo = BTreeMap::from([("checkpoint".to_string(), "1GB".to_string())]);
        let err = DuckDbSettings::from_settings(&typo, &dir).unwrap_err();
        assert!(err.contains("checkpoint_threshold"), "{err}");
    }
}
