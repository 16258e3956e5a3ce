//! Where a model and its work relations live in the warehouse.
//!
//! Work relations (stage, keys, delta, change log) are named
//! `<schema>__<name>__<role>` in the `_pushdown` schema, so they never
//! collide with a user's tables and a crashed run's leftovers are simply
//! overwritten; a dialect may keep the scratch ones (all but the change log)
//! elsewhere, see `Quoting::scratch`.

use super::model::Model;
use crate::sql::Q;

pub const WORK_SCHEMA: &str = "_pushdown";

pub struct Names {
    pub target: String,
    pub stage: String,
    /// Where a view model is created and checked before it replaces the
    /// published view: a view holds no rows, so it is never scratch.
    pub view_stage: String,
    pub keys: String,
    pub delta: String,
    pub changes: String,
}

impl Names {
    pub fn of(q: &Q, m: &Model) -> Self {
        Self::of_id(q, &m.schema, &m.name)
    }

    pub fn of_id(q: &Q, schema: &str, name: &str) -> Self {
        let scratch = |role: &str| q.scratch(WORK_SCHEMA, format!("{schema}__{name}__{role}"));
        Self {
            target: q.table(schema, name),
            stage: scratch("stage"),
            view_stage: q.table(WORK_SCHEMA, format!("{schema}__{name}__stage")),
            keys: scratch("keys"),
            delta: scratch("delta"),
            // Read by later runs of the models downstream: never scratch.
            changes: q.table(WORK_SCHEMA, format!("{schema}__{name}__changes")),
        }
    }
}

/// `raw.orders` -> (`raw`, `orders`).
pub fn split_id(id: &str) -> (&str, &str) {
    id.split_once('.').unwrap_or(("", id))
}
