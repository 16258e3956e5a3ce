//! Daily FX rates: one file per order day, in the arrival folder of its `rate_date`.
//!
//! Rates are a seeded random walk kept in millionths, so the six printed decimals are
//! exact. USD is always `1.000000`. Every order day has a row for each currency, which is
//! what lets `dw.fact_orders.usd_rate` be non-null for every order.

use chrono::Duration;
use rand::Rng;

use super::Plan;
use super::sink::{Sink, Src};
use super::time;

/// Currencies of the scenario, in file order.
pub const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];

/// Pushes the rate rows of every order day.
pub fn write_rates(plan: &Plan, sink: &mut Sink) {
    let mut rng = plan.rng(3, 0);
    let mut eur: i64 = 1_080_000 + rng.random_range(-20_000..=20_000);
    let mut gbp: i64 = 1_270_000 + rng.random_range(-20_000..=20_000);
    let mut line = String::with_capacity(32);
    for day in 0..plan.days {
        let date = plan.start + Duration::days(i64::from(day));
        for (key, (currency, micros)) in CURRENCIES.iter().zip([1_000_000, eur, gbp]).enumerate() {
            line.clear();
            time::push_date(&mut line, date);
            line.push(',');
            line.push_str(currency);
            line.push(',');
            time::push_micros(&mut line, micros);
            sink.push(Src::Fx, date, key as i64, &line, false);
            // An identical row sent twice in the same file.
            if plan.mess && day % 2 == 1 && *currency == "EUR" {
                sink.push_duplicate(Src::Fx, date, key as i64, &line, false);
            }
        }
        eur += rng.random_range(-4_000..=4_000);
        gbp += rng.random_range(-4_000..=4_000);
    }
}
