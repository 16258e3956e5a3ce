//! Instants, UTC offsets and fixed-point numbers as text.
//!
//! The generator keeps every instant as Unix seconds (`i64`) and every amount as integer
//! cents (rates as millionths): integer arithmetic is exact, cheap and deterministic.
//! Text is produced only when a line is written, straight into a reused buffer.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
use rand::Rng;

/// Seconds in a day.
pub const DAY: i64 = 86_400;
/// Seconds in an hour.
pub const HOUR: i64 = 3_600;

/// A UTC offset as written in `event_time`: `Z`, or `+HH:MM` / `-HH:MM` in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offset {
    Z,
    Minutes(i32),
}

/// Every offset in use somewhere on Earth, from -12:00 to +14:00, with the odd ones
/// (-09:30, +05:30, +05:45, +12:45, ...) and both spellings of UTC.
pub const OFFSETS: [Offset; 40] = {
    use Offset::{Minutes as M, Z};
    [
        M(-720),
        M(-660),
        M(-600),
        M(-570),
        M(-540),
        M(-480),
        M(-420),
        M(-360),
        M(-300),
        M(-240),
        M(-210),
        M(-180),
        M(-120),
        M(-60),
        Z,
        M(0),
        M(60),
        M(120),
        M(180),
        M(210),
        M(240),
        M(270),
        M(300),
        M(330),
        M(345),
        M(360),
        M(390),
        M(420),
        M(480),
        M(525),
        M(540),
        M(570),
        M(600),
        M(630),
        M(660),
        M(720),
        M(765),
        M(780),
        M(840),
        Z,
    ]
};

impl Offset {
    /// A uniformly chosen offset.
    pub fn random(rng: &mut impl Rng) -> Offset {
        OFFSETS[rng.random_range(0..OFFSETS.len())]
    }

    fn seconds(self) -> i64 {
        match self {
            Offset::Z => 0,
            Offset::Minutes(m) => i64::from(m) * 60,
        }
    }
}

/// Unix seconds of `date` at 00:00 UTC.
pub fn day_start(date: NaiveDate) -> i64 {
    date.and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
        .timestamp()
}

/// UTC date of an instant.
pub fn date_of(ts: i64) -> NaiveDate {
    DateTime::from_timestamp(ts, 0)
        .expect("instant in range")
        .date_naive()
}

/// Appends `ts` as RFC 3339 in the given offset, e.g. `2026-01-01T09:15:00+05:45`.
pub fn push_rfc3339(out: &mut String, ts: i64, offset: Offset) {
    let local = DateTime::from_timestamp(ts + offset.seconds(), 0)
        .expect("instant in range")
        .naive_utc();
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    match offset {
        Offset::Z => out.push('Z'),
        Offset::Minutes(m) => {
            let sign = if m < 0 { '-' } else { '+' };
            let m = m.abs();
            let _ = write!(out, "{sign}{:02}:{:02}", m / 60, m % 60);
        }
    }
}

/// Appends a date as `YYYY-MM-DD`.
pub fn push_date(out: &mut String, date: NaiveDate) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    );
}

/// Appends integer cents as a decimal with two places, e.g. `12050` -> `120.50`.
pub fn push_cents(out: &mut String, cents: i64) {
    if cents < 0 {
        out.push('-');
    }
    let c = cents.unsigned_abs();
    let _ = write!(out, "{}.{:02}", c / 100, c % 100);
}

/// Appends integer millionths as a decimal with six places, e.g. `1083421` -> `1.083421`.
pub fn push_micros(out: &mut String, micros: i64) {
    let _ = write!(out, "{}.{:06}", micros / 1_000_000, micros % 1_000_000);
}

/// Parses an arrival folder name (`YYYY-MM-DD`, exactly ten characters).
pub fn parse_folder_date(name: &str) -> Option<NaiveDate> {
    if name.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(name, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_offsets_and_numbers() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let ts = day_start(d) + 23 * HOUR + 30 * 60;
        let mut s = String::new();
        push_rfc3339(&mut s, ts, Offset::Minutes(345));
        assert_eq!(s, "2026-01-02T05:15:00+05:45");
        s.clear();
        push_rfc3339(&mut s, ts, Offset::Minutes(-570));
        assert_eq!(s, "2026-01-01T14:00:00-09:30");
        s.clear();
        push_rfc3339(&mut s, ts, Offset::Z);
        assert_eq!(s, "2026-01-01T23:30:00Z");
        s.clear();
        push_cents(&mut s, 12050);
        s.push(' ');
        push_cents(&mut s, 7);
        s.push(' ');
        push_micros(&mut s, 1_083_421);
        assert_eq!(s, "120.50 0.07 1.083421");
        assert_eq!(date_of(ts), d);
    }
}
