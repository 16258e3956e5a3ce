//! The `pushdown` command: parse, run, report, exit with 0, 1 or 2.

fn main() {
    std::process::exit(pushdown::cli::main());
}
