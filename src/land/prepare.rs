//! Turning one landed file into staged batches, in one streaming pass.
//!
//! Each line is hashed, decoded, parsed, checked and tokenized, then written
//! to one of two staged files: the records (with their line numbers) or the
//! rejects (with their reason). The warehouse loads both, together with the
//! file's ledger row, in one transaction, so nothing here is ever half-landed.
//!
//! JSON records keep every value exactly as written (unparsed `RawValue`s);
//! only declared PII values are replaced. CSV records keep their text.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use super::lines::{Hashing, Lines, decoded};
use super::pii::Tokenizer;
use super::record::Record;
use super::validate::{self, Field};
use crate::config::{Format, Source};

/// One file found in the landing zone.
#[derive(Debug, Clone)]
pub struct FileJob {
    pub source: String,
    pub path: PathBuf,
    /// Path relative to the landing root, `/`-separated: what rejects and the
    /// ledger record as `file`.
    pub rel: String,
}

/// A file ready to load: its checksum and staged batches.
#[derive(Debug)]
pub struct Prepared {
    pub job: FileJob,
    pub checksum: String,
    pub bytes: u64,
    pub rows: u64,
    pub rejects: u64,
    /// An upper bound of the longest staged line: readers that buffer whole
    /// records size their buffers by it instead of by a worst case.
    pub longest: u64,
    pub staged_rows: PathBuf,
    pub staged_rejects: PathBuf,
    /// The file's modification time when it was read (see [`Stat`]).
    pub modified_ns: Option<i64>,
}

/// What the file system says of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub bytes: u64,
    /// Modification time in nanoseconds since the epoch; `None` where the
    /// file system keeps none.
    pub modified_ns: Option<i64>,
}

impl Stat {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .and_then(|d| i64::try_from(d.as_nanos()).ok());
        Self {
            bytes: meta.len(),
            modified_ns,
        }
    }
}

/// A file the ledger knows under this name, as it was when it was landed.
#[derive(Debug, Clone)]
pub struct Known {
    pub checksum: String,
    /// Size and modification time as recorded; `None` for ledger rows that
    /// predate recording them, and for redeliveries (skipped, never read
    /// whole), whose names are hashed on every run.
    pub stat: Option<Stat>,
}

/// Why a file could not be read as a whole. Never contains record content.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Reads `job`, writing `<stem>.rows` and `<stem>.rejects` under `staging`.
pub fn prepare(
    job: FileJob,
    source: &Source,
    tokenizer: Option<&Tokenizer>,
    staging: &Path,
    stem: &str,
) -> Result<Prepared, FileError> {
    let fail = |message: String| FileError {
        file: job.rel.clone(),
        message,
    };
    let staged_rows = staging.join(format!("{stem}.rows"));
    let staged_rejects = staging.join(format!("{stem}.rejects"));
    let mut out = Staged {
        rows: BufWriter::with_capacity(
            1 << 18,
            File::create(&staged_rows)
                .map_err(|e| fail(format!("cannot write staging file: {e}")))?,
        ),
        rejects: BufWriter::new(
            File::create(&staged_rejects)
                .map_err(|e| fail(format!("cannot write staging file: {e}")))?,
        ),
        row_count: 0,
        longest: 0,
        reject_count: 0,
        scratch: String::new(),
    };
    let handler = Handler { source, tokenizer };
    let file = File::open(&job.path).map_err(|e| fail(format!("cannot open: {e}")))?;
    // Taken before reading: a write while the file is read changes the
    // modification time, so the next run reads the file again.
    let modified_ns = file.metadata().ok().and_then(|m| Stat::of(&m).modified_ns);
    let gzip = job
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let result = match source.format {
        Format::Parquet => {
            parquet_file(&job.path, &handler, &mut out).and_then(|()| Hashing::new(file).finish())
        }
        Format::JsonLines | Format::Csv => {
            let mut hashing = Hashing::new(file);
            let read = {
                let mut lines = Lines::new(decoded(&mut hashing, gzip));
                if source.format == Format::Csv {
                    handler.csv(&mut lines, &mut out)
                } else {
                    handler.jsonl(&mut lines, &mut out)
                }
            };
            read.and_then(|()| hashing.finish())
        }
    };
    let (checksum, bytes) = result.map_err(|e| fail(describe(&e, gzip)))?;
    out.rows
        .flush()
        .and(out.rejects.flush())
        .map_err(|e| fail(format!("cannot write staging file: {e}")))?;
    Ok(Prepared {
        job,
        checksum,
        bytes,
        rows: out.row_count,
        rejects: out.reject_count,
        longest: out.longest,
        staged_rows,
        staged_rejects,
        modified_ns,
    })
}

