//! Laying out one order's events in event time, and choosing when each arrives.

use rand::Rng;
use rand::rngs::StdRng;

use super::flags::*;
use super::{Amounts, Kind, OrderEvent, OrderGen, PaymentEvent, ShipmentEvent};
use crate::generate::time::{self, DAY, HOUR, OFFSETS, Offset};

/// Carriers as CSV fields (one needs quoting).
const CARRIERS: [&str; 5] = ["UPS", "DHL", "FedEx", "USPS", "\"Royal Mail, Tracked\""];

impl OrderGen<'_> {
    /// Lays out the order's events and their arrivals; returns the cancellation instant.
    pub(super) fn plan_order_events(
        &mut self,
        rng: &mut StdRng,
        t0: i64,
        f: u32,
        tax: i64,
    ) -> Option<i64> {
        let missing = f & MISSING_CREATED != 0;
        let pre = f & PRE_CREATED != 0;
        let ooo = f & OUT_OF_ORDER != 0;
        let same = f & SAME_INSTANT != 0;
        let cancel = f & CANCEL != 0;
        let mut updates = match (f & UPDATE2 != 0, f & UPDATE != 0) {
            (true, _) => 2,
            (false, true) => 1,
            _ => 0,
        };
        if missing || pre || ooo || same {
            updates = updates.max(1);
        }

        self.order_events.clear();
        let created_offset = Offset::random(rng);
        let mut amounts = Amounts::new(rng, tax);
        self.order_events.push(OrderEvent {
            kind: Kind::Created,
            ts: t0,
            offset: created_offset,
            amounts,
            arrival: self.on_time(rng, t0),
            emit: !missing,
        });
        let mut t = t0;
        for u in 0..updates {
            let mut offset = Offset::random(rng);
            t = if u == 0 && same {
                // The same instant, written in another offset: only `version` orders them.
                while offset == created_offset {
                    offset = OFFSETS[rng.random_range(0..OFFSETS.len())];
                }
                t0
            } else if u == 0 && (pre || ooo || missing) {
                t + rng.random_range(300..=HOUR)
            } else if cancel {
                t + rng.random_range(300..=1_800)
            } else {
                t + rng.random_range(300..=2 * DAY)
            };
            amounts = amounts.updated(rng, tax);
            self.order_events.push(OrderEvent {
                kind: Kind::Updated,
                ts: t,
                offset,
                amounts,
                arrival: self.on_time(rng, t),
                emit: true,
            });
        }
        let cancel_ts = cancel.then(|| {
            t += rng.random_range(600..=6 * HOUR);
            self.order_events.push(OrderEvent {
                kind: Kind::Cancelled,
                ts: t,
                offset: Offset::random(rng),
                amounts,
                arrival: self.on_time(rng, t),
                emit: true,
            });
            t
        });

        if pre {
            // order_created lands one to three folders after the first update's folder.
            let first_update = self.order_events[1].arrival;
            let folder = time::day_start(time::date_of(first_update));
            let arrival = folder + rng.random_range(1..=3) * DAY + rng.random_range(0..DAY);
            self.order_events[0].arrival = arrival.min(self.plan.max_arrival_end_ts());
        } else if ooo {
            // Same file, but after the update that follows it in event time.
            self.order_events[0].arrival = self.order_events[1].arrival + rng.random_range(1..=30);
        }
        if f & LATE_ORDER != 0 {
            let last = self.order_events.len() - 1;
            self.order_events[last].arrival = self.late(rng, self.order_events[last].ts);
        }
        cancel_ts
    }

    pub(super) fn plan_payments(
        &mut self,
        rng: &mut StdRng,
        t0: i64,
        f: u32,
        cancel_ts: Option<i64>,
    ) {
        self.payment_events.clear();
        if f & NO_PAYMENT != 0 {
            return;
        }
        let mut events: Vec<(u8, i64, &'static str, u8)> = Vec::with_capacity(4);
        let mut t = t0 + rng.random_range(30..=600);
        let mut n = 1;
        if f & (FAIL_RETRY | FAIL_ONLY) != 0 {
            events.push((1, t, "failed", 1));
            n = 2;
            t += rng.random_range(60..=1_800);
        }
        if f & FAIL_ONLY == 0 {
            events.push((n, t, "authorized", 1));
            let captured = t + rng.random_range(60..=36 * HOUR);
            match cancel_ts {
                // Cancelled before capture: the authorization simply lapses.
                Some(c) if c < captured => {}
                Some(c) => {
                    events.push((n, captured, "captured", 2));
                    events.push((n, c + rng.random_range(HOUR..=2 * DAY), "refunded", 3));
                }
                None => {
                    events.push((n, captured, "captured", 2));
                    if f & REFUND_WEEKS != 0 {
                        let refund = t0 + rng.random_range(14 * DAY..=20 * DAY);
                        events.push((n, refund, "refunded", 3));
                    }
                }
            }
        }
        for (n, ts, status, version) in events {
            let arrival = self.on_time(rng, ts);
            self.payment_events.push(PaymentEvent {
                n,
                ts,
                status,
                version,
                arrival,
            });
        }
        if f & LATE_PAYMENT != 0 && !self.payment_events.is_empty() {
            let i = rng.random_range(0..self.payment_events.len());
            self.payment_events[i].arrival = self.late(rng, self.payment_events[i].ts);
        }
    }

    pub(super) fn plan_shipments(&mut self, rng: &mut StdRng, t0: i64, f: u32) {
        self.shipment_events.clear();
        let shipments = if f & TWO_SHIP != 0 { 2 } else { 1 };
        for n in 1..=shipments {
            let mut span = match f & SLA {
                SLA_UNDER => 3 * DAY - rng.random_range(1..=900),
                SLA_OVER => 3 * DAY + rng.random_range(1..=900),
                SLA_EXACT => 3 * DAY,
                // Most parcels arrive well within the 72-hour SLA, some well after.
                _ if rng.random_bool(0.8) => rng.random_range(20 * HOUR..=70 * HOUR),
                _ => rng.random_range(73 * HOUR..=5 * DAY),
            };
            if n == 2 {
                span += rng.random_range(HOUR..=DAY);
            }
            let end = t0 + span;
            let label = t0 + rng.random_range(HOUR..=(span / 4).clamp(HOUR, 12 * HOUR));
            let picked = label + rng.random_range(1_800..=((end - label) / 3).max(1_800));
            let transit = picked + rng.random_range(1_800..=((end - picked) / 2).max(1_800));
            let carrier = CARRIERS[rng.random_range(0..CARRIERS.len())];
            let handover = if f & CARRIER_CHANGE != 0 && n == 1 {
                CARRIERS[(CARRIERS.iter().position(|c| *c == carrier).unwrap_or(0) + 1)
                    % CARRIERS.len()]
            } else {
                carrier
            };
            let never = f & NEVER_DELIVERED != 0 && n == shipments;
            let mut milestones = vec![
                (label, "label_created", carrier),
                (picked, "picked_up", carrier),
            ];
            if !never || rng.random_bool(0.5) {
                milestones.push((transit, "in_transit", handover));
            }
            if !never {
                milestones.push((end, "delivered", handover));
                if f & DOUBLE_DELIVERED != 0 && n == 1 {
                    // The carrier re-sends "delivered" hours later; the first one counts.
                    milestones.push((
                        end + rng.random_range(HOUR..=6 * HOUR),
                        "delivered",
                        handover,
                    ));
                }
            }
            for (ts, milestone, carrier) in milestones {
                let arrival = self.on_time(rng, ts);
                self.shipment_events.push(ShipmentEvent {
                    n,
                    ts,
                    milestone,
                    carrier,
                    arrival,
                });
            }
        }
        if f & LATE_SHIPMENT != 0 && !self.shipment_events.is_empty() {
            let i = rng.random_range(0..self.shipment_events.len());
            self.shipment_events[i].arrival = self.late(rng, self.shipment_events[i].ts);
        }
    }
}
