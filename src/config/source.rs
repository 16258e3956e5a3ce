//! Sources: what a landing folder holds and how its records are checked.

use std::collections::BTreeMap;
use std::path::PathBuf;

/// How a source's files are encoded. Gzip is recognised by a `.gz` suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON object per line; lands as a JSON `payload` column, so fields
    /// that appear later (schema drift) need no schema change.
    JsonLines,
    /// Comma separated with a header; lands as text columns, as received.
    Csv,
    /// Parquet; each row lands as a JSON `payload`, like JSON Lines.
    Parquet,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["jsonl", "csv", "parquet"];

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "jsonl" | "json" | "ndjson" => Some(Format::JsonLines),
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// Whether records land as one JSON payload column (else as text columns).
    pub fn lands_as_json(self) -> bool {
        !matches!(self, Format::Csv)
    }
}

/// The type a field is checked against before landing. Values still land as
/// received; a value that does not parse sends its line to the rejects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    /// RFC 3339 with any UTC offset.
    Timestamp,
    /// `YYYY-MM-DD`.
    Date,
    /// Optional sign, digits, optional fraction: `-12.50`. No exponent.
    Decimal,
    Integer,
    Boolean,
}

impl FieldType {
    pub const NAMES: [&'static str; 6] =
        ["text", "timestamp", "date", "decimal", "integer", "boolean"];

    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "text" | "string" => FieldType::Text,
            "timestamp" => FieldType::Timestamp,
            "date" => FieldType::Date,
            "decimal" => FieldType::Decimal,
            "integer" => FieldType::Integer,
            "boolean" => FieldType::Boolean,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Timestamp => "timestamp",
            FieldType::Date => "date",
            FieldType::Decimal => "decimal",
            FieldType::Integer => "integer",
            FieldType::Boolean => "boolean",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub name: String,
    /// Folder under the landing root holding `<arrival_date>/<file>`.
    pub folder: PathBuf,
    pub format: Format,
    /// CSV only: the columns, in the order the raw table keeps them. Files
    /// may order them differently; the header says where each one is.
    pub columns: Vec<String>,
    /// Fields that must be present and non-empty for a line to be a record.
    pub required: Vec<String>,
    /// Fields tokenized before landing.
    pub pii: Vec<String>,
    pub types: BTreeMap<String, FieldType>,
}

impl Source {
    pub fn is_pii(&self, field: &str) -> bool {
        self.pii.iter().any(|p| p == field)
    }
}
