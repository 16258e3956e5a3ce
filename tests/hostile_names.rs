//! Hostile names and values, end to end: a schema with a space, models named
//! with quotes, a reserved word and unicode, columns likewise, and values
//! (landed data, check values in a model's config) written to break out of
//! their literals. On a real DuckDB the pipeline runs twice and every table
//! holds exactly the values sent, with no statement injected; the statements
//! of every dialect are snapshotted and each parses as exactly one statement.
#![cfg(feature = "duckdb-system")]

mod common;

use std::path::PathBuf;

use common::*;
use pushdown::config::Project;
use pushdown::render::model_statements;
use pushdown::sql::Q;
use pushdown::transform::Mode;
use pushdown_adapter::Dialect;
use sqlparser::dialect::{BigQueryDialect, DuckDbDialect, SnowflakeDialect};
use sqlparser::parser::Parser;

const PROJECT: &str = r#"
[project]
name = "hostile_names"
default_target = "dev"

[targets.dev]
adapter = "duckdb"
path = "target/unused.duckdb"

[[sources]]
name = "sales"
format = "csv"
columns = ["id", "name", "amount"]
required = ["id"]
types = { amount = "decimal" }
"#;

/// A value that would end its literal, run a statement and comment out the
/// rest, were it pasted into SQL.
const INJECTION: &str = "x'); DROP TABLE raw.sales; --";

fn models() -> Vec<(&'static str, String)> {
    vec![
        (
            "models/my schema/select.sql",
            format!(
                r#"/* pushdown
materialized = "incremental"
unique_key = ["select"]
latest_by = ["_ingested_at desc", "_line desc"]

[[checks]]
type = "accepted_values"
column = 'a "quoted" col'
values = ["ann", "it's", "bob", "{INJECTION}", 'back\slash']

[[checks]]
type = "unique"
columns = ["select"]
*/
SELECT id AS "select", name AS "a ""quoted"" col", CAST(amount AS DECIMAL(18, 2)) AS "prix_€", _ingested_at, _line
FROM raw.sales
"#
            ),
        ),
        (
            "models/dw/order \"items\" é.sql",
            r#"/* pushdown
materialized = "incremental"
unique_key = ["select"]

[upstream."my schema.select"]
via = "select"

[[checks]]
type = "not_null"
columns = ['Größe "x"']
*/
SELECT "select", "a ""quoted"" col", "prix_€" * 2 AS "Größe ""x""" FROM "my schema"."select"
"#
            .to_string(),
        ),
        (
            "models/mart/by name.sql",
            r#"/* pushdown
materialized = "table"
*/
SELECT "a ""quoted"" col" AS "group", count(*) AS "count", sum("Größe ""x""") AS "from"
FROM dw."order ""items"" é" GROUP BY 1
"#
            .to_string(),
        ),
    ]
}

