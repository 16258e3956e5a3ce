//! The adapter conformance suite: one set of scenarios, run through the real
//! binary against every available target (DuckDB always; each remote adapter
//! when its emulator is configured, see `common::targets`). An adapter
//! conforms when every scenario ends with the same rows as the values
//! written here, which were worked out by hand from the input files.
//!
//! Covered: landing (rows, each reject reason, a redelivered file skipped, a
//! second land loading nothing), every materialization (incremental merge by
//! key with `latest_by`, partition overwrite, SCD2, table, view) over two
//! incremental days, a per-dialect model variant, a failing gate publishing
//! nothing, and the audit rows of each run.
#![cfg(feature = "duckdb-system")]

mod common;

use common::targets::{Scenario, TargetUnderTest};

const PROJECT: &str = r#"
[project]
name = "conformance"
default_target = "duckdb"

[[sources]]
name = "events"
format = "jsonl"
required = ["event_id", "customer_id", "event_time"]
pii = ["email"]
types = { event_time = "timestamp" }

[[sources]]
name = "customers"
format = "csv"
columns = ["customer_id", "country", "updated_at"]
required = ["customer_id", "updated_at"]
types = { updated_at = "timestamp" }
"#;

const EVENTS_CURRENT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["event_id"]
latest_by = ["version desc", "_ingested_at desc", "_line desc"]
*/
SELECT
    payload ->> 'event_id' AS event_id,
    payload ->> 'customer_id' AS customer_id,
    CAST(payload ->> 'event_time' AS TIMESTAMP) AS event_time,
    CAST(payload ->> 'amount' AS DECIMAL(18, 2)) AS amount,
    CAST(payload ->> 'version' AS INTEGER) AS version,
    _ingested_at,
    _line
FROM raw.events
"#;

