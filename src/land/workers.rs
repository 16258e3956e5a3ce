//! Preparing files on several threads, handing them over in order.
//!
//! Preparing a file (hash, decode, parse, check, tokenize, stage) is
//! independent of every other file, and one thread cannot keep up with the
//! warehouse's bulk loads: while it worked alone, the warehouse sat idle for
//! part of every batch. Results still come out in the scan's order, so which
//! of two files with the same bytes lands does not depend on thread timing,
//! and the threads run at most `ahead` files in front of the consumer, so
//! staged files on disk stay bounded by about a batch.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use tokio::sync::oneshot;

use super::pii::Tokenizer;
use super::prepare::{self, FileError, FileJob, Known, Prepared};
use crate::config::Source;

type Outcome = Result<Prepared, FileError>;

/// Prepared files, in the order their jobs were given.
pub struct InOrder {
    /// One entry per job, in order: its file and where its outcome arrives.
    pending: tokio::sync::mpsc::Receiver<(String, oneshot::Receiver<Outcome>)>,
    threads: Vec<JoinHandle<()>>,
}

/// What every worker shares.
struct Shared {
    sources: Arc<Vec<Source>>,
    tokenizer: Option<Arc<Tokenizer>>,
    known: Arc<HashMap<String, Vec<Known>>>,
    staging: PathBuf,
}

/// Starts `workers` threads preparing `jobs`, at most `ahead` files in front
/// of what [`InOrder::recv`] has returned. A file whose name the ledger
/// knows is only hashed, unless its content changed (see
/// [`prepare::checksum_only`]).
pub fn in_order(
    jobs: Vec<FileJob>,
    workers: usize,
    ahead: usize,
    sources: Arc<Vec<Source>>,
    tokenizer: Option<Arc<Tokenizer>>,
    known: Arc<HashMap<String, Vec<Known>>>,
    staging: PathBuf,
) -> InOrder {
    let (pending_tx, pending) = tokio::sync::mpsc::channel(ahead.max(1));
    let (work_tx, work_rx) = mpsc::sync_channel::<(usize, FileJob, oneshot::Sender<Outcome>)>(0);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let shared = Arc::new(Shared {
        sources,
        tokenizer,
        known,
        staging,
    });
    let mut threads = Vec::with_capacity(workers + 1);
    // The dispatcher blocks on the bounded `pending` channel first: that is
    // what keeps the workers within `ahead` files of the consumer.
    threads.push(spawn("pushdown-dispatch", move || {
        for (i, job) in jobs.into_iter().enumerate() {
            let (tx, rx) = oneshot::channel();
            if pending_tx.blocking_send((job.rel.clone(), rx)).is_err() {
                return;
            }
            if work_tx.send((i, job, tx)).is_err() {
                return;
            }
        }
    }));
    for w in 0..workers {
        let work_rx = Arc::clone(&work_rx);
        let shared = Arc::clone(&shared);
        threads.push(spawn(&format!("pushdown-prepare-{w}"), move || {
            loop {
                // The lock is held only while waiting for the next job.
                let next = work_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((i, job, tx)) = next else { return };
                // The consumer may have stopped; the staging folder goes
                // with the run either way.
                let _ = tx.send(shared.prepare(i, job));
            }
        }));
    }
    InOrder { pending, threads }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("the system can start a thread")
}

impl Shared {
    fn prepare(&self, i: usize, job: FileJob) -> Outcome {
        let source = self
            .sources
            .iter()
            .find(|s| s.name == job.source)
            .expect("scanned from these sources");
        if let Some(known) = self.known.get(&job.rel) {
            match prepare::checksum_only(&job, known) {
                Ok(p) if known.iter().any(|k| k.checksum == p.checksum) => return Ok(p),
                // Rewritten under the same name: new content, read it all.
                Ok(_) => {}
                Err(e) => return Err(e),
            }
        }
        prepare::prepare(
            job,
            source,
            self.tokenizer.as_deref(),
            &self.staging,
            &format!("{i:06}"),
        )
    }
}

impl InOrder {
    /// The next file in order; `None` after the last.
    pub async fn recv(&mut self) -> Option<Outcome> {
        let (file, outcome) = self.pending.recv().await?;
        Some(outcome.await.unwrap_or_else(|_| {
            Err(FileError {
                file,
                message: "preparing this file stopped unexpectedly (a thread panicked)".into(),
            })
        }))
    }

    /// Stops handing out files and waits for the threads, so that nothing
    /// writes to the staging folder once this returns.
    pub async fn close(self) {
        let InOrder { pending, threads } = self;
        drop(pending);
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Format;

    /// Files come out in the order given however long each takes: the first
    /// file is by far the largest, so a second thread finishes the small
    /// ones after it first.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn outcomes_keep_the_order_of_the_jobs() {
        let dir = std::env::temp_dir().join(format!("pushdown-workers-{}", std::process::id()));
        let staging = dir.join("staging");
        std::fs::create_dir_all(&staging).unwrap();
        let mut jobs = Vec::new();
        for i in 0..40 {
            let lines = if i == 0 { 200_000 } else { 1 + i % 3 };
            let text: String = (0..lines)
                .map(|n| format!("{{\"id\":\"{i}-{n}\"}}\n"))
                .collect();
            let path = dir.join(format!("f{i:02}.jsonl"));
            std::fs::write(&path, text).unwrap();
            jobs.push(FileJob {
                source: "s".into(),
                path,
                rel: format!("s/2026-01-01/f{i:02}.jsonl"),
            });
        }
        // A name the ledger knows with other content is read again in full.
        let known = HashMap::from([(
            "s/2026-01-01/f05.jsonl".to_string(),
            vec![Known {
                checksum: "0".repeat(64),
                stat: None,
            }],
        )]);
        let source = Source {
            name: "s".into(),
            folder: "s".into(),
            format: Format::JsonLines,
            columns: Vec::new(),
            required: vec!["id".into()],
            pii: Vec::new(),
            types: Default::default(),
        };
        let mut rx = in_order(
            jobs.clone(),
            2,
            4,
            Arc::new(vec![source]),
            None,
            Arc::new(known),
            staging.clone(),
        );
        let mut got = Vec::new();
        while let Some(p) = rx.recv().await {
            let p = p.unwrap();
            // At most `ahead` files are prepared in front of this one.
            let staged = std::fs::read_dir(&staging)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().unwrap() == "rows")
                .count();
            assert!(staged <= 4 + 1 + 2, "{staged} files staged ahead");
            std::fs::remove_file(&p.staged_rows).unwrap();
            got.push((p.job.rel, p.rows));
        }
        rx.close().await;
        let want: Vec<(String, u64)> = jobs
            .iter()
            .enumerate()
            .map(|(i, j)| {
                (
                    j.rel.clone(),
                    if i == 0 { 200_000 } else { 1 + i as u64 % 3 },
                )
            })
            .collect();
        assert_eq!(got, want);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
