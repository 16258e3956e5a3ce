//! A dialect's small facts: how identifiers and literals are written.
//!
//! Every identifier pushdown emits goes through [`Quoting::ident`], so names
//! with quotes, spaces, reserved words or unicode are always safe; every value
//! goes through a literal function, so no value can change a statement's shape.

use chrono::{NaiveDate, NaiveDateTime};
use pushdown_adapter::Dialect;

/// How one dialect quotes. Defaults are ANSI (double-quoted identifiers,
/// single-quoted strings with doubled quotes); dialects override what differs.
pub trait Quoting {
    fn ident(&self, name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    fn string(&self, value: &str) -> String {
        format!("'{}'", value.replace('\'', "''"))
    }

    fn timestamp(&self, t: NaiveDateTime) -> String {
        format!("TIMESTAMP '{}'", t.format("%Y-%m-%d %H:%M:%S%.6f"))
    }

    fn date(&self, d: NaiveDate) -> String {
        format!("DATE '{d}'")
    }

    fn table(&self, schema: &str, name: &str) -> String {
        format!("{}.{}", self.ident(schema), self.ident(name))
    }

    /// A relation that lives only while one run works on one model (its
    /// stage, keys and delta): in `work_schema` by default.
    fn scratch(&self, work_schema: &str, name: &str) -> String {
        self.table(work_schema, name)
    }

    /// What `CREATE OR REPLACE ...` makes for a scratch relation.
    fn scratch_table(&self) -> &'static str {
        "TABLE"
    }
}

/// DuckDB keeps a model's scratch relations as temporary tables of the run's
/// connection: they are never written to the write-ahead log nor
/// checkpointed into the database file, only to be dropped minutes later,
/// and a killed run leaves none behind.
/// <https://duckdb.org/docs/stable/sql/statements/create_table#temporary-tables>
pub struct DuckDbQuoting;
impl Quoting for DuckDbQuoting {
    fn scratch(&self, _work_schema: &str, name: &str) -> String {
        format!(
            "{}.{}.{}",
            self.ident("temp"),
            self.ident("main"),
            self.ident(name)
        )
    }

    fn scratch_table(&self) -> &'static str {
        "TEMP TABLE"
    }
}

/// Snowflake treats a backslash in a string literal as an escape.
/// <https://docs.snowflake.com/en/sql-reference/data-types-text#escape-sequences-in-single-quoted-string-constants>
pub struct SnowflakeQuoting;
impl Quoting for SnowflakeQuoting {
    fn string(&self, value: &str) -> String {
        format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    }

    fn timestamp(&self, t: NaiveDateTime) -> String {
        format!("'{}'::TIMESTAMP_NTZ", t.format("%Y-%m-%d %H:%M:%S%.6f"))
    }

    fn date(&self, d: NaiveDate) -> String {
        format!("'{d}'::DATE")
    }
}

/// BigQuery quotes identifiers with backticks and escapes with backslashes.
/// <https://cloud.google.com/bigquery/docs/reference/standard-sql/lexical>
pub struct BigQueryQuoting;
impl Quoting for BigQueryQuoting {
    fn ident(&self, name: &str) -> String {
        format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`"))
    }

    fn string(&self, value: &str) -> String {
        let mut out = String::with_capacity(value.len() + 2);
        out.push('\'');
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '\'' => out.push_str("\\'"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }
}

pub fn quoting(dialect: Dialect) -> &'static dyn Quoting {
    match dialect {
        Dialect::DuckDb => &DuckDbQuoting,
        Dialect::Snowflake => &SnowflakeQuoting,
        Dialect::BigQuery => &BigQueryQuoting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_identifiers_stay_one_identifier() {
        let name = "we\"ird `name` ; drop table x; -- é";
        assert_eq!(
            DuckDbQuoting.ident(name),
            "\"we\"\"ird `name` ; drop table x; -- é\""
        );
        assert_eq!(
            BigQueryQuoting.ident(name),
            "`we\"ird \\`name\\` ; drop table x; -- é`"
        );
    }

    #[test]
    fn literals_cannot_escape_their_quotes() {
        assert_eq!(DuckDbQuoting.string("it's"), "'it''s'");
        assert_eq!(SnowflakeQuoting.string("a\\' or 1=1"), "'a\\\\'' or 1=1'");
        assert_eq!(
            BigQueryQuoting.string("a\\' or\n1=1"),
            "'a\\\\\\' or\\n1=1'"
        );
    }
}
