//! The BigQuery adapter against a real bqemulator server on loopback: jobs,
//! results, errors, load jobs, and a fault-injecting proxy in between.
//!
//! Needs bqemulator (`.ci/setup-bigquery.sh`). Under `.ci/run`
//! (`PUSHDOWN_CI=1`) a missing emulator fails the tests; elsewhere they skip
//! with the reason printed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use pushdown_adapter::{
    Decimal, ErrorKind, StagedColumn, StagedFile, StagedFormat, StagedType, Value, Warehouse,
};
use pushdown_bigquery::emulator::Emulator;
use pushdown_bigquery::{BigQuery, BigQuerySettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn emulator() -> Option<&'static str> {
    static EMU: OnceLock<Result<Emulator, String>> = OnceLock::new();
    match EMU.get_or_init(Emulator::start) {
        Ok(e) => Some(e.url.as_str()),
        Err(why) if std::env::var_os("PUSHDOWN_CI").is_some() => {
            panic!("bqemulator is required under .ci/run: {why}")
        }
        Err(why) => {
            eprintln!("skipped: {why}");
            None
        }
    }
}

static PROJECTS: AtomicUsize = AtomicUsize::new(0);

/// Settings for a fresh project (the emulator keeps projects apart), fast
/// back-off so fault tests take milliseconds per retry.
fn settings(url: &str) -> BigQuerySettings {
    let project = format!(
        "t{}-{}",
        std::process::id(),
        PROJECTS.fetch_add(1, Ordering::SeqCst)
    );
    let s: BTreeMap<String, String> = [
        ("project", project.as_str()),
        ("url", url),
        ("auth", "none"),
        ("compression", "none"),
        ("retry_min_delay_ms", "5"),
        ("retry_max_delay_ms", "50"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    BigQuerySettings::from_settings(&s, Path::new(".")).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn statements_run_as_jobs_and_values_come_back_typed() {
    let Some(url) = emulator() else { return };
    let bq = BigQuery::connect(settings(url)).await.unwrap();
    bq.execute(&strings(&[
        "CREATE SCHEMA IF NOT EXISTS `raw`",
        "CREATE TABLE `raw`.`t` (`i` INT64, `s` STRING, `ts` TIMESTAMP, `d` DATE, `n` NUMERIC, `b` BOOL, `j` JSON) PARTITION BY `d`",
        "INSERT INTO `raw`.`t` VALUES (1, 'a\\'b', TIMESTAMP '2026-03-01 10:00:00.123456', DATE '2026-03-01', NUMERIC '10.50', TRUE, JSON '{\"k\":[1,2]}')",
        "INSERT INTO `raw`.`t` VALUES (2, NULL, NULL, NULL, NULL, NULL, NULL)",
    ]))
    .await
    .unwrap();
    let rows = bq
        .query("SELECT `i`, `s`, `ts`, `d`, `n`, `b`, `j` FROM `raw`.`t` ORDER BY `i`")
        .await
        .unwrap();
    assert_eq!(rows.columns, strings(&["i", "s", "ts", "d", "n", "b", "j"]));
    let ts = chrono::NaiveDate::from_ymd_opt(2026, 3, 1)
        .unwrap()
        .and_hms_micro_opt(10, 0, 0, 123_456)
        .unwrap();
    assert_eq!(
        rows.rows[0],
        vec![
            Value::Int(1),
            Value::Text("a'b".into()),
            Value::Timestamp(ts),
            Value::Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            Value::Decimal("10.5".parse::<Decimal>().unwrap()),
            Value::Bool(true),
            Value::Text("{\"k\":[1,2]}".into()),
        ]
    );
    assert!(
        rows.rows[1][1..].iter().all(Value::is_null),
        "{:?}",
        rows.rows[1]
    );
}

#[tokio::test]
async fn a_refused_statement_names_reason_and_statement_and_its_batch_rolls_back() {
    let Some(url) = emulator() else { return };
    let bq = BigQuery::connect(settings(url)).await.unwrap();
    bq.execute(&strings(&[
        "CREATE SCHEMA IF NOT EXISTS `d`",
        "CREATE TABLE `d`.`t` (`x` INT64)",
    ]))
    .await
    .unwrap();
    let err = bq
        .execute(&strings(&[
            "INSERT INTO `d`.`t` VALUES (1)",
            "INSERT INTO `d`.`t` (`nope`) VALUES (2)",
        ]))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Statement, "{err:?}");
    assert!(err.message.contains("reason: "), "{}", err.message);
    assert!(err.message.contains("nope"), "{}", err.message);
    let count = bq.query("SELECT count(*) FROM `d`.`t`").await.unwrap();
    assert_eq!(
        count.scalar(),
        Some(&Value::Int(0)),
        "the batch's first insert rolled back"
    );

    // One statement: it is the one named.
    let err = bq
        .execute(&strings(&["SELECT `missing` FROM `d`.`t`"]))
        .await
        .unwrap_err();
    assert_eq!(err.statement, Some(0));
}

const JSON_ROWS: &str = r#"{"_line":1,"payload":{"id":"a","n":1}}
{"_line":2,"payload":{"id":"b","note":"with \"quotes\" and, commas"}}
{"_line":3,"payload":{"id":"c","nested":{"x":[1,2]}}}
"#;

#[tokio::test]
async fn a_staged_file_loads_once_however_often_it_is_staged() {
    let Some(url) = emulator() else { return };
    let bq = BigQuery::connect(settings(url)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("rows.jsonl");
    std::fs::write(&json, JSON_ROWS).unwrap();
    let cols = [
        StagedColumn::new("_line", StagedType::Integer),
        StagedColumn::new("payload", StagedType::Json),
    ];
    let file = StagedFile {
        path: &json,
        id: "sha-of-source/raw.events/rows",
        format: StagedFormat::JsonLines,
        columns: &cols,
    };
    let first = bq.stage(&file).await.unwrap();
    let again = bq.stage(&file).await.unwrap();
    assert_eq!(first, again, "the same file stages to the same table");
    let rows = bq
        .query(&format!(
            "SELECT `_line`, JSON_VALUE(`payload`, '$.id') FROM {first} ORDER BY `_line`"
        ))
        .await
        .unwrap();
    assert_eq!(
        rows.rows.len(),
        3,
        "loaded once, not twice: {:?}",
        rows.rows
    );
    assert_eq!(rows.rows[1][1], Value::Text("b".into()));

    // CSV: quoted separators and line breaks kept, an empty field is NULL.
    let csv = dir.path().join("rows.csv");
    std::fs::write(&csv, "1,\"a,b\",\n2,\"two\nlines\",\"x\"\"y\"\n").unwrap();
    let cols = [
        StagedColumn::new("_line", StagedType::Integer),
        StagedColumn::new("c1", StagedType::Text),
        StagedColumn::new("c2", StagedType::Text),
    ];
    let loc = bq
        .stage(&StagedFile {
            path: &csv,
            id: "sha-of-csv/raw.c/rows",
            format: StagedFormat::Csv,
            columns: &cols,
        })
        .await
        .unwrap();
    assert_ne!(loc, first);
    let rows = bq
        .query(&format!(
            "SELECT `_line`, `c1`, `c2` FROM {loc} ORDER BY `_line`"
        ))
        .await
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![
            vec![Value::Int(1), Value::Text("a,b".into()), Value::Null],
            vec![
                Value::Int(2),
                Value::Text("two\nlines".into()),
                Value::Text("x\"y".into())
            ],
        ]
    );
    bq.unstage(&loc).await.unwrap();
    assert!(
        bq.query(&format!("SELECT 1 FROM {loc}")).await.is_err(),
        "unstage dropped it"
    );
}

#[tokio::test]
async fn a_dry_run_reports_bytes_and_runs_nothing() {
    let Some(url) = emulator() else { return };
    let bq = BigQuery::connect(settings(url)).await.unwrap();
    bq.execute(&strings(&[
        "CREATE SCHEMA IF NOT EXISTS `d`",
        "CREATE TABLE `d`.`t` (`x` INT64)",
    ]))
    .await
    .unwrap();
    // bqemulator reports 0 bytes for every dry run; BigQuery the scan size.
    let bytes = bq.dry_run("INSERT INTO `d`.`t` VALUES (1)").await.unwrap();
    assert_eq!(bytes, 0);
    let count = bq.query("SELECT count(*) FROM `d`.`t`").await.unwrap();
    assert_eq!(
        count.scalar(),
        Some(&Value::Int(0)),
        "a dry run inserts nothing"
    );
    assert!(bq.dry_run("SELECT `nope` FROM `d`.`t`").await.is_err());
}

/// Staged files of one batch: two of one JSON layout, one CSV, two reject
/// files (one layout), as landing stages them.
struct BatchFiles {
    _dir: tempfile::TempDir,
    paths: Vec<std::path::PathBuf>,
    json_cols: Vec<StagedColumn>,
    csv_cols: Vec<StagedColumn>,
    reject_cols: Vec<StagedColumn>,
}

impl BatchFiles {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let contents = [
            JSON_ROWS.to_string(),
            "{\"_line\":7,\"payload\":{\"id\":\"z\"}}\n".to_string(),
            "1,\"a,b\",\n2,\"two\nlines\",\"x\"\"y\"\n".to_string(),
            "{\"line\":4,\"reason\":\"bad json\",\"raw_text\":\"{nope\"}\n".to_string(),
            "{\"line\":9,\"reason\":\"too long\",\"raw_text\":\"x\"}\n".to_string(),
        ];
        let paths = contents
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let p = dir.path().join(format!("f{i}"));
                std::fs::write(&p, c).unwrap();
                p
            })
            .collect();
        Self {
            _dir: dir,
            paths,
            json_cols: vec![
                StagedColumn::new("_line", StagedType::Integer),
                StagedColumn::new("payload", StagedType::Json),
            ],
            csv_cols: vec![
                StagedColumn::new("_line", StagedType::Integer),
                StagedColumn::new("c1", StagedType::Text),
                StagedColumn::new("c2", StagedType::Text),
            ],
            reject_cols: vec![
                StagedColumn::new("line", StagedType::Integer),
                StagedColumn::new("reason", StagedType::Text),
                StagedColumn::new("raw_text", StagedType::Text),
            ],
        }
    }

    fn staged(&self) -> Vec<StagedFile<'_>> {
        let f = |i: usize, id: &'static str, format, columns: &'static [StagedColumn]| StagedFile {
            path: &self.paths[i],
            id,
            format,
            columns,
        };
        // Leaked: the columns live as long as the test.
        let json: &'static [StagedColumn] = Box::leak(self.json_cols.clone().into_boxed_slice());
        let csv: &'static [StagedColumn] = Box::leak(self.csv_cols.clone().into_boxed_slice());
        let rej: &'static [StagedColumn] = Box::leak(self.reject_cols.clone().into_boxed_slice());
        vec![
            f(0, "sum-a-events-rows", StagedFormat::JsonLines, json),
            f(3, "sum-a-events-rejects", StagedFormat::JsonLines, rej),
            f(2, "sum-c-pay-rows", StagedFormat::Csv, csv),
            f(1, "sum-b-events-rows", StagedFormat::JsonLines, json),
            f(4, "sum-b-events-rejects", StagedFormat::JsonLines, rej),
        ]
    }
}

