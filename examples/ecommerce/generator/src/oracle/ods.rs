//! The ods layer: latest state per key, folded row by row as lines are accepted.
//!
//! Folding keeps memory proportional to the number of keys, not of lines, so the oracle
//! can check the large landing zones too. "Latest" compares
//! `(event_time as an instant, version, load order)`: version `None` sorts below any
//! version (NULLS LAST under `DESC`), and on a full tie the row loaded last wins, which
//! is what `_ingested_at desc` gives (and duplicates are identical anyway).

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::parse::{CustomerRow, FxRow, OrderEvent, PaymentRow, ShipmentRow};
use super::{OrderCurrent, PaymentCurrent, ShipmentMilestone};

type LatestKey = (NaiveDateTime, Option<i64>, u64);

struct OrderState {
    key: LatestKey,
    latest: OrderEvent,
    created_at: Option<NaiveDateTime>,
}

struct ShipmentState {
    /// (event_time, milestone, load order) of the latest event.
    key: (NaiveDateTime, String, u64),
    order_id: String,
    carrier: Option<String>,
    /// Earliest event_time per milestone (a handful per shipment).
    milestones: Vec<(String, NaiveDateTime)>,
}

/// A shipment as of its latest event, with its earliest time per milestone.
#[derive(Debug, Clone)]
pub struct Shipment {
    pub shipment_id: String,
    pub order_id: String,
    pub carrier: Option<String>,
    /// By milestone name.
    pub milestones: Vec<(String, NaiveDateTime)>,
}

impl Shipment {
    /// Earliest event_time of `milestone`.
    pub fn first(&self, milestone: &str) -> Option<NaiveDateTime> {
        self.milestones
            .iter()
            .find(|(m, _)| m == milestone)
            .map(|(_, t)| *t)
    }
}

/// Accepted rows folded into current state.
#[derive(Default)]
pub struct Ods {
    seq: u64,
    orders: HashMap<String, OrderState>,
    payments: HashMap<String, (LatestKey, PaymentRow)>,
    shipments: HashMap<String, ShipmentState>,
    /// Accepted customer rows with their load order.
    pub customers: Vec<(u64, CustomerRow)>,
    /// Rate per (date, currency): the row loaded last wins.
    pub fx: HashMap<(NaiveDate, String), Decimal>,
}

impl Ods {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn order(&mut self, e: OrderEvent) {
        let seq = self.next();
        let key = (e.event_time, e.version, seq);
        let created = (e.event_type == "order_created").then_some(e.event_time);
        match self.orders.get_mut(&e.order_id) {
            Some(s) => {
                s.created_at = match (s.created_at, created) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                if key > s.key {
                    s.key = key;
                    s.latest = e;
                }
            }
            None => {
                self.orders.insert(
                    e.order_id.clone(),
                    OrderState {
                        key,
                        latest: e,
                        created_at: created,
                    },
                );
            }
        }
    }

    pub fn payment(&mut self, p: PaymentRow) {
        let seq = self.next();
        let key = (p.event_time, p.version, seq);
        match self.payments.get_mut(&p.payment_id) {
            Some(cur) if key <= cur.0 => {}
            Some(cur) => *cur = (key, p),
            None => {
                self.payments.insert(p.payment_id.clone(), (key, p));
            }
        }
    }

    pub fn shipment(&mut self, s: ShipmentRow) {
        let seq = self.next();
        let ShipmentRow {
            shipment_id,
            order_id,
            event_time,
            milestone,
            carrier,
        } = s;
        let state = self
            .shipments
            .entry(shipment_id)
            .or_insert_with(|| ShipmentState {
                key: (NaiveDateTime::MIN, String::new(), 0),
                order_id: String::new(),
                carrier: None,
                milestones: Vec::new(),
            });
        match state.milestones.iter_mut().find(|(m, _)| *m == milestone) {
            Some((_, t)) => *t = (*t).min(event_time),
            None => state.milestones.push((milestone.clone(), event_time)),
        }
        let key = (event_time, milestone, seq);
        if key > state.key {
            state.key = key;
            state.order_id = order_id;
            state.carrier = carrier;
        }
    }

    pub fn customer(&mut self, c: CustomerRow) {
        let seq = self.next();
        self.customers.push((seq, c));
    }

    pub fn fx(&mut self, r: FxRow) {
        self.fx.insert((r.rate_date, r.currency), r.usd_rate);
    }

    /// `ods.orders_current`, by order_id.
    pub fn orders_current(&self) -> Vec<OrderCurrent> {
        let mut out: Vec<OrderCurrent> = self
            .orders
            .values()
            .map(|s| {
                let e = &s.latest;
                OrderCurrent {
                    order_id: e.order_id.clone(),
                    customer_id: e.customer_id.clone(),
                    email_token: e.email_token.clone(),
                    event_type: e.event_type.clone(),
                    status: e.status.clone(),
                    currency: e.currency.clone(),
                    gross_amount: e.gross_amount,
                    discount_amount: e.discount_amount.unwrap_or(Decimal::new(0, 2)),
                    tax_amount: e.tax_amount,
                    country: e.country.clone(),
                    channel: e.channel.clone(),
                    event_time: e.event_time,
                    version: e.version,
                    order_created_at: s.created_at,
                }
            })
            .collect();
        out.sort_unstable_by(|a, b| a.order_id.cmp(&b.order_id));
        out
    }

    /// `ods.payments_current`, by payment_id.
    pub fn payments_current(&self) -> Vec<PaymentCurrent> {
        let mut out: Vec<PaymentCurrent> = self
            .payments
            .values()
            .map(|(_, p)| PaymentCurrent {
                payment_id: p.payment_id.clone(),
                order_id: p.order_id.clone(),
                status: p.status.clone(),
                amount: p.amount,
                currency: p.currency.clone(),
                event_time: p.event_time,
                version: p.version,
            })
            .collect();
        out.sort_unstable_by(|a, b| a.payment_id.cmp(&b.payment_id));
        out
    }

    /// Every shipment, by shipment_id.
    pub fn shipments(&self) -> Vec<Shipment> {
        let mut out: Vec<Shipment> = self
            .shipments
            .iter()
            .map(|(id, s)| {
                let mut milestones = s.milestones.clone();
                milestones.sort();
                Shipment {
                    shipment_id: id.clone(),
                    order_id: s.order_id.clone(),
                    carrier: s.carrier.clone(),
                    milestones,
                }
            })
            .collect();
        out.sort_unstable_by(|a, b| a.shipment_id.cmp(&b.shipment_id));
        out
    }
}

/// `ods.shipment_milestones`, by (shipment_id, milestone).
pub fn shipment_milestones(shipments: &[Shipment]) -> Vec<ShipmentMilestone> {
    shipments
        .iter()
        .flat_map(|s| {
            s.milestones.iter().map(|(m, t)| ShipmentMilestone {
                shipment_id: s.shipment_id.clone(),
                milestone: m.clone(),
                event_time: *t,
            })
        })
        .collect()
}
