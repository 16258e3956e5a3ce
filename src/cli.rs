//! Command-line interface. Thin: parse, call the library, write the result
//! file, print the error chain, map to an exit code (0 ok, 1 failed run,
//! 2 usage or config error).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Project;
use crate::error::{Error, Result};
use crate::land::{self, LandReport};
use crate::progress::Progress;
use crate::result::{RunError, RunResult, SCHEMA_VERSION};
use crate::run::RunContext;

#[derive(Parser, Debug)]
#[command(
    name = "pushdown",
    version,
    about = "Land raw files in your warehouse and transform them inside it."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Land new raw files of the landing zone into the warehouse's raw tables.
    Land(RunArgs),
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// The project directory (holding pushdown.toml).
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    /// The target to run against (default: the project's default_target).
    #[arg(long)]
    pub target: Option<String>,
    /// Also write the JSON result here (it is always written to
    /// <target_dir>/run_results.json).
    #[arg(long)]
    pub result_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

fn init_logging(format: LogFormat) -> Progress {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("PUSHDOWN_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
        LogFormat::Text => builder.with_target(false).compact().try_init(),
    };
    Progress {
        bars: format == LogFormat::Text && std::io::stderr().is_terminal(),
    }
}

async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Land(args) => {
            let progress = init_logging(args.log_format);
            let project = Project::load(&args.project)?;
            let target = project.target(args.target.as_deref())?.clone();
            let run = RunContext::new(&target.name);
            let outcome = async {
                let wh = crate::adapters::connect(&project, &target).await?;
                land::land(wh.as_ref(), &project, &run, &progress).await
            }
            .await;
            finish(
                &project,
                &run,
                "land",
                &args,
                outcome.as_ref().ok().cloned(),
                outcome.as_ref().err(),
            )?;
            let report = outcome?;
            print_land(&report);
            if !report.file_errors.is_empty() {
                return Err(Error::run(
                    crate::error::FailureKind::Input,
                    format!(
                        "{} file(s) could not be read and were not landed:\n  {}",
                        report.file_errors.len(),
                        report.file_errors.join("\n  ")
                    ),
                ));
            }
            Ok(())
        }
    }
}

fn print_land(r: &LandReport) {
    eprintln!(
        "landed {} file(s), skipped {} already landed: {} rows, {} rejects",
        r.files_loaded, r.files_skipped, r.rows, r.rejects
    );
}

/// Writes the result file whatever the outcome.
fn finish(
    project: &Project,
    run: &RunContext,
    command: &str,
    args: &RunArgs,
    land: Option<LandReport>,
    error: Option<&Error>,
) -> Result<()> {
    let now = chrono::Utc::now().naive_utc();
    let error = error.map(RunError::from).or_else(|| {
        land.as_ref()
            .filter(|l| !l.file_errors.is_empty())
            .map(|l| RunError {
                kind: "input".into(),
                message: format!("files not landed: {}", l.file_errors.join("; ")),
                retryable: false,
            })
    });
    let result = RunResult {
        schema_version: SCHEMA_VERSION,
        pushdown_version: env!("CARGO_PKG_VERSION"),
        command: command.into(),
        run_id: run.run_id.clone(),
        project: project.name.clone(),
        target: run.target.clone(),
        mode: None,
        start: None,
        end: None,
        status: if error.is_none() { "success" } else { "failed" },
        started_at: run.started_at.and_utc().to_rfc3339(),
        finished_at: now.and_utc().to_rfc3339(),
        duration_seconds: (now - run.started_at).as_seconds_f64(),
        error,
        land,
        transform: None,
    };
    let mut paths = vec![project.target_dir.join("run_results.json")];
    paths.extend(args.result_file.clone());
    result.write(&paths).map_err(|e| {
        Error::run(
            crate::error::FailureKind::Input,
            format!("cannot write the result file: {e}"),
        )
    })
}
