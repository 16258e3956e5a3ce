//! The reference pipeline on the Snowflake adapter (fakesnow on loopback)
//! ends with the same tables, row by row, as on DuckDB, after day-by-day
//! incremental runs, then a full refresh, then a full-range backfill; and the Snowflake
//! password appears in none of the outputs (logs, errors, result file).
#![cfg(all(feature = "duckdb-system", feature = "snowflake"))]

mod common;

use std::path::Path;

use common::targets::TargetUnderTest;

const SPEC_TABLES: [&str; 11] = [
    "ods.orders_current",
    "ods.payments_current",
    "ods.shipment_milestones",
    "dw.dim_customer",
    "dw.dim_date",
    "dw.fact_orders",
    "dw.fact_shipments",
    "mart.revenue_daily",
    "mart.sla_breaches_daily",
    "raw.rejects",
    "audit.landed_files",
];

/// Every spec table through `pushdown query` (one formatting of values for
/// both warehouses); wall-clock ingestion metadata is projected away.
fn state(t: &TargetUnderTest, project: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    SPEC_TABLES
        .iter()
        .map(|table| {
            let sql = match *table {
                "ods.orders_current" | "ods.payments_current" | "ods.shipment_milestones" => {
                    format!("SELECT * EXCLUDE (_ingested_at) FROM {table}")
                }
                "raw.rejects" => {
                    format!("SELECT source, file, line, raw_text, reason FROM {table}")
                }
                "audit.landed_files" => {
                    format!("SELECT checksum, source, file, rows, rejects FROM {table}")
                }
                _ => format!("SELECT * FROM {table}"),
            };
            (table.to_string(), t.rows(project, &sql))
        })
        .collect()
}

fn assert_same(duck: &TargetUnderTest, sf: &TargetUnderTest, project: &Path, after: &str) {
    let on_duckdb = state(duck, project);
    let on_snowflake = state(sf, project);
    let mut differences = Vec::new();
    for ((table, d), (_, s)) in on_duckdb.iter().zip(&on_snowflake) {
        assert!(
            !d.is_empty() || table == "raw.rejects",
            "{table} is empty on DuckDB"
        );
        if d.len() != s.len() {
            differences.push(format!(
                "{table}: {} rows on DuckDB, {} on Snowflake",
                d.len(),
                s.len()
            ));
        } else if let Some((x, y)) = d.iter().zip(s).find(|(x, y)| x != y) {
            differences.push(format!(
                "{table}: first differing row\n  DuckDB:    {x:?}\n  Snowflake: {y:?}"
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "after {after}:\n{}",
        differences.join("\n")
    );
}

#[test]
fn the_reference_pipeline_on_snowflake_equals_duckdb_row_by_row() {
    let Some(mut sf) = common::snowflake::target("ecommerce") else {
        return;
    };
    sf.name = "snowflake";
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let cfg = ecommerce_gen::Config {
        days: 2,
        ..ecommerce_gen::Config::small(20261125)
    };
    let summary = ecommerce_gen::generate(&cfg, &all).unwrap();
    let project = common::example();
    let mut duck = TargetUnderTest::duckdb(&dir.path().join("ecommerce.duckdb"));
    duck.name = "dev";

    // Day by day on both, like a daily schedule, then a rerun.
    let landing = dir.path().join("landing");
    let result_file = dir.path().join("sf-result.json");
    let mut outputs = Vec::new();
    for day in &summary.arrival_dates {
        ecommerce_gen::copy_arrival_day(&all, &landing, *day).unwrap();
        for t in [&duck, &sf] {
            let out = t.pushdown_ok(
                &[
                    "run",
                    "--mode",
                    "incremental",
                    "--log-format",
                    "json",
                    "--result-file",
                    result_file.to_str().unwrap(),
                ],
                &project,
                &landing,
            );
            outputs.push(out);
        }
    }
    assert_same(&duck, &sf, &project, "day-by-day incremental runs");

    // The other modes over the same warehouses: a full refresh rebuilds
    // everything from raw; a backfill over the whole range recomputes every
    // partition (DELETE + INSERT of partitions on Snowflake). Each ends as on
    // DuckDB.
    let (first, last) = (
        summary.arrival_dates[0] - chrono::Duration::days(2),
        *summary.arrival_dates.last().unwrap(),
    );
    let (first, last) = (first.to_string(), last.to_string());
    for (label, args) in [
        ("full refresh", vec!["--mode", "full-refresh"]),
        (
            "backfill",
            vec!["--mode", "backfill", "--start", &first, "--end", &last],
        ),
    ] {
        for t in [&duck, &sf] {
            let mut all = vec!["run", "--log-format", "json"];
            all.extend(&args);
            outputs.push(t.pushdown_ok(&all, &project, &landing));
        }
        assert_same(&duck, &sf, &project, label);
    }

    // A refused connection (wrong URL) says why without the password.
    let mut broken = common::snowflake::target("ecommerce").unwrap();
    broken.env.retain(|(k, _)| k != "PUSHDOWN_SNOWFLAKE_URL");
    broken
        .env
        .push(("PUSHDOWN_SNOWFLAKE_URL".into(), "http://127.0.0.1:9".into()));
    let failed = broken.pushdown(
        &["run", "--result-file", result_file.to_str().unwrap()],
        &project,
        &landing,
    );
    assert!(!failed.status.success());
    outputs.push(failed);

    let pw = common::snowflake::PASSWORD;
    for out in &outputs {
        for text in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(text);
            assert!(
                !text.contains(pw) && !text.contains("never-printed"),
                "the password printed:\n{text}"
            );
        }
    }
    let result = std::fs::read_to_string(&result_file).unwrap();
    assert!(result.contains("\"error\""), "{result}");
    assert!(
        !result.contains(pw) && !result.contains("never-printed"),
        "{result}"
    );
}
