//! The reference pipeline rule by rule: one tiny hand-made landing zone per
//! business rule of the contract (shared/spec/ecommerce.md), landed day by
//! day with `pushdown run --mode incremental` exactly as a daily schedule
//! would, and exact values read back from the DuckDB file.
//!
//! Every expected value is computed by hand from the spec's rules (the
//! arithmetic is in the comments), never by re-running SQL.
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::{Path, PathBuf};

use common::*;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

// ---------------------------------------------------------------------------
// Landing zone helpers
// ---------------------------------------------------------------------------

const PAYMENTS_HEADER: &str = "payment_id,order_id,event_time,status,amount,currency,version";
const SHIPMENTS_HEADER: &str = "shipment_id,order_id,event_time,milestone,carrier";
const CUSTOMERS_HEADER: &str = "customer_id,email,country,segment,updated_at";
const FX_HEADER: &str = "rate_date,currency,usd_rate";

/// A landing zone, a warehouse file and a private copy of the reference
/// project, all in a fresh temporary directory.
struct Zone {
    _dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
    db: PathBuf,
}

impl Zone {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let landing = dir.path().join("landing");
        let db = dir.path().join("warehouse.duckdb");
        std::fs::create_dir_all(&landing).unwrap();
        let project = dir.path().join("ecommerce");
        copy_project(&example(), &project);
        Zone {
            _dir: dir,
            project,
            landing,
            db,
        }
    }

    /// `<landing>/<source>/<arrival>/<file>` with exactly `contents`.
    fn write(&self, source: &str, arrival: &str, file: &str, contents: &str) {
        let dir = self.landing.join(source).join(arrival);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), contents).unwrap();
    }

    /// The bytes of a file written before (for redeliveries).
    fn read(&self, source: &str, arrival: &str, file: &str) -> Vec<u8> {
        std::fs::read(self.landing.join(source).join(arrival).join(file)).unwrap()
    }

    fn write_bytes(&self, source: &str, arrival: &str, file: &str, bytes: &[u8]) {
        let dir = self.landing.join(source).join(arrival);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(file), bytes).unwrap();
    }

    /// An orders_events JSON Lines file, one event per line.
    fn orders(&self, arrival: &str, file: &str, events: &[Value]) {
        let mut text = String::new();
        for e in events {
            text.push_str(&serde_json::to_string(e).unwrap());
            text.push('\n');
        }
        self.write("orders_events", arrival, file, &text);
    }

    fn csv(&self, source: &str, arrival: &str, file: &str, header: &str, rows: &[&str]) {
        let mut text = format!("{header}\n");
        for r in rows {
            text.push_str(r);
            text.push('\n');
        }
        self.write(source, arrival, file, &text);
    }

    /// Rows `payment_id,order_id,event_time,status,amount,currency,version`.
    fn payments(&self, arrival: &str, file: &str, rows: &[&str]) {
        self.csv("payments_events", arrival, file, PAYMENTS_HEADER, rows);
    }

    /// Rows `shipment_id,order_id,event_time,milestone,carrier`.
    fn shipments(&self, arrival: &str, file: &str, rows: &[&str]) {
        self.csv("shipments_events", arrival, file, SHIPMENTS_HEADER, rows);
    }

    /// Rows `customer_id,email,country,segment,updated_at`, in the file
    /// `customers_<arrival>.csv`.
    fn customers(&self, arrival: &str, rows: &[&str]) {
        let file = format!("customers_{arrival}.csv");
        self.csv("customers", arrival, &file, CUSTOMERS_HEADER, rows);
    }

    /// The rates of `rate_date` (USD 1.000000 plus EUR and GBP), in the file
    /// `fx_rates_<rate_date>.csv` of the arrival folder `arrival`.
    fn fx(&self, arrival: &str, rate_date: &str, eur: &str, gbp: &str) {
        let rows = [
            format!("{rate_date},USD,1.000000"),
            format!("{rate_date},EUR,{eur}"),
            format!("{rate_date},GBP,{gbp}"),
        ];
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let file = format!("fx_rates_{rate_date}.csv");
        self.csv("fx_rates", arrival, &file, FX_HEADER, &rows);
    }

    /// The default rates: EUR 1.100000, GBP 1.250000.
    fn fx_default(&self, arrival: &str, rate_date: &str) {
        self.fx(arrival, rate_date, "1.100000", "1.250000");
    }

    /// Customer C1 (DE, consumer) exported at `updated_at`.
    fn customer_c1(&self, arrival: &str, updated_at: &str) {
        self.customers(
            arrival,
            &[&format!("C1,buyer@example.com,DE,consumer,{updated_at}")],
        );
    }

    /// `pushdown run --project <copy of examples/ecommerce> --mode incremental`.
    fn run(&self) {
        pushdown_ok(
            &[
                "run",
                "--project",
                self.project.to_str().unwrap(),
                "--mode",
                "incremental",
            ],
            &self.landing,
            &self.db,
        );
    }

    fn query(&self, sql: &str) -> Vec<Vec<String>> {
        query(&self.db, sql)
    }

    fn scalar(&self, sql: &str) -> String {
        scalar(&self.db, sql)
    }

    fn count(&self, table: &str) -> String {
        self.scalar(&format!("SELECT count(*) FROM {table}"))
    }
}

