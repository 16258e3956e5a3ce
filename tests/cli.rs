//! The command line around a run: validate and render need no secret and no
//! connection, a scaffolded project runs as it is, `status` reads the audit
//! tables, `--select` follows the DAG, and model mistakes name file and line.
#![cfg(feature = "duckdb-system")]

mod common;

use std::process::Command;

use common::*;

fn plain(args: &[&str]) -> std::process::Output {
    Command::new(bin())
        .args(args)
        .env_remove("PUSHDOWN_PII_KEY")
        .env_remove("PUSHDOWN_DUCKDB_PATH")
        .env_remove("PUSHDOWN_LANDING_DIR")
        .output()
        .unwrap()
}

#[test]
fn validate_and_render_need_no_secret_and_no_warehouse() {
    let project = example();
    let out = plain(&["validate", "--project", project.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 source(s), 11 model(s)"));
    for (dialect, marker) in [
        ("duckdb", "\"dw\".\"fact_orders\""),
        ("snowflake", "\"dw\".\"fact_orders\""),
        ("bigquery", "`dw`.`fact_orders`"),
    ] {
        let out = plain(&[
            "render",
            "--project",
            project.to_str().unwrap(),
            "--dialect",
            dialect,
        ]);
        assert!(
            out.status.success(),
            "{dialect}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sql = String::from_utf8_lossy(&out.stdout);
        assert!(
            sql.contains(
                "-- model dw.fact_orders (models/dw/fact_orders.sql) [partition_overwrite]"
            ),
            "{sql}"
        );
        assert!(sql.contains(marker), "{dialect}");
    }
    let out = plain(&[
        "render",
        "--project",
        project.to_str().unwrap(),
        "--dialect",
        "oracle",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn model_mistakes_are_reported_together_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("pushdown.toml"), "[project]\nname = \"x\"\n[targets.dev]\nadapter = \"duckdb\"\n[[sources]]\nname = \"events\"\nformat = \"jsonl\"\n").unwrap();
    let write = |f: &str, text: &str| {
        std::fs::create_dir_all(p.join(f).parent().unwrap()).unwrap();
        std::fs::write(p.join(f), text).unwrap();
    };
    write(
        "models/a/one.sql",
        "/* pushdown\nmaterialized = \"table\"\n*/\nSELECT * FROM a.two",
    );
    write(
        "models/a/two.sql",
        "/* pushdown\nmaterialized = \"table\"\n*/\nSELECT * FROM a.one",
    );
    write(
        "models/a/three.sql",
        "/* pushdown\nmaterialized = \"view\"\n*/\nSELECT *\nFROM raw.evnts",
    );
    write(
        "models/a/four.sql",
        "/* pushdown\nmaterialized = \"incremental\"\n*/\nSELECT 1 AS id",
    );
    let out = plain(&["validate", "--project", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("three.sql:5")
            && err.contains("`raw.evnts` is neither a model nor a raw source")
            && err.contains("did you mean `raw.events`"),
        "{err}"
    );
    assert!(
        err.contains("four.sql:1: unique_key: an incremental model needs `unique_key`"),
        "{err}"
    );
    assert!(
        err.contains("these models depend on each other in a cycle: a.one, a.two"),
        "{err}"
    );
    assert!(
        err.contains("3 problems"),
        "every problem in one pass: {err}"
    );
}

#[test]
fn a_scaffolded_project_runs_as_it_is_and_status_lists_its_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new_project");
    let out = plain(&["init", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let run = |args: &[&str]| {
        Command::new(bin())
            .args(args)
            .env("PUSHDOWN_PII_KEY", "k")
            .env_remove("PUSHDOWN_DUCKDB_PATH")
            .env_remove("PUSHDOWN_LANDING_DIR")
            .output()
            .unwrap()
    };
    let out = run(&["run", "--project", p.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = p.join("target/warehouse.duckdb");
    assert_eq!(scalar(&db, "SELECT count(*) FROM mart.signups_daily"), "2");
    assert_eq!(scalar(&db, "SELECT count(*) FROM raw.rejects"), "1");
    let out = run(&[
        "run",
        "--project",
        p.to_str().unwrap(),
        "--select",
        "ods.signups_current",
    ]);
    assert!(out.status.success());
    let result: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.join("target/run_results.json")).unwrap())
            .unwrap();
    let models: Vec<&str> = result["transform"]["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model"].as_str().unwrap())
        .collect();
    assert_eq!(models, ["ods.signups_current"]);
    assert_eq!(result["transform"]["models"][0]["status"], "unchanged");
    // `query` reads a table with the project's connection, one line a row.
    let out = run(&[
        "query",
        "--project",
        p.to_str().unwrap(),
        "SELECT 'a\tb' AS tabbed, NULL AS nothing, count(*) AS n FROM raw.rejects",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "tabbed\tnothing\tn\na\\tb\tNULL\t1\n"
    );
    let out = run(&[
        "query",
        "--project",
        p.to_str().unwrap(),
        "--format",
        "json",
        "SELECT CAST(1.50 AS DECIMAL(18, 2)) AS d, NULL AS n",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[\"1.50\",null]\n");
    let out = run(&[
        "query",
        "--project",
        p.to_str().unwrap(),
        "SELECT * FROM no_such_table",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no_such_table"));
    let out = run(&["status", "--project", p.to_str().unwrap()]);
    let listed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        listed.lines().filter(|l| l.contains(" success ")).count(),
        2,
        "{listed}"
    );
    // A second init into a non-empty folder refuses.
    assert_eq!(plain(&["init", p.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn select_follows_the_dag_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let landing = dir.path().join("landing");
    ecommerce_gen::generate(
        &ecommerce_gen::Config {
            days: 1,
            orders_per_day: 5,
            mess: false,
            ..ecommerce_gen::Config::small(3)
        },
        &landing,
    )
    .unwrap();
    let db = dir.path().join("wh.duckdb");
    let project = example();
    // The models a `--select` ran, sorted, from the result file.
    let selected = |command: &str, select: &str| -> Vec<String> {
        let result = dir.path().join("r.json");
        pushdown_ok(
            &[
                command,
                "--project",
                project.to_str().unwrap(),
                "--select",
                select,
                "--result-file",
                result.to_str().unwrap(),
            ],
            &landing,
            &db,
        );
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
        let mut models: Vec<String> = r["transform"]["models"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["model"].as_str().unwrap().to_owned())
            .collect();
        models.sort();
        models
    };
    assert_eq!(
        selected("run", "+dw.fact_orders"),
        [
            "dw.dim_customer",
            "dw.fact_orders",
            "ods.fx_rates",
            "ods.order_events",
            "ods.orders_current",
            "ods.payments_current",
            "ods.shipment_milestones"
        ]
    );
    assert_eq!(
        selected("transform", "dw.fact_orders+"),
        [
            "dw.dim_date",
            "dw.fact_orders",
            "mart.revenue_daily",
            "mart.sla_breaches_daily"
        ]
    );
}
