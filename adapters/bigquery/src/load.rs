//! Staged files into BigQuery: the files of a landing batch that share a
//! layout (a raw table's records; every file's rejects) travel in one load
//! job, into one staging table the landing template then copies from inside
//! a transaction. One job per batch rather than per file: BigQuery counts
//! load jobs against a daily quota per table and per project.
//!
//! Each record is tagged with its file's place in the job (`_part`), and each
//! file's location is the subquery of its part, so the template still reads
//! file by file and stamps each with its own metadata. The staging table is
//! clustered by `_part`, so a file's read is billed for its own blocks.
//!
//! Exactly once: the staging table's name and the load job's id are derived
//! from the staged files' ids (which the core derives from each source file's
//! checksum, table and part), their order and the destination. The load
//! replaces the table's contents (`WRITE_TRUNCATE`), so loading the same
//! batch again, after a retry, a crash or in a later run, leaves the same
//! rows, never twice as many; BigQuery answers a repeated job id with `409
//! duplicate`, and the earlier job's result is used while its table exists.
//! Rows reach raw tables only through the landing transaction, together with
//! the checksum ledger.

use std::sync::atomic::{AtomicUsize, Ordering};

use pushdown_adapter::{Result, StagedColumn, StagedFile, StagedFormat, StagedType};
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::settings::Compression;
use crate::{BigQuery, stage_error};

/// The column that says which file of a load job a staged record came from.
const PART: &str = "_part";

