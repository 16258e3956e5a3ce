//! Independent oracle: what every table of the reference pipeline must contain.
//!
//! It reads a landing zone as an outside checker would, with no SQL and no code shared
//! with the pipeline, and computes the expected rows in plain Rust with exact
//! `rust_decimal` arithmetic. Tests then compare the warehouse with [`expected`] table by
//! table. Where the contract (`shared/spec/ecommerce.md`) is silent, the project's
//! decisions are encoded here:
//!
//! * **Load order.** Per source, arrival folders ascending (only those `<= upto`), files
//!   by name; a file whose SHA-256 was already loaded, under any name, is skipped whole.
//! * **Lines.** Physical line numbers from 1; a CSV header is line 1 and not a record; a
//!   final newline does not add a line; a blank line in the middle is a reject. CSV
//!   follows RFC 4180 quoting (a record may span lines; it counts once, at its first line).
//! * **Validity.** See the `parse` module for the exact per-source rules.
//! * **Latest.** `event_time` (as an instant) desc, then `version` desc (missing version
//!   last), then load order desc.
//! * **Tokens.** `email_token` = lowercase hex HMAC-SHA-256 (key = `pii_key`) of the
//!   trimmed, lower-cased address ([`email_token`]).
//! * **Rounding.** Half away from zero; amounts at 2 places, rates at 6, `breach_rate` at 4.
//! * **SQL semantics.** Sums skip NULL amounts (and are `0.00` over nothing); the p95 is
//!   `PERCENTILE_CONT(0.95)` over the non-NULL `net_amount_usd` of not-cancelled orders.

mod csv;
mod dw;
mod mart;
mod ods;
mod parse;
mod scan;

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use hmac::{Hmac, Mac};
use rust_decimal::{Decimal, RoundingStrategy};
use sha2::Sha256;

use self::ods::Ods;
use self::parse::Header;
use crate::generate::SOURCES;

pub use self::mart::percentile_cont;

/// One row of `ods.orders_current`.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderCurrent {
    pub order_id: String,
    pub customer_id: Option<String>,
    pub email_token: Option<String>,
    pub event_type: String,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub gross_amount: Option<Decimal>,
    /// 0.00 when the latest event has no discount or a null one.
    pub discount_amount: Decimal,
    pub tax_amount: Option<Decimal>,
    /// Upper case.
    pub country: Option<String>,
    pub channel: Option<String>,
    /// UTC.
    pub event_time: NaiveDateTime,
    pub version: Option<i64>,
    /// UTC `event_time` of the order's `order_created` event (the earliest if several).
    pub order_created_at: Option<NaiveDateTime>,
}

/// One row of `ods.payments_current`.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentCurrent {
    pub payment_id: String,
    pub order_id: String,
    pub status: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub event_time: NaiveDateTime,
    pub version: Option<i64>,
}

/// One row of `ods.shipment_milestones`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentMilestone {
    pub shipment_id: String,
    pub milestone: String,
    /// Earliest UTC event_time of that milestone.
    pub event_time: NaiveDateTime,
}

/// One version of `dw.dim_customer` (the surrogate key is implementation-defined, so a
/// version is identified by `(customer_id, valid_from)`).
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerVersion {
    pub customer_id: String,
    pub email_token: Option<String>,
    /// Upper case, trimmed.
    pub country: Option<String>,
    /// Trimmed.
    pub segment: Option<String>,
    pub valid_from: NaiveDateTime,
    pub valid_to: Option<NaiveDateTime>,
    pub is_current: bool,
}

