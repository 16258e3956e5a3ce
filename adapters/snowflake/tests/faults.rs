//! The retry policy against a fault-injecting proxy in front of a real
//! fakesnow server: 503 and 429 storms (Retry-After honoured), connections
//! dropped before and after the server ran the statement, and a statement
//! that needs polling. The run completes once and nothing is doubled.
//!
//! fakesnow does not deduplicate by `requestId` the way Snowflake does, so
//! the proxy plays that part of Snowflake: a request id it has already
//! forwarded gets the first execution's answer, never a second execution.
//! It also counts executions per request id, which is what proves a retried
//! submission ran once.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pushdown_adapter::{ErrorKind, Value, Warehouse};
use pushdown_snowflake::{Snowflake, SnowflakeSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to the next requests whose SQL contains a marker.
#[derive(Debug, Clone)]
enum Fault {
    /// Answer with this status (and Retry-After seconds) without forwarding.
    Status(u16, Option<u64>),
    /// Close the connection without forwarding (a reset mid-request).
    DropBefore,
    /// Forward (the server runs it), then close without answering.
    DropAfter,
    /// Forward, then answer "still running" with a result URL; the result
    /// URL answers "still running" `n` more times, then the real answer.
    Slow(u32),
    /// Answer 390112 (session expired) without forwarding; from then on the
    /// request's session token is refused the same way.
    Expired,
}

#[derive(Default)]
struct State {
    /// (marker, faults to apply in order)
    plan: Vec<(String, Vec<Fault>)>,
    /// Answers by request id, as Snowflake remembers them.
    answered: HashMap<String, Vec<u8>>,
    /// How many times each request id reached the server.
    executed: BTreeMap<String, u32>,
    /// Results of slow statements: result id -> (polls left, answer).
    pending: HashMap<String, (u32, Vec<u8>)>,
    /// Every request as seen: (path and query, sql, arrival time).
    log: Vec<(String, String, Instant)>,
    /// When a 429 was last sent.
    throttled_at: Vec<Instant>,
    /// Play Snowflake's token layer, which fakesnow lacks: hand out a master
    /// token at login and renew session tokens with it.
    master_tokens: bool,
    /// Session tokens that expired.
    expired: Vec<String>,
    /// Renewed token -> the fakesnow session token it stands for.
    renewed: HashMap<String, String>,
    /// Bodies of the token requests received (with their Authorization).
    token_requests: Vec<(String, serde_json::Value)>,
}

fn session_token(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .and_then(|(_, v)| v.strip_prefix("Snowflake Token=\""))
        .and_then(|v| v.strip_suffix('"'))
        .map(str::to_string)
}

fn session_expired() -> Vec<u8> {
    br#"{"success":false,"code":"390112","message":"Your session has expired. Please login again.","data":null}"#.to_vec()
}

struct Proxy {
    url: String,
    state: Arc<Mutex<State>>,
}

async fn read_request(
    s: &mut TcpStream,
) -> Option<(String, String, Vec<(String, String)>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let first = lines.next()?;
    let mut parts = first.split(' ');
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
        })
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((method, target, headers, body))
}

async fn respond(s: &mut TcpStream, status: u16, extra: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body).await;
    let _ = s.shutdown().await;
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let st = Arc::clone(&state);
        let http = reqwest::Client::new();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let st = Arc::clone(&st);
                let http = http.clone();
                let upstream = upstream.clone();
                tokio::spawn(async move { serve(sock, st, http, upstream).await });
            }
        });
        Proxy { url, state }
    }

    fn plan(&self, marker: &str, faults: Vec<Fault>) {
        self.state
            .lock()
            .unwrap()
            .plan
            .push((marker.to_string(), faults));
    }
}

