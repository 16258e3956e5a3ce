//! A NULL in a unique key is a key like any other: an incremental run
//! replaces the NULL-keyed row instead of adding a second one, and a model
//! reading it through `via` rebuilds the NULL group, ending where a full
//! refresh ends. On DuckDB the statements match keys with `=` (which lets
//! DuckDB skip row groups by their zone maps) and treat NULL keys apart:
//! this is the test of that second branch.
#![cfg(feature = "duckdb-system")]

mod common;

use common::table;
use common::targets::Scenario;

const PROJECT: &str = r#"
[project]
name = "null_keys"
default_target = "duckdb"

[[sources]]
name = "events"
format = "jsonl"
required = ["event_time"]
"#;

const EVENTS_CURRENT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["event_id"]
latest_by = ["event_time desc"]
*/
SELECT
    payload ->> 'event_id' AS event_id,
    CAST(payload ->> 'event_time' AS TIMESTAMP) AS event_time,
    CAST(payload ->> 'amount' AS DECIMAL(18, 2)) AS amount
FROM raw.events
"#;

const BY_EVENT: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["event_id"]

[upstream."ods.events_current"]
via = "event_id"
*/
SELECT event_id, sum(amount) AS amount, count(*) AS versions
FROM ods.events_current
GROUP BY 1
"#;

#[test]
fn a_null_key_is_replaced_and_read_downstream_like_any_key() {
    let (s, t, db) = Scenario::on_duckdb(
        PROJECT,
        &[
            ("models/ods/events_current.sql", EVENTS_CURRENT),
            ("models/mart/by_event.sql", BY_EVENT),
        ],
    );
    let incremental = || {
        t.pushdown_ok(&["run", "--mode", "incremental"], &s.project, &s.landing);
    };
    s.arrive(
        "events",
        "2026-03-01",
        "e1.jsonl",
        b"{\"event_id\":\"e1\",\"event_time\":\"2026-03-01 10:00:00\",\"amount\":\"1.00\"}\n\
          {\"event_time\":\"2026-03-01 10:00:00\",\"amount\":\"5.00\"}\n",
    );
    incremental();
    // A newer version of the event without an id, and an unrelated event.
    s.arrive(
        "events",
        "2026-03-02",
        "e2.jsonl",
        b"{\"event_time\":\"2026-03-02 09:00:00\",\"amount\":\"7.00\"}\n\
          {\"event_id\":\"e2\",\"event_time\":\"2026-03-02 10:00:00\",\"amount\":\"2.00\"}\n",
    );
    incremental();

    let row = |id: &str, amount: &str, n: &str| vec![id.to_string(), amount.into(), n.into()];
    let ods = table(&db, "(SELECT event_id, amount, 1 FROM ods.events_current)");
    let mart = table(&db, "mart.by_event");
    // `table` renders NULL as "NULL".
    let want = vec![
        row("NULL", "7.00", "1"),
        row("e1", "1.00", "1"),
        row("e2", "2.00", "1"),
    ];
    assert_eq!(ods, want, "ods.events_current after two incremental days");
    assert_eq!(mart, want, "mart.by_event after two incremental days");

    t.pushdown_ok(&["run", "--mode", "full-refresh"], &s.project, &s.landing);
    assert_eq!(
        table(&db, "(SELECT event_id, amount, 1 FROM ods.events_current)"),
        ods
    );
    assert_eq!(table(&db, "mart.by_event"), mart);
}
