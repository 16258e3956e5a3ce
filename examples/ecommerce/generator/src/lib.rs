//! Test kit for pushdown's reference e-commerce scenario (`shared/spec/ecommerce.md`).
//!
//! Two halves that deliberately share nothing but the contract:
//!
//! * [`mod@generate`] writes a deterministic landing zone (five sources, one folder per
//!   arrival day) full of the mess the contract promises: late and out-of-order events,
//!   duplicates, redelivered files, bad lines, schema drift, SCD2 customer changes, every
//!   UTC offset. Same seed and config, same bytes.
//! * [`oracle`] reads any landing zone the way an outside checker would (plain Rust and
//!   `rust_decimal`, no SQL) and computes what each pipeline table must contain, so that
//!   the pipeline's output can be compared row by row.
//!
//! The oracle never looks at the generator's internals: it would agree with any
//! generator that writes files following the contract.

pub mod generate;
pub mod oracle;

pub use generate::{
    Config, SOURCES, SourceSummary, Summary, arrival_dates, copy_arrival_day, generate,
};
