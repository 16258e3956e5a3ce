//! The warehouses an adapter-neutral test runs against: DuckDB always, each
//! remote adapter when its emulator is configured. A test talks to a target
//! only through the real binary (`pushdown land|run|query --target ...`), so
//! the same scenario proves every adapter.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pushdown::sql::Q;
use pushdown_adapter::Dialect;

use super::{PII_KEY, bin};

/// One warehouse to run a scenario against.
pub struct TargetUnderTest {
    /// The target's name in the scenario's `pushdown.toml`.
    pub name: &'static str,
    pub dialect: Dialect,
    /// The `[targets.<name>]` table to append to the project file.
    pub stanza: String,
    /// Environment the binary needs for this target (settings, secrets).
    pub env: Vec<(String, String)>,
}

impl TargetUnderTest {
    /// Every target available to a scenario. `scratch` is the scenario's own
    /// folder and `scenario` a name unique to it, so that targets keeping
    /// state outside the folder (a database on a server) can isolate it.
    pub fn all(scratch: &Path, scenario: &str) -> Vec<TargetUnderTest> {
        let mut all = vec![Self::duckdb(&scratch.join("warehouse.duckdb"))];
        all.extend(super::snowflake::target(scenario));
        all.extend(Self::bigquery(scenario));
        all
    }

    pub fn duckdb(db: &Path) -> TargetUnderTest {
        TargetUnderTest {
            name: "duckdb",
            dialect: Dialect::DuckDb,
            stanza: "[targets.duckdb]\nadapter = \"duckdb\"\npath = \"target/unused.duckdb\"\n"
                .into(),
            env: vec![("PUSHDOWN_DUCKDB_PATH".into(), db.display().to_string())],
        }
    }

    /// BigQuery on a bqemulator server this test binary starts (one for all
    /// its scenarios, each in a project of its own). Without the emulator the
    /// target is skipped with the reason printed, except under `.ci/run`.
    #[cfg(feature = "bigquery")]
    pub fn bigquery(scenario: &str) -> Option<TargetUnderTest> {
        use pushdown_bigquery::emulator::Emulator;
        static EMU: std::sync::OnceLock<Result<Emulator, String>> = std::sync::OnceLock::new();
        let url = match EMU.get_or_init(Emulator::start) {
            Ok(e) => e.url.clone(),
            Err(why) if std::env::var_os("PUSHDOWN_CI").is_some() => {
                panic!("the bigquery target needs bqemulator under .ci/run: {why}")
            }
            Err(why) => {
                eprintln!("bigquery target skipped: {why}");
                return None;
            }
        };
        let project: String = format!("{scenario}-{}", std::process::id())
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        Some(TargetUnderTest {
            name: "bigquery",
            dialect: Dialect::BigQuery,
            // The emulator needs no credentials and cannot read gzip uploads.
            stanza: "[targets.bigquery]\nadapter = \"bigquery\"\nurl_env = \"PUSHDOWN_BIGQUERY_URL\"\nproject_env = \"PUSHDOWN_BIGQUERY_PROJECT\"\nauth = \"none\"\ncompression = \"none\"\n".into(),
            env: vec![
                ("PUSHDOWN_BIGQUERY_URL".into(), url),
                ("PUSHDOWN_BIGQUERY_PROJECT".into(), project),
            ],
        })
    }

    #[cfg(not(feature = "bigquery"))]
    pub fn bigquery(_scenario: &str) -> Option<TargetUnderTest> {
        None
    }

    pub fn q(&self) -> Q {
        Q::new(self.dialect)
    }

    /// `pushdown <args> --project <project> --target <name>`.
    pub fn pushdown(&self, args: &[&str], project: &Path, landing: &Path) -> Output {
        Command::new(bin())
            .args(args)
            .args([
                "--project",
                project.to_str().unwrap(),
                "--target",
                self.name,
            ])
            .env("PUSHDOWN_LANDING_DIR", landing)
            .env("PUSHDOWN_PII_KEY", PII_KEY)
            .env("PUSHDOWN_LOG", "warn")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run pushdown")
    }

    /// Like [`Self::pushdown`], panicking with the output unless it exits 0.
    pub fn pushdown_ok(&self, args: &[&str], project: &Path, landing: &Path) -> Output {
        let out = self.pushdown(args, project, landing);
        assert!(
            out.status.success(),
            "[{}] pushdown {args:?} failed ({:?}):\n{}\n{}",
            self.name,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The rows of `sql` as text (NULL as `NULL`), sorted.
    pub fn rows(&self, project: &Path, sql: &str) -> Vec<Vec<String>> {
        let out = self.pushdown_ok(&["query", "--format", "json", sql], project, Path::new("."));
        let mut rows: Vec<Vec<String>> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let cells: Vec<serde_json::Value> = serde_json::from_str(l).unwrap();
                cells
                    .into_iter()
                    .map(|c| match c {
                        serde_json::Value::String(s) => s,
                        _ => "NULL".into(),
                    })
                    .collect()
            })
            .collect();
        rows.sort();
        rows
    }

    pub fn scalar(&self, project: &Path, sql: &str) -> String {
        self.rows(project, sql).remove(0).remove(0)
    }
}

/// A scenario's folder: a project (`pushdown.toml` with every target, and
/// models) and a landing zone.
pub struct Scenario {
    _dir: tempfile::TempDir,
    pub project: PathBuf,
    pub landing: PathBuf,
}

impl Scenario {
    /// Writes the project: `toml` (without targets) plus each target's table,
    /// and `files` as (path under the project, text).
    pub fn new(
        toml: &str,
        targets: &[TargetUnderTest],
        dir: tempfile::TempDir,
        files: &[(&str, &str)],
    ) -> Scenario {
        let project = dir.path().join("project");
        let mut text = toml.to_string();
        for t in targets {
            text.push('\n');
            text.push_str(&t.stanza);
        }
        write(&project.join("pushdown.toml"), &text);
        for (path, body) in files {
            write(&project.join(path), body);
        }
        let landing = dir.path().join("landing");
        std::fs::create_dir_all(&landing).unwrap();
        Scenario {
            _dir: dir,
            project,
            landing,
        }
    }

    /// A scenario on one DuckDB database file of its own: the scenario, its
    /// target and the database's path.
    pub fn on_duckdb(toml: &str, files: &[(&str, &str)]) -> (Scenario, TargetUnderTest, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("warehouse.duckdb");
        let t = TargetUnderTest::duckdb(&db);
        let s = Scenario::new(toml, std::slice::from_ref(&t), dir, files);
        (s, t, db)
    }

    /// Drops a file into `<landing>/<source>/<day>/<name>`.
    pub fn arrive(&self, source: &str, day: &str, name: &str, bytes: &[u8]) {
        write_bytes(&self.landing.join(source).join(day).join(name), bytes);
    }
}

fn write(path: &Path, text: &str) {
    write_bytes(path, text.as_bytes());
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}
