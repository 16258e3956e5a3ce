//! The reference pipeline on BigQuery (a bqemulator server on loopback)
//! ends, day after day, with the same tables row by row as on DuckDB: the same
//! generated landing zone is run in two incremental runs on both, then
//! every table of the spec is compared; a rerun changes nothing.
//!
//! Both sides are read through the real binary (`pushdown query`), so values
//! are compared as the user sees them. Decimals are compared by value (DuckDB
//! prints a DECIMAL(18, 2) with its scale, BigQuery a NUMERIC without
//! trailing zeros).
#![cfg(all(feature = "duckdb-system", feature = "bigquery"))]

mod common;

use std::path::Path;

use common::targets::TargetUnderTest;
use common::*;
use pushdown_adapter::Dialect;

/// Every table of the spec; ingestion metadata differs by nature (wall-clock
/// `_ingested_at`, run ids) so it is projected away.
const TABLES: [&str; 12] = [
    "ods.orders_current",
    "ods.payments_current",
    "ods.shipment_milestones",
    "ods.fx_rates",
    "dw.dim_customer",
    "dw.dim_date",
    "dw.fact_orders",
    "dw.fact_shipments",
    "mart.revenue_daily",
    "mart.sla_breaches_daily",
    "raw.rejects",
    "audit.landed_files",
];

fn select(t: &TargetUnderTest, table: &str) -> String {
    let (schema, name) = table.split_once('.').unwrap();
    let q = t.q();
    let from = q.table(schema, name);
    let except = |cols: &str| match t.dialect {
        Dialect::BigQuery => format!("SELECT * EXCEPT ({cols}) FROM {from}"),
        _ => format!("SELECT * EXCLUDE ({cols}) FROM {from}"),
    };
    match table {
        "ods.orders_current" | "ods.payments_current" | "ods.shipment_milestones" => {
            except("_ingested_at")
        }
        "ods.fx_rates" => except("_ingested_at, _line"),
        "raw.rejects" => format!(
            "SELECT {} FROM {from}",
            q.ids(["source", "file", "line", "raw_text", "reason"])
        ),
        "audit.landed_files" => format!(
            "SELECT {} FROM {from}",
            q.ids(["checksum", "source", "file", "rows", "rejects"])
        ),
        _ => format!("SELECT * FROM {from}"),
    }
}

fn canonical(cell: String) -> String {
    match cell.parse::<rust_decimal::Decimal>() {
        Ok(d) if cell.contains('.') => d.normalize().to_string(),
        _ => cell,
    }
}

fn state(t: &TargetUnderTest, project: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    TABLES
        .iter()
        .map(|table| {
            let mut rows: Vec<Vec<String>> = t
                .rows(project, &select(t, table))
                .into_iter()
                .map(|r| r.into_iter().map(canonical).collect())
                .collect();
            rows.sort();
            (table.to_string(), rows)
        })
        .collect()
}

fn assert_same(a: &[(String, Vec<Vec<String>>)], b: &[(String, Vec<Vec<String>>)], what: &str) {
    for ((t, ra), (_, rb)) in a.iter().zip(b) {
        assert!(!ra.is_empty() || t == "raw.rejects", "{what}: {t} is empty");
        assert_eq!(
            ra.len(),
            rb.len(),
            "{what}: {t} has {} rows vs {}",
            ra.len(),
            rb.len()
        );
        for (x, y) in ra.iter().zip(rb) {
            assert_eq!(x, y, "{what}: first differing row of {t}");
        }
    }
}

#[test]
fn the_pipeline_on_bigquery_ends_row_by_row_as_on_duckdb() {
    let Some(bq) = TargetUnderTest::bigquery("ecommerce") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let cfg = ecommerce_gen::Config {
        days: 3,
        orders_per_day: 25,
        ..ecommerce_gen::Config::small(20261125)
    };
    let summary = ecommerce_gen::generate(&cfg, &all).unwrap();
    let duck = TargetUnderTest::duckdb(&dir.path().join("duck.duckdb"));
    // The example project as it is, with its own `bigquery` target; the
    // duckdb target of the scenario helpers is added to a copy of it.
    let project = dir.path().join("project");
    copy_dir(&example(), &project);
    let toml = project.join("pushdown.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\n{}", duck.stanza)).unwrap();

    // Two incremental runs (each BigQuery job costs the emulator a fraction
    // of a second, so days are grouped): the first half of the arrival days,
    // then the rest, which carries late and corrected events.
    let landing = dir.path().join("landing");
    let days = &summary.arrival_dates;
    for half in [&days[..days.len() / 2], &days[days.len() / 2..]] {
        for day in half {
            ecommerce_gen::copy_arrival_day(&all, &landing, *day).unwrap();
        }
        for t in [&duck, &bq] {
            t.pushdown_ok(&["run", "--mode", "incremental"], &project, &landing);
        }
    }
    let on_duckdb = state(&duck, &project);
    let on_bigquery = state(&bq, &project);
    assert_same(
        &on_duckdb,
        &on_bigquery,
        "BigQuery vs DuckDB after the last day",
    );

    // A dry run of a model's statements reports what each would process and
    // runs none of them (the state is compared below).
    let out = bq.pushdown_ok(
        &[
            "render",
            "--dry-run",
            "--mode",
            "full-refresh",
            "--select",
            "mart.revenue_daily",
        ],
        &project,
        &landing,
    );
    let listing = String::from_utf8_lossy(&out.stdout);
    let estimated = listing.matches("-- dry run: ").count();
    assert!(
        listing.contains(" bytes processed\n") && listing.contains("-- total: ") && estimated >= 3,
        "render --dry-run:\n{listing}"
    );

    // A rerun with nothing new changes nothing.
    bq.pushdown_ok(&["run", "--mode", "incremental"], &project, &landing);
    assert_same(&on_bigquery, &state(&bq, &project), "BigQuery rerun");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "target" || name == "generator" || name == "landing" {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            copy_dir(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}
