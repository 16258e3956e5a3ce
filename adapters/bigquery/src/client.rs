//! A thin client for the few REST calls pushdown needs: jobs.insert (query
//! and multipart load), jobs.get, getQueryResults.
//!
//! Responses are read as loose JSON, not strict structs: bqemulator and
//! BigQuery differ in shapes (an emulator's failed query is an HTTP 200 whose
//! job carries `errors`; timestamps are integer microseconds there), and a
//! field either side adds must not break a run.
//!
//! Retries: a request that failed transiently (see `error::classify`) is sent
//! again with exponential back-off (backon). A job is inserted under an id
//! pushdown chose, so when a connection drops after the request left, the
//! retry first asks for that job, and a `409 duplicate` means the first
//! attempt got through: the job runs once either way.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use backon::{ExponentialBuilder, Retryable};
use pushdown_adapter::{ErrorKind, Rows};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::{Value as Json, json};

use crate::auth::Auth;
use crate::error::ApiError;
use crate::rows;
use crate::settings::BigQuerySettings;

pub(crate) enum Body {
    None,
    Json(Json),
    Multipart {
        content_type: String,
        bytes: Vec<u8>,
    },
    /// The bytes of a resumable upload.
    Bytes {
        content_range: String,
        bytes: Vec<u8>,
    },
}

pub(crate) struct Client {
    http: reqwest::Client,
    auth: Auth,
    pub settings: BigQuerySettings,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("url", &self.settings.url)
            .field("project", &self.settings.project)
            .field("auth", &self.auth)
            .finish()
    }
}

impl Client {
    pub async fn new(settings: BigQuerySettings) -> Result<Self, ApiError> {
        let auth = Auth::from_mode(&settings.auth)
            .await
            .map_err(|m| ApiError {
                kind: ErrorKind::Connection,
                ..ApiError::connection(m, false)
            })?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            // One request never waits on a job: jobs are polled. A request
            // that hangs this long has lost its connection.
            .timeout(Duration::from_secs(300))
            .user_agent(concat!("pushdown/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                ApiError::connection(format!("cannot build the HTTP client: {e}"), false)
            })?;
        Ok(Self {
            http,
            auth,
            settings,
        })
    }

    fn jobs_url(&self) -> String {
        format!(
            "{}/bigquery/v2/projects/{}/jobs",
            self.settings.url, self.settings.project
        )
    }

    fn backoff(&self) -> ExponentialBuilder {
        ExponentialBuilder::default()
            .with_min_delay(self.settings.min_delay)
            .with_max_delay(self.settings.max_delay)
            .with_max_times(self.settings.max_retries)
            .with_jitter()
    }