impl BigQuery {
    /// Loads the batch's files, one load job per layout, and returns each
    /// file's location, in order.
    pub async fn load_files(&self, files: &[StagedFile<'_>]) -> Result<Vec<String>> {
        let mut groups: Vec<(StagedFormat, &[StagedColumn], Vec<usize>)> = Vec::new();
        for (i, f) in files.iter().enumerate() {
            match groups
                .iter_mut()
                .find(|(format, columns, _)| *format == f.format && *columns == f.columns)
            {
                Some((_, _, members)) => members.push(i),
                None => groups.push((f.format, f.columns, vec![i])),
            }
        }
        let mut locations = vec![String::new(); files.len()];
        for (format, columns, members) in groups {
            let group: Vec<&StagedFile<'_>> = members.iter().map(|&i| &files[i]).collect();
            let table = self.load_group(format, columns, &group).await?;
            for (part, &i) in members.iter().enumerate() {
                locations[i] = format!("(SELECT * FROM {table} WHERE `{PART}` = {part})");
            }
        }
        Ok(locations)
    }

    /// One load job for files of the same layout; returns the staging
    /// table, quoted.
    async fn load_group(
        &self,
        format: StagedFormat,
        columns: &[StagedColumn],
        files: &[&StagedFile<'_>],
    ) -> Result<String> {
        self.ensure_staging_dataset().await?;
        let s = self.settings();
        let mut key = Sha256::new();
        for part in [s.project.as_str(), s.staging_dataset.as_str()] {
            key.update(part.as_bytes());
            key.update(b"\0");
        }
        for f in files {
            key.update(f.id.as_bytes());
            key.update(b"\0");
        }
        let hash = hex::encode(&key.finalize()[..16]);
        let table = format!("s_{hash}");
        let job_id = format!("pushdown_load_{hash}");
        let what = if files.len() == 1 {
            format!("staged file {}", files[0].path.display())
        } else {
            format!(
                "{} staged files ({} .. {})",
                files.len(),
                files[0].path.display(),
                files[files.len() - 1].path.display()
            )
        };

        let mut data = Vec::new();
        if format == StagedFormat::Csv {
            // bqemulator reads every CSV upload with a header line, real
            // BigQuery skips `skipLeadingRows`: one header line satisfies both.
            let header: Vec<&str> = std::iter::once(PART)
                .chain(columns.iter().map(|c| c.name.as_str()))
                .collect();
            data.extend_from_slice(header.join(",").as_bytes());
            data.extend_from_slice(b"\n");
        }
        for (part, f) in files.iter().enumerate() {
            let raw = tokio::fs::read(f.path).await.map_err(|e| {
                stage_error(format!("cannot read staged file {}: {e}", f.path.display()))
            })?;
            tag(&raw, part, format, &mut data)
                .map_err(|m| stage_error(format!("staged file {}: {m}", f.path.display())))?;
        }
        let data = match s.compression {
            Compression::None => data,
            Compression::Gzip => tokio::task::spawn_blocking(move || gzip(&data))
                .await
                .map_err(|e| stage_error(format!("compression task failed: {e}")))?
                .map_err(|e| stage_error(format!("cannot compress {what}: {e}")))?,
        };

        let fields: Vec<Json> =
            std::iter::once(json!({"name": PART, "type": "INT64", "mode": "REQUIRED"}))
                .chain(columns.iter().map(|c| {
                    let ty = match c.ty {
                        StagedType::Integer => "INT64",
                        StagedType::Text => "STRING",
                        StagedType::Json => "JSON",
                    };
                    json!({"name": c.name, "type": ty, "mode": "NULLABLE"})
                }))
                .collect();
        let mut load = json!({
            "destinationTable": {"projectId": s.project, "datasetId": s.staging_dataset, "tableId": table},
            "schema": {"fields": fields},
            "clustering": {"fields": [PART]},
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
        // So is a job that succeeded before but whose table is gone (dropped
        // after its batch, or expired): its rows are no longer there to read.
        let attempts = AtomicUsize::new(0);
        let result = self
            .client
            .retrying_when(
                "load job",
                |e: &ApiError| {
                    e.job_failed && (e.is_transient() || attempts.load(Ordering::SeqCst) == 1)
                },
                || async {
                    let n = attempts.fetch_add(1, Ordering::SeqCst);
                    let id = if n == 0 {
                        job_id.clone()
                    } else {
                        format!("{job_id}_{}", crate::client::random_hex(4))
                    };
                    let (job, existed) = self
                        .client
                        .load_once(id, load.clone(), data.clone())
                        .await?;
                    if existed && !self.client.table_exists(&s.staging_dataset, &table).await? {
                        return Err(ApiError::stale_table(format!(
                            "load job {job_id} ran before, but its table `{}`.`{table}` is gone",
                            s.staging_dataset
                        )));
                    }
                    Ok(job)
                },
            )
            .await;
        result.map_err(|e| {
            let mut w = ApiError::into_warehouse(e);
            w.message = format!("load job for {what}: {}", w.message);
            w.kind = if w.is_retryable() {
                w.kind
            } else {
                pushdown_adapter::ErrorKind::Stage
            };
            w
        })?;
        Ok(format!("`{}`.`{}`", s.staging_dataset, table))
    }

    /// Drops the staging tables behind `locations` once their rows are
    /// committed, in one script.
    pub async fn drop_staged(&self, locations: &[String]) -> Result<()> {
        let mut tables: Vec<&str> = Vec::new();
        for location in locations {
            let table = staging_table(location)
                .ok_or_else(|| stage_error(format!("not a staging location: {location}")))?;
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
        if tables.is_empty() {
            return Ok(());
        }
        use pushdown_adapter::Warehouse;
        let drops: Vec<String> = tables
            .iter()
            .map(|t| format!("DROP TABLE IF EXISTS {t}"))
            .collect();
        self.execute(&drops).await
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

/// The staging table a location reads: `` `ds`.`t` `` itself or the subquery
/// [`BigQuery::load_files`] made of it.
fn staging_table(location: &str) -> Option<&str> {
    let table = match location.strip_prefix("(SELECT * FROM ") {
        Some(rest) => rest.split_once(" WHERE ")?.0,
        None => location,
    };
    let ok = table.starts_with('`')
        && table.ends_with('`')
        && table.matches('`').count() == 4
        && !table.contains(';');
    ok.then_some(table)
}

/// Appends `raw`'s records to `out`, each tagged with `part`: a JSON object
/// gains `_part` as its first key, a CSV record a first field.
fn tag(raw: &[u8], part: usize, format: StagedFormat, out: &mut Vec<u8>) -> Result<(), String> {
    match format {
        StagedFormat::JsonLines => {
            let prefix = format!("{{\"{PART}\":{part},");
            for line in raw.split(|&b| b == b'\n') {
                if line.is_empty() {
                    continue;
                }
                let rest = line
                    .strip_prefix(b"{")
                    .ok_or("a staged line is not a JSON object")?;
                out.extend_from_slice(prefix.as_bytes());
                // `{}` has no key to follow the tag's comma.
                if rest.first() == Some(&b'}') {
                    out.pop();
                }
                out.extend_from_slice(rest);
                out.push(b'\n');
            }
        }
        StagedFormat::Csv => {
            // A record starts at a line start outside quotes; `""` inside a
            // quoted field toggles twice, so counting quotes is enough.
            let prefix = format!("{part},");
            let mut quoted = false;
            let mut at_start = true;
            for &b in raw {
                if at_start {
                    out.extend_from_slice(prefix.as_bytes());
                    at_start = false;
                }
                out.push(b);
                match b {
                    b'"' => quoted = !quoted,
                    b'\n' if !quoted => at_start = true,
                    _ => {}
                }
            }
            if !at_start {
                out.push(b'\n');
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_tagged_with_their_part() {
        let mut out = Vec::new();
        tag(
            b"{\"_line\":1,\"payload\":{}}\n{}\n",
            3,
            StagedFormat::JsonLines,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"_part\":3,\"_line\":1,\"payload\":{}}\n{\"_part\":3}\n"
        );
        let mut out = Vec::new();
        tag(
            b"1,\"a\nb\",\"x\"\"\ny\"\n2,,\n3,z",
            7,
            StagedFormat::Csv,
            &mut out,
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "7,1,\"a\nb\",\"x\"\"\ny\"\n7,2,,\n7,3,z\n"
        );
        assert!(tag(b"[1]\n", 0, StagedFormat::JsonLines, &mut Vec::new()).is_err());
    }

    #[test]
    fn only_staging_locations_are_dropped() {
        assert_eq!(
            staging_table("(SELECT * FROM `st`.`s_ab` WHERE `_part` = 2)"),
            Some("`st`.`s_ab`")
        );
        assert_eq!(staging_table("`st`.`s_ab`"), Some("`st`.`s_ab`"));
        assert_eq!(staging_table("`a`; DROP TABLE `b`"), None);
        assert_eq!(staging_table("raw.orders"), None);
    }
}
