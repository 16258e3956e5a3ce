//! Buckets lines per (source, arrival day) and writes them as files.
//!
//! A bucket is one `String` arena plus a small index entry per line, so buffering a day
//! of events costs one growing allocation instead of one per line. When a day is
//! complete its lines are sorted by arrival instant (files are time-ordered batches, as a
//! real producer would write them), cut into part files, and written through large
//! buffered writers (gzip for some order parts, header mtime 0). Duplicate copies of
//! valid lines that the producer "retried" go to a separate `_retry` file of the same
//! folder; some whole files are redelivered, byte for byte, in a later folder.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::mem;
use std::path::{Path, PathBuf};

use chrono::{Duration, NaiveDate};
use flate2::{Compression, GzBuilder};

use super::{Plan, SOURCES, SourceSummary, Summary};

/// One of the five sources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Src {
    Orders = 0,
    Payments = 1,
    Shipments = 2,
    Customers = 3,
    Fx = 4,
}

impl Src {
    const ALL: [Src; 5] = [
        Src::Orders,
        Src::Payments,
        Src::Shipments,
        Src::Customers,
        Src::Fx,
    ];

    fn folder(self) -> &'static str {
        SOURCES[self as usize]
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Src::Orders => None,
            Src::Payments => Some("payment_id,order_id,event_time,status,amount,currency,version"),
            Src::Shipments => Some("shipment_id,order_id,event_time,milestone,carrier"),
            Src::Customers => Some("customer_id,email,country,segment,updated_at"),
            Src::Fx => Some("rate_date,currency,usd_rate"),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Src::Orders => "orders",
            Src::Payments => "payments",
            Src::Shipments => "shipments",
            Src::Customers => "customers",
            Src::Fx => "fx_rates",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Src::Orders => "jsonl",
            _ => "csv",
        }
    }

    /// Number of part files for `lines` lines; `None` means a single file without a part
    /// number (one daily export). Order days always get at least two order files (one
    /// of them often gzipped); the thin tail after the last order day gets one.
    fn parts(self, lines: usize, order_day: bool) -> Option<usize> {
        match self {
            Src::Orders => Some(lines.div_ceil(50_000).max(if order_day { 2 } else { 1 })),
            Src::Payments | Src::Shipments => Some(lines.div_ceil(100_000).max(1)),
            Src::Customers | Src::Fx => None,
        }
    }

    /// Where (days later) and under which name the first file of an order day is
    /// delivered a second time, in messy mode. `true` = under another name.
    fn redelivery(self, day_index: i64) -> Option<(i64, bool)> {
        match self {
            Src::Orders if day_index % 3 == 1 => Some((2, true)),
            Src::Payments if day_index % 3 == 2 => Some((1, true)),
            Src::Shipments if day_index % 4 == 3 => Some((2, true)),
            Src::Customers if day_index % 3 == 0 => Some((1, false)),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Line {
    key: i64,
    seq: u64,
    start: u32,
    end: u32,
    retry: bool,
    bad: bool,
}

#[derive(Debug, Default)]
struct Bucket {
    text: String,
    lines: Vec<Line>,
}

/// Collects lines and writes them out day by day.
pub struct Sink {
    root: PathBuf,
    plan: Plan,
    buckets: [BTreeMap<NaiveDate, Bucket>; 5],
    seq: u64,
    stats: [SourceSummary; 5],
    dates: BTreeSet<NaiveDate>,
}

impl Sink {
    pub fn new(root: &Path, plan: &Plan) -> Self {
        Sink {
            root: root.to_path_buf(),
            plan: plan.clone(),
            buckets: Default::default(),
            seq: 0,
            stats: Default::default(),
            dates: BTreeSet::new(),
        }
    }

    /// Adds a line (without its newline) to the file(s) of `src` arriving on `date`,
    /// at position `key` (arrival instant, Unix seconds) within the day.
    pub fn push(&mut self, src: Src, date: NaiveDate, key: i64, text: &str, bad: bool) {
        self.push_line(src, date, key, text, bad, false);
    }

    /// Adds an extra copy of a valid line; `separate_file` puts it into the folder's
    /// `_retry` file (a producer retry) rather than next to the original.
    pub fn push_duplicate(
        &mut self,
        src: Src,
        date: NaiveDate,
        key: i64,
        text: &str,
        separate_file: bool,
    ) {
        self.stats[src as usize].duplicate_lines += 1;
        self.push_line(src, date, key, text, false, separate_file);
    }

    fn push_line(
        &mut self,
        src: Src,
        date: NaiveDate,
        key: i64,
        text: &str,
        bad: bool,
        retry: bool,
    ) {
        debug_assert!(date >= self.plan.start && date <= self.plan.max_arrival);
        debug_assert!(!text.contains('\n') || src != Src::Orders);
        let bucket = self.buckets[src as usize].entry(date).or_default();
        let start = bucket.text.len() as u32;
        bucket.text.push_str(text);
        bucket.lines.push(Line {
            key,
            seq: self.seq,
            start,
            end: bucket.text.len() as u32,
            retry,
            bad,
        });
        self.seq += 1;
    }

    /// Writes and forgets every bucket whose arrival day is `<= date`.
    pub fn flush_through(&mut self, date: NaiveDate) -> io::Result<()> {
        for src in Src::ALL {
            let map = &mut self.buckets[src as usize];
            let later = map.split_off(&(date + Duration::days(1)));
            let done = mem::replace(map, later);
            for (day, bucket) in done {
                self.write_bucket(src, day, bucket)?;
            }
        }
        Ok(())
    }

    /// Writes everything left and returns the summary.
    pub fn finish(mut self) -> io::Result<Summary> {
        self.flush_through(self.plan.max_arrival)?;
        let mut summary = Summary {
            arrival_dates: self.dates.iter().copied().collect(),
            ..Summary::default()
        };
        for src in Src::ALL {
            let s = &self.stats[src as usize];
            summary.files += s.files;
            summary.lines += s.lines;
            summary.bad_lines += s.bad_lines;
            summary.sources.insert(src.folder().to_string(), s.clone());
        }
        Ok(summary)
    }

    fn folder(&mut self, src: Src, date: NaiveDate) -> io::Result<PathBuf> {
        let dir = self
            .root
            .join(src.folder())
            .join(date.format("%Y-%m-%d").to_string());
        fs::create_dir_all(&dir)?;
        self.dates.insert(date);
        Ok(dir)
    }

    fn write_bucket(&mut self, src: Src, date: NaiveDate, mut bucket: Bucket) -> io::Result<()> {
        bucket.lines.sort_unstable_by_key(|l| (l.key, l.seq));
        let (retry, main): (Vec<Line>, Vec<Line>) = bucket.lines.iter().partition(|l| l.retry);
        let dir = self.folder(src, date)?;
        let day_index = (date - self.plan.start).num_days();
        let stamp = date.format("%Y-%m-%d");

        let mut files: Vec<(String, Vec<Line>)> = Vec::new();
        let order_day = day_index < i64::from(self.plan.days);
        match src.parts(main.len(), order_day) {
            None => files.push((format!("{}_{stamp}.{}", src.prefix(), src.ext()), main)),
            Some(parts) => {
                let size = main.len().div_ceil(parts).max(1);
                for (i, chunk) in main.chunks(size).enumerate() {
                    let part = i + 1;
                    let gz = src == Src::Orders && (day_index + part as i64) % 3 == 0;
                    let name = format!(
                        "{}_{stamp}_{part:02}.{}{}",
                        src.prefix(),
                        src.ext(),
                        if gz { ".gz" } else { "" }
                    );
                    files.push((name, chunk.to_vec()));
                }
            }
        }
        if !retry.is_empty() {
            files.push((
                format!("{}_{stamp}_retry.{}", src.prefix(), src.ext()),
                retry,
            ));
        }

        for (i, (name, mut lines)) in files.into_iter().enumerate() {
            // A blank bad line is meant to sit in the middle of a file, never last.
            let n = lines.len();
            if n >= 2 && lines[n - 1].start == lines[n - 1].end {
                lines.swap(n - 1, n - 2);
            }
            let path = dir.join(&name);
            let gz = name.ends_with(".gz");
            let (written, bad) = write_file(&path, gz, src.header(), &bucket.text, &lines)?;
            self.count(src, written, bad);

            let redeliver = if self.plan.mess && i == 0 && order_day {
                src.redelivery(day_index)
            } else {
                None
            };
            if let Some((later, rename)) = redeliver {
                let target = (date + Duration::days(later)).min(self.plan.max_arrival);
                let copy_name = if rename {
                    format!("resend_{name}")
                } else {
                    name.clone()
                };
                let copy = self.folder(src, target)?.join(copy_name);
                fs::copy(&path, &copy)?;
                self.count(src, written, bad);
                self.stats[src as usize].redelivered_files += 1;
            }
        }
        Ok(())
    }

    fn count(&mut self, src: Src, lines: u64, bad: u64) {
        let s = &mut self.stats[src as usize];
        s.files += 1;
        s.lines += lines;
        s.bad_lines += bad;
    }
}

/// Writes one file and returns (data lines, bad lines).
fn write_file(
    path: &Path,
    gz: bool,
    header: Option<&str>,
    text: &str,
    lines: &[Line],
) -> io::Result<(u64, u64)> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    if gz {
        let mut enc = GzBuilder::new().mtime(0).write(file, Compression::new(3));
        emit(&mut enc, header, text, lines)?;
        enc.finish()?.flush()?;
    } else {
        let mut file = file;
        emit(&mut file, header, text, lines)?;
        file.flush()?;
    }
    let bad = lines.iter().filter(|l| l.bad).count() as u64;
    Ok((lines.len() as u64, bad))
}

fn emit<W: Write>(w: &mut W, header: Option<&str>, text: &str, lines: &[Line]) -> io::Result<()> {
    if let Some(h) = header {
        w.write_all(h.as_bytes())?;
        w.write_all(b"\n")?;
    }
    for l in lines {
        w.write_all(&text.as_bytes()[l.start as usize..l.end as usize])?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
