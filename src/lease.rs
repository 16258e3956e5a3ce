//! One writer at a time per warehouse: a lease row in `audit.lease`.
//!
//! Two runs writing the same warehouse at once would both mark the other's
//! run abandoned, both land a new file, both publish a model. So `land`,
//! `transform` and `run` take the lease before writing anything, renew it
//! while they work and drop it at the end. The lease lives in the warehouse
//! itself (rendered from each dialect's templates), so it holds across hosts:
//! Airflow workers, a developer's laptop and CI all see the same row.
//!
//! A second run waits up to `[lease] wait` (or `--lease-wait`) and then fails
//! as `busy`, naming the holder. A killed run cannot release its lease: the
//! lease expires `[lease] ttl` after its last renewal, and at once when the
//! holder ran on this host and its process is gone.
//!
//! An embedded DuckDB file is also locked by DuckDB itself: a second process
//! cannot even open it. [`connect`] waits for that lock the same way.

use std::future::Future;
use std::time::{Duration, Instant};

use pushdown_adapter::{Value, Warehouse};

use crate::config::{LeaseSettings, Project, Target};
use crate::error::{Error, FailureKind, Result};
use crate::run::RunContext;
use crate::sql::{AcquireLease, CreateLeaseTable, ReadLease, ReleaseLease, RenewLease, Statement};
use crate::warehouse::{Exec, WarehouseExt};

/// The lease's key: one writer per warehouse, whatever the project or target
/// (they share the audit tables).
pub const NAME: &str = "pushdown";

/// Longest pause between two attempts while waiting.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// Opens the target, waiting up to `wait` while another process holds the
/// warehouse exclusively (an embedded DuckDB file open in another pushdown).
/// The time waited here is taken off `wait` for [`Lease::acquire`]: a run
/// waits `wait` in all, not twice.
pub async fn connect(
    project: &Project,
    target: &Target,
    wait: &mut chrono::Duration,
) -> Result<Box<dyn Warehouse>> {
    let started = Instant::now();
    let result = connect_within(project, target, wait.to_std().unwrap_or_default()).await;
    let waited = chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    *wait = (*wait - waited).max(chrono::Duration::zero());
    result
}

async fn connect_within(
    project: &Project,
    target: &Target,
    wait: Duration,
) -> Result<Box<dyn Warehouse>> {
    let deadline = Instant::now() + wait;
    let mut backoff = Backoff::default();
    loop {
        match crate::adapters::connect(project, target).await {
            Err(e) if e.failure_kind() == Some(FailureKind::Busy) => {
                if Instant::now() >= deadline {
                    return Err(Error::run(
                        FailureKind::Busy,
                        format!(
                            "target `{}` is busy: another process holds it and did not let go within {} \
                             (raise `[lease] wait` or `--lease-wait`): {e}",
                            target.name,
                            human(wait)
                        ),
                    ));
                }
                if backoff.first() {
                    tracing::warn!(target = %target.name, error = %e, "the warehouse is held by another process; waiting");
                }
                backoff.sleep(deadline).await;
            }
            other => return other,
        }
    }
}

/// The run that holds the lease, as the warehouse says.
#[derive(Debug, Clone, PartialEq)]
pub struct Holder {
    pub run_id: String,
    pub host: String,
    pub pid: i64,
    pub command: String,
    pub target: String,
    pub acquired_at: String,
    pub expires_at: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {} (`pushdown {}` on target `{}`, host {} pid {}, since {} UTC, lease expires {} UTC unless renewed)",
            self.run_id,
            self.command,
            self.target,
            self.host,
            self.pid,
            self.acquired_at,
            self.expires_at
        )
    }
}

impl Holder {
    fn from_row(row: &[Value]) -> Option<Self> {
        let text = |i: usize| row.get(i).map(|v| v.to_string()).unwrap_or_default();
        Some(Self {
            run_id: row.first()?.as_str()?.to_owned(),
            host: text(1),
            pid: row.get(2)?.as_i64().unwrap_or(0),
            command: text(3),
            target: text(4),
            acquired_at: text(5),
            expires_at: text(6),
        })
    }

    /// Whether the holder ran on this host and its process is gone, so its
    /// lease can be taken over without waiting for it to expire.
    fn is_dead_here(&self) -> bool {
        self.host == host() && u32::try_from(self.pid).is_ok_and(|pid| !process_alive(pid))
    }
}

/// A lease this run holds.
#[derive(Debug)]
pub struct Lease {
    run_id: String,
    ttl: chrono::Duration,
}

