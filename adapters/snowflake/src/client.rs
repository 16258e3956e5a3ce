//! A thin client of Snowflake's REST protocol (the one its own drivers speak):
//! `login-request`, `query-request` with polling of the result URL, result
//! chunks, and retries that are safe because every submission carries a
//! request id Snowflake deduplicates on.
//!
//! Why not the `snowflake-api` crate: see the README's dependency notes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use pushdown_adapter::{ErrorKind, Rows, WarehouseError};
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value as Json, json};
use tokio::sync::Mutex;
use url::Url;
use uuid::Uuid;

use crate::auth::Credentials;
use crate::bind::Bind;
use crate::rowset;

/// Snowflake's "still running" answers: the statement goes on, its result
/// is fetched from `data.getResultUrl`.
const QUERY_IN_PROGRESS: &str = "333333";
const QUERY_IN_PROGRESS_ASYNC: &str = "333334";
/// The session token expired: renew it (or log in again) and resubmit.
const SESSION_EXPIRED: &str = "390112";

/// What an unsuccessful answer's code asks of the client.
///
/// Matched to Snowflake's own drivers (gosnowflake `restful.go`/`retry.go`,
/// snowflake-connector-python `network.py`): they poll 333333/333334, renew
/// the session on 390112 and resubmit, and retry at the HTTP level only (5xx,
/// 408, 429 and connection failures, see [`http_failure`]); no SQL error code
/// is retried as such. pushdown does the same, and only classifies the codes
/// below for the run's result (`retryable`: a later run can succeed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    /// Still running: poll the result URL.
    InProgress,
    /// Renew the session token, then resubmit under the same request id.
    SessionExpired,
    /// A passing condition, not retried in place: 000625 (too many
    /// statements waiting for one lock). A later run can succeed.
    Transient,
    /// Other 390xxx: authentication and session errors.
    Connection,
    /// Anything else: the statement itself was refused.
    Statement,
}

pub fn classify(code: &str) -> CodeClass {
    match code {
        QUERY_IN_PROGRESS | QUERY_IN_PROGRESS_ASYNC => CodeClass::InProgress,
        SESSION_EXPIRED => CodeClass::SessionExpired,
        "000625" => CodeClass::Transient,
        c if c.starts_with("390") => CodeClass::Connection,
        _ => CodeClass::Statement,
    }
}

/// How an expired session token was replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Renewal {
    /// Same session, new token (`/session/token-request`, RENEW): open
    /// transactions and temporary tables live on.
    SameSession,
    /// A new login: a new session, without the old one's state.
    NewSession,
}

/// How often and how long a failed HTTP request is retried.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: usize,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// Upper bound on a server's Retry-After that is honoured as is.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 10,
            min_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(16),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

/// Everything needed to open a session.
#[derive(Debug)]
pub struct ClientConfig {
    /// `https://<account>.snowflakecomputing.com`, a PrivateLink host, or an
    /// emulator on loopback.
    pub base_url: Url,
    pub account: String,
    pub user: String,
    pub credentials: Credentials,
    pub database: Option<String>,
    pub schema: Option<String>,
    pub warehouse: Option<String>,
    pub role: Option<String>,
    pub retry: RetryPolicy,
    /// Upper bound on the wait between two polls of a running statement.
    pub max_poll_interval: Duration,
    /// Timeout of one HTTP request (a statement may run longer: it is polled).
    pub request_timeout: Duration,
}

