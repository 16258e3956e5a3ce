//! The Snowflake arm of the conformance suite: a fakesnow server (from the
//! venv `.ci/setup-snowflake.sh` makes) on a free loopback port, one per test
//! process, shared by its scenarios; each scenario gets its own database.

use super::targets::TargetUnderTest;

/// The password the tests give the adapter; scanned for in outputs.
pub const PASSWORD: &str = "sf-pw-\u{1F511}-never-printed";

#[cfg(not(feature = "snowflake"))]
pub fn target(_scenario: &str) -> Option<TargetUnderTest> {
    None
}

#[cfg(feature = "snowflake")]
pub fn target(scenario: &str) -> Option<TargetUnderTest> {
    let url = server()?;
    let database = format!(
        "PD_{}",
        scenario
            .to_uppercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "_")
    );
    Some(TargetUnderTest {
        name: "snowflake",
        dialect: pushdown_adapter::Dialect::Snowflake,
        stanza: "[targets.snowflake]\nadapter = \"snowflake\"\nurl_env = \"PUSHDOWN_SNOWFLAKE_URL\"\n\
                 account_env = \"PUSHDOWN_SNOWFLAKE_ACCOUNT\"\nuser_env = \"PUSHDOWN_SNOWFLAKE_USER\"\n\
                 password_env = \"PUSHDOWN_SNOWFLAKE_PASSWORD\"\ndatabase_env = \"PUSHDOWN_SNOWFLAKE_DATABASE\"\n\
                 retry_attempts = 2\n"
            .into(),
        env: vec![
            ("PUSHDOWN_SNOWFLAKE_URL".into(), url),
            ("PUSHDOWN_SNOWFLAKE_ACCOUNT".into(), "fakesnow".into()),
            ("PUSHDOWN_SNOWFLAKE_USER".into(), "pushdown".into()),
            ("PUSHDOWN_SNOWFLAKE_PASSWORD".into(), PASSWORD.into()),
            ("PUSHDOWN_SNOWFLAKE_DATABASE".into(), database),
        ],
    })
}

/// The venv with fakesnow: `None` (reason printed) on a developer machine
/// without it; under `.ci/run` (`PUSHDOWN_CI=1`) its absence fails the test.
pub fn venv() -> Option<std::path::PathBuf> {
    use std::path::PathBuf;
    let dir = std::env::var_os("PUSHDOWN_FAKESNOW_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/pushdown/venv-snowflake"))
        });
    match dir {
        Some(d) if d.join("bin/fakesnow").exists() => Some(d),
        _ => {
            let msg = "the fakesnow venv is missing: run `source .ci/setup-snowflake.sh` (or set PUSHDOWN_FAKESNOW_VENV)";
            if std::env::var("PUSHDOWN_CI").as_deref() == Ok("1") {
                panic!("{msg}");
            }
            eprintln!("snowflake target skipped: {msg}");
            None
        }
    }
}

/// The URL of this process's fakesnow server, started on first use. The
/// server runs under a shell that kills it when this process's end of its
/// stdin closes, so no server outlives the test process.
#[cfg(feature = "snowflake")]
fn server() -> Option<String> {
    use std::process::{Command, Stdio};
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    // The child is kept (never waited on: it outlives every test of the
    // process and ends when the process does).
    type Running = (
        String,
        Mutex<std::process::ChildStdin>,
        Mutex<std::process::Child>,
    );
    static SERVER: OnceLock<Option<Running>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            let venv = venv()?;
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let log = std::env::temp_dir().join(format!("pushdown-conformance-fakesnow-{port}.log"));
            let mut child = Command::new("sh")
                .args([
                    "-c",
                    "\"$0\" -s --host 127.0.0.1 -p \"$1\" >\"$2\" 2>&1 & pid=$!; cat >/dev/null; kill $pid",
                ])
                .arg(venv.join("bin/fakesnow"))
                .arg(port.to_string())
                .arg(&log)
                .stdin(Stdio::piped())
                .spawn()
                .expect("start fakesnow");
            let stdin = child.stdin.take().unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "fakesnow did not start, see {}", log.display());
                std::thread::sleep(Duration::from_millis(100));
            }
            Some((format!("http://127.0.0.1:{port}"), Mutex::new(stdin), Mutex::new(child)))
        })
        .as_ref()
        .map(|(url, _, _)| url.clone())
}
