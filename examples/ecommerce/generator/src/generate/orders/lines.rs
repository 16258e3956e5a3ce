//! Writing one order's events as `orders_events` JSON lines and payment / shipment CSV
//! rows, straight into a reused buffer.

use chrono::Duration;
use rand::Rng;
use rand::rngs::StdRng;

use super::flags::*;
use super::{Discount, Kind, OrderGen};
use crate::generate::customers::{COUNTRIES, customer_id, push_country, push_email};
use crate::generate::sink::{Sink, Src};
use crate::generate::time::{self, DAY, Offset};

impl OrderGen<'_> {
    /// Pushes an extra copy of the current line into a `_retry` file, the same day or up
    /// to two days later.
    fn duplicate(&self, sink: &mut Sink, rng: &mut StdRng, src: Src, arrival: i64) {
        let date = (time::date_of(arrival) + Duration::days(rng.random_range(0..=2)))
            .min(self.plan.max_arrival);
        let key = time::day_start(date) + rng.random_range(0..DAY);
        sink.push_duplicate(src, date, key, &self.line, true);
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_order_events(
        &mut self,
        sink: &mut Sink,
        rng: &mut StdRng,
        order: u64,
        customer: u32,
        currency: &str,
        channel: &str,
        f: u32,
    ) {
        let emitted = self.order_events.iter().filter(|e| e.emit).count();
        let dup = (f & DUP_ORDER != 0 && emitted > 0).then(|| rng.random_range(0..emitted));
        let customer_id = customer_id(customer);
        let events = std::mem::take(&mut self.order_events);
        let mut written = 0;
        for (version, e) in (1..).zip(events.iter()) {
            let event_id = self.next_event;
            self.next_event += 1;
            if !e.emit {
                continue;
            }
            let (email, country) = self.customers.attrs_at(customer, e.ts);
            let arrival_date = time::date_of(e.arrival);
            let line = &mut self.line;
            line.clear();
            line.push_str("{\"event_id\":\"E");
            push_padded(line, event_id, 10);
            line.push_str("\",\"order_id\":\"O");
            push_padded(line, order, 8);
            line.push_str("\",\"customer_id\":\"");
            line.push_str(&customer_id);
            line.push_str("\",\"customer_email\":\"");
            push_email(line, email, rng);
            line.push_str("\",\"event_type\":\"");
            line.push_str(match e.kind {
                Kind::Created => "order_created",
                Kind::Updated => "order_updated",
                Kind::Cancelled => "order_cancelled",
            });
            line.push_str("\",\"event_time\":\"");
            time::push_rfc3339(line, e.ts, e.offset);
            line.push_str("\",\"version\":");
            push_padded(line, version, 1);
            line.push_str(",\"status\":\"");
            line.push_str(if e.kind == Kind::Cancelled {
                "cancelled"
            } else {
                "placed"
            });
            line.push_str("\",\"currency\":\"");
            line.push_str(currency);
            line.push_str("\",\"gross_amount\":\"");
            time::push_cents(line, e.amounts.gross);
            line.push('"');
            match e.amounts.discount {
                Discount::Absent => {}
                Discount::Null => line.push_str(",\"discount_amount\":null"),
                Discount::Cents(c) => {
                    line.push_str(",\"discount_amount\":\"");
                    time::push_cents(line, c);
                    line.push('"');
                }
            }
            line.push_str(",\"tax_amount\":\"");
            time::push_cents(line, e.amounts.tax);
            line.push_str("\",\"country\":\"");
            push_country(line, COUNTRIES[country].0, rng, false);
            line.push('"');
            // Schema drift: producers started sending `channel` on drift day.
            if arrival_date >= self.plan.drift_date {
                line.push_str(",\"channel\":\"");
                line.push_str(channel);
                line.push('"');
            }
            line.push('}');
            sink.push(Src::Orders, arrival_date, e.arrival, &self.line, false);
            if dup == Some(written) {
                self.duplicate(sink, rng, Src::Orders, e.arrival);
            }
            written += 1;
        }
        self.order_events = events;
    }

    pub(super) fn write_payments(
        &mut self,
        sink: &mut Sink,
        rng: &mut StdRng,
        order: u64,
        total: i64,
        currency: &str,
        f: u32,
    ) {
        let n = self.payment_events.len();
        let dup = (f & DUP_PAYMENT != 0 && n > 0).then(|| rng.random_range(0..n));
        for i in 0..n {
            let e = self.payment_events[i];
            let line = &mut self.line;
            line.clear();
            line.push_str("PAY");
            push_padded(line, order, 8);
            line.push('-');
            push_padded(line, u64::from(e.n), 1);
            line.push_str(",O");
            push_padded(line, order, 8);
            line.push(',');
            time::push_rfc3339(line, e.ts, Offset::random(rng));
            line.push(',');
            line.push_str(e.status);
            line.push(',');
            time::push_cents(line, total);
            line.push(',');
            line.push_str(currency);
            line.push(',');
            push_padded(line, u64::from(e.version), 1);
            sink.push(
                Src::Payments,
                time::date_of(e.arrival),
                e.arrival,
                &self.line,
                false,
            );
            if dup == Some(i) {
                self.duplicate(sink, rng, Src::Payments, e.arrival);
            }
        }
    }

    pub(super) fn write_shipments(
        &mut self,
        sink: &mut Sink,
        rng: &mut StdRng,
        order: u64,
        f: u32,
    ) {
        let n = self.shipment_events.len();
        let dup = (f & DUP_SHIPMENT != 0 && n > 0).then(|| rng.random_range(0..n));
        for i in 0..n {
            let e = self.shipment_events[i];
            let line = &mut self.line;
            line.clear();
            line.push_str("SHP");
            push_padded(line, order, 8);
            line.push('-');
            push_padded(line, u64::from(e.n), 1);
            line.push_str(",O");
            push_padded(line, order, 8);
            line.push(',');
            time::push_rfc3339(line, e.ts, Offset::random(rng));
            line.push(',');
            line.push_str(e.milestone);
            line.push(',');
            line.push_str(e.carrier);
            sink.push(
                Src::Shipments,
                time::date_of(e.arrival),
                e.arrival,
                &self.line,
                false,
            );
            if dup == Some(i) {
                self.duplicate(sink, rng, Src::Shipments, e.arrival);
            }
        }
    }
}

/// Appends `n` zero-padded to `width` digits.
fn push_padded(out: &mut String, n: u64, width: usize) {
    use std::fmt::Write as _;
    let _ = write!(out, "{n:0width$}");
}
