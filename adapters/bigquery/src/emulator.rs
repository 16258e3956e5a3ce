//! A bqemulator server on loopback, for tests: pushdown's and its users'.
//!
//! The server is found through `PUSHDOWN_BQEMULATOR` (the `bqemulator`
//! executable; `.ci/setup-bigquery.sh` installs it and exports it) or in the
//! venv that script makes under `~/.cache/pushdown`. It listens on a free
//! port of 127.0.0.1 and keeps no state on disk. A watchdog shell ends it when
//! the process that started it exits, so a test binary never leaves one
//! behind, however it ends.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The variable naming the `bqemulator` executable.
pub const BQEMULATOR_ENV: &str = "PUSHDOWN_BQEMULATOR";

/// A running emulator; dropping it stops the server.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    /// API base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
}

/// The `bqemulator` executable, if one is installed.
pub fn executable() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(BQEMULATOR_ENV).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = PathBuf::from(home).join(".cache/pushdown/bqemulator-1.4.0/bin/bqemulator");
    p.is_file().then_some(p)
}

impl Emulator {
    /// Starts a server and waits until it answers.
    pub fn start() -> Result<Emulator, String> {
        let exe = executable().ok_or_else(|| {
            format!(
                "bqemulator is not installed: run .ci/setup-bigquery.sh or set {BQEMULATOR_ENV}"
            )
        })?;
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("bqemulator-{port}.log"));
        // `$PPID` of the shell is this process: when it is gone, so is the server.
        let script = r#"exec 0</dev/null; "$0" start --rest-host 127.0.0.1 --rest-port "$1" --grpc-host 127.0.0.1 --grpc-port 0 --ephemeral >"$2" 2>&1 & child=$!; trap 'kill $child 2>/dev/null' EXIT; trap 'exit 0' TERM INT; while kill -0 $PPID 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done"#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&exe)
            .arg(port.to_string())
            .arg(&log)
            .env("BQEMU_LOG_LEVEL", "warning")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let mut emu = Emulator {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if answers(port) {
                return Ok(emu);
            }
            if let Ok(Some(status)) = emu.child.try_wait() {
                let tail = std::fs::read_to_string(&log).unwrap_or_default();
                let tail: String = tail
                    .lines()
                    .rev()
                    .take(15)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(format!(
                    "bqemulator exited ({status}) before answering:\n{tail}"
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "bqemulator did not answer on port {port} within 90s (log: {})",
                    log.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM lets the watchdog's trap stop the server; SIGKILL would not.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Whether the REST API answers a dataset listing with 200.
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let req = "GET /bigquery/v2/projects/probe/datasets HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 16];
    matches!(s.read(&mut buf), Ok(n) if n >= 12 && &buf[9..12] == b"200")
}
