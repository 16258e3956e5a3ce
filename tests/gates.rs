//! Quality gates, write-audit-publish: every gate made to fail on purpose on
//! real data leaves the published tables exactly as they were (row by row),
//! blocks everything downstream, fails the run naming the check, the model
//! and the offending count, and says why in the audit tables. A warn-only
//! check publishes and records the warning; a crash between build and
//! publish leaves the published tables as they were.
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const PROJECT: &str = r#"
[project]
name = "gates_test"
default_target = "dev"

[targets.dev]
adapter = "duckdb"
path = "target/unused.duckdb"

[[sources]]
name = "sales"
format = "csv"
columns = ["id", "receipt_no", "region", "amount", "sold_at", "status"]
required = ["id"]
types = { amount = "decimal", sold_at = "timestamp" }

[[sources]]
name = "regions"
format = "csv"
columns = ["region"]

[[sources]]
name = "region_status"
format = "csv"
columns = ["region", "status"]
"#;

const ODS: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["id"]
latest_by = ["_ingested_at desc", "_line desc"]
*/
SELECT id, receipt_no, region, CAST(amount AS DECIMAL(18, 2)) AS amount,
       CAST(CAST(sold_at AS TIMESTAMPTZ) AS TIMESTAMP) AS sold_at, status, _ingested_at, _line
FROM raw.sales
"#;

const DIM: &str = r#"/* pushdown
materialized = "table"
*/
SELECT DISTINCT region FROM raw.regions
"#;

const FACT: &str = r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "sale_date"
unique_key = ["id"]

[upstream."ods.sales_current"]
via = "id"
GRAIN

CHECKS
*/
SELECT id, receipt_no, region, amount, sold_at, status, CAST(sold_at AS DATE) AS sale_date
FROM ods.sales_current
"#;

const MART: &str = r#"/* pushdown
materialized = "partition_overwrite"
partition_by = "sale_date"

[upstream."dw.fact_sales"]
via = "sale_date"
*/
SELECT sale_date, count(*) AS sales, sum(amount) AS amount FROM dw.fact_sales GROUP BY sale_date
"#;

struct Pipeline {
    _dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
    db: PathBuf,
}

fn pipeline(checks: &str) -> Pipeline {
    pipeline_with(checks, false)
}

/// The regions open now: a region closed later leaves the table.
const OPEN_REGIONS: &str = r#"/* pushdown
materialized = "table"
*/
SELECT region FROM raw.region_status
QUALIFY row_number() OVER (PARTITION BY region ORDER BY _ingested_at DESC, _line DESC) = 1
    AND status = 'open'
"#;

/// Reads the region table for something else than a sale's region (every
/// sale carries the home region), so closing a region rebuilds none of
/// its sales: only the gate can notice them.
const FACT_WITH_HOME: &str = r#"/* pushdown
materialized = "incremental"
unique_key = ["id"]

[[checks]]
type = "relationships"
column = "region"
to = "dw.dim_region"
field = "region"
*/
SELECT s.id, s.region, s.amount, home.region AS home_region
FROM ods.sales_current AS s
JOIN dw.dim_region AS home ON home.region = 'EU'
"#;

/// dw.fact_sales reads dw.dim_region (open regions) and gates its
/// `region` on it.
fn pipeline_reading_the_parent() -> Pipeline {
    let p = pipeline("");
    for (file, text) in [
        ("models/dw/dim_region.sql", OPEN_REGIONS),
        ("models/dw/fact_sales.sql", FACT_WITH_HOME),
    ] {
        std::fs::write(p.project.join(file), text).unwrap();
    }
    std::fs::remove_file(p.project.join("models/mart/sales_daily.sql")).unwrap();
    p.arrive(
        "region_status",
        "2026-01-01",
        "region,status\nEU,open\nUS,open\n",
    );
    p
}

