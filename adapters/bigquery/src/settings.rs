//! A bigquery target's settings, from its table in `pushdown.toml`.
//!
//! Values that differ per deployment can be named by environment variable
//! (`project_env`, `url_env`): the example project's `bigquery` target reads
//! `PUSHDOWN_BIGQUERY_URL` and `PUSHDOWN_BIGQUERY_PROJECT` this way. Secrets
//! are only ever named by environment variable (`key_json_env`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The public endpoint; an emulator or a private endpoint replaces it.
pub const DEFAULT_URL: &str = "https://bigquery.googleapis.com";

/// How requests are authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMode {
    /// Application default credentials: `GOOGLE_APPLICATION_CREDENTIALS`,
    /// gcloud's user credentials, then the metadata server.
    Adc,
    /// A service-account key, from a file or from an environment variable
    /// holding the key's JSON.
    ServiceAccount(KeySource),
    /// The metadata server's identity: GKE workload identity, Cloud Run, GCE.
    WorkloadIdentity,
    /// No `Authorization` header: for emulators (bqemulator) only.
    None,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    File(PathBuf),
    /// The name of the environment variable that holds the key's JSON.
    Env(String),
}

/// How staged files are compressed on their way to a load job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    None,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BigQuerySettings {
    pub project: String,
    /// API base URL, without `/bigquery/v2`.
    pub url: String,
    /// Processing location (`US`, `EU`, `europe-west1`...), when pinned.
    pub location: Option<String>,
    pub auth: AuthMode,
    /// Dataset holding the tables load jobs fill before a landing batch
    /// copies them into raw tables.
    pub staging_dataset: String,
    pub compression: Compression,
    /// Attempts after the first for a request that failed transiently.
    pub max_retries: usize,
    /// First back-off delay; it doubles up to `max_delay`.
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// How long a job may stay pending or running before pushdown gives up.
    pub job_timeout: Duration,
    /// Uploads up to this size travel in one multipart request; larger ones
    /// through a resumable upload session. Google's client libraries switch
    /// at 5 MiB: a multipart request cannot resume, so a dropped connection
    /// resends everything.
    pub multipart_max_bytes: u64,
}

const KNOWN: &str = "project, project_env, url, url_env, location, auth, key_file, key_json_env, staging_dataset, compression, max_retries, retry_min_delay_ms, retry_max_delay_ms, job_timeout_secs, multipart_max_bytes";

impl BigQuerySettings {
    /// Reads the target's settings; `project_dir` anchors a relative key file.
    /// Unknown keys are an error so a typo does not silently pick a default.
    pub fn from_settings(
        settings: &BTreeMap<String, String>,
        project_dir: &Path,
    ) -> Result<Self, String> {
        Self::from_settings_with_env(settings, project_dir, |k| std::env::var(k).ok())
    }

