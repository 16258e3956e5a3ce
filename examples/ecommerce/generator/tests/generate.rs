//! The generator keeps its promises: deterministic bytes, and every kind of mess of the
//! contract present even in a small (5 days x 40 orders) landing zone.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use chrono::{DateTime, Duration, Timelike};
use common::{files, lines, order_events, unique_files, utc};
use ecommerce_gen::oracle::{self, Expected};
use ecommerce_gen::{Config, SOURCES, Summary, arrival_dates, copy_arrival_day, generate};
use tempfile::TempDir;

const KEY: &[u8] = b"test-pii-key";

fn landing(cfg: &Config) -> (TempDir, Summary) {
    let dir = TempDir::new().unwrap();
    let summary = generate(cfg, dir.path()).unwrap();
    (dir, summary)
}

fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for source in SOURCES {
        for f in files(root, source) {
            out.insert(format!("{source}/{}/{}", f.date, f.name), f.bytes);
        }
    }
    out
}

fn expected(root: &Path) -> Expected {
    oracle::expected(root, KEY, None).unwrap()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let (a, sa) = landing(&Config::small(7));
    let (b, sb) = landing(&Config::small(7));
    let (c, _) = landing(&Config::small(8));
    let ta = tree(a.path());
    assert!(ta.keys().any(|k| k.ends_with(".jsonl.gz")));
    assert_eq!(ta, tree(b.path()));
    assert_eq!(sa, sb);
    assert_ne!(ta, tree(c.path()));
}

#[test]
fn summary_matches_disk_and_arrival_dates() {
    let cfg = Config::small(3);
    let (dir, summary) = landing(&cfg);
    let all = tree(dir.path());
    assert_eq!(summary.files, all.len());
    let lines: u64 = SOURCES
        .iter()
        .flat_map(|s| files(dir.path(), s))
        .map(|f| f.data_lines().len() as u64)
        .sum();
    assert_eq!(summary.lines, lines);
    assert_eq!(summary.orders, 200);
    assert_eq!(arrival_dates(dir.path()).unwrap(), summary.arrival_dates);
    let first = *summary.arrival_dates.first().unwrap();
    let last = *summary.arrival_dates.last().unwrap();
    assert_eq!(first, cfg.start);
    // A tail of late arrivals (refunds weeks later), bounded and thin.
    let last_order_day = cfg.start + Duration::days(4);
    assert!(last > last_order_day + Duration::days(9), "{last}");
    assert!(last <= last_order_day + Duration::days(21));
    let tail: u64 = SOURCES
        .iter()
        .flat_map(|s| files(dir.path(), s))
        .filter(|f| f.date > last_order_day + Duration::days(7))
        .map(|f| f.data_lines().len() as u64)
        .sum();
    assert!(
        tail * 20 < summary.lines,
        "tail {tail} of {}",
        summary.lines
    );
}

