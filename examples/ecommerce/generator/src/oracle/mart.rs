//! The mart layer: `revenue_daily` and `sla_breaches_daily`, one row per order_date of
//! `fact_orders`, computed exactly in `Decimal`.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{FactOrder, RevenueDay, SlaDay, round};

fn by_date(facts: &[FactOrder]) -> BTreeMap<NaiveDate, Vec<&FactOrder>> {
    let mut out: BTreeMap<NaiveDate, Vec<&FactOrder>> = BTreeMap::new();
    for f in facts {
        out.entry(f.order_date).or_default().push(f);
    }
    out
}

/// Continuous percentile (`PERCENTILE_CONT`): linear interpolation at position
/// `p * (n - 1)` of the ascending values; `None` for no values.
pub fn percentile_cont(values: &mut [Decimal], p: Decimal) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let pos = p * Decimal::from(values.len() - 1);
    let lo = pos.floor();
    let frac = pos - lo;
    let lo = lo.to_usize()?;
    let hi = (lo + 1).min(values.len() - 1);
    Some(values[lo] + frac * (values[hi] - values[lo]))
}

/// `mart.revenue_daily`.
pub fn revenue_daily(facts: &[FactOrder]) -> Vec<RevenueDay> {
    let zero = Decimal::new(0, 2);
    by_date(facts)
        .into_iter()
        .map(|(order_date, rows)| {
            let live: Vec<&&FactOrder> = rows.iter().filter(|f| !f.is_cancelled).collect();
            let sum = |pick: &dyn Fn(&FactOrder) -> Option<Decimal>| {
                live.iter().filter_map(|f| pick(f)).fold(zero, |a, b| a + b)
            };
            let mut nets: Vec<Decimal> = live.iter().filter_map(|f| f.net_amount_usd).collect();
            RevenueDay {
                order_date,
                orders: live.len() as u64,
                cancelled_orders: (rows.len() - live.len()) as u64,
                gross_usd: sum(&|f| f.gross_amount_usd),
                net_usd: sum(&|f| f.net_amount_usd),
                paid_net_usd: sum(&|f| {
                    (f.is_paid && !f.is_refunded)
                        .then_some(f.net_amount_usd)
                        .flatten()
                }),
                p95_net_usd: percentile_cont(&mut nets, Decimal::new(95, 2)).map(|v| round(v, 2)),
            }
        })
        .collect()
}

/// `mart.sla_breaches_daily`: delivered more than 72 hours (strictly) after creation.
pub fn sla_breaches_daily(facts: &[FactOrder]) -> Vec<SlaDay> {
    let limit = Duration::hours(72);
    by_date(facts)
        .into_iter()
        .map(|(order_date, rows)| {
            let live = rows.iter().filter(|f| !f.is_cancelled);
            let delivered: Vec<_> = live
                .clone()
                .filter_map(|f| f.delivered_at.map(|d| d - f.order_created_at))
                .collect();
            let breached = delivered.iter().filter(|&&took| took > limit).count() as u64;
            let delivered_orders = delivered.len() as u64;
            SlaDay {
                order_date,
                delivered_orders,
                breached_orders: breached,
                pending_orders: live.filter(|f| f.delivered_at.is_none()).count() as u64,
                breach_rate: (delivered_orders > 0)
                    .then(|| round(Decimal::from(breached) / Decimal::from(delivered_orders), 4)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn percentile_like_percentile_cont() {
        let p = d("0.95");
        assert_eq!(percentile_cont(&mut [], p), None);
        assert_eq!(percentile_cont(&mut [d("7.10")], p), Some(d("7.10")));
        // n = 2: position 0.95 -> 10 + 0.95 * 10
        assert_eq!(percentile_cont(&mut [d("20"), d("10")], p), Some(d("19.5")));
        // n = 21: position 19 exactly
        let mut v: Vec<Decimal> = (1..=21).map(Decimal::from).collect();
        assert_eq!(percentile_cont(&mut v, p), Some(d("20")));
        // n = 5: position 3.8 -> 4 + 0.8 * (100 - 4)
        let mut v = vec![d("1"), d("2"), d("3"), d("4"), d("100")];
        assert_eq!(percentile_cont(&mut v, p), Some(d("80.8")));
    }
}
