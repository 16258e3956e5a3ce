//! The oracle's rules, one tiny hand-written landing zone each.

mod common;

use std::str::FromStr;

use chrono::{Duration, NaiveDate};
use common::{date, put, ts};
use ecommerce_gen::oracle::{self, Expected, email_token};
use rust_decimal::Decimal;
use tempfile::TempDir;

const KEY: &[u8] = b"secret";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// An order event line; `extra` is appended inside the object (start it with a comma).
fn ev(order: &str, kind: &str, time: &str, version: i64, gross: &str, extra: &str) -> String {
    let status = if kind == "order_cancelled" {
        "cancelled"
    } else {
        "placed"
    };
    format!(
        r#"{{"event_id":"{order}-{version}","order_id":"{order}","customer_id":"C1","customer_email":" Bob@Example.com","event_type":"{kind}","event_time":"{time}","version":{version},"status":"{status}","currency":"USD","gross_amount":"{gross}","tax_amount":"1.00","country":"de"{extra}}}"#
    )
}

fn created(order: &str, time: &str, gross: &str) -> String {
    ev(order, "order_created", time, 1, gross, "")
}

fn run(dir: &TempDir) -> Expected {
    oracle::expected(dir.path(), KEY, None).unwrap()
}

fn fact<'a>(e: &'a Expected, order: &str) -> &'a oracle::FactOrder {
    e.fact_orders.iter().find(|f| f.order_id == order).unwrap()
}

const PAY_HEADER: &str = "payment_id,order_id,event_time,status,amount,currency,version\n";
const SHIP_HEADER: &str = "shipment_id,order_id,event_time,milestone,carrier\n";
const CUST_HEADER: &str = "customer_id,email,country,segment,updated_at\n";
const FX_HEADER: &str = "rate_date,currency,usd_rate\n";

#[test]
fn email_token_is_a_keyed_hmac_of_the_trimmed_lowercased_address() {
    let expected = "19d2874a5656a44394f7a94c5fa00a19a04fd9114939a49ed875ff70385f0352";
    assert_eq!(email_token(KEY, "bob@example.com"), expected);
    assert_eq!(email_token(KEY, "  Bob@Example.COM "), expected);
    assert_ne!(email_token(b"other", "bob@example.com"), expected);
}

#[test]
fn line_numbers_blank_lines_and_csv_quoting() {
    let dir = TempDir::new().unwrap();
    let ok = created("O1", "2026-01-01T10:00:00Z", "10.00");
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &format!(
            "{ok}\n\noops bob@example.com {{\n{}\n",
            created("O2", "2026-01-01T11:00:00Z", "5.00")
        ),
    );
    put(
        dir.path(),
        "payments_events/2026-01-01/p.csv",
        &format!(
            "{PAY_HEADER}P1,O1,2026-01-01T10:05:00Z,captured,10.00,USD,2\n\
             P2,O1,2026-01-01T10:05:00Z,captured,10.00,USD\n\
             \n\
             P3,O1,2026-01-01T10:06:00Z,\"multi\nline\",10.00,USD,1\n\
             P4,O1,2026-01-01T10:07:00Z,captured,\"1,234.00\",USD,1\n\
             P5,O1,not-a-time,captured,1.00,USD,1\n\
             ,O1,2026-01-01T10:07:00Z,captured,1.00,USD,1\n\
             P6,O1,2026-01-01T10:08:00Z,captured,,USD,\n"
        ),
    );
    put(dir.path(), "shipments_events/2026-01-01/s.csv", SHIP_HEADER);
    put(
        dir.path(),
        "fx_rates/2026-01-01/fx.csv",
        &format!(
            "{FX_HEADER}2026-01-01,EUR,n/a\n2026/01/01,EUR,1.000000\n2026-01-01,EUR\n2026-01-01,EUR,1.100000"
        ),
    );
    let e = run(&dir);
    assert_eq!(e.raw_rows["orders_events"], 2);
    assert_eq!(
        e.raw_rows["payments_events"], 3,
        "P1, P3 (spans two lines), P6"
    );
    assert_eq!(e.raw_rows["shipments_events"], 0);
    assert_eq!(e.raw_rows["customers"], 0);
    assert_eq!(e.raw_rows["fx_rates"], 1);
    let lines = |source: &str| -> Vec<u64> {
        e.reject_lines
            .iter()
            .filter(|r| r.source == source)
            .map(|r| r.line)
            .collect()
    };
    assert_eq!(lines("orders_events"), vec![2, 3]);
    assert_eq!(lines("payments_events"), vec![3, 4, 7, 8, 9]);
    assert_eq!(lines("fx_rates"), vec![2, 3, 4]);
    assert_eq!(e.rejects, 10);
    assert_eq!(e.rejects_by_source["payments_events"], 5);
    assert_eq!(e.rejects_by_source["shipments_events"], 0);
    let p6 = e
        .payments_current
        .iter()
        .find(|p| p.payment_id == "P6")
        .unwrap();
    assert_eq!((p6.amount, p6.version), (None, None));
}

