//! BigQuery's failures, and which of them are worth retrying.
//!
//! BigQuery reports a failure in three places: a non-2xx HTTP answer with an
//! `error` object, a job whose `status.errorResult` is set, and (bqemulator)
//! an HTTP 200 whose body carries `errors`. All three become an [`ApiError`]
//! with the reason, the message and the location BigQuery gave.

use pushdown_adapter::{ErrorKind, WarehouseError};
use serde_json::Value as Json;

#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    /// HTTP status, when the failure came as one.
    pub status: Option<u16>,
    /// BigQuery's short reason (`invalidQuery`, `rateLimitExceeded`, ...).
    pub reason: Option<String>,
    pub message: String,
    /// Where in the request or query it occurred, as BigQuery says it.
    pub location: Option<String>,
    /// The request may or may not have reached BigQuery (a dropped
    /// connection): before sending it again, look whether it took effect.
    pub ambiguous: bool,
    pub kind: ErrorKind,
    /// A job ran and failed (its `errorResult`), as opposed to a request
    /// that failed: such a job changed nothing and may be submitted again.
    pub job_failed: bool,
}

impl ApiError {
    pub fn connection(message: String, ambiguous: bool) -> Self {
        Self {
            status: None,
            reason: None,
            message,
            location: None,
            ambiguous,
            kind: ErrorKind::Transient,
            job_failed: false,
        }
    }

    /// A job that succeeded before but whose result is gone (a load job's
    /// table dropped or expired since): like a failed job, it is submitted
    /// again under a fresh id.
    pub fn stale_table(message: String) -> Self {
        Self {
            kind: ErrorKind::Statement,
            job_failed: true,
            ..Self::connection(message, false)
        }
    }

    /// From BigQuery's `ErrorProto` (`{reason, message, location}`).
    pub fn from_proto(proto: &Json, status: Option<u16>) -> Self {
        let text = |k: &str| proto.get(k).and_then(Json::as_str).map(str::to_string);
        let reason = text("reason");
        let message = text("message").unwrap_or_else(|| proto.to_string());
        let location = text("location").filter(|l| !l.is_empty());
        let kind = classify(status, reason.as_deref(), &message);
        Self {
            status,
            reason,
            message,
            location,
            ambiguous: false,
            kind,
            job_failed: false,
        }
    }

    /// From a non-2xx answer's body: `{"error": {"code", "message", "errors": [..], "status"}}`.
    pub fn from_http(status: u16, body: &str) -> Self {
        let parsed: Option<Json> = serde_json::from_str(body).ok();
        let err = parsed.as_ref().and_then(|j| j.get("error"));
        let mut e = match err {
            Some(err) => {
                let first = err.get("errors").and_then(|e| e.get(0));
                let mut e = ApiError::from_proto(first.unwrap_or(err), Some(status));
                if let Some(m) = err.get("message").and_then(Json::as_str) {
                    e.message = m.to_string();
                }
                if e.reason.is_none() {
                    e.reason = err.get("status").and_then(Json::as_str).map(str::to_string);
                }
                e
            }
            None => ApiError {
                status: Some(status),
                reason: None,
                message: if body.trim().is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {}", truncate(body, 500))
                },
                location: None,
                ambiguous: false,
                kind: ErrorKind::Statement,
                job_failed: false,
            },
        };
        e.kind = classify(Some(status), e.reason.as_deref(), &e.message);
        e
    }

    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }

    /// A job that failed transiently; requests are retried where they are sent.
    pub fn is_transient_job_failure(&self) -> bool {
        self.job_failed && self.is_transient()
    }

    /// `duplicate` / 409: a job with this id exists already.
    pub fn already_exists(&self) -> bool {
        self.status == Some(409) || self.reason.as_deref() == Some("duplicate")
    }

    pub fn not_found(&self) -> bool {
        self.status == Some(404) || self.reason.as_deref() == Some("notFound")
    }

    pub fn into_warehouse(self) -> WarehouseError {
        let mut text = self.message.trim().to_string();
        if let Some(r) = &self.reason {
            text = format!("{text} (reason: {r}");
            if let Some(l) = &self.location {
                text.push_str(&format!(", location: {l}"));
            }
            text.push(')');
        } else if let Some(l) = &self.location {
            text = format!("{text} (location: {l})");
        }
        if self.reason.as_deref() == Some("quotaExceeded") {
            text = format!(
                "a BigQuery quota was exceeded, which waiting a few seconds does not fix: {text}"
            );
        }
        WarehouseError::new(self.kind, text)
    }
}

/// Transient: throttling (429, `rateLimitExceeded`), BigQuery's own hiccups
/// (5xx, `backendError`, `internalError`), and a transaction that lost a race
/// with a concurrent one ("could not serialize access to table ... due to
/// concurrent update"). `quotaExceeded` is not: a daily or project quota does
/// not come back within a retry's patience, so the error names it instead.
fn classify(status: Option<u16>, reason: Option<&str>, message: &str) -> ErrorKind {
    if matches!(
        reason,
        Some(
            "rateLimitExceeded"
                | "backendError"
                | "internalError"
                | "jobBackendError"
                | "jobInternalError"
        )
    ) {
        return ErrorKind::Transient;
    }
    if message.contains("could not serialize access") && message.contains("concurrent update") {
        return ErrorKind::Transient;
    }
    if reason == Some("quotaExceeded") {
        return ErrorKind::Statement;
    }
    match status {
        Some(429) | Some(500) | Some(502) | Some(503) | Some(504) => ErrorKind::Transient,
        Some(401) | Some(403) => ErrorKind::Connection,
        _ => ErrorKind::Statement,
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.len() <= n {
        return s.to_string();
    }
    let mut end = n;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn transient_reasons_and_codes() {
        let proto = |reason: &str, message: &str| {
            ApiError::from_proto(&json!({"reason": reason, "message": message}), None)
        };
        assert!(proto("rateLimitExceeded", "slow down").is_transient());
        assert!(proto("backendError", "oops").is_transient());
        assert!(
            proto("invalidQuery", "Transaction is aborted due to concurrent update against table p.d.t. could not serialize access to table p:d.t due to concurrent update")
                .is_transient()
        );
        assert!(!proto("invalidQuery", "Syntax error: Unexpected end").is_transient());
        assert!(ApiError::from_http(503, "").is_transient());
        assert!(ApiError::from_http(429, "{}").is_transient());
        assert!(!ApiError::from_http(400, "{}").is_transient());
    }

    #[test]
    fn a_quota_error_names_the_quota_and_is_not_retried() {
        let body = json!({"error": {"code": 403, "message": "Quota exceeded: Your project exceeded quota for free query bytes scanned.", "errors": [{"reason": "quotaExceeded", "message": "Quota exceeded: Your project exceeded quota for free query bytes scanned.", "domain": "usageLimits"}]}});
        let e = ApiError::from_http(403, &body.to_string());
        assert!(!e.is_transient());
        let w = e.into_warehouse();
        assert!(
            w.message.contains("free query bytes scanned"),
            "{}",
            w.message
        );
        assert!(w.message.contains("quota"), "{}", w.message);
    }

    #[test]
    fn reason_and_location_are_kept() {
        let e = ApiError::from_proto(
            &json!({"reason": "invalidQuery", "message": "Unrecognized name: x at [3:8]", "location": "query"}),
            None,
        );
        let w = e.into_warehouse();
        assert_eq!(
            w.message,
            "Unrecognized name: x at [3:8] (reason: invalidQuery, location: query)"
        );
    }
}
