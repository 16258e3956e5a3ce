//! Order lifecycles: the `orders_events`, `payments_events` and `shipments_events` lines
//! of every order.
//!
//! Each order is played in three steps: decide what happens to it (its flags, drawn per
//! day on quota so that every behaviour shows up every day), lay out its events in event
//! time, then decide when each event *arrives* (its arrival instant picks the folder and
//! the position within the day's files). Keeping event time and arrival apart is what
//! makes late, early (`order_updated` before `order_created`) and out-of-order delivery
//! simple to express.

//!
//! `flags` decides what happens to each order, `lifecycle` lays out its events and their
//! arrivals, `lines` writes them.

mod flags;
mod lifecycle;
mod lines;

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::index::sample;

use self::flags::{GROUPS, MIDNIGHT, resolve};
use super::Plan;
use super::customers::{COUNTRIES, Customers};
use super::fx::CURRENCIES;
use super::sink::Sink;
use super::time::{self, DAY, Offset};

#[derive(Debug, Clone, Copy)]
enum Discount {
    Absent,
    Null,
    Cents(i64),
}

#[derive(Debug, Clone, Copy)]
struct Amounts {
    gross: i64,
    discount: Discount,
    tax: i64,
}

impl Amounts {
    fn net(&self) -> i64 {
        match self.discount {
            Discount::Cents(d) => self.gross - d,
            _ => self.gross,
        }
    }

    fn new(rng: &mut StdRng, tax_pct: i64) -> Self {
        let gross = if rng.random_bool(0.8) {
            rng.random_range(500..=20_000)
        } else {
            rng.random_range(20_000..=150_000)
        };
        Self::with(rng, gross, tax_pct)
    }

    fn with(rng: &mut StdRng, gross: i64, tax_pct: i64) -> Self {
        let discount = match rng.random_range(0..20) {
            0..=6 => Discount::Absent,
            7..=9 => Discount::Null,
            10 | 11 => Discount::Cents(0),
            _ => Discount::Cents(rng.random_range(1..=gross / 4)),
        };
        let mut a = Amounts {
            gross,
            discount,
            tax: 0,
        };
        a.tax = (a.net() * tax_pct + 50) / 100;
        a
    }

    /// An `order_updated`: the basket changed by -30%..+30%.
    fn updated(&self, rng: &mut StdRng, tax_pct: i64) -> Self {
        let factor = rng.random_range(70..=130);
        let gross = (self.gross * factor / 100).max(100);
        Self::with(rng, gross, tax_pct)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Created,
    Updated,
    Cancelled,
}

#[derive(Debug, Clone, Copy)]
struct OrderEvent {
    kind: Kind,
    ts: i64,
    offset: Offset,
    amounts: Amounts,
    arrival: i64,
    emit: bool,
}

#[derive(Debug, Clone, Copy)]
struct PaymentEvent {
    n: u8,
    ts: i64,
    status: &'static str,
    version: u8,
    arrival: i64,
}

#[derive(Debug, Clone, Copy)]
struct ShipmentEvent {
    n: u8,
    ts: i64,
    milestone: &'static str,
    carrier: &'static str,
    arrival: i64,
}

/// Generates orders day by day.
pub struct OrderGen<'a> {
    plan: &'a Plan,
    customers: &'a Customers,
    next_order: u64,
    next_event: u64,
    line: String,
    order_events: Vec<OrderEvent>,
    payment_events: Vec<PaymentEvent>,
    shipment_events: Vec<ShipmentEvent>,
}

impl<'a> OrderGen<'a> {
    pub fn new(plan: &'a Plan, customers: &'a Customers) -> Self {
        OrderGen {
            plan,
            customers,
            next_order: 1,
            next_event: 1,
            line: String::with_capacity(512),
            order_events: Vec::new(),
            payment_events: Vec::new(),
            shipment_events: Vec::new(),
        }
    }

    /// Orders generated so far.
    pub fn generated(&self) -> u64 {
        self.next_order - 1
    }

    /// Generates the orders created on day `day` (0-based) and pushes all their events.
    pub fn generate_day(&mut self, sink: &mut Sink, day: u32) {
        let mut rng = self.plan.rng(10, u64::from(day));
        let n = self.plan.orders_per_day as usize;
        let mut flags = vec![0u32; n];
        for &(group, messy) in GROUPS {
            if messy && !self.plan.mess || n == 0 || group.is_empty() {
                continue;
            }
            let quotas: Vec<usize> = group
                .iter()
                .map(|(_, share)| ((n as f64 * share).round() as usize).max(1))
                .collect();
            let total = quotas.iter().sum::<usize>().min(n);
            let mut picks = sample(&mut rng, n, total).into_iter();
            for ((flag, _), k) in group.iter().zip(quotas) {
                for i in picks.by_ref().take(k) {
                    flags[i] |= flag;
                }
            }
        }
        let day_ts = self.plan.start_ts + i64::from(day) * DAY;
        // Day one starts at 00:30, after the initial customer load.
        let earliest = if day == 0 { 1_800 } else { 0 };
        let mut orders: Vec<(i64, u32)> = flags
            .into_iter()
            .map(|f| {
                let second = if f & MIDNIGHT != 0 {
                    if rng.random_bool(0.5) {
                        rng.random_range(earliest.max(0)..earliest + 2_700)
                    } else {
                        rng.random_range(DAY - 2_700..DAY)
                    }
                } else {
                    rng.random_range(earliest..DAY)
                };
                (day_ts + second, resolve(f))
            })
            .collect();
        orders.sort_unstable();
        for (t0, f) in orders {
            self.order(sink, &mut rng, t0, f);
        }
    }

    fn on_time(&self, rng: &mut StdRng, ts: i64) -> i64 {
        if self.plan.mess {
            let day_end = time::day_start(time::date_of(ts)) + DAY - 1;
            (ts + rng.random_range(0..=900)).min(day_end)
        } else {
            ts
        }
    }

    fn late(&self, rng: &mut StdRng, ts: i64) -> i64 {
        let late = ts + rng.random_range(1..=5) * DAY + rng.random_range(0..DAY);
        late.min(self.plan.max_arrival_end_ts()).max(ts)
    }

    fn order(&mut self, sink: &mut Sink, rng: &mut StdRng, t0: i64, f: u32) {
        let order = self.next_order;
        self.next_order += 1;
        let customer = self.customers.pick(rng, t0);
        let (_, country) = self.customers.attrs_at(customer, t0);
        let (code, tax_pct) = COUNTRIES[country];
        let currency = match (code, rng.random_range(0..10)) {
            ("GB", 0..=7) => "GBP",
            ("DE" | "FR" | "ES" | "IT" | "NL", 0..=7) => "EUR",
            (_, 0..=6) => "USD",
            _ => CURRENCIES[rng.random_range(0..CURRENCIES.len())],
        };
        let channel = if rng.random_bool(0.6) { "web" } else { "app" };

        let cancel_ts = self.plan_order_events(rng, t0, f, tax_pct);
        let total = {
            let last = self.order_events.last().expect("created event").amounts;
            last.net() + last.tax
        };
        self.plan_payments(rng, t0, f, cancel_ts);
        if cancel_ts.is_none() {
            self.plan_shipments(rng, t0, f);
        }

        self.write_order_events(sink, rng, order, customer, currency, channel, f);
        self.write_payments(sink, rng, order, total, currency, f);
        self.write_shipments(sink, rng, order, f);
    }
}
