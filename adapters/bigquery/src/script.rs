//! How a batch of statements becomes BigQuery jobs while staying atomic.
//!
//! One statement is one job and atomic on its own. Several DML statements go
//! into one multi-statement transaction (`BEGIN TRANSACTION; ...; COMMIT
//! TRANSACTION;`), which BigQuery rolls back as a whole when any statement
//! fails. DDL on permanent tables (CREATE, DROP, ALTER) cannot run inside a
//! transaction (https://cloud.google.com/bigquery/docs/transactions), so:
//!
//! * DDL that comes before the first DML of a batch runs first, as one
//!   script. pushdown's templates only put idempotent DDL there (`CREATE ...
//!   IF NOT EXISTS`, `CREATE OR REPLACE`, the first `CREATE TABLE ... AS` of a
//!   model): if the transaction after it fails, the next run finds the table
//!   and computes its difference against it, so nothing is counted twice.
//! * DDL between DML statements splits the batch there; each DML run is still
//!   one transaction. This is the one place a batch is not all-or-nothing on
//!   BigQuery, and the engine's write-audit-publish order (rows, then
//!   watermarks and audit rows) makes a rerun converge.
//!
//! A statement that is itself a script with its own `BEGIN TRANSACTION`
//! (a template that manages its transaction) is sent as it is.

use std::ops::Range;

/// One job to submit: its SQL and which statements of the batch it holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub sql: String,
    pub statements: Range<usize>,
    /// First line (1-based) of each statement within `sql`.
    pub lines: Vec<usize>,
}

impl Step {
    /// Which statement of the batch an error position `at [line:col]` points
    /// into; a one-statement step needs no position.
    pub fn statement_at(&self, message: &str) -> Option<usize> {
        if self.statements.len() == 1 {
            return Some(self.statements.start);
        }
        let line = error_line(message)?;
        let i = self.lines.iter().rposition(|&first| first <= line)?;
        Some(self.statements.start + i)
    }
}

/// BigQuery positions errors as `[line:column]`, e.g. `Unrecognized name: x at [3:8]`.
fn error_line(message: &str) -> Option<usize> {
    let at = message.rfind(" at [")?;
    let rest = &message[at + 5..];
    let end = rest.find(':')?;
    rest[..end].parse().ok()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Ddl,
    Dml,
    Script,
}

fn kind(sql: &str) -> Kind {
    let upper = strip_comments(sql).to_ascii_uppercase();
    if upper.contains("BEGIN TRANSACTION") || upper.contains("COMMIT TRANSACTION") {
        return Kind::Script;
    }
    let words: Vec<&str> = upper.split_whitespace().take(5).collect();
    match words.first().copied() {
        Some("CREATE") => {
            let temp = words
                .iter()
                .skip(1)
                .take(3)
                .any(|w| *w == "TEMP" || *w == "TEMPORARY");
            if temp { Kind::Dml } else { Kind::Ddl }
        }
        Some("DROP") | Some("ALTER") => Kind::Ddl,
        _ => Kind::Dml,
    }
}

fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    loop {
        let t = rest.trim_start();
        if let Some(r) = t.strip_prefix("--") {
            rest = r.split_once('\n').map(|(_, r)| r).unwrap_or("");
        } else if let Some(r) = t.strip_prefix("/*") {
            rest = r.split_once("*/").map(|(_, r)| r).unwrap_or("");
        } else {
            out.push_str(t);
            return out;
        }
    }
}

/// Splits `statements` into the jobs that run them; see the module docs.
pub(crate) fn plan(statements: &[String]) -> Vec<Step> {
    let kinds: Vec<Kind> = statements.iter().map(|s| kind(s)).collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < statements.len() {
        let k = kinds[i];
        let mut j = i + 1;
        if k != Kind::Script {
            while j < statements.len() && kinds[j] == k {
                j += 1;
            }
        }
        steps.push(step(statements, i..j, k == Kind::Dml && j - i > 1));
        i = j;
    }
    steps
}

fn step(statements: &[String], range: Range<usize>, transaction: bool) -> Step {
    let mut sql = String::new();
    let mut lines = Vec::new();
    let mut line = 1;
    let push = |text: &str, sql: &mut String, line: &mut usize| {
        sql.push_str(text);
        *line += text.matches('\n').count();
    };
    if transaction {
        push("BEGIN TRANSACTION;\n", &mut sql, &mut line);
    }
    let single = range.len() == 1 && !transaction;
    for s in &statements[range.clone()] {
        lines.push(line);
        let body = s.trim().trim_end_matches(';').trim_end();
        push(body, &mut sql, &mut line);
        push(if single { "" } else { ";\n" }, &mut sql, &mut line);
    }
    if transaction {
        push("COMMIT TRANSACTION;\n", &mut sql, &mut line);
    }
    Step {
        sql,
        statements: range,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn ddl_first_then_one_transaction() {
        let steps = plan(&s(&[
            "CREATE TABLE IF NOT EXISTS a (x INT64)",
            "/* why */ create or replace table b AS SELECT 1 AS x",
            "INSERT INTO a VALUES (1)",
            "MERGE INTO w USING (SELECT 1) ON FALSE WHEN NOT MATCHED THEN INSERT ROW;",
        ]));
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[0].statements, 0..2);
        assert!(!steps[0].sql.contains("BEGIN"));
        assert_eq!(steps[1].statements, 2..4);
        assert!(
            steps[1]
                .sql
                .starts_with("BEGIN TRANSACTION;\nINSERT INTO a VALUES (1);\nMERGE")
        );
        assert!(steps[1].sql.ends_with("COMMIT TRANSACTION;\n"));
        assert_eq!(steps[1].lines, vec![2, 3]);
    }

    #[test]
    fn a_single_statement_is_sent_as_it_is() {
        let steps = plan(&s(&["SELECT 1"]));
        assert_eq!(steps[0].sql, "SELECT 1");
        let steps = plan(&s(&[
            "CREATE TEMP TABLE t AS SELECT 1 AS x",
            "INSERT INTO t VALUES (2)",
        ]));
        assert_eq!(steps.len(), 1, "temp tables are allowed in a transaction");
    }

    #[test]
    fn an_error_position_names_its_statement() {
        let steps = plan(&s(&[
            "INSERT INTO a\nVALUES (1)",
            "INSERT INTO b VALUES (2)",
            "DELETE FROM c WHERE TRUE",
        ]));
        let st = &steps[0];
        assert_eq!(st.lines, vec![2, 4, 5]);
        assert_eq!(st.statement_at("Unrecognized name: y at [4:20]"), Some(1));
        assert_eq!(st.statement_at("Table not found at [3:1]"), Some(0));
        assert_eq!(st.statement_at("no position"), None);
    }

    #[test]
    fn a_script_with_its_own_transaction_is_left_alone() {
        let steps = plan(&s(&[
            "BEGIN TRANSACTION; INSERT INTO a VALUES (1); COMMIT TRANSACTION",
            "INSERT INTO b VALUES (1)",
        ]));
        assert_eq!(steps.len(), 2);
        assert!(!steps[0].sql.starts_with("BEGIN TRANSACTION;\nBEGIN"));
    }
}
