//! The client and adapter against a real Snowflake emulator (fakesnow's
//! server on loopback) and a real S3 (moto).

mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use aes::cipher::{BlockDecryptMut, KeyInit, KeyIvInit, block_padding::Pkcs7};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{NaiveDate, NaiveDateTime};
use pushdown_adapter::{Decimal, ErrorKind, StagedFile, StagedFormat, Value, Warehouse};
use pushdown_snowflake::put::{AwsCreds, Encryption, StageTarget};
use pushdown_snowflake::{Bind, Snowflake, SnowflakeSettings};
use secrecy::SecretString;

const PASSWORD: &str = "pw-\u{1F511}-never-printed";

fn settings(url: &str) -> SnowflakeSettings {
    // SAFETY: tests in this binary set the same value.
    unsafe { std::env::set_var("PD_TEST_SNOWFLAKE_PASSWORD", PASSWORD) };
    let s: BTreeMap<String, String> = [
        ("url", url),
        ("account", "testacct"),
        ("user", "loader"),
        ("database", "pushdown_db"),
        ("password_env", "PD_TEST_SNOWFLAKE_PASSWORD"),
        ("retry_attempts", "3"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    SnowflakeSettings::from_settings(&s, Path::new(".")).unwrap()
}

async fn connect(url: &str) -> Snowflake {
    // The database is the account's business, not pushdown's: made here.
    let mut admin = settings(url);
    admin.client.database = None;
    let admin = pushdown_snowflake::Client::new(admin.client).unwrap();
    admin.login().await.unwrap();
    admin
        .rows("CREATE DATABASE IF NOT EXISTS pushdown_db", &[])
        .await
        .unwrap();
    Snowflake::connect(settings(url)).await.unwrap()
}

fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

#[tokio::test]
async fn results_decode_from_arrow_and_json_rowsets() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let sf = connect(&server.url()).await;
    sf.execute(&[r#"CREATE SCHEMA IF NOT EXISTS "raw""#.into()])
        .await
        .unwrap();
    sf.execute(&[r#"CREATE TABLE "raw"."typed" ("id" NUMBER(38,0), "name" VARCHAR, "at" TIMESTAMP_NTZ, "day" DATE, "amount" NUMBER(10,2), "ok" BOOLEAN, "ratio" FLOAT, "payload" VARIANT)"#.into()])
        .await
        .unwrap();
    // DML answers come back as a JSON rowset (the row count).
    let inserted = sf
        .client()
        .rows(
            r#"INSERT INTO "raw"."typed" VALUES (1, 'Zoë', '2024-01-02 03:04:05.123456', '2024-01-02', 12.34, TRUE, 1.5, PARSE_JSON('{"a": 1}')), (2, NULL, NULL, NULL, -0.05, FALSE, NULL, NULL)"#,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(inserted.rows, vec![vec![Value::Int(2)]]);
    // SELECTs come back as Arrow.
    let rows = sf.query(r#"SELECT "id", "name", "at", "day", "amount", "ok", "ratio" FROM "raw"."typed" ORDER BY "id""#).await.unwrap();
    assert_eq!(
        rows.columns,
        ["id", "name", "at", "day", "amount", "ok", "ratio"]
    );
    assert_eq!(
        rows.rows,
        vec![
            vec![
                Value::Int(1),
                Value::Text("Zoë".into()),
                Value::Timestamp(ts("2024-01-02 03:04:05.123456")),
                Value::Date(NaiveDate::from_ymd_opt(2024, 1, 2).unwrap()),
                Value::Decimal(Decimal::new(1234, 2)),
                Value::Bool(true),
                Value::Float(1.5),
            ],
            vec![
                Value::Int(2),
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Decimal(Decimal::new(-5, 2)),
                Value::Bool(false),
                Value::Null
            ],
        ]
    );
    let payload = sf
        .query(r#"SELECT "payload":a::NUMBER AS a FROM "raw"."typed" WHERE "id" = 1"#)
        .await
        .unwrap();
    assert_eq!(payload.scalar(), Some(&Value::Int(1)));
    // An empty result decodes to no rows, columns still named.
    let none = sf
        .query(r#"SELECT "id" FROM "raw"."typed" WHERE FALSE"#)
        .await
        .unwrap();
    assert!(none.rows.is_empty());
}

#[tokio::test]
async fn bind_parameters_carry_values_not_sql() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let sf = connect(&server.url()).await;
    let c = sf.client();
    c.rows(r#"CREATE SCHEMA IF NOT EXISTS "PUBLIC""#, &[])
        .await
        .unwrap();
    c.rows(r#"CREATE TABLE "PUBLIC"."b" ("t" VARCHAR, "n" NUMBER(38,0), "d" DATE, "x" TIMESTAMP_NTZ, "m" NUMBER(12,2), "f" BOOLEAN)"#, &[]).await.unwrap();
    let tricky = "O'Brien\"; DROP TABLE b; --";
    c.rows(
        r#"INSERT INTO "PUBLIC"."b" VALUES (?, ?, ?, ?, ?, ?)"#,
        &[
            Bind::Text(tricky.into()),
            Bind::Int(-42),
            Bind::Date(NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()),
            Bind::Timestamp(ts("2023-12-31 23:59:59.5")),
            Bind::Decimal(Decimal::new(99999, 2)),
            Bind::Bool(true),
        ],
    )
    .await
    .unwrap();
    c.rows(
        r#"INSERT INTO "PUBLIC"."b" VALUES (?, ?, ?, ?, ?, ?)"#,
        &[
            Bind::Null,
            Bind::Null,
            Bind::Null,
            Bind::Null,
            Bind::Null,
            Bind::Null,
        ],
    )
    .await
    .unwrap();
    let rows = c
        .rows(
            r#"SELECT * FROM "PUBLIC"."b" WHERE "n" = ?"#,
            &[Bind::Int(-42)],
        )
        .await
        .unwrap();
    assert_eq!(
        rows.rows,
        vec![vec![
            Value::Text(tricky.into()),
            Value::Int(-42),
            Value::Date(NaiveDate::from_ymd_opt(2023, 12, 31).unwrap()),
            Value::Timestamp(ts("2023-12-31 23:59:59.5")),
            Value::Decimal(Decimal::new(99999, 2)),
            Value::Bool(true),
        ]]
    );
    let n = c
        .rows(
            r#"SELECT count(*) FROM "PUBLIC"."b" WHERE "t" IS NULL"#,
            &[],
        )
        .await
        .unwrap();
    assert_eq!(n.scalar(), Some(&Value::Int(1)));
}

#[tokio::test]
async fn a_refused_statement_fails_with_snowflakes_code_and_a_batch_rolls_back() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let sf = connect(&server.url()).await;
    let err = sf
        .query(r#"SELECT * FROM "raw"."missing""#)
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Statement);
    assert!(
        err.message.contains("002003") && err.message.contains("42S02"),
        "{}",
        err.message
    );
    assert!(!err.is_retryable());

    sf.execute(&[
        r#"CREATE SCHEMA IF NOT EXISTS "PUBLIC""#.into(),
        r#"CREATE TABLE "PUBLIC"."t" ("a" NUMBER(38,0))"#.into(),
    ])
    .await
    .unwrap();
    let err = sf
        .execute(&[
            r#"INSERT INTO "PUBLIC"."t" VALUES (1)"#.into(),
            r#"INSERT INTO "PUBLIC"."nope" VALUES (2)"#.into(),
        ])
        .await
        .unwrap_err();
    assert_eq!(err.statement, Some(1), "{err:?}");
    let n = sf
        .query(r#"SELECT count(*) FROM "PUBLIC"."t""#)
        .await
        .unwrap();
    assert_eq!(
        n.scalar(),
        Some(&Value::Int(0)),
        "the first INSERT was rolled back"
    );
    sf.execute(&[
        r#"INSERT INTO "PUBLIC"."t" VALUES (1)"#.into(),
        r#"INSERT INTO "PUBLIC"."t" VALUES (2)"#.into(),
    ])
    .await
    .unwrap();
    let n = sf
        .query(r#"SELECT count(*) FROM "PUBLIC"."t""#)
        .await
        .unwrap();
    assert_eq!(n.scalar(), Some(&Value::Int(2)));

    // The session's Debug and the settings' Debug show no password.
    let shown = format!("{sf:?} {:?}", settings(&server.url()));
    assert!(
        !shown.contains(PASSWORD) && !shown.contains("never-printed"),
        "{shown}"
    );
}

#[tokio::test]
async fn staged_files_are_put_through_the_presigned_url_and_copied() {
    let Some(venv) = support::venv() else { return };
    let server = support::fakesnow(&venv);
    let sf = connect(&server.url()).await;
    let dir = tempfile::tempdir().unwrap();
    let run_dir = dir.path().join("run-1");
    std::fs::create_dir_all(&run_dir).unwrap();
    let rows = run_dir.join("orders.rows.jsonl");
    let mut text = String::new();
    for i in 1..=500 {
        text.push_str(&format!("{{\"_line\": {i}, \"payload\": {{\"id\": {i}, \"note\": \"row {i} \\\"quoted\\\"\"}}}}\n"));
    }
    std::fs::write(&rows, &text).unwrap();
    let csv = run_dir.join("pay.rows.csv");
    std::fs::write(&csv, "1,p1,\"a, b\"\n2,p2,\n3,p3,\"say \"\"hi\"\"\"\n").unwrap();

    let staged = |path: &'static Path, id: &'static str, format| StagedFile {
        path,
        id,
        format,
        columns: &[],
    };
    let rows: &'static Path = Box::leak(rows.into_boxed_path());
    let csv: &'static Path = Box::leak(csv.into_boxed_path());
    let json_at = sf
        .stage(&staged(rows, "abc123-orders-0", StagedFormat::JsonLines))
        .await
        .unwrap();
    let csv_at = sf
        .stage(&staged(csv, "def456-pay-0", StagedFormat::Csv))
        .await
        .unwrap();
    assert!(
        json_at.starts_with(r#"@"PUSHDOWN_DB"."_pushdown"."pushdown_landing"/"#),
        "{json_at}"
    );
    sf.execute(&[r#"CREATE SCHEMA IF NOT EXISTS "raw""#.into()])
        .await
        .unwrap();
    sf.execute(&[
        r#"CREATE TABLE "raw"."orders" ("payload" VARIANT, "_line" NUMBER(38,0))"#.into(),
        r#"CREATE TABLE "raw"."load" ("v" VARIANT)"#.into(),
        r#"CREATE TABLE "raw"."pay" ("_line" NUMBER(38,0), "id" VARCHAR, "note" VARCHAR)"#.into(),
        r#"CREATE TEMPORARY TABLE "pay_load" ("_line" NUMBER(38,0), "id" VARCHAR, "note" VARCHAR)"#
            .into(),
    ])
    .await
    .unwrap();
    sf.execute(&[
        format!(r#"COPY INTO "raw"."load" FROM {json_at} FILE_FORMAT = (TYPE = JSON)"#),
        r#"INSERT INTO "raw"."orders" SELECT "v":payload, "v":_line::NUMBER(38, 0) FROM "raw"."load""#.into(),
        format!(r#"COPY INTO "pay_load" FROM {csv_at} FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"')"#),
        r#"INSERT INTO "raw"."pay" SELECT * FROM "pay_load""#.into(),
    ])
    .await
    .unwrap();
    let n = sf
        .query(r#"SELECT count(*), sum("payload":id::NUMBER) FROM "raw"."orders""#)
        .await
        .unwrap();
    assert_eq!(
        n.rows,
        vec![vec![Value::Int(500), Value::Int(500 * 501 / 2)]]
    );
    let note = sf
        .query(r#"SELECT "payload":note::VARCHAR FROM "raw"."orders" WHERE "_line" = 7"#)
        .await
        .unwrap();
    assert_eq!(note.scalar(), Some(&Value::Text("row 7 \"quoted\"".into())));
    let pay = sf
        .query(r#"SELECT "id", "note" FROM "raw"."pay" ORDER BY "_line""#)
        .await
        .unwrap();
    assert_eq!(
        pay.rows,
        vec![
            vec![Value::Text("p1".into()), Value::Text("a, b".into())],
            vec![Value::Text("p2".into()), Value::Null],
            vec![Value::Text("p3".into()), Value::Text("say \"hi\"".into())],
        ]
    );
    // No temporary compressed copy is left beside the source.
    let left: Vec<_> = std::fs::read_dir(&run_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // fakesnow has no REMOVE, so `unstage` is not exercised here (the core
    // ignores its failure: staged names are unique per run).
}

/// fakesnow hands out GCS presigned URLs only; the S3 path (temporary
/// credentials, SigV4, client-side encryption) runs against moto's S3, and the
/// object read back must decrypt with the stage key to the original bytes.
#[tokio::test]
async fn s3_uploads_are_signed_and_encrypted_as_snowflakes_drivers_do() {
    let Some(venv) = support::venv() else { return };
    let s3 = support::moto(&venv);
    let http = reqwest::Client::new();
    let r = http
        .put(format!("{}/sfc-stage", s3.url()))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{:?}", r.text().await);

    let master = [7u8; 32];
    let target = StageTarget {
        location_type: "S3".into(),
        location: "sfc-stage/tenant/stages/abc/".into(),
        region: Some("us-west-2".into()),
        endpoint: Some(s3.url()),
        presigned_url: None,
        creds: Some(AwsCreds {
            key_id: "ASIATESTKEY".into(),
            secret: SecretString::from("test-secret".to_string()),
            token: Some(SecretString::from("session-token".to_string())),
        }),
        encryption: Some(Encryption {
            master_key: SecretString::from(STANDARD.encode(master)),
            query_id: "01b2-query".into(),
            smk_id: "12345".into(),
        }),
    };
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("big.jsonl");
    // Not a multiple of the AES block, several read buffers long.
    let original: String = (0..40_000)
        .map(|i| format!("{{\"_line\":{i},\"payload\":{{\"k\":\"v{i}\"}}}}\n"))
        .collect();
    std::fs::write(&src, &original).unwrap();

    let sf_settings = settings("http://127.0.0.1:1");
    let client = pushdown_snowflake::Client::new(sf_settings.client).unwrap();
    pushdown_snowflake::upload(&client, &target, &src, "big.jsonl.gz")
        .await
        .unwrap();

    // moto does not verify signatures; it wants one present on a GET.
    let got = http
        .get(format!("{}/sfc-stage/tenant/stages/abc/big.jsonl.gz", s3.url()))
        .header("Authorization", "AWS4-HMAC-SHA256 Credential=ASIATESTKEY/20240101/us-west-2/s3/aws4_request, SignedHeaders=host, Signature=0")
        .send()
        .await
        .unwrap();
    let h = got.headers().clone();
    let meta = |k: &str| {
        h.get(k)
            .unwrap_or_else(|| panic!("no {k} in {h:?}"))
            .to_str()
            .unwrap()
            .to_string()
    };
    let matdesc: serde_json::Value =
        serde_json::from_str(&meta("x-amz-meta-x-amz-matdesc")).unwrap();
    assert_eq!(matdesc["smkId"], "12345");
    assert_eq!(matdesc["queryId"], "01b2-query");
    assert_eq!(matdesc["keySize"], "256");
    let wrapped = STANDARD.decode(meta("x-amz-meta-x-amz-key")).unwrap();
    let iv = STANDARD.decode(meta("x-amz-meta-x-amz-iv")).unwrap();
    let status = got.status();
    let body = got.bytes().await.unwrap();
    assert!(
        status.is_success(),
        "{status}: {}",
        String::from_utf8_lossy(&body)
    );
    assert_ne!(
        &body[..2],
        &[0x1f, 0x8b],
        "the object is not stored in clear gzip"
    );

    let file_key = ecb::Decryptor::<aes::Aes256>::new_from_slice(&master)
        .unwrap()
        .decrypt_padded_vec_mut::<Pkcs7>(&wrapped)
        .unwrap();
    assert_eq!(file_key.len(), 32);
    let gz = cbc::Decryptor::<aes::Aes256>::new_from_slices(&file_key, &iv)
        .unwrap()
        .decrypt_padded_vec_mut::<Pkcs7>(&body)
        .unwrap();
    let mut plain = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut plain)
        .unwrap();
    assert_eq!(plain, original);
    assert_eq!(
        meta("x-amz-meta-sfc-digest"),
        STANDARD.encode(<sha2::Sha256 as sha2::Digest>::digest(original.as_bytes()))
    );
}