struct Setup {
    _dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
    db: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    let mut files = vec![("pushdown.toml", PROJECT.to_string())];
    files.extend(models());
    for (file, text) in files {
        let p = project.join(file);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    Setup {
        landing: dir.path().join("landing"),
        db: dir.path().join("wh.duckdb"),
        project,
        _dir: dir,
    }
}

fn csv_field(v: &str) -> String {
    format!("\"{}\"", v.replace('"', "\"\""))
}

#[test]
fn hostile_names_and_values_run_for_real_and_stay_what_they_are() {
    let s = setup();
    let run = |day: &str, rows: &[(&str, &str, &str)]| {
        let mut csv = String::from("id,name,amount\n");
        for (id, name, amount) in rows {
            csv.push_str(&format!("{id},{},{amount}\n", csv_field(name)));
        }
        let p = s.landing.join(format!("sales/{day}/sales.csv"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, csv).unwrap();
        pushdown_ok(
            &["run", "--project", s.project.to_str().unwrap()],
            &s.landing,
            &s.db,
        );
    };
    run(
        "2026-01-01",
        &[
            ("1", "ann", "1.00"),
            ("2", "it's", "2.00"),
            ("3", INJECTION, "3.00"),
        ],
    );
    run(
        "2026-01-02",
        &[
            ("2", "bob", "5.00"),
            ("4", INJECTION, "4.00"),
            ("5", "back\\slash", "0.50"),
        ],
    );

    assert_eq!(scalar(&s.db, "SELECT count(*) FROM raw.sales"), "6");
    assert_eq!(
        query(
            &s.db,
            r#"SELECT "select", "a ""quoted"" col", "prix_€" FROM "my schema"."select" ORDER BY 1"#
        ),
        vec![
            vec!["1".to_string(), "ann".into(), "1.00".into()],
            vec!["2".to_string(), "bob".into(), "5.00".into()],
            vec!["3".to_string(), INJECTION.into(), "3.00".into()],
            vec!["4".to_string(), INJECTION.into(), "4.00".into()],
            vec!["5".to_string(), "back\\slash".into(), "0.50".into()],
        ]
    );
    assert_eq!(
        query(
            &s.db,
            r#"SELECT "select", "Größe ""x""" FROM dw."order ""items"" é" ORDER BY 1"#
        )
        .into_iter()
        .map(|r| r.join("="))
        .collect::<Vec<_>>(),
        ["1=2.00", "2=10.00", "3=6.00", "4=8.00", "5=1.00"]
    );
    assert_eq!(
        query(
            &s.db,
            r#"SELECT "group", "count", "from" FROM mart."by name" ORDER BY 1"#
        ),
        vec![
            vec!["ann".to_string(), "1".into(), "2.00".into()],
            vec!["back\\slash".to_string(), "1".into(), "1.00".into()],
            vec!["bob".to_string(), "1".into(), "10.00".into()],
            vec![INJECTION.to_string(), "2".into(), "14.00".into()],
        ]
    );
    // The audit tables name the models and checks as written.
    assert_eq!(
        query(&s.db, "SELECT DISTINCT model FROM audit.models ORDER BY 1"),
        vec![
            vec!["dw.order \"items\" é".to_string()],
            vec!["mart.by name".to_string()],
            vec!["my schema.select".to_string()],
        ]
    );
    assert_eq!(
        scalar(
            &s.db,
            "SELECT count(*) FROM audit.checks WHERE status = 'pass'"
        ),
        "6",
        "each of the three checks passed in each of the two runs"
    );
}

fn parses(d: Dialect, sql: &str) -> Result<usize, String> {
    match d {
        Dialect::DuckDb => Parser::parse_sql(&DuckDbDialect {}, sql),
        Dialect::Snowflake => Parser::parse_sql(&SnowflakeDialect {}, sql),
        Dialect::BigQuery => Parser::parse_sql(&BigQueryDialect {}, sql),
    }
    .map(|s| s.len())
    .map_err(|e| e.to_string())
}

#[test]
fn every_dialect_quotes_hostile_names_statement_by_statement() {
    let s = setup();
    let project = Project::load(&s.project).unwrap();
    let dag = pushdown::transform::load(&project).unwrap();
    for d in Dialect::ALL {
        let q = Q::new(d);
        let mut all = Vec::new();
        for m in &dag.models {
            for stmt in model_statements(&q, m, Mode::FullRefresh) {
                assert_eq!(
                    parses(d, &stmt),
                    Ok(1),
                    "{} {}.{}: {stmt}",
                    d.name(),
                    m.schema,
                    m.name
                );
                all.push(stmt);
            }
        }
        let text = all.join("\n;\n");
        // A name's quote is always escaped: no identifier ends early.
        let raw_quote = match d {
            Dialect::BigQuery => "`order \"items\" é`",
            _ => "\"order \"\"items\"\" é\"",
        };
        assert!(text.contains(raw_quote), "{}: {text}", d.name());
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("snapshots_hostile");
        settings.set_prepend_module_to_snapshot(false);
        settings.set_snapshot_suffix(d.name());
        settings.bind(|| insta::assert_snapshot!("hostile_models", text));
    }
}