/// The ledger's record of a file it knows under this name whose size and
/// modification time are still as recorded (see [`checksum_only`]).
pub fn unchanged(known: &[Known], stat: Stat) -> Option<&Known> {
    stat.modified_ns?;
    known.iter().find(|k| k.stat == Some(stat))
}

/// Only the checksum of a file whose name the ledger knows: a recorded one
/// when the file's size and modification time are as recorded with it (the
/// same trust `make` and `rsync` put in them: rewriting a file changes its
/// modification time), else the SHA-256 of its bytes.
pub fn checksum_only(job: &FileJob, known: &[Known]) -> Result<Prepared, FileError> {
    let fail = |message: String| FileError {
        file: job.rel.clone(),
        message,
    };
    let known_only = |checksum: String, stat: Stat| Prepared {
        job: job.clone(),
        checksum,
        bytes: stat.bytes,
        rows: 0,
        rejects: 0,
        longest: 0,
        staged_rows: PathBuf::new(),
        staged_rejects: PathBuf::new(),
        modified_ns: stat.modified_ns,
    };
    let stat = std::fs::metadata(&job.path)
        .map(|m| Stat::of(&m))
        .map_err(|e| fail(format!("cannot open: {e}")))?;
    if let Some(k) = unchanged(known, stat) {
        return Ok(known_only(k.checksum.clone(), stat));
    }
    let file = File::open(&job.path).map_err(|e| fail(format!("cannot open: {e}")))?;
    let (checksum, bytes) = Hashing::new(std::io::BufReader::with_capacity(1 << 16, file))
        .finish()
        .map_err(|e| fail(e.to_string()))?;
    Ok(Prepared {
        bytes,
        ..known_only(checksum, stat)
    })
}

fn describe(e: &io::Error, gzip: bool) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof if gzip => {
            "the gzip stream ends early (truncated file?); nothing from it was loaded".into()
        }
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData if gzip => {
            format!("not a valid gzip file ({e}); nothing from it was loaded")
        }
        _ => format!("{e}; nothing from it was loaded"),
    }
}

struct Staged {
    rows: BufWriter<File>,
    rejects: BufWriter<File>,
    row_count: u64,
    reject_count: u64,
    longest: u64,
    scratch: String,
}

impl Staged {
    /// Notes a staged line of about `bytes` bytes (JSON escaping of rejected
    /// text can grow it up to six-fold, tokens replace values by 64 bytes).
    fn note(&mut self, bytes: usize) {
        self.longest = self.longest.max(bytes as u64);
    }

    /// A JSON record goes out as `{"_line":N,"payload":{...}}`.
    fn record(&mut self, line: u64, payload: &str) -> io::Result<()> {
        self.row_count += 1;
        self.note(payload.len() + 64);
        write!(self.rows, "{{\"_line\":{line},\"payload\":")?;
        self.rows.write_all(payload.as_bytes())?;
        self.rows.write_all(b"}\n")
    }

    /// A rejected line goes out as `{"line":N,"reason":..,"raw_text":..}`.
    fn reject(&mut self, line: u64, raw_text: &str, reason: &str) -> io::Result<()> {
        self.reject_count += 1;
        self.note(raw_text.len() * 6 + reason.len() + 64);
        write!(self.rejects, "{{\"line\":{line},\"reason\":")?;
        serde_json::to_writer(&mut self.rejects, reason)?;
        self.rejects.write_all(b",\"raw_text\":")?;
        serde_json::to_writer(&mut self.rejects, raw_text)?;
        self.rejects.write_all(b"}\n")
    }
}

struct Handler<'a> {
    source: &'a Source,
    tokenizer: Option<&'a Tokenizer>,
}