/// Snowflake reads VARIANT fields by path, not with `->>`; a timestamp with
/// an offset is moved to UTC before the offset is dropped (a plain cast to
/// TIMESTAMP_NTZ ignores the offset, and TIMESTAMP may map to another type).
const EVENTS_CURRENT_SNOWFLAKE: &str = r#"SELECT
    payload['event_id']::VARCHAR AS event_id,
    payload['customer_id']::VARCHAR AS customer_id,
    CAST(CONVERT_TIMEZONE('UTC', CAST(payload['event_time']::VARCHAR AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS event_time,
    CAST(payload['amount']::VARCHAR AS DECIMAL(18, 2)) AS amount,
    CAST(payload['version']::VARCHAR AS INTEGER) AS version,
    _ingested_at,
    _line
FROM raw.events
"#;

/// BigQuery reads JSON with JSON_VALUE, not `->>`.
const EVENTS_CURRENT_BIGQUERY: &str = r#"SELECT
    JSON_VALUE(payload, '$.event_id') AS event_id,
    JSON_VALUE(payload, '$.customer_id') AS customer_id,
    CAST(JSON_VALUE(payload, '$.event_time') AS TIMESTAMP) AS event_time,
    CAST(JSON_VALUE(payload, '$.amount') AS NUMERIC(18, 2)) AS amount,
    CAST(JSON_VALUE(payload, '$.version') AS INT64) AS version,
    _ingested_at,
    _line
FROM raw.events
"#;

const DIM_CUSTOMER: &str = r#"/* pushdown
materialized = "scd2"
unique_key = ["customer_id"]

[scd2]
tracked = ["country"]
valid_from = "valid_from"
surrogate_key = "customer_sk"

[[checks]]
type = "unique"
columns = ["customer_sk"]
*/
SELECT customer_id, country, CAST(updated_at AS TIMESTAMP) AS valid_from
FROM raw.customers
"#;

/// UTC as in EVENTS_CURRENT_SNOWFLAKE.
const DIM_CUSTOMER_SNOWFLAKE: &str = "SELECT customer_id, country, CAST(CONVERT_TIMEZONE('UTC', CAST(updated_at AS TIMESTAMP_TZ)) AS TIMESTAMP_NTZ) AS valid_from\n\
FROM raw.customers\n";

const FACT_EVENTS: &str = r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "event_date"
unique_key = ["event_id"]

[upstream."ods.events_current"]
via = "event_id"

[[checks]]
type = "not_null"
columns = ["amount"]
*/
SELECT event_id, customer_id, amount, CAST(event_time AS DATE) AS event_date
FROM ods.events_current
"#;

const DIM_COUNTRY: &str = r#"/* pushdown
materialized = "table"
*/
SELECT DISTINCT country FROM dw.dim_customer WHERE is_current
"#;

const DAILY_AMOUNT: &str = r#"/* pushdown
materialized = "view"
*/
SELECT event_date, count(*) AS events, sum(amount) AS amount
FROM dw.fact_events
GROUP BY event_date
"#;

/// fakesnow sums a DECIMAL as a DOUBLE (Snowflake keeps NUMBER(38, 2)); the
/// cast makes the emulator answer as Snowflake does.
const DAILY_AMOUNT_SNOWFLAKE: &str = "SELECT event_date, count(*) AS events, CAST(sum(amount) AS DECIMAL(38, 2)) AS amount\n\
FROM dw.fact_events\n\
GROUP BY event_date\n";

/// A model whose DuckDB variant replaces its SQL on DuckDB targets only.
const ORIGIN: &str = r#"/* pushdown
materialized = "table"
*/
SELECT 'base' AS origin
"#;
const ORIGIN_DUCKDB: &str = "SELECT 'duckdb' AS origin\n";

const DAY1_EVENTS: &str = r#"{"event_id":"e1","customer_id":"c1","event_time":"2026-03-01T10:00:00Z","amount":"10.50","version":1,"email":"Ann@Example.com"}
{"event_id":"e2","customer_id":"c2","event_time":"2026-03-01T23:30:00Z","amount":"20.00","version":1,"email":"bob@example.com"}
{"event_id":"e3","customer_id":"c2","event_time":"2026-03-02T09:00:00Z","amount":"5.25","version":1}
{"event_id": "e4",
{"customer_id":"c1","event_time":"2026-03-01T10:00:00Z"}
{"event_id":"e5","customer_id":"c1","event_time":"yesterday"}
"#;

const DAY1_CUSTOMERS: &str = "customer_id,country,updated_at\n\
c1,DE,2026-02-01T00:00:00Z\n\
c2,FR,2026-02-01T00:00:00Z\n\
c3,XX\n";

/// e1 corrected (a later version), e6 new.
const DAY2_EVENTS: &str = r#"{"event_id":"e1","customer_id":"c1","event_time":"2026-03-01T10:00:00Z","amount":"11.00","version":2}
{"event_id":"e6","customer_id":"c1","event_time":"2026-03-02T12:00:00Z","amount":"7.00","version":1}
"#;

/// c1 moves to Austria; c2 is re-exported unchanged.
const DAY2_CUSTOMERS: &str = "customer_id,country,updated_at\n\
c1,AT,2026-03-02T00:00:00Z\n\
c2,FR,2026-02-01T00:00:00Z\n";

fn scenario(targets: &[TargetUnderTest], dir: tempfile::TempDir) -> Scenario {
    Scenario::new(
        PROJECT,
        targets,
        dir,
        &[
            ("models/ods/events_current.sql", EVENTS_CURRENT),
            (
                "models/ods/events_current.snowflake.sql",
                EVENTS_CURRENT_SNOWFLAKE,
            ),
            (
                "models/ods/events_current.bigquery.sql",
                EVENTS_CURRENT_BIGQUERY,
            ),
            ("models/dw/dim_customer.sql", DIM_CUSTOMER),
            (
                "models/dw/dim_customer.snowflake.sql",
                DIM_CUSTOMER_SNOWFLAKE,
            ),
            ("models/dw/fact_events.sql", FACT_EVENTS),
            ("models/dw/dim_country.sql", DIM_COUNTRY),
            ("models/mart/daily_amount.sql", DAILY_AMOUNT),
            (
                "models/mart/daily_amount.snowflake.sql",
                DAILY_AMOUNT_SNOWFLAKE,
            ),
            ("models/ods/origin.sql", ORIGIN),
            ("models/ods/origin.duckdb.sql", ORIGIN_DUCKDB),
        ],
    )
}

fn rows(cells: &[&[&str]]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = cells
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    v.sort();
    v
}

fn day1(s: &Scenario) {
    s.arrive("events", "2026-03-01", "e1.jsonl", DAY1_EVENTS.as_bytes());
    s.arrive(
        "customers",
        "2026-03-01",
        "c.csv",
        DAY1_CUSTOMERS.as_bytes(),
    );
}

fn day2(s: &Scenario) {
    s.arrive("events", "2026-03-02", "e2.jsonl", DAY2_EVENTS.as_bytes());
    // The day-1 file again, under another name: skipped by its checksum.
    s.arrive(
        "events",
        "2026-03-02",
        "e1-again.jsonl",
        DAY1_EVENTS.as_bytes(),
    );
    s.arrive(
        "customers",
        "2026-03-02",
        "c.csv",
        DAY2_CUSTOMERS.as_bytes(),
    );
}

#[test]
fn landing_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let targets = TargetUnderTest::all(dir.path(), "landing");
    let s = scenario(&targets, dir);
    day1(&s);
    day2(&s);
    for t in &targets {
        let q = t.q();
        let land = |s: &Scenario| t.pushdown_ok(&["land"], &s.project, &s.landing);
        land(&s);
        let count = |table: &str| {
            t.scalar(
                &s.project,
                &format!("SELECT count(*) FROM {}", q.table("raw", table)),
            )
        };
        assert_eq!(count("events"), "5", "[{}] raw.events", t.name);
        assert_eq!(count("customers"), "4", "[{}] raw.customers", t.name);
        assert_eq!(
            t.rows(
                &s.project,
                &format!(
                    "SELECT {}, {}, {}, {} FROM {}",
                    q.id("source"),
                    q.id("file"),
                    q.id("line"),
                    q.id("reason"),
                    q.table("raw", "rejects")
                )
            ),
            rows(&[
                &[
                    "customers",
                    "customers/2026-03-01/c.csv",
                    "4",
                    "wrong_field_count"
                ],
                &["events", "events/2026-03-01/e1.jsonl", "4", "invalid_json"],
                &[
                    "events",
                    "events/2026-03-01/e1.jsonl",
                    "5",
                    "missing_field:event_id"
                ],
                &[
                    "events",
                    "events/2026-03-01/e1.jsonl",
                    "6",
                    "invalid_timestamp:event_time"
                ],
            ]),
            "[{}] raw.rejects",
            t.name
        );
        assert_eq!(
            t.rows(
                &s.project,
                &format!(
                    "SELECT {}, {} FROM {}",
                    q.id("file"),
                    q.id("status"),
                    q.table("audit", "files")
                )
            ),
            rows(&[
                &["customers/2026-03-01/c.csv", "loaded"],
                &["customers/2026-03-02/c.csv", "loaded"],
                &["events/2026-03-01/e1.jsonl", "loaded"],
                &["events/2026-03-02/e1-again.jsonl", "skipped"],
                &["events/2026-03-02/e2.jsonl", "loaded"],
            ]),
            "[{}] audit.files",
            t.name
        );
        // Every metadata column is filled, the checksum is the file's SHA-256.
        assert_eq!(
            t.scalar(
                &s.project,
                &format!(
                    "SELECT count(*) FROM {} WHERE {} IS NULL OR {} IS NULL OR {} IS NULL OR {} IS NULL OR length({}) <> 64",
                    q.table("raw", "events"),
                    q.id("_ingested_at"),
                    q.id("_batch_id"),
                    q.id("_source_file"),
                    q.id("_line"),
                    q.id("_checksum")
                )
            ),
            "0",
            "[{}] raw metadata",
            t.name
        );
        // Landing again loads nothing, and records nothing again.
        let files = format!("SELECT count(*) FROM {}", q.table("audit", "files"));
        let recorded = t.scalar(&s.project, &files);
        land(&s);
        assert_eq!(
            t.scalar(&s.project, &files),
            recorded,
            "[{}] audit.files after a second land",
            t.name
        );
        assert_eq!(
            count("events"),
            "5",
            "[{}] raw.events after a second land",
            t.name
        );
        assert_eq!(
            t.scalar(
                &s.project,
                &format!("SELECT count(*) FROM {}", q.table("audit", "landed_files"))
            ),
            "4",
            "[{}] audit.landed_files",
            t.name
        );
    }
}

#[test]
fn materializations_conform_over_two_incremental_days() {
    let dir = tempfile::tempdir().unwrap();
    let targets = TargetUnderTest::all(dir.path(), "materializations");
    let s = scenario(&targets, dir);
    day1(&s);
    for t in &targets {
        t.pushdown_ok(&["run", "--mode", "incremental"], &s.project, &s.landing);
    }
    day2(&s);
    for t in &targets {
        let q = t.q();
        let run = || t.pushdown_ok(&["run", "--mode", "incremental"], &s.project, &s.landing);
        run();
        let select = |cols: &[&str], schema: &str, table: &str| {
            t.rows(
                &s.project,
                &format!("SELECT {} FROM {}", q.ids(cols), q.table(schema, table)),
            )
        };
        let expected_events = rows(&[
            &["e1", "c1", "2026-03-01 10:00:00", "11.00", "2"],
            &["e2", "c2", "2026-03-01 23:30:00", "20.00", "1"],
            &["e3", "c2", "2026-03-02 09:00:00", "5.25", "1"],
            &["e6", "c1", "2026-03-02 12:00:00", "7.00", "1"],
        ]);
        let expected_fact = rows(&[
            &["e1", "c1", "11.00", "2026-03-01"],
            &["e2", "c2", "20.00", "2026-03-01"],
            &["e3", "c2", "5.25", "2026-03-02"],
            &["e6", "c1", "7.00", "2026-03-02"],
        ]);
        let expected_scd2 = rows(&[
            &[
                "c1",
                "DE",
                "2026-02-01 00:00:00",
                "2026-03-02 00:00:00",
                "false",
            ],
            &["c1", "AT", "2026-03-02 00:00:00", "NULL", "true"],
            &["c2", "FR", "2026-02-01 00:00:00", "NULL", "true"],
        ]);
        let check = |what: &str| {
            assert_eq!(
                select(
                    &["event_id", "customer_id", "event_time", "amount", "version"],
                    "ods",
                    "events_current"
                ),
                expected_events,
                "[{}] ods.events_current {what}",
                t.name
            );
            assert_eq!(
                select(
                    &["event_id", "customer_id", "amount", "event_date"],
                    "dw",
                    "fact_events"
                ),
                expected_fact,
                "[{}] dw.fact_events (partition overwrite) {what}",
                t.name
            );
            assert_eq!(
                select(
                    &[
                        "customer_id",
                        "country",
                        "valid_from",
                        "valid_to",
                        "is_current"
                    ],
                    "dw",
                    "dim_customer"
                ),
                expected_scd2,
                "[{}] dw.dim_customer (scd2) {what}",
                t.name
            );
            assert_eq!(
                t.scalar(
                    &s.project,
                    &format!(
                        "SELECT count(DISTINCT {}) FROM {}",
                        q.id("customer_sk"),
                        q.table("dw", "dim_customer")
                    )
                ),
                "3",
                "[{}] one surrogate key per version {what}",
                t.name
            );
            assert_eq!(
                select(&["country"], "dw", "dim_country"),
                rows(&[&["AT"], &["FR"]]),
                "[{}] dw.dim_country (table) {what}",
                t.name
            );
            assert_eq!(
                select(&["event_date", "events", "amount"], "mart", "daily_amount"),
                rows(&[&["2026-03-01", "2", "31.00"], &["2026-03-02", "2", "12.25"]]),
                "[{}] mart.daily_amount (view) {what}",
                t.name
            );
            let origin = if t.dialect == pushdown_adapter::Dialect::DuckDb {
                "duckdb"
            } else {
                "base"
            };
            assert_eq!(
                select(&["origin"], "ods", "origin"),
                rows(&[&[origin]]),
                "[{}] the model's variant for this dialect {what}",
                t.name
            );
        };
        check("after day 2");
        // A rerun with nothing new changes nothing.
        run();
        check("after a rerun");
        // Audit: three successful runs, each with a row per model.
        let runs = t.rows(
            &s.project,
            &format!(
                "SELECT {}, {} FROM {}",
                q.id("command"),
                q.id("status"),
                q.table("audit", "runs")
            ),
        );
        assert_eq!(
            runs,
            rows(&[
                &["run", "success"],
                &["run", "success"],
                &["run", "success"]
            ]),
            "[{}] audit.runs",
            t.name
        );
        // The rerun found nothing new: the incremental models say so.
        let statuses = t.rows(
            &s.project,
            &format!(
                "SELECT {}, {}, count(*) FROM {} GROUP BY {}, {}",
                q.id("model"),
                q.id("status"),
                q.table("audit", "models"),
                q.id("model"),
                q.id("status")
            ),
        );
        assert_eq!(
            statuses,
            rows(&[
                &["dw.dim_country", "success", "3"],
                &["dw.dim_customer", "success", "2"],
                &["dw.dim_customer", "unchanged", "1"],
                &["dw.fact_events", "success", "2"],
                &["dw.fact_events", "unchanged", "1"],
                &["mart.daily_amount", "success", "3"],
                &["ods.events_current", "success", "2"],
                &["ods.events_current", "unchanged", "1"],
                &["ods.origin", "success", "3"],
            ]),
            "[{}] audit.models: a row per model and run",
            t.name
        );
    }
}

#[test]
fn a_failing_gate_publishes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let targets = TargetUnderTest::all(dir.path(), "gate");
    let s = scenario(&targets, dir);
    day1(&s);
    for t in &targets {
        t.pushdown_ok(&["run"], &s.project, &s.landing);
    }
    // An event without an amount trips the not_null gate of dw.fact_events.
    s.arrive(
        "events",
        "2026-03-02",
        "e7.jsonl",
        br#"{"event_id":"e7","customer_id":"c1","event_time":"2026-03-01T08:00:00Z","version":1}
"#,
    );
    for t in &targets {
        let q = t.q();
        let fact = || {
            t.rows(
                &s.project,
                &format!("SELECT * FROM {}", q.table("dw", "fact_events")),
            )
        };
        let mart = || {
            t.rows(
                &s.project,
                &format!("SELECT * FROM {}", q.table("mart", "daily_amount")),
            )
        };
        let (fact_before, mart_before) = (fact(), mart());
        let out = t.pushdown(&["run"], &s.project, &s.landing);
        assert_eq!(
            out.status.code(),
            Some(1),
            "[{}] a failed gate fails the run",
            t.name
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("not_null") && stderr.contains("fact_events"),
            "[{}] names the check and model: {stderr}",
            t.name
        );
        assert_eq!(fact(), fact_before, "[{}] dw.fact_events unchanged", t.name);
        assert_eq!(
            mart(),
            mart_before,
            "[{}] mart.daily_amount unchanged",
            t.name
        );
        assert_eq!(
            t.rows(
                &s.project,
                &format!(
                    "SELECT {}, {}, {}, {} FROM {} WHERE {} <> 'pass'",
                    q.id("model"),
                    q.id("check_type"),
                    q.id("status"),
                    q.id("offending"),
                    q.table("audit", "checks"),
                    q.id("status")
                )
            ),
            rows(&[&["dw.fact_events", "not_null", "fail", "1"]]),
            "[{}] audit.checks",
            t.name
        );
        let last = t.rows(
            &s.project,
            &format!(
                "SELECT {} FROM {} WHERE {} = 'failed'",
                q.id("status"),
                q.table("audit", "runs"),
                q.id("status")
            ),
        );
        assert_eq!(last.len(), 1, "[{}] the failed run is recorded", t.name);
    }
}
