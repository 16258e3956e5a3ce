//! A project: the directory holding `pushdown.toml` and `models/`.
//!
//! Loading is pure (no network, no secrets read): `pushdown validate` runs it
//! in CI with nothing but the checkout. Every problem is collected and reported
//! in one pass, each with its file, line and field.
//!
//! Deployment overrides come from the environment and win over the file:
//! `PUSHDOWN_LANDING_DIR` (landing root) and `PUSHDOWN_PII_KEY` (the HMAC key
//! itself). Adapters read their own (`PUSHDOWN_DUCKDB_PATH`, ...).

mod file;
mod source;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;

use crate::error::{ConfigProblem, Error, Result};
pub use source::{FieldType, Format, Source};

pub const PROJECT_FILE: &str = "pushdown.toml";
pub const LANDING_ENV: &str = "PUSHDOWN_LANDING_DIR";
pub const PII_KEY_ENV: &str = "PUSHDOWN_PII_KEY";

/// A loaded, validated project.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub dir: PathBuf,
    pub file: PathBuf,
    pub landing: PathBuf,
    /// Where pushdown writes its own files: result files, staged batches.
    pub target_dir: PathBuf,
    pub default_target: String,
    pub targets: BTreeMap<String, Target>,
    pub sources: Vec<Source>,
    /// The environment variable the project names for its PII key.
    pub pii_key_env: Option<String>,
    pub transform: TransformDefaults,
    pub lease: LeaseSettings,
}

/// A warehouse to run against: an adapter name and its settings, as strings.
/// Secret settings hold the *name* of an environment variable, never a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub name: String,
    pub adapter: String,
    pub settings: BTreeMap<String, String>,
}

/// Project-wide defaults for models.
#[derive(Debug, Clone, PartialEq)]
pub struct TransformDefaults {
    pub lookback: chrono::Duration,
}

/// How runs share a warehouse (`[lease]`): one writes at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LeaseSettings {
    /// How long a run waits for another run's lease (or, on an embedded
    /// DuckDB, for the process holding the file) before failing as `busy`.
    pub wait: chrono::Duration,
    /// How long a lease lasts without renewal: a killed run's lease is taken
    /// over after this much (at once when its process is known to be dead).
    pub ttl: chrono::Duration,
}

impl Default for LeaseSettings {
    fn default() -> Self {
        Self {
            wait: chrono::Duration::minutes(5),
            ttl: chrono::Duration::minutes(2),
        }
    }
}

impl Project {
    /// Loads `DIR/pushdown.toml`, applying environment overrides.
    pub fn load(dir: &Path) -> Result<Project> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        let file = dir.join(PROJECT_FILE);
        let text = std::fs::read_to_string(&file).map_err(|e| {
            Error::config(ConfigProblem {
                file: file.clone(),
                line: None,
                field: None,
                message: format!(
                    "cannot read the project file: {e} (is `{}` a pushdown project?)",
                    dir.display()
                ),
            })
        })?;
        let landing_override = std::env::var_os(LANDING_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        file::parse(&text, &file, &dir, landing_override)
    }

    pub fn target(&self, name: Option<&str>) -> Result<&Target> {
        let name = name.unwrap_or(&self.default_target);
        self.targets.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.targets.keys().map(String::as_str).collect();
            Error::Usage(format!(
                "no target `{name}` in {}{}",
                self.file.display(),
                suggest(name, &known)
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_else(|| format!(" (targets: {})", known.join(", ")))
            ))
        })
    }

    /// The PII key for this run, from `PUSHDOWN_PII_KEY` or the variable the
    /// project names. Only needed when some source declares PII fields; asking
    /// for it otherwise returns `None`.
    pub fn pii_key(&self) -> Result<Option<SecretString>> {
        let pii_sources: Vec<&str> = self
            .sources
            .iter()
            .filter(|s| !s.pii.is_empty())
            .map(|s| s.name.as_str())
            .collect();
        if pii_sources.is_empty() {
            return Ok(None);
        }
        for var in std::iter::once(PII_KEY_ENV).chain(self.pii_key_env.as_deref()) {
            if let Ok(v) = std::env::var(var)
                && !v.is_empty()
            {
                return Ok(Some(SecretString::from(v)));
            }
        }
        let named = match &self.pii_key_env {
            Some(v) if v != PII_KEY_ENV => format!("`{PII_KEY_ENV}` or `{v}`"),
            _ => format!("`{PII_KEY_ENV}`"),
        };
        Err(Error::config(ConfigProblem {
            file: self.file.clone(),
            line: None,
            field: Some("pii.key_env".into()),
            message: format!(
                "sources {} declare PII fields but no key is set: export {named} (the HMAC key that tokenizes them) before landing",
                pii_sources.join(", ")
            ),
        }))
    }

    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// The closest of `known` to `word`, when it is close enough to be a typo.
pub fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn strsim(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Parses durations written like `3 days`, `12h`, `30 minutes`, `90s`.
pub fn parse_duration(text: &str) -> Option<chrono::Duration> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: i64 = num.parse().ok()?;
    let d = match unit.trim() {
        "d" | "day" | "days" => chrono::Duration::days(n),
        "h" | "hour" | "hours" => chrono::Duration::hours(n),
        "m" | "min" | "minute" | "minutes" => chrono::Duration::minutes(n),
        "s" | "sec" | "second" | "seconds" => chrono::Duration::seconds(n),
        _ => return None,
    };
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3 days"), Some(chrono::Duration::days(3)));
        assert_eq!(parse_duration("12h"), Some(chrono::Duration::hours(12)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("3 fortnights"), None);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("timestmp", &["timestamp", "decimal"]),
            Some("timestamp")
        );
        assert_eq!(suggest("zzz", &["timestamp", "decimal"]), None);
    }
}
