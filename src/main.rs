//! The `pushdown` command: parse, run, report, exit with 0, 1 or 2.

/// Counts pushdown's own heap for the result file (`peak_heap_bytes`).
#[cfg(feature = "heap-stats")]
#[global_allocator]
static ALLOCATOR: pushdown::heap::Counting = pushdown::heap::Counting;

fn main() {
    std::process::exit(pushdown::cli::main());
}
