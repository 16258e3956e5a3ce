//! pushdown: a warehouse-pushdown ELT agent.
//!
//! It lands raw files in the warehouse exactly as received (plus metadata,
//! once per file checksum, bad lines to a rejects table, PII tokenized), then
//! transforms them *inside* the warehouse by rendering idempotent statements
//! from per-dialect templates. Data never flows through the agent on the
//! transform path.

pub mod adapters;
pub mod cli;
pub mod config;
pub mod error;
pub mod failpoint;
pub mod heap;
pub mod init;
pub mod land;
pub mod lease;
pub mod progress;
pub mod query;
pub mod render;
pub mod result;
pub mod run;
pub mod sql;
pub mod status;
pub mod transform;
pub mod warehouse;

pub use error::{Error, Result};
