//! Deterministic landing-zone generator.
//!
//! Why it is built this way:
//!
//! * **Deterministic.** Every random choice comes from `StdRng::seed_from_u64`, every
//!   collection that drives output order is ordered, gzip headers carry mtime 0 and no
//!   wall clock is read. Same [`Config`], same bytes, so a failing pipeline run can be
//!   replayed exactly.
//! * **Streaming.** Orders are generated one creation day at a time. Every event lands in a
//!   bucket keyed by its arrival day; an arrival day can never receive events from orders
//!   created after it, so once day `d` is generated every bucket up to `d` is complete and
//!   is written out and dropped. Memory stays proportional to a few days of data.
//! * **Mess on quota, not on luck.** Each kind of mess is assigned to a fixed share of the
//!   day's orders with a floor of one, so even 40 orders a day show every kind of mess
//!   several times over a few days (see `orders::flags`).
//!
//! Modules: `time` formats instants with UTC offsets, `sink` buckets and
//! writes files (parts, gzip, retries, redeliveries), `customers` plans the customer
//! master data and its SCD2 history, `orders` plays each order's lifecycle (order,
//! payment and shipment events), `fx` writes daily rates and `mess` the bad lines.

mod customers;
mod fx;
mod mess;
mod orders;
mod sink;
mod time;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::SeedableRng;
use rand::rngs::StdRng;

use self::customers::Customers;
use self::sink::Sink;

/// The five sources of the contract, as folder names under the landing root.
pub const SOURCES: [&str; 5] = [
    "orders_events",
    "payments_events",
    "shipments_events",
    "customers",
    "fx_rates",
];

/// How late an arrival may be, counted from the last order day: refunds come weeks after
/// their order, so the landing zone has a thin tail of arrival folders after the orders.
pub(crate) const TAIL_DAYS: i64 = 21;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Seed of every random choice.
    pub seed: u64,
    /// First order day (UTC) and first arrival folder.
    pub start: NaiveDate,
    /// Number of days that get new orders.
    pub days: u32,
    /// Orders created per day.
    pub orders_per_day: u32,
    /// Number of customers; 0 derives it from the order volume.
    pub customers: u32,
    /// `false` writes perfectly clean data (no bad lines, duplicates, redeliveries, late or
    /// out-of-order events) for small targeted tests.
    pub mess: bool,
}

impl Config {
    /// A small messy landing zone (5 days x 40 orders) that still shows every kind of mess.
    pub fn small(seed: u64) -> Self {
        Config {
            seed,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"),
            days: 5,
            orders_per_day: 40,
            customers: 0,
            mess: true,
        }
    }

    /// The customer count actually used.
    pub fn customer_count(&self) -> u32 {
        if self.customers > 0 {
            self.customers
        } else {
            (self.orders_per_day.saturating_mul(self.days) / 5).max(20)
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            seed: 42,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"),
            days: 30,
            orders_per_day: 1_000,
            customers: 0,
            mess: true,
        }
    }
}

/// What one source received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceSummary {
    /// Files written, redelivered copies included.
    pub files: usize,
    /// Data lines written (CSV headers excluded), redelivered copies included.
    pub lines: u64,
    /// Lines written on purpose to be rejected, redelivered copies included.
    pub bad_lines: u64,
    /// Extra copies of a valid line (at-least-once delivery).
    pub duplicate_lines: u64,
    /// Whole files delivered a second time (same bytes).
    pub redelivered_files: usize,
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Every arrival folder written, over all sources, ascending.
    pub arrival_dates: Vec<NaiveDate>,
    /// Files written over all sources.
    pub files: usize,
    /// Data lines written over all sources.
    pub lines: u64,
    /// Bad lines written over all sources.
    pub bad_lines: u64,
    /// Orders generated (including those whose `order_created` never arrives).
    pub orders: u64,
    /// Customers generated.
    pub customers: u32,
    /// Per source (every name of [`SOURCES`]).
    pub sources: BTreeMap<String, SourceSummary>,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.arrival_dates.first();
        let last = self.arrival_dates.last();
        writeln!(
            f,
            "orders {}, customers {}, arrival folders {} ({} .. {})",
            self.orders,
            self.customers,
            self.arrival_dates.len(),
            first.map(ToString::to_string).unwrap_or_default(),
            last.map(ToString::to_string).unwrap_or_default(),
        )?;
        writeln!(
            f,
            "{:<18} {:>7} {:>11} {:>9} {:>10} {:>11}",
            "source", "files", "lines", "bad", "duplicate", "redelivered"
        )?;
        for (name, s) in &self.sources {
            writeln!(
                f,
                "{:<18} {:>7} {:>11} {:>9} {:>10} {:>11}",
                name, s.files, s.lines, s.bad_lines, s.duplicate_lines, s.redelivered_files
            )?;
        }
        write!(
            f,
            "{:<18} {:>7} {:>11} {:>9}",
            "total", self.files, self.lines, self.bad_lines
        )
    }
}

