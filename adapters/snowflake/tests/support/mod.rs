//! Real emulators for the adapter's tests: a fakesnow server (and a moto S3)
//! from the venv `.ci/setup-snowflake.sh` makes, each started by the test on
//! a free loopback port and killed when dropped.
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The venv with fakesnow and moto: `PUSHDOWN_FAKESNOW_VENV`, else the
/// default place. `None` (with the reason printed) on a developer machine
/// without it; under `.ci/run` (`PUSHDOWN_CI=1`) its absence fails the test.
pub fn venv() -> Option<PathBuf> {
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
            eprintln!("skipped: {msg}");
            None
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A server process that dies with the test.
pub struct Server {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(venv: &Path, program: &str, args: &[String], port: u16) -> Server {
    let dir = tempfile::tempdir().unwrap();
    // Beside the temp dir, so a failed test leaves the server log to read.
    let log = std::env::temp_dir().join(format!("pushdown-{program}-{port}.log"));
    let out = std::fs::File::create(&log).unwrap();
    let child = Command::new(venv.join("bin").join(program))
        .args(args)
        .current_dir(dir.path())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {program}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{program} did not listen on {port}: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Server {
        child,
        port,
        log,
        _dir: dir,
    }
}

/// `fakesnow -s` on loopback: a fresh in-memory Snowflake per server.
pub fn fakesnow(venv: &Path) -> Server {
    let port = free_port();
    start(
        venv,
        "fakesnow",
        &[
            "-s".into(),
            "--host".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ],
        port,
    )
}

/// moto's S3 on loopback.
pub fn moto(venv: &Path) -> Server {
    let port = free_port();
    start(
        venv,
        "moto_server",
        &[
            "-H".into(),
            "127.0.0.1".into(),
            "-p".into(),
            port.to_string(),
        ],
        port,
    )
}