/// A failed attempt, with what the retry policy needs to know about it.
#[derive(Debug)]
struct Attempt {
    error: WarehouseError,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl Attempt {
    fn fatal(kind: ErrorKind, message: String) -> Self {
        Self {
            error: WarehouseError::new(kind, message),
            retryable: false,
            retry_after: None,
        }
    }
    fn transient(message: String, retry_after: Option<Duration>) -> Self {
        Self {
            error: WarehouseError::new(ErrorKind::Transient, message),
            retryable: true,
            retry_after,
        }
    }
}

/// The answer to a statement: its `data` object (rows still encoded).
#[derive(Debug)]
pub struct Response {
    pub data: Json,
}

/// One logged-in Snowflake session. Statements on it run one at a time (a
/// transaction is a property of the session), so callers hold [`Client::lock`]
/// across BEGIN..COMMIT.
pub struct Client {
    http: reqwest::Client,
    config: ClientConfig,
    token: Mutex<Option<SecretString>>,
    /// The login's master token, which renews an expired session token.
    master_token: Mutex<Option<SecretString>>,
    /// Statements that set up a session (e.g. USE SCHEMA), run again after
    /// a new login.
    session_setup: Mutex<Vec<String>>,
    sequence: AtomicU64,
    session_lock: Mutex<()>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.config.base_url.as_str())
            .field("account", &self.config.account)
            .field("user", &self.config.user)
            .field("credentials", &self.config.credentials)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, WarehouseError> {
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(Duration::from_secs(20))
            .user_agent(concat!("pushdown/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                WarehouseError::new(
                    ErrorKind::Connection,
                    format!("cannot build the HTTP client: {e}"),
                )
            })?;
        Ok(Self {
            http,
            config,
            token: Mutex::new(None),
            master_token: Mutex::new(None),
            session_setup: Mutex::new(Vec::new()),
            sequence: AtomicU64::new(1),
            session_lock: Mutex::new(()),
        })
    }

    pub fn base_url(&self) -> &Url {
        &self.config.base_url
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Serialises users of the session (a transaction spans several requests).
    pub async fn lock(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.session_lock.lock().await
    }

    /// Opens the session. Login is idempotent, so it is retried like any
    /// transient failure; wrong credentials fail at once with Snowflake's code.
    pub async fn login(&self) -> Result<(), WarehouseError> {
        let c = &self.config;
        let mut data = Map::new();
        data.insert("CLIENT_APP_ID".into(), "pushdown".into());
        data.insert(
            "CLIENT_APP_VERSION".into(),
            env!("CARGO_PKG_VERSION").into(),
        );
        data.insert("ACCOUNT_NAME".into(), c.account.clone().into());
        data.insert("LOGIN_NAME".into(), c.user.clone().into());
        // Every instant pushdown writes or reads is UTC. pushdown quotes the
        // names it creates ("raw"."orders") while model SQL written once for
        // every warehouse names them bare (raw.orders): with quoted
        // identifiers case-insensitive both mean RAW.ORDERS.
        // https://docs.snowflake.com/en/sql-reference/parameters#quoted-identifiers-ignore-case
        data.insert(
            "SESSION_PARAMETERS".into(),
            json!({ "TIMEZONE": "UTC", "QUERY_TAG": "pushdown", "QUOTED_IDENTIFIERS_IGNORE_CASE": true }),
        );
        data.insert(
            "CLIENT_ENVIRONMENT".into(),
            json!({ "APPLICATION": "pushdown", "OS": std::env::consts::OS }),
        );
        c.credentials.login_fields(&c.account, &c.user, &mut data);
        let body = SecretString::from(
            Json::Object(
                [("data".to_string(), Json::Object(data))]
                    .into_iter()
                    .collect(),
            )
            .to_string(),
        );

        let mut params: Vec<(&str, String)> = Vec::new();
        for (name, v) in [
            ("databaseName", &c.database),
            ("schemaName", &c.schema),
            ("warehouse", &c.warehouse),
            ("roleName", &c.role),
        ] {
            if let Some(v) = v {
                params.push((name, v.clone()));
            }
        }
        let answer = self
            .send(
                Method::POST,
                "/session/v1/login-request",
                &params,
                Some(&body),
                None,
                &Uuid::new_v4().to_string(),
            )
            .await?;
        if answer.get("success").and_then(Json::as_bool) != Some(true) {
            return Err(WarehouseError::new(
                ErrorKind::Connection,
                format!(
                    "Snowflake refused the login of user `{}`: {}",
                    c.user,
                    snowflake_message(&answer)
                ),
            ));
        }
        let token = answer
            .pointer("/data/token")
            .and_then(Json::as_str)
            .ok_or_else(|| {
                WarehouseError::new(
                    ErrorKind::Connection,
                    "Snowflake's login answer has no session token",
                )
            })?;
        *self.token.lock().await = Some(SecretString::from(token.to_string()));
        *self.master_token.lock().await = answer
            .pointer("/data/masterToken")
            .and_then(Json::as_str)
            .map(|t| SecretString::from(t.to_string()));
        Ok(())
    }

    /// Remembers a statement that sets up the session, and runs it: a new
    /// login (after a failed renewal) runs it again.
    pub async fn setup(&self, sql: &str) -> Result<(), WarehouseError> {
        self.submit(sql, &[]).await?;
        self.session_setup.lock().await.push(sql.to_string());
        Ok(())
    }

    /// Replaces the expired session token `expired`: with the master token
    /// (`/session/token-request`, REQUEST_TYPE RENEW, as Snowflake's drivers
    /// do), or, when there is none or the renewal is refused, by logging in
    /// again, which opens a new session.
    async fn renew(&self, expired: &SecretString) -> Result<Renewal, WarehouseError> {
        // Another statement may have renewed it already.
        if let Some(current) = self.token.lock().await.as_ref()
            && current.expose_secret() != expired.expose_secret()
        {
            return Ok(Renewal::SameSession);
        }
        let master = self.master_token.lock().await.clone();
        if let Some(master) = master {
            let body = SecretString::from(
                json!({ "oldSessionToken": expired.expose_secret(), "requestType": "RENEW" })
                    .to_string(),
            );
            match self
                .send(
                    Method::POST,
                    "/session/token-request",
                    &[],
                    Some(&body),
                    Some(&master),
                    &Uuid::new_v4().to_string(),
                )
                .await
            {
                Ok(answer) if answer.get("success").and_then(Json::as_bool) == Some(true) => {
                    if let Some(token) = answer.pointer("/data/sessionToken").and_then(Json::as_str)
                    {
                        *self.token.lock().await = Some(SecretString::from(token.to_string()));
                        if let Some(m) = answer.pointer("/data/masterToken").and_then(Json::as_str)
                        {
                            *self.master_token.lock().await =
                                Some(SecretString::from(m.to_string()));
                        }
                        tracing::info!("Snowflake session token renewed");
                        return Ok(Renewal::SameSession);
                    }
                    tracing::warn!(
                        "Snowflake's token renewal answer has no session token, logging in again"
                    );
                }
                Ok(answer) => tracing::warn!(
                    error = %snowflake_message(&answer),
                    "Snowflake refused to renew the session token, logging in again"
                ),
                Err(e) => tracing::warn!(
                    error = %e,
                    "renewing the Snowflake session token failed, logging in again"
                ),
            }
        }
        self.login().await?;
        let setup = self.session_setup.lock().await.clone();
        let token = self.token.lock().await.clone().ok_or_else(|| {
            WarehouseError::new(ErrorKind::Connection, "not logged in to Snowflake")
        })?;
        for sql in &setup {
            let body = self.statement_body(sql, &[]);
            let answer = self
                .run_to_end(&body, &token, &Uuid::new_v4().to_string())
                .await?;
            if answer.get("success").and_then(Json::as_bool) != Some(true) {
                return Err(WarehouseError::new(
                    ErrorKind::Connection,
                    format!(
                        "setting up the new Snowflake session (`{sql}`) failed: {}",
                        snowflake_message(&answer)
                    ),
                ));
            }
        }
        tracing::info!("Snowflake session expired: logged in again (a new session)");
        Ok(Renewal::NewSession)
    }

    /// Runs one statement and returns its rows.
    pub async fn rows(&self, sql: &str, binds: &[Bind]) -> Result<Rows, WarehouseError> {
        let response = self.submit(sql, binds).await?;
        self.decode(&response).await
    }

    /// Submits one statement and waits for its result, however long it runs:
    /// an in-progress answer is polled at its result URL.
    pub async fn submit(&self, sql: &str, binds: &[Bind]) -> Result<Response, WarehouseError> {
        self.submit_with(sql, binds, false).await
    }

    /// [`Client::submit`] for a caller whose session holds state (an open
    /// transaction, temporary tables). An expired session token is renewed
    /// and the statement resubmitted under the same request id, so Snowflake
    /// runs it once; but if only a new login was possible, that state is
    /// gone, and resubmitting would run the statement outside it: then the
    /// statement fails instead, as transient (a rerun redoes the work).
    pub async fn submit_with(
        &self,
        sql: &str,
        binds: &[Bind],
        holds_state: bool,
    ) -> Result<Response, WarehouseError> {
        let body = self.statement_body(sql, binds);
        // One request id for every resubmission of this statement.
        let request_id = Uuid::new_v4().to_string();
        let mut renewed = false;
        let answer = loop {
            let token = self.token.lock().await.clone().ok_or_else(|| {
                WarehouseError::new(ErrorKind::Connection, "not logged in to Snowflake")
            })?;
            let answer = self.run_to_end(&body, &token, &request_id).await?;
            let code = answer.get("code").and_then(Json::as_str).unwrap_or("");
            if answer.get("success").and_then(Json::as_bool) == Some(true)
                || classify(code) != CodeClass::SessionExpired
                || renewed
            {
                break answer;
            }
            renewed = true;
            if self.renew(&token).await? == Renewal::NewSession && holds_state {
                return Err(WarehouseError::new(
                    ErrorKind::Transient,
                    format!(
                        "the Snowflake session expired inside a transaction and could only be replaced by a new login; \
                         Snowflake rolls the old session's open transaction back, so nothing of it was committed: \
                         run again ({})",
                        snowflake_message(&answer)
                    ),
                ));
            }
        };

        if answer.get("success").and_then(Json::as_bool) != Some(true) {
            let code = answer.get("code").and_then(Json::as_str).unwrap_or("");
            let kind = match classify(code) {
                CodeClass::Transient => ErrorKind::Transient,
                CodeClass::Connection | CodeClass::SessionExpired => ErrorKind::Connection,
                CodeClass::InProgress | CodeClass::Statement => ErrorKind::Statement,
            };
            return Err(WarehouseError::new(kind, snowflake_message(&answer)));
        }
        Ok(Response {
            data: answer.get("data").cloned().unwrap_or(Json::Null),
        })
    }

    fn statement_body(&self, sql: &str, binds: &[Bind]) -> SecretString {
        let mut body = Map::new();
        body.insert("sqlText".into(), sql.into());
        body.insert("asyncExec".into(), false.into());
        body.insert(
            "sequenceId".into(),
            self.sequence.fetch_add(1, Ordering::Relaxed).into(),
        );
        body.insert(
            "querySubmissionTime".into(),
            chrono::Utc::now().timestamp_millis().into(),
        );
        if !binds.is_empty() {
            body.insert("bindings".into(), crate::bind::bindings(binds));
        }
        SecretString::from(Json::Object(body).to_string())
    }

    /// Posts a statement and polls it while Snowflake answers "in progress";
    /// returns the final answer, successful or not.
    async fn run_to_end(
        &self,
        body: &SecretString,
        token: &SecretString,
        request_id: &str,
    ) -> Result<Json, WarehouseError> {
        let mut answer = self
            .send(
                Method::POST,
                "/queries/v1/query-request",
                &[],
                Some(body),
                Some(token),
                request_id,
            )
            .await?;

        let mut wait = Duration::from_millis(50);
        loop {
            let code = answer.get("code").and_then(Json::as_str).unwrap_or("");
            if classify(code) != CodeClass::InProgress {
                return Ok(answer);
            }
            let url = answer
                .pointer("/data/getResultUrl")
                .and_then(Json::as_str)
                .ok_or_else(|| {
                    WarehouseError::new(
                        ErrorKind::Connection,
                        "Snowflake said the statement is running but gave no result URL",
                    )
                })?
                .to_string();
            tracing::debug!(
                query_id = answer.pointer("/data/queryId").and_then(Json::as_str),
                "statement still running, polling its result"
            );
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(self.config.max_poll_interval);
            answer = self
                .send(
                    Method::GET,
                    &url,
                    &[],
                    None,
                    Some(token),
                    &Uuid::new_v4().to_string(),
                )
                .await?;
        }
    }

    /// The rows of an answer: the inline rowset, then any result chunks.
    pub async fn decode(&self, response: &Response) -> Result<Rows, WarehouseError> {
        let data = &response.data;
        let columns = rowset::columns(data);
        let mut rows = rowset::inline_rows(data, &columns)?;
        let chunks = data
            .get("chunks")
            .and_then(Json::as_array)
            .cloned()
            .unwrap_or_default();
        if chunks.is_empty() {
            return Ok(Rows {
                columns: columns.iter().map(|c| c.name.clone()).collect(),
                rows,
            });
        }
        let arrow = data.get("queryResultFormat").and_then(Json::as_str) == Some("arrow");
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(h) = data.get("chunkHeaders").and_then(Json::as_object) {
            for (k, v) in h {
                if let (Ok(k), Some(Ok(v))) = (
                    reqwest::header::HeaderName::from_bytes(k.as_bytes()),
                    v.as_str().map(reqwest::header::HeaderValue::from_str),
                ) {
                    headers.insert(k, v);
                }
            }
        } else if let Some(qrmk) = data.get("qrmk").and_then(Json::as_str) {
            // Chunks on S3 encrypted with a customer key (SSE-C).
            headers.insert(
                "x-amz-server-side-encryption-customer-algorithm",
                "AES256".parse().expect("static"),
            );
            if let Ok(v) = qrmk.parse() {
                headers.insert("x-amz-server-side-encryption-customer-key", v);
            }
        }
        for chunk in chunks {
            let Some(url) = chunk.get("url").and_then(Json::as_str) else {
                continue;
            };
            let bytes = self.download(url, &headers).await?;
            rows.extend(if arrow {
                rowset::arrow_rows(&bytes, &columns)?
            } else {
                rowset::json_chunk_rows(&bytes, &columns)?
            });
        }
        Ok(Rows {
            columns: columns.iter().map(|c| c.name.clone()).collect(),
            rows,
        })
    }

    async fn download(
        &self,
        url: &str,
        headers: &reqwest::header::HeaderMap,
    ) -> Result<Vec<u8>, WarehouseError> {
        let attempt = || async {
            let resp = self
                .http
                .get(url)
                .headers(headers.clone())
                .send()
                .await
                .map_err(network)?;
            let status = resp.status();
            if !status.is_success() {
                return Err(http_failure(
                    status,
                    retry_after(&resp),
                    "downloading a result chunk",
                ));
            }
            Ok(resp.bytes().await.map_err(network)?.to_vec())
        };
        self.with_retries(attempt, "result chunk").await
    }

    /// Streams a local file to a storage URL (a presigned URL or a signed S3
    /// request): the same bytes to the same name, so retries are safe.
    pub async fn upload_file(
        &self,
        url: &str,
        headers: &[(String, String)],
        path: &std::path::Path,
        len: u64,
    ) -> Result<(), WarehouseError> {
        let attempt = || async {
            let file = tokio::fs::File::open(path).await.map_err(|e| {
                Attempt::fatal(
                    ErrorKind::Stage,
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            let mut req = self
                .http
                .put(url)
                .header(reqwest::header::CONTENT_LENGTH, len);
            for (k, v) in headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let resp = req
                .body(reqwest::Body::from(file))
                .send()
                .await
                .map_err(network)?;
            let status = resp.status();
            if !status.is_success() {
                let after = retry_after(&resp);
                let text = resp.text().await.unwrap_or_default();
                let mut f = http_failure(status, after, "the file upload");
                f.error.kind = if f.retryable {
                    ErrorKind::Transient
                } else {
                    ErrorKind::Stage
                };
                f.error.message = format!(
                    "{}: {}",
                    f.error.message,
                    text.chars().take(300).collect::<String>()
                );
                return Err(f);
            }
            Ok(())
        };
        self.with_retries(attempt, "file upload").await
    }

    /// One HTTP exchange with Snowflake, retried on transient failures with
    /// the same `requestId`: Snowflake runs a statement once per request id,
    /// so a retry after a lost answer returns the first execution's result
    /// instead of running it again.
    async fn send(
        &self,
        method: Method,
        path: &str,
        params: &[(&str, String)],
        body: Option<&SecretString>,
        token: Option<&SecretString>,
        request_id: &str,
    ) -> Result<Json, WarehouseError> {
        let mut url = self.config.base_url.join(path).map_err(|e| {
            WarehouseError::new(
                ErrorKind::Connection,
                format!("bad Snowflake URL path `{path}`: {e}"),
            )
        })?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            q.append_pair("requestId", request_id);
        }
        let attempt_no = AtomicU64::new(0);
        let what = path.split('?').next().unwrap_or(path).to_string();
        let attempt = || {
            let n = attempt_no.fetch_add(1, Ordering::Relaxed);
            let mut url = url.clone();
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("request_guid", &Uuid::new_v4().to_string());
                if n > 0 {
                    q.append_pair("retryCount", &n.to_string());
                }
            }
            let method = method.clone();
            let what = what.clone();
            async move {
                let mut req = self
                    .http
                    .request(method, url)
                    .header("Accept", "application/snowflake")
                    .header("Content-Type", "application/json");
                if let Some(t) = token {
                    req = req.header(
                        "Authorization",
                        format!("Snowflake Token=\"{}\"", t.expose_secret()),
                    );
                }
                if let Some(b) = body {
                    req = req.body(b.expose_secret().to_string());
                }
                let resp = req.send().await.map_err(network)?;
                let status = resp.status();
                let after = retry_after(&resp);
                let text = resp.text().await.map_err(network)?;
                if !status.is_success() {
                    let mut f = http_failure(status, after, &what);
                    if let Ok(j) = serde_json::from_str::<Json>(&text)
                        && j.get("code").is_some_and(|c| !c.is_null())
                    {
                        f.error.message =
                            format!("{} ({})", f.error.message, snowflake_message(&j));
                    }
                    return Err(f);
                }
                serde_json::from_str::<Json>(&text).map_err(|e| {
                    Attempt::fatal(
                        ErrorKind::Connection,
                        format!("Snowflake answered {what} with something that is not JSON: {e}"),
                    )
                })
            }
        };
        self.with_retries(attempt, &path_only(path)).await
    }

    async fn with_retries<T, F, Fut>(&self, attempt: F, what: &str) -> Result<T, WarehouseError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, Attempt>>,
    {
        let p = &self.config.retry;
        let max_after = p.max_retry_after;
        attempt
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(p.min_delay)
                    .with_max_delay(p.max_delay)
                    .with_max_times(p.attempts)
                    .with_jitter(),
            )
            .when(|a: &Attempt| a.retryable)
            // Retry-After wins over the backoff's own pause, within reason;
            // an exhausted backoff stays exhausted.
            .adjust(move |a: &Attempt, d| d.map(|d| a.retry_after.map(|r| r.min(max_after)).unwrap_or(d)))
            .notify(|a: &Attempt, d| tracing::warn!(request = what, error = %a.error, "transient failure, retrying in {d:?}"))
            .await
            .map_err(|a| a.error)
    }
}