async fn lines_of(bq: &BigQuery, location: &str, column: &str) -> Vec<i64> {
    bq.query(&format!(
        "SELECT `{column}` FROM {location} ORDER BY `{column}`"
    ))
    .await
    .unwrap()
    .rows
    .iter()
    .map(|r| r[0].as_i64().unwrap())
    .collect()
}

#[tokio::test]
async fn a_batch_loads_in_one_job_per_layout_and_each_file_reads_its_own_rows() {
    let Some(url) = emulator() else { return };
    for resumable in [false, true] {
        let mut s = settings(url);
        if resumable {
            // Every upload larger than this goes through a resumable session.
            s.multipart_max_bytes = 16;
        }
        let faults = Arc::new(Mutex::new(Faults::default()));
        s.url = proxy(url.to_string(), faults.clone()).await;
        let bq = BigQuery::connect(s).await.unwrap();
        let files = BatchFiles::new();
        let staged = files.staged();
        let locations = bq.stage_batch(&staged).await.unwrap();
        {
            let f = faults.lock().unwrap();
            assert_eq!(
                f.uploads_forwarded, 3,
                "one load job per layout, not per file"
            );
            assert_eq!(f.resumable_forwarded, if resumable { 3 } else { 0 });
        }
        assert_eq!(lines_of(&bq, &locations[0], "_line").await, vec![1, 2, 3]);
        assert_eq!(lines_of(&bq, &locations[3], "_line").await, vec![7]);
        assert_eq!(lines_of(&bq, &locations[1], "line").await, vec![4]);
        assert_eq!(lines_of(&bq, &locations[4], "line").await, vec![9]);
        let csv = bq
            .query(&format!(
                "SELECT `_line`, `c1`, `c2` FROM {} ORDER BY `_line`",
                locations[2]
            ))
            .await
            .unwrap();
        assert_eq!(
            csv.rows,
            vec![
                vec![Value::Int(1), Value::Text("a,b".into()), Value::Null],
                vec![
                    Value::Int(2),
                    Value::Text("two\nlines".into()),
                    Value::Text("x\"y".into())
                ],
            ],
            "CSV: quoted separators and line breaks kept, an empty field is NULL"
        );
        let payload = bq
            .query(&format!(
                "SELECT JSON_VALUE(`payload`, '$.note') FROM {} WHERE `_line` = 2",
                locations[0]
            ))
            .await
            .unwrap();
        assert_eq!(
            payload.scalar(),
            Some(&Value::Text("with \"quotes\" and, commas".into()))
        );

        // Staged again (a retry, a rerun): the same tables, the same rows.
        let again = bq.stage_batch(&staged).await.unwrap();
        assert_eq!(again, locations);
        assert_eq!(lines_of(&bq, &again[0], "_line").await, vec![1, 2, 3]);

        bq.unstage_batch(&locations).await.unwrap();
        for loc in &locations {
            assert!(
                bq.query(&format!("SELECT 1 FROM {loc}")).await.is_err(),
                "unstage dropped {loc}"
            );
        }
    }
}

