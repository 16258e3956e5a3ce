//! pushdown's Snowflake warehouse: a thin client of Snowflake's REST protocol
//! (the one its drivers speak), so it works against an account URL, a
//! PrivateLink host or a local emulator alike.
//!
//! Settings (the target's table in `pushdown.toml`). Each may be given as a
//! value (`user = "loader"`) or as the name of an environment variable holding
//! it (`user_env = "PUSHDOWN_SNOWFLAKE_USER"`); secrets only the second way:
//! * `url`: base URL (default `https://<account>.snowflakecomputing.com`);
//! * `account`, `user`, `database` (required); `warehouse`, `role`;
//! * one of: `password_env`; `private_key_path` or `private_key_env` (PEM,
//!   PKCS#8, encrypted with `private_key_passphrase_env`, or PKCS#1);
//!   `token_env` (an OAuth access token);
//! * `stage`: the internal stage files are PUT to, in schema `_pushdown`
//!   (default `pushdown_landing`, created if missing);
//! * `upload_parallelism` (default 4), `retry_attempts` (default 10).
//!
//! Statements of a batch run inside BEGIN .. COMMIT on the session. Snowflake
//! commits an open transaction before any DDL, so a batch is atomic only over
//! its DML; the templates keep DDL out of the transactions that must be
//! atomic (landing: COPY + ledger INSERTs; publishing: DML only, except the
//! first CREATE of a table, whose rows a rerun rebuilds).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use pushdown_adapter::{Dialect, ErrorKind, Result, Rows, StagedFile, Warehouse, WarehouseError};
use secrecy::SecretString;
use tokio::sync::{Mutex, Semaphore};
use url::Url;

pub mod auth;
pub mod bind;
pub mod client;
pub mod put;
pub mod rowset;

pub use auth::{Credentials, KeyPair};
pub use bind::Bind;
pub use client::{Client, ClientConfig, RetryPolicy};

/// The environment variables the reference project's `snowflake` target reads.
pub const ENV_URL: &str = "PUSHDOWN_SNOWFLAKE_URL";

/// A target's settings, resolved (environment variables read).
#[derive(Debug)]
pub struct SnowflakeSettings {
    pub client: ClientConfig,
    pub database: String,
    pub stage: String,
    pub upload_parallelism: usize,
}