/// Copies the reference project (pushdown.toml, models/ and whatever else
/// it reads) as it is in the tree right now, without its `target/` folder,
/// its generator or a local landing zone.
///
/// Why a copy: pushdown keeps its landing staging files under the project's
/// `target/staging/<run_id>/` and every run first deletes the whole
/// `target/staging/` folder, so two runs of the same project folder at the
/// same time (parallel tests, or another test binary) delete each other's
/// staged files ("IO Error: No files found that match the pattern
/// .../target/staging/<run_id>/000003.rows"). One copy per test keeps the
/// tests independent and leaves examples/ecommerce/target alone.
fn copy_project(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let path = entry.path();
        if from == example().as_path()
            && matches!(name.to_str(), Some("target" | "generator" | "landing"))
        {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_project(&path, &to.join(&name));
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// One orders_events event with sensible defaults: customer C1, discount
/// "0.00", tax "1.00", country "de" (lower case on purpose), status placed.
fn order_event(
    order_id: &str,
    event_type: &str,
    event_time: &str,
    version: i64,
    currency: &str,
    gross: &str,
) -> Value {
    let status = if event_type == "order_cancelled" {
        "cancelled"
    } else {
        "placed"
    };
    json!({
        "event_id": format!("{order_id}-v{version}"),
        "order_id": order_id,
        "customer_id": "C1",
        "customer_email": "buyer@example.com",
        "event_type": event_type,
        "event_time": event_time,
        "version": version,
        "status": status,
        "currency": currency,
        "gross_amount": gross,
        "discount_amount": "0.00",
        "tax_amount": "1.00",
        "country": "de",
    })
}

/// The `order_created` (version 1) event of an order.
fn created(order_id: &str, event_time: &str, currency: &str, gross: &str) -> Value {
    order_event(order_id, "order_created", event_time, 1, currency, gross)
}

/// An `order_cancelled` event following `prev`: same amounts, version + 1.
fn cancelled(prev: &Value, event_time: &str) -> Value {
    let order_id = prev["order_id"].as_str().unwrap();
    let version = prev["version"].as_i64().unwrap() + 1;
    with(
        prev.clone(),
        json!({
            "event_id": format!("{order_id}-v{version}"),
            "event_type": "order_cancelled",
            "event_time": event_time,
            "version": version,
            "status": "cancelled",
        }),
    )
}

/// `event` with the fields of `patch` overwritten (a JSON null sets null).
fn with(mut event: Value, patch: Value) -> Value {
    let obj = event.as_object_mut().unwrap();
    for (k, v) in patch.as_object().unwrap() {
        obj.insert(k.clone(), v.clone());
    }
    event
}

/// `event` without the field `key` at all.
fn without(mut event: Value, key: &str) -> Value {
    event.as_object_mut().unwrap().remove(key);
    event
}

/// Expected rows from string literals.
fn rows(want: &[&[&str]]) -> Vec<Vec<String>> {
    want.iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

/// The spec's email_token: lowercase hex HMAC-SHA-256 of the trimmed,
/// lower-cased address under the run's key.
fn email_token(address: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(PII_KEY.as_bytes()).unwrap();
    mac.update(address.trim().to_lowercase().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

const REVENUE: &str = "SELECT order_date, orders, cancelled_orders, gross_usd, net_usd, paid_net_usd, p95_net_usd \
     FROM mart.revenue_daily ORDER BY order_date";
const SLA: &str = "SELECT order_date, delivered_orders, breached_orders, pending_orders, breach_rate \
     FROM mart.sla_breaches_daily ORDER BY order_date";

// ---------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------

/// Spec §3: "A change to an old order (a refund weeks later ...) must reach
/// dw.fact_orders and the marts in the next incremental run".
#[test]
fn refund_weeks_later_reaches_the_old_partition() {
    let z = Zone::new();

    // Day 1: O1 (EUR) and O2 (USD), captured; O4 (USD) paid in two captured
    // payments.
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            with(
                created("O1", "2026-01-01T10:00:00Z", "EUR", "100.00"),
                json!({"discount_amount": "10.00"}),
            ),
            created("O2", "2026-01-01T11:00:00Z", "USD", "50.00"),
            created("O4", "2026-01-01T12:00:00Z", "USD", "7.00"),
        ],
    );
    z.payments(
        "2026-01-01",
        "payments_2026-01-01_01.csv",
        &[
            "P1,O1,2026-01-01T10:05:00Z,captured,90.00,EUR,1",
            "P2,O2,2026-01-01T11:05:00Z,captured,50.00,USD,1",
            "P4a,O4,2026-01-01T12:05:00Z,captured,3.50,USD,1",
            "P4b,O4,2026-01-01T12:05:00Z,captured,3.50,USD,1",
        ],
    );
    z.run();

    // O1: net 100.00 - 10.00 = 90.00 EUR x 1.100000 = 99.00 USD;
    //     gross 100.00 x 1.100000 = 110.00 USD.
    // O2: 50.00 USD.  O4: 7.00 USD.
    // 2026-01-01: gross 110.00 + 50.00 + 7.00 = 167.00;
    //   net = paid = 99.00 + 50.00 + 7.00 = 156.00;
    //   p95 of [7.00, 50.00, 99.00] at 0.95 x 2 = 1.9: 50.00 + 0.9 x 49.00 = 94.10.
    assert_eq!(
        z.query(REVENUE),
        rows(&[&[
            "2026-01-01",
            "3",
            "0",
            "167.00",
            "156.00",
            "156.00",
            "94.10"
        ]])
    );

    // Day 2: O3 (USD), captured; one of O4's two payments is refunded.
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[created("O3", "2026-01-02T09:00:00Z", "USD", "30.00")],
    );
    z.payments(
        "2026-01-02",
        "payments_2026-01-02_01.csv",
        &[
            "P3,O3,2026-01-02T09:05:00Z,captured,30.00,USD,1",
            "P4b,O4,2026-01-02T08:00:00Z,refunded,3.50,USD,2",
        ],
    );
    z.run();

    // O4 is now paid (P4a captured) AND refunded (P4b): not in paid_net_usd.
    // 2026-01-01 paid_net_usd = 156.00 - 7.00 = 149.00.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &[
                "2026-01-01",
                "3",
                "0",
                "167.00",
                "156.00",
                "149.00",
                "94.10"
            ],
            &["2026-01-02", "1", "0", "30.00", "30.00", "30.00", "30.00"],
        ])
    );

    // Three weeks later, P1 is refunded (a new version of the same payment).
    z.payments(
        "2026-01-22",
        "payments_2026-01-22_01.csv",
        &["P1,O1,2026-01-22T09:00:00Z,refunded,90.00,EUR,2"],
    );
    z.run();

    // P1's current status is refunded: O1 is refunded and no longer paid.
    assert_eq!(
        z.query(
            "SELECT order_id, order_date, net_amount_usd, is_paid, is_refunded \
             FROM dw.fact_orders ORDER BY order_id"
        ),
        rows(&[
            &["O1", "2026-01-01", "99.00", "false", "true"],
            &["O2", "2026-01-01", "50.00", "true", "false"],
            &["O3", "2026-01-02", "30.00", "true", "false"],
            &["O4", "2026-01-01", "7.00", "true", "true"],
        ])
    );
    // 2026-01-01 paid_net_usd drops by exactly O1's 99.00: 149.00 - 99.00 =
    // 50.00; orders, sums and p95 are unchanged; 2026-01-02 is untouched.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &["2026-01-01", "3", "0", "167.00", "156.00", "50.00", "94.10"],
            &["2026-01-02", "1", "0", "30.00", "30.00", "30.00", "30.00"],
        ])
    );
}