#[tokio::test]
async fn a_duplicate_job_is_waited_for_not_run_again_or_failed() {
    let Some(url) = emulator() else { return };
    let s = settings(url);
    let direct = BigQuery::connect(s.clone()).await.unwrap();
    direct
        .execute(&strings(&[
            "CREATE SCHEMA IF NOT EXISTS `d`",
            "CREATE TABLE `d`.`t` (`x` INT64)",
        ]))
        .await
        .unwrap();
    // The emulator takes the insert, the client hears 503 and sends it
    // again, BigQuery (here the proxy) answers 409 duplicate: the client
    // fetches the job that ran and waits for it.
    let faults = Arc::new(Mutex::new(Faults {
        fail_after_insert: 1,
        duplicates: true,
        running: 2,
        ..Faults::default()
    }));
    let mut through = s.clone();
    through.url = proxy(url.to_string(), faults.clone()).await;
    let bq = BigQuery::connect(through).await.unwrap();
    bq.execute(&strings(&["INSERT INTO `d`.`t` VALUES (1), (2)"]))
        .await
        .unwrap();
    {
        let f = faults.lock().unwrap();
        assert_eq!(f.duplicates_answered, 1, "{f:?}");
        assert_eq!(f.inserts_forwarded, 1, "the job ran once");
        assert_eq!(f.running, 0, "the duplicate job was polled until DONE");
    }
    let count = direct.query("SELECT count(*) FROM `d`.`t`").await.unwrap();
    assert_eq!(count.scalar(), Some(&Value::Int(2)), "inserted once");

    // A load job that ran in an earlier run (its id answered 409) whose
    // staging table was dropped since is loaded again under a fresh id.
    let files = BatchFiles::new();
    let staged = files.staged();
    let locations = bq.stage_batch(&staged).await.unwrap();
    bq.unstage_batch(&locations).await.unwrap();
    let before = faults.lock().unwrap().duplicates_answered;
    let again = bq.stage_batch(&staged).await.unwrap();
    assert_eq!(again, locations);
    assert_eq!(
        faults.lock().unwrap().duplicates_answered - before,
        3,
        "each layout's job id was answered 409 duplicate"
    );
    assert_eq!(lines_of(&bq, &again[0], "_line").await, vec![1, 2, 3]);
    assert_eq!(lines_of(&bq, &again[4], "line").await, vec![9]);
}