async fn serve(
    mut sock: TcpStream,
    st: Arc<Mutex<State>>,
    http: reqwest::Client,
    upstream: String,
) {
    let Some((method, target, headers, body)) = read_request(&mut sock).await else {
        return;
    };
    let sql = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|j| {
            j.get("sqlText")
                .and_then(|s| s.as_str())
                .map(str::to_string)
        })
        .unwrap_or_default();
    let request_id = url::Url::parse(&format!("http://x{target}"))
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "requestId")
                .map(|(_, v)| v.to_string())
        })
        .unwrap_or_default();
    st.lock()
        .unwrap()
        .log
        .push((target.clone(), sql.clone(), Instant::now()));

    // Polls of a slow statement's result URL.
    if let Some(id) = target
        .strip_prefix("/queries/")
        .and_then(|t| t.split('/').next())
        .filter(|_| target.contains("/result"))
    {
        let answer = {
            let mut s = st.lock().unwrap();
            let (left, answer) = s.pending.get_mut(id).expect("a known result id");
            if *left > 0 {
                *left -= 1;
                None
            } else {
                Some(answer.clone())
            }
        };
        let body = answer.unwrap_or_else(|| in_progress(id, "333333"));
        return respond(&mut sock, 200, "", &body).await;
    }

    // Snowflake's token layer: renewals, and expired tokens refused.
    let token = session_token(&headers);
    if target.starts_with("/session/token-request") {
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let answer = {
            let mut s = st.lock().unwrap();
            s.token_requests
                .push((token.clone().unwrap_or_default(), body.clone()));
            let old = body["oldSessionToken"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let real = s.renewed.get(&old).cloned().unwrap_or(old.clone());
            let ok = s.master_tokens
                && token.as_deref() == Some(format!("master-{real}").as_str())
                && body["requestType"] == "RENEW";
            if ok {
                let fresh = format!("renewed-{}", uuid::Uuid::new_v4().simple());
                s.renewed.insert(fresh.clone(), real.clone());
                serde_json::json!({"success": true, "data": {"sessionToken": fresh, "masterToken": format!("master-{real}")}})
            } else {
                serde_json::json!({"success": false, "code": "390114", "message": "Master token expired.", "data": null})
            }
        };
        return respond(&mut sock, 200, "", answer.to_string().as_bytes()).await;
    }
    let expired = token
        .as_ref()
        .is_some_and(|t| st.lock().unwrap().expired.contains(t));
    if expired {
        return respond(&mut sock, 200, "", &session_expired()).await;
    }
    let headers: Vec<(String, String)> = {
        let s = st.lock().unwrap();
        headers
            .into_iter()
            .map(
                |(k, v)| match token.as_ref().and_then(|t| s.renewed.get(t)) {
                    Some(real) if k == "authorization" => {
                        (k, format!("Snowflake Token=\"{real}\""))
                    }
                    _ => (k, v),
                },
            )
            .collect()
    };

    let fault = {
        let mut s = st.lock().unwrap();
        s.plan
            .iter_mut()
            .find(|(m, f)| !f.is_empty() && sql.contains(m.as_str()))
            .map(|(_, f)| f.remove(0))
    };
    match &fault {
        Some(Fault::Status(code, after)) => {
            let extra = after
                .map(|a| format!("Retry-After: {a}\r\n"))
                .unwrap_or_default();
            if *code == 429 {
                st.lock().unwrap().throttled_at.push(Instant::now());
            }
            return respond(
                &mut sock,
                *code,
                &extra,
                b"{\"success\":false,\"code\":null,\"message\":\"injected\"}",
            )
            .await;
        }
        Some(Fault::DropBefore) => return, // the socket closes unanswered
        Some(Fault::Expired) => {
            if let Some(t) = token {
                st.lock().unwrap().expired.push(t);
            }
            return respond(&mut sock, 200, "", &session_expired()).await;
        }
        _ => {}
    }

    // Snowflake's request-id deduplication: a repeated submission gets the
    // first execution's answer.
    let remembered = st.lock().unwrap().answered.get(&request_id).cloned();
    let answer = match remembered {
        Some(a) if !request_id.is_empty() => a,
        _ => {
            let mut req = http
                .request(method.parse().unwrap(), format!("{upstream}{target}"))
                .body(body.clone());
            for (k, v) in &headers {
                if k != "host" && k != "content-length" && k != "connection" {
                    req = req.header(k.as_str(), v.as_str());
                }
            }
            let resp = req.send().await.expect("fakesnow answers");
            let mut bytes = resp.bytes().await.unwrap().to_vec();
            let mut s = st.lock().unwrap();
            if s.master_tokens && target.starts_with("/session/v1/login-request") {
                let mut j: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                let master = format!("master-{}", j["data"]["token"].as_str().unwrap());
                j["data"]["masterToken"] = master.into();
                bytes = j.to_string().into_bytes();
            }
            if target.starts_with("/queries/v1/query-request") {
                *s.executed.entry(request_id.clone()).or_default() += 1;
            }
            if !request_id.is_empty() {
                s.answered.insert(request_id.clone(), bytes.clone());
            }
            bytes
        }
    };
    match fault {
        Some(Fault::DropAfter) => {} // ran on the server, the answer is lost
        Some(Fault::Slow(polls)) => {
            let id = format!("r{}", uuid::Uuid::new_v4().simple());
            st.lock()
                .unwrap()
                .pending
                .insert(id.clone(), (polls, answer));
            respond(&mut sock, 200, "", &in_progress(&id, "333334")).await;
        }
        _ => respond(&mut sock, 200, "", &answer).await,
    }
}