/// Spec §1/§2: events arrive in any order; `order_created_at` is null until
/// the `order_created` event arrives, and fact_orders holds only orders that
/// have it.
#[test]
fn events_before_their_order_created() {
    let z = Zone::new();

    // Day 1: the update (version 2) and its payment, but no order_created.
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[with(
            order_event(
                "O1",
                "order_updated",
                "2026-01-01T12:00:00Z",
                2,
                "USD",
                "80.00",
            ),
            json!({"discount_amount": "5.00", "tax_amount": "15.20"}),
        )],
    );
    z.payments(
        "2026-01-01",
        "payments_2026-01-01_01.csv",
        &["P1,O1,2026-01-01T12:05:00Z,captured,75.00,USD,1"],
    );
    z.run();

    assert_eq!(
        z.query(
            "SELECT order_id, event_type, version, gross_amount, order_created_at \
             FROM ods.orders_current"
        ),
        rows(&[&["O1", "order_updated", "2", "80.00", "NULL"]])
    );
    assert_eq!(z.count("dw.fact_orders"), "0");
    assert_eq!(z.count("mart.revenue_daily"), "0");

    // Day 2: the order_created (version 1, older amounts) arrives late.
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[with(
            created("O1", "2026-01-01T10:00:00Z", "USD", "100.00"),
            json!({"tax_amount": "19.00"}),
        )],
    );
    z.run();

    // The latest event is still the update (12:00 > 10:00); order_created_at
    // is the created event's time.
    assert_eq!(
        z.query(
            "SELECT order_id, event_type, version, gross_amount, order_created_at \
             FROM ods.orders_current"
        ),
        rows(&[&[
            "O1",
            "order_updated",
            "2",
            "80.00",
            "2026-01-01 10:00:00.000000"
        ]])
    );
    // v2 amounts: net = 80.00 - 5.00 = 75.00, x 1.000000 = 75.00 USD; the
    // payment that arrived a day before the order counts.
    assert_eq!(
        z.query(
            "SELECT order_id, order_date, order_created_at, gross_amount, discount_amount, tax_amount, \
                    net_amount, net_amount_usd, is_paid FROM dw.fact_orders"
        ),
        rows(&[&[
            "O1",
            "2026-01-01",
            "2026-01-01 10:00:00.000000",
            "80.00",
            "5.00",
            "15.20",
            "75.00",
            "75.00",
            "true"
        ]])
    );
    assert_eq!(
        z.query(REVENUE),
        rows(&[&["2026-01-01", "1", "0", "80.00", "75.00", "75.00", "75.00"]])
    );
}

/// Spec §2 dim_customer / fact_orders.customer_sk: the version valid at
/// order_created_at, versions closed at the next one's valid_from.
#[test]
fn scd2_boundary_picks_the_version_valid_at_order_created_at() {
    let z = Zone::new();

    // Day 1: C1 in DE; one order that day.
    z.customers(
        "2026-01-01",
        &["C1,buyer@example.com,DE,consumer,2026-01-01T08:00:00Z"],
    );
    z.fx_default("2026-01-01", "2026-01-01");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[created("O0", "2026-01-01T09:00:00Z", "USD", "10.00")],
    );
    z.run();

    // Day 2: C1 moves to FR at 12:00:00; orders a second before, exactly at
    // and a second after the change.
    z.customers(
        "2026-01-02",
        &["C1,buyer@example.com,FR,consumer,2026-01-02T12:00:00Z"],
    );
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[
            created("O1", "2026-01-02T11:59:59Z", "USD", "11.00"),
            created("O2", "2026-01-02T12:00:00Z", "USD", "12.00"),
            created("O3", "2026-01-02T12:00:01Z", "USD", "13.00"),
        ],
    );
    z.run();

    assert_eq!(
        z.query(
            "SELECT customer_id, country, segment, valid_from, valid_to, is_current \
             FROM dw.dim_customer ORDER BY valid_from"
        ),
        rows(&[
            &[
                "C1",
                "DE",
                "consumer",
                "2026-01-01 08:00:00.000000",
                "2026-01-02 12:00:00.000000",
                "false"
            ],
            &[
                "C1",
                "FR",
                "consumer",
                "2026-01-02 12:00:00.000000",
                "NULL",
                "true"
            ],
        ])
    );
    // valid_from <= order_created_at < valid_to.
    assert_eq!(
        z.query(
            "SELECT f.order_id, d.country, d.valid_from FROM dw.fact_orders f \
             LEFT JOIN dw.dim_customer d USING (customer_sk) ORDER BY f.order_id"
        ),
        rows(&[
            &["O0", "DE", "2026-01-01 08:00:00.000000"],
            &["O1", "DE", "2026-01-01 08:00:00.000000"],
            &["O2", "FR", "2026-01-02 12:00:00.000000"],
            &["O3", "FR", "2026-01-02 12:00:00.000000"],
        ])
    );
    assert_eq!(
        z.scalar("SELECT count(DISTINCT customer_sk) FROM dw.dim_customer"),
        "2"
    );
}

/// The partitions of dw.fact_orders the last run recomputed, from audit.models.
fn fact_partitions(z: &Zone) -> String {
    z.scalar(
        "SELECT coalesce(partitions, '') FROM audit.models WHERE model = 'dw.fact_orders' \
         ORDER BY ended_at DESC LIMIT 1",
    )
}

