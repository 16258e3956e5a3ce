//! Finding the files of a landing zone: `<landing>/<source>/<YYYY-MM-DD>/<file>`.
//!
//! Order is deterministic (sources as configured, arrival dates ascending,
//! names ascending) so that two runs over the same zone decide identically.
//! Names starting with `.` or `_` are in-flight or marker files by common
//! convention (`.part`, `_SUCCESS`, `_COPYING_`) and are left alone.

use std::path::Path;

use chrono::NaiveDate;

use super::prepare::FileJob;
use crate::config::Source;

/// Everything found, plus what was passed over and why.
#[derive(Debug, Default)]
pub struct Scan {
    pub jobs: Vec<FileJob>,
    pub ignored: Vec<String>,
}

pub fn scan(landing: &Path, sources: &[Source]) -> std::io::Result<Scan> {
    let mut out = Scan::default();
    for source in sources {
        let root = landing.join(&source.folder);
        if !root.is_dir() {
            continue;
        }
        let mut days = Vec::new();
        for entry in std::fs::read_dir(&root)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let is_day = name.len() == 10 && NaiveDate::parse_from_str(&name, "%Y-%m-%d").is_ok();
            if entry.file_type()?.is_dir() && is_day {
                days.push(name);
            } else if !hidden(&name) {
                out.ignored.push(format!(
                    "{}/{name} (not an arrival-date folder YYYY-MM-DD)",
                    source.folder.display()
                ));
            }
        }
        days.sort();
        for day in days {
            let mut files = Vec::new();
            for entry in std::fs::read_dir(root.join(&day))? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if hidden(&name) {
                    continue;
                }
                if entry.file_type()?.is_dir() {
                    out.ignored.push(format!(
                        "{}/{day}/{name}/ (a folder inside an arrival folder)",
                        source.folder.display()
                    ));
                    continue;
                }
                files.push((name, entry.path()));
            }
            files.sort();
            for (name, path) in files {
                let rel = format!(
                    "{}/{day}/{name}",
                    source.folder.to_string_lossy().replace('\\', "/")
                );
                out.jobs.push(FileJob {
                    source: source.name.clone(),
                    path,
                    rel,
                });
            }
        }
    }
    Ok(out)
}

fn hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}
