//! Where a raw upstream stood when a model last published, as recorded in
//! `audit.watermarks.value`.
//!
//! A raw table is append-only, so its newest watermark value together with
//! its row count says whether anything arrived since: the newest value
//! alone would miss rows landed *behind* it (a loader with a skewed clock),
//! which the lookback exists to catch. Values written before the count was
//! recorded carry the watermark alone; they never compare equal, so such a
//! model runs once the old way and records the count.

/// Separates the watermark from the row count in the stored value.
const ROWS: &str = "; rows=";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPosition {
    /// `max(watermark column)` as the warehouse printed it.
    pub newest: String,
    pub rows: Option<i64>,
}

impl RawPosition {
    pub fn parse(value: &str) -> Self {
        match value.split_once(ROWS) {
            Some((newest, rows)) => RawPosition {
                newest: newest.to_string(),
                rows: rows.trim().parse().ok(),
            },
            None => RawPosition {
                newest: value.to_string(),
                rows: None,
            },
        }
    }

    pub fn value(&self) -> String {
        match self.rows {
            Some(n) => format!("{}{ROWS}{n}", self.newest),
            None => self.newest.clone(),
        }
    }

    /// Nothing can have arrived between `self` (recorded) and `now`.
    pub fn unchanged_at(&self, now: &RawPosition) -> bool {
        self.rows.is_some() && self == now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_values_without_a_count() {
        let p = RawPosition {
            newest: "2026-03-01 10:00:00.123456".into(),
            rows: Some(42),
        };
        assert_eq!(RawPosition::parse(&p.value()), p);
        let old = RawPosition::parse("2026-03-01 10:00:00.123456");
        assert_eq!(old.newest, p.newest);
        assert_eq!(old.rows, None);
    }

    #[test]
    fn equal_only_with_the_same_newest_value_and_count() {
        let at = |newest: &str, rows| RawPosition {
            newest: newest.into(),
            rows,
        };
        let recorded = at("2026-03-01 10:00:00", Some(10));
        assert!(recorded.unchanged_at(&at("2026-03-01 10:00:00", Some(10))));
        // A row landed behind the newest one: same max, one more row.
        assert!(!recorded.unchanged_at(&at("2026-03-01 10:00:00", Some(11))));
        assert!(!recorded.unchanged_at(&at("2026-03-02 00:00:00", Some(11))));
        // A value recorded before counts were kept never skips.
        let legacy = at("2026-03-01 10:00:00", None);
        assert!(!legacy.unchanged_at(&legacy.clone()));
    }
}
