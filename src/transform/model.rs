//! Models: `models/<schema>/<name>.sql`, one SELECT each, configured by a
//! TOML block comment at the top of the file:
//!
//! ```sql
//! /* pushdown
//! materialized = "incremental"
//! unique_key = ["order_id"]
//! latest_by = ["event_time desc", "version desc", "_ingested_at desc"]
//! */
//! SELECT ...
//! ```
//!
//! The header keeps config next to the SQL it configures (one file to review,
//! one file to move), and the file still runs as-is in any SQL console since
//! the header is a comment. Every problem is reported with file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::config::{parse_duration, suggest};
use crate::error::ConfigProblem;

/// How a model's result is kept in the warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Materialization {
    /// A view: nothing stored, always current.
    View,
    /// Rebuilt whole on every run and swapped in atomically.
    Table,
    /// Keyed by `unique_key`: affected keys are recomputed from all their
    /// upstream rows and merged, latest row winning by `latest_by`.
    Incremental,
    /// Partitioned by `partition_by`: affected partitions are recomputed
    /// whole and replace exactly those partitions.
    PartitionOverwrite,
    /// Slowly changing dimension type 2 over `scd2.tracked`.
    Scd2,
}

impl Materialization {
    pub const NAMES: [&'static str; 5] = [
        "view",
        "table",
        "incremental",
        "partition_overwrite",
        "scd2",
    ];

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "view" => Self::View,
            "table" => Self::Table,
            "incremental" => Self::Incremental,
            "partition_overwrite" => Self::PartitionOverwrite,
            "scd2" => Self::Scd2,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Table => "table",
            Self::Incremental => "incremental",
            Self::PartitionOverwrite => "partition_overwrite",
            Self::Scd2 => "scd2",
        }
    }
}

/// One column of a "latest wins" ordering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderTerm {
    pub column: String,
    pub descending: bool,
}

