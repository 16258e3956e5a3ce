//! Lines written on purpose to be rejected.
//!
//! Every order day gets every kind, for every source (`1 + orders_per_day / 2000` of each),
//! scattered at random positions of the day's files. Several kinds carry an e-mail
//! address in clear text, because a rejected line is exactly where PII tends to leak
//! (`raw.rejects` keeps the raw text, so the pipeline must redact it).
//!
//! Bad lines are always extra lines: no valid record is ever replaced by a broken one,
//! so the business content of the landing zone does not depend on them.

use chrono::Duration;
use rand::Rng;
use rand::rngs::StdRng;

use super::Plan;
use super::sink::{Sink, Src};
use super::time::{self, DAY, Offset};

/// Kinds of bad `orders_events` lines.
const ORDER_KINDS: usize = 12;
/// Kinds of bad rows per CSV source.
const PAYMENT_KINDS: usize = 7;
const SHIPMENT_KINDS: usize = 4;
const CUSTOMER_KINDS: usize = 4;
const FX_KINDS: usize = 4;

/// Pushes the bad lines of order day `day` (0-based) into that day's arrival folder.
pub fn write_bad_lines(plan: &Plan, sink: &mut Sink, day: u32) {
    let mut rng = plan.rng(4, u64::from(day));
    let date = plan.start + Duration::days(i64::from(day));
    let day_ts = plan.start_ts + i64::from(day) * DAY;
    let per_kind = 1 + plan.orders_per_day / 2_000;
    for n in 0..per_kind {
        let ctx = Ctx { day, n };
        for kind in 0..ORDER_KINDS {
            let line = ctx.order_line(kind, &mut rng, day_ts);
            let key = day_ts + rng.random_range(0..DAY);
            sink.push(Src::Orders, date, key, &line, true);
        }
        for kind in 0..PAYMENT_KINDS {
            let line = ctx.payment_row(kind, &mut rng, day_ts);
            let key = day_ts + rng.random_range(0..DAY);
            sink.push(Src::Payments, date, key, &line, true);
        }
        for kind in 0..SHIPMENT_KINDS {
            let line = ctx.shipment_row(kind, &mut rng, day_ts);
            let key = day_ts + rng.random_range(0..DAY);
            sink.push(Src::Shipments, date, key, &line, true);
        }
        for kind in 0..CUSTOMER_KINDS {
            let line = ctx.customer_row(kind, &mut rng, day_ts);
            let key = day_ts + rng.random_range(0..DAY);
            sink.push(Src::Customers, date, key, &line, true);
        }
        for kind in 0..FX_KINDS {
            let line = ctx.fx_row(kind, plan, &mut rng);
            sink.push(Src::Fx, date, rng.random_range(0..3), &line, true);
        }
    }
}

struct Ctx {
    day: u32,
    n: u32,
}

impl Ctx {
    fn order_id(&self, kind: usize) -> String {
        format!("O9{:03}{:03}{kind:02}", self.day, self.n)
    }

    fn email(&self, kind: usize) -> String {
        format!("Leaky.Person{}x{kind}@Example.com", self.day * 100 + self.n)
    }

    fn time(rng: &mut StdRng, day_ts: i64) -> String {
        let mut s = String::new();
        time::push_rfc3339(
            &mut s,
            day_ts + rng.random_range(0..DAY),
            Offset::random(rng),
        );
        s
    }

