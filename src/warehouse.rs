//! The core's side of the warehouse boundary: submitting rendered statements
//! with enough context that a failure names what to fix.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use pushdown_adapter::{Rows, Warehouse, WarehouseError};

use crate::error::{Error, FailureKind, Result};
use crate::sql::shorten;

/// Time spent waiting on the warehouse, for the result file: a run's
/// duration minus this is pushdown's own overhead.
static WAREHOUSE_NANOS: AtomicU64 = AtomicU64::new(0);

pub fn warehouse_seconds() -> f64 {
    WAREHOUSE_NANOS.load(Ordering::Relaxed) as f64 / 1e9
}

fn timed(start: Instant) {
    WAREHOUSE_NANOS.fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
}

/// A batch of statements that must commit together, and what it is for
/// (`model dw.fact_orders (models/dw/fact_orders.sql)`, `land orders/...`).
pub struct Exec {
    pub what: String,
    pub statements: Vec<String>,
}

impl Exec {
    pub fn new(what: impl Into<String>, statements: Vec<String>) -> Self {
        Self {
            what: what.into(),
            statements,
        }
    }
}

#[async_trait]
pub trait WarehouseExt {
    /// Runs the batch atomically; an error names the batch and the statement.
    async fn run(&self, exec: Exec) -> Result<()>;
    /// Runs one query; an error names what it was for.
    async fn fetch(&self, what: &str, sql: &str) -> Result<Rows>;
    /// Lets the warehouse finish its pending work ([`Warehouse::close`]).
    /// Every change is committed by then, so a failure is only logged.
    async fn finish(&self);
}

/// How a warehouse error fails the run: `busy` while someone else holds the
/// warehouse, `transient` when a retry may help, `warehouse` otherwise.
pub fn failure_kind(e: &WarehouseError) -> FailureKind {
    if e.kind == pushdown_adapter::ErrorKind::Busy {
        FailureKind::Busy
    } else if e.is_retryable() {
        FailureKind::Transient
    } else {
        FailureKind::Warehouse
    }
}

pub fn failure(what: &str, statements: &[String], e: &WarehouseError) -> Error {
    let kind = failure_kind(e);
    let at = match e.statement {
        Some(i) if i < statements.len() => {
            format!(
                " at statement {} of {} `{}`",
                i + 1,
                statements.len(),
                shorten(&statements[i])
            )
        }
        _ if statements.len() == 1 => format!(" running `{}`", shorten(&statements[0])),
        _ => String::new(),
    };
    Error::run(
        kind,
        format!("{what}: the warehouse refused it{at}: {}", e.message.trim()),
    )
}

#[async_trait]
impl<W: Warehouse + ?Sized> WarehouseExt for W {
    async fn run(&self, exec: Exec) -> Result<()> {
        if exec.statements.is_empty() {
            return Ok(());
        }
        tracing::debug!(what = %exec.what, statements = exec.statements.len(), "submit");
        for sql in &exec.statements {
            tracing::trace!(what = %exec.what, %sql, "statement");
        }
        let start = Instant::now();
        let result = self.execute(&exec.statements).await;
        timed(start);
        result.map_err(|e| failure(&exec.what, &exec.statements, &e))
    }

    async fn finish(&self) {
        let start = Instant::now();
        let result = self.close().await;
        timed(start);
        if let Err(e) = result {
            tracing::warn!(error = %e, "the warehouse could not finish its pending work; it will when next opened");
        }
    }

    async fn fetch(&self, what: &str, sql: &str) -> Result<Rows> {
        tracing::trace!(%what, %sql, "query");
        let start = Instant::now();
        let result = self.query(sql).await;
        timed(start);
        result.map_err(|e| failure(what, &[sql.to_string()], &e))
    }
}
