//! The dw layer: `dim_customer` (SCD type 2), `fact_orders` and `fact_shipments`.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::ods::Shipment;
use super::parse::CustomerRow;
use super::{CustomerVersion, FactOrder, FactShipment, OrderCurrent, PaymentCurrent, round};

/// SCD2 over (email_token, country, segment). Exports are taken in `updated_at` order
/// (load order on equal instants); an export opens a version only when an attribute
/// differs from the open version. Two exports at the very same instant do not make a
/// zero-length version: the one loaded later restates the open version instead.
pub fn dim_customer(rows: &[(u64, CustomerRow)]) -> Vec<CustomerVersion> {
    let mut by_customer: BTreeMap<&str, Vec<&(u64, CustomerRow)>> = BTreeMap::new();
    for row in rows {
        by_customer.entry(&row.1.customer_id).or_default().push(row);
    }
    let mut out = Vec::new();
    for (customer_id, mut exports) in by_customer {
        exports.sort_by_key(|(seq, r)| (r.updated_at, *seq));
        let mut versions: Vec<CustomerVersion> = Vec::new();
        for (_, r) in exports {
            let attrs = (&r.email_token, &r.country, &r.segment);
            if let Some(open) = versions.last_mut() {
                if (&open.email_token, &open.country, &open.segment) == attrs {
                    continue;
                }
                if open.valid_from == r.updated_at {
                    open.email_token = r.email_token.clone();
                    open.country = r.country.clone();
                    open.segment = r.segment.clone();
                    continue;
                }
            }
            versions.push(CustomerVersion {
                customer_id: customer_id.to_owned(),
                email_token: r.email_token.clone(),
                country: r.country.clone(),
                segment: r.segment.clone(),
                valid_from: r.updated_at,
                valid_to: None,
                is_current: true,
            });
        }
        // Merging same-instant restatements may leave two equal neighbours: fold them.
        versions.dedup_by(|later, earlier| {
            (&later.email_token, &later.country, &later.segment)
                == (&earlier.email_token, &earlier.country, &earlier.segment)
        });
        for i in 1..versions.len() {
            let from = versions[i].valid_from;
            versions[i - 1].valid_to = Some(from);
            versions[i - 1].is_current = false;
        }
        out.extend(versions);
    }
    out
}

/// Inputs of `fact_orders` beyond the current orders.
pub struct FactInputs<'a> {
    pub dim_customer: &'a [CustomerVersion],
    pub payments: &'a [PaymentCurrent],
    pub shipments: &'a [Shipment],
    pub fx: &'a HashMap<(NaiveDate, String), Decimal>,
}

/// One row per order whose `order_created` has arrived, by order_id.
pub fn fact_orders(orders: &[OrderCurrent], inputs: &FactInputs<'_>) -> Vec<FactOrder> {
    let mut versions: HashMap<&str, Vec<&CustomerVersion>> = HashMap::new();
    for v in inputs.dim_customer {
        versions.entry(&v.customer_id).or_default().push(v);
    }
    for list in versions.values_mut() {
        list.sort_by_key(|v| v.valid_from);
    }
    let mut paid: HashMap<&str, (bool, bool)> = HashMap::new();
    for p in inputs.payments {
        let flags = paid.entry(&p.order_id).or_default();
        match p.status.as_deref() {
            Some("captured") => flags.0 = true,
            Some("refunded") => flags.1 = true,
            _ => {}
        }
    }
    let mut delivered: HashMap<&str, NaiveDateTime> = HashMap::new();
    for shipment in inputs.shipments {
        if let Some(t) = shipment.first("delivered") {
            delivered
                .entry(&shipment.order_id)
                .and_modify(|d| *d = (*d).max(t))
                .or_insert(t);
        }
    }

    let usd = Decimal::new(1_000_000, 6);
    orders
        .iter()
        .filter_map(|o| {
            let created = o.order_created_at?;
            let order_date = created.date();
            let customer_valid_from = o
                .customer_id
                .as_deref()
                .and_then(|c| versions.get(c))
                .and_then(|list| {
                    list.iter()
                        .find(|v| {
                            v.valid_from <= created && v.valid_to.is_none_or(|to| created < to)
                        })
                        .or(list.first())
                        .map(|v| v.valid_from)
                });
            let usd_rate = o.currency.as_ref().and_then(|c| {
                inputs
                    .fx
                    .get(&(order_date, c.clone()))
                    .copied()
                    .or((c == "USD").then_some(usd))
            });
            let net_amount = o.gross_amount.map(|g| g - o.discount_amount);
            let to_usd =
                |amount: Option<Decimal>| amount.zip(usd_rate).map(|(a, r)| round(a * r, 2));
            let (is_paid, is_refunded) = paid.get(o.order_id.as_str()).copied().unwrap_or_default();
            Some(FactOrder {
                order_id: o.order_id.clone(),
                order_date,
                order_created_at: created,
                customer_id: o.customer_id.clone(),
                customer_valid_from,
                currency: o.currency.clone(),
                gross_amount: o.gross_amount,
                discount_amount: o.discount_amount,
                tax_amount: o.tax_amount,
                net_amount,
                usd_rate,
                net_amount_usd: to_usd(net_amount),
                gross_amount_usd: to_usd(o.gross_amount),
                is_cancelled: o.status.as_deref() == Some("cancelled"),
                is_paid,
                is_refunded,
                delivered_at: delivered.get(o.order_id.as_str()).copied(),
            })
        })
        .collect()
}

/// One row per shipment, by shipment_id.
pub fn fact_shipments(orders: &[OrderCurrent], shipments: &[Shipment]) -> Vec<FactShipment> {
    let order_date: HashMap<&str, NaiveDate> = orders
        .iter()
        .filter_map(|o| Some((o.order_id.as_str(), o.order_created_at?.date())))
        .collect();
    shipments
        .iter()
        .map(|s| FactShipment {
            shipment_id: s.shipment_id.clone(),
            order_id: s.order_id.clone(),
            carrier: s.carrier.clone(),
            label_created_at: s.first("label_created"),
            picked_up_at: s.first("picked_up"),
            delivered_at: s.first("delivered"),
            order_date: order_date.get(s.order_id.as_str()).copied(),
        })
        .collect()
}