/// Derived, immutable facts about one generation run.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub seed: u64,
    pub start: NaiveDate,
    /// Unix seconds of `start` 00:00 UTC.
    pub start_ts: i64,
    pub days: u32,
    pub orders_per_day: u32,
    pub mess: bool,
    /// First arrival day whose order events carry `channel`.
    pub drift_date: NaiveDate,
    /// Last arrival folder any event may land in.
    pub max_arrival: NaiveDate,
}

impl Plan {
    fn new(cfg: &Config) -> Self {
        let start_ts = time::day_start(cfg.start);
        let last_order_day = cfg.start + Duration::days(i64::from(cfg.days.max(1)) - 1);
        Plan {
            seed: cfg.seed,
            start: cfg.start,
            start_ts,
            days: cfg.days,
            orders_per_day: cfg.orders_per_day,
            mess: cfg.mess,
            drift_date: cfg.start + Duration::days(i64::from((cfg.days / 3).max(1))),
            max_arrival: last_order_day + Duration::days(TAIL_DAYS),
        }
    }

    /// Unix seconds at which order creation stops.
    pub fn orders_end_ts(&self) -> i64 {
        self.start_ts + i64::from(self.days) * time::DAY
    }

    /// Last second of the last allowed arrival folder.
    pub fn max_arrival_end_ts(&self) -> i64 {
        time::day_start(self.max_arrival) + time::DAY - 1
    }

    /// A random stream for one purpose, independent of the other streams.
    pub fn rng(&self, purpose: u64, index: u64) -> StdRng {
        let mixed = self
            .seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(purpose.wrapping_mul(0xC2B2_AE3D_27D4_EB4F))
            .wrapping_add(index.wrapping_mul(0x1656_67B1_9E37_79F9));
        StdRng::seed_from_u64(mixed)
    }
}

/// Writes a landing zone under `landing` (which should be empty or absent) and reports
/// what was written.
pub fn generate(cfg: &Config, landing: &Path) -> io::Result<Summary> {
    let plan = Plan::new(cfg);
    fs::create_dir_all(landing)?;
    let mut sink = Sink::new(landing, &plan);
    let customers = Customers::plan(&plan, cfg.customer_count());
    customers.write_exports(&plan, &mut sink);
    fx::write_rates(&plan, &mut sink);

    let mut orders = orders::OrderGen::new(&plan, &customers);
    for day in 0..cfg.days {
        let date = plan.start + Duration::days(i64::from(day));
        if plan.mess {
            mess::write_bad_lines(&plan, &mut sink, day);
        }
        orders.generate_day(&mut sink, day);
        sink.flush_through(date)?;
    }
    let mut summary = sink.finish()?;
    summary.orders = orders.generated();
    summary.customers = customers.len() as u32;
    Ok(summary)
}

/// All arrival folders of a landing zone, over every source, ascending and distinct.
/// Folders whose name is not a `YYYY-MM-DD` date are ignored.
pub fn arrival_dates(landing: &Path) -> io::Result<Vec<NaiveDate>> {
    let mut dates = Vec::new();
    for source in SOURCES {
        let dir = landing.join(source);
        if !dir.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if !entry.file_type()?.is_dir() {
                continue;
            }
            if let Some(date) = entry.file_name().to_str().and_then(time::parse_folder_date) {
                dates.push(date);
            }
        }
    }
    dates.sort_unstable();
    dates.dedup();
    Ok(dates)
}

/// Copies `<from>/<source>/<day>/*` to `<to>/<source>/<day>/` for every source that has
/// such a folder, so a test can replay a landing zone one arrival day at a time.
pub fn copy_arrival_day(from: &Path, to: &Path, day: NaiveDate) -> io::Result<()> {
    let folder = day.format("%Y-%m-%d").to_string();
    for source in SOURCES {
        let src = from.join(source).join(&folder);
        if !src.is_dir() {
            continue;
        }
        let dst = to.join(source).join(&folder);
        fs::create_dir_all(&dst)?;
        let mut entries = fs::read_dir(&src)?.collect::<Result<Vec<_>, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            if entry.file_type()?.is_file() {
                fs::copy(entry.path(), dst.join(entry.file_name()))?;
            }
        }
    }
    Ok(())
}
