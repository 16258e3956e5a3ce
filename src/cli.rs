//! Command-line interface. Thin: parse, call the library, write the result
//! file, print the error chain, map to an exit code (0 ok, 1 failed run,
//! 2 usage or config error).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::Project;
use crate::error::FailureKind;
use crate::error::{Error, Result};
use crate::land::{self, LandReport};
use crate::progress::Progress;
use crate::result::{RunError, RunResult, SCHEMA_VERSION};
use crate::run::RunContext;
use crate::transform::{Engine, Mode, TransformReport};
use crate::warehouse::WarehouseExt;

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
    /// Run the models inside the warehouse.
    Transform(TransformArgs),
    /// Land, then transform: the job one Airflow task or Actions step runs.
    Run(TransformArgs),
    /// Print the statements a run would submit, without connecting anywhere.
    Render(RenderArgs),
    /// Check config, models, the DAG and every template; no secrets, no connection.
    Validate(ProjectArg),
    /// List recent runs from the warehouse's audit tables.
    Status(StatusArgs),
    /// Run one read-only query against a target and print its rows: a look
    /// at raw, audit or model tables with the project's own connection.
    Query(QueryArgs),
    /// Scaffold a new project that runs as it is.
    Init(InitArgs),
}

#[derive(Args, Debug, Clone)]
pub struct ProjectArg {
    /// The project directory (holding pushdown.toml).
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct TransformArgs {
    #[command(flatten)]
    pub run: RunArgs,
    #[arg(long, value_enum, default_value_t = ModeArg::Incremental)]
    pub mode: ModeArg,
    /// First partition of a backfill (YYYY-MM-DD).
    #[arg(long)]
    pub start: Option<chrono::NaiveDate>,
    /// Last partition of a backfill, inclusive (YYYY-MM-DD).
    #[arg(long)]
    pub end: Option<chrono::NaiveDate>,
    /// Models to run: `name`, `schema.name`, `+x` (with what x needs), `x+` (with what reads x).
    #[arg(long, num_args = 1..)]
    pub select: Vec<String>,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeArg {
    Incremental,
    Backfill,
    FullRefresh,
}

#[derive(Args, Debug, Clone)]
pub struct RenderArgs {
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    /// duckdb, snowflake or bigquery.
    #[arg(long, default_value = "duckdb")]
    pub dialect: String,
    #[arg(long, value_enum, default_value_t = ModeArg::FullRefresh)]
    pub mode: ModeArg,
    #[arg(long)]
    pub start: Option<chrono::NaiveDate>,
    #[arg(long)]
    pub end: Option<chrono::NaiveDate>,
    #[arg(long, num_args = 1..)]
    pub select: Vec<String>,
    /// Ask the target's warehouse what each statement would process, without
    /// running anything (BigQuery: a dry run per statement, bytes reported).
    /// Connects to the target; its adapter sets the dialect.
    #[arg(long)]
    pub dry_run: bool,
    /// The target of `--dry-run` (default: the project's default target).
    #[arg(long)]
    pub target: Option<String>,
}

#[derive(Args, Debug, Clone)]
pub struct StatusArgs {
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    #[arg(long)]
    pub target: Option<String>,
    /// How many runs to list.
    #[arg(long, default_value_t = 10)]
    pub limit: u32,
}

#[derive(Args, Debug, Clone)]
pub struct QueryArgs {
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    #[arg(long)]
    pub target: Option<String>,
    /// `tsv` (a header line, then tab-separated rows) or `json` (one JSON
    /// array per row, every non-null value as text: no precision is lost).
    #[arg(long, value_enum, default_value_t = QueryFormat::Tsv)]
    pub format: QueryFormat,
    /// The SQL, in the target's dialect.
    pub sql: String,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryFormat {
    Tsv,
    Json,
}

#[derive(Args, Debug, Clone)]
pub struct InitArgs {
    /// Where to create the project (must not exist or be empty).
    pub dir: PathBuf,
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
    /// How long to wait for another run holding the warehouse (e.g. `90s`,
    /// `10 minutes`; default: the project's `[lease] wait`).
    #[arg(long, value_parser = parse_wait)]
    pub lease_wait: Option<chrono::Duration>,
}

fn parse_wait(text: &str) -> std::result::Result<chrono::Duration, String> {
    crate::config::parse_duration(text)
        .ok_or_else(|| format!("`{text}` is not a duration (e.g. `90s`, `10 minutes`)"))
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

pub fn main() -> i32 {
    main_with(std::env::args_os())
}

/// Runs a pushdown command line in this process (the demo and embedders
/// use it); returns the exit code the binary would.
pub fn main_with<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
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

impl TransformArgs {
    fn mode(&self) -> Result<Mode> {
        mode_of(self.mode, self.start, self.end)
    }
}

fn mode_of(
    mode: ModeArg,
    start: Option<chrono::NaiveDate>,
    end: Option<chrono::NaiveDate>,
) -> Result<Mode> {
    match (mode, start, end) {
        (ModeArg::Backfill, Some(start), Some(end)) if start <= end => {
            Ok(Mode::Backfill { start, end })
        }
        (ModeArg::Backfill, Some(s), Some(e)) => {
            Err(Error::Usage(format!("--start {s} is after --end {e}")))
        }
        (ModeArg::Backfill, _, _) => Err(Error::Usage(
            "--mode backfill needs --start YYYY-MM-DD and --end YYYY-MM-DD".into(),
        )),
        (_, None, None) => Ok(match mode {
            ModeArg::FullRefresh => Mode::FullRefresh,
            _ => Mode::Incremental,
        }),
        _ => Err(Error::Usage(
            "--start and --end go with --mode backfill".into(),
        )),
    }
}

async fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Land(args) => {
            let progress = init_logging(args.log_format);
            execute(&args, None, &[], progress, true, false).await
        }
        Command::Transform(args) => {
            let progress = init_logging(args.run.log_format);
            execute(
                &args.run,
                Some(args.mode()?),
                &args.select,
                progress,
                false,
                true,
            )
            .await
        }
        Command::Run(args) => {
            let progress = init_logging(args.run.log_format);
            execute(
                &args.run,
                Some(args.mode()?),
                &args.select,
                progress,
                true,
                true,
            )
            .await
        }
        Command::Render(args) if args.dry_run => {
            init_logging(LogFormat::Text);
            crate::render::dry_run(
                &args.project,
                args.target.as_deref(),
                mode_of(args.mode, args.start, args.end)?,
                &args.select,
            )
            .await
        }
        Command::Render(args) => crate::render::render(
            &args.project,
            &args.dialect,
            mode_of(args.mode, args.start, args.end)?,
            &args.select,
        ),
        Command::Validate(args) => crate::render::validate(&args.project),
        Command::Status(args) => {
            init_logging(LogFormat::Text);
            crate::status::status(&args.project, args.target.as_deref(), args.limit).await
        }
        Command::Query(args) => {
            init_logging(LogFormat::Text);
            crate::query::query(
                &args.project,
                args.target.as_deref(),
                args.format,
                &args.sql,
            )
            .await
        }
        Command::Init(args) => crate::init::init(&args.dir),
    }
}

/// Lands and/or transforms, always writing the result file and the run's
/// audit rows, whatever the outcome.
async fn execute(
    args: &RunArgs,
    mode: Option<Mode>,
    select: &[String],
    progress: Progress,
    land: bool,
    transform: bool,
) -> Result<()> {
    let project = Project::load(&args.project)?;
    let dag = if transform {
        Some(crate::transform::load(&project)?)
    } else {
        None
    };
    let selected = match &dag {
        Some(d) => crate::transform::select(d, select)?,
        None => Default::default(),
    };
    if land {
        // A missing PII key is a config error, found before anything is written.
        project.pii_key()?;
    }
    let target = project.target(args.target.as_deref())?.clone();
    let run = RunContext::new(&target.name);
    let command = match (land, transform) {
        (true, true) => "run",
        (true, false) => "land",
        _ => "transform",
    };
    let mut land_report: Option<LandReport> = None;
    let mut transform_report: Option<TransformReport> = None;
    let mut lease = crate::config::LeaseSettings {
        wait: args.lease_wait.unwrap_or(project.lease.wait),
        ..project.lease
    };
    let outcome: Result<()> = async {
        let wh = crate::lease::connect(&project, &target, &mut lease.wait).await?;
        let lease = crate::lease::Lease::acquire(wh.as_ref(), &run, command, lease).await?;
        let outcome = lease
            .hold(wh.as_ref(), async {
                let mut engine = match (&dag, mode) {
                    (Some(dag), Some(mode)) => Some(Engine::new(
                        wh.as_ref(),
                        &project,
                        dag,
                        &run,
                        mode,
                        selected.clone(),
                    )),
                    _ => None,
                };
                if let Some(engine) = engine.as_mut() {
                    // Models read raw tables: on a warehouse where nothing landed yet
                    // they exist, empty, rather than failing the first transform.
                    land::ensure_tables(wh.as_ref(), &project).await?;
                    // Recorded as running before landing: a run killed while
                    // landing shows as abandoned, not as nothing.
                    engine.begin(command).await?;
                    crate::failpoint::hit("run:after_begin");
                }
                let landed: Result<()> = async {
                    if land {
                        let r = land::land(wh.as_ref(), &project, &run, &progress).await?;
                        print_land(&r);
                        land_report = Some(r);
                    }
                    crate::failpoint::hit("run:before_transform");
                    Ok(())
                }
                .await;
                if let Some(engine) = engine.as_mut() {
                    let result = match landed {
                        Ok(()) => engine.run_models().await,
                        Err(e) => Err(e),
                    };
                    let error = match &result {
                        Ok(r) => gate_error(r),
                        Err(e) => Some(Error::run(
                            e.failure_kind().unwrap_or(FailureKind::Internal),
                            e.to_string(),
                        )),
                    };
                    crate::failpoint::hit("transform:before_finish");
                    engine.finish(error.as_ref()).await?;
                    let r = result?;
                    print_transform(&r);
                    transform_report = Some(r);
                    if let Some(e) = error {
                        return Err(e);
                    }
                } else {
                    landed?;
                }
                if let Some(l) = land_report.as_ref().filter(|l| !l.file_errors.is_empty()) {
                    return Err(Error::run(
                        FailureKind::Input,
                        format!(
                            "{} file(s) could not be read and were not landed:\n  {}",
                            l.file_errors.len(),
                            l.file_errors.join("\n  ")
                        ),
                    ));
                }
                Ok(())
            })
            .await;
        lease.release(wh.as_ref()).await;
        wh.finish().await;
        outcome
    }
    .await;
    finish(
        &project,
        &run,
        command,
        args,
        mode,
        land_report,
        transform_report,
        outcome.as_ref().err(),
    )?;
    outcome
}

/// A failed gate fails the run, naming the check, the model and the count.
fn gate_error(r: &TransformReport) -> Option<Error> {
    let failed: Vec<String> = r
        .models
        .iter()
        .filter(|m| m.status == "failed")
        .flat_map(|m| {
            m.checks
                .iter()
                .filter(|c| c.status == "fail")
                .map(move |c| {
                    format!(
                        "model {}: check `{}` failed with {} offending",
                        m.model, c.name, c.offending
                    )
                })
        })
        .collect();
    (!failed.is_empty()).then(|| {
        Error::run(
            FailureKind::Gate,
            format!(
                "quality gate failed, nothing downstream was published:\n  {}",
                failed.join("\n  ")
            ),
        )
    })
}

fn print_transform(r: &TransformReport) {
    for m in &r.models {
        let checks = m
            .checks
            .iter()
            .filter(|c| c.status != "pass")
            .map(|c| format!(" {}={}({})", c.name, c.status, c.offending))
            .collect::<String>();
        eprintln!(
            "{:<32} {:<10} {:<11} +{} ~{} -{} partitions={}{checks}",
            m.model,
            m.status,
            m.build,
            m.rows_inserted,
            m.rows_updated,
            m.rows_deleted,
            m.partitions_count
        );
    }
}

fn print_land(r: &LandReport) {
    eprintln!(
        "landed {} file(s), skipped {} already landed: {} rows, {} rejects",
        r.files_loaded, r.files_skipped, r.rows, r.rejects
    );
}

/// Writes the result file whatever the outcome.
#[allow(clippy::too_many_arguments)]
fn finish(
    project: &Project,
    run: &RunContext,
    command: &str,
    args: &RunArgs,
    mode: Option<Mode>,
    land: Option<LandReport>,
    transform: Option<TransformReport>,
    error: Option<&Error>,
) -> Result<()> {
    let now = chrono::Utc::now().naive_utc();
    let (start, end) = mode.map(|m| m.range()).unwrap_or((None, None));
    let result = RunResult {
        schema_version: SCHEMA_VERSION,
        pushdown_version: env!("CARGO_PKG_VERSION"),
        command: command.into(),
        run_id: run.run_id.clone(),
        project: project.name.clone(),
        target: run.target.clone(),
        mode: mode.map(|m| m.name().to_string()),
        start: start.map(|d| d.to_string()),
        end: end.map(|d| d.to_string()),
        status: if error.is_none() { "success" } else { "failed" },
        started_at: run.started_at.and_utc().to_rfc3339(),
        finished_at: now.and_utc().to_rfc3339(),
        duration_seconds: (now - run.started_at).as_seconds_f64(),
        warehouse_seconds: crate::warehouse::warehouse_seconds(),
        peak_heap_bytes: crate::heap::peak_bytes(),
        error: error.map(RunError::from),
        land,
        transform,
    };
    // The default copy is a convenience (a read-only checkout must still
    // run); the file asked for with --result-file is part of the contract.
    let default = project.target_dir.join("run_results.json");
    if let Err(e) = result.write(std::slice::from_ref(&default)) {
        tracing::warn!(path = %default.display(), error = %e, "cannot write the default result file");
    }
    match &args.result_file {
        Some(path) => result.write(std::slice::from_ref(path)).map_err(|e| {
            Error::run(
                FailureKind::Input,
                format!("cannot write the result file {}: {e}", path.display()),
            )
        }),
        None => Ok(()),
    }
}
