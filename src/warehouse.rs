//! The core's side of the warehouse boundary: submitting rendered statements
//! with enough context that a failure names what to fix.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use pushdown_adapter::{Rows, Warehouse, WarehouseError};

use crate::error::{Error, FailureKind, Result};
use crate::sql::shorten;

/// Time spent waiting on the warehouse, for the result file: a run's
/// duration minus this is pushdown's own overhead.
static WAREHOUSE: Busy = Busy::new();

pub fn warehouse_seconds() -> f64 {
    WAREHOUSE.seconds()
}

/// Wall time during which at least one call to the warehouse was in flight.
/// Calls overlap (the lease is renewed while a long statement runs, and on
/// DuckDB the renewal waits for it), so adding up each call's time counted
/// the same seconds twice: at 100x the reference volume the "warehouse"
/// time exceeded the run's duration.
struct Busy(Mutex<BusyState>);

struct BusyState {
    in_flight: usize,
    since: Option<Instant>,
    total: Duration,
}

/// One call in flight; the time ends when it is dropped.
struct InFlight<'a>(&'a Busy);

impl Busy {
    const fn new() -> Self {
        Busy(Mutex::new(BusyState {
            in_flight: 0,
            since: None,
            total: Duration::ZERO,
        }))
    }

    fn state(&self) -> std::sync::MutexGuard<'_, BusyState> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn enter(&self) -> InFlight<'_> {
        let mut s = self.state();
        if s.in_flight == 0 {
            s.since = Some(Instant::now());
        }
        s.in_flight += 1;
        InFlight(self)
    }

    fn seconds(&self) -> f64 {
        let s = self.state();
        let open = s.since.map_or(Duration::ZERO, |t| t.elapsed());
        (s.total + open).as_secs_f64()
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut s = self.0.state();
        s.in_flight -= 1;
        if s.in_flight == 0
            && let Some(t) = s.since.take()
        {
            s.total += t.elapsed();
        }
    }
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
        let result = {
            let _busy = WAREHOUSE.enter();
            self.execute(&exec.statements).await
        };
        result.map_err(|e| failure(&exec.what, &exec.statements, &e))
    }

    async fn finish(&self) {
        let result = {
            let _busy = WAREHOUSE.enter();
            self.close().await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "the warehouse could not finish its pending work; it will when next opened");
        }
    }

    async fn fetch(&self, what: &str, sql: &str) -> Result<Rows> {
        tracing::trace!(%what, %sql, "query");
        let result = {
            let _busy = WAREHOUSE.enter();
            self.query(sql).await
        };
        result.map_err(|e| failure(what, &[sql.to_string()], &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Overlapping calls count once: the union of their spans, not the sum.
    #[test]
    fn overlapping_calls_count_once() {
        let busy = Busy::new();
        let nap = Duration::from_millis(60);
        let started = Instant::now();
        let outer = busy.enter();
        std::thread::sleep(nap);
        let inner = busy.enter();
        std::thread::sleep(nap);
        drop(inner);
        std::thread::sleep(nap);
        drop(outer);
        let spanned = started.elapsed().as_secs_f64();
        let counted = busy.seconds();
        // The sum of the two calls would be 4 naps; the union is 3.
        assert!(counted <= spanned, "{counted} > {spanned}");
        assert!(counted >= 3.0 * nap.as_secs_f64(), "{counted}");
        // Idle time between calls is not counted.
        std::thread::sleep(nap);
        assert_eq!(busy.seconds(), counted);
        let again = busy.enter();
        std::thread::sleep(nap);
        drop(again);
        assert!(busy.seconds() >= counted + nap.as_secs_f64());
        assert!(busy.seconds() < spanned + 3.0 * nap.as_secs_f64());
    }
}