#[tokio::test]
async fn a_quota_error_names_the_quota_and_is_not_retried() {
    let Some(url) = emulator() else { return };
    let mut s = settings(url);
    let faults = Arc::new(Mutex::new(Faults {
        quota: 5,
        ..Faults::default()
    }));
    s.url = proxy(url.to_string(), faults.clone()).await;
    let bq = BigQuery::connect(s).await.unwrap();
    let err = bq.query("SELECT 1").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Statement, "{err:?}");
    assert!(
        err.message.contains(
            "Quota exceeded: Your table exceeded quota for imports or query appends per table"
        ),
        "the quota is named: {}",
        err.message
    );
    assert_eq!(faults.lock().unwrap().quota, 4, "asked once, not retried");
}

// ---------------------------------------------------------------------------
// The fault-injecting proxy.
// ---------------------------------------------------------------------------

/// Faults still to inject, in the order requests meet them.
#[derive(Default, Debug)]
struct Faults {
    /// Answer this many requests `429 rateLimitExceeded` without forwarding.
    throttle: usize,
    /// Then this many `503 backendError`.
    unavailable: usize,
    /// Forward this many job inserts (queries and uploads), then drop the
    /// connection without answering: the job ran, the client cannot know.
    drop_after_insert: usize,
    /// Answer this many requests `403 quotaExceeded` without forwarding.
    quota: usize,
    /// Forward this many resumable uploads' bytes (`PUT`), then drop the
    /// connection without answering: the load ran, the client cannot know.
    drop_after_upload: usize,
    /// Report this many finished jobs as still RUNNING on `jobs.get`.
    running: usize,
    /// Forward this many job inserts, then answer `503 backendError`
    /// instead of the emulator's answer (a front end that failed after the
    /// back end took the job): the client sees a clean, unambiguous failure.
    fail_after_insert: usize,
    /// Answer an insert of a job id already forwarded with `409 duplicate`,
    /// as BigQuery does (bqemulator runs a repeated id again).
    duplicates: bool,
    /// Job ids forwarded, and the `409`s answered.
    job_ids: Vec<String>,
    duplicates_answered: usize,
    /// Every job insert that reached the emulator.
    inserts_forwarded: usize,
    /// The load uploads among them (multipart requests and resumable
    /// sessions), and the resumable sessions alone.
    uploads_forwarded: usize,
    resumable_forwarded: usize,
    /// The `Authorization` header of every request.
    authorization: Vec<String>,
}

