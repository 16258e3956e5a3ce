//! Where a model and its work relations live in the warehouse.
//!
//! Work relations (stage, keys, delta, change log) sit in the `_pushdown`
//! schema, named `<schema>__<name>__<role>`, so they never collide with a
//! user's tables and a crashed run's leftovers are simply overwritten.

use super::model::Model;
use crate::sql::Q;

pub const WORK_SCHEMA: &str = "_pushdown";

pub struct Names {
    pub target: String,
    pub stage: String,
    pub keys: String,
    /// The unique keys a partition build reads (see `Via::grain`).
    pub row_keys: String,
    pub delta: String,
    pub changes: String,
}

impl Names {
    pub fn of(q: &Q, m: &Model) -> Self {
        Self::of_id(q, &m.schema, &m.name)
    }

    pub fn of_id(q: &Q, schema: &str, name: &str) -> Self {
        let work = |role: &str| q.table(WORK_SCHEMA, format!("{schema}__{name}__{role}"));
        Self {
            target: q.table(schema, name),
            stage: work("stage"),
            keys: work("keys"),
            row_keys: work("rowkeys"),
            delta: work("delta"),
            changes: work("changes"),
        }
    }
}

/// `raw.orders` -> (`raw`, `orders`).
pub fn split_id(id: &str) -> (&str, &str) {
    id.split_once('.').unwrap_or(("", id))
}
