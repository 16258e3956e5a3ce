//! Hostile files in the landing zone, each next to good files: empty files,
//! truncated gzip, binary garbage, a BOM, CRLF line ends, invalid UTF-8, CSV
//! quoted newlines, Parquet files that are not Parquet or have an unexpected
//! schema, and a 100 MB single line. Each ends as rows and rejects that
//! account for every line, or as a clear error naming the file; the process
//! never crashes, and no line of the other files is lost.
#![cfg(feature = "duckdb-system")]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;

const PROJECT: &str = r#"
[project]
name = "hostile_test"
default_target = "dev"

[targets.dev]
adapter = "duckdb"
path = "target/never-used.duckdb"

[[sources]]
name = "events"
format = "jsonl"
required = ["id"]
types = { amount = "decimal" }

[[sources]]
name = "rows"
format = "csv"
columns = ["id", "name", "amount"]
required = ["id"]
types = { amount = "decimal" }

[[sources]]
name = "pq"
format = "parquet"
required = ["id"]
"#;

struct Zone {
    dir: tempfile::TempDir,
    project: PathBuf,
    landing: PathBuf,
    db: PathBuf,
}

fn zone() -> Zone {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("project");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(project.join("pushdown.toml"), PROJECT).unwrap();
    let landing = dir.path().join("landing");
    let db = dir.path().join("wh.duckdb");
    Zone {
        project,
        landing,
        db,
        dir,
    }
}