#[test]
fn a_file_already_loaded_is_skipped_under_any_name() {
    let dir = TempDir::new().unwrap();
    let first = format!("{}\n", created("O1", "2026-01-01T10:00:00Z", "10.00"));
    put(dir.path(), "orders_events/2026-01-01/a.jsonl", &first);
    put(dir.path(), "orders_events/2026-01-01/a_copy.jsonl", &first);
    put(
        dir.path(),
        "orders_events/2026-01-03/resend_a.jsonl",
        &first,
    );
    // Same name, other bytes: a new file.
    let update = ev(
        "O1",
        "order_updated",
        "2026-01-02T10:00:00Z",
        2,
        "12.00",
        "",
    );
    put(
        dir.path(),
        "orders_events/2026-01-03/a.jsonl",
        &format!("{update}\n"),
    );
    let pay = format!("{PAY_HEADER}P1,O1,2026-01-01T10:05:00Z,captured,10.00,USD,2\n");
    put(dir.path(), "payments_events/2026-01-01/p.csv", &pay);
    put(dir.path(), "payments_events/2026-01-02/p.csv", &pay);
    let e = run(&dir);
    assert_eq!(e.raw_rows["orders_events"], 2);
    assert_eq!(e.raw_rows["payments_events"], 1);
    assert_eq!(e.orders_current[0].gross_amount, Some(dec("12.00")));
    // A byte-identical file in another source is that source's own first delivery (read,
    // and rejected there: its header lacks the shipment columns).
    put(dir.path(), "shipments_events/2026-01-01/p.csv", &pay);
    assert_eq!(run(&dir).rejects_by_source["shipments_events"], 1);
}