impl Lease {
    /// Takes the lease, waiting up to `settings.wait` for the holder to let
    /// go; fails as `busy`, naming the holder.
    pub async fn acquire(
        wh: &dyn Warehouse,
        run: &RunContext,
        command: &str,
        settings: LeaseSettings,
    ) -> Result<Lease> {
        let d = wh.dialect();
        wh.run(Exec::new("create audit.lease", CreateLeaseTable.render(d)))
            .await?;
        let wait = settings.wait.to_std().unwrap_or_default();
        let deadline = Instant::now() + wait;
        let mut backoff = Backoff::default();
        let take = AcquireLease {
            name: NAME.into(),
            run_id: run.run_id.clone(),
            host: host(),
            pid: std::process::id(),
            command: command.into(),
            target: run.target.clone(),
            ttl_seconds: settings.ttl.num_seconds(),
        }
        .render(d);
        loop {
            match wh
                .run(Exec::new("take the run lease in audit.lease", take.clone()))
                .await
            {
                // Two takers at once on a warehouse with optimistic
                // transactions: one commits, the other reads who won.
                Err(e) if e.failure_kind() == Some(FailureKind::Transient) => {}
                other => other?,
            }
            let holders = read(wh).await?;
            let Some(holder) = holders.first() else {
                // Released between our insert and our read: try again.
                if Instant::now() >= deadline {
                    return Err(Error::run(
                        FailureKind::Busy,
                        format!(
                            "could not take the lease of target `{}` within {}",
                            run.target,
                            human(wait)
                        ),
                    ));
                }
                backoff.sleep(deadline).await;
                continue;
            };
            if holder.run_id == run.run_id {
                tracing::debug!(run_id = %run.run_id, "lease taken");
                return Ok(Lease {
                    run_id: run.run_id.clone(),
                    ttl: settings.ttl,
                });
            }
            if holders.iter().any(|h| h.run_id == run.run_id) {
                // Lost a race on a warehouse without enforced keys: both rows
                // went in, the earlier one holds.
                release(wh, &run.run_id).await?;
            }
            if holder.is_dead_here() {
                tracing::warn!(holder = %holder, "the run holding the lease is gone (its process no longer exists); taking the lease over");
                release(wh, &holder.run_id).await?;
                continue;
            }
            if Instant::now() >= deadline {
                return Err(Error::run(
                    FailureKind::Busy,
                    format!(
                        "the warehouse of target `{}` is busy: {holder} holds its lease; waited {} \
                         (raise `[lease] wait` or `--lease-wait`, or let the lease expire if that run is dead)",
                        run.target,
                        human(wait)
                    ),
                ));
            }
            if backoff.first() {
                tracing::warn!(holder = %holder, "another run holds the warehouse; waiting for its lease");
            }
            backoff.sleep(deadline).await;
        }
    }

    /// Runs `work` while renewing the lease every third of its ttl. If the
    /// lease was lost meanwhile (this process stalled past the expiry and
    /// another run took over), the work stops as `busy` rather than write
    /// alongside the new holder.
    pub async fn hold<T>(
        &self,
        wh: &dyn Warehouse,
        work: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let every = (self.ttl / 3).to_std().unwrap_or(Duration::from_secs(1));
        let renew = async {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = self.renew(wh).await {
                    return e;
                }
            }
        };
        tokio::select! {
            biased;
            result = work => result,
            lost = renew => Err(lost),
        }
    }

    async fn renew(&self, wh: &dyn Warehouse) -> Result<()> {
        let d = wh.dialect();
        let renew = RenewLease {
            name: NAME.into(),
            run_id: self.run_id.clone(),
            ttl_seconds: self.ttl.num_seconds(),
        };
        match wh
            .run(Exec::new("renew the run lease", renew.render(d)))
            .await
        {
            Ok(()) => {}
            // A failed renewal is not yet a lost lease: the next one may pass.
            Err(e) => {
                tracing::warn!(error = %e, "cannot renew the run lease; retrying");
                return Ok(());
            }
        }
        match read(wh).await?.first() {
            Some(h) if h.run_id == self.run_id => Ok(()),
            other => Err(Error::run(
                FailureKind::Busy,
                format!(
                    "run {} lost its lease on the warehouse (it was not renewed in time){}; stopped before writing more",
                    self.run_id,
                    other
                        .map(|h| format!(" and {h} took it over"))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// Drops the lease. A failure only delays the next run until expiry.
    pub async fn release(self, wh: &dyn Warehouse) {
        if let Err(e) = release(wh, &self.run_id).await {
            tracing::warn!(error = %e, "cannot release the run lease; the next run waits until it expires");
        }
    }
}

/// Who holds the lease, earliest first.
pub async fn read(wh: &dyn Warehouse) -> Result<Vec<Holder>> {
    let sql = ReadLease { name: NAME.into() }.render(wh.dialect());
    let rows = wh.fetch("read audit.lease", &sql[0]).await?;
    Ok(rows
        .rows
        .iter()
        .filter_map(|r| Holder::from_row(r))
        .collect())
}

async fn release(wh: &dyn Warehouse, run_id: &str) -> Result<()> {
    let sql = ReleaseLease {
        name: NAME.into(),
        run_id: run_id.into(),
    }
    .render(wh.dialect());
    wh.run(Exec::new("release the run lease", sql)).await
}

/// Exponential pauses from 100 ms up to [`MAX_PAUSE`], never past a deadline.
#[derive(Default)]
struct Backoff {
    attempts: u32,
}

impl Backoff {
    fn first(&self) -> bool {
        self.attempts == 0
    }

    async fn sleep(&mut self, deadline: Instant) {
        let pause = Duration::from_millis(100)
            .saturating_mul(1 << self.attempts.min(5))
            .min(MAX_PAUSE)
            .min(deadline.saturating_duration_since(Instant::now()));
        self.attempts += 1;
        tokio::time::sleep(pause).await;
    }
}

fn human(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round() as u64)
}

/// This machine's name, as recorded in the lease.
pub fn host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into())
}

/// Whether a process runs on this host. Where this cannot be known (no
/// `/proc`), it is assumed alive and its lease left to expire.
fn process_alive(pid: u32) -> bool {
    let proc = std::path::Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        // A killed child its parent has not reaped yet is a zombie: dead.
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| matches!(rest.trim_start().chars().next(), Some('Z' | 'X'))),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_free_pid_is_not() {
        assert!(process_alive(std::process::id()));
        assert!(!process_alive(u32::MAX - 1));
    }
}