fn path_only(path: &str) -> String {
    path.split('?').next().unwrap_or(path).to_string()
}

/// Network-level failures: the request may or may not have reached the
/// server, which the request id makes safe to repeat.
fn network(e: reqwest::Error) -> Attempt {
    // Print the chain without the URL (it has no secrets, but is long).
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        src = s.source();
    }
    Attempt::transient(format!("network error talking to Snowflake: {msg}"), None)
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    let v = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?;
    if let Ok(secs) = v.trim().parse::<f64>() {
        return (secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v.trim()).ok()?;
    let wait = at
        .signed_duration_since(chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    Some(wait)
}

fn http_failure(status: StatusCode, after: Option<Duration>, what: &str) -> Attempt {
    let message = format!("Snowflake answered {what} with HTTP {status}");
    if status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
        || status.is_server_error()
    {
        Attempt::transient(message, after)
    } else if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        Attempt::fatal(ErrorKind::Connection, message)
    } else {
        Attempt::fatal(ErrorKind::Statement, message)
    }
}

/// "Snowflake error 002003 (42S02): <message>", from an unsuccessful answer.
pub(crate) fn snowflake_message(answer: &Json) -> String {
    let code = answer.get("code").and_then(Json::as_str).unwrap_or("?");
    let message = answer
        .get("message")
        .and_then(Json::as_str)
        .unwrap_or("(no message)");
    // Some servers already lead the message with the code.
    let message = message
        .strip_prefix(code)
        .map(|m| m.trim_start_matches([':', ' ']))
        .unwrap_or(message);
    let message = match answer.pointer("/data/sqlState").and_then(Json::as_str) {
        Some(state) => message
            .strip_prefix(&format!("({state})"))
            .map(|m| m.trim_start_matches([':', ' ']))
            .unwrap_or(message),
        None => message,
    };
    match answer.pointer("/data/sqlState").and_then(Json::as_str) {
        Some(state) => format!("Snowflake error {code} ({state}): {message}"),
        None => format!("Snowflake error {code}: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified_as_snowflakes_drivers_handle_them() {
        assert_eq!(classify("333333"), CodeClass::InProgress);
        assert_eq!(classify("333334"), CodeClass::InProgress);
        assert_eq!(classify("390112"), CodeClass::SessionExpired);
        assert_eq!(classify("000625"), CodeClass::Transient);
        // Login and session failures other than expiry: not retried.
        for code in ["390100", "390104", "390114", "390144", "390318"] {
            assert_eq!(classify(code), CodeClass::Connection, "{code}");
        }
        // Refused statements, including the cancel-only 000605.
        for code in ["002003", "001003", "100038", "000605", "000630", ""] {
            assert_eq!(classify(code), CodeClass::Statement, "{code:?}");
        }
    }

    #[test]
    fn http_statuses_are_retried_as_gosnowflake_retries_them() {
        for code in [500u16, 502, 503, 504, 599, 408, 429] {
            let a = http_failure(StatusCode::from_u16(code).unwrap(), None, "x");
            assert!(a.retryable, "{code}");
            assert_eq!(a.error.kind, ErrorKind::Transient);
        }
        for code in [400u16, 404, 405, 409, 413] {
            let a = http_failure(StatusCode::from_u16(code).unwrap(), None, "x");
            assert!(!a.retryable, "{code}");
            assert_eq!(a.error.kind, ErrorKind::Statement);
        }
        for code in [401u16, 403] {
            let a = http_failure(StatusCode::from_u16(code).unwrap(), None, "x");
            assert!(!a.retryable, "{code}");
            assert_eq!(a.error.kind, ErrorKind::Connection);
        }
        let a = http_failure(
            StatusCode::TOO_MANY_REQUESTS,
            Some(Duration::from_secs(3)),
            "x",
        );
        assert_eq!(a.retry_after, Some(Duration::from_secs(3)));
    }
}
