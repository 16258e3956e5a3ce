//! An incremental run skips a model whose inputs did not change since its
//! last publish, and only then: a rerun with nothing new reads no history
//! and runs no gate, a source that changed reruns its readers only, new rows
//! are read without the lookback window while none landed behind the
//! watermark, and a row landed behind the newest one (a loader with a skewed
//! clock, inside the lookback) makes the run reread the window and is picked
//! up.
#![cfg(feature = "duckdb-system")]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::targets::{Scenario, TargetUnderTest};
use common::{query, scalar};

const PROJECT: &str = r#"
[project]
name = "unchanged"
default_target = "duckdb"

[transform]
lookback = "1 day"

[[sources]]
name = "events"
format = "jsonl"
required = ["event_id", "event_time"]

[[sources]]
name = "customers"
format = "csv"
columns = ["customer_id", "country"]
required = ["customer_id"]
"#;

const EVENTS_CURRENT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["event_id"]
*/
SELECT
    payload ->> 'event_id' AS event_id,
    CAST(payload ->> 'event_time' AS TIMESTAMP) AS event_time,
    CAST(payload ->> 'amount' AS DECIMAL(18, 2)) AS amount
FROM raw.events
"#;

const DAILY: &str = r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "event_date"

[[checks]]
type = "not_null"
columns = ["amount"]
*/
SELECT CAST(event_time AS DATE) AS event_date, sum(amount) AS amount, count(*) AS events
FROM ods.events_current
GROUP BY 1
"#;

/// Partitioned by landing time, like `ods.order_events`: its partitions in
/// scope show how much of the raw history a run reread.
const EVENTS_LANDED: &str = r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "_ingested_at"

[upstream."raw.events"]
via = "_ingested_at"
*/
SELECT payload ->> 'event_id' AS event_id, _ingested_at FROM raw.events
"#;

const CUSTOMERS_CURRENT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["customer_id"]
latest_by = ["_ingested_at desc"]
*/
SELECT customer_id, country, _ingested_at FROM raw.customers
"#;

/// What a run did to a model, from the result file.
#[derive(Debug, PartialEq)]
struct Did {
    build: String,
    status: String,
    partitions: u64,
}

/// `pushdown run --mode incremental`: what it did to each model.
fn run(t: &TargetUnderTest, s: &Scenario) -> BTreeMap<String, Did> {
    let result = s.project.join("result.json");
    t.pushdown_ok(
        &[
            "run",
            "--mode",
            "incremental",
            "--result-file",
            result.to_str().unwrap(),
        ],
        &s.project,
        &s.landing,
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
    r["transform"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["model"].as_str().unwrap().to_string(),
                Did {
                    build: m["build"].as_str().unwrap().to_string(),
                    status: m["status"].as_str().unwrap().to_string(),
                    partitions: m["partitions_count"].as_u64().unwrap(),
                },
            )
        })
        .collect()
}

fn build(b: &str, s: &str) -> (String, String) {
    (b.to_string(), s.to_string())
}

impl Did {
    fn is(&self) -> (String, String) {
        (self.build.clone(), self.status.clone())
    }
}

fn daily(db: &Path) -> Vec<Vec<String>> {
    query(
        db,
        "SELECT CAST(event_date AS VARCHAR), CAST(amount AS VARCHAR), events FROM mart.daily ORDER BY 1",
    )
}

#[test]
fn skips_exactly_the_models_whose_inputs_did_not_change() {
    let (s, t, db) = Scenario::on_duckdb(
        PROJECT,
        &[
            ("models/ods/events_current.sql", EVENTS_CURRENT),
            ("models/mart/daily.sql", DAILY),
            ("models/ods/customers_current.sql", CUSTOMERS_CURRENT),
            ("models/ods/events_landed.sql", EVENTS_LANDED),
        ],
    );
    s.arrive(
        "events",
        "2026-03-01",
        "e1.jsonl",
        b"{\"event_id\":\"e1\",\"event_time\":\"2026-03-01 10:00:00\",\"amount\":\"5.00\"}\n\
          {\"event_id\":\"e2\",\"event_time\":\"2026-03-02 11:00:00\",\"amount\":\"7.00\"}\n",
    );
    s.arrive(
        "customers",
        "2026-03-01",
        "c1.csv",
        b"customer_id,country\nc1,DE\n",
    );
    let first = run(&t, &s);
    assert!(first.values().all(|d| d.status == "success"), "{first:?}");

    // Nothing new: every model is skipped without reading its inputs.
    let rerun = run(&t, &s);
    for m in [
        "ods.events_current",
        "mart.daily",
        "ods.customers_current",
        "ods.events_landed",
    ] {
        assert_eq!(rerun[m].is(), build("none", "unchanged"), "{m} on a rerun");
    }

    // Only customers change: their model runs, the events side is skipped.
    s.arrive(
        "customers",
        "2026-03-02",
        "c2.csv",
        b"customer_id,country\nc1,AT\n",
    );
    let customers_only = run(&t, &s);
    assert_eq!(
        customers_only["ods.customers_current"].is(),
        build("incremental", "success")
    );
    assert_eq!(
        customers_only["ods.events_current"].is(),
        build("none", "unchanged")
    );
    assert_eq!(
        customers_only["mart.daily"].is(),
        build("none", "unchanged")
    );
    assert_eq!(
        scalar(&db, "SELECT country FROM ods.customers_current"),
        "AT"
    );

    // New events, all past the watermark: only their own landing is read,
    // not the day-long lookback window that also holds the first file.
    s.arrive(
        "events",
        "2026-03-02",
        "e2.jsonl",
        b"{\"event_id\":\"e4\",\"event_time\":\"2026-03-01 18:00:00\",\"amount\":\"2.00\"}\n",
    );
    let ahead = run(&t, &s);
    assert_eq!(
        ahead["ods.events_landed"].is(),
        build("incremental", "success")
    );
    assert_eq!(ahead["ods.events_landed"].partitions, 1, "{ahead:?}");
    assert_eq!(ahead["mart.daily"].partitions, 1, "{ahead:?}");

    // A row landed behind the newest one: the newest landing time is the
    // same as at the last publish, the row count is not, so the model runs
    // and the lookback finds the row.
    query(
        &db,
        "INSERT INTO raw.events SELECT * REPLACE (
             CAST('{\"event_id\":\"e3\",\"event_time\":\"2026-03-02 12:00:00\",\"amount\":\"1.50\"}' AS JSON) AS payload,
             _ingested_at - INTERVAL 1 HOUR AS _ingested_at,
             99 AS _line)
         FROM raw.events ORDER BY _ingested_at DESC LIMIT 1",
    );
    let behind = run(&t, &s);
    assert_eq!(
        behind["ods.events_current"].is(),
        build("incremental", "success")
    );
    assert_eq!(behind["mart.daily"].is(), build("incremental", "success"));
    // The lookback window: both landings and the row behind them.
    assert_eq!(behind["ods.events_landed"].partitions, 3, "{behind:?}");
    assert_eq!(
        daily(&db),
        vec![
            vec!["2026-03-01".to_string(), "7.00".into(), "2".into()],
            vec!["2026-03-02".to_string(), "8.50".into(), "2".into()],
        ]
    );
    // And the run after it has nothing left to do.
    let after = run(&t, &s);
    assert!(
        after.values().all(|d| d.is() == build("none", "unchanged")),
        "{after:?}"
    );
}
