//! What every input must satisfy, for the fuzz targets and for
//! `tests/fuzz_regressions.rs`, which replays the seed corpus and every input
//! that once failed here (`fuzz/regressions/<target>/`).
//!
//! Beyond "does not panic", each check has an oracle:
//! * landing (JSON Lines, CSV): every physical line ends in exactly one of
//!   the staged records or the staged rejects (CSV: every record, a record
//!   spanning the lines its quotes hold); every staged record is one the
//!   warehouse can load (strict JSON, or CSV of the declared width, read by
//!   an independent reader here); PII fields hold tokens only; no staged
//!   line is longer than the bound the loader sizes its buffers by;
//! * project and model files: loaded, or refused with problems that each
//!   name the file and a line inside it.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pushdown::config::{FieldType, Format, Project, Source};
use pushdown::error::Error;
use pushdown::land::pii::Tokenizer;
use pushdown::land::prepare::{FileJob, prepare};

/// A scratch folder of this thread (libFuzzer may run several processes,
/// the test harness several threads).
fn scratch() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    let dir = std::env::temp_dir().join(format!("pushdown-fuzz-{}-{thread}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes this thread's scratch folder (the replay test, when done).
pub fn remove_scratch() {
    let _ = std::fs::remove_dir_all(scratch());
}

fn source(format: Format) -> Source {
    Source {
        name: "events".into(),
        folder: PathBuf::from("events"),
        format,
        columns: if format == Format::Csv {
            ["id", "email", "amount", "at"].map(String::from).to_vec()
        } else {
            Vec::new()
        },
        required: vec!["id".into()],
        pii: vec!["email".into()],
        types: BTreeMap::from([
            ("amount".to_string(), FieldType::Decimal),
            ("at".to_string(), FieldType::Timestamp),
            ("n".to_string(), FieldType::Integer),
        ]),
    }
}

fn tokenizer() -> Tokenizer {
    Tokenizer::new(&secrecy::SecretString::from("fuzz-key".to_string()))
}

/// Physical lines as landing counts them: a final terminator starts no line.
fn physical_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

fn is_token(v: &str) -> bool {
    v.len() == 64
        && v.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

struct Staged {
    rows: String,
    rejects: String,
    longest: u64,
    rows_count: u64,
    rejects_count: u64,
}

fn land(data: &[u8], format: Format, name: &str) -> Staged {
    let dir = scratch();
    let path = dir.join(name);
    std::fs::write(&path, data).unwrap();
    let job = FileJob {
        source: "events".into(),
        path,
        rel: format!("events/2026-01-01/{name}"),
    };
    let tok = tokenizer();
    // A plain file on a local disk can only fail to read for I/O reasons:
    // any content must end as records or rejects.
    let p = prepare(job, &source(format), Some(&tok), &dir, "staged")
        .unwrap_or_else(|e| panic!("a readable file was refused: {e}"));
    let read = |p: &Path| String::from_utf8(std::fs::read(p).unwrap()).expect("staged UTF-8");
    Staged {
        rows: read(&p.staged_rows),
        rejects: read(&p.staged_rejects),
        longest: p.longest,
        rows_count: p.rows,
        rejects_count: p.rejects,
    }
}

/// Checks the staged rejects and returns their line numbers.
fn rejects(s: &Staged, lines: u64) -> Vec<u64> {
    let mut out = Vec::new();
    for text in s.rejects.lines() {
        assert!(
            text.len() as u64 <= s.longest,
            "a staged reject is longer ({}) than the loader's bound {}",
            text.len(),
            s.longest
        );
        let v: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("a staged reject is not JSON ({e}): {text}"));
        let line = v["line"].as_u64().expect("a reject's line");
        assert!((1..=lines).contains(&line), "reject line {line} of {lines}");
        assert!(
            v["reason"].as_str().is_some_and(|r| !r.is_empty()),
            "{text}"
        );
        assert!(v["raw_text"].is_string(), "{text}");
        out.push(line);
    }
    assert_eq!(out.len() as u64, s.rejects_count);
    out
}

pub fn jsonl(data: &[u8]) {
    let s = land(data, Format::JsonLines, "in.jsonl");
    let lines = physical_lines(data);
    let mut seen = rejects(&s, lines);
    for text in s.rows.lines() {
        assert!(
            text.len() as u64 <= s.longest,
            "a staged record is longer ({}) than the loader's bound {}",
            text.len(),
            s.longest
        );
        // Strict JSON (serde_json refuses what warehouses refuse: lone
        // surrogates, control characters in strings).
        let v: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("a staged record is not JSON ({e}): {text}"));
        let line = v["_line"].as_u64().expect("a record's line");
        let payload = v["payload"].as_object().expect("an object payload");
        assert!(
            payload.get("id").is_some_and(|id| !id.is_null()),
            "a record without its required id: {text}"
        );
        if let Some(email) = payload.get("email").filter(|e| !e.is_null()) {
            assert!(
                email.as_str().is_some_and(is_token),
                "PII not tokenized: {text}"
            );
        }
        seen.push(line);
    }
    assert_eq!(seen.len() as u64, s.rows_count + s.rejects_count);
    seen.sort_unstable();
    let want: Vec<u64> = (1..=lines).collect();
    assert_eq!(
        seen, want,
        "every line in exactly one of records and rejects"
    );
}

/// An independent RFC 4180 reader for the staged records: fields split on
/// commas, `"` quotes, `""` inside quotes, records end at a newline outside
/// quotes.
fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(!quoted, "the staged records end inside a quote");
    assert!(
        field.is_empty() && record.is_empty(),
        "the staged records do not end with a newline"
    );
    records
}

