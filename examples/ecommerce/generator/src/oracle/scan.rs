//! Walking a landing zone the way the loader must: arrival folders in date order, files
//! in name order, a file whose SHA-256 was already seen (under any name, in any folder
//! of the same source) skipped whole, `.gz` files decompressed, and content cut into
//! physical lines.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::Path;

use chrono::NaiveDate;
use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};

/// One file to load.
pub struct LandedFile {
    /// Arrival folder.
    pub date: NaiveDate,
    /// File name within the folder.
    pub name: String,
    /// Content, decompressed.
    pub content: Vec<u8>,
}

/// Calls `each` for every not-yet-seen file of `source`, in load order, considering only
/// arrival folders `<= upto`. Folders whose name is not `YYYY-MM-DD` are ignored.
pub fn for_each_file(
    landing: &Path,
    source: &str,
    upto: Option<NaiveDate>,
    mut each: impl FnMut(LandedFile) -> io::Result<()>,
) -> io::Result<()> {
    let root = landing.join(source);
    if !root.is_dir() {
        return Ok(());
    }
    let mut folders = Vec::new();
    for entry in fs::read_dir(&root)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if name.len() != 10 {
            continue;
        }
        let Ok(date) = NaiveDate::parse_from_str(&name, "%Y-%m-%d") else {
            continue;
        };
        if upto.is_none_or(|u| date <= u) {
            folders.push((date, entry.path()));
        }
    }
    folders.sort();

    let mut seen: HashSet<[u8; 32]> = HashSet::new();
    for (date, folder) in folders {
        let mut files = Vec::new();
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            if entry.file_type()?.is_file() {
                files.push((
                    entry.file_name().to_string_lossy().into_owned(),
                    entry.path(),
                ));
            }
        }
        files.sort();
        for (name, path) in files {
            let bytes = fs::read(&path)?;
            let digest: [u8; 32] = Sha256::digest(&bytes).into();
            if !seen.insert(digest) {
                continue;
            }
            let content = if name.ends_with(".gz") {
                let mut out = Vec::with_capacity(bytes.len() * 4);
                MultiGzDecoder::new(bytes.as_slice()).read_to_end(&mut out)?;
                out
            } else {
                bytes
            };
            each(LandedFile {
                date,
                name,
                content,
            })?;
        }
    }
    Ok(())
}

/// Physical lines (without `\n`), numbered from 1. A final newline ends the last line
/// and does not start another; an empty line in the middle is a line.
pub fn lines(content: &[u8]) -> impl Iterator<Item = (u64, &[u8])> {
    let body = content.strip_suffix(b"\n").unwrap_or(content);
    let empty = content.is_empty();
    body.split(|&b| b == b'\n')
        .take(if empty { 0 } else { usize::MAX })
        .zip(1..)
        .map(|(line, n)| (n, line))
}

#[cfg(test)]
mod tests {
    use super::lines;

    #[test]
    fn numbering() {
        let got: Vec<_> = lines(b"a\n\nb\n").collect();
        assert_eq!(got, vec![(1, &b"a"[..]), (2, &b""[..]), (3, &b"b"[..])]);
        assert_eq!(lines(b"a").count(), 1);
        assert_eq!(lines(b"").count(), 0);
        assert_eq!(lines(b"\n").count(), 1);
    }
}