/// An order references the customer version valid at its order_created_at
/// (`valid_at` in fact_orders' header): a new version recomputes only the
/// orders it now covers, not every order of the customer, and a late
/// snapshot older than every version moves the orders that predate it. Each
/// step ends equal to a full refresh.
#[test]
fn a_new_customer_version_recomputes_only_the_orders_it_now_covers() {
    let z = Zone::new();
    let assignments = "SELECT f.order_id, f.order_date, d.country FROM dw.fact_orders f \
                       LEFT JOIN dw.dim_customer d USING (customer_sk) ORDER BY f.order_id";
    let same_as_full_refresh = |z: &Zone| {
        let full = z.db.with_file_name("full.duckdb");
        let _ = std::fs::remove_file(&full);
        pushdown_ok(
            &[
                "run",
                "--project",
                z.project.to_str().unwrap(),
                "--mode",
                "full-refresh",
            ],
            &z.landing,
            &full,
        );
        for t in ["dw.fact_orders", "dw.dim_customer", "mart.revenue_daily"] {
            let sql = format!("SELECT * FROM {t} ORDER BY ALL");
            assert_eq!(z.query(&sql), query(&full, &sql), "{t}: incremental vs full refresh");
        }
    };

    // Days 1-3: C1 in DE from 2026-01-01 08:00; O0 predates that version
    // (it takes the earliest one), O1..O3 one a day.
    z.customer_c1("2026-01-01", "2026-01-01T08:00:00Z");
    for (day, order, at) in [
        ("2026-01-01", "O0", "2025-12-31T10:00:00Z"),
        ("2026-01-01", "O1", "2026-01-01T10:00:00Z"),
        ("2026-01-02", "O2", "2026-01-02T10:00:00Z"),
        ("2026-01-03", "O3", "2026-01-03T10:00:00Z"),
    ] {
        z.fx_default(day, &at[..10]);
        z.orders(day, &format!("orders_{order}.jsonl"), &[created(order, at, "USD", "10.00")]);
        z.run();
    }

    // Day 4: C1 moves to FR at 2026-01-03 12:00, after O3; O4 is placed in FR.
    // Only O4's partition and O0's (an order before every version is
    // recomputed whenever its customer changes) are rebuilt: O1..O3 stay in
    // the DE version, whose interval still holds them.
    z.customers(
        "2026-01-04",
        &["C1,buyer@example.com,FR,consumer,2026-01-03T12:00:00Z"],
    );
    z.fx_default("2026-01-04", "2026-01-04");
    z.orders(
        "2026-01-04",
        "orders_O4.jsonl",
        &[created("O4", "2026-01-04T10:00:00Z", "USD", "10.00")],
    );
    z.run();
    assert_eq!(fact_partitions(&z), "2025-12-31,2026-01-04");
    assert_eq!(
        z.query(assignments),
        rows(&[
            &["O0", "2025-12-31", "DE"],
            &["O1", "2026-01-01", "DE"],
            &["O2", "2026-01-02", "DE"],
            &["O3", "2026-01-03", "DE"],
            &["O4", "2026-01-04", "FR"],
        ])
    );
    same_as_full_refresh(&z);

    // Day 5: a late snapshot from 2025-12-30 (US), older than every version.
    // DE's version keeps its interval; O0 now lies in the US version's.
    z.customers(
        "2026-01-05",
        &["C1,buyer@example.com,US,consumer,2025-12-30T00:00:00Z"],
    );
    z.run();
    assert_eq!(fact_partitions(&z), "2025-12-31");
    assert_eq!(z.query(assignments)[0], ["O0", "2025-12-31", "US"]);
    same_as_full_refresh(&z);
}

/// Spec §2 dim_customer: "an unchanged re-export adds no version"; a changed
/// tracked attribute does.
#[test]
fn unchanged_reexport_adds_no_version_and_a_changed_segment_does() {
    let z = Zone::new();
    let token = email_token("ann.lee@example.com");

    // Day 1: first export.
    z.customers(
        "2026-01-01",
        &["C1,Ann.Lee@Example.com,de,consumer,2026-01-01T08:00:00Z"],
    );
    z.fx_default("2026-01-01", "2026-01-01");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[created("O1", "2026-01-01T10:00:00Z", "USD", "10.00")],
    );
    z.run();

    // Day 2: the same attributes written differently, later updated_at.
    z.customers(
        "2026-01-02",
        &["C1,  ANN.LEE@example.COM , DE ,consumer,2026-01-02T08:00:00Z"],
    );
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[created("O2", "2026-01-02T10:00:00Z", "USD", "20.00")],
    );
    z.run();

    let dim = "SELECT customer_id, email_token, country, segment, valid_from, valid_to, is_current \
               FROM dw.dim_customer ORDER BY valid_from";
    assert_eq!(
        z.query(dim),
        rows(&[&[
            "C1",
            &token,
            "DE",
            "consumer",
            "2026-01-01 08:00:00.000000",
            "NULL",
            "true"
        ]])
    );

    // Day 3: the segment changes: a second version from its updated_at.
    z.customers(
        "2026-01-03",
        &["C1,ann.lee@example.com,DE,smb,2026-01-03T08:00:00Z"],
    );
    z.fx_default("2026-01-03", "2026-01-03");
    z.orders(
        "2026-01-03",
        "orders_2026-01-03_01.jsonl",
        &[created("O3", "2026-01-03T10:00:00Z", "USD", "30.00")],
    );
    z.run();

    assert_eq!(
        z.query(dim),
        rows(&[
            &[
                "C1",
                &token,
                "DE",
                "consumer",
                "2026-01-01 08:00:00.000000",
                "2026-01-03 08:00:00.000000",
                "false"
            ],
            &[
                "C1",
                &token,
                "DE",
                "smb",
                "2026-01-03 08:00:00.000000",
                "NULL",
                "true"
            ],
        ])
    );
    assert_eq!(
        z.query(
            "SELECT f.order_id, d.segment, d.valid_from FROM dw.fact_orders f \
             LEFT JOIN dw.dim_customer d USING (customer_sk) ORDER BY f.order_id"
        ),
        rows(&[
            &["O1", "consumer", "2026-01-01 08:00:00.000000"],
            &["O2", "consumer", "2026-01-01 08:00:00.000000"],
            &["O3", "smb", "2026-01-03 08:00:00.000000"],
        ])
    );
}