async fn proxy(upstream: String, faults: Arc<Mutex<Faults>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let upstream = upstream.trim_start_matches("http://").to_string();
    tokio::spawn(async move {
        loop {
            let Ok((conn, _)) = listener.accept().await else {
                return;
            };
            let (upstream, faults) = (upstream.clone(), faults.clone());
            tokio::spawn(async move {
                let _ = serve(conn, &upstream, &faults).await;
            });
        }
    });
    format!("http://{addr}")
}

/// One request per connection (the answer says `Connection: close`).
async fn serve(mut conn: TcpStream, upstream: &str, faults: &Mutex<Faults>) -> std::io::Result<()> {
    let (head, body) = read_message(&mut conn).await?;
    let request_line = head.lines().next().unwrap_or("").to_string();
    let is_insert = request_line.starts_with("POST ") && request_line.contains("/jobs");
    let is_get_job = request_line.starts_with("GET ") && request_line.contains("/jobs/");
    let is_upload_bytes = request_line.starts_with("PUT ") && request_line.contains("upload_id=");
    let job_id = is_insert
        .then(|| {
            let text = String::from_utf8_lossy(&body);
            let at = text.find(r#""jobId":""#)? + 9;
            Some(text[at..].split('"').next()?.to_string())
        })
        .flatten();
    let canned = {
        let mut f = faults.lock().unwrap();
        if let Some(v) = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("authorization")
                .then(|| v.trim().to_string())
        }) {
            f.authorization.push(v);
        }
        if f.quota > 0 {
            f.quota -= 1;
            Some((403, "Forbidden", "quotaExceeded"))
        } else if f.throttle > 0 {
            f.throttle -= 1;
            Some((429, "Too Many Requests", "rateLimitExceeded"))
        } else if f.unavailable > 0 {
            f.unavailable -= 1;
            Some((503, "Service Unavailable", "backendError"))
        } else if f.duplicates
            && let Some(id) = &job_id
            && f.job_ids.contains(id)
        {
            f.duplicates_answered += 1;
            Some((409, "Conflict", "duplicate"))
        } else {
            None
        }
    };
    if let Some((code, text, reason)) = canned {
        let message = match reason {
            "quotaExceeded" => {
                "Quota exceeded: Your table exceeded quota for imports or query appends per table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas"
            }
            "duplicate" => "Already Exists: Job",
            _ => "injected",
        };
        let body = format!(
            r#"{{"error":{{"code":{code},"message":"{message}","errors":[{{"reason":"{reason}","message":"{message} ({reason})"}}]}}}}"#
        );
        let resp = format!(
            "HTTP/1.1 {code} {text}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        return conn.write_all(resp.as_bytes()).await;
    }
    // Forward, with `Connection: close` so the answer ends at EOF.
    let mut up = TcpStream::connect(upstream).await?;
    let mut fwd = String::new();
    for (i, line) in head.split("\r\n").enumerate() {
        if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
            continue;
        }
        if line.is_empty() {
            continue;
        }
        fwd.push_str(line);
        fwd.push_str("\r\n");
    }
    fwd.push_str("Connection: close\r\n\r\n");
    up.write_all(fwd.as_bytes()).await?;
    up.write_all(&body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    {
        let mut f = faults.lock().unwrap();
        if is_insert {
            f.inserts_forwarded += 1;
            if request_line.contains("/upload/") {
                f.uploads_forwarded += 1;
                if request_line.contains("uploadType=resumable") {
                    f.resumable_forwarded += 1;
                }
            }
            if let Some(id) = job_id {
                f.job_ids.push(id);
            }
            if f.drop_after_insert > 0 {
                f.drop_after_insert -= 1;
                drop(conn);
                return Ok(());
            }
            if f.fail_after_insert > 0 {
                f.fail_after_insert -= 1;
                let body = r#"{"error":{"code":503,"message":"injected","errors":[{"reason":"backendError","message":"injected backendError"}]}}"#;
                answer = format!(
                    "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes();
            }
        }
        if is_upload_bytes && f.drop_after_upload > 0 {
            f.drop_after_upload -= 1;
            drop(conn);
            return Ok(());
        }
        if is_get_job && f.running > 0 {
            let text = String::from_utf8_lossy(&answer).to_string();
            if let Some((h, b)) = text.split_once("\r\n\r\n")
                && b.contains(r#""state":"DONE""#)
            {
                f.running -= 1;
                let b = b.replace(r#""state":"DONE""#, r#""state":"RUNNING""#);
                let h: Vec<&str> = h
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("content-length"))
                    .collect();
                answer = format!(
                    "{}\r\nContent-Length: {}\r\n\r\n{b}",
                    h.join("\r\n"),
                    b.len()
                )
                .into_bytes();
            }
        }
    }
    conn.write_all(&answer).await
}

async fn read_message(conn: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let n = conn.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok((head, body))
}

#[tokio::test]
async fn storms_drops_and_slow_jobs_are_retried_and_nothing_doubles() {
    let Some(url) = emulator() else { return };
    let s = settings(url);
    let direct = BigQuery::connect(s.clone()).await.unwrap();
    direct
        .execute(&strings(&[
            "CREATE SCHEMA IF NOT EXISTS `d`",
            "CREATE TABLE `d`.`t` (`x` INT64)",
        ]))
        .await
        .unwrap();

    let faults = Arc::new(Mutex::new(Faults {
        throttle: 3,
        unavailable: 3,
        drop_after_insert: 2,
        running: 4,
        ..Faults::default()
    }));
    let mut through = s.clone();
    through.url = proxy(url.to_string(), faults.clone()).await;
    let faults_url = through.url.clone();
    let bq = BigQuery::connect(through).await.unwrap();

    // A transaction of two inserts and a load job, through every fault.
    bq.execute(&strings(&[
        "INSERT INTO `d`.`t` VALUES (1), (2)",
        "INSERT INTO `d`.`t` VALUES (3)",
    ]))
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("rows.jsonl");
    std::fs::write(&json, JSON_ROWS).unwrap();
    let cols = [
        StagedColumn::new("_line", StagedType::Integer),
        StagedColumn::new("payload", StagedType::Json),
    ];
    let loc = bq
        .stage(&StagedFile {
            path: &json,
            id: "faulty",
            format: StagedFormat::JsonLines,
            columns: &cols,
        })
        .await
        .unwrap();
    bq.execute(&strings(&[&format!(
        "INSERT INTO `d`.`t` SELECT `_line` * 10 FROM {loc}"
    )]))
    .await
    .unwrap();

    let left = {
        let f = faults.lock().unwrap();
        (f.throttle, f.unavailable, f.drop_after_insert, f.running)
    };
    assert_eq!(
        left,
        (0, 0, 0, 0),
        "every fault was met (left over: {left:?})"
    );
    let rows = direct
        .query("SELECT `x` FROM `d`.`t` ORDER BY `x`")
        .await
        .unwrap();
    let xs: Vec<i64> = rows.rows.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(xs, vec![1, 2, 3, 10, 20, 30], "each row exactly once");

    // A resumable upload through the same weather: throttling and a lost
    // insert answer (met by the requests in turn), then the answer to the
    // upload's bytes lost after the load ran: a new session sends them again.
    *faults.lock().unwrap() = Faults {
        throttle: 1,
        drop_after_insert: 1,
        drop_after_upload: 1,
        ..Faults::default()
    };
    let mut resumable = s.clone();
    resumable.url = faults_url;
    resumable.multipart_max_bytes = 16;
    let bq = BigQuery::connect(resumable).await.unwrap();
    let loc = bq
        .stage(&StagedFile {
            path: &json,
            id: "faulty-resumable",
            format: StagedFormat::JsonLines,
            columns: &cols,
        })
        .await
        .unwrap();
    {
        let f = faults.lock().unwrap();
        assert_eq!(
            (f.throttle, f.drop_after_insert, f.drop_after_upload),
            (0, 0, 0),
            "every fault was met: {f:?}"
        );
        assert_eq!(f.resumable_forwarded, 2, "{f:?}");
    }
    assert_eq!(
        lines_of(&direct, &loc, "_line").await,
        vec![1, 2, 3],
        "the staged rows once, though the bytes went twice"
    );
}

#[tokio::test]
async fn a_persistent_failure_is_not_retried_forever() {
    let Some(url) = emulator() else { return };
    let mut s = settings(url);
    s.max_retries = 2;
    let faults = Arc::new(Mutex::new(Faults {
        unavailable: 100,
        ..Faults::default()
    }));
    s.url = proxy(url.to_string(), faults.clone()).await;
    let bq = BigQuery::connect(s).await.unwrap();
    let err = bq.query("SELECT 1").await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Transient, "{err:?}");
    assert!(err.message.contains("backendError"), "{}", err.message);
    assert_eq!(
        100 - faults.lock().unwrap().unavailable,
        3,
        "the first try and two retries"
    );
}

/// A token endpoint that grants `token` to any request, counting them.
async fn token_server(token: &'static str, calls: Arc<AtomicUsize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let calls = calls.clone();
            tokio::spawn(async move {
                if read_message(&mut conn).await.is_ok() {
                    calls.fetch_add(1, Ordering::SeqCst);
                    let body = format!(
                        r#"{{"access_token":"{token}","expires_in":3600,"token_type":"Bearer"}}"#
                    );
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = conn.write_all(resp.as_bytes()).await;
                }
            });
        }
    });
    format!("http://{addr}/token")
}