/// One row of `dw.fact_orders`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactOrder {
    pub order_id: String,
    pub order_date: NaiveDate,
    pub order_created_at: NaiveDateTime,
    pub customer_id: Option<String>,
    /// `valid_from` of the dim_customer version the order points to (its `customer_sk`).
    pub customer_valid_from: Option<NaiveDateTime>,
    pub currency: Option<String>,
    pub gross_amount: Option<Decimal>,
    pub discount_amount: Decimal,
    pub tax_amount: Option<Decimal>,
    pub net_amount: Option<Decimal>,
    pub usd_rate: Option<Decimal>,
    pub net_amount_usd: Option<Decimal>,
    pub gross_amount_usd: Option<Decimal>,
    pub is_cancelled: bool,
    pub is_paid: bool,
    pub is_refunded: bool,
    pub delivered_at: Option<NaiveDateTime>,
}

/// One row of `dw.fact_shipments`.
#[derive(Debug, Clone, PartialEq)]
pub struct FactShipment {
    pub shipment_id: String,
    pub order_id: String,
    pub carrier: Option<String>,
    pub label_created_at: Option<NaiveDateTime>,
    pub picked_up_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
    pub order_date: Option<NaiveDate>,
}

/// One row of `mart.revenue_daily`.
#[derive(Debug, Clone, PartialEq)]
pub struct RevenueDay {
    pub order_date: NaiveDate,
    pub orders: u64,
    pub cancelled_orders: u64,
    pub gross_usd: Decimal,
    pub net_usd: Decimal,
    pub paid_net_usd: Decimal,
    pub p95_net_usd: Option<Decimal>,
}

/// One row of `mart.sla_breaches_daily`.
#[derive(Debug, Clone, PartialEq)]
pub struct SlaDay {
    pub order_date: NaiveDate,
    pub delivered_orders: u64,
    pub breached_orders: u64,
    pub pending_orders: u64,
    pub breach_rate: Option<Decimal>,
}

/// One line that must end in `raw.rejects`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedLine {
    pub source: String,
    /// Arrival folder of the file.
    pub arrival_date: NaiveDate,
    /// File name within the folder.
    pub file: String,
    /// Physical line number (1-based; a CSV record spanning lines counts at its first).
    pub line: u64,
    /// The oracle's reason (informative: reason texts are implementation-defined).
    pub reason: &'static str,
}

/// Everything the pipeline must produce from a landing zone. Every list is sorted by
/// its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    /// Accepted lines per source (all five sources present, 0 when none).
    pub raw_rows: BTreeMap<String, u64>,
    /// Rejected lines over all sources.
    pub rejects: u64,
    /// Rejected lines per source (all five sources present, 0 when none).
    pub rejects_by_source: BTreeMap<String, u64>,
    /// Every rejected line, in load order (source, arrival folder, file, line).
    pub reject_lines: Vec<RejectedLine>,
    pub orders_current: Vec<OrderCurrent>,
    pub payments_current: Vec<PaymentCurrent>,
    pub shipment_milestones: Vec<ShipmentMilestone>,
    pub dim_customer: Vec<CustomerVersion>,
    pub fact_orders: Vec<FactOrder>,
    pub fact_shipments: Vec<FactShipment>,
    pub revenue_daily: Vec<RevenueDay>,
    pub sla_breaches_daily: Vec<SlaDay>,
    /// (first, last) order_date of `fact_orders`; `(NaiveDate::MAX, NaiveDate::MIN)`, an
    /// empty range, when there are no orders.
    pub dim_date: (NaiveDate, NaiveDate),
}

/// Keyed e-mail tokenizer.
pub struct Pii {
    mac: Hmac<Sha256>,
}

impl Pii {
    pub fn new(key: &[u8]) -> Self {
        Pii {
            mac: Hmac::new_from_slice(key).expect("HMAC takes keys of any length"),
        }
    }