impl Zone {
    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.landing.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    }

    /// A Parquet file written by DuckDB from a SELECT.
    fn parquet(&self, rel: &str, select: &str) {
        let p = self.landing.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let scratch = self.dir.path().join("scratch.duckdb");
        query(
            &scratch,
            &format!("COPY ({select}) TO '{}' (FORMAT parquet)", p.display()),
        );
    }

    /// Lands; asserts the process ended by itself (exit 0 or 1, no signal,
    /// no panic) and returns (exit code, stderr, result file).
    fn land(&self) -> (i32, String, serde_json::Value) {
        let result = self.dir.path().join("result.json");
        let out = pushdown(
            &[
                "land",
                "--project",
                self.project.to_str().unwrap(),
                "--result-file",
                result.to_str().unwrap(),
            ],
            &self.landing,
            &self.db,
        );
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out
            .status
            .code()
            .unwrap_or_else(|| panic!("pushdown died by a signal: {:?}\n{stderr}", out.status));
        assert!(matches!(code, 0 | 1), "exit {code}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let result = serde_json::from_str(&std::fs::read_to_string(&result).unwrap()).unwrap();
        (code, stderr, result)
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// Deterministic bytes that are neither text nor any format; a different
/// seed per file (identical files land once, by checksum).
fn garbage(n: usize, seed: u32) -> Vec<u8> {
    let mut x: u32 = 0x9e37_79b9 ^ seed;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// Per landed file: (rows in raw, rejects), from the warehouse itself.
fn landed(db: &Path) -> BTreeMap<String, (u64, u64)> {
    let mut out = BTreeMap::new();
    for source in ["events", "rows", "pq"] {
        for r in query(
            db,
            &format!("SELECT _source_file, count(*) FROM raw.{source} GROUP BY ALL"),
        ) {
            out.entry(r[0].clone()).or_insert((0, 0)).0 = r[1].parse().unwrap();
        }
    }
    for r in query(db, "SELECT file, count(*) FROM raw.rejects GROUP BY ALL") {
        out.entry(r[0].clone()).or_insert((0, 0)).1 = r[1].parse().unwrap();
    }
    // Files landed with nothing in them still have their ledger row.
    for r in query(db, "SELECT file FROM audit.landed_files") {
        out.entry(r[0].clone()).or_insert((0, 0));
    }
    out
}

fn reasons(db: &Path, file: &str) -> Vec<String> {
    query(
        db,
        &format!("SELECT reason FROM raw.rejects WHERE file = '{file}' ORDER BY line"),
    )
    .into_iter()
    .map(|mut r| r.remove(0))
    .collect()
}

const GOOD_JSONL: &[u8] =
    b"{\"id\":\"g1\",\"amount\":\"1.50\"}\n{\"id\":\"g2\"}\n{\"id\":\"g3\"}\n";
const GOOD_CSV: &[u8] = b"id,name,amount\nc1,ann,1.00\nc2,bob,2.00\n";

#[test]
fn every_hostile_file_ends_as_rows_rejects_or_a_named_error_and_the_others_land_whole() {
    let z = zone();
    // Good files around the hostile ones, in every source and day.
    // (Each with its own content: an identical file lands once, by checksum.)
    for day in ["2026-01-01", "2026-01-02"] {
        let jsonl = |tag: &str| {
            String::from_utf8_lossy(GOOD_JSONL)
                .replace("\"g", &format!("\"{day}-{tag}-g"))
                .into_bytes()
        };
        z.write(&format!("events/{day}/good.jsonl"), &jsonl("plain"));
        z.write(&format!("events/{day}/good.jsonl.gz"), &gzip(&jsonl("gz")));
        z.write(
            &format!("rows/{day}/good.csv"),
            String::from_utf8_lossy(GOOD_CSV)
                .replace("\nc", &format!("\n{day}-c"))
                .as_bytes(),
        );
    }
    z.parquet(
        "pq/2026-01-01/good.parquet",
        "SELECT 'p' || i AS id, i AS n FROM range(5) t(i)",
    );

    let d = "2026-01-01";
    // Empty, in every shape.
    z.write(&format!("events/{d}/empty.jsonl"), b"");
    z.write(&format!("events/{d}/empty.jsonl.gz"), &gzip(b""));
    z.write(&format!("rows/{d}/empty.csv"), b"");
    z.write(&format!("rows/{d}/header_only.csv"), b"id,name,amount\n");
    // Truncated gzip, and a .gz that is not gzip.
    let big: Vec<u8> = (0..2000)
        .flat_map(|i| format!("{{\"id\":\"t{i}\"}}\n").into_bytes())
        .collect();
    let full = gzip(&big);
    z.write(
        &format!("events/{d}/truncated.jsonl.gz"),
        &full[..full.len() / 2],
    );
    z.write(&format!("rows/{d}/not_gzip.csv.gz"), &garbage(3000, 1));
    // Binary garbage where text or Parquet is expected.
    z.write(&format!("events/{d}/garbage.jsonl"), &garbage(5000, 2));
    z.write(&format!("rows/{d}/garbage.csv"), &garbage(5000, 3));
    z.write(&format!("pq/{d}/garbage.parquet"), &garbage(5000, 4));
    z.write(&format!("pq/{d}/empty.parquet"), b"");
    // Parquet's magic, then nothing sensible.
    z.write(&format!("pq/{d}/magic_only.parquet"), b"PAR1garbagePAR1");
    // A byte order mark, CRLF line ends, a last line without its newline.
    z.write(
        &format!("events/{d}/bom_crlf.jsonl"),
        b"\xEF\xBB\xBF{\"id\":\"b1\"}\r\n{\"id\":\"b2\"}\r\n{\"id\":\"b3\"}",
    );
    z.write(
        &format!("rows/{d}/bom_crlf.csv"),
        b"\xEF\xBB\xBFid,name,amount\r\nr1,ann,1.00\r\nr2,\"bob\r\nsmith\",2.00\r\n",
    );
    // Invalid UTF-8 in one line of otherwise good files.
    z.write(
        &format!("events/{d}/bad_utf8.jsonl"),
        b"{\"id\":\"u1\"}\n{\"id\":\"u2\",\"name\":\"\xC3\x28\"}\n{\"id\":\"u3\"}\n",
    );
    z.write(
        &format!("rows/{d}/bad_utf8.csv"),
        b"id,name,amount\nv1,\xff\xfe,1.00\nv2,ok,2.00\n",
    );
    // Well-formed JSON escaping half a surrogate pair: no character, and a
    // warehouse that parses it refuses the whole load.
    z.write(
        &format!("events/{d}/lone_surrogate.jsonl"),
        b"{\"id\":\"s1\",\"e\":\"\\ud83d\\ude00\"}\n{\"id\":\"s2\",\"x\":\"\\ud800\"}\n{\"id\":\"s3\",\"n\":\"\\u0000\"}\n",
    );
    // CSV records spanning lines inside quotes, and one quote never closed.
    z.write(
        &format!("rows/{d}/quoted_newlines.csv"),
        b"id,name,amount\nq1,\"two\nlines\",1.00\nq2,\"a \"\"quoted\"\"\nthree\nlines\",2.00\nq3,plain,3.00\n",
    );
    z.write(
        &format!("rows/{d}/open_quote.csv"),
        b"id,name,amount\nw1,fine,1.00\nw2,\"never closed,2.00\nw3,lost?,3.00\n",
    );
    // NUL bytes and a line of only whitespace.
    z.write(
        &format!("events/{d}/nul.jsonl"),
        b"{\"id\":\"n1\"}\n\x00\x00\x00\n   \n{\"id\":\"n2\"}\n",
    );
    // Parquet with an unexpected schema: no `id`, nested and odd types.
    z.parquet(
        &format!("pq/{d}/no_id.parquet"),
        "SELECT i AS x, 'y' || i AS y FROM range(4) t(i)",
    );
    z.parquet(
        &format!("pq/{d}/nested.parquet"),
        "SELECT i AS id, {'a': i, 'b': [i, i + 1]} AS s, [1.5, 2.5] AS l, DATE '2026-01-01' + i::INT AS d, \
         CAST(i AS DECIMAL(20, 4)) AS m, 'bin'::BLOB AS b, NULL::VARCHAR AS z FROM range(3) t(i)",
    );

    let (code, stderr, result) = z.land();
    let errors: Vec<String> = result["land"]["file_errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();

    // Files that cannot be read as a whole fail alone, by name, and fail the
    // run (exit 1, kind `input`) after everything else landed.
    let unreadable = [
        format!("events/{d}/truncated.jsonl.gz"),
        format!("rows/{d}/not_gzip.csv.gz"),
        format!("pq/{d}/garbage.parquet"),
        format!("pq/{d}/empty.parquet"),
        format!("pq/{d}/magic_only.parquet"),
    ];
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(result["error"]["kind"], "input", "{result}");
    assert_eq!(errors.len(), unreadable.len(), "{errors:#?}");
    for file in &unreadable {
        assert!(
            errors.iter().any(|e| e.contains(file.as_str())),
            "{file} is not named among {errors:#?}"
        );
        assert!(
            stderr.contains(file.as_str()),
            "{file} missing in:\n{stderr}"
        );
    }

    let got = landed(&z.db);
    for file in &unreadable {
        assert!(!got.contains_key(file), "{file} landed something: {got:?}");
    }
    let want: BTreeMap<String, (u64, u64)> = [
        ("events/2026-01-01/good.jsonl", (3, 0)),
        ("events/2026-01-01/good.jsonl.gz", (3, 0)),
        ("events/2026-01-02/good.jsonl", (3, 0)),
        ("events/2026-01-02/good.jsonl.gz", (3, 0)),
        ("rows/2026-01-01/good.csv", (2, 0)),
        ("rows/2026-01-02/good.csv", (2, 0)),
        ("pq/2026-01-01/good.parquet", (5, 0)),
        ("events/2026-01-01/bom_crlf.jsonl", (3, 0)),
        ("rows/2026-01-01/bom_crlf.csv", (2, 0)),
        ("events/2026-01-01/bad_utf8.jsonl", (2, 1)),
        ("rows/2026-01-01/bad_utf8.csv", (1, 1)),
        ("events/2026-01-01/lone_surrogate.jsonl", (2, 1)),
        ("rows/2026-01-01/quoted_newlines.csv", (3, 0)),
        // The NUL line is invalid JSON, the blank one an `empty_line`.
        ("events/2026-01-01/nul.jsonl", (2, 2)),
        ("pq/2026-01-01/no_id.parquet", (0, 4)),
        ("pq/2026-01-01/nested.parquet", (3, 0)),
    ]
    .into_iter()
    .map(|(f, n)| (f.to_string(), n))
    .collect();
    for (file, n) in &want {
        assert_eq!(got.get(file), Some(n), "{file}: (rows, rejects)");
    }
    // Empty files land nothing and are recorded as seen (two empty files
    // have one checksum: the second is skipped as landed before).
    let empty = [
        format!("events/{d}/empty.jsonl"),
        format!("events/{d}/empty.jsonl.gz"),
        format!("rows/{d}/empty.csv"),
        format!("rows/{d}/header_only.csv"),
    ];
    for file in &empty {
        assert_eq!(got.get(file).copied().unwrap_or((0, 0)), (0, 0), "{file}");
        assert_eq!(
            scalar(
                &z.db,
                &format!(
                    "SELECT count(*) FROM audit.files WHERE file = '{file}' AND rows = 0 AND rejects = 0"
                )
            ),
            "1",
            "{file} is not recorded in audit.files"
        );
    }
    // Garbage text and an unclosed quote: every physical line is accounted
    // for, as a row or a reject, and nothing is both.
    for file in [
        format!("events/{d}/garbage.jsonl"),
        format!("rows/{d}/garbage.csv"),
        format!("rows/{d}/open_quote.csv"),
    ] {
        let (rows, rejects) = got
            .get(&file)
            .copied()
            .unwrap_or_else(|| panic!("{file} did not land: {got:#?}"));
        assert!(
            rejects > 0,
            "{file}: garbage was not rejected ({rows} rows)"
        );
    }
    let (rows, rejects) = got[&format!("rows/{d}/open_quote.csv")];
    assert_eq!(
        (rows, rejects),
        (1, 1),
        "open_quote.csv: w1 lands, the rest is one reject"
    );
    let extra: Vec<&String> = got
        .keys()
        .filter(|f| !want.contains_key(*f) && !empty.contains(f))
        .collect();
    assert_eq!(
        extra.len(),
        3,
        "files landed beyond those listed: {extra:?}"
    );

    // What landed is what was sent: BOM and CR stripped, quoted newlines kept.
    assert_eq!(
        query(
            &z.db,
            &format!(
                "SELECT id, name FROM raw.rows WHERE _source_file LIKE '%{d}/bom_crlf.csv' OR _source_file LIKE '%quoted_newlines.csv' ORDER BY id"
            ),
        ),
        vec![
            vec!["q1".to_string(), "two\nlines".to_string()],
            vec!["q2".to_string(), "a \"quoted\"\nthree\nlines".to_string()],
            vec!["q3".to_string(), "plain".to_string()],
            vec!["r1".to_string(), "ann".to_string()],
            vec!["r2".to_string(), "bob\r\nsmith".to_string()],
        ]
    );
    assert_eq!(
        scalar(
            &z.db,
            "SELECT string_agg(payload ->> 'id', ',' ORDER BY _line) FROM raw.events WHERE _source_file LIKE '%bom_crlf.jsonl'"
        ),
        "b1,b2,b3"
    );
    assert_eq!(
        reasons(&z.db, &format!("events/{d}/bad_utf8.jsonl")),
        reasons(&z.db, &format!("rows/{d}/bad_utf8.csv")),
        "the same stable reason for invalid UTF-8 in every format"
    );
    assert_eq!(
        scalar(
            &z.db,
            "SELECT payload ->> 's' FROM raw.pq WHERE _source_file LIKE '%nested.parquet' AND (payload ->> 'id') = '1'"
        ),
        r#"{"a":1,"b":[1,2]}"#
    );

    // Fixed files land on the next run; nothing landed before lands again.
    let before = landed(&z.db);
    std::fs::write(z.landing.join(&unreadable[0]), gzip(&big)).unwrap();
    for file in &unreadable[1..] {
        std::fs::remove_file(z.landing.join(file)).unwrap();
    }
    let (code, stderr, _) = z.land();
    assert_eq!(code, 0, "{stderr}");
    let mut after = landed(&z.db);
    assert_eq!(after.remove(&unreadable[0]), Some((2000, 0)));
    assert_eq!(after, before);
}

/// A 100 MB line (a JSON record with one huge field) lands like any other,
/// next to ordinary lines; and a long line cut short is one reject.
#[test]
fn a_100_mb_single_line_lands_or_is_rejected_whole() {
    let z = zone();
    let huge = 100 * 1024 * 1024;
    let path = z.landing.join("events/2026-01-01/huge.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"{\"id\":\"before\"}\n{\"id\":\"huge\",\"blob\":\"")
            .unwrap();
        let chunk = vec![b'x'; 1024 * 1024];
        for _ in 0..huge / chunk.len() {
            f.write_all(&chunk).unwrap();
        }
        // Cut short: a second long line (2 MB) never closes its string.
        f.write_all(b"\"}\n{\"id\":\"after\"}\n{\"id\":\"cut\",\"blob\":\"")
            .unwrap();
        for _ in 0..2 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n{\"id\":\"last\"}").unwrap();
    }
    z.write("events/2026-01-01/small.jsonl", GOOD_JSONL);

    let (code, stderr, _) = z.land();
    // The generated file is large; it goes as soon as it has been read.
    std::fs::remove_file(&path).unwrap();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        query(
            &z.db,
            "SELECT payload ->> 'id', length(payload ->> 'blob') FROM raw.events WHERE _source_file LIKE '%huge.jsonl' ORDER BY _line"
        ),
        vec![
            vec!["before".to_string(), "NULL".to_string()],
            vec!["huge".to_string(), huge.to_string()],
            vec!["after".to_string(), "NULL".to_string()],
            vec!["last".to_string(), "NULL".to_string()],
        ]
    );
    assert_eq!(
        query(
            &z.db,
            "SELECT line, length(raw_text) > 1000000 FROM raw.rejects WHERE file LIKE '%huge.jsonl'"
        ),
        vec![vec!["4".to_string(), "true".to_string()]]
    );
    assert_eq!(
        scalar(
            &z.db,
            "SELECT count(*) FROM raw.events WHERE _source_file LIKE '%small.jsonl'"
        ),
        "3"
    );
}
