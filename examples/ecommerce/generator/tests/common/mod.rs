//! Helpers shared by the integration tests: reading a landing zone back as text.

#![allow(dead_code)]

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

/// One file of a landing zone.
pub struct LandedFile {
    pub date: NaiveDate,
    pub name: String,
    pub bytes: Vec<u8>,
}

impl LandedFile {
    /// Decompressed text.
    pub fn text(&self) -> String {
        if self.name.ends_with(".gz") {
            let mut s = String::new();
            GzDecoder::new(self.bytes.as_slice())
                .read_to_string(&mut s)
                .expect("gzip");
            s
        } else {
            String::from_utf8(self.bytes.clone()).expect("utf-8")
        }
    }

    /// Data lines (CSV header dropped).
    pub fn data_lines(&self) -> Vec<String> {
        let text = self.text();
        let mut lines: Vec<String> = text
            .strip_suffix('\n')
            .unwrap_or(&text)
            .split('\n')
            .map(str::to_owned)
            .collect();
        if !self.name.contains(".jsonl") {
            lines.remove(0);
        }
        lines
    }
}

/// Every file of `source`, by (folder, name).
pub fn files(landing: &Path, source: &str) -> Vec<LandedFile> {
    let mut out = Vec::new();
    let root = landing.join(source);
    let Ok(folders) = fs::read_dir(&root) else {
        return out;
    };
    for folder in folders {
        let folder = folder.unwrap();
        let date = NaiveDate::parse_from_str(folder.file_name().to_str().unwrap(), "%Y-%m-%d")
            .expect("folder is a date");
        for file in fs::read_dir(folder.path()).unwrap() {
            let file = file.unwrap();
            out.push(LandedFile {
                date,
                name: file.file_name().to_string_lossy().into_owned(),
                bytes: fs::read(file.path()).unwrap(),
            });
        }
    }
    out.sort_by(|a, b| (a.date, &a.name).cmp(&(b.date, &b.name)));
    out
}

/// Files of `source` minus whole-file redeliveries (same bytes seen before).
pub fn unique_files(landing: &Path, source: &str) -> Vec<LandedFile> {
    let mut seen = HashSet::new();
    files(landing, source)
        .into_iter()
        .filter(|f| seen.insert(Sha256::digest(&f.bytes)))
        .collect()
}

/// (arrival folder, line) of every data line of `source`, redeliveries excluded.
pub fn lines(landing: &Path, source: &str) -> Vec<(NaiveDate, String)> {
    unique_files(landing, source)
        .iter()
        .flat_map(|f| f.data_lines().into_iter().map(move |l| (f.date, l)))
        .collect()
}

/// Order events as JSON objects, with their arrival folder (the generator's deliberately
/// bad lines, recognisable by their `EBAD` ids or by not parsing, left out).
pub fn order_events(
    landing: &Path,
) -> Vec<(NaiveDate, serde_json::Map<String, serde_json::Value>)> {
    lines(landing, "orders_events")
        .into_iter()
        .filter_map(|(d, l)| {
            let v: serde_json::Value = serde_json::from_str(&l).ok()?;
            let m = v.as_object()?.clone();
            let t = m.get("event_time")?.as_str()?;
            DateTime::parse_from_rfc3339(t).ok()?;
            m.get("order_id")?.as_str()?;
            let id = m.get("event_id")?.as_str()?;
            (!id.starts_with("EBAD")).then_some((d, m))
        })
        .collect()
}

/// UTC instant of an RFC 3339 string.
pub fn utc(s: &str) -> NaiveDateTime {
    DateTime::parse_from_rfc3339(s)
        .expect("rfc3339")
        .naive_utc()
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn ts(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

/// Writes `content` at `landing/relative`, creating folders.
pub fn put(landing: &Path, relative: &str, content: &str) {
    let path = landing.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap();
}
