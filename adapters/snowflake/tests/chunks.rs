//! Result chunks downloaded as Snowflake serves them: gzip objects
//! (`Content-Encoding: gzip`) on S3 behind presigned URLs, fetched with the
//! SSE-C headers the answer's `qrmk` asks for, JSON and Arrow alike, appended
//! to the inline rows in order. S3 is moto's on loopback (fakesnow never
//! answers with chunks); moto refuses anonymous reads, so the presigned query
//! string must reach it as given, but it verifies neither the signature nor
//! the SSE-C key (those stay untested here).

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use arrow_array::{Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use pushdown_adapter::Value;
use pushdown_snowflake::client::{Response, RetryPolicy};
use pushdown_snowflake::{Client, ClientConfig, Credentials};
use secrecy::SecretString;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn arrow_chunk(ids: &[i64], texts: &[&str]) -> Vec<u8> {
    let meta = |t: &str| {
        [("logicalType".to_string(), t.to_string())]
            .into_iter()
            .collect()
    };
    let schema = Arc::new(Schema::new(vec![
        Field::new("ID", DataType::Int64, true).with_metadata(meta("FIXED")),
        Field::new("V", DataType::Utf8, true).with_metadata(meta("TEXT")),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(ids.to_vec())),
            Arc::new(StringArray::from(texts.to_vec())),
        ],
    )
    .unwrap();
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &schema).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

/// A presigned-URL shape: moto lets it through, an anonymous GET it refuses.
fn presigned(s3: &str, key: &str) -> String {
    format!(
        "{s3}/results/{key}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20261125%2Fus-west-2%2Fs3%2Faws4_request&X-Amz-Date=20261125T120000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=0"
    )
}

fn client() -> Client {
    Client::new(ClientConfig {
        base_url: url::Url::parse("http://127.0.0.1:9").unwrap(),
        account: "acct".into(),
        user: "reader".into(),
        credentials: Credentials::Password(SecretString::from("unused".to_string())),
        database: None,
        schema: None,
        warehouse: None,
        role: None,
        retry: RetryPolicy {
            attempts: 2,
            min_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        max_poll_interval: Duration::from_millis(100),
        request_timeout: Duration::from_secs(30),
    })
    .unwrap()
}

#[tokio::test]
async fn result_chunks_are_downloaded_from_s3_and_appended_in_order() {
    let Some(venv) = support::venv() else { return };
    let moto = support::moto(&venv);
    let s3 = moto.url();
    let http = reqwest::Client::new();
    http.put(format!("{s3}/results")).send().await.unwrap();
    let key = "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=";
    let put = |name: &'static str, body: Vec<u8>| {
        let http = http.clone();
        let s3 = s3.clone();
        async move {
            let r = http
                .put(format!("{s3}/results/{name}"))
                .header("Content-Type", "application/octet-stream")
                .header("Content-Encoding", "gzip")
                .header("x-amz-server-side-encryption-customer-algorithm", "AES256")
                .header("x-amz-server-side-encryption-customer-key", key)
                .body(gzip(&body))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.status());
        }
    };
    // Snowflake's JSON chunks are rows without the enclosing brackets.
    put("json_0", br#"["3","c"],["4",null]"#.to_vec()).await;
    put("json_1", br#"["5","e"]"#.to_vec()).await;
    put("arrow_0", arrow_chunk(&[3, 4], &["c", "d"])).await;
    assert_eq!(
        http.get(format!("{s3}/results/json_0"))
            .send()
            .await
            .unwrap()
            .status(),
        403,
        "moto refuses an unsigned read"
    );

    let rowtype = serde_json::json!([
        {"name": "ID", "type": "fixed", "scale": 0},
        {"name": "V", "type": "text"}
    ]);
    let sf = client();
    let json = Response {
        data: serde_json::json!({
            "rowtype": rowtype,
            "rowset": [["1", "a"], ["2", "b"]],
            "queryResultFormat": "json",
            "qrmk": key,
            "chunks": [
                {"url": presigned(&s3, "json_0"), "rowCount": 2},
                {"url": presigned(&s3, "json_1"), "rowCount": 1}
            ]
        }),
    };
    let rows = sf.decode(&json).await.unwrap();
    let t = |s: &str| Value::Text(s.into());
    assert_eq!(rows.columns, vec!["ID", "V"]);
    assert_eq!(
        rows.rows,
        vec![
            vec![Value::Int(1), t("a")],
            vec![Value::Int(2), t("b")],
            vec![Value::Int(3), t("c")],
            vec![Value::Int(4), Value::Null],
            vec![Value::Int(5), t("e")],
        ]
    );

    // An Arrow answer: the first rows inline (base64), the rest in a chunk.
    use base64::Engine;
    let arrow = Response {
        data: serde_json::json!({
            "rowtype": rowtype,
            "rowsetBase64": base64::engine::general_purpose::STANDARD.encode(arrow_chunk(&[1, 2], &["a", "b"])),
            "queryResultFormat": "arrow",
            "qrmk": key,
            "chunks": [{"url": presigned(&s3, "arrow_0"), "rowCount": 2}]
        }),
    };
    let rows = sf.decode(&arrow).await.unwrap();
    assert_eq!(
        rows.rows,
        vec![
            vec![Value::Int(1), t("a")],
            vec![Value::Int(2), t("b")],
            vec![Value::Int(3), t("c")],
            vec![Value::Int(4), t("d")],
        ]
    );

    // A chunk that is gone fails with the download's status, after retries
    // only for transient answers.
    let gone = Response {
        data: serde_json::json!({
            "rowtype": rowtype, "rowset": [], "queryResultFormat": "json",
            "chunks": [{"url": presigned(&s3, "missing"), "rowCount": 1}]
        }),
    };
    let err = sf.decode(&gone).await.unwrap_err();
    assert!(err.message.contains("404"), "{}", err.message);
}