    /// A complete order event, with `field` overridden (or dropped when `value` is None).
    fn event(&self, kind: usize, time: &str, field: &str, value: Option<&str>) -> String {
        let fields = [
            (
                "event_id",
                format!("\"EBAD{:03}{:03}{kind:02}\"", self.day, self.n),
            ),
            ("order_id", format!("\"{}\"", self.order_id(kind))),
            ("customer_id", "\"C000001\"".to_string()),
            ("customer_email", format!("\"{}\"", self.email(kind))),
            ("event_type", "\"order_created\"".to_string()),
            ("event_time", format!("\"{time}\"")),
            ("version", "1".to_string()),
            ("status", "\"placed\"".to_string()),
            ("currency", "\"USD\"".to_string()),
            ("gross_amount", "\"10.00\"".to_string()),
            ("discount_amount", "null".to_string()),
            ("tax_amount", "\"0.80\"".to_string()),
            ("country", "\"US\"".to_string()),
        ];
        let mut out = String::from("{");
        for (name, v) in fields {
            let v = if name == field {
                match value {
                    Some(v) => v.to_string(),
                    None => continue,
                }
            } else {
                v
            };
            if out.len() > 1 {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            out.push_str(&v);
        }
        out.push('}');
        out
    }

    fn order_line(&self, kind: usize, rng: &mut StdRng, day_ts: i64) -> String {
        let t = Self::time(rng, day_ts);
        match kind {
            // Truncated object, cut inside a key, with an address in it.
            0 => {
                let full = self.event(kind, &t, "", None);
                let cut = full.find("\"event_type").map_or(full.len() / 2, |i| i + 8);
                full[..cut].to_string()
            }
            1 => format!("#### batch {} trailer: not json ####", self.n),
            2 => format!("oops {} {{", self.email(kind)),
            3 => self.event(kind, &t, "order_id", None),
            4 => self.event(kind, &t, "event_time", Some("\"05/01/2026 10:00\"")),
            5 => self.event(kind, &t, "gross_amount", Some("\"12,50\"")),
            6 => format!("[\"order_created\",\"{}\",12.5]", self.order_id(kind)),
            7 => String::new(),
            8 => self.event(kind, &t, "version", Some("\"2\"")),
            9 => self.event(kind, &t, "discount_amount", Some("\"10%\"")),
            10 => self.event(kind, &t, "event_id", Some("null")),
            _ => self.event(kind, &t, "gross_amount", Some("1.2e2")),
        }
    }

    fn payment_row(&self, kind: usize, rng: &mut StdRng, day_ts: i64) -> String {
        let id = format!("PAYBAD{:03}{:03}{kind:02}", self.day, self.n);
        let order = self.order_id(kind);
        let t = Self::time(rng, day_ts);
        match kind {
            0 => format!("{id},{order},{t},captured,12.00,USD"),
            1 => format!("{id},{order},{t},captured,12.00,USD,1,extra"),
            2 => format!("{id},{order},2026-13-45T25:61:00Z,captured,12.00,USD,1"),
            3 => format!("{id},{order},{t},captured,12.5.0,USD,1"),
            4 => format!("{id},{order},{t},captured,\"1,234.00\",USD,1"),
            5 => format!(",{order},{t},captured,12.00,USD,1"),
            _ => format!("{id},{order},{t},captured,12.00,USD,v2"),
        }
    }

    fn shipment_row(&self, kind: usize, rng: &mut StdRng, day_ts: i64) -> String {
        let id = format!("SHPBAD{:03}{:03}{kind:02}", self.day, self.n);
        let order = self.order_id(kind);
        let t = Self::time(rng, day_ts);
        match kind {
            0 => format!("{id},{order},{t},delivered"),
            1 => format!("{id},{order},not-a-timestamp,delivered,UPS"),
            2 => format!("{id},{order},{t},,UPS"),
            _ => format!("{id},{order},{t},delivered,UPS,extra"),
        }
    }

    fn customer_row(&self, kind: usize, rng: &mut StdRng, day_ts: i64) -> String {
        let id = format!("C9{:03}{:02}{kind}", self.day, self.n);
        let email = self.email(kind);
        let t = Self::time(rng, day_ts);
        match kind {
            0 => format!("{id},{email},DE"),
            1 => format!("{id},{email},DE,smb,2026-02-30T10:00:00Z"),
            2 => format!(",{email},DE,smb,{t}"),
            _ => format!("{id},{email},DE,smb,{t},extra"),
        }
    }

    fn fx_row(&self, kind: usize, plan: &Plan, rng: &mut StdRng) -> String {
        let date = plan.start + Duration::days(i64::from(self.day));
        let mut d = String::new();
        time::push_date(&mut d, date);
        match kind {
            0 => format!("{d},EUR,n/a"),
            1 => format!("{d},GBP,1.08.5"),
            2 => format!("{d},EUR"),
            _ => format!(
                "{},EUR,1.0{:05}",
                d.replace('-', "/"),
                rng.random_range(0..99_999)
            ),
        }
    }
}
