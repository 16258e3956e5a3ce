//! Transforming inside the warehouse: models, their DAG, and the engine that
//! renders and submits each run's statements.

pub mod dag;
pub mod engine;
pub mod model;
pub mod names;
pub mod position;
pub mod stage;

use std::collections::BTreeSet;

pub use dag::Dag;
pub use engine::{CheckReport, Engine, Mode, ModelReport, TransformReport};

use crate::config::Project;
use crate::error::{Error, Result};

/// Loads and checks every model of the project and their DAG; reports every
/// problem in one pass.
pub fn load(project: &Project) -> Result<Dag> {
    let mut problems = Vec::new();
    let models = model::load_models(&project.dir, &mut problems);
    let dag = Dag::build(models, &project.sources, &mut problems);
    if problems.is_empty() {
        Ok(dag)
    } else {
        Err(Error::Config(problems))
    }
}

/// The models a `--select` names (all when empty).
pub fn select(dag: &Dag, selectors: &[String]) -> Result<BTreeSet<String>> {
    dag.select(selectors).map_err(Error::Usage)
}
