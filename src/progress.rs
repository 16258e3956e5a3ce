//! Progress for people and for log collectors.
//!
//! On a terminal with text logs, a progress bar; everywhere else (Airflow,
//! Actions, `--log-format json`) the bar is hidden and the per-file log lines
//! carry the progress instead.

use indicatif::{ProgressBar, ProgressStyle};

#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub bars: bool,
}

impl Progress {
    pub fn hidden() -> Self {
        Self { bars: false }
    }

    pub fn bar(&self, what: &str, total_bytes: u64) -> ProgressBar {
        if !self.bars {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:>10} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}
