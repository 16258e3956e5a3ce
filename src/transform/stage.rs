//! The statement that builds a model's rows for a scope into its staging
//! table; shared by the engine and by `pushdown render`.

use pushdown_adapter::Dialect;

use super::model::{Materialization, Model};
use crate::sql::{BuildScd2Stage, BuildStage, Latest, Scope, Statement};

/// `columns` are the SELECT's output columns (an SCD2 build lists them).
pub fn build_stage(
    d: Dialect,
    m: &Model,
    stage: &str,
    select: &str,
    scope: Scope,
    columns: Vec<String>,
) -> Vec<String> {
    let order: Vec<(String, bool)> = m
        .latest_by
        .iter()
        .map(|t| (t.column.clone(), t.descending))
        .collect();
    match (&m.scd2, m.materialized) {
        (Some(s), Materialization::Scd2) => BuildScd2Stage {
            stage: stage.into(),
            select: select.into(),
            scope,
            keys: m.unique_key.clone(),
            tracked: s.tracked.clone(),
            valid_from: s.valid_from.clone(),
            surrogate_key: s.surrogate_key.clone(),
            order,
            columns,
        }
        .render(d),
        _ => BuildStage {
            stage: stage.into(),
            select: select.into(),
            scope,
            latest: (m.materialized == Materialization::Incremental && !order.is_empty()).then(
                || Latest {
                    keys: m.unique_key.clone(),
                    order,
                },
            ),
        }
        .render(d),
    }
}