#[test]
fn bad_lines_of_every_kind() {
    let (dir, summary) = landing(&Config::small(11));
    let exp = expected(dir.path());
    let mut reasons: HashMap<(&str, &str), u64> = HashMap::new();
    for r in &exp.reject_lines {
        *reasons.entry((r.source.as_str(), r.reason)).or_default() += 1;
    }
    for kind in [
        ("orders_events", "not valid JSON"),
        ("orders_events", "not a JSON object"),
        ("orders_events", "missing order_id"),
        ("orders_events", "missing event_id"),
        ("orders_events", "not an RFC 3339 timestamp"),
        ("orders_events", "not a decimal"),
        ("orders_events", "not an integer"),
        ("payments_events", "wrong number of fields"),
        ("payments_events", "not an RFC 3339 timestamp"),
        ("payments_events", "not a decimal"),
        ("payments_events", "missing payment_id"),
        ("shipments_events", "wrong number of fields"),
        ("shipments_events", "not an RFC 3339 timestamp"),
        ("customers", "wrong number of fields"),
        ("customers", "not an RFC 3339 timestamp"),
        ("fx_rates", "not a decimal"),
        ("fx_rates", "wrong number of fields"),
        ("fx_rates", "not a YYYY-MM-DD date"),
    ] {
        assert!(
            reasons.get(&kind).copied().unwrap_or(0) >= 3,
            "{kind:?}: {reasons:?}"
        );
    }
    // The oracle rejects exactly the lines written to be bad, once: a redelivered copy
    // carries the same bad lines as its original and is skipped.
    let mut in_copies = 0;
    for source in SOURCES {
        let all = files(dir.path(), source);
        for (i, copy) in all.iter().enumerate() {
            if let Some(original) = all[..i].iter().find(|f| f.bytes == copy.bytes) {
                in_copies += exp
                    .reject_lines
                    .iter()
                    .filter(|r| {
                        r.source == source
                            && r.arrival_date == original.date
                            && r.file == original.name
                    })
                    .count() as u64;
            }
        }
    }
    assert!(in_copies > 0);
    assert_eq!(exp.rejects + in_copies, summary.bad_lines);

    let orders = lines(dir.path(), "orders_events");
    let text = |pred: &dyn Fn(&str) -> bool| orders.iter().filter(|(_, l)| pred(l)).count();
    assert!(text(&|l| l.starts_with("oops ") && l.contains('@')) >= 3);
    assert!(text(&|l| l.is_empty()) >= 3);
    assert!(
        text(&|l| l.starts_with('{') && !l.ends_with('}')) >= 3,
        "truncated objects"
    );
    // Rejected although it carries an order_id and a clear e-mail address.
    let leaky = exp
        .reject_lines
        .iter()
        .filter(|r| r.source == "orders_events")
        .filter(|r| {
            let f = files(dir.path(), "orders_events")
                .into_iter()
                .find(|f| f.date == r.arrival_date && f.name == r.file)
                .unwrap();
            let line = &f.data_lines()[r.line as usize - 1];
            line.contains("\"order_id\"") && line.contains("\"customer_email\":\"")
        })
        .count();
    assert!(leaky >= 3);
}

#[test]
fn redelivered_files_and_duplicate_events() {
    let (dir, summary) = landing(&Config::small(5));
    for source in ["orders_events", "payments_events", "customers"] {
        let all = files(dir.path(), source);
        let redelivered = all.iter().any(|f| {
            all.iter().any(|g| {
                g.bytes == f.bytes && g.date > f.date && (g.name != f.name || source == "customers")
            })
        });
        assert!(redelivered, "{source}");
        assert!(summary.sources[source].redelivered_files >= 1);
    }
    // The same event (same id, identical line) in two different files.
    let mut seen: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for f in unique_files(dir.path(), "orders_events") {
        for l in f.data_lines() {
            if let Ok(serde_json::Value::Object(m)) = serde_json::from_str(&l)
                && let Some(id) = m.get("event_id").and_then(|v| v.as_str())
            {
                seen.entry(id.to_owned())
                    .or_default()
                    .push((format!("{}/{}", f.date, f.name), l.clone()));
            }
        }
    }
    let dups: Vec<_> = seen.values().filter(|v| v.len() > 1).collect();
    assert!(dups.len() >= 3);
    for copies in dups {
        assert!(copies.iter().all(|c| c.1 == copies[0].1));
        assert!(copies.iter().any(|c| c.0 != copies[0].0));
    }
}