    /// Lowercase hex HMAC-SHA-256 of the trimmed, lower-cased address.
    pub fn token(&self, email: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(email.trim().to_lowercase().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// `email_token` of an address under `pii_key`.
pub fn email_token(pii_key: &[u8], email: &str) -> String {
    Pii::new(pii_key).token(email)
}

/// Rounds half away from zero to `places` and shows exactly that many places.
pub(crate) fn round(value: Decimal, places: u32) -> Decimal {
    let mut v = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(places);
    v
}

/// Computes the expected tables from the landing zone, considering only arrival folders
/// `<= upto` (all when `None`).
pub fn expected(landing: &Path, pii_key: &[u8], upto: Option<NaiveDate>) -> io::Result<Expected> {
    let pii = Pii::new(pii_key);
    let mut ods = Ods::default();
    let mut raw_rows: BTreeMap<String, u64> = SOURCES.iter().map(|s| (s.to_string(), 0)).collect();

    let mut reject_lines = Vec::new();

    for source in SOURCES {
        let mut accepted = 0u64;
        scan::for_each_file(landing, source, upto, |file| {
            let mut reject = |line: u64, reason: &'static str| {
                reject_lines.push(RejectedLine {
                    source: source.to_string(),
                    arrival_date: file.date,
                    file: file.name.clone(),
                    line,
                    reason,
                });
            };
            if source == "orders_events" {
                for (line, text) in scan::lines(&file.content) {
                    match parse::order_event(text, &pii) {
                        Ok(e) => {
                            accepted += 1;
                            ods.order(e);
                        }
                        Err(reason) => reject(line, reason),
                    }
                }
                return Ok(());
            }
            let mut header: Option<Option<Header>> = None;
            csv::for_each_record(&file.content, |line, fields| {
                let Some(header) = header.get_or_insert_with(|| fields.map(Header::new)) else {
                    // An undecodable header makes every record unreadable.
                    if line > 1 {
                        reject(line, "header is not valid UTF-8");
                    }
                    return;
                };
                if line == 1 {
                    return;
                }
                let Some(fields) = fields else {
                    reject(line, "not valid UTF-8");
                    return;
                };
                let ok = match source {
                    "payments_events" => parse::payment(header, fields).map(|r| ods.payment(r)),
                    "shipments_events" => parse::shipment(header, fields).map(|r| ods.shipment(r)),
                    "customers" => parse::customer(header, fields, &pii).map(|r| ods.customer(r)),
                    _ => parse::fx(header, fields).map(|r| ods.fx(r)),
                };
                match ok {
                    Ok(()) => accepted += 1,
                    Err(reason) => reject(line, reason),
                }
            });
            Ok(())
        })?;
        raw_rows.insert(source.to_string(), accepted);
    }
    let mut rejects_by_source: BTreeMap<String, u64> =
        SOURCES.iter().map(|s| (s.to_string(), 0)).collect();
    for r in &reject_lines {
        *rejects_by_source.entry(r.source.clone()).or_default() += 1;
    }

    let orders_current = ods.orders_current();
    let payments_current = ods.payments_current();
    let shipments = ods.shipments();
    let shipment_milestones = ods::shipment_milestones(&shipments);
    let dim_customer = dw::dim_customer(&ods.customers);
    let fact_orders = dw::fact_orders(
        &orders_current,
        &dw::FactInputs {
            dim_customer: &dim_customer,
            payments: &payments_current,
            shipments: &shipments,
            fx: &ods.fx,
        },
    );
    let fact_shipments = dw::fact_shipments(&orders_current, &shipments);
    let revenue_daily = mart::revenue_daily(&fact_orders);
    let sla_breaches_daily = mart::sla_breaches_daily(&fact_orders);
    let dim_date = fact_orders
        .iter()
        .fold((NaiveDate::MAX, NaiveDate::MIN), |(lo, hi), f| {
            (lo.min(f.order_date), hi.max(f.order_date))
        });

    Ok(Expected {
        rejects: reject_lines.len() as u64,
        raw_rows,
        rejects_by_source,
        reject_lines,
        orders_current,
        payments_current,
        shipment_milestones,
        dim_customer,
        fact_orders,
        fact_shipments,
        revenue_daily,
        sla_breaches_daily,
        dim_date,
    })
}
