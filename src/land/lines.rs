//! Reading a file once: hashing its bytes while yielding its lines.
//!
//! The SHA-256 is over the file as stored (compressed bytes for `.gz`), so a
//! redelivery under another name is recognised without decompressing twice.
//! Lines are yielded one at a time into a reused buffer: memory follows the
//! longest line, never the file.

use std::io::{self, BufRead, BufReader, Read};

use sha2::{Digest, Sha256};

/// Passes bytes through while hashing and counting them.
pub struct Hashing<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> Hashing<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Reads whatever the consumer left unread, so the hash covers the whole
    /// file, then returns the hex digest and size.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        io::copy(&mut self, &mut io::sink())?;
        Ok((hex::encode(self.hasher.finalize()), self.bytes))
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// Physical lines with their 1-based numbers. A line's terminator (`\n` or
/// `\r\n`) is removed, a UTF-8 byte-order mark before the first line is
/// dropped, and a final terminator does not start an extra, empty line.
pub struct Lines<R> {
    reader: R,
    number: u64,
    buf: Vec<u8>,
    crlf: bool,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            number: 0,
            buf: Vec::with_capacity(4096),
            crlf: false,
        }
    }

    /// The next line, or `None` at the end of input.
    pub fn next_line(&mut self) -> io::Result<Option<(u64, &[u8])>> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.number += 1;
        let mut line = &self.buf[..];
        self.crlf = false;
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest.strip_suffix(b"\r").unwrap_or(rest);
            self.crlf = line.len() < rest.len();
        }
        if self.number == 1 {
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        Ok(Some((self.number, line)))
    }
}

impl<R> Lines<R> {
    /// The terminator the last line ended with: a CSV field quoted over
    /// several lines keeps it as received.
    pub fn terminator(&self) -> &'static str {
        if self.crlf { "\r\n" } else { "\n" }
    }
}

/// Opens the decompressed stream of a file read through `hashing`.
pub fn decoded<'a, R: Read + 'a>(hashing: &'a mut Hashing<R>, gzip: bool) -> Box<dyn BufRead + 'a> {
    if gzip {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, hashing)),
        ))
    } else {
        Box::new(BufReader::with_capacity(1 << 16, hashing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &[u8]) -> Vec<(u64, String)> {
        let mut lines = Lines::new(input);
        let mut out = Vec::new();
        while let Some((n, l)) = lines.next_line().unwrap() {
            out.push((n, String::from_utf8_lossy(l).into_owned()));
        }
        out
    }

    #[test]
    fn terminators_bom_and_the_last_line() {
        assert_eq!(
            all(b"\xEF\xBB\xBFa\r\nb\n\nc"),
            vec![
                (1, "a".into()),
                (2, "b".into()),
                (3, "".into()),
                (4, "c".into())
            ]
        );
        assert_eq!(all(b"a\n"), vec![(1, "a".into())]);
        let mut lines = Lines::new(&b"a\r\nb\n"[..]);
        lines.next_line().unwrap();
        assert_eq!(lines.terminator(), "\r\n");
        lines.next_line().unwrap();
        assert_eq!(lines.terminator(), "\n");
        assert!(all(b"").is_empty());
    }

    #[test]
    fn hash_covers_unread_bytes() {
        let mut h = Hashing::new(&b"hello world"[..]);
        let mut first = [0u8; 5];
        h.read_exact(&mut first).unwrap();
        let (digest, bytes) = h.finish().unwrap();
        assert_eq!(bytes, 11);
        assert_eq!(
            digest,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
    }
}