#[test]
fn late_early_missing_and_out_of_order_events() {
    let (dir, _) = landing(&Config::small(9));
    let events = order_events(dir.path());
    let late = events
        .iter()
        .filter(|(d, m)| *d > utc(m["event_time"].as_str().unwrap()).date() + Duration::days(1))
        .count();
    assert!(late >= 3, "late order events: {late}");
    for source in ["payments_events", "shipments_events"] {
        let late = lines(dir.path(), source)
            .iter()
            .filter_map(|(d, l)| {
                let t = DateTime::parse_from_rfc3339(l.split(',').nth(2)?).ok()?;
                Some(*d > t.naive_utc().date() + Duration::days(1))
            })
            .filter(|late| *late)
            .count();
        assert!(late >= 3, "{source}: {late}");
    }

    // Per order: first arrival folder of each event type.
    let mut first: HashMap<&str, BTreeMap<&str, chrono::NaiveDate>> = HashMap::new();
    for (d, m) in &events {
        let order = m["order_id"].as_str().unwrap();
        let ty = m["event_type"].as_str().unwrap();
        let e = first.entry(order).or_default().entry(ty).or_insert(*d);
        *e = (*e).min(*d);
    }
    let early_updates = first
        .values()
        .filter(|t| matches!((t.get("order_updated"), t.get("order_created")), (Some(u), Some(c)) if u < c))
        .count();
    assert!(
        early_updates >= 3,
        "updates before their order_created: {early_updates}"
    );
    let never_created = first
        .values()
        .filter(|t| !t.contains_key("order_created"))
        .count();
    assert!(never_created >= 3);

    // Within one file, an order_updated line before its order_created line.
    let ooo = unique_files(dir.path(), "orders_events").iter().any(|f| {
        let mut updated_first = BTreeSet::new();
        let mut created = BTreeSet::new();
        f.data_lines().iter().any(|l| {
            let Ok(serde_json::Value::Object(m)) = serde_json::from_str(l) else {
                return false;
            };
            let (Some(o), Some(t)) = (m.get("order_id"), m.get("event_type")) else {
                return false;
            };
            let o = o.to_string();
            match t.as_str() {
                Some("order_created") => {
                    created.insert(o.clone());
                    updated_first.contains(&o)
                }
                Some("order_updated") if !created.contains(&o) => {
                    updated_first.insert(o);
                    false
                }
                _ => false,
            }
        })
    });
    assert!(ooo);

    // Payments of an order whose order_created is only in a later folder.
    let exp = expected(dir.path());
    let upto = exp.dim_date.0 + Duration::days(2);
    let early = oracle::expected(dir.path(), KEY, Some(upto)).unwrap();
    let pending: Vec<&str> = early
        .orders_current
        .iter()
        .filter(|o| o.order_created_at.is_none())
        .map(|o| o.order_id.as_str())
        .collect();
    assert!(pending.len() >= 2);
    assert!(
        early
            .payments_current
            .iter()
            .any(|p| pending.contains(&p.order_id.as_str()))
    );
}

#[test]
fn schema_drift_discounts_offsets_and_amount_formats() {
    let cfg = Config::small(13);
    let (dir, _) = landing(&cfg);
    let events = order_events(dir.path());
    let first_day: Vec<_> = events.iter().filter(|(d, _)| *d == cfg.start).collect();
    assert!(!first_day.is_empty());
    assert!(first_day.iter().all(|(_, m)| !m.contains_key("channel")));
    let last_day = cfg.start + Duration::days(4);
    let later: Vec<_> = events.iter().filter(|(d, _)| *d == last_day).collect();
    assert!(!later.is_empty());
    assert!(later.iter().all(|(_, m)| {
        matches!(
            m.get("channel").and_then(|c| c.as_str()),
            Some("web" | "app")
        )
    }));

    let discount = |pred: &dyn Fn(Option<&serde_json::Value>) -> bool| {
        events
            .iter()
            .filter(|(_, m)| pred(m.get("discount_amount")))
            .count()
    };
    assert!(discount(&|d| d.is_none()) >= 3);
    assert!(discount(&|d| d.is_some_and(|v| v.is_null())) >= 3);
    assert!(discount(&|d| d.is_some_and(|v| v.is_string())) >= 3);

    let two_places = |s: &str| {
        let (i, f) = s.split_once('.').unwrap();
        !i.is_empty() && f.len() == 2 && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
    };
    for (_, m) in &events {
        for field in ["gross_amount", "tax_amount"] {
            assert!(two_places(m[field].as_str().unwrap()), "{m:?}");
        }
    }

    let mut offsets = BTreeSet::new();
    let mut local_date_differs = 0;
    let mut near_midnight = 0;
    for (_, m) in &events {
        let t = m["event_time"].as_str().unwrap();
        offsets.insert(t[19..].to_string());
        let parsed = DateTime::parse_from_rfc3339(t).unwrap();
        if parsed.date_naive() != parsed.naive_utc().date() {
            local_date_differs += 1;
        }
        let h = parsed.naive_utc().hour();
        if h == 23 || h == 0 {
            near_midnight += 1;
        }
    }
    for o in [
        "-12:00", "+14:00", "+05:30", "+05:45", "-09:30", "Z", "+00:00", "+12:45",
    ] {
        assert!(offsets.contains(o), "{o} missing from {offsets:?}");
    }
    assert!(local_date_differs >= 10 && near_midnight >= 10);

    // Payments and shipments use offsets too; CSV amounts are plain 2-decimal numbers.
    for (_, l) in lines(dir.path(), "payments_events") {
        let f: Vec<&str> = l.split(',').collect();
        if f.len() == 7 && l.starts_with("PAY0") {
            assert!(two_places(f[4]), "{l}");
        }
    }
}

