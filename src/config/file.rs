//! Parsing and checking `pushdown.toml`, with every problem located.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{
    FieldType, Format, LeaseSettings, Project, Source, Target, TransformDefaults, parse_duration,
    suggest,
};
use crate::error::{ConfigProblem, Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRoot {
    project: Spanned<ProjectSection>,
    #[serde(default)]
    pii: Option<PiiSection>,
    #[serde(default)]
    targets: BTreeMap<String, Spanned<TargetSection>>,
    #[serde(default)]
    sources: Vec<Spanned<SourceSection>>,
    #[serde(default)]
    transform: Option<Spanned<TransformSection>>,
    #[serde(default)]
    lease: Option<Spanned<LeaseSection>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectSection {
    name: String,
    #[serde(default = "default_landing")]
    landing: String,
    #[serde(default)]
    default_target: Option<String>,
    #[serde(default = "default_target_dir")]
    target_dir: String,
}

fn default_landing() -> String {
    "landing".into()
}
fn default_target_dir() -> String {
    "target".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PiiSection {
    key_env: Option<String>,
}

#[derive(Deserialize)]
struct TargetSection {
    adapter: String,
    #[serde(flatten)]
    settings: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSection {
    name: String,
    folder: Option<String>,
    format: String,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    pii: Vec<String>,
    #[serde(default)]
    types: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransformSection {
    lookback: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaseSection {
    wait: Option<String>,
    ttl: Option<String>,
}

/// Setting names that would hold a secret in clear; the project must name an
/// environment variable instead (`password_env = "SNOWFLAKE_PASSWORD"`).
const SECRET_SETTINGS: [&str; 6] = [
    "password",
    "private_key",
    "token",
    "secret",
    "key",
    "credentials",
];

pub(super) fn parse(
    text: &str,
    file: &Path,
    dir: &Path,
    landing_override: Option<PathBuf>,
) -> Result<Project> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let root: FileRoot = toml::from_str(text).map_err(|e| {
        Error::config(ConfigProblem {
            file: file.to_path_buf(),
            line: e.span().map(|s| line_of(s.start)),
            field: None,
            message: e.message().trim().to_string(),
        })
    })?;
    let mut problems = Vec::new();
    let mut problem = |span: std::ops::Range<usize>, field: String, message: String| {
        problems.push(ConfigProblem {
            file: file.to_path_buf(),
            line: Some(line_of(span.start)),
            field: Some(field),
            message,
        });
    };

    let project_span = root.project.span();
    let project = root.project.into_inner();
    let mut targets = BTreeMap::new();
    for (name, section) in root.targets {
        let span = section.span();
        let section = section.into_inner();
        let mut settings = BTreeMap::new();
        for (key, value) in section.settings {
            if SECRET_SETTINGS.contains(&key.as_str()) {
                problem(
                    span.clone(),
                    format!("targets.{name}.{key}"),
                    format!(
                        "secrets are never written in the project: set `{key}_env` to the name of an environment variable holding it"
                    ),
                );
                continue;
            }
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    problem(
                        span.clone(),
                        format!("targets.{name}.{key}"),
                        format!(
                            "expected a string, number or boolean, got {}",
                            other.type_str()
                        ),
                    );
                    continue;
                }
            };
            settings.insert(key, value);
        }
        targets.insert(
            name.clone(),
            Target {
                name,
                adapter: section.adapter,
                settings,
            },
        );
    }
    let default_target = match project.default_target {
        Some(t) => {
            if !targets.contains_key(&t) {
                let known: Vec<&str> = targets.keys().map(String::as_str).collect();
                problem(
                    project_span.clone(),
                    "project.default_target".into(),
                    format!("no target `{t}` is defined{}", hint(&t, &known)),
                );
            }
            t
        }
        None => match targets.keys().next() {
            Some(first) if targets.len() == 1 => first.clone(),
            _ => {
                problem(
                    project_span.clone(),
                    "project.default_target".into(),
                    "set `default_target` to one of the [targets.*] tables".into(),
                );
                String::new()
            }
        },
    };

    let mut sources: Vec<Source> = Vec::new();
    for (i, section) in root.sources.into_iter().enumerate() {
        let span = section.span();
        let s = section.into_inner();
        let at = format!("sources[{i}] ({})", s.name);
        if !is_plain_name(&s.name) {
            problem(
                span.clone(),
                format!("{at}.name"),
                "a source name is letters, digits and `_`, starting with a letter or `_`".into(),
            );
        }
        if sources.iter().any(|o| o.name == s.name) {
            problem(
                span.clone(),
                format!("{at}.name"),
                format!("source `{}` is defined twice", s.name),
            );
        }
        let known_format = Format::from_name(&s.format);
        if known_format.is_none() {
            problem(
                span.clone(),
                format!("{at}.format"),
                format!(
                    "unknown format `{}`{}",
                    s.format,
                    hint(&s.format, &Format::NAMES)
                ),
            );
        }
        // With an unknown format, the checks that depend on it would only
        // repeat the same mistake in other words.
        let format = known_format.unwrap_or(if s.columns.is_empty() {
            Format::JsonLines
        } else {
            Format::Csv
        });
        let mut types = BTreeMap::new();
        for (field, ty) in &s.types {
            match FieldType::from_name(ty) {
                Some(t) => {
                    types.insert(field.clone(), t);
                }
                None => problem(
                    span.clone(),
                    format!("{at}.types.{field}"),
                    format!("unknown type `{ty}`{}", hint(ty, &FieldType::NAMES)),
                ),
            }
        }
        if format == Format::Csv {
            if s.columns.is_empty() {
                problem(
                    span.clone(),
                    format!("{at}.columns"),
                    "a csv source lists its columns".into(),
                );
            }
            let named = s.required.iter().chain(&s.pii).chain(s.types.keys());
            for field in named {
                if !s.columns.contains(field) {
                    let known: Vec<&str> = s.columns.iter().map(String::as_str).collect();
                    problem(
                        span.clone(),
                        at.to_string(),
                        format!("`{field}` is not one of the columns{}", hint(field, &known)),
                    );
                }
            }
            for c in &s.columns {
                if c.starts_with('_') {
                    problem(
                        span.clone(),
                        format!("{at}.columns"),
                        format!(
                            "column `{c}`: names starting with `_` are kept for pushdown's metadata"
                        ),
                    );
                }
            }
        } else if !s.columns.is_empty() {
            problem(
                span.clone(),
                format!("{at}.columns"),
                "only csv sources list columns; json and parquet records land whole".into(),
            );
        }
        sources.push(Source {
            folder: PathBuf::from(s.folder.unwrap_or_else(|| s.name.clone())),
            name: s.name,
            format,
            columns: s.columns,
            required: s.required,
            pii: s.pii,
            types,
        });
    }

    let mut transform = TransformDefaults {
        lookback: chrono::Duration::days(3),
    };
    if let Some(section) = root.transform {
        let span = section.span();
        let t = section.into_inner();
        let mut dur = |value: Option<String>, field: &str| -> Option<chrono::Duration> {
            let v = value?;
            let d = parse_duration(&v);
            if d.is_none() {
                problem(
                    span.clone(),
                    format!("transform.{field}"),
                    format!("`{v}` is not a duration (e.g. `3 days`, `12h`, `90s`)"),
                );
            }
            d
        };
        if let Some(d) = dur(t.lookback, "lookback") {
            transform.lookback = d;
        }
    }

    let mut lease = LeaseSettings::default();
    if let Some(section) = root.lease {
        let span = section.span();
        let l = section.into_inner();
        for (value, field, slot) in [
            (l.wait, "wait", &mut lease.wait),
            (l.ttl, "ttl", &mut lease.ttl),
        ] {
            let Some(v) = value else { continue };
            match parse_duration(&v) {
                Some(d) if field == "wait" || d >= chrono::Duration::seconds(3) => *slot = d,
                Some(_) => problem(
                    span.clone(),
                    format!("lease.{field}"),
                    "a lease lives at least `3s`: it is renewed every third of it".into(),
                ),
                None => problem(
                    span.clone(),
                    format!("lease.{field}"),
                    format!("`{v}` is not a duration (e.g. `5 minutes`, `90s`)"),
                ),
            }
        }
    }

    if !problems.is_empty() {
        return Err(Error::Config(problems));
    }
    let landing = landing_override.unwrap_or_else(|| dir.join(&project.landing));
    let landing = std::path::absolute(&landing).unwrap_or(landing);
    Ok(Project {
        name: project.name,
        dir: dir.to_path_buf(),
        file: file.to_path_buf(),
        landing,
        target_dir: dir.join(project.target_dir),
        default_target,
        targets,
        sources,
        pii_key_env: root.pii.and_then(|p| p.key_env),
        transform,
        lease,
    })
}

fn hint(word: &str, known: &[&str]) -> String {
    match suggest(word, known) {
        Some(s) => format!(" (did you mean `{s}`?)"),
        None if known.is_empty() => String::new(),
        None => format!(" (expected one of: {})", known.join(", ")),
    }
}

fn is_plain_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Project> {
        parse(text, Path::new("/p/pushdown.toml"), Path::new("/p"), None)
    }

    const OK: &str = r#"
[project]
name = "shop"

[targets.dev]
adapter = "duckdb"
path = "wh.duckdb"

[[sources]]
name = "payments"
format = "csv"
columns = ["id", "amount"]
required = ["id"]
types = { amount = "decimal" }
"#;

    #[test]
    fn a_minimal_project_loads() {
        let p = load(OK).unwrap();
        assert_eq!(p.default_target, "dev");
        assert_eq!(p.sources[0].types["amount"], FieldType::Decimal);
        assert_eq!(p.landing, PathBuf::from("/p/landing"));
    }

    #[test]
    fn every_problem_is_reported_with_its_line_in_one_pass() {
        let text = OK
            .replace("\"decimal\"", "\"decimall\"")
            .replace("format = \"csv\"", "format = \"cvs\"");
        let Err(Error::Config(problems)) = load(&text) else {
            panic!("expected config errors")
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.line == Some(9)), "{problems:?}");
        let all = Error::Config(problems).to_string();
        assert!(all.contains("did you mean `decimal`"), "{all}");
        assert!(all.contains("did you mean `csv`"), "{all}");
    }

    #[test]
    fn a_typo_in_a_key_names_the_line() {
        let text = OK.replace("required =", "requird =");
        let Err(Error::Config(problems)) = load(&text) else {
            panic!()
        };
        assert_eq!(problems[0].line, Some(13), "{problems:?}");
        assert!(problems[0].message.contains("requird"), "{problems:?}");
    }

    #[test]
    fn the_lease_settings_default_and_are_checked() {
        let p = load(OK).unwrap();
        assert_eq!(p.lease, LeaseSettings::default());
        let p = load(&format!(
            "{OK}\n[lease]\nwait = \"90s\"\nttl = \"1 minute\"\n"
        ))
        .unwrap();
        assert_eq!(p.lease.wait, chrono::Duration::seconds(90));
        assert_eq!(p.lease.ttl, chrono::Duration::minutes(1));
        let Err(Error::Config(problems)) =
            load(&format!("{OK}\n[lease]\nwait = \"soon\"\nttl = \"1s\"\n"))
        else {
            panic!("expected config errors")
        };
        let fields: Vec<_> = problems.iter().filter_map(|p| p.field.clone()).collect();
        assert_eq!(fields, ["lease.wait", "lease.ttl"], "{problems:?}");
    }

    #[test]
    fn a_secret_written_in_clear_is_refused_without_echoing_it() {
        let text = OK.replace("path = \"wh.duckdb\"", "password = \"hunter2\"");
        let err = load(&text).unwrap_err().to_string();
        assert!(err.contains("password_env"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