fn in_progress(id: &str, code: &str) -> Vec<u8> {
    serde_json::json!({
        "success": true,
        "code": code,
        "message": "Asynchronous execution in progress. Use provided query id to perform query monitoring and management.",
        "data": { "queryId": id, "getResultUrl": format!("/queries/{id}/result") }
    })
    .to_string()
    .into_bytes()
}

fn settings(url: &str, attempts: u32) -> SnowflakeSettings {
    // SAFETY: the only variable this test binary sets, always to this value.
    unsafe { std::env::set_var("PD_FAULTS_PASSWORD", "faults-pw") };
    let s: BTreeMap<String, String> = [
        ("url", url),
        ("account", "acct"),
        ("user", "loader"),
        ("database", "faults_db"),
        ("password_env", "PD_FAULTS_PASSWORD"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("retry_attempts".to_string(), attempts.to_string())])
    .collect();
    SnowflakeSettings::from_settings(&s, std::path::Path::new(".")).unwrap()
}

#[tokio::test]
async fn storms_drops_and_slow_statements_complete_once() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let proxy = Proxy::start(server.url()).await;

    // Even the login goes through a storm.
    proxy.state.lock().unwrap().plan.push((
        String::new(),
        vec![Fault::Status(503, None), Fault::Status(502, None)],
    ));
    let sf = Snowflake::connect(settings(&proxy.url, 8)).await.unwrap();
    sf.execute(&[
        r#"CREATE SCHEMA IF NOT EXISTS "raw""#.into(),
        r#"CREATE TABLE "raw"."t" ("id" NUMBER(38,0), "v" VARCHAR)"#.into(),
    ])
    .await
    .unwrap();

    proxy.plan(
        "VALUES (1,",
        vec![
            Fault::Status(503, None),
            Fault::Status(503, None),
            Fault::Status(503, None),
            Fault::DropBefore,
        ],
    );
    proxy.plan(
        "VALUES (2,",
        vec![
            Fault::Status(429, Some(1)),
            Fault::DropAfter,
            Fault::Status(500, None),
        ],
    );
    proxy.plan("VALUES (3,", vec![Fault::DropAfter, Fault::DropAfter]);
    proxy.plan("COMMIT", vec![Fault::DropAfter]);
    sf.execute(&[
        r#"INSERT INTO "raw"."t" VALUES (1, 'a')"#.into(),
        r#"INSERT INTO "raw"."t" VALUES (2, 'b')"#.into(),
        r#"INSERT INTO "raw"."t" VALUES (3, 'c')"#.into(),
    ])
    .await
    .unwrap();

    // A statement that outlives the synchronous window is polled to its end.
    proxy.plan("count(*)", vec![Fault::Slow(3)]);
    let n = sf
        .query(r#"SELECT count(*), CAST(sum("id") AS NUMBER(38, 0)) FROM "raw"."t""#)
        .await
        .unwrap();
    assert_eq!(
        n.rows,
        vec![vec![Value::Int(3), Value::Int(6)]],
        "every row once, none doubled"
    );

    let s = proxy.state.lock().unwrap();
    // Each submission reached the server once, however often it was sent.
    let twice: Vec<_> = s.executed.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "request ids executed more than once: {twice:?}"
    );
    let sent = |marker: &str| {
        s.log
            .iter()
            .filter(|(_, sql, _)| sql.contains(marker))
            .count()
    };
    assert_eq!(sent("VALUES (1,"), 5, "four failures, then the answer");
    assert_eq!(sent("VALUES (2,"), 4);
    assert_eq!(sent("VALUES (3,"), 3);
    let polls = s
        .log
        .iter()
        .filter(|(t, _, _)| t.contains("/result"))
        .count();
    assert_eq!(polls, 4, "three 'still running' answers, then the result");
    // Retries say so, and keep their request id.
    let retried: Vec<_> = s
        .log
        .iter()
        .filter(|(t, sql, _)| sql.contains("VALUES (1,") && t.contains("retryCount="))
        .collect();
    assert_eq!(retried.len(), 4);
    let ids: std::collections::BTreeSet<_> = s
        .log
        .iter()
        .filter(|(_, sql, _)| sql.contains("VALUES (1,"))
        .map(|(t, _, _)| {
            t.split("requestId=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one request id across retries: {ids:?}");
    // Retry-After: 1 was honoured (the backoff alone waits ~0.2 s).
    let throttled = s.throttled_at[0];
    let next = s
        .log
        .iter()
        .filter(|(_, sql, at)| sql.contains("VALUES (2,") && *at > throttled)
        .map(|(_, _, at)| *at)
        .min()
        .unwrap();
    assert!(
        next.duration_since(throttled) >= Duration::from_millis(950),
        "{:?}",
        next.duration_since(throttled)
    );
}

#[tokio::test]
async fn a_refused_statement_is_not_retried_and_an_endless_storm_gives_up_as_transient() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let proxy = Proxy::start(server.url()).await;
    let sf = Snowflake::connect(settings(&proxy.url, 4)).await.unwrap();

    let err = sf
        .query(r#"SELECT * FROM "nowhere"."missing_table""#)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Statement);
    assert!(err.message.contains("002003"), "{}", err.message);
    let sent = proxy
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|(_, sql, _)| sql.contains("missing_table"))
        .count();
    assert_eq!(sent, 1, "a refused statement is sent once");

    proxy.plan("storm_forever", vec![Fault::Status(503, None); 50]);
    let started = Instant::now();
    let err = sf.query("SELECT 'storm_forever'").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err:?}");
    assert!(err.is_retryable());
    assert!(err.message.contains("503"), "{}", err.message);
    let sent = proxy
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|(_, sql, _)| sql.contains("storm_forever"))
        .count();
    assert_eq!(sent, 5, "the first try and four retries");
    assert!(started.elapsed() < Duration::from_secs(120));
}

