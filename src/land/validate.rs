//! Field checks shared by every format, and the stable reject reasons.
//!
//! Reasons are pushdown's own words, identical on every warehouse, so a
//! dashboard over `raw.rejects` works unchanged when a project moves:
//! `invalid_utf8`, `empty_line`, `invalid_json`, `not_an_object`,
//! `wrong_field_count`, `header_mismatch:<column>`, `missing_field:<field>`,
//! `invalid_<type>:<field>` (timestamp, date, decimal, integer, boolean).

use crate::config::{FieldType, Source};

pub const INVALID_UTF8: &str = "invalid_utf8";
pub const EMPTY_LINE: &str = "empty_line";
pub const INVALID_JSON: &str = "invalid_json";
pub const NOT_AN_OBJECT: &str = "not_an_object";
pub const WRONG_FIELD_COUNT: &str = "wrong_field_count";

pub fn missing(field: &str) -> String {
    format!("missing_field:{field}")
}

pub fn invalid(ty: FieldType, field: &str) -> String {
    format!("invalid_{}:{field}", ty.name())
}

/// Whether `text` is a valid value of `ty` as written in a file.
pub fn text_is(ty: FieldType, text: &str) -> bool {
    match ty {
        FieldType::Text => true,
        FieldType::Timestamp => chrono::DateTime::parse_from_rfc3339(text.trim()).is_ok(),
        FieldType::Date => {
            let t = text.trim();
            t.len() == 10 && chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").is_ok()
        }
        FieldType::Decimal => is_decimal(text.trim()),
        FieldType::Integer => {
            let t = text.trim();
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        }
        FieldType::Boolean => matches!(
            text.trim().to_ascii_lowercase().as_str(),
            "true" | "false" | "t" | "f" | "1" | "0"
        ),
    }
}

fn is_decimal(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match frac {
        None => !int.is_empty() && digits(int),
        Some(f) => (!int.is_empty() || !f.is_empty()) && digits(int) && digits(f) && !f.is_empty(),
    }
}

/// One field of a record as found in the file, before any interpretation.
#[derive(Debug, Clone, PartialEq)]
pub enum Field<'a> {
    Null,
    /// A JSON string: fine for text, timestamps, dates and decimals written as
    /// strings (`"120.50"`), but not for integers or booleans, which JSON
    /// writes as numbers and `true`/`false`.
    Text(std::borrow::Cow<'a, str>),
    /// A CSV field: text that may hold a value of any type.
    Csv(&'a str),
    /// A JSON number, as written.
    Number(&'a str),
    Bool(bool),
    /// A JSON array or object.
    Nested,
}

impl Field<'_> {
    fn is(&self, ty: FieldType) -> bool {
        match (ty, self) {
            (FieldType::Text, _) => true,
            (FieldType::Decimal, Field::Number(n)) => is_decimal(n),
            (FieldType::Integer, Field::Number(n)) => text_is(FieldType::Integer, n),
            (FieldType::Boolean, Field::Bool(_)) => true,
            (FieldType::Integer | FieldType::Boolean, Field::Text(_)) => false,
            (_, Field::Text(s)) => text_is(ty, s),
            (_, Field::Csv(s)) => text_is(ty, s),
            _ => false,
        }
    }

    fn is_missing(&self) -> bool {
        match self {
            Field::Null => true,
            Field::Text(s) => s.trim().is_empty(),
            Field::Csv(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// Checks a record against the source's rules: the first failing rule's
/// reason, or `None` when the record may land. `get` looks a field up.
pub fn check<'a>(source: &Source, get: impl Fn(&str) -> Option<Field<'a>>) -> Option<String> {
    for field in &source.required {
        if get(field).is_none_or(|f| f.is_missing()) {
            return Some(missing(field));
        }
    }
    for (field, ty) in &source.types {
        match get(field) {
            Some(f) if !f.is_missing() && !f.is(*ty) => return Some(invalid(*ty, field)),
            _ => {}
        }
    }
    None
}

/// Whether well-formed JSON text escapes half of a UTF-16 surrogate pair
/// (`"\ud800"`) without the other half. JSON parsers that keep values raw
/// let it through, but it encodes no character, and warehouses refuse it
/// (DuckDB fails the whole load), so such a line is `invalid_json`.
pub fn has_lone_surrogate(json: &str) -> bool {
    let b = json.as_bytes();
    if !b.contains(&b'\\') {
        return false;
    }
    let unit = |at: usize| -> Option<u16> {
        let hex = b.get(at..at + 4)?;
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    // Valid JSON has backslashes only inside strings, each starting an escape.
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        if b.get(i + 1) != Some(&b'u') {
            i += 2;
            continue;
        }
        match unit(i + 2) {
            Some(0xD800..=0xDBFF) => {
                let low = (b.get(i + 6..i + 8) == Some(&b"\\u"[..]))
                    .then(|| unit(i + 8))
                    .flatten();
                if !matches!(low, Some(0xDC00..=0xDFFF)) {
                    return true;
                }
                i += 12;
            }
            Some(0xDC00..=0xDFFF) => return true,
            _ => i += 6,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates() {
        for lone in [
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\ud800x"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud800\u0041"}"#,
            r#"{"a":"\ud83d\ude00\udfff"}"#,
        ] {
            assert!(has_lone_surrogate(lone), "{lone}");
        }
        for fine in [
            r#"{"a":"\ud83d\ude00"}"#,
            r#"{"a":"\\ud800"}"#,
            r#"{"a":"\u0000\n\"\\"}"#,
            r#"{"a":"plain é"}"#,
        ] {
            assert!(!has_lone_surrogate(fine), "{fine}");
        }
    }

    #[test]
    fn decimals() {
        for ok in ["120.50", "0", "-3.5", ".5", "7."] {
            assert_eq!(is_decimal(ok), ok != "7.", "{ok}");
        }
        for bad in ["", "12,50", "1e3", "abc", "1.2.3", "-", "."] {
            assert!(!is_decimal(bad), "{bad}");
        }
    }

    #[test]
    fn timestamps_take_any_offset() {
        for ok in [
            "2026-01-01T09:15:00+01:00",
            "2026-01-01T09:15:00Z",
            "2026-01-01T09:15:00.123-09:30",
            "2026-01-01T23:59:59+14:00",
        ] {
            assert!(text_is(FieldType::Timestamp, ok), "{ok}");
        }
        for bad in [
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "yesterday",
            "2026-01-01T09:15:00",
        ] {
            assert!(!text_is(FieldType::Timestamp, bad), "{bad}");
        }
    }
}
