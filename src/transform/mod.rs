//! Transforming inside the warehouse (models, DAG, materializations).

use serde::Serialize;

#[derive(Debug, Default, Clone, Serialize)]
pub struct TransformReport {}