/// Spec §2 mart.revenue_daily.p95_net_usd: continuous 95th percentile over
/// not-cancelled orders, rounded to 2 places, null when there are none (the
/// row is still there).
#[test]
fn p95_single_order_only_cancelled_and_interpolated() {
    let z = Zone::new();

    // 2026-01-01: one qualifying order (12.34) and one cancelled (99.00).
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    let x1 = created("X1", "2026-01-01T09:00:00Z", "USD", "99.00");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            created("O1", "2026-01-01T08:00:00Z", "USD", "12.34"),
            x1.clone(),
            cancelled(&x1, "2026-01-01T09:30:00Z"),
        ],
    );
    z.run();

    // 2026-01-02: only cancelled orders.
    z.fx_default("2026-01-02", "2026-01-02");
    let x2 = created("X2", "2026-01-02T09:00:00Z", "USD", "40.00");
    let x3 = created("X3", "2026-01-02T10:00:00Z", "EUR", "50.00");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[
            x2.clone(),
            x3.clone(),
            cancelled(&x2, "2026-01-02T11:00:00Z"),
            cancelled(&x3, "2026-01-02T11:00:00Z"),
        ],
    );
    z.run();

    // 2026-01-03: four orders, written out of value order; EUR at 1.025000.
    z.fx("2026-01-03", "2026-01-03", "1.025000", "1.250000");
    z.orders(
        "2026-01-03",
        "orders_2026-01-03_01.jsonl",
        &[
            created("Q1", "2026-01-03T08:00:00Z", "USD", "30.00"),
            created("Q2", "2026-01-03T09:00:00Z", "EUR", "40.01"),
            created("Q3", "2026-01-03T10:00:00Z", "USD", "10.00"),
            created("Q4", "2026-01-03T11:00:00Z", "USD", "20.00"),
        ],
    );
    z.run();

    // Q2: 40.01 x 1.025 = 41.01025 -> 41.01 USD.
    // 2026-01-03 sorted: [10.00, 20.00, 30.00, 41.01]; position 0.95 x 3 = 2.85:
    //   30.00 + 0.85 x (41.01 - 30.00) = 30.00 + 9.3585 = 39.3585 -> 39.36.
    //   sums: 10.00 + 20.00 + 30.00 + 41.01 = 101.01.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &["2026-01-01", "1", "1", "12.34", "12.34", "0.00", "12.34"],
            &["2026-01-02", "0", "2", "0.00", "0.00", "0.00", "NULL"],
            &["2026-01-03", "4", "0", "101.01", "101.01", "0.00", "39.36"],
        ])
    );
}

/// Spec §2 mart.sla_breaches_daily: a breach is a delivery MORE than 72 hours
/// after order_created_at; breach_rate rounded to 4 places, null when nothing
/// was delivered; pending = not cancelled and not delivered.
#[test]
fn sla_72_hour_boundary_rounding_and_pending() {
    let z = Zone::new();

    // Folder 2026-01-01: orders A..E of 2026-01-01, E cancelled; labels.
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    let e = created("E", "2026-01-01T14:00:00Z", "USD", "10.00");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            created("A", "2026-01-01T10:00:00Z", "USD", "10.00"),
            created("B", "2026-01-01T11:00:00Z", "USD", "10.00"),
            created("C", "2026-01-01T12:00:00Z", "USD", "10.00"),
            created("D", "2026-01-01T13:00:00Z", "USD", "10.00"),
            e.clone(),
            cancelled(&e, "2026-01-01T15:00:00Z"),
        ],
    );
    z.shipments(
        "2026-01-01",
        "shipments_2026-01-01_01.csv",
        &[
            "SA,A,2026-01-01T16:00:00Z,label_created,DHL",
            "SB,B,2026-01-01T16:00:00Z,label_created,DHL",
            "SC,C,2026-01-01T16:00:00Z,label_created,DHL",
            "SD,D,2026-01-01T16:00:00Z,label_created,DHL",
            "SE,E,2026-01-01T16:00:00Z,label_created,DHL",
        ],
    );
    z.run();
    assert_eq!(
        z.query(SLA),
        rows(&[&["2026-01-01", "0", "0", "4", "NULL"]])
    );

    // Folder 2026-01-02: C delivered after 24 h; orders F, G, H of 2026-01-02.
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[
            created("F", "2026-01-02T08:00:00Z", "USD", "10.00"),
            created("G", "2026-01-02T08:00:00Z", "USD", "10.00"),
            created("H", "2026-01-02T08:00:00Z", "USD", "10.00"),
        ],
    );
    z.shipments(
        "2026-01-02",
        "shipments_2026-01-02_01.csv",
        &["SC,C,2026-01-02T12:00:00Z,delivered,DHL"],
    );
    z.run();
    // 0 breached / 1 delivered = 0.0000; A, B, D pending.
    assert_eq!(
        z.query(SLA),
        rows(&[
            &["2026-01-01", "1", "0", "3", "0.0000"],
            &["2026-01-02", "0", "0", "3", "NULL"],
        ])
    );

    // Folder 2026-01-04: A at exactly 72 h, B at 72 h + 1 s, the cancelled E
    // at 73 h (ignored), H after 24 h; the 32 orders N00..N31 of 2026-01-03,
    // N01..N31 delivered well within 72 h.
    z.fx_default("2026-01-04", "2026-01-03");
    let n: Vec<Value> = (0..32)
        .map(|i| {
            created(
                &format!("N{i:02}"),
                &format!("2026-01-03T00:{i:02}:00Z"),
                "USD",
                "10.00",
            )
        })
        .collect();
    z.orders("2026-01-04", "orders_2026-01-04_01.jsonl", &n);
    let mut ship = vec![
        "SA,A,2026-01-04T10:00:00Z,delivered,DHL".to_string(),
        "SB,B,2026-01-04T11:00:01Z,delivered,DHL".to_string(),
        "SE,E,2026-01-04T15:00:00Z,delivered,DHL".to_string(),
        "SH,H,2026-01-03T08:00:00Z,delivered,UPS".to_string(),
    ];
    for i in 1..32 {
        ship.push(format!(
            "SN{i:02},N{i:02},2026-01-04T12:00:00Z,delivered,UPS"
        ));
    }
    let ship: Vec<&str> = ship.iter().map(String::as_str).collect();
    z.shipments("2026-01-04", "shipments_2026-01-04_01.csv", &ship);
    z.run();
    // 2026-01-01: delivered A, B, C = 3; breached B only (A is exactly 72 h,
    // not more); pending D = 1; 1 / 3 = 0.33333 -> 0.3333.
    assert_eq!(
        z.query(SLA),
        rows(&[
            &["2026-01-01", "3", "1", "1", "0.3333"],
            &["2026-01-02", "1", "0", "2", "0.0000"],
            &["2026-01-03", "31", "0", "1", "0.0000"],
        ])
    );

    // Folder 2026-01-06: F at 72 h + 1 s, G at 73 h, N00 at 72 h + 1 s.
    z.shipments(
        "2026-01-06",
        "shipments_2026-01-06_01.csv",
        &[
            "SF,F,2026-01-05T08:00:01Z,delivered,UPS",
            "SG,G,2026-01-05T09:00:00Z,delivered,UPS",
            "SN00,N00,2026-01-06T00:00:01Z,delivered,UPS",
        ],
    );
    z.run();
    // 2026-01-02: 2 / 3 = 0.66666 -> 0.6667 (rounded, not truncated).
    // 2026-01-03: 1 / 32 = 0.03125 -> 0.0313 (half away from zero, not to even).
    assert_eq!(
        z.query(SLA),
        rows(&[
            &["2026-01-01", "3", "1", "1", "0.3333"],
            &["2026-01-02", "3", "2", "0", "0.6667"],
            &["2026-01-03", "32", "1", "0", "0.0313"],
        ])
    );
    assert_eq!(
        z.query(
            "SELECT order_id, delivered_at FROM dw.fact_orders \
             WHERE order_id IN ('A', 'B', 'D', 'E') ORDER BY order_id"
        ),
        rows(&[
            &["A", "2026-01-04 10:00:00.000000"],
            &["B", "2026-01-04 11:00:01.000000"],
            &["D", "NULL"],
            &["E", "2026-01-04 15:00:00.000000"],
        ])
    );
}