#[test]
fn fx_rates_cover_every_order_day() {
    let cfg = Config::small(17);
    let (dir, _) = landing(&cfg);
    for day in 0..cfg.days {
        let date = cfg.start + Duration::days(i64::from(day));
        let fx: Vec<_> = files(dir.path(), "fx_rates")
            .into_iter()
            .filter(|f| f.date == date)
            .collect();
        assert_eq!(fx.len(), 1, "one file per day");
        let rows = fx[0].data_lines();
        let stamp = date.to_string();
        assert!(rows.contains(&format!("{stamp},USD,1.000000")));
        for cur in ["EUR", "GBP"] {
            assert!(rows.iter().any(|r| {
                let f: Vec<&str> = r.split(',').collect();
                f.len() == 3
                    && f[0] == stamp
                    && f[1] == cur
                    && f[2].split('.').nth(1).map(str::len) == Some(6)
            }));
        }
    }
    let exp = expected(dir.path());
    assert!(exp.fact_orders.iter().all(|f| f.usd_rate.is_some()));
}

#[test]
fn payments_shipments_and_customers_behave_like_the_business() {
    let (dir, _) = landing(&Config::small(19));
    let exp = expected(dir.path());
    let created: HashMap<&str, chrono::NaiveDateTime> = exp
        .fact_orders
        .iter()
        .map(|f| (f.order_id.as_str(), f.order_created_at))
        .collect();

    // Refunds weeks after the order; failed payments; authorized then captured.
    let late_refunds = exp
        .payments_current
        .iter()
        .filter(|p| p.status.as_deref() == Some("refunded"))
        .filter(|p| {
            created
                .get(p.order_id.as_str())
                .is_some_and(|c| p.event_time - *c >= Duration::days(14))
        })
        .count();
    assert!(late_refunds >= 3, "{late_refunds}");
    let status = |s: &str| {
        exp.payments_current
            .iter()
            .filter(|p| p.status.as_deref() == Some(s))
            .count()
    };
    assert!(status("failed") >= 3 && status("captured") >= 100 && status("authorized") >= 1);
    let raw_payments = lines(dir.path(), "payments_events");
    assert!(raw_payments.iter().any(|(_, l)| l.contains(",authorized,")));
    assert!(exp.fact_orders.iter().filter(|f| f.is_cancelled).count() >= 3);

    // SLA edges, undelivered and split shipments.
    let took: Vec<Duration> = exp
        .fact_orders
        .iter()
        .filter_map(|f| Some(f.delivered_at? - f.order_created_at))
        .collect();
    let h72 = Duration::hours(72);
    assert!(
        took.iter()
            .filter(|t| **t < h72 && **t > h72 - Duration::minutes(20))
            .count()
            >= 3
    );
    assert!(
        took.iter()
            .filter(|t| **t > h72 && **t < h72 + Duration::minutes(20))
            .count()
            >= 3
    );
    assert!(took.contains(&h72));
    assert!(exp.sla_breaches_daily.iter().all(|d| d.pending_orders >= 1));
    let mut per_order: HashMap<&str, usize> = HashMap::new();
    for s in &exp.fact_shipments {
        *per_order.entry(&s.order_id).or_default() += 1;
    }
    assert!(per_order.values().filter(|n| **n == 2).count() >= 3);
    for milestone in ["label_created", "picked_up", "in_transit", "delivered"] {
        assert!(
            exp.shipment_milestones
                .iter()
                .any(|m| m.milestone == milestone)
        );
    }

    // SCD2: real changes of country or segment, unchanged re-exports, messy formatting.
    let mut versions: BTreeMap<&str, Vec<&oracle::CustomerVersion>> = BTreeMap::new();
    for v in &exp.dim_customer {
        versions.entry(&v.customer_id).or_default().push(v);
    }
    let changed = |pick: &dyn Fn(&oracle::CustomerVersion) -> &Option<String>| {
        versions
            .values()
            .filter(|v| v.windows(2).any(|w| pick(w[0]) != pick(w[1])))
            .count()
    };
    assert!(changed(&|v| &v.country) >= 3 && changed(&|v| &v.segment) >= 3);
    let customers = lines(dir.path(), "customers");
    let rows: Vec<Vec<&str>> = customers
        .iter()
        .map(|(_, l)| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() == 5 && !f[0].is_empty() && DateTime::parse_from_rfc3339(f[4]).is_ok())
        .collect();
    let norm = |f: &[&str]| {
        (
            f[1].trim().to_lowercase(),
            f[2].trim().to_uppercase(),
            f[3].trim().to_string(),
        )
    };
    let mut by_customer: BTreeMap<&str, Vec<&Vec<&str>>> = BTreeMap::new();
    for r in &rows {
        by_customer.entry(r[0]).or_default().push(r);
    }
    let reexports = by_customer
        .values_mut()
        .map(|rs| {
            rs.sort_by_key(|r| utc(r[4]));
            rs.windows(2)
                .filter(|w| norm(w[0]) == norm(w[1]) && w[0][4] != w[1][4])
                .count()
        })
        .sum::<usize>();
    assert!(reexports >= 3, "{reexports}");
    assert!(
        rows.iter()
            .filter(|f| f[1] != f[1].trim().to_lowercase())
            .count()
            >= 10
    );
    assert!(rows.iter().filter(|f| f[2] != f[2].to_uppercase()).count() >= 10);

    // Every export lands on the UTC date of its updated_at, never late.
    for f in unique_files(dir.path(), "customers") {
        for l in f.data_lines() {
            let fields: Vec<&str> = l.split(',').collect();
            if fields.len() == 5 && !fields[0].is_empty() && !l.contains("Leaky") {
                assert_eq!(utc(fields[4]).date(), f.date, "{l}");
            }
        }
    }
    // ... and a customer's first export precedes the customer's first order.
    for f in &exp.fact_orders {
        let first = versions[f.customer_id.as_deref().unwrap()][0].valid_from;
        assert!(first < f.order_created_at, "{}", f.order_id);
        assert!(
            f.customer_valid_from
                .is_some_and(|v| v <= f.order_created_at)
        );
    }
}

