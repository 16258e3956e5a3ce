//! The errors a pushdown command ends with, and the exit code each maps to.
//!
//! Two families matter to callers (Airflow, Actions): a *usage or config*
//! problem (exit 2: fix the project, retrying cannot help) and a *failed run*
//! (exit 1: the warehouse refused something, a gate failed, a file was
//! unreadable). A failed run says whether a retry may help, so an orchestrator
//! can retry a throttled warehouse but not a failed gate.

use std::fmt;
use std::path::PathBuf;

/// One problem in a project's configuration or models, located precisely.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    pub file: PathBuf,
    pub line: Option<usize>,
    /// The field or model the problem is about, e.g. `sources[2].types.event_time`.
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a run failed, for orchestrators deciding whether to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A quality gate blocked publishing: retrying publishes nothing new.
    Gate,
    /// The warehouse refused a statement or could not be reached.
    Warehouse,
    /// A passing warehouse condition: a retry may succeed.
    Transient,
    /// An input file could not be read as a whole (e.g. truncated gzip).
    Input,
    /// Another run holds the target's lease.
    Busy,
    /// A bug in pushdown.
    Internal,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}", render_problems(.0))]
    Config(Vec<ConfigProblem>),
    #[error("{0}")]
    Usage(String),
    #[error("{message}")]
    Run { kind: FailureKind, message: String },
}

fn render_problems(problems: &[ConfigProblem]) -> String {
    let mut out = String::new();
    if problems.len() > 1 {
        out.push_str(&format!("{} problems:\n", problems.len()));
    }
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if problems.len() > 1 {
            out.push_str("  ");
        }
        out.push_str(&p.to_string());
    }
    out
}

impl Error {
    pub fn run(kind: FailureKind, message: impl Into<String>) -> Self {
        Error::Run {
            kind,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::Run {
            kind: FailureKind::Internal,
            message: format!(
                "internal error (this is a bug in pushdown): {}",
                message.into()
            ),
        }
    }

    pub fn config(problem: ConfigProblem) -> Self {
        Error::Config(vec![problem])
    }

    /// The process exit code: 2 for usage and config problems, 1 for a failed run.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Run { .. } => 1,
        }
    }

    pub fn failure_kind(&self) -> Option<FailureKind> {
        match self {
            Error::Run { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