pub fn csv(data: &[u8]) {
    let s = land(data, Format::Csv, "in.csv");
    let lines = physical_lines(data);
    let mut seen = rejects(&s, lines);
    let mut longest_record = 0;
    let records = csv_records(&s.rows);
    for staged in s.rows.split_inclusive('\n') {
        longest_record = longest_record.max(staged.len());
    }
    for r in &records {
        assert_eq!(r.len(), 5, "a staged record of the wrong width: {r:?}");
        let line: u64 = r[0].parse().expect("a record's line number");
        assert!(line >= 2 && line <= lines, "record line {line} of {lines}");
        assert!(!r[1].trim().is_empty(), "a record without its id: {r:?}");
        assert!(
            r[2].is_empty() || is_token(&r[2]),
            "PII not tokenized: {r:?}"
        );
        seen.push(line);
    }
    assert_eq!(records.len() as u64, s.rows_count);
    assert!(
        longest_record as u64 <= s.longest.max(1),
        "a staged record line is longer ({longest_record}) than the loader's bound {}",
        s.longest
    );
    let before = seen.len();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), before, "a line landed twice: {seen:?}");
    assert!(
        !seen.contains(&1),
        "the header line landed as a record or a reject"
    );
}

fn lines_of(text: &str) -> usize {
    text.lines().count().max(1)
}

pub fn config(data: &[u8]) {
    let dir = scratch().join("project");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pushdown.toml");
    std::fs::write(&file, data).unwrap();
    match Project::load(&dir) {
        Ok(p) => assert_eq!(p.file, file),
        Err(Error::Config(problems)) => {
            assert!(!problems.is_empty(), "a refusal without a problem");
            let text = String::from_utf8_lossy(data);
            for p in problems {
                assert_eq!(p.file, file, "{p}");
                if let Some(line) = p.line {
                    assert!(
                        line >= 1 && line <= lines_of(&text) + 1,
                        "line {line} outside the file: {p}"
                    );
                }
                assert!(!p.message.is_empty());
            }
        }
        Err(other) => panic!("a project file refused as something else: {other}"),
    }
}

pub fn model(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let file = Path::new("models/ods/m.sql");
    let mut problems = Vec::new();
    let model = pushdown::transform::model::parse_model("ods", "m", file, text, &mut problems);
    if model.is_none() {
        assert!(!problems.is_empty(), "a model refused without a problem");
    }
    for p in &problems {
        assert_eq!(p.file, file, "{p}");
        if let Some(line) = p.line {
            assert!(
                line >= 1 && line <= lines_of(text) + 1,
                "line {line} outside the file: {p}"
            );
        }
    }
    if let Some(m) = model {
        // Dependencies come from the SQL itself: the DAG parses it.
        let mut problems = Vec::new();
        let sources = [source(Format::JsonLines)];
        let _ = pushdown::transform::dag::Dag::build(vec![m], &sources, &mut problems);
    }
}