#[test]
fn clean_mode_is_clean() {
    let cfg = Config {
        mess: false,
        ..Config::small(23)
    };
    let (dir, summary) = landing(&cfg);
    assert_eq!(summary.bad_lines, 0);
    let exp = expected(dir.path());
    assert_eq!(exp.rejects, 0);
    assert_eq!(exp.fact_orders.len(), 200, "every order_created arrives");
    for source in SOURCES {
        let s = &summary.sources[source];
        assert_eq!((s.duplicate_lines, s.redelivered_files), (0, 0), "{source}");
        assert_eq!(
            files(dir.path(), source).len(),
            unique_files(dir.path(), source).len()
        );
    }
    // Never late, and in event-time order within each file.
    for f in unique_files(dir.path(), "orders_events") {
        let times: Vec<_> = f
            .data_lines()
            .iter()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                utc(v["event_time"].as_str().unwrap())
            })
            .collect();
        assert!(times.iter().all(|t| t.date() == f.date));
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }
    for source in ["payments_events", "shipments_events"] {
        for f in unique_files(dir.path(), source) {
            let times: Vec<_> = f
                .data_lines()
                .iter()
                .map(|l| utc(l.split(',').nth(2).unwrap()))
                .collect();
            assert!(times.iter().all(|t| t.date() == f.date));
            assert!(times.windows(2).all(|w| w[0] <= w[1]));
        }
    }
    let ids: Vec<String> = order_events(dir.path())
        .iter()
        .map(|(_, m)| m["event_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), ids.iter().collect::<BTreeSet<_>>().len());
    // Business behaviour stays: cancellations, refunds, every offset family.
    assert!(exp.fact_orders.iter().any(|f| f.is_cancelled));
    assert!(exp.fact_orders.iter().any(|f| f.is_refunded));
}

#[test]
fn replaying_day_by_day_reproduces_the_landing_zone() {
    let (dir, summary) = landing(&Config::small(29));
    let replay = TempDir::new().unwrap();
    let days = arrival_dates(dir.path()).unwrap();
    let middle = days[days.len() / 2];
    for day in &days {
        copy_arrival_day(dir.path(), replay.path(), *day).unwrap();
        if *day == middle {
            assert_eq!(
                oracle::expected(replay.path(), KEY, None).unwrap(),
                oracle::expected(dir.path(), KEY, Some(middle)).unwrap()
            );
        }
    }
    assert_eq!(tree(dir.path()), tree(replay.path()));
    assert_eq!(days, summary.arrival_dates);
    assert!(fs::read_dir(replay.path()).unwrap().count() == SOURCES.len());
}