impl Handler<'_> {
    fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.tokenizer {
            Some(t) => t.scrub(text),
            None => Cow::Borrowed(text),
        }
    }

    fn jsonl(&self, lines: &mut Lines<impl io::BufRead>, out: &mut Staged) -> io::Result<()> {
        while let Some((n, bytes)) = lines.next_line()? {
            if n == 2 {
                // A crash test's point inside a file being read.
                crate::failpoint::hit("land:mid_file");
            }
            match std::str::from_utf8(bytes) {
                Ok(text) => self.json_record(n, text, out)?,
                Err(_) => out.reject(
                    n,
                    &self.scrub(&String::from_utf8_lossy(bytes)),
                    validate::INVALID_UTF8,
                )?,
            }
        }
        Ok(())
    }

    /// Staged records go out as JSON Lines: `{"_line":N,"payload":{...}}`.
    fn json_record(&self, n: u64, text: &str, out: &mut Staged) -> io::Result<()> {
        if text.trim().is_empty() {
            return out.reject(n, text, validate::EMPTY_LINE);
        }
        let mut obj: Record = match serde_json::from_str(text) {
            Ok(_) if validate::has_lone_surrogate(text) => {
                return out.reject(n, &self.scrub(text), validate::INVALID_JSON);
            }
            Ok(o) => o,
            Err(_) => {
                let reason = if serde_json::from_str::<&RawValue>(text).is_ok() {
                    validate::NOT_AN_OBJECT
                } else {
                    validate::INVALID_JSON
                };
                return out.reject(n, &self.scrub(text), reason);
            }
        };
        let mut tokens: Vec<(&str, Box<RawValue>)> = Vec::new();
        // A PII field written twice keeps its last value; the line as read
        // would still carry the earlier one, so the record is rewritten.
        let mut rewrite = false;
        if let Some(tok) = self.tokenizer {
            for field in &self.source.pii {
                rewrite |= obj.repeats(field);
                if let Some(raw) = obj.get(field) {
                    let token = match field_of(raw) {
                        Field::Null => continue,
                        Field::Text(s) => tok.token(&s),
                        _ => tok.token(raw.get()),
                    };
                    // A hex token needs no escaping: quoting it is its JSON.
                    let json = RawValue::from_string(format!("\"{token}\"")).expect("valid json");
                    tokens.push((field, json));
                }
            }
        }
        for (field, raw) in &tokens {
            obj.set(field, raw);
        }
        let reason = validate::check(self.source, |f| obj.get(f).map(field_of));
        // The record rewritten with its tokens goes to a buffer kept across
        // lines, so a line costs no allocation for it.
        let mut buf = std::mem::take(&mut out.scratch);
        let payload = if tokens.is_empty() && !rewrite {
            text.trim()
        } else {
            buf.clear();
            obj.write_to(&mut buf);
            buf.as_str()
        };
        let written = match reason {
            Some(reason) => out.reject(n, &self.scrub(payload), &reason),
            None => out.record(n, payload),
        };
        out.scratch = buf;
        written
    }

    fn csv(&self, lines: &mut Lines<impl io::BufRead>, out: &mut Staged) -> io::Result<()> {
        let mut record = String::new();
        let mut header: Option<CsvHeader> = None;
        loop {
            // A record continues over physical lines while a quote is open.
            record.clear();
            let mut first_line = 0;
            let mut bad_utf8 = false;
            let mut open_quote = false;
            let mut joint = "\n";
            while let Some((n, bytes)) = lines.next_line()? {
                // Only the new line's quotes are counted: linear even when a
                // stray quote makes the rest of the file one record.
                open_quote ^= bytes.iter().filter(|&&b| b == b'"').count() % 2 == 1;
                if first_line == 0 {
                    first_line = n;
                } else {
                    record.push_str(joint);
                }
                match std::str::from_utf8(bytes) {
                    Ok(t) => record.push_str(t),
                    Err(_) => {
                        bad_utf8 = true;
                        record.push_str(&String::from_utf8_lossy(bytes));
                    }
                }
                if !open_quote {
                    break;
                }
                joint = lines.terminator();
            }
            if first_line == 0 {
                return Ok(());
            }
            let Some(h) = &header else {
                header = Some(CsvHeader::new(self.source, &split_csv(&record)));
                continue;
            };
            if bad_utf8 {
                out.reject(first_line, &self.scrub(&record), validate::INVALID_UTF8)?;
                continue;
            }
            if record.trim().is_empty() {
                out.reject(first_line, &record, validate::EMPTY_LINE)?;
                continue;
            }
            let mut fields = split_csv(&record);
            if let Some(missing) = &h.missing {
                out.reject(
                    first_line,
                    &self.scrub(&record),
                    &format!("header_mismatch:{missing}"),
                )?;
                continue;
            }
            if fields.len() != h.width {
                out.reject(
                    first_line,
                    &self.scrub(&record),
                    validate::WRONG_FIELD_COUNT,
                )?;
                continue;
            }
            let mut tokenized = false;
            if let Some(tok) = self.tokenizer {
                for (col, pos) in self.source.columns.iter().zip(&h.positions) {
                    if self.source.is_pii(col) && !fields[*pos].is_empty() {
                        fields[*pos] = Cow::Owned(tok.token(&fields[*pos]));
                        tokenized = true;
                    }
                }
            }
            let reason = validate::check(self.source, |name| {
                let i = self.source.columns.iter().position(|c| c == name)?;
                let v = &fields[h.positions[i]];
                Some(if v.is_empty() {
                    Field::Null
                } else {
                    Field::Csv(v.as_ref())
                })
            });
            if let Some(reason) = reason {
                let text = if tokenized {
                    join_csv(&fields)
                } else {
                    record.clone()
                };
                out.reject(first_line, &self.scrub(&text), &reason)?;
                continue;
            }
            out.row_count += 1;
            // Re-encoding can double quotes; tokens are 64 bytes.
            out.note(record.len() * 2 + 64 * self.source.pii.len() + 64);
            write!(out.rows, "{first_line}")?;
            if h.identity && !tokenized {
                out.rows.write_all(b",")?;
                out.rows.write_all(record.as_bytes())?;
            } else {
                for pos in &h.positions {
                    out.rows.write_all(b",")?;
                    write_csv_field(&mut out.rows, &fields[*pos])?;
                }
            }
            out.rows.write_all(b"\n")?;
        }
    }
}

