//! Identity and timing of one pushdown invocation.

use chrono::NaiveDateTime;

#[derive(Debug, Clone)]
pub struct RunContext {
    /// A time-ordered UUID (v7): sorting run ids sorts runs by start.
    pub run_id: String,
    pub started_at: NaiveDateTime,
    pub target: String,
}

impl RunContext {
    pub fn new(target: &str) -> Self {
        Self {
            run_id: uuid::Uuid::now_v7().to_string(),
            started_at: chrono::Utc::now().naive_utc(),
            target: target.to_string(),
        }
    }
}
