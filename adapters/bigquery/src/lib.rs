//! pushdown's BigQuery warehouse, over BigQuery's REST API.
//!
//! * statements run as query jobs, polled to completion; a batch is split
//!   into jobs that keep it atomic where BigQuery allows (see [`script`]);
//! * a landing batch's staged files reach BigQuery through one load job per
//!   layout (multipart or resumable upload) into a staging table whose name
//!   and job id derive from the staged files' ids, so a retried or repeated
//!   load replaces the same table instead of adding rows;
//! * transient failures are retried with back-off, the rest surface with
//!   BigQuery's reason and location.
//!
//! Settings: see [`BigQuerySettings`] and the README's BigQuery section.

use async_trait::async_trait;
use pushdown_adapter::{Dialect, ErrorKind, Result, Rows, StagedFile, Warehouse, WarehouseError};

mod auth;
mod client;
pub mod emulator;
mod error;
mod load;
mod rows;
mod script;
mod settings;

pub use settings::{AuthMode, BigQuerySettings, Compression, DEFAULT_URL, KeySource};

use client::Client;
use error::ApiError;

/// A BigQuery project to land into and transform inside.
#[derive(Debug)]
pub struct BigQuery {
    client: Client,
    staging_ready: tokio::sync::OnceCell<()>,
}

impl BigQuery {
    /// Sets up authentication; contacts BigQuery only when a statement runs.
    pub async fn connect(settings: BigQuerySettings) -> Result<Self> {
        let client = Client::new(settings)
            .await
            .map_err(ApiError::into_warehouse)?;
        Ok(Self {
            client,
            staging_ready: tokio::sync::OnceCell::new(),
        })
    }

    pub fn settings(&self) -> &BigQuerySettings {
        &self.client.settings
    }

    /// Bytes BigQuery would process for `sql` (a dry run: nothing runs,
    /// nothing is billed).
    pub async fn dry_run(&self, sql: &str) -> Result<u64> {
        let job = self
            .client
            .query(sql, true)
            .await
            .map_err(ApiError::into_warehouse)?;
        let bytes = job
            .pointer("/statistics/query/totalBytesProcessed")
            .or_else(|| job.pointer("/statistics/totalBytesProcessed"))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        Ok(bytes)
    }

    /// Runs one job; a job that failed transiently (a lost serialization race,
    /// a backend error) rolled back as a whole and is submitted again.
    async fn run_step(&self, step: &script::Step) -> Result<()> {
        self.client
            .query(&step.sql, false)
            .await
            .map(|_| ())
            .map_err(|e| {
                let at = step.statement_at(&e.message);
                let mut w = e.into_warehouse();
                w.statement = at;
                w
            })
    }
}

#[async_trait]
impl Warehouse for BigQuery {
    fn dialect(&self) -> Dialect {
        Dialect::BigQuery
    }

    async fn execute(&self, statements: &[String]) -> Result<()> {
        for step in script::plan(statements) {
            self.run_step(&step).await?;
        }
        Ok(())
    }

    async fn query(&self, sql: &str) -> Result<Rows> {
        let job = self
            .client
            .query(sql, false)
            .await
            .map_err(ApiError::into_warehouse)?;
        self.client
            .rows(&job)
            .await
            .map_err(ApiError::into_warehouse)
    }

    async fn stage(&self, file: &StagedFile<'_>) -> Result<String> {
        let mut locations = self.load_files(std::slice::from_ref(file)).await?;
        Ok(locations.pop().unwrap_or_default())
    }

    async fn unstage(&self, location: &str) -> Result<()> {
        self.drop_staged(&[location.to_string()]).await
    }

    async fn stage_batch(&self, files: &[StagedFile<'_>]) -> Result<Vec<String>> {
        self.load_files(files).await
    }

    async fn unstage_batch(&self, locations: &[String]) -> Result<()> {
        self.drop_staged(locations).await
    }

    async fn estimate(&self, sql: &str) -> Result<Option<u64>> {
        self.dry_run(sql).await.map(Some)
    }
}

pub(crate) fn stage_error(message: String) -> WarehouseError {
    WarehouseError::new(ErrorKind::Stage, message)
}