/// With `grain`, dw.fact_sales is built by key: a run rebuilds the changed
/// sales only and merges them into their partitions.
fn pipeline_with(checks: &str, grain: bool) -> Pipeline {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    for (file, text) in [
        ("pushdown.toml", PROJECT.to_string()),
        ("models/ods/sales_current.sql", ODS.to_string()),
        ("models/dw/dim_region.sql", DIM.to_string()),
        (
            "models/dw/fact_sales.sql",
            FACT.replace("CHECKS", checks)
                .replace("GRAIN", if grain { "grain = true" } else { "" }),
        ),
        ("models/mart/sales_daily.sql", MART.to_string()),
    ] {
        let p = project.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let landing = dir.path().join("landing");
    let db = dir.path().join("wh.duckdb");
    let p = Pipeline {
        project,
        landing,
        db,
        _dir: dir,
    };
    p.arrive("regions", "2026-01-01", "region\nEU\nUS\n");
    p
}

/// Rows recent enough for a freshness gate of a day.
fn recent() -> String {
    (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn day1() -> String {
    let t = recent();
    format!(
        "id,receipt_no,region,amount,sold_at,status\n\
         s1,R1,EU,10.00,2026-01-01T10:00:00Z,paid\n\
         s2,R2,US,20.00,2026-01-01T11:00:00Z,paid\n\
         s3,R3,EU,30.00,2026-01-02T09:00:00Z,refunded\n\
         s4,R4,US,40.00,{t},paid\n"
    )
}

impl Pipeline {
    fn arrive(&self, source: &str, day: &str, text: &str) {
        let dir = self.landing.join(source).join(day);
        std::fs::create_dir_all(&dir).unwrap();
        let n = std::fs::read_dir(&dir).unwrap().count();
        std::fs::write(dir.join(format!("{n:03}.csv")), text).unwrap();
    }

    fn run(&self) -> std::process::Output {
        pushdown(
            &["run", "--project", self.project.to_str().unwrap()],
            &self.landing,
            &self.db,
        )
    }

    /// Runs and asserts the run succeeded.
    fn run_ok(&self) {
        let out = self.run();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn published(&self) -> Vec<Vec<Vec<String>>> {
        ["dw.fact_sales", "mart.sales_daily", "dw.dim_region"]
            .iter()
            .map(|t| table(&self.db, t))
            .chain([table_of_ods(&self.db)])
            .collect()
    }
}

fn table_of_ods(db: &Path) -> Vec<Vec<String>> {
    let mut rows = query(db, "SELECT * EXCLUDE (_ingested_at) FROM ods.sales_current");
    rows.sort();
    rows
}

/// Day 1 publishes; day 2 brings `bad` rows that trip `check` on dw.fact_sales.
fn assert_gate_blocks(checks: &str, bad: &str, check: &str, offending: u64) {
    assert_gate_blocks_in(pipeline(checks), bad, check, offending)
}

fn assert_gate_blocks_in(p: Pipeline, bad: &str, check: &str, offending: u64) {
    p.arrive("sales", "2026-01-01", &day1());
    let out = p.run();
    assert!(
        out.status.success(),
        "day 1 must pass: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = p.published();
    assert!(!before[0].is_empty());

    p.arrive(
        "sales",
        "2026-01-02",
        &format!("id,receipt_no,region,amount,sold_at,status\n{bad}"),
    );
    let out = p.run();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a failed gate fails the run: {err}"
    );
    assert!(
        err.contains(&format!(
            "model dw.fact_sales: check `{check}` failed with {offending} offending"
        )),
        "{err}"
    );

    // dw.fact_sales and what reads it are exactly as they were.
    let after = p.published();
    assert_eq!(
        after[0], before[0],
        "dw.fact_sales changed although its gate failed"
    );
    assert_eq!(
        after[1], before[1],
        "mart.sales_daily changed although its upstream failed"
    );

    let run = query(
        &p.db,
        "SELECT run_id, status FROM audit.runs ORDER BY run_seq DESC LIMIT 1",
    )
    .remove(0);
    assert_eq!(run[1], "failed");
    let checks = query(
        &p.db,
        &format!(
            "SELECT status, offending FROM audit.checks WHERE run_id = '{}' AND check_name = '{check}'",
            run[0]
        ),
    );
    assert_eq!(
        checks,
        vec![vec!["fail".to_string(), offending.to_string()]]
    );
    let models = query(
        &p.db,
        &format!(
            "SELECT model, status FROM audit.models WHERE run_id = '{}' ORDER BY model",
            run[0]
        ),
    );
    assert!(
        models.contains(&vec!["dw.fact_sales".to_string(), "failed".into()]),
        "{models:?}"
    );
    assert!(
        models.contains(&vec!["mart.sales_daily".to_string(), "skipped".into()]),
        "{models:?}"
    );

    // The result file says the same.
    let result: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(p.project.join("target/run_results.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(result["status"], "failed");
    assert_eq!(result["error"]["kind"], "gate");
    assert_eq!(result["error"]["retryable"], false);
}

#[test]
fn not_null_gate_blocks_publishing() {
    assert_gate_blocks(
        "[[checks]]\ntype = \"not_null\"\ncolumns = [\"amount\"]",
        "s5,R5,EU,,2026-01-02T10:00:00Z,paid\n",
        "not_null(amount)",
        1,
    );
}

#[test]
fn unique_gate_blocks_publishing() {
    assert_gate_blocks(
        "[[checks]]\ntype = \"unique\"\ncolumns = [\"receipt_no\"]",
        "s5,R1,EU,5.00,2026-01-02T10:00:00Z,paid\ns6,R1,US,6.00,2026-01-02T10:00:00Z,paid\n",
        "unique(receipt_no)",
        3,
    );
}

#[test]
fn relationships_gate_blocks_publishing() {
    assert_gate_blocks(
        "[[checks]]\ntype = \"relationships\"\ncolumn = \"region\"\nto = \"dw.dim_region\"\nfield = \"region\"",
        "s5,R5,MARS,5.00,2026-01-02T10:00:00Z,paid\n",
        "relationships(region->dw.dim_region.region)",
        1,
    );
}

/// The gate checks the rows a run writes while the parent removed no key
/// since the last publish, and the whole table once it did: either way
/// what the whole table would show.
#[test]
fn relationships_gate_sees_new_orphans_and_rows_orphaned_by_the_parent() {
    // Day 1 passes; day 2 lands `regions` (if any) and one sale in `region`,
    // and the gate finds `offending` orphans.
    let day2 = |regions: Option<&str>, region: &str, offending: u64| {
        let p = pipeline_reading_the_parent();
        p.arrive("sales", "2026-01-01", &day1());
        p.run_ok();
        if let Some(text) = regions {
            p.arrive("region_status", "2026-01-02", text);
        }
        p.arrive(
            "sales",
            "2026-01-02",
            &format!(
                "id,receipt_no,region,amount,sold_at,status\ns5,R5,{region},5.00,2026-01-02T10:00:00Z,paid\n"
            ),
        );
        let err = String::from_utf8_lossy(&p.run().stderr).into_owned();
        let gate = format!(
            "model dw.fact_sales: check `relationships(region->dw.dim_region.region)` failed with {offending} offending"
        );
        assert!(err.contains(&gate), "{err}");
    };
    // A new sale in a region that does not exist.
    day2(None, "MARS", 1);
    // US closes: its two published sales are orphans, although this run
    // rebuilds only the new EU sale.
    day2(Some("region,status\nUS,closed\n"), "EU", 2);
}

#[test]
fn accepted_values_gate_blocks_publishing() {
    assert_gate_blocks(
        "[[checks]]\ntype = \"accepted_values\"\ncolumn = \"status\"\nvalues = [\"paid\", \"refunded\"]",
        "s5,R5,EU,5.00,2026-01-02T10:00:00Z,stolen\ns6,R6,EU,5.00,2026-01-02T10:00:00Z,lost\n",
        "accepted_values(status)",
        2,
    );
}

/// 2026-01-01 held 2 rows; 7 more would make it 9: more than 1 + 2.0 times 2.
fn seven_more_sales_on_day1() -> String {
    (5..12)
        .map(|i| format!("s{i},R{i},EU,1.00,2026-01-01T12:00:00Z,paid\n"))
        .collect()
}

#[test]
fn row_count_delta_gate_blocks_publishing() {
    assert_gate_blocks(
        "[[checks]]\ntype = \"row_count_delta\"\nmax_change = 2.0",
        &seven_more_sales_on_day1(),
        "row_count_delta",
        1,
    );
}

#[test]
fn row_count_delta_gate_blocks_a_build_by_key() {
    // As above, on a model built by key: the stage holds the 7 new rows
    // only, and the partition's new count (9) is read as it would be.
    assert_gate_blocks_in(
        pipeline_with(
            "[[checks]]\ntype = \"row_count_delta\"\nmax_change = 2.0",
            true,
        ),
        &seven_more_sales_on_day1(),
        "row_count_delta",
        1,
    );
}

#[test]
fn row_count_delta_of_a_build_by_key_counts_the_whole_partition() {
    // One of 2026-01-01's two sales changes: a build by key stages that one
    // row, yet the partition keeps 2 rows, well within a 1.5x bound.
    let p = pipeline_with(
        "[[checks]]\ntype = \"row_count_delta\"\nmax_change = 0.5",
        true,
    );
    p.arrive("sales", "2026-01-01", &day1());
    p.run_ok();
    p.arrive(
        "sales",
        "2026-01-02",
        "id,receipt_no,region,amount,sold_at,status\ns1,R1,EU,11.00,2026-01-01T10:00:00Z,paid\n",
    );
    p.run_ok();
    assert_eq!(
        query(
            &p.db,
            "SELECT amount FROM dw.fact_sales WHERE sale_date = DATE '2026-01-01' ORDER BY id"
        ),
        vec![vec!["11.00".to_string()], vec!["20.00".to_string()]]
    );
    assert_eq!(
        query(
            &p.db,
            "SELECT m.partitions, c.status, c.offending FROM audit.models m \
             JOIN audit.checks c USING (run_id, model) \
             WHERE m.model = 'dw.fact_sales' ORDER BY m.ended_at DESC LIMIT 1"
        ),
        vec![vec!["2026-01-01".to_string(), "pass".into(), "0".into()]]
    );
}

#[test]
fn freshness_gate_blocks_publishing() {
    let p =
        pipeline("[[checks]]\ntype = \"freshness\"\ncolumn = \"sold_at\"\nmax_age = \"2 days\"");
    p.arrive("sales", "2026-01-01", &day1());
    assert!(p.run().status.success());
    let before = p.published();
    // The same data, judged by a tighter bound: the newest sale is an hour old.
    let fact = p.project.join("models/dw/fact_sales.sql");
    std::fs::write(
        &fact,
        std::fs::read_to_string(&fact)
            .unwrap()
            .replace("\"2 days\"", "\"10 minutes\""),
    )
    .unwrap();
    p.arrive(
        "sales",
        "2026-01-02",
        "id,receipt_no,region,amount,sold_at,status\ns5,R5,EU,5.00,2026-01-02T10:00:00Z,paid\n",
    );
    let out = p.run();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("check `freshness(sold_at)` failed with 1 offending")
    );
    let after = p.published();
    assert_eq!(after[0], before[0]);
    assert_eq!(after[1], before[1]);
}

#[test]
fn a_warn_only_check_publishes_and_records_the_warning() {
    let p = pipeline(
        "[[checks]]\ntype = \"accepted_values\"\ncolumn = \"status\"\nvalues = [\"paid\"]\nseverity = \"warn\"",
    );
    p.arrive("sales", "2026-01-01", &day1());
    p.run_ok();
    assert_eq!(
        scalar(
            &p.db,
            "SELECT count(*) FROM dw.fact_sales WHERE status = 'refunded'"
        ),
        "1"
    );
    assert_eq!(
        query(
            &p.db,
            "SELECT status, offending, severity FROM audit.checks WHERE model = 'dw.fact_sales'"
        ),
        vec![vec!["warn".to_string(), "1".into(), "warn".into()]]
    );
}

/// A gate the published table passed is checked on the rows a run writes
/// (unique_gate_blocks_publishing shows a duplicate of a published row is
/// still caught); one it did not pass is checked on the whole table again.
#[test]
fn a_gate_the_table_did_not_pass_is_checked_on_the_whole_table_again() {
    let p =
        pipeline("[[checks]]\ntype = \"not_null\"\ncolumns = [\"amount\"]\nseverity = \"warn\"");
    p.arrive(
        "sales",
        "2026-01-01",
        &format!("{}s9,R9,EU,,2026-01-01T12:00:00Z,paid\n", day1()),
    );
    p.run_ok();
    // Day 2 writes one clean row into another partition; the null of day 1
    // is still published, and still counted.
    p.arrive(
        "sales",
        "2026-01-02",
        "id,receipt_no,region,amount,sold_at,status\ns10,R10,EU,5.00,2026-01-03T10:00:00Z,paid\n",
    );
    p.run_ok();
    assert_eq!(
        query(
            &p.db,
            "SELECT c.status, c.offending FROM audit.checks c JOIN audit.runs r USING (run_id) \
             WHERE c.model = 'dw.fact_sales' ORDER BY r.run_seq"
        ),
        vec![
            vec!["warn".to_string(), "1".into()],
            vec!["warn".to_string(), "1".into()]
        ]
    );
}

#[test]
fn a_crash_between_build_and_publish_leaves_published_tables_as_they_were() {
    let p = pipeline("");
    p.arrive("sales", "2026-01-01", &day1());
    assert!(p.run().status.success());
    let before = p.published();
    p.arrive("sales", "2026-01-02", "id,receipt_no,region,amount,sold_at,status\ns2,R2,US,99.00,2026-01-01T11:00:00Z,refunded\ns5,R5,EU,5.00,2026-01-03T10:00:00Z,paid\n");
    let out = Command::new(bin())
        .args(["run", "--project", p.project.to_str().unwrap()])
        .env("PUSHDOWN_LANDING_DIR", &p.landing)
        .env("PUSHDOWN_DUCKDB_PATH", &p.db)
        .env(
            "PUSHDOWN_FAILPOINT",
            "transform:before_publish:dw.fact_sales",
        )
        .env("PUSHDOWN_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the failpoint must abort the process"
    );
    let after = p.published();
    assert_eq!(
        after[0], before[0],
        "dw.fact_sales changed by a run that died before publishing it"
    );
    assert_eq!(after[1], before[1]);
    assert_ne!(
        after[3], before[3],
        "ods.sales_current, published before the crash, moved on"
    );
    assert_eq!(
        scalar(
            &p.db,
            "SELECT status FROM audit.runs ORDER BY run_seq DESC LIMIT 1"
        ),
        "running"
    );

    // The next run recognises the dead run and finishes the work.
    let out = p.run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        query(&p.db, "SELECT status FROM audit.runs ORDER BY run_seq"),
        vec![
            vec!["success".to_string()],
            vec!["abandoned".into()],
            vec!["success".into()]
        ]
    );
    assert_eq!(
        scalar(&p.db, "SELECT amount FROM dw.fact_sales WHERE id = 's2'"),
        "99.00"
    );
    assert_eq!(
        query(
            &p.db,
            "SELECT sale_date, sales, amount FROM mart.sales_daily ORDER BY sale_date"
        )[0],
        vec!["2026-01-01".to_string(), "2".into(), "109.00".into()]
    );
}
