//! The demo a new user runs first: `cargo run --release --example demo`.
//!
//! It generates a few days of messy e-commerce data (late events, refunds,
//! duplicates, bad lines, schema drift), then runs the reference pipeline
//! day by day in incremental mode on an embedded DuckDB, exactly as a daily
//! schedule would, and shows what happened: rows per layer, rejects by
//! reason, the quality gates, and the head of mart.revenue_daily.
//! Nothing to install, no server: everything lands in
//! `examples/ecommerce/target/demo/`.

use std::path::Path;

use pushdown_adapter::Warehouse;
use pushdown_duckdb::{DuckDb, DuckDbSettings};

const DAYS: u32 = 4;
const ORDERS_PER_DAY: u32 = 400;

fn main() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ecommerce");
    let work = project.join("target/demo");
    let all = work.join("generated");
    let landing = work.join("landing");
    let db = work.join("ecommerce.duckdb");
    let _ = std::fs::remove_dir_all(&work);

    let cfg = ecommerce_gen::Config {
        days: DAYS,
        orders_per_day: ORDERS_PER_DAY,
        ..ecommerce_gen::Config::small(42)
    };
    let summary = ecommerce_gen::generate(&cfg, &all).expect("generate the landing zone");
    println!(
        "generated {} files, {} lines ({} deliberately bad) over {} arrival days",
        summary.files,
        summary.lines,
        summary.bad_lines,
        summary.arrival_dates.len()
    );

    // Safe: set before any other thread exists.
    unsafe {
        std::env::set_var("PUSHDOWN_LANDING_DIR", &landing);
        std::env::set_var("PUSHDOWN_DUCKDB_PATH", &db);
        std::env::set_var("PUSHDOWN_PII_KEY", "demo-key-not-a-secret");
        std::env::set_var("PUSHDOWN_LOG", "warn");
    }
    for day in &summary.arrival_dates {
        ecommerce_gen::copy_arrival_day(&all, &landing, *day).expect("deliver a day");
        println!("\n== arrival day {day}: pushdown run --mode incremental");
        let code = pushdown::cli::main_with([
            "pushdown",
            "run",
            "--project",
            project.to_str().unwrap(),
            "--mode",
            "incremental",
        ]);
        if code != 0 {
            eprintln!("pushdown exited with {code}");
            std::process::exit(code);
        }
    }
    report(&db, &project);
}

fn report(db: &Path, project: &Path) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let wh = DuckDb::open(DuckDbSettings::at(db.to_path_buf())).await.expect("open the warehouse");
        let show = |title: &'static str, sql: &'static str| {
            let wh = &wh;
            async move {
                let rows = wh.query(sql).await.expect(sql);
                println!("\n{title}");
                print_table(&rows.columns, &rows.rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect()).collect::<Vec<Vec<String>>>());
            }
        };
        let tables = wh
            .query("SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name IN ('raw', 'ods', 'dw', 'mart') ORDER BY CASE schema_name WHEN 'raw' THEN 1 WHEN 'ods' THEN 2 WHEN 'dw' THEN 3 ELSE 4 END, table_name")
            .await
            .expect("list tables");
        let mut counts = Vec::new();
        for t in &tables.rows {
            let name = format!("{}.{}", t[0], t[1]);
            let n = wh.query(&format!("SELECT count(*) FROM {name}")).await.expect("count rows");
            counts.push(vec![name, n.rows[0][0].to_string()]);
        }
        println!("\nrows per layer");
        print_table(&["table".to_string(), "rows".to_string()], &counts);
        show("rejects by reason (nothing is lost: each bad line is kept with its reason)", "SELECT source, reason, count(*) AS lines FROM raw.rejects GROUP BY ALL ORDER BY source, lines DESC").await;
        show(
            "quality gates of the last run",
            "SELECT model, check_name, status, offending FROM audit.checks WHERE run_id = (SELECT run_id FROM audit.runs ORDER BY run_seq DESC LIMIT 1) ORDER BY model, check_name",
        )
        .await;
        show("the last runs (audit.runs)", "SELECT run_seq, mode, status, date_diff('millisecond', started_at, ended_at) AS ms FROM audit.runs ORDER BY run_seq DESC LIMIT 5").await;
        show("mart.revenue_daily", "SELECT * FROM mart.revenue_daily ORDER BY order_date LIMIT 10").await;
    });
    println!(
        "\nThe warehouse is {} (open it with any DuckDB client);\nthe last run's result file is {}.",
        db.display(),
        project.join("target/run_results.json").display()
    );
}

fn print_table(columns: &[String], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = columns.iter().map(|c| c.len()).collect();
    for r in rows {
        for (i, v) in r.iter().enumerate() {
            widths[i] = widths[i].max(v.len());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<w$}", c, w = widths[i]))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("  {}", line(columns));
    println!(
        "  {}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("  ")
    );
    for r in rows {
        println!("  {}", line(r));
    }
}