#[tokio::test]
async fn a_service_account_signs_in_and_no_secret_is_ever_printed() {
    let Some(url) = emulator() else { return };
    const TOKEN: &str = "ya29.pushdown-test-token-never-print";
    let calls = Arc::new(AtomicUsize::new(0));
    let token_uri = token_server(TOKEN, calls.clone()).await;
    let key =
        include_str!("fixtures/test-only-service-account.json").replace("TOKEN_URI", &token_uri);
    let private_key: String =
        serde_json::from_str::<serde_json::Value>(&key).unwrap()["private_key"]
            .as_str()
            .unwrap()
            .lines()
            .nth(1)
            .unwrap()
            .to_string();
    // SAFETY: this test binary sets this variable only here, before use.
    unsafe { std::env::set_var("PUSHDOWN_TEST_SA_KEY_JSON", &key) };

    let faults = Arc::new(Mutex::new(Faults::default()));
    let through = proxy(url.to_string(), faults.clone()).await;
    let mut s = settings(url);
    let settings_map: BTreeMap<String, String> = [
        ("project", s.project.as_str()),
        ("url", through.as_str()),
        ("auth", "service_account"),
        ("key_json_env", "PUSHDOWN_TEST_SA_KEY_JSON"),
        ("compression", "none"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    s = BigQuerySettings::from_settings(&settings_map, Path::new(".")).unwrap();
    let bq = BigQuery::connect(s).await.unwrap();
    bq.query("SELECT 1").await.unwrap();
    let err = bq
        .query("SELECT `nope` FROM `missing`.`t`")
        .await
        .unwrap_err();

    let seen = faults.lock().unwrap().authorization.clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|a| a == &format!("Bearer {TOKEN}")),
        "{seen:?}"
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the token is cached, not fetched per request"
    );
    let printed = format!("{bq:?} {err:?} {err}");
    for secret in [TOKEN, private_key.as_str()] {
        assert!(!printed.contains(secret), "a secret leaked: {printed}");
    }
}