    /// Runs `f` again while it fails transiently.
    pub async fn retrying<T, F, Fut>(&self, what: &str, f: F) -> Result<T, ApiError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        self.retrying_when(what, ApiError::is_transient, f).await
    }

    pub async fn retrying_when<T, F, Fut, W>(
        &self,
        what: &str,
        when: W,
        f: F,
    ) -> Result<T, ApiError>
    where
        W: FnMut(&ApiError) -> bool,
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, ApiError>>,
    {
        f.retry(self.backoff())
            .sleep(tokio::time::sleep)
            .when(when)
            .notify(|e: &ApiError, after: Duration| {
                tracing::warn!(what, error = %e.message, retry_in_ms = after.as_millis() as u64, "bigquery: transient failure, retrying");
            })
            .await
    }

    /// One HTTP exchange, no retry.
    async fn send(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, String)],
        body: &Body,
    ) -> Result<Json, ApiError> {
        let mut req = self.http.request(method, url).query(query);
        if let Some(token) = self
            .auth
            .token()
            .await
            .map_err(|m| ApiError::connection(m, false))?
        {
            req = req.bearer_auth(token.expose_secret());
        }
        req = match body {
            Body::None => req,
            Body::Json(j) => req.json(j),
            Body::Multipart {
                content_type,
                bytes,
            } => req
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes.clone()),
            Body::Bytes {
                content_range,
                bytes,
            } => req
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .header(reqwest::header::CONTENT_RANGE, content_range)
                .body(bytes.clone()),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let text = resp.text().await.map_err(transport)?;
        if !status.is_success() {
            return Err(ApiError::from_http(status.as_u16(), &text));
        }
        if text.trim().is_empty() {
            return Ok(Json::Null);
        }
        serde_json::from_str(&text).map_err(|e| ApiError {
            kind: ErrorKind::Transient,
            ..ApiError::connection(
                format!("BigQuery answered {status} with a body that is not JSON ({e})"),
                true,
            )
        })
    }

    async fn get_job(&self, id: &str, location: Option<&str>) -> Result<Option<Json>, ApiError> {
        let url = format!("{}/{}", self.jobs_url(), id);
        let query: Vec<(&str, String)> = location
            .map(|l| ("location", l.to_string()))
            .into_iter()
            .collect();
        match self.send(Method::GET, &url, &query, &Body::None).await {
            Ok(job) => Ok(Some(job)),
            Err(e) if e.not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether `dataset.table` exists (tables.get).
    pub async fn table_exists(&self, dataset: &str, table: &str) -> Result<bool, ApiError> {
        let url = format!(
            "{}/bigquery/v2/projects/{}/datasets/{dataset}/tables/{table}",
            self.settings.url, self.settings.project
        );
        self.retrying("tables.get", || async {
            match self.send(Method::GET, &url, &[], &Body::None).await {
                Ok(_) => Ok(true),
                Err(e) if e.not_found() => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// Inserts a job under `id` exactly once, however often the request must
    /// be sent; see the module docs. `send_once` makes one attempt.
    async fn insert<F, Fut>(&self, id: &str, send_once: F) -> Result<Inserted, ApiError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<Json, ApiError>>,
    {
        let maybe_sent = AtomicBool::new(false);
        let location = self.settings.location.as_deref();
        self.retrying("jobs.insert", || async {
            if maybe_sent.load(Ordering::SeqCst)
                && let Some(job) = self.get_job(id, location).await?
            {
                return Ok(Inserted { job, existed: true });
            }
            match send_once().await {
                Ok(job) => Ok(Inserted {
                    job,
                    existed: false,
                }),
                // An earlier attempt whose answer was lost (or an earlier
                // run) inserted it: wait for that job instead of failing.
                Err(e) if e.already_exists() => {
                    tracing::info!(job = id, "bigquery: job exists already, waiting for it");
                    match self.get_job(id, location).await? {
                        Some(job) => Ok(Inserted { job, existed: true }),
                        // It exists where pushdown cannot see it (another
                        // location, say): its result is out of reach, so a
                        // caller that may resubmit under a new id does.
                        None => Err(ApiError {
                            job_failed: true,
                            ..e
                        }),
                    }
                }
                Err(e) => {
                    if e.ambiguous {
                        maybe_sent.store(true, Ordering::SeqCst);
                    }
                    Err(e)
                }
            }
        })
        .await
    }

    /// Polls `job` until it is DONE; a failed job becomes its `errorResult`.
    async fn wait(&self, mut job: Json) -> Result<Json, ApiError> {
        let id = job_id(&job).unwrap_or_default();
        let location = job
            .pointer("/jobReference/location")
            .and_then(Json::as_str)
            .map(str::to_string)
            .or_else(|| self.settings.location.clone());
        let started = Instant::now();
        let mut delay = Duration::from_millis(50);
        loop {
            let state = job.pointer("/status/state").and_then(Json::as_str);
            // A job resource without a state is an answer pushdown does not
            // understand; treat it like a finished one and let errors speak.
            if state == Some("DONE") || state.is_none() {
                let err = job
                    .pointer("/status/errorResult")
                    .or_else(|| job.get("errors").and_then(|e| e.get(0)));
                if let Some(err) = err {
                    let mut e = ApiError::from_proto(err, None);
                    e.job_failed = true;
                    return Err(e);
                }
                return Ok(job);
            }
            if started.elapsed() > self.settings.job_timeout {
                return Err(ApiError {
                    kind: ErrorKind::Statement,
                    ..ApiError::connection(
                        format!(
                            "job {id} is still {} after {}s (job_timeout_secs); it may still finish in BigQuery",
                            state.unwrap_or("?"),
                            self.settings.job_timeout.as_secs()
                        ),
                        false,
                    )
                });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(2));
            job = self
                .retrying("jobs.get", || self.get_job(&id, location.as_deref()))
                .await?
                .ok_or_else(|| {
                    ApiError::connection(format!("job {id} disappeared while it ran"), false)
                })?;
        }
    }

    /// Runs a query job to completion, and once more under a new id when
    /// the job itself failed transiently (it rolled back as a whole).
    pub async fn query(&self, sql: &str, dry_run: bool) -> Result<Json, ApiError> {
        self.retrying_when("query job", ApiError::is_transient_job_failure, || {
            self.query_job(sql, dry_run)
        })
        .await
    }

    /// Runs a query job (a statement or a script) to completion.
    pub async fn query_job(&self, sql: &str, dry_run: bool) -> Result<Json, ApiError> {
        let id = format!("pushdown_{}", random_hex(16));
        let mut job = json!({
            "jobReference": {"projectId": self.settings.project, "jobId": id},
            "configuration": {
                "query": {"query": sql, "useLegacySql": false},
            }
        });
        if dry_run {
            job["configuration"]["dryRun"] = json!(true);
        }
        if let Some(l) = &self.settings.location {
            job["jobReference"]["location"] = json!(l);
        }
        let url = self.jobs_url();
        let body = Body::Json(job);
        let inserted = self
            .insert(&id, || self.send(Method::POST, &url, &[], &body))
            .await?;
        self.wait(inserted.job).await
    }

    /// The rows of a finished query job, every page.
    pub async fn rows(&self, job: &Json) -> Result<Rows, ApiError> {
        let id = job_id(job).unwrap_or_default();
        let url = format!(
            "{}/bigquery/v2/projects/{}/queries/{}",
            self.settings.url, self.settings.project, id
        );
        let mut out = Rows::default();
        let mut fields = None;
        let mut page_token: Option<String> = None;
        loop {
            let mut query = vec![
                ("formatOptions.useInt64Timestamp", "true".to_string()),
                ("maxResults", "10000".to_string()),
                ("timeoutMs", "10000".to_string()),
            ];
            if let Some(l) = job.pointer("/jobReference/location").and_then(Json::as_str) {
                query.push(("location", l.to_string()));
            }
            if let Some(t) = &page_token {
                query.push(("pageToken", t.clone()));
            }
            let page = self
                .retrying("jobs.getQueryResults", || {
                    self.send(Method::GET, &url, &query, &Body::None)
                })
                .await?;
            if let Some(err) = page.get("errors").and_then(|e| e.get(0)) {
                return Err(ApiError::from_proto(err, None));
            }
            if page.get("jobComplete").and_then(Json::as_bool) == Some(false) {
                continue;
            }
            let fs = fields.get_or_insert_with(|| {
                let fs = rows::fields(page.get("schema"));
                out.columns = fs.iter().map(|f| f.name.clone()).collect();
                fs
            });
            rows::append_page(fs, page.get("rows"), &mut out);
            page_token = page
                .get("pageToken")
                .and_then(Json::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if page_token.is_none() {
                return Ok(out);
            }
        }
    }

    /// A load job whose data travels with the request, under the job id
    /// `id`, run to completion. Small uploads are one multipart request,
    /// larger ones a resumable upload session (BigQuery's media upload
    /// protocols, https://cloud.google.com/bigquery/docs/reference/api-uploads).
    /// The flag says the job existed before (a lost answer, an earlier run).
    pub async fn load_once(
        &self,
        id: String,
        load: Json,
        data: Vec<u8>,
    ) -> Result<(Json, bool), ApiError> {
        let id = id.as_str();
        let mut job = json!({
            "jobReference": {"projectId": self.settings.project, "jobId": id},
            "configuration": {"load": load},
        });
        if let Some(l) = &self.settings.location {
            job["jobReference"]["location"] = json!(l);
        }
        let upload = format!(
            "{}/upload/bigquery/v2/projects/{}/jobs",
            self.settings.url, self.settings.project
        );
        let inserted = if data.len() as u64 <= self.settings.multipart_max_bytes {
            let boundary = format!("pushdown_{}", random_hex(16));
            let mut bytes = Vec::with_capacity(data.len() + 1024);
            bytes.extend_from_slice(
                format!("--{boundary}\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n{job}\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            );
            bytes.extend_from_slice(&data);
            bytes.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let url = format!("{upload}?uploadType=multipart");
            let body = Body::Multipart {
                content_type: format!("multipart/related; boundary={boundary}"),
                bytes,
            };
            self.insert(id, || self.send(Method::POST, &url, &[], &body))
                .await?
        } else {
            self.insert(id, || self.resumable(&upload, &job, &data))
                .await?
        };
        let existed = inserted.existed;
        Ok((self.wait(inserted.job).await?, existed))
    }

    /// One resumable upload: a session, then every byte in one `PUT` (the
    /// protocol allows chunks; one request keeps a retry simple: a session
    /// whose upload failed is abandoned and a new one started).
    async fn resumable(&self, upload: &str, job: &Json, data: &[u8]) -> Result<Json, ApiError> {
        let mut req = self
            .http
            .post(upload)
            .query(&[("uploadType", "resumable")])
            .header("X-Upload-Content-Type", "application/octet-stream")
            .header("X-Upload-Content-Length", data.len().to_string())
            .json(job);
        if let Some(token) = self
            .auth
            .token()
            .await
            .map_err(|m| ApiError::connection(m, false))?
        {
            req = req.bearer_auth(token.expose_secret());
        }
        // Starting a session creates no job: losing its answer is harmless.
        let resp = req.send().await.map_err(|e| ApiError {
            ambiguous: false,
            ..transport(e)
        })?;
        let status = resp.status();
        let session = resp
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(ApiError::from_http(status.as_u16(), &text));
        }
        let session = session.ok_or_else(|| {
            ApiError::connection(
                format!("BigQuery answered a resumable upload with {status} but no session URI"),
                false,
            )
        })?;
        let range = if data.is_empty() {
            "bytes */0".to_string()
        } else {
            format!("bytes 0-{}/{}", data.len() - 1, data.len())
        };
        self.send(
            Method::PUT,
            &session,
            &[],
            &Body::Bytes {
                content_range: range,
                bytes: data.to_vec(),
            },
        )
        .await
    }
}

/// An inserted job, and whether it existed before this insert.
struct Inserted {
    job: Json,
    existed: bool,
}

fn job_id(job: &Json) -> Option<String> {
    job.pointer("/jobReference/jobId")
        .and_then(Json::as_str)
        .map(str::to_string)
}

fn transport(e: reqwest::Error) -> ApiError {
    // A refused connection never carried the request; anything later (a
    // reset, a timeout, a truncated answer) may have, so it is ambiguous.
    let ambiguous = !e.is_connect();
    let status = e.status().map(|s: StatusCode| s.as_u16());
    let mut err = ApiError::connection(
        format!("request to BigQuery failed: {}", chain(&e)),
        ambiguous,
    );
    err.status = status;
    err
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let v: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    hex::encode(v)
}