/// Spec §1/§3: the same file delivered twice lands once; the same event in
/// two files does not count twice downstream.
#[test]
fn redelivered_file_and_duplicate_events_land_once() {
    let z = Zone::new();

    // Day 1.
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    let o1 = created("O1", "2026-01-01T10:00:00Z", "USD", "10.00");
    let o2 = created("O2", "2026-01-01T11:00:00Z", "EUR", "20.00");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[o1.clone(), o2.clone()],
    );
    z.payments(
        "2026-01-01",
        "payments_2026-01-01_01.csv",
        &[
            "P1,O1,2026-01-01T10:05:00Z,captured,10.00,USD,1",
            "P2,O2,2026-01-01T11:05:00Z,captured,20.00,EUR,1",
        ],
    );
    z.shipments(
        "2026-01-01",
        "shipments_2026-01-01_01.csv",
        &["S1,O1,2026-01-01T15:00:00Z,label_created,DHL"],
    );
    z.run();
    assert_eq!(z.count("raw.orders_events"), "2");
    assert_eq!(z.count("raw.payments_events"), "2");

    // Day 2: the day-1 files again byte for byte (orders and payments under
    // another name, customers under the same name), plus new files holding a
    // duplicate of an event already landed and one new order.
    for (source, file) in [
        ("orders_events", "orders_2026-01-01_01.jsonl"),
        ("payments_events", "payments_2026-01-01_01.csv"),
    ] {
        let bytes = z.read(source, "2026-01-01", file);
        z.write_bytes(source, "2026-01-02", &format!("resend_{file}"), &bytes);
    }
    let bytes = z.read("customers", "2026-01-01", "customers_2026-01-01.csv");
    z.write_bytes(
        "customers",
        "2026-01-02",
        "customers_2026-01-01.csv",
        &bytes,
    );
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_retry.jsonl",
        &[
            o2.clone(),
            created("O3", "2026-01-02T09:00:00Z", "USD", "30.00"),
        ],
    );
    z.payments(
        "2026-01-02",
        "payments_2026-01-02_retry.csv",
        &[
            "P2,O2,2026-01-01T11:05:00Z,captured,20.00,EUR,1",
            "P3,O3,2026-01-02T09:05:00Z,captured,30.00,USD,1",
        ],
    );
    z.shipments(
        "2026-01-02",
        "shipments_2026-01-02_retry.csv",
        &[
            "S1,O1,2026-01-01T15:00:00Z,label_created,DHL",
            "S3,O3,2026-01-02T15:00:00Z,label_created,UPS",
        ],
    );
    z.run();

    // raw is append-only and keeps the duplicate events, but not the resent
    // files: 2 (day 1) + 0 (resent) + 2 (retry) orders and payments events;
    // 1 + 2 shipment events; 1 + 0 customers.
    assert_eq!(z.count("raw.orders_events"), "4");
    assert_eq!(z.count("raw.payments_events"), "4");
    assert_eq!(z.count("raw.shipments_events"), "3");
    assert_eq!(z.count("raw.customers"), "1");
    assert_eq!(z.count("raw.rejects"), "0");
    assert_eq!(
        z.query(
            "SELECT source, file, status, rows FROM audit.files \
             WHERE file LIKE '%/2026-01-02/%' AND status = 'skipped' ORDER BY file"
        ),
        rows(&[
            &[
                "customers",
                "customers/2026-01-02/customers_2026-01-01.csv",
                "skipped",
                "0"
            ],
            &[
                "orders_events",
                "orders_events/2026-01-02/resend_orders_2026-01-01_01.jsonl",
                "skipped",
                "0"
            ],
            &[
                "payments_events",
                "payments_events/2026-01-02/resend_payments_2026-01-01_01.csv",
                "skipped",
                "0"
            ],
        ])
    );
    // The ledger holds each content once: day 1's 5 files + day 2's 4 new.
    assert_eq!(z.count("audit.landed_files"), "9");

    // Downstream: one row per key, nothing counted twice.
    assert_eq!(z.count("ods.orders_current"), "3");
    assert_eq!(z.count("ods.payments_current"), "3");
    assert_eq!(z.count("ods.shipment_milestones"), "2");
    assert_eq!(z.count("dw.dim_customer"), "1");
    assert_eq!(z.count("dw.fact_orders"), "3");
    assert_eq!(z.count("dw.fact_shipments"), "2");
    // 2026-01-01: O1 10.00 + O2 20.00 EUR x 1.1 = 22.00 -> 32.00;
    // p95 of [10.00, 22.00]: 10.00 + 0.95 x 12.00 = 21.40.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &["2026-01-01", "2", "0", "32.00", "32.00", "32.00", "21.40"],
            &["2026-01-02", "1", "0", "30.00", "30.00", "30.00", "30.00"],
        ])
    );
}

