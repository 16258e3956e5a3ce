//! Rendering SQL from `sql_templates/<dialect>/`.
//!
//! Every statement pushdown submits is an askama template compiled into the
//! binary; the three dialect folders hold the same file names (the compiler
//! refuses a missing one). Rust code never writes SQL: it fills a context
//! struct with quoted identifiers and escaped literals, and the dialect's
//! template decides the shape. A template may hold several statements, each
//! ended by a line holding only `;`.

pub mod quote;
mod statements;
mod transform_statements;

use pushdown_adapter::Dialect;
pub use quote::{Quoting, quoting};
pub use statements::*;

/// A context that renders to one or more statements in every dialect.
pub trait Statement {
    /// The template's file name, the same in every dialect folder.
    const FILE: &'static str;

    fn render_raw(&self, dialect: Dialect) -> askama::Result<String>;

    /// The statements, split on `;` lines, blank lines removed.
    fn render(&self, dialect: Dialect) -> Vec<String> {
        let text = self.render_raw(dialect).unwrap_or_else(|e| {
            panic!(
                "template {}/{} failed to render (a bug in pushdown): {e}",
                dialect.name(),
                Self::FILE
            )
        });
        split_statements(&text)
    }
}

pub fn split_statements(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        if line.trim() == ";" {
            push_statement(&mut out, &mut current);
        } else if !line.trim().is_empty() {
            current.push_str(line.trim_end());
            current.push('\n');
        }
    }
    push_statement(&mut out, &mut current);
    out
}

fn push_statement(out: &mut Vec<String>, current: &mut String) {
    let s = current.trim_end();
    if !s.is_empty() {
        out.push(s.to_string());
    }
    current.clear();
}

/// The first line of a statement, shortened, for error messages and logs.
pub fn shorten(sql: &str) -> String {
    let flat: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > 160 {
        let cut: String = flat.chars().take(157).collect();
        format!("{cut}...")
    } else {
        flat
    }
}

/// Dialect helpers handed to every template as `q`.
pub struct Q {
    pub dialect: Dialect,
    quoting: &'static dyn Quoting,
}

impl Q {
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            quoting: quoting(dialect),
        }
    }

    /// A quoted identifier.
    pub fn id(&self, name: impl AsRef<str>) -> String {
        self.quoting.ident(name.as_ref())
    }

    /// A quoted `schema.table`.
    pub fn table(&self, schema: impl AsRef<str>, name: impl AsRef<str>) -> String {
        self.quoting.table(schema.as_ref(), name.as_ref())
    }

    /// A scratch relation of one model's run (see [`Quoting::scratch`]).
    pub fn scratch(&self, work_schema: impl AsRef<str>, name: impl AsRef<str>) -> String {
        self.quoting.scratch(work_schema.as_ref(), name.as_ref())
    }

    /// `TABLE`, or `TEMP TABLE` where scratch relations are temporary.
    pub fn scratch_table(&self) -> &'static str {
        self.quoting.scratch_table()
    }

    /// A string literal.
    pub fn str(&self, value: impl AsRef<str>) -> String {
        self.quoting.string(value.as_ref())
    }

    pub fn ts(&self, t: impl Copied<chrono::NaiveDateTime>) -> String {
        self.quoting.timestamp(t.copied())
    }

    pub fn date(&self, d: impl Copied<chrono::NaiveDate>) -> String {
        self.quoting.date(d.copied())
    }

    /// ` DESC` for a descending ordering term.
    pub fn dir(&self, descending: impl Copied<bool>) -> &'static str {
        if descending.copied() { " DESC" } else { "" }
    }

    /// Quoted identifiers joined by `, `.
    pub fn ids<S: AsRef<str>>(&self, names: impl IntoIterator<Item = S>) -> String {
        names
            .into_iter()
            .map(|n| self.id(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A value or any depth of reference to it: templates hand fields and loop
/// bindings over as references of varying depth.
pub trait Copied<T> {
    fn copied(&self) -> T;
}

macro_rules! copied {
    ($($t:ty),*) => {$(
        impl Copied<$t> for $t { fn copied(&self) -> $t { *self } }
        impl Copied<$t> for &$t { fn copied(&self) -> $t { **self } }
        impl Copied<$t> for &&$t { fn copied(&self) -> $t { ***self } }
        impl Copied<$t> for &&&$t { fn copied(&self) -> $t { ****self } }
    )*};
}
copied!(chrono::NaiveDateTime, chrono::NaiveDate, bool);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_split_on_semicolon_lines() {
        assert_eq!(
            split_statements("DELETE x\n;\n\nINSERT y\n  ;  \n"),
            vec!["DELETE x", "INSERT y"]
        );
        assert_eq!(split_statements("SELECT ';'\n"), vec!["SELECT ';'"]);
    }
}
