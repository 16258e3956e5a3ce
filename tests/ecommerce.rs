//! The reference pipeline end to end on generated data: day-by-day
//! incremental runs, one full refresh and one full-range backfill end in the
//! same state table by table, row by row; a rerun changes nothing; and the
//! result matches the independent oracle (expected values computed in Rust
//! from the spec's rules, not by re-running the SQL).
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::Path;

use common::*;
use ecommerce_gen::oracle::{self, Expected};

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

/// Tables compared across warehouses; ingestion metadata differs by nature
/// (wall-clock `_ingested_at`, run ids), so it is projected away.
fn state(db: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let mut out = Vec::new();
    for t in SPEC_TABLES {
        let sql = match t {
            "ods.orders_current" | "ods.payments_current" | "ods.shipment_milestones" => {
                format!("SELECT * EXCLUDE (_ingested_at) FROM {t}")
            }
            "raw.rejects" => format!("SELECT source, file, line, raw_text, reason FROM {t}"),
            "audit.landed_files" => {
                format!("SELECT checksum, source, file, rows, rejects FROM {t}")
            }
            _ => format!("SELECT * FROM {t}"),
        };
        let mut rows = query(db, &sql);
        rows.sort();
        out.push((t.to_string(), rows));
    }
    out
}

fn assert_same(a: &[(String, Vec<Vec<String>>)], b: &[(String, Vec<Vec<String>>)], what: &str) {
    for ((t, ra), (_, rb)) in a.iter().zip(b) {
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
fn incremental_full_refresh_and_backfill_agree_with_each_other_and_the_oracle() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let cfg = ecommerce_gen::Config {
        days: 6,
        ..ecommerce_gen::Config::small(20261125)
    };
    let summary = ecommerce_gen::generate(&cfg, &all).unwrap();
    let project = example();
    let project = project.to_str().unwrap();

    // Day by day, one arrival folder at a time, like a daily schedule.
    let landing = dir.path().join("landing");
    let inc = dir.path().join("incremental.duckdb");
    for day in &summary.arrival_dates {
        ecommerce_gen::copy_arrival_day(&all, &landing, *day).unwrap();
        pushdown_ok(
            &["run", "--project", project, "--mode", "incremental"],
            &landing,
            &inc,
        );
    }
    let incremental = state(&inc);

    // A rerun with nothing new changes nothing.
    pushdown_ok(
        &["run", "--project", project, "--mode", "incremental"],
        &landing,
        &inc,
    );
    assert_same(&incremental, &state(&inc), "rerun");

    let full = dir.path().join("full.duckdb");
    pushdown_ok(
        &["run", "--project", project, "--mode", "full-refresh"],
        &all,
        &full,
    );
    assert_same(&incremental, &state(&full), "incremental vs full refresh");

    let back = dir.path().join("backfill.duckdb");
    pushdown_ok(&["land", "--project", project], &all, &back);
    let (first, last) = (
        summary.arrival_dates[0] - chrono::Duration::days(2),
        *summary.arrival_dates.last().unwrap(),
    );
    pushdown_ok(
        &[
            "run",
            "--project",
            project,
            "--mode",
            "backfill",
            "--start",
            &first.to_string(),
            "--end",
            &last.to_string(),
        ],
        &all,
        &back,
    );
    assert_same(&incremental, &state(&back), "incremental vs backfill");

    let expected = oracle::expected(&all, PII_KEY.as_bytes(), None).unwrap();
    assert_matches_oracle(&inc, &expected);
}

fn dec(v: &Option<rust_decimal::Decimal>) -> String {
    v.map(|d| d.to_string()).unwrap_or_else(|| "NULL".into())
}

fn ts(v: &Option<chrono::NaiveDateTime>) -> String {
    v.map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f").to_string())
        .unwrap_or_else(|| "NULL".into())
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref()
        .map(|x| x.to_string())
        .unwrap_or_else(|| "NULL".into())
}

fn assert_matches_oracle(db: &Path, e: &Expected) {
    // Landing: every line in exactly one of raw or rejects.
    for (source, rows) in &e.raw_rows {
        assert_eq!(
            scalar(db, &format!("SELECT count(*) FROM raw.{source}")),
            rows.to_string(),
            "raw.{source}"
        );
    }
    assert_eq!(
        scalar(db, "SELECT count(*) FROM raw.rejects"),
        e.rejects.to_string(),
        "raw.rejects"
    );

    let got = query(
        db,
        "SELECT f.order_id, f.order_date, f.order_created_at, d.customer_id, d.valid_from, f.currency, f.gross_amount, f.discount_amount,
                f.tax_amount, f.net_amount, f.usd_rate, f.net_amount_usd, f.gross_amount_usd, f.is_cancelled, f.is_paid, f.is_refunded, f.delivered_at
         FROM dw.fact_orders f LEFT JOIN dw.dim_customer d USING (customer_sk) ORDER BY f.order_id",
    );
    let want: Vec<Vec<String>> = e
        .fact_orders
        .iter()
        .map(|f| {
            vec![
                f.order_id.clone(),
                f.order_date.to_string(),
                f.order_created_at
                    .format("%Y-%m-%d %H:%M:%S%.6f")
                    .to_string(),
                opt(&f.customer_id),
                ts(&f.customer_valid_from),
                opt(&f.currency),
                dec(&f.gross_amount),
                f.discount_amount.to_string(),
                dec(&f.tax_amount),
                dec(&f.net_amount),
                dec(&f.usd_rate),
                dec(&f.net_amount_usd),
                dec(&f.gross_amount_usd),
                f.is_cancelled.to_string(),
                f.is_paid.to_string(),
                f.is_refunded.to_string(),
                ts(&f.delivered_at),
            ]
        })
        .collect();
    assert_rows("dw.fact_orders", &got, &want);

    let got = query(db, "SELECT * FROM mart.revenue_daily ORDER BY order_date");
    let want: Vec<Vec<String>> = e
        .revenue_daily
        .iter()
        .map(|r| {
            vec![
                r.order_date.to_string(),
                r.orders.to_string(),
                r.cancelled_orders.to_string(),
                r.gross_usd.to_string(),
                r.net_usd.to_string(),
                r.paid_net_usd.to_string(),
                dec(&r.p95_net_usd),
            ]
        })
        .collect();
    assert_rows("mart.revenue_daily", &got, &want);

    let got = query(
        db,
        "SELECT * FROM mart.sla_breaches_daily ORDER BY order_date",
    );
    let want: Vec<Vec<String>> = e
        .sla_breaches_daily
        .iter()
        .map(|r| {
            vec![
                r.order_date.to_string(),
                r.delivered_orders.to_string(),
                r.breached_orders.to_string(),
                r.pending_orders.to_string(),
                dec(&r.breach_rate),
            ]
        })
        .collect();
    assert_rows("mart.sla_breaches_daily", &got, &want);

    let got = query(
        db,
        "SELECT customer_id, email_token, country, segment, valid_from, valid_to, is_current FROM dw.dim_customer ORDER BY customer_id, valid_from",
    );
    let want: Vec<Vec<String>> = e
        .dim_customer
        .iter()
        .map(|c| {
            vec![
                c.customer_id.clone(),
                opt(&c.email_token),
                opt(&c.country),
                opt(&c.segment),
                c.valid_from.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
                ts(&c.valid_to),
                c.is_current.to_string(),
            ]
        })
        .collect();
    assert_rows("dw.dim_customer", &got, &want);

    let got = query(
        db,
        "SELECT shipment_id, order_id, carrier, label_created_at, picked_up_at, delivered_at, order_date FROM dw.fact_shipments ORDER BY shipment_id",
    );
    let want: Vec<Vec<String>> = e
        .fact_shipments
        .iter()
        .map(|s| {
            vec![
                s.shipment_id.clone(),
                s.order_id.clone(),
                opt(&s.carrier),
                ts(&s.label_created_at),
                ts(&s.picked_up_at),
                ts(&s.delivered_at),
                opt(&s.order_date),
            ]
        })
        .collect();
    assert_rows("dw.fact_shipments", &got, &want);

    assert_eq!(
        scalar(db, "SELECT count(*) FROM ods.orders_current")
            .parse::<usize>()
            .unwrap(),
        e.orders_current.len()
    );
    assert_eq!(
        query(db, "SELECT min(date), max(date), count(*) FROM dw.dim_date")[0],
        vec![
            e.dim_date.0.to_string(),
            e.dim_date.1.to_string(),
            ((e.dim_date.1 - e.dim_date.0).num_days() + 1).to_string()
        ]
    );
}

fn assert_rows(table: &str, got: &[Vec<String>], want: &[Vec<String>]) {
    for (g, w) in got.iter().zip(want) {
        assert_eq!(
            g, w,
            "{table}: first row that differs from the oracle (got, want)"
        );
    }
    assert_eq!(got.len(), want.len(), "{table}: row count");
}

fn partitions(db: &Path, table: &str) -> Vec<Vec<String>> {
    query(db, &format!("SELECT * FROM {table} ORDER BY ALL"))
}

#[test]
fn a_backfill_recomputes_exactly_the_partitions_in_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all");
    let cfg = ecommerce_gen::Config {
        days: 4,
        orders_per_day: 25,
        ..ecommerce_gen::Config::small(7)
    };
    ecommerce_gen::generate(&cfg, &all).unwrap();
    let project = example();
    let project = project.to_str().unwrap();
    let full = dir.path().join("full.duckdb");
    pushdown_ok(
        &["run", "--project", project, "--mode", "full-refresh"],
        &all,
        &full,
    );

    let back = dir.path().join("backfill.duckdb");
    pushdown_ok(&["land", "--project", project], &all, &back);
    pushdown_ok(
        &[
            "run",
            "--project",
            project,
            "--mode",
            "backfill",
            "--start",
            "2026-01-02",
            "--end",
            "2026-01-03",
        ],
        &all,
        &back,
    );
    let in_range = "order_date BETWEEN DATE '2026-01-02' AND DATE '2026-01-03'";
    for table in [
        "dw.fact_orders",
        "mart.revenue_daily",
        "mart.sla_breaches_daily",
    ] {
        assert_eq!(
            partitions(&back, table),
            partitions(&full, &format!("(SELECT * FROM {table} WHERE {in_range})")),
            "{table}: the range equals a full refresh's, and nothing outside it was built"
        );
    }
    // A second, disjoint range adds its partitions and leaves the first as it was.
    let before = partitions(&back, "dw.fact_orders");
    pushdown_ok(
        &[
            "run",
            "--project",
            project,
            "--mode",
            "backfill",
            "--start",
            "2026-01-01",
            "--end",
            "2026-01-01",
        ],
        &all,
        &back,
    );
    let after = partitions(
        &back,
        &format!("(SELECT * FROM dw.fact_orders WHERE {in_range})"),
    );
    assert_eq!(after, before);
    assert_eq!(
        partitions(
            &back,
            "(SELECT * FROM mart.revenue_daily WHERE order_date <= DATE '2026-01-03')"
        ),
        partitions(
            &full,
            "(SELECT * FROM mart.revenue_daily WHERE order_date <= DATE '2026-01-03')"
        )
    );
}