/// Spec §2 fact_orders: net_amount = gross − discount (discount 0 when
/// missing or null); USD amounts = round(x × usd_rate, 2), half away from
/// zero.
#[test]
fn discount_missing_null_present_and_usd_rounding() {
    let z = Zone::new();
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx("2026-01-01", "2026-01-01", "1.050000", "1.270000");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            without(
                created("D1", "2026-01-01T08:00:00Z", "USD", "20.00"),
                "discount_amount",
            ),
            with(
                created("D2", "2026-01-01T09:00:00Z", "USD", "20.00"),
                json!({"discount_amount": null}),
            ),
            with(
                created("D3", "2026-01-01T10:00:00Z", "EUR", "12.05"),
                json!({"discount_amount": "2.00"}),
            ),
            with(
                created("D4", "2026-01-01T11:00:00Z", "EUR", "10.30"),
                json!({"discount_amount": "0.20"}),
            ),
            created("D5", "2026-01-01T12:00:00Z", "GBP", "9.50"),
        ],
    );
    z.run();

    // D1: missing -> 0.00; net 20.00; x 1.000000.
    // D2: null    -> 0.00; net 20.00.
    // D3: net 12.05 - 2.00 = 10.05; 10.05 x 1.05 = 10.5525 -> 10.55;
    //     gross 12.05 x 1.05 = 12.6525 -> 12.65.
    // D4: net 10.30 - 0.20 = 10.10; 10.10 x 1.05 = 10.605 -> 10.61 (exact
    //     .xx5: half away from zero; half-to-even would give 10.60);
    //     gross 10.30 x 1.05 = 10.815 -> 10.82.
    // D5: net 9.50 x 1.27 = 12.065 -> 12.07 (half-to-even: 12.06).
    assert_eq!(
        z.query(
            "SELECT order_id, currency, gross_amount, discount_amount, net_amount, usd_rate, \
                    net_amount_usd, gross_amount_usd FROM dw.fact_orders ORDER BY order_id"
        ),
        rows(&[
            &[
                "D1", "USD", "20.00", "0.00", "20.00", "1.000000", "20.00", "20.00"
            ],
            &[
                "D2", "USD", "20.00", "0.00", "20.00", "1.000000", "20.00", "20.00"
            ],
            &[
                "D3", "EUR", "12.05", "2.00", "10.05", "1.050000", "10.55", "12.65"
            ],
            &[
                "D4", "EUR", "10.30", "0.20", "10.10", "1.050000", "10.61", "10.82"
            ],
            &[
                "D5", "GBP", "9.50", "0.00", "9.50", "1.270000", "12.07", "12.07"
            ],
        ])
    );
    assert_eq!(
        z.query("SELECT order_id, discount_amount FROM ods.orders_current ORDER BY order_id"),
        rows(&[
            &["D1", "0.00"],
            &["D2", "0.00"],
            &["D3", "2.00"],
            &["D4", "0.20"],
            &["D5", "0.00"],
        ])
    );
    // gross: 20.00 + 20.00 + 12.65 + 10.82 + 12.07 = 75.54
    // net:   20.00 + 20.00 + 10.55 + 10.61 + 12.07 = 73.23
    // p95 of [10.55, 10.61, 12.07, 20.00, 20.00] at 0.95 x 4 = 3.8:
    //   20.00 + 0.8 x 0 = 20.00.
    assert_eq!(
        z.query(REVENUE),
        rows(&[&["2026-01-01", "5", "0", "75.54", "73.23", "0.00", "20.00"]])
    );
}

/// Spec §1/§2: event_time may carry any UTC offset; order_date is the UTC
/// date of order_created_at, which is the UTC instant.
#[test]
fn every_utc_offset_around_midnight() {
    let z = Zone::new();
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    z.fx_default("2026-01-01", "2026-01-02");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            created("T1", "2026-01-02T00:30:00+01:00", "USD", "1.00"),
            created("T3", "2026-01-02T05:30:00+05:45", "USD", "3.00"),
            created("T5", "2026-01-02T13:59:59+14:00", "USD", "5.00"),
            created("T7", "2026-01-01T23:59:59Z", "USD", "7.00"),
        ],
    );
    z.run();
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[
            created("T2", "2026-01-01T20:00:00-05:00", "USD", "2.00"),
            created("T4", "2026-01-01T15:00:00-09:30", "USD", "4.00"),
            created("T6", "2026-01-01T12:00:00-12:00", "USD", "6.00"),
            created("T8", "2026-01-02T00:00:00+00:00", "USD", "8.00"),
        ],
    );
    z.run();

    // T1 00:30 +01:00 -> 2026-01-01 23:30 UTC
    // T2 20:00 -05:00 -> 2026-01-02 01:00 UTC
    // T3 05:30 +05:45 -> 2026-01-01 23:45 UTC
    // T4 15:00 -09:30 -> 2026-01-02 00:30 UTC
    // T5 13:59:59 +14:00 -> 2026-01-01 23:59:59 UTC
    // T6 12:00 -12:00 -> 2026-01-02 00:00 UTC (exactly midnight)
    // T7 23:59:59 Z   -> 2026-01-01 23:59:59 UTC
    // T8 00:00 +00:00 -> 2026-01-02 00:00 UTC
    assert_eq!(
        z.query(
            "SELECT order_id, order_date, order_created_at FROM dw.fact_orders ORDER BY order_id"
        ),
        rows(&[
            &["T1", "2026-01-01", "2026-01-01 23:30:00.000000"],
            &["T2", "2026-01-02", "2026-01-02 01:00:00.000000"],
            &["T3", "2026-01-01", "2026-01-01 23:45:00.000000"],
            &["T4", "2026-01-02", "2026-01-02 00:30:00.000000"],
            &["T5", "2026-01-01", "2026-01-01 23:59:59.000000"],
            &["T6", "2026-01-02", "2026-01-02 00:00:00.000000"],
            &["T7", "2026-01-01", "2026-01-01 23:59:59.000000"],
            &["T8", "2026-01-02", "2026-01-02 00:00:00.000000"],
        ])
    );
    assert_eq!(
        z.query("SELECT order_id, event_time FROM ods.orders_current ORDER BY order_id")
            .into_iter()
            .map(|r| r[1].clone())
            .collect::<Vec<_>>(),
        [
            "2026-01-01 23:30:00.000000",
            "2026-01-02 01:00:00.000000",
            "2026-01-01 23:45:00.000000",
            "2026-01-02 00:30:00.000000",
            "2026-01-01 23:59:59.000000",
            "2026-01-02 00:00:00.000000",
            "2026-01-01 23:59:59.000000",
            "2026-01-02 00:00:00.000000",
        ]
    );
    // 2026-01-01: T1 + T3 + T5 + T7 = 1 + 3 + 5 + 7 = 16.00;
    //   p95 of [1, 3, 5, 7] at 2.85: 5 + 0.85 x 2 = 6.70.
    // 2026-01-02: T2 + T4 + T6 + T8 = 2 + 4 + 6 + 8 = 20.00;
    //   p95 of [2, 4, 6, 8] at 2.85: 6 + 0.85 x 2 = 7.70.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &["2026-01-01", "4", "0", "16.00", "16.00", "0.00", "6.70"],
            &["2026-01-02", "4", "0", "20.00", "20.00", "0.00", "7.70"],
        ])
    );
    assert_eq!(
        z.query("SELECT min(date), max(date), count(*) FROM dw.dim_date"),
        rows(&[&["2026-01-01", "2026-01-02", "2"]])
    );
}