/// Where each declared column sits in a file's header.
struct CsvHeader {
    positions: Vec<usize>,
    width: usize,
    /// The file's columns are exactly the declared ones, in order: records
    /// can be staged as they were received.
    identity: bool,
    /// A declared column the header lacks: every record is rejected.
    missing: Option<String>,
}

impl CsvHeader {
    fn new(source: &Source, names: &[Cow<str>]) -> Self {
        let mut positions = Vec::with_capacity(source.columns.len());
        let mut missing = None;
        for col in &source.columns {
            match names.iter().position(|n| n.trim() == col) {
                Some(p) => positions.push(p),
                None => {
                    missing.get_or_insert_with(|| col.clone());
                    positions.push(0);
                }
            }
        }
        let identity = missing.is_none()
            && names.len() == positions.len()
            && positions.iter().enumerate().all(|(i, p)| i == *p);
        Self {
            positions,
            width: names.len(),
            identity,
            missing,
        }
    }
}

/// Splits one CSV record (RFC 4180: `"` quotes, `""` escapes a quote).
pub fn split_csv(record: &str) -> Vec<Cow<'_, str>> {
    let mut fields = Vec::new();
    let bytes = record.as_bytes();
    let mut i = 0;
    loop {
        if bytes.get(i) == Some(&b'"') {
            let mut value = String::new();
            let mut j = i + 1;
            loop {
                match bytes[j..].iter().position(|&b| b == b'"') {
                    None => {
                        value.push_str(&record[j..]);
                        j = bytes.len();
                        break;
                    }
                    Some(q) => {
                        value.push_str(&record[j..j + q]);
                        j += q + 1;
                        if bytes.get(j) == Some(&b'"') {
                            value.push('"');
                            j += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            // Text between a closing quote and the next comma is kept, as
            // most readers do, rather than losing it.
            let end = bytes[j..]
                .iter()
                .position(|&b| b == b',')
                .map_or(bytes.len(), |p| j + p);
            value.push_str(&record[j..end]);
            fields.push(Cow::Owned(value));
            i = end;
        } else {
            let end = bytes[i..]
                .iter()
                .position(|&b| b == b',')
                .map_or(bytes.len(), |p| i + p);
            fields.push(Cow::Borrowed(&record[i..end]));
            i = end;
        }
        if i >= bytes.len() {
            return fields;
        }
        i += 1; // the comma
        if i == bytes.len() {
            fields.push(Cow::Borrowed(""));
            return fields;
        }
    }
}

fn write_csv_field(w: &mut impl Write, value: &str) -> io::Result<()> {
    if value.contains([',', '"', '\n', '\r']) {
        w.write_all(b"\"")?;
        w.write_all(value.replace('"', "\"\"").as_bytes())?;
        w.write_all(b"\"")
    } else {
        w.write_all(value.as_bytes())
    }
}

fn join_csv(fields: &[Cow<str>]) -> String {
    let mut out = Vec::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_csv_field(&mut out, f).expect("writing to memory");
    }
    String::from_utf8(out).expect("fields are UTF-8")
}

fn field_of(raw: &RawValue) -> Field<'_> {
    let t = raw.get();
    match t.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<Cow<str>>(t)
            .map(Field::Text)
            .unwrap_or(Field::Nested),
        Some(b'n') => Field::Null,
        Some(b't') => Field::Bool(true),
        Some(b'f') => Field::Bool(false),
        Some(b'[' | b'{') => Field::Nested,
        _ => Field::Number(t),
    }
}