    pub fn from_settings_with_env(
        settings: &BTreeMap<String, String>,
        project_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, String> {
        let mut project = None;
        let mut url = None;
        let mut location = None;
        let mut auth = None;
        let mut key_file = None;
        let mut key_json_env = None;
        let mut out = BigQuerySettings {
            project: String::new(),
            url: DEFAULT_URL.into(),
            location: None,
            auth: AuthMode::Adc,
            staging_dataset: "_pushdown_staging".into(),
            compression: Compression::Gzip,
            max_retries: 8,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            job_timeout: Duration::from_secs(6 * 3600),
            multipart_max_bytes: 5 << 20,
        };
        let from_env = |key: &str, var: &str| -> Result<String, String> {
            env(var).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                format!("`{key}` names the environment variable `{var}`, which is not set")
            })
        };
        let number = |key: &str, value: &str| -> Result<u64, String> {
            value
                .parse()
                .map_err(|_| format!("`{key}` must be a whole number, got `{value}`"))
        };
        for (key, value) in settings {
            match key.as_str() {
                "project" => project = Some(value.clone()),
                "project_env" => project = Some(from_env(key, value)?),
                "url" => url = Some(value.clone()),
                "url_env" => url = Some(from_env(key, value)?),
                "location" => location = Some(value.clone()),
                "auth" => auth = Some(value.clone()),
                "key_file" => {
                    let p = PathBuf::from(value);
                    key_file = Some(if p.is_absolute() {
                        p
                    } else {
                        project_dir.join(p)
                    });
                }
                "key_json_env" => key_json_env = Some(value.clone()),
                "staging_dataset" => out.staging_dataset = value.clone(),
                "compression" => {
                    out.compression = match value.as_str() {
                        "gzip" => Compression::Gzip,
                        "none" => Compression::None,
                        other => {
                            return Err(format!(
                                "`compression` is `gzip` or `none`, got `{other}`"
                            ));
                        }
                    }
                }
                "max_retries" => out.max_retries = number(key, value)? as usize,
                "multipart_max_bytes" => out.multipart_max_bytes = number(key, value)?,
                "retry_min_delay_ms" => out.min_delay = Duration::from_millis(number(key, value)?),
                "retry_max_delay_ms" => out.max_delay = Duration::from_millis(number(key, value)?),
                "job_timeout_secs" => out.job_timeout = Duration::from_secs(number(key, value)?),
                other => {
                    return Err(format!(
                        "unknown bigquery setting `{other}` (known: {KNOWN})"
                    ));
                }
            }
        }
        out.project = project.filter(|p| !p.trim().is_empty()).ok_or(
            "`project` (or `project_env`) is required: the Google Cloud project that runs the jobs",
        )?;
        if let Some(u) = url {
            let u = u.trim().trim_end_matches('/').to_string();
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return Err(format!(
                    "`url` must start with http:// or https://, got `{u}`"
                ));
            }
            out.url = u.strip_suffix("/bigquery/v2").unwrap_or(&u).to_string();
        }
        out.location = location.filter(|l| !l.is_empty());
        out.auth = match auth.as_deref().unwrap_or("adc") {
            "adc" => AuthMode::Adc,
            "workload_identity" => AuthMode::WorkloadIdentity,
            "service_account" => match (key_file.take(), key_json_env.take()) {
                (Some(f), None) => AuthMode::ServiceAccount(KeySource::File(f)),
                (None, Some(e)) => AuthMode::ServiceAccount(KeySource::Env(e)),
                _ => {
                    return Err(
                        "`auth = \"service_account\"` needs exactly one of `key_file` (a path) or `key_json_env` (a variable holding the key's JSON)"
                            .into(),
                    );
                }
            },
            "none" => {
                if out.url == DEFAULT_URL || out.url.ends_with(".googleapis.com") {
                    return Err(format!(
                        "`auth = \"none\"` is for emulators; {} needs credentials (`adc`, `service_account` or `workload_identity`)",
                        out.url
                    ));
                }
                AuthMode::None
            }
            other => {
                return Err(format!(
                    "`auth` is one of adc, service_account, workload_identity, none; got `{other}`"
                ));
            }
        };
        if key_file.is_some() || key_json_env.is_some() {
            return Err(
                "`key_file` / `key_json_env` only apply with `auth = \"service_account\"`".into(),
            );
        }
        if out.min_delay > out.max_delay {
            out.max_delay = out.min_delay;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)], env: &[(&str, &str)]) -> Result<BigQuerySettings, String> {
        let settings = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let env: BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        BigQuerySettings::from_settings_with_env(&settings, Path::new("/p"), |k| {
            env.get(k).cloned()
        })
    }

    #[test]
    fn project_and_url_come_from_the_named_variables() {
        let s = parse(
            &[("project_env", "P"), ("url_env", "U"), ("auth", "none")],
            &[("P", "shop"), ("U", "http://127.0.0.1:9050/bigquery/v2/")],
        )
        .unwrap();
        assert_eq!(s.project, "shop");
        assert_eq!(s.url, "http://127.0.0.1:9050");
        assert_eq!(s.auth, AuthMode::None);
    }

    #[test]
    fn a_missing_variable_is_named() {
        let e = parse(&[("project_env", "NOPE")], &[]).unwrap_err();
        assert!(e.contains("NOPE"), "{e}");
    }

    #[test]
    fn no_auth_is_refused_for_the_real_endpoint() {
        let e = parse(&[("project", "p"), ("auth", "none")], &[]).unwrap_err();
        assert!(e.contains("emulators"), "{e}");
    }

    #[test]
    fn a_service_account_needs_one_key_source() {
        assert!(parse(&[("project", "p"), ("auth", "service_account")], &[]).is_err());
        let s = parse(
            &[
                ("project", "p"),
                ("auth", "service_account"),
                ("key_file", "k.json"),
            ],
            &[],
        )
        .unwrap();
        assert_eq!(
            s.auth,
            AuthMode::ServiceAccount(KeySource::File("/p/k.json".into()))
        );
        assert!(parse(&[("project", "p"), ("key_json_env", "K")], &[]).is_err());
    }

    #[test]
    fn unknown_settings_are_refused() {
        let e = parse(&[("project", "p"), ("urll", "x")], &[]).unwrap_err();
        assert!(e.contains("urll"), "{e}");
    }
}
