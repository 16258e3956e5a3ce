//! A small RFC 4180 reader that keeps physical line numbers.
//!
//! Off-the-shelf readers skip blank lines and forget where a record started; the contract
//! needs both (a blank line is a reject, a reject names its line). A record starts at a
//! physical line and ends at the first newline outside quotes, so a quoted field may hold
//! commas, doubled quotes and newlines. `\r\n` endings are accepted. Text after a closing
//! quote is kept, and a quote inside an unquoted field is literal, as lenient readers do.

/// Calls `each(line, fields)` for every record of `data`, where `line` is the physical
/// line (1-based) on which the record starts and `fields` is `None` when the record is
/// not valid UTF-8. One buffer is reused for every record.
pub fn for_each_record(data: &[u8], mut each: impl FnMut(u64, Option<&[&str]>)) {
    let n = data.len();
    let mut i = 0;
    let mut line = 1u64;
    let mut buf: Vec<u8> = Vec::with_capacity(256);
    let mut ends: Vec<usize> = Vec::with_capacity(16);
    while i < n {
        let start_line = line;
        buf.clear();
        ends.clear();
        loop {
            let field_start = buf.len();
            if data[i..].first() == Some(&b'"') {
                i += 1;
                while i < n {
                    match data[i] {
                        b'"' if data.get(i + 1) == Some(&b'"') => {
                            buf.push(b'"');
                            i += 2;
                        }
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b => {
                            if b == b'\n' {
                                line += 1;
                            }
                            buf.push(b);
                            i += 1;
                        }
                    }
                }
            }
            while i < n && data[i] != b',' && data[i] != b'\n' {
                buf.push(data[i]);
                i += 1;
            }
            if i < n && data[i] == b',' {
                ends.push(buf.len());
                i += 1;
                continue;
            }
            if buf.len() > field_start && buf.last() == Some(&b'\r') {
                buf.pop();
            }
            ends.push(buf.len());
            if i < n {
                i += 1;
                line += 1;
            }
            break;
        }
        // Delimiters are ASCII, so the record is valid UTF-8 iff every field is.
        match std::str::from_utf8(&buf) {
            Ok(text) => {
                let mut from = 0;
                let fields: Vec<&str> = ends
                    .iter()
                    .map(|&end| {
                        let f = &text[from..end];
                        from = end;
                        f
                    })
                    .collect();
                each(start_line, Some(&fields));
            }
            Err(_) => each(start_line, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, fields) of every record; fields `None` when not UTF-8.
    fn records(data: &[u8]) -> Vec<(u64, Option<Vec<String>>)> {
        let mut out = Vec::new();
        for_each_record(data, |line, fields| {
            out.push((
                line,
                fields.map(|f| f.iter().map(|s| s.to_string()).collect()),
            ));
        });
        out
    }

    fn f(r: &(u64, Option<Vec<String>>)) -> (u64, Vec<&str>) {
        (
            r.0,
            r.1.as_ref().unwrap().iter().map(String::as_str).collect(),
        )
    }

    #[test]
    fn quoting_blank_lines_and_numbering() {
        let data = b"a,b,c\r\n1,\"x, y\",3\n\n\"multi\nline\",\"q\"\"q\",\n4,5,6";
        let r = records(data);
        assert_eq!(r.len(), 5);
        assert_eq!(f(&r[0]), (1, vec!["a", "b", "c"]));
        assert_eq!(f(&r[1]), (2, vec!["1", "x, y", "3"]));
        assert_eq!(f(&r[2]), (3, vec![""]));
        assert_eq!(f(&r[3]), (4, vec!["multi\nline", "q\"q", ""]));
        assert_eq!(f(&r[4]), (6, vec!["4", "5", "6"]));
        assert_eq!(records(b"a,b\n").len(), 1);
        assert!(records(b"").is_empty());
        assert_eq!(records(b"x,\xff\n")[0], (1, None));
        assert_eq!(f(&records(b"a,\"b\"c,d\r\n")[0]), (1, vec!["a", "bc", "d"]));
    }
}
