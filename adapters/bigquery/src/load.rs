//! Staged files into BigQuery: one multipart load job per file, into a
//! staging table the landing template then copies from inside a transaction.
//!
//! Exactly once: the staging table's name and the load job's id are derived
//! from the staged file's id (which the core derives from the source file's
//! checksum, table and part) and the destination. The load replaces the
//! table's contents (`WRITE_TRUNCATE`), so loading the same file again, after
//! a retry, a crash or in a later run, leaves the same rows, never twice
//! as many; on BigQuery the repeated job id is answered `409 duplicate` and
//! the earlier job's result is used. Rows reach raw tables only through the
//! landing transaction, together with the checksum ledger.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use pushdown_adapter::{Result, StagedColumn, StagedFormat, StagedType};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::settings::Compression;
use crate::{BigQuery, stage_error};

impl BigQuery {
    /// Loads `path` into its staging table and returns the table, quoted, as
    /// the landing template reads it.
    pub async fn load_file(
        &self,
        path: &Path,
        id: &str,
        format: StagedFormat,
        columns: &[StagedColumn],
    ) -> Result<String> {
        self.ensure_staging_dataset().await?;
        let s = self.settings();
        let digest = Sha256::digest(format!("{id}\0{}\0{}", s.project, s.staging_dataset));
        let hash = hex::encode(&digest[..16]);
        let table = format!("s_{hash}");
        let job_id = format!("pushdown_load_{hash}");

        let raw = tokio::fs::read(path)
            .await
            .map_err(|e| stage_error(format!("cannot read staged file {}: {e}", path.display())))?;
        let mut data = Vec::with_capacity(raw.len() + 256);
        if format == StagedFormat::Csv {
            // bqemulator reads every CSV upload with a header line, real
            // BigQuery skips `skipLeadingRows`: one header line satisfies both.
            let header: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            data.extend_from_slice(header.join(",").as_bytes());
            data.extend_from_slice(b"\n");
        }
        data.extend_from_slice(&raw);
        drop(raw);
        let data = match s.compression {
            Compression::None => data,
            Compression::Gzip => tokio::task::spawn_blocking(move || gzip(&data))
                .await
                .map_err(|e| stage_error(format!("compression task failed: {e}")))?
                .map_err(|e| stage_error(format!("cannot compress {}: {e}", path.display())))?,
        };

        let fields: Vec<Json> = columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    StagedType::Integer => "INT64",
                    StagedType::Text => "STRING",
                    StagedType::Json => "JSON",
                };
                json!({"name": c.name, "type": ty, "mode": "NULLABLE"})
            })
            .collect();
        let mut load = json!({
            "destinationTable": {"projectId": s.project, "datasetId": s.staging_dataset, "tableId": table},
            "schema": {"fields": fields},
            "writeDisposition": "WRITE_TRUNCATE",
            "createDisposition": "CREATE_IF_NEEDED",
            "encoding": "UTF-8",
        });
        match format {
            StagedFormat::JsonLines => load["sourceFormat"] = json!("NEWLINE_DELIMITED_JSON"),
            StagedFormat::Csv => {
                load["sourceFormat"] = json!("CSV");
                load["skipLeadingRows"] = json!(1);
                load["allowQuotedNewlines"] = json!(true);
                load["quote"] = json!("\"");
                load["fieldDelimiter"] = json!(",");
                load["preserveAsciiControlCharacters"] = json!(true);
            }
        }
        // The first attempt uses the deterministic id. A job under that id
        // that failed (in an earlier run, say) answers with its old failure,
        // and a job that failed transiently loaded nothing: either way the
        // load is submitted again under a fresh id, once for a lasting error.
        let attempts = AtomicUsize::new(0);
        let result = self
            .client
            .retrying_when(
                "load job",
                |e: &ApiError| {
                    e.job_failed && (e.is_transient() || attempts.load(Ordering::SeqCst) == 1)
                },
                || {
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    let id = if n == 0 {
                        job_id.clone()
                    } else {
                        format!("{job_id}_{}", crate::client::random_hex(4))
                    };
                    self.client.load_once(id, load.clone(), data.clone())
                },
            )
            .await;
        result.map_err(|e| {
            let mut w = ApiError::into_warehouse(e);
            w.message = format!("load job for staged file {}: {}", path.display(), w.message);
            w.kind = if w.is_retryable() {
                w.kind
            } else {
                pushdown_adapter::ErrorKind::Stage
            };
            w
        })?;
        Ok(format!("`{}`.`{}`", s.staging_dataset, table))
    }

    /// Drops a staging table once its rows are committed.
    pub async fn drop_staged(&self, location: &str) -> Result<()> {
        if !location.starts_with('`') || location.contains(';') {
            return Err(stage_error(format!("not a staging table: {location}")));
        }
        use pushdown_adapter::Warehouse;
        self.execute(&[format!("DROP TABLE IF EXISTS {location}")])
            .await
    }

    async fn ensure_staging_dataset(&self) -> Result<()> {
        self.staging_ready
            .get_or_try_init(|| async {
                use pushdown_adapter::Warehouse;
                // Staging tables outlive a crash at most a day.
                let ds = &self.settings().staging_dataset;
                self.execute(&[format!(
                    "CREATE SCHEMA IF NOT EXISTS `{ds}` OPTIONS (default_table_expiration_days = 1)"
                )])
                .await
            })
            .await
            .map(|_| ())
    }
}

fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(data)?;
    enc.finish()
}