/// How changes in one upstream reach this model's rows: rows of this model
/// whose `column` equals the upstream's `upstream_column` in a changed
/// upstream row are affected. Without it, the model's SQL is evaluated over
/// the upstream's changed rows alone to find the affected keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    pub column: String,
    pub upstream_column: String,
    /// For an SCD2 upstream referenced by surrogate key: this model's time
    /// column that picks the version. A changed version then touches only
    /// the rows whose time lies in the part of its validity that changed.
    pub valid_at: Option<String>,
    /// This upstream is the model's grain: a row of the model (keyed by the
    /// via column, its `unique_key`) appears only when this upstream's rows
    /// of that key change. A partitioned model is then built by key (see
    /// `engine::by_key`): an incremental run rebuilds the changed keys'
    /// rows only, and the changes of its other upstreams are mapped through
    /// the published rows alone.
    pub grain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scd2 {
    /// Columns whose change opens a new version.
    pub tracked: Vec<String>,
    /// The name of the generated surrogate key column.
    pub surrogate_key: String,
    /// The model column holding when a snapshot's values became true.
    pub valid_from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warn,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CheckKind {
    NotNull {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
    },
    Relationships {
        column: String,
        to: String,
        field: String,
    },
    AcceptedValues {
        column: String,
        values: Vec<String>,
    },
    /// Per affected partition: the new row count must lie within a factor of
    /// `1 + max_change` of the previous one, growing or shrinking.
    RowCountDelta {
        max_change: f64,
    },
    /// The newest `column` must be younger than `max_age` at run time.
    Freshness {
        column: String,
        max_age: chrono::Duration,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub name: String,
    pub kind: CheckKind,
    pub severity: Severity,
}

impl CheckKind {
    pub fn type_name(&self) -> &'static str {
        match self {
            CheckKind::NotNull { .. } => "not_null",
            CheckKind::Unique { .. } => "unique",
            CheckKind::Relationships { .. } => "relationships",
            CheckKind::AcceptedValues { .. } => "accepted_values",
            CheckKind::RowCountDelta { .. } => "row_count_delta",
            CheckKind::Freshness { .. } => "freshness",
        }
    }

    /// The name a check gets when its header gives none.
    pub fn default_name(&self) -> String {
        match self {
            CheckKind::NotNull { columns } | CheckKind::Unique { columns } => {
                format!("{}({})", self.type_name(), columns.join(","))
            }
            CheckKind::Relationships { column, to, field } => {
                format!("relationships({column}->{to}.{field})")
            }
            CheckKind::AcceptedValues { column, .. } | CheckKind::Freshness { column, .. } => {
                format!("{}({column})", self.type_name())
            }
            CheckKind::RowCountDelta { .. } => "row_count_delta".into(),
        }
    }

    /// A readable threshold for audit rows and the result file.
    pub fn threshold(&self) -> Option<String> {
        match self {
            CheckKind::RowCountDelta { max_change } => Some(format!("max_change={max_change}")),
            CheckKind::Freshness { max_age, .. } => {
                Some(format!("max_age={}s", max_age.num_seconds()))
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    pub schema: String,
    pub name: String,
    pub file: PathBuf,
    /// The SELECT, without the header comment.
    pub sql: String,
    /// Byte offset of `sql` in the file, and its first line number.
    pub sql_offset: usize,
    pub sql_line: usize,
    pub materialized: Materialization,
    pub unique_key: Vec<String>,
    pub latest_by: Vec<OrderTerm>,
    pub partition_by: Option<String>,
    /// The column of raw upstreams compared with the stored watermark.
    pub watermark: String,
    pub lookback: Option<chrono::Duration>,
    pub upstream: BTreeMap<String, Via>,
    pub scd2: Option<Scd2>,
    pub checks: Vec<Check>,
}

impl Model {
    /// `schema.name`
    pub fn id(&self) -> String {
        format!("{}.{}", self.schema, self.name)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    materialized: String,
    #[serde(default)]
    unique_key: Vec<String>,
    #[serde(default)]
    latest_by: Vec<String>,
    partition_by: Option<String>,
    watermark: Option<String>,
    lookback: Option<String>,
    #[serde(default)]
    upstream: BTreeMap<String, UpstreamHeader>,
    scd2: Option<Scd2Header>,
    #[serde(default)]
    checks: Vec<CheckHeader>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamHeader {
    /// `"order_id"` or `"order_date = rate_date"` (this model's column = the upstream's).
    via: String,
    /// An SCD2 upstream: this model's column whose time picks the version.
    valid_at: Option<String>,
    /// The model has a row per key of this upstream (see `Via::grain`).
    #[serde(default)]
    grain: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Scd2Header {
    tracked: Vec<String>,
    surrogate_key: String,
    valid_from: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckHeader {
    #[serde(rename = "type")]
    kind: String,
    name: Option<String>,
    column: Option<String>,
    #[serde(default)]
    columns: Vec<String>,
    to: Option<String>,
    field: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    max_change: Option<f64>,
    max_age: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

const CHECK_TYPES: [&str; 6] = [
    "not_null",
    "unique",
    "relationships",
    "accepted_values",
    "row_count_delta",
    "freshness",
];

/// Loads every `models/<schema>/<name>.sql` under `dir`, collecting problems.
pub fn load_models(dir: &Path, problems: &mut Vec<ConfigProblem>) -> Vec<Model> {
    let root = dir.join("models");
    let mut models = Vec::new();
    let Ok(schemas) = std::fs::read_dir(&root) else {
        return models;
    };
    let mut schema_dirs: Vec<_> = schemas
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .collect();
    schema_dirs.sort_by_key(|e| e.file_name());
    for schema_dir in schema_dirs {
        let schema = schema_dir.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(schema_dir.path()) else {
            continue;
        };
        let mut files: Vec<PathBuf> = files
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql") && !is_variant(p))
            .collect();
        files.sort();
        for file in files {
            let name = file
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            match std::fs::read_to_string(&file) {
                Ok(text) => {
                    if let Some(m) = parse_model(&schema, &name, &file, &text, problems) {
                        models.push(m);
                    }
                }
                Err(e) => problems.push(problem(&file, None, None, format!("cannot read: {e}"))),
            }
        }
    }
    models
}

/// `name.<dialect>.sql` files are per-dialect variants of `name.sql`.
fn is_variant(path: &Path) -> bool {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    stem.rsplit_once('.')
        .is_some_and(|(_, d)| pushdown_adapter::Dialect::from_name(d).is_some())
}

/// The per-dialect variant of a model's SQL, if one exists beside it.
pub fn dialect_variant(model: &Model, dialect: pushdown_adapter::Dialect) -> Option<PathBuf> {
    let p = model
        .file
        .with_file_name(format!("{}.{}.sql", model.name, dialect.name()));
    p.is_file().then_some(p)
}

fn problem(
    file: &Path,
    line: Option<usize>,
    field: Option<String>,
    message: String,
) -> ConfigProblem {
    ConfigProblem {
        file: file.to_path_buf(),
        line,
        field,
        message,
    }
}

/// Splits the header comment from the SQL; returns (header toml, its first
/// line, sql, sql byte offset).
pub fn split_header(text: &str) -> Option<(&str, usize, &str, usize)> {
    let trimmed = text.trim_start();
    let start = text.len() - trimmed.len();
    let rest = trimmed.strip_prefix("/*")?;
    let rest_trim = rest.trim_start_matches([' ', '\t']);
    let body = rest_trim.strip_prefix("pushdown")?;
    let body_start = text.len() - body.len();
    let end_rel = body.find("*/")?;
    let header = &body[..end_rel];
    let sql_offset = body_start + end_rel + 2;
    let header_line = text[..body_start].matches('\n').count() + 1;
    let _ = start;
    Some((header, header_line, &text[sql_offset..], sql_offset))
}

pub fn parse_model(
    schema: &str,
    name: &str,
    file: &Path,
    text: &str,
    problems: &mut Vec<ConfigProblem>,
) -> Option<Model> {
    let before = problems.len();
    let Some((header_text, header_line, sql, sql_offset)) = split_header(text) else {
        problems.push(problem(
            file,
            Some(1),
            None,
            "a model starts with its config comment: `/* pushdown\\nmaterialized = \"table\"\\n*/` then one SELECT".into(),
        ));
        return None;
    };
    let line_at = |offset: usize| {
        header_line
            + header_text[..offset.min(header_text.len())]
                .matches('\n')
                .count()
    };
    let header: Header = match toml::from_str(header_text) {
        Ok(h) => h,
        Err(e) => {
            problems.push(problem(
                file,
                Some(e.span().map_or(header_line, |s| line_at(s.start))),
                None,
                e.message().trim().to_string(),
            ));
            return None;
        }
    };
    let mut bad = |field: &str, message: String| {
        let line = header_text
            .find(&format!("{field} "))
            .or_else(|| header_text.find(field))
            .map(&line_at)
            .or(Some(header_line));
        problems.push(problem(file, line, Some(field.to_string()), message));
    };
    let materialized = Materialization::from_name(&header.materialized).unwrap_or_else(|| {
        bad(
            "materialized",
            format!(
                "unknown materialization `{}`{}",
                header.materialized,
                hint(&header.materialized, &Materialization::NAMES)
            ),
        );
        Materialization::View
    });
    let mut latest_by = Vec::new();
    for term in &header.latest_by {
        let mut parts = term.split_whitespace();
        let column = parts.next().unwrap_or_default().to_string();
        let descending = match parts.next().map(|s| s.to_ascii_lowercase()) {
            None => false,
            Some(d) if d == "asc" => false,
            Some(d) if d == "desc" => true,
            Some(d) => {
                bad(
                    "latest_by",
                    format!("`{term}`: expected `column [asc|desc]`, got `{d}`"),
                );
                false
            }
        };
        latest_by.push(OrderTerm { column, descending });
    }
    match materialized {
        Materialization::Incremental if header.unique_key.is_empty() => {
            bad("unique_key", "an incremental model needs `unique_key` (the columns a row is merged on)".into())
        }
        Materialization::PartitionOverwrite if header.partition_by.is_none() => {
            bad("partition_by", "a partition_overwrite model needs `partition_by` (the partition column)".into())
        }
        Materialization::Scd2 if header.scd2.is_none() || header.unique_key.is_empty() => bad(
            "scd2",
            "an scd2 model needs `unique_key` (the entity key) and `[scd2]` with `tracked`, `surrogate_key` and `valid_from`".into(),
        ),
        _ => {}
    }
    let lookback = header.lookback.as_ref().and_then(|l| {
        let d = parse_duration(l);
        if d.is_none() {
            bad(
                "lookback",
                format!("`{l}` is not a duration (e.g. `3 days`)"),
            );
        }
        d
    });
    let mut upstream = BTreeMap::new();
    for (up, u) in header.upstream {
        let (column, upstream_column) = match u.via.split_once('=') {
            Some((a, b)) => (a.trim().to_string(), b.trim().to_string()),
            None => (u.via.trim().to_string(), u.via.trim().to_string()),
        };
        if column.is_empty() || upstream_column.is_empty() {
            bad(
                "upstream",
                format!("upstream `{up}`: `via` is `column` or `column = upstream_column`"),
            );
        }
        upstream.insert(
            up,
            Via {
                column,
                upstream_column,
                valid_at: u.valid_at.map(|t| t.trim().to_string()),
                grain: u.grain,
            },
        );
    }
    let mut checks = Vec::new();
    for (i, c) in header.checks.into_iter().enumerate() {
        let severity = match c.severity.as_deref() {
            None | Some("error") => Severity::Error,
            Some("warn") => Severity::Warn,
            Some(other) => {
                bad(
                    "checks",
                    format!("check {}: severity `{other}` is `error` or `warn`", i + 1),
                );
                Severity::Error
            }
        };
        let cols = if c.columns.is_empty() {
            c.column.clone().into_iter().collect()
        } else {
            c.columns.clone()
        };
        let need = |what: &str, v: &Option<String>, bad: &mut dyn FnMut(&str, String)| -> String {
            v.clone().unwrap_or_else(|| {
                bad(
                    "checks",
                    format!("check {} ({}) needs `{what}`", i + 1, c.kind),
                );
                String::new()
            })
        };
        let kind = match c.kind.as_str() {
            "not_null" => CheckKind::NotNull {
                columns: cols.clone(),
            },
            "unique" => CheckKind::Unique {
                columns: cols.clone(),
            },
            "relationships" => CheckKind::Relationships {
                column: need("column", &c.column, &mut bad),
                to: need("to", &c.to, &mut bad),
                field: need("field", &c.field, &mut bad),
            },
            "accepted_values" => CheckKind::AcceptedValues {
                column: need("column", &c.column, &mut bad),
                values: c.values.clone(),
            },
            "row_count_delta" => CheckKind::RowCountDelta {
                max_change: c.max_change.unwrap_or(0.5),
            },
            "freshness" => CheckKind::Freshness {
                column: need("column", &c.column, &mut bad),
                max_age: c
                    .max_age
                    .as_deref()
                    .and_then(parse_duration)
                    .unwrap_or_else(|| {
                        bad(
                            "checks",
                            format!("check {} (freshness) needs `max_age` like `2 days`", i + 1),
                        );
                        chrono::Duration::zero()
                    }),
            },
            other => {
                bad(
                    "checks",
                    format!(
                        "check {}: unknown type `{other}`{}",
                        i + 1,
                        hint(other, &CHECK_TYPES)
                    ),
                );
                continue;
            }
        };
        if matches!(kind, CheckKind::NotNull { .. } | CheckKind::Unique { .. }) && cols.is_empty() {
            bad(
                "checks",
                format!("check {} ({}) needs `column` or `columns`", i + 1, c.kind),
            );
        }
        if matches!(kind, CheckKind::RowCountDelta { .. }) && header.partition_by.is_none() {
            bad(
                "checks",
                format!(
                    "check {} (row_count_delta) compares partitions: the model needs `partition_by`",
                    i + 1
                ),
            );
        }
        let name = c.name.unwrap_or_else(|| kind.default_name());
        checks.push(Check {
            name,
            kind,
            severity,
        });
    }
    if sql.trim().trim_end_matches(';').trim().is_empty() {
        problems.push(problem(
            file,
            Some(line_at(header_text.len())),
            None,
            "the model has no SELECT after its header".into(),
        ));
    }
    if problems.len() > before {
        return None;
    }
    let sql_line = text[..sql_offset].matches('\n').count() + 1;
    Some(Model {
        schema: schema.to_string(),
        name: name.to_string(),
        file: file.to_path_buf(),
        sql: sql.trim_end().trim_end_matches(';').to_string(),
        sql_offset,
        sql_line,
        materialized,
        unique_key: header.unique_key,
        latest_by,
        partition_by: header.partition_by,
        watermark: header.watermark.unwrap_or_else(|| "_ingested_at".into()),
        lookback,
        upstream,
        scd2: header.scd2.map(|s| Scd2 {
            tracked: s.tracked,
            surrogate_key: s.surrogate_key,
            valid_from: s.valid_from,
        }),
        checks,
    })
}

fn hint(word: &str, known: &[&str]) -> String {
    match suggest(word, known) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None => format!(" (expected one of: {})", known.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Model, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        parse_model(
            "ods",
            "m",
            Path::new("models/ods/m.sql"),
            text,
            &mut problems,
        )
        .ok_or(problems)
    }

    #[test]
    fn header_and_sql() {
        let m = parse("/* pushdown\nmaterialized = \"incremental\"\nunique_key = [\"id\"]\nlatest_by = [\"t desc\", \"v\"]\n*/\nSELECT 1 AS id;\n").unwrap();
        assert_eq!(m.materialized, Materialization::Incremental);
        assert_eq!(
            m.latest_by[0],
            OrderTerm {
                column: "t".into(),
                descending: true
            }
        );
        assert!(!m.latest_by[1].descending);
        assert_eq!(m.sql.trim(), "SELECT 1 AS id");
        assert_eq!(m.sql_line, 5);
    }

    #[test]
    fn problems_name_the_line() {
        let errs =
            parse("/* pushdown\nmaterialized = \"incremental\"\nlookback = \"soon\"\n*/\nSELECT 1")
                .unwrap_err();
        let text: Vec<String> = errs.iter().map(|p| p.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains("m.sql:3: lookback")),
            "{text:?}"
        );
        assert!(text.iter().any(|t| t.contains("unique_key")), "{text:?}");
        let errs = parse("/* pushdown\nmaterialized = \"tabel\"\n*/\nSELECT 1").unwrap_err();
        assert!(
            errs[0].to_string().contains("did you mean `table`"),
            "{errs:?}"
        );
        assert_eq!(errs[0].line, Some(2));
        let errs = parse("SELECT 1").unwrap_err();
        assert_eq!(errs[0].line, Some(1));
    }
}
