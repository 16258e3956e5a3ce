//! `ecommerce-gen`: writes a landing zone for the reference e-commerce pipeline.
//!
//! A thin command line over [`ecommerce_gen::generate`], so demos, benchmarks and manual
//! checks use exactly the files the tests use.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::NaiveDate;
use clap::Parser;
use ecommerce_gen::{Config, generate};

/// Generate a deterministic landing zone for the reference e-commerce scenario.
#[derive(Debug, Parser)]
#[command(name = "ecommerce-gen", version)]
struct Args {
    /// Landing root to write into (created if absent; should be empty).
    #[arg(long)]
    out: PathBuf,
    /// Seed of every random choice: same seed, same bytes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// First order day (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2026-01-01")]
    start: NaiveDate,
    /// Days with new orders.
    #[arg(long, default_value_t = 30)]
    days: u32,
    /// Orders created per day.
    #[arg(long, default_value_t = 1_000)]
    orders_per_day: u32,
    /// Number of customers (0 = derived from the order volume).
    #[arg(long, default_value_t = 0)]
    customers: u32,
    /// Perfectly clean data: no bad lines, duplicates, redeliveries or late events.
    #[arg(long)]
    clean: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let cfg = Config {
        seed: args.seed,
        start: args.start,
        days: args.days,
        orders_per_day: args.orders_per_day,
        customers: args.customers,
        mess: !args.clean,
    };
    let started = Instant::now();
    match generate(&cfg, &args.out) {
        Ok(summary) => {
            println!("{summary}");
            println!(
                "written to {} in {:.2}s",
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ecommerce-gen: {}: {e}", args.out.display());
            ExitCode::FAILURE
        }
    }
}
