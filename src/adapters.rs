//! The adapters compiled into this binary, by the name a target uses.
//!
//! This is the only place that knows concrete adapters; everything else talks
//! to `dyn Warehouse`. Each adapter is a cargo feature, so a deployment can
//! build only the one it needs.

use pushdown_adapter::Warehouse;

use crate::config::{Project, Target};
use crate::error::{ConfigProblem, Error, Result};

/// Adapter names this build knows, compiled in or not.
pub const KNOWN: &[&str] = &["duckdb", "snowflake", "bigquery"];

pub async fn connect(project: &Project, target: &Target) -> Result<Box<dyn Warehouse>> {
    let bad_setting = |message: String| {
        Error::config(ConfigProblem {
            file: project.file.clone(),
            line: None,
            field: Some(format!("targets.{}", target.name)),
            message,
        })
    };
    let refused = |e: pushdown_adapter::WarehouseError| {
        let kind = crate::warehouse::failure_kind(&e);
        Error::run(
            kind,
            format!("target `{}` ({}): {e}", target.name, target.adapter),
        )
    };
    match target.adapter.as_str() {
        #[cfg(feature = "duckdb-system")]
        "duckdb" => {
            let settings =
                pushdown_duckdb::DuckDbSettings::from_settings(&target.settings, &project.dir)
                    .map_err(bad_setting)?;
            Ok(Box::new(
                pushdown_duckdb::DuckDb::open(settings)
                    .await
                    .map_err(refused)?,
            ))
        }
        #[cfg(feature = "snowflake")]
        "snowflake" => {
            let settings = pushdown_snowflake::SnowflakeSettings::from_settings(
                &target.settings,
                &project.dir,
            )
            .map_err(bad_setting)?;
            Ok(Box::new(
                pushdown_snowflake::Snowflake::connect(settings)
                    .await
                    .map_err(refused)?,
            ))
        }
        #[cfg(feature = "bigquery")]
        "bigquery" => {
            let settings =
                pushdown_bigquery::BigQuerySettings::from_settings(&target.settings, &project.dir)
                    .map_err(bad_setting)?;
            Ok(Box::new(
                pushdown_bigquery::BigQuery::connect(settings)
                    .await
                    .map_err(refused)?,
            ))
        }
        other if KNOWN.contains(&other) => Err(Error::Usage(format!(
            "target `{}` uses the `{other}` adapter, which this build of pushdown does not include (rebuild with `--features {other}`)",
            target.name
        ))),
        other => {
            let _ = (&bad_setting, &refused);
            Err(bad_setting(format!(
                "unknown adapter `{other}` (known: {})",
                KNOWN.join(", ")
            )))
        }
    }
}