impl SnowflakeSettings {
    /// Reads the target's settings; unknown keys are an error so a typo does
    /// not silently pick a default. Messages name settings and variables,
    /// never values of secrets.
    pub fn from_settings(
        settings: &BTreeMap<String, String>,
        project_dir: &Path,
    ) -> std::result::Result<Self, String> {
        const PLAIN: &[&str] = &[
            "url",
            "account",
            "user",
            "database",
            "warehouse",
            "role",
            "stage",
            "upload_parallelism",
            "retry_attempts",
            "private_key_path",
        ];
        const SECRET: &[&str] = &["password", "private_key", "private_key_passphrase", "token"];
        for key in settings.keys() {
            let base = key.strip_suffix("_env").unwrap_or(key);
            let ok = PLAIN.contains(&base) || (key.ends_with("_env") && SECRET.contains(&base));
            if !ok {
                return Err(format!(
                    "unknown snowflake setting `{key}` (known: {}, each also as `<name>_env`; secrets only as {})",
                    PLAIN.join(", "),
                    SECRET
                        .iter()
                        .map(|s| format!("`{s}_env`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        let from_env = |key: &str| -> std::result::Result<Option<String>, String> {
            match settings.get(&format!("{key}_env")) {
                Some(var) => match std::env::var(var) {
                    Ok(v) if !v.is_empty() => Ok(Some(v)),
                    _ => Err(format!(
                        "`{key}_env` names the environment variable {var}, which is not set"
                    )),
                },
                None => Ok(None),
            }
        };
        let plain = |key: &str| -> std::result::Result<Option<String>, String> {
            match from_env(key)? {
                Some(v) => Ok(Some(v)),
                None => Ok(settings.get(key).cloned()),
            }
        };
        let required = |key: &str| {
            plain(key)?.ok_or_else(|| {
                format!("the snowflake setting `{key}` (or `{key}_env`) is required")
            })
        };
        let secret = |key: &str| from_env(key).map(|v| v.map(SecretString::from));

        let account = required("account")?;
        let user = required("user")?;
        // An unquoted Snowflake identifier means its upper-case name; the
        // stage path quotes it, so it is canonicalised here.
        let database = required("database")?;
        let plain_identifier = database
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        let database = if plain_identifier {
            database.to_uppercase()
        } else {
            database
        };
        let url =
            plain("url")?.unwrap_or_else(|| format!("https://{account}.snowflakecomputing.com"));
        let base_url = Url::parse(&url).map_err(|e| format!("`url` is not a URL ({e})"))?;
        let password = secret("password")?;
        let token = secret("token")?;
        let pem = match (secret("private_key")?, plain("private_key_path")?) {
            (Some(k), _) => Some(k),
            (None, Some(path)) => {
                let p = PathBuf::from(&path);
                let p = if p.is_absolute() {
                    p
                } else {
                    project_dir.join(p)
                };
                Some(SecretString::from(std::fs::read_to_string(&p).map_err(
                    |e| format!("cannot read the private key file {}: {e}", p.display()),
                )?))
            }
            (None, None) => None,
        };
        let credentials = match (password, pem, token) {
            (Some(p), None, None) => Credentials::Password(p),
            (None, Some(pem), None) => Credentials::KeyPair(Box::new(KeyPair::from_pem(&pem, secret("private_key_passphrase")?.as_ref())?)),
            (None, None, Some(t)) => Credentials::OAuth(t),
            (None, None, None) => return Err("no credentials: set one of `password_env`, `private_key_path` / `private_key_env`, `token_env`".into()),
            _ => return Err("more than one kind of credentials: set only one of `password_env`, a private key, `token_env`".into()),
        };
        let number =
            |key: &str, default: usize| -> std::result::Result<usize, String> {
                match plain(key)? {
                    Some(v) => v.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                        format!("`{key}` must be a positive whole number, got `{v}`")
                    }),
                    None => Ok(default),
                }
            };
        let retry = RetryPolicy {
            attempts: number("retry_attempts", 10)?,
            ..RetryPolicy::default()
        };
        Ok(Self {
            client: ClientConfig {
                base_url,
                account,
                user,
                credentials,
                database: Some(database.clone()),
                schema: None,
                warehouse: plain("warehouse")?,
                role: plain("role")?,
                retry,
                max_poll_interval: Duration::from_secs(2),
                request_timeout: Duration::from_secs(300),
            },
            database,
            stage: plain("stage")?.unwrap_or_else(|| "pushdown_landing".into()),
            upload_parallelism: number("upload_parallelism", 4)?,
        })
    }
}

/// A logged-in Snowflake session.
pub struct Snowflake {
    client: Arc<Client>,
    /// `@"db"."_pushdown"."stage"`
    stage: String,
    uploads: Arc<Semaphore>,
    /// Uploads started by [`Warehouse::stage`] and not yet awaited: every
    /// statement waits for them, so a COPY never reads a half-uploaded file.
    pending: Mutex<Vec<tokio::task::JoinHandle<Result<()>>>>,
}

impl std::fmt::Debug for Snowflake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snowflake")
            .field("client", &self.client)
            .field("stage", &self.stage)
            .finish()
    }
}

fn quote(id: &str) -> String {
    format!("\"{}\"", id.replace('"', "\"\""))
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

impl Snowflake {
    /// Logs in and makes sure the landing stage exists.
    pub async fn connect(settings: SnowflakeSettings) -> Result<Self> {
        let client = Client::new(settings.client)?;
        client.login().await?;
        let stage = format!(
            "@{}.{}.{}",
            quote(&settings.database),
            quote("_pushdown"),
            quote(&settings.stage)
        );
        let sf = Self {
            client: Arc::new(client),
            stage,
            uploads: Arc::new(Semaphore::new(settings.upload_parallelism)),
            pending: Mutex::new(Vec::new()),
        };
        // The stage is the adapter's transport, not a model: created here, by
        // the adapter, before anything is staged.
        sf.client
            .submit(
                &format!("CREATE SCHEMA IF NOT EXISTS {}", quote("_pushdown")),
                &[],
            )
            .await?;
        // Session-temporary load tables (landing) are created unqualified,
        // in the current schema.
        // The session's schema (temporary load tables live there): set again
        // if the session is ever replaced by a new login.
        sf.client
            .setup(&format!("USE SCHEMA {}", quote("_pushdown")))
            .await?;
        sf.client
            .submit(
                &format!(
                    "CREATE STAGE IF NOT EXISTS {}.{}.{}",
                    quote(&settings.database),
                    quote("_pushdown"),
                    quote(&settings.stage)
                ),
                &[],
            )
            .await?;
        Ok(sf)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Waits for every upload started so far; the first failure wins.
    async fn finish_uploads(&self) -> Result<()> {
        let pending: Vec<_> = std::mem::take(&mut *self.pending.lock().await);
        let mut first = Ok(());
        for h in pending {
            let r = h.await.unwrap_or_else(|e| {
                Err(WarehouseError::new(
                    ErrorKind::Stage,
                    format!("upload task failed: {e}"),
                ))
            });
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    /// PUTs one local file to `@stage/<dir>/<name>.gz` and returns that location.
    /// The upload itself runs in the background (bounded by
    /// `upload_parallelism`) while the core prepares the next file.
    pub async fn put(&self, local: &Path, name: &str) -> Result<String> {
        let file_name = format!("{name}.gz");
        let location = format!("{}/{}", self.stage, file_name);
        let absolute = std::fs::canonicalize(local).unwrap_or_else(|_| local.to_path_buf());
        // The answer to PUT says where and how to upload; the local path in
        // the command is only echoed back (nothing is read server-side).
        let put = format!(
            "PUT {} {} AUTO_COMPRESS = FALSE SOURCE_COMPRESSION = GZIP OVERWRITE = TRUE",
            sql_string(&format!(
                "file://{}",
                with_name(&absolute, &file_name).display()
            )),
            self.stage,
        );
        let answer = {
            let _session = self.client.lock().await;
            self.client.submit(&put, &[]).await?
        };
        let target = put::StageTarget::from_answer(&answer.data)
            .map_err(|m| WarehouseError::new(ErrorKind::Stage, m))?;
        let permit = Arc::clone(&self.uploads)
            .acquire_owned()
            .await
            .expect("never closed");
        let client = Arc::clone(&self.client);
        let local = local.to_path_buf();
        let handle = tokio::spawn(async move {
            let _permit = permit;
            upload(&client, &target, &local, &file_name).await
        });
        self.pending.lock().await.push(handle);
        Ok(location)
    }
}

/// Whether Snowflake runs the statement in a transaction of its own.
fn is_ddl(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    loop {
        if let Some(r) = rest.strip_prefix("--") {
            rest = r
                .split_once('\n')
                .map(|(_, r)| r)
                .unwrap_or("")
                .trim_start();
        } else if let Some(r) = rest.strip_prefix("/*") {
            rest = r
                .split_once("*/")
                .map(|(_, r)| r)
                .unwrap_or("")
                .trim_start();
        } else {
            break;
        }
    }
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_uppercase();
    matches!(
        word.as_str(),
        "CREATE" | "DROP" | "ALTER" | "TRUNCATE" | "UNDROP" | "GRANT" | "REVOKE" | "COMMENT"
    )
}

/// Whether a DDL statement creates a session-temporary object.
fn is_temporary(sql: &str) -> bool {
    let words: Vec<String> = sql
        .split_whitespace()
        .take(5)
        .map(str::to_uppercase)
        .collect();
    words.iter().any(|w| w == "TEMPORARY" || w == "TEMP")
}

fn with_name(p: &Path, name: &str) -> PathBuf {
    p.parent()
        .map(|d| d.join(name))
        .unwrap_or_else(|| PathBuf::from(name))
}

/// Compresses (and encrypts, if the stage asks) on the blocking pool, then
/// streams the result to the storage the stage names.
pub async fn upload(
    client: &Client,
    target: &put::StageTarget,
    local: &Path,
    file_name: &str,
) -> Result<()> {
    let stage_err = |m: String| {
        WarehouseError::new(ErrorKind::Stage, format!("PUT of {}: {m}", local.display()))
    };
    let src = local.to_path_buf();
    let enc = target.encryption.as_ref().map(|e| put::Encryption {
        master_key: e.master_key.clone(),
        query_id: e.query_id.clone(),
        smk_id: e.smk_id.clone(),
    });
    let prepared = tokio::task::spawn_blocking(move || put::prepare(&src, enc.as_ref()))
        .await
        .map_err(|e| stage_err(e.to_string()))?
        .map_err(stage_err)?;
    let metadata = put::metadata_headers(target, &prepared);
    let (url, headers) = match (target.location_type.as_str(), &target.presigned_url) {
        ("GCS", Some(url)) => (url.clone(), metadata),
        ("S3", _) => put::s3_put_request(target, file_name, &metadata, chrono::Utc::now())
            .map_err(stage_err)?,
        (other, _) => {
            return Err(stage_err(format!(
                "the stage asks for an upload to `{other}`{}, which this adapter does not implement (supported: GCS presigned URL, S3)",
                if target.presigned_url.is_none() && other == "GCS" {
                    " without a presigned URL"
                } else {
                    ""
                }
            )));
        }
    };
    client
        .upload_file(&url, &headers, &prepared.path, prepared.len)
        .await
        .map_err(|e| stage_err(e.message))
}

#[async_trait]
impl Warehouse for Snowflake {
    fn dialect(&self) -> Dialect {
        Dialect::Snowflake
    }

    async fn execute(&self, statements: &[String]) -> Result<()> {
        self.finish_uploads().await?;
        let _session = self.client.lock().await;
        // Snowflake commits an open transaction before DDL and runs the DDL
        // on its own; the adapter does the same explicitly (fakesnow, on
        // DuckDB, refuses DDL inside a transaction that wrote elsewhere), so
        // every run of DML between two DDL statements is one transaction.
        // The session holds state while a transaction is open or after the
        // batch made temporary tables: an expired session may then only be
        // renewed, not replaced by a new login (see `Client::submit_with`).
        let mut open = false;
        let mut temporary = false;
        for (i, sql) in statements.iter().enumerate() {
            let ddl = is_ddl(sql);
            let step = async {
                if ddl && open {
                    self.client.submit_with("COMMIT", &[], true).await?;
                    open = false;
                } else if !ddl && !open {
                    self.client.submit_with("BEGIN", &[], temporary).await?;
                    open = true;
                }
                self.client.submit_with(sql, &[], open || temporary).await
            };
            if let Err(e) = step.await {
                if open {
                    let _ = self.client.submit("ROLLBACK", &[]).await;
                }
                return Err(e.at_statement(i));
            }
            temporary |= ddl && is_temporary(sql);
        }
        if open && let Err(e) = self.client.submit_with("COMMIT", &[], true).await {
            let _ = self.client.submit("ROLLBACK", &[]).await;
            return Err(e);
        }
        Ok(())
    }

    async fn query(&self, sql: &str) -> Result<Rows> {
        self.finish_uploads().await?;
        let _session = self.client.lock().await;
        let mut rows = self.client.rows(sql, &[]).await?;
        // Identifiers are case-insensitive in this session (see the login),
        // and Snowflake reports them upper-cased: pushdown's names are lower.
        for c in &mut rows.columns {
            *c = c.to_lowercase();
        }
        Ok(rows)
    }

    async fn stage(&self, file: &StagedFile<'_>) -> Result<String> {
        // The id names the content: a re-run PUTs the same bytes to the same
        // name (OVERWRITE), never a second copy beside the first.
        let name: String = file
            .id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.put(file.path, &name).await
    }

    async fn unstage(&self, location: &str) -> Result<()> {
        let _session = self.client.lock().await;
        self.client
            .submit(&format!("REMOVE {location}"), &[])
            .await
            .map(|_| ())
    }
}