#[test]
fn latest_event_is_by_instant_then_version() {
    let dir = TempDir::new().unwrap();
    let lines = [
        created("O1", "2026-01-01T10:00:00Z", "10.00"),
        // 11:00 UTC: the latest, although its text sorts first.
        ev(
            "O1",
            "order_updated",
            "2026-01-01T08:00:00-03:00",
            2,
            "20.00",
            r#","channel":"app""#,
        ),
        // 09:30 UTC.
        ev(
            "O1",
            "order_updated",
            "2026-01-01T12:30:00+03:00",
            3,
            "30.00",
            "",
        ),
        created("O2", "2026-01-01T10:00:00Z", "10.00"),
        // The same instant as O2's creation, in +05:45: version decides.
        ev(
            "O2",
            "order_updated",
            "2026-01-01T15:45:00+05:45",
            2,
            "15.00",
            "",
        ),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    let e = run(&dir);
    let o1 = &e.orders_current[0];
    assert_eq!(o1.order_id, "O1");
    assert_eq!(o1.version, Some(2));
    assert_eq!(o1.gross_amount, Some(dec("20.00")));
    assert_eq!(o1.event_time, ts("2026-01-01 11:00:00"));
    assert_eq!(o1.event_type, "order_updated");
    assert_eq!(o1.channel.as_deref(), Some("app"));
    assert_eq!(o1.country.as_deref(), Some("DE"));
    assert_eq!(o1.email_token, Some(email_token(KEY, "bob@example.com")));
    assert_eq!(o1.order_created_at, Some(ts("2026-01-01 10:00:00")));
    let o2 = &e.orders_current[1];
    assert_eq!((o2.version, o2.gross_amount), (Some(2), Some(dec("15.00"))));
    assert_eq!(o2.channel, None);
}

#[test]
fn discount_missing_null_or_given() {
    let dir = TempDir::new().unwrap();
    let lines = [
        created("O1", "2026-01-01T10:00:00Z", "10.00"),
        ev("O2", "order_created", "2026-01-01T10:00:00Z", 1, "10.00", r#","discount_amount":null"#),
        ev("O3", "order_created", "2026-01-01T10:00:00Z", 1, "10.00", r#","discount_amount":"2.50""#),
        // Amounts as JSON numbers are decimals too; a missing version is allowed.
        r#"{"event_id":"e4","order_id":"O4","event_type":"order_created","event_time":"2026-01-01T10:00:00Z","currency":"USD","gross_amount":12.5,"discount_amount":0.5}"#.to_string(),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    let e = run(&dir);
    let d: Vec<Decimal> = e.orders_current.iter().map(|o| o.discount_amount).collect();
    assert_eq!(d, vec![dec("0.00"), dec("0.00"), dec("2.50"), dec("0.50")]);
    assert_eq!(fact(&e, "O1").net_amount, Some(dec("10.00")));
    assert_eq!(fact(&e, "O2").net_amount, Some(dec("10.00")));
    assert_eq!(fact(&e, "O3").net_amount, Some(dec("7.50")));
    assert_eq!(fact(&e, "O4").net_amount, Some(dec("12.00")));
    assert_eq!(e.orders_current[3].version, None);
    assert_eq!(e.orders_current[3].customer_id, None);
    assert_eq!(fact(&e, "O4").customer_valid_from, None);
}

#[test]
fn an_update_that_arrives_before_its_order_created() {
    let dir = TempDir::new().unwrap();
    let update = ev(
        "O1",
        "order_updated",
        "2026-01-01T10:30:00+01:00",
        2,
        "30.00",
        "",
    );
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &format!("{update}\n"),
    );
    let pay = format!("{PAY_HEADER}P1,O1,2026-01-01T09:40:00Z,captured,31.00,USD,2\n");
    put(dir.path(), "payments_events/2026-01-01/p.csv", &pay);
    let create = created("O1", "2026-01-01T00:15:00+01:00", "20.00");
    put(
        dir.path(),
        "orders_events/2026-01-03/a.jsonl",
        &format!("{create}\n"),
    );

    let early = oracle::expected(dir.path(), KEY, Some(date("2026-01-02"))).unwrap();
    assert_eq!(early.orders_current.len(), 1);
    assert_eq!(early.orders_current[0].order_created_at, None);
    assert!(early.fact_orders.is_empty() && early.revenue_daily.is_empty());
    assert_eq!(early.dim_date, (NaiveDate::MAX, NaiveDate::MIN));
    assert_eq!(early.payments_current.len(), 1);

    let e = run(&dir);
    let f = fact(&e, "O1");
    assert_eq!(f.order_created_at, ts("2025-12-31 23:15:00"));
    assert_eq!(
        f.order_date,
        date("2025-12-31"),
        "UTC date, not the local one"
    );
    assert_eq!(f.gross_amount, Some(dec("30.00")));
    assert!(f.is_paid && !f.is_refunded && !f.is_cancelled);
    assert_eq!(f.usd_rate, Some(dec("1.000000")), "USD needs no rate row");
    assert_eq!(e.dim_date, (date("2025-12-31"), date("2025-12-31")));
}

#[test]
fn scd2_versions_and_the_version_an_order_points_to() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "customers/2026-01-01/c.csv",
        &format!("{CUST_HEADER}C1, Bob@Example.com ,de,smb,2026-01-01T08:00:00Z\n"),
    );
    // Unchanged re-export (other formatting), then a real change, sent twice.
    put(
        dir.path(),
        "customers/2026-01-02/c.csv",
        &format!("{CUST_HEADER}C1,bob@example.com,DE ,smb ,2026-01-02T09:00:00+01:00\n"),
    );
    let change = "C1,bob@example.com,fr,smb,2026-01-03T08:00:00Z\n";
    put(
        dir.path(),
        "customers/2026-01-03/c.csv",
        &format!("{CUST_HEADER}{change}{change}"),
    );
    let lines = [
        created("O0", "2026-01-01T07:00:00Z", "1.00"),
        created("O1", "2026-01-02T12:00:00Z", "1.00"),
        created("O2", "2026-01-03T08:00:00Z", "1.00"),
        created("O3", "2026-01-03T07:59:59Z", "1.00"),
        created("O4", "2026-01-03T07:59:59Z", "1.00").replace("\"C1\"", "\"C2\""),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-03/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    let e = run(&dir);
    assert_eq!(e.raw_rows["customers"], 4);
    assert_eq!(e.dim_customer.len(), 2);
    let (v1, v2) = (&e.dim_customer[0], &e.dim_customer[1]);
    assert_eq!(v1.country.as_deref(), Some("DE"));
    assert_eq!(v1.segment.as_deref(), Some("smb"));
    assert_eq!(v1.email_token, Some(email_token(KEY, "bob@example.com")));
    assert_eq!(v1.valid_from, ts("2026-01-01 08:00:00"));
    assert_eq!(v1.valid_to, Some(ts("2026-01-03 08:00:00")));
    assert!(!v1.is_current);
    assert_eq!(v2.country.as_deref(), Some("FR"));
    assert_eq!((v2.valid_to, v2.is_current), (None, true));
    let points_to = |o: &str| fact(&e, o).customer_valid_from;
    assert_eq!(
        points_to("O0"),
        Some(v1.valid_from),
        "predates every version: earliest"
    );
    assert_eq!(points_to("O1"), Some(v1.valid_from));
    assert_eq!(points_to("O3"), Some(v1.valid_from));
    assert_eq!(
        points_to("O2"),
        Some(v2.valid_from),
        "valid_from is inclusive"
    );
    assert_eq!(points_to("O4"), None, "customer without versions");
    assert_eq!(fact(&e, "O4").customer_id.as_deref(), Some("C2"));
}

#[test]
fn rounding_is_half_away_from_zero() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "fx_rates/2026-01-01/fx.csv",
        &format!("{FX_HEADER}2026-01-01,EUR,1.300000\n2026-01-01,GBP,1.5\n"),
    );
    let eur = |o: &str, g: &str| {
        ev(o, "order_created", "2026-01-01T10:00:00Z", 1, g, "").replace("\"USD\"", "\"EUR\"")
    };
    let lines = [
        eur("O1", "0.05"),
        eur("O2", "1.005"),
        ev("O3", "order_created", "2026-01-01T10:00:00Z", 1, "0.15", "")
            .replace("\"USD\"", "\"GBP\""),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    let e = run(&dir);
    // 0.05 x 1.3 = 0.065 -> 0.07 (half-even would give 0.06).
    assert_eq!(fact(&e, "O1").net_amount_usd, Some(dec("0.07")));
    // A third decimal is rounded on the way in, as a DECIMAL(18,2) cast does.
    assert_eq!(fact(&e, "O2").gross_amount, Some(dec("1.01")));
    // 0.15 x 1.5 = 0.225 -> 0.23 (half-even: 0.22).
    assert_eq!(fact(&e, "O3").gross_amount_usd, Some(dec("0.23")));
    assert_eq!(fact(&e, "O3").usd_rate, Some(dec("1.500000")));

    // breach_rate: 1 of 32 = 0.03125 -> 0.0313.
    let dir = TempDir::new().unwrap();
    let mut orders = String::new();
    let mut ships = String::from(SHIP_HEADER);
    for i in 0..32 {
        orders += &(created(&format!("O{i:02}"), "2026-01-01T00:00:00Z", "1.00") + "\n");
        let at = if i == 0 {
            "2026-01-04T00:00:01Z"
        } else {
            "2026-01-02T00:00:00Z"
        };
        ships += &format!("S{i:02},O{i:02},{at},delivered,UPS\n");
    }
    put(dir.path(), "orders_events/2026-01-01/a.jsonl", &orders);
    put(dir.path(), "shipments_events/2026-01-04/s.csv", &ships);
    let sla = &run(&dir).sla_breaches_daily[0];
    assert_eq!((sla.delivered_orders, sla.breached_orders), (32, 1));
    assert_eq!(sla.breach_rate, Some(dec("0.0313")));
}

#[test]
fn sla_boundary_is_strictly_more_than_72_hours() {
    let dir = TempDir::new().unwrap();
    let t0 = "2026-01-01T06:00:00Z";
    let lines = [
        created("O1", t0, "1.00"),
        created("O2", t0, "1.00"),
        created("O3", t0, "1.00"),
        created("O4", t0, "1.00"),
        ev(
            "O4",
            "order_cancelled",
            "2026-01-01T07:00:00Z",
            2,
            "1.00",
            "",
        ),
        created("O5", t0, "1.00"),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    put(
        dir.path(),
        "shipments_events/2026-01-05/s.csv",
        &format!(
            "{SHIP_HEADER}S1,O1,2026-01-04T06:00:00Z,delivered,UPS\n\
             S2,O2,2026-01-04T07:00:01+01:00,delivered,UPS\n\
             S3,O3,2026-01-01T09:00:00Z,label_created,UPS\n\
             S4,O4,2026-01-05T10:00:00Z,delivered,UPS\n\
             S5a,O5,2026-01-01T16:00:00Z,delivered,DHL\n\
             S5b,O5,2026-01-02T08:00:00Z,in_transit,DHL\n\
             S5b,O5,2026-01-04T14:00:00Z,delivered,\"Royal Mail, Tracked\"\n\
             S5b,O5,2026-01-05T00:00:00Z,delivered,UPS\n\
             S6,O9,2026-01-01T09:00:00Z,label_created,FedEx\n\
             S6,O9,2026-01-01T10:00:00+01:00,picked_up,USPS\n"
        ),
    );
    let e = run(&dir);
    let sla = &e.sla_breaches_daily[0];
    assert_eq!(sla.order_date, date("2026-01-01"));
    assert_eq!(
        (
            sla.delivered_orders,
            sla.breached_orders,
            sla.pending_orders
        ),
        (3, 2, 1)
    );
    assert_eq!(sla.breach_rate, Some(dec("0.6667")));
    assert_eq!(fact(&e, "O1").delivered_at, Some(ts("2026-01-04 06:00:00")));
    // Latest over shipments of each shipment's first delivery.
    assert_eq!(fact(&e, "O5").delivered_at, Some(ts("2026-01-04 14:00:00")));

    let ship = |id: &str| {
        e.fact_shipments
            .iter()
            .find(|s| s.shipment_id == id)
            .unwrap()
    };
    let s5b = ship("S5b");
    assert_eq!(
        s5b.carrier.as_deref(),
        Some("UPS"),
        "carrier of the latest event"
    );
    assert_eq!(s5b.delivered_at, Some(ts("2026-01-04 14:00:00")));
    assert_eq!((s5b.label_created_at, s5b.picked_up_at), (None, None));
    assert_eq!(s5b.order_date, Some(date("2026-01-01")));
    // Same instant: the milestone later in name order gives the carrier.
    let s6 = ship("S6");
    assert_eq!(s6.carrier.as_deref(), Some("USPS"));
    assert_eq!(s6.order_date, None, "order never created");
    assert_eq!(ship("S5a").carrier.as_deref(), Some("DHL"));
    assert_eq!(e.fact_shipments.len(), 7);
    let milestones = e
        .shipment_milestones
        .iter()
        .filter(|m| m.shipment_id == "S5b")
        .count();
    assert_eq!(milestones, 2);
}

#[test]
fn revenue_p95_with_one_value_none_and_several() {
    let dir = TempDir::new().unwrap();
    let lines = [
        created("A1", "2026-01-01T10:00:00Z", "10.00"),
        created("B1", "2026-01-02T10:00:00Z", "99.00"),
        ev(
            "B1",
            "order_cancelled",
            "2026-01-02T11:00:00Z",
            2,
            "99.00",
            "",
        ),
        created("C1", "2026-01-03T10:00:00Z", "10.00"),
        created("C2", "2026-01-03T10:00:00Z", "20.00"),
        created("C3", "2026-01-03T10:00:00Z", "40.00"),
        created("C4", "2026-01-03T10:00:00Z", "5.00"),
        ev(
            "C4",
            "order_cancelled",
            "2026-01-03T11:00:00Z",
            2,
            "5.00",
            "",
        ),
    ];
    put(
        dir.path(),
        "orders_events/2026-01-03/a.jsonl",
        &(lines.join("\n") + "\n"),
    );
    put(
        dir.path(),
        "payments_events/2026-01-20/p.csv",
        &format!(
            "{PAY_HEADER}PA1,A1,2026-01-01T10:01:00Z,captured,11.00,USD,2\n\
             PC1,C1,2026-01-03T10:01:00Z,authorized,11.00,USD,1\n\
             PC1,C1,2026-01-03T10:02:00Z,captured,11.00,USD,2\n\
             PC2,C2,2026-01-03T10:02:00Z,captured,21.00,USD,2\n\
             PC2,C2,2026-01-19T10:02:00Z,refunded,21.00,USD,3\n\
             PC3a,C3,2026-01-03T10:02:00Z,failed,41.00,USD,1\n\
             PC4,C4,2026-01-03T10:02:00Z,captured,5.00,USD,2\n"
        ),
    );
    let e = run(&dir);
    assert_eq!(e.revenue_daily.len(), 3);
    let (a, b, c) = (
        &e.revenue_daily[0],
        &e.revenue_daily[1],
        &e.revenue_daily[2],
    );
    assert_eq!((a.orders, a.cancelled_orders), (1, 0));
    assert_eq!(
        (a.gross_usd, a.net_usd, a.paid_net_usd),
        (dec("10.00"), dec("10.00"), dec("10.00"))
    );
    assert_eq!(a.p95_net_usd, Some(dec("10.00")));
    assert_eq!((b.orders, b.cancelled_orders), (0, 1));
    assert_eq!(
        (b.gross_usd, b.net_usd, b.paid_net_usd),
        (dec("0.00"), dec("0.00"), dec("0.00"))
    );
    assert_eq!(b.p95_net_usd, None);
    assert_eq!((c.orders, c.cancelled_orders), (3, 1));
    assert_eq!(c.gross_usd, dec("70.00"));
    // C1 paid; C2 refunded; C3 failed; C4 cancelled.
    assert_eq!(c.paid_net_usd, dec("10.00"));
    // Position 0.95 * 2 = 1.9 between 20 and 40.
    assert_eq!(c.p95_net_usd, Some(dec("38.00")));
    let c2 = fact(&e, "C2");
    assert!(!c2.is_paid && c2.is_refunded);
    assert!(fact(&e, "C4").is_paid && fact(&e, "C4").is_cancelled);
    let pc2 = e
        .payments_current
        .iter()
        .find(|p| p.payment_id == "PC2")
        .unwrap();
    assert_eq!(
        (pc2.status.as_deref(), pc2.version),
        (Some("refunded"), Some(3))
    );
    assert!(c.gross_usd.to_string() == "70.00" && c.p95_net_usd.unwrap().to_string() == "38.00");
}

#[test]
fn latest_fx_row_wins_and_missing_rates_stay_null() {
    let dir = TempDir::new().unwrap();
    put(
        dir.path(),
        "fx_rates/2026-01-01/a.csv",
        &format!("{FX_HEADER}2026-01-01,EUR,1.100000\n"),
    );
    put(
        dir.path(),
        "fx_rates/2026-01-01/b.csv",
        &format!("{FX_HEADER}2026-01-01,EUR,1.200000\n"),
    );
    let eur = ev(
        "O1",
        "order_created",
        "2026-01-01T10:00:00Z",
        1,
        "10.00",
        "",
    )
    .replace("USD", "EUR");
    let gbp = ev(
        "O2",
        "order_created",
        "2026-01-01T10:00:00Z",
        1,
        "10.00",
        "",
    )
    .replace("USD", "GBP");
    let usd = created("O3", "2026-01-01T10:00:00Z", "10.00");
    put(
        dir.path(),
        "orders_events/2026-01-01/a.jsonl",
        &format!("{eur}\n{gbp}\n{usd}\n"),
    );
    let e = run(&dir);
    assert_eq!(fact(&e, "O1").usd_rate, Some(dec("1.200000")));
    assert_eq!(fact(&e, "O1").net_amount_usd, Some(dec("12.00")));
    assert_eq!(fact(&e, "O2").usd_rate, None);
    assert_eq!(fact(&e, "O2").net_amount_usd, None);
    // Sums skip the NULL, as SQL does.
    assert_eq!(e.revenue_daily[0].gross_usd, dec("22.00"));
    assert_eq!(e.revenue_daily[0].p95_net_usd, Some(dec("11.90")));
}

#[test]
fn upto_only_reads_folders_up_to_that_day() {
    let dir = TempDir::new().unwrap();
    let day = date("2026-01-01");
    for i in 0..3 {
        let d = day + Duration::days(i);
        let line = created(&format!("O{i}"), &format!("{d}T10:00:00Z"), "1.00");
        put(
            dir.path(),
            &format!("orders_events/{d}/a.jsonl"),
            &format!("{line}\n"),
        );
    }
    put(dir.path(), "orders_events/not-a-date/a.jsonl", "garbage\n");
    let count = |upto| {
        oracle::expected(dir.path(), KEY, upto)
            .unwrap()
            .fact_orders
            .len()
    };
    assert_eq!(count(Some(day - Duration::days(1))), 0);
    assert_eq!(count(Some(day)), 1);
    assert_eq!(count(Some(day + Duration::days(1))), 2);
    assert_eq!(count(None), 3);
    let e = run(&dir);
    assert_eq!(e.rejects, 0);
    assert_eq!(e.dim_date, (day, day + Duration::days(2)));
}
