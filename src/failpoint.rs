//! Named points where a test can make the process die for real.
//!
//! Crash safety is only proven by crashing: with `PUSHDOWN_FAILPOINT=NAME`
//! (or `NAME#N` for the N-th time the point is reached) the process aborts
//! there, as a power cut or an OOM kill would stop it, and the test then
//! checks what the next run makes of it. `NAME@MS` (or `NAME#N@MS`) pauses
//! there for MS milliseconds instead, so a test can race a second process
//! against a run that is known to be mid-way. Unset, a point costs one lookup
//! of an environment variable that is read once.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

pub const ENV: &str = "PUSHDOWN_FAILPOINT";

/// The armed point: its name, which hit, and a pause in ms (else abort).
fn armed() -> Option<&'static (String, u32, Option<u64>)> {
    static ARMED: OnceLock<Option<(String, u32, Option<u64>)>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let v = std::env::var(ENV).ok().filter(|v| !v.is_empty())?;
            let (v, pause) = match v.rsplit_once('@') {
                Some((v, ms)) => (v.to_string(), ms.parse().ok()),
                None => (v, None),
            };
            Some(match v.rsplit_once('#') {
                Some((name, n)) => (name.to_string(), n.parse().unwrap_or(1), pause),
                None => (v, 1, pause),
            })
        })
        .as_ref()
}

/// Aborts the process if this point is armed and reached for the armed time.
pub fn hit(name: &str) {
    let Some((armed, nth, pause)) = armed() else {
        return;
    };
    if armed != name {
        return;
    }
    static HITS: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    let mut hits = HITS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let count = hits.entry(name.to_string()).or_insert(0);
    *count += 1;
    if *count == *nth {
        if let Some(ms) = pause {
            eprintln!("failpoint {name}#{nth}: pausing {ms} ms");
            drop(hits);
            std::thread::sleep(std::time::Duration::from_millis(*ms));
            return;
        }
        eprintln!("failpoint {name}#{nth}: aborting the process");
        std::process::abort();
    }
}