/// Parquet rows land like JSON records; `_line` is the 1-based row number.
fn parquet_file(path: &Path, handler: &Handler, out: &mut Staged) -> io::Result<()> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let invalid = |e: parquet::errors::ParquetError| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a readable parquet file: {e}"),
        )
    };
    let reader = SerializedFileReader::new(File::open(path)?).map_err(invalid)?;
    let rows = reader.get_row_iter(None).map_err(invalid)?;
    for (i, row) in rows.enumerate() {
        let row = row.map_err(invalid)?;
        let text = row.to_json_value().to_string();
        handler.json_record(i as u64 + 1, &text, out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    /// A PII field written twice keeps its last value (record.rs): the
    /// staged record must not carry the earlier one in the clear, whether
    /// the last is tokenized or null.
    #[test]
    fn a_pii_field_written_twice_lands_without_its_earlier_value() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.jsonl");
        std::fs::write(
            &path,
            "{\"id\":\"a\",\"email\":\"zed@example.com\",\"email\":null}\n\
             {\"id\":\"b\",\"email\":null,\"email\":\"amy@example.com\"}\n",
        )
        .unwrap();
        let source = Source {
            name: "e".into(),
            folder: "e".into(),
            format: Format::JsonLines,
            columns: Vec::new(),
            required: vec!["id".into()],
            pii: vec!["email".into()],
            types: Default::default(),
        };
        let job = FileJob {
            source: "e".into(),
            path,
            rel: "e/2026-01-01/e.jsonl".into(),
        };
        let tokenizer = Tokenizer::new(&SecretString::from("k3y"));
        let p = prepare(job, &source, Some(&tokenizer), dir.path(), "000000").unwrap();
        assert_eq!((p.rows, p.rejects), (2, 0));
        let staged = std::fs::read_to_string(&p.staged_rows).unwrap();
        assert!(!staged.contains('@'), "{staged}");
        assert!(
            staged.contains(&tokenizer.token("amy@example.com")),
            "{staged}"
        );
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(
            split_csv("a,\"b,c\",\"d\"\"e\",,"),
            vec!["a", "b,c", "d\"e", "", ""]
        );
        assert_eq!(split_csv("\"multi\nline\",x"), vec!["multi\nline", "x"]);
        assert_eq!(split_csv(""), vec![""]);
        assert_eq!(
            join_csv(&split_csv("a,\"b,c\",\"d\"\"e\"")),
            "a,\"b,c\",\"d\"\"e\""
        );
    }
}