fn sent(proxy: &Proxy, marker: &str) -> Vec<String> {
    proxy
        .state
        .lock()
        .unwrap()
        .log
        .iter()
        .filter(|(t, sql, _)| {
            sql.contains(marker) || (marker.starts_with('/') && t.starts_with(marker))
        })
        .map(|(t, _, _)| t.clone())
        .collect()
}

fn request_ids(targets: &[String]) -> std::collections::BTreeSet<String> {
    targets
        .iter()
        .map(|t| {
            t.split("requestId=")
                .nth(1)
                .unwrap()
                .split('&')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test]
async fn an_expired_session_is_renewed_with_the_master_token_inside_a_transaction() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let proxy = Proxy::start(server.url()).await;
    proxy.state.lock().unwrap().master_tokens = true;
    let sf = Snowflake::connect(settings(&proxy.url, 4)).await.unwrap();
    sf.execute(&[
        r#"CREATE SCHEMA IF NOT EXISTS "renew""#.into(),
        r#"CREATE TABLE "renew"."t" ("id" NUMBER(38,0))"#.into(),
    ])
    .await
    .unwrap();

    // The session token expires in the middle of a transaction.
    proxy.plan("VALUES (12)", vec![Fault::Expired]);
    sf.execute(&[
        r#"INSERT INTO "renew"."t" VALUES (11)"#.into(),
        r#"INSERT INTO "renew"."t" VALUES (12)"#.into(),
        r#"INSERT INTO "renew"."t" VALUES (13)"#.into(),
    ])
    .await
    .unwrap();
    let n = sf
        .query(r#"SELECT count(*), CAST(sum("id") AS NUMBER(38, 0)) FROM "renew"."t""#)
        .await
        .unwrap();
    assert_eq!(
        n.rows,
        vec![vec![Value::Int(3), Value::Int(36)]],
        "every row once"
    );

    // Renewed once with the master token (RENEW, the old token named), no
    // second login; the statement resubmitted under its request id, and it
    // reached the server once.
    assert_eq!(sent(&proxy, "/session/v1/login-request").len(), 1);
    let s = proxy.state.lock().unwrap();
    assert_eq!(s.token_requests.len(), 1, "{:?}", s.token_requests);
    let (auth, body) = &s.token_requests[0];
    assert!(auth.starts_with("master-"), "{auth}");
    assert_eq!(body["requestType"], "RENEW");
    assert_eq!(s.expired.len(), 1);
    assert_eq!(body["oldSessionToken"], s.expired[0].as_str());
    drop(s);
    let twelve = sent(&proxy, "VALUES (12)");
    assert_eq!(twelve.len(), 2, "refused once, then resubmitted");
    assert_eq!(request_ids(&twelve).len(), 1, "one request id: {twelve:?}");
    let s = proxy.state.lock().unwrap();
    let twice: Vec<_> = s.executed.iter().filter(|(_, n)| **n != 1).collect();
    assert!(
        twice.is_empty(),
        "request ids executed more than once: {twice:?}"
    );
}

#[tokio::test]
async fn without_a_master_token_an_expired_session_logs_in_again_but_never_mid_transaction() {
    let Some(venv) = support::venv() else { return };
    // fakesnow hands out no master token and has no token-request.
    let server = support::fakesnow(&venv);
    let proxy = Proxy::start(server.url()).await;
    let sf = Snowflake::connect(settings(&proxy.url, 4)).await.unwrap();
    sf.execute(&[
        r#"CREATE SCHEMA IF NOT EXISTS "relogin""#.into(),
        r#"CREATE TABLE "relogin"."t" ("id" NUMBER(38,0))"#.into(),
        r#"INSERT INTO "relogin"."t" VALUES (1)"#.into(),
    ])
    .await
    .unwrap();

    // Outside a transaction: a new login, the session's schema set again,
    // and the statement resubmitted.
    proxy.plan("after_expiry", vec![Fault::Expired]);
    let rows = sf
        .query(r#"SELECT 'after_expiry', current_schema()"#)
        .await
        .unwrap();
    assert_eq!(sent(&proxy, "/session/v1/login-request").len(), 2);
    assert_eq!(
        rows.rows[0][1],
        Value::Text("_pushdown".into()),
        "the new session uses the adapter's schema again"
    );
    assert_eq!(request_ids(&sent(&proxy, "after_expiry")).len(), 1);

    // Inside a transaction a new session would run the rest outside it:
    // the batch fails as transient and nothing of it is committed.
    proxy.plan("VALUES (3)", vec![Fault::Expired]);
    let err = sf
        .execute(&[
            r#"INSERT INTO "relogin"."t" VALUES (2)"#.into(),
            r#"INSERT INTO "relogin"."t" VALUES (3)"#.into(),
        ])
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err:?}");
    assert!(err.message.contains("390112"), "{}", err.message);
    assert_eq!(sent(&proxy, "VALUES (3)").len(), 1, "not resubmitted");
    let n = sf
        .query(r#"SELECT CAST(sum("id") AS NUMBER(38, 0)) FROM "relogin"."t""#)
        .await
        .unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(1)]], "the batch left nothing");
    // The rerun of the batch completes.
    sf.execute(&[
        r#"INSERT INTO "relogin"."t" VALUES (2)"#.into(),
        r#"INSERT INTO "relogin"."t" VALUES (3)"#.into(),
    ])
    .await
    .unwrap();
    let n = sf
        .query(r#"SELECT CAST(sum("id") AS NUMBER(38, 0)) FROM "relogin"."t""#)
        .await
        .unwrap();
    assert_eq!(n.rows, vec![vec![Value::Int(6)]]);
}