/// Spec §3: "the affected partitions of a run are the order_dates of every
/// order whose order, payment or shipment state changed in that run, not only
/// the last N days" — a delivery and an update landing 10 days late.
///
/// (The 3-day lookback is measured on `_ingested_at`, wall-clock time, so in
/// a test every raw row is inside it; what this guards is that the change
/// travels from ods through dw to the marts into the partition of an order
/// date ten days older than the newest data, and only there.)
#[test]
fn late_change_reaches_a_partition_outside_the_lookback() {
    let z = Zone::new();

    // Folder 2026-01-01: O1 and O2, labels.
    z.customer_c1("2026-01-01", "2026-01-01T00:00:00Z");
    z.fx_default("2026-01-01", "2026-01-01");
    z.orders(
        "2026-01-01",
        "orders_2026-01-01_01.jsonl",
        &[
            created("O1", "2026-01-01T10:00:00Z", "USD", "10.00"),
            created("O2", "2026-01-01T11:00:00Z", "USD", "20.00"),
        ],
    );
    z.shipments(
        "2026-01-01",
        "shipments_2026-01-01_01.csv",
        &[
            "S1,O1,2026-01-01T12:00:00Z,label_created,DHL",
            "S2,O2,2026-01-01T12:00:00Z,label_created,DHL",
        ],
    );
    z.run();

    // Folder 2026-01-02: O2 delivered in time; a new order O3.
    z.fx_default("2026-01-02", "2026-01-02");
    z.orders(
        "2026-01-02",
        "orders_2026-01-02_01.jsonl",
        &[created("O3", "2026-01-02T10:00:00Z", "USD", "30.00")],
    );
    z.shipments(
        "2026-01-02",
        "shipments_2026-01-02_01.csv",
        &["S2,O2,2026-01-02T09:00:00Z,delivered,DHL"],
    );
    z.run();
    assert_eq!(
        z.query(SLA),
        rows(&[
            &["2026-01-01", "1", "0", "1", "0.0000"],
            &["2026-01-02", "0", "0", "1", "NULL"],
        ])
    );

    // Folder 2026-01-11, ten days on: S1 delivered (10 days after O1, a
    // breach), O2 updated to 25.00, and a new order O4.
    z.fx_default("2026-01-11", "2026-01-11");
    z.orders(
        "2026-01-11",
        "orders_2026-01-11_01.jsonl",
        &[
            order_event(
                "O2",
                "order_updated",
                "2026-01-10T08:00:00Z",
                2,
                "USD",
                "25.00",
            ),
            created("O4", "2026-01-11T10:00:00Z", "USD", "40.00"),
        ],
    );
    z.shipments(
        "2026-01-11",
        "shipments_2026-01-11_01.csv",
        &["S1,O1,2026-01-11T09:00:00Z,delivered,DHL"],
    );
    z.run();

    assert_eq!(
        z.query(
            "SELECT order_id, order_date, gross_amount, delivered_at FROM dw.fact_orders ORDER BY order_id"
        ),
        rows(&[
            &["O1", "2026-01-01", "10.00", "2026-01-11 09:00:00.000000"],
            &["O2", "2026-01-01", "25.00", "2026-01-02 09:00:00.000000"],
            &["O3", "2026-01-02", "30.00", "NULL"],
            &["O4", "2026-01-11", "40.00", "NULL"],
        ])
    );
    assert_eq!(
        z.query(
            "SELECT shipment_id, order_date, label_created_at, delivered_at FROM dw.fact_shipments ORDER BY shipment_id"
        ),
        rows(&[
            &[
                "S1",
                "2026-01-01",
                "2026-01-01 12:00:00.000000",
                "2026-01-11 09:00:00.000000"
            ],
            &[
                "S2",
                "2026-01-01",
                "2026-01-01 12:00:00.000000",
                "2026-01-02 09:00:00.000000"
            ],
        ])
    );
    // 2026-01-01: O1 delivered after 239 h (breach) and O2 after 22 h:
    // 1 / 2 = 0.5000, nothing pending. 2026-01-02 unchanged.
    assert_eq!(
        z.query(SLA),
        rows(&[
            &["2026-01-01", "2", "1", "0", "0.5000"],
            &["2026-01-02", "0", "0", "1", "NULL"],
            &["2026-01-11", "0", "0", "1", "NULL"],
        ])
    );
    // 2026-01-01 net: 10.00 + 25.00 = 35.00 (was 10.00 + 20.00 = 30.00);
    // p95 of [10, 25] at 0.95: 10 + 0.95 x 15 = 24.25.
    assert_eq!(
        z.query(REVENUE),
        rows(&[
            &["2026-01-01", "2", "0", "35.00", "35.00", "0.00", "24.25"],
            &["2026-01-02", "1", "0", "30.00", "30.00", "0.00", "30.00"],
            &["2026-01-11", "1", "0", "40.00", "40.00", "0.00", "40.00"],
        ])
    );
}
