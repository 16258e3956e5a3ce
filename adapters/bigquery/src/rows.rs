//! Query results (`schema` + `rows[].f[].v`) into pushdown's values.
//!
//! Every cell arrives as a JSON string (or null). Timestamps are asked for as
//! integer microseconds (`formatOptions.useInt64Timestamp`), which is also
//! what bqemulator always sends; older answers in float seconds (`1.7E9`) and
//! RFC 3339 text are read too, so the adapter does not depend on either side's
//! choice.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use pushdown_adapter::{Decimal, Rows, Value};
use serde_json::Value as Json;

/// A result column: its name and BigQuery type.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub ty: String,
}

pub(crate) fn fields(schema: Option<&Json>) -> Vec<Field> {
    schema
        .and_then(|s| s.get("fields"))
        .and_then(Json::as_array)
        .map(|fs| {
            fs.iter()
                .map(|f| Field {
                    name: f
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string(),
                    ty: f
                        .get("type")
                        .and_then(Json::as_str)
                        .unwrap_or("STRING")
                        .to_ascii_uppercase(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Appends the rows of one page to `out`.
pub(crate) fn append_page(fields: &[Field], rows: Option<&Json>, out: &mut Rows) {
    let Some(rows) = rows.and_then(Json::as_array) else {
        return;
    };
    for row in rows {
        let cells = row.get("f").and_then(Json::as_array);
        let values = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let cell = cells.and_then(|c| c.get(i)).and_then(|c| c.get("v"));
                convert(&f.ty, cell.unwrap_or(&Json::Null))
            })
            .collect();
        out.rows.push(values);
    }
}

pub(crate) fn convert(ty: &str, v: &Json) -> Value {
    let s = match v {
        Json::Null => return Value::Null,
        Json::String(s) => s.as_str(),
        // Repeated and record cells are arrays/objects: kept as JSON text.
        other => return Value::Text(other.to_string()),
    };
    let parsed = match ty {
        "INTEGER" | "INT64" => s.parse().ok().map(Value::Int),
        "FLOAT" | "FLOAT64" => s.parse().ok().map(Value::Float),
        "NUMERIC" | "BIGNUMERIC" | "DECIMAL" | "BIGDECIMAL" => s
            .parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(s))
            .ok()
            .map(Value::Decimal),
        "BOOLEAN" | "BOOL" => match s {
            "true" | "TRUE" => Some(Value::Bool(true)),
            "false" | "FALSE" => Some(Value::Bool(false)),
            _ => None,
        },
        "DATE" => NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .map(Value::Date),
        "TIMESTAMP" => timestamp(s).map(Value::Timestamp),
        "DATETIME" => datetime(s).map(Value::Timestamp),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::Text(s.to_string()))
}

fn timestamp(s: &str) -> Option<NaiveDateTime> {
    if let Ok(micros) = s.parse::<i64>() {
        return DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc());
    }
    if let Ok(secs) = s.parse::<f64>() {
        // Float seconds lose sub-microsecond digits only; round to the micro.
        let micros = (secs * 1e6).round() as i64;
        return DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc());
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .ok()
        .or_else(|| datetime(s.trim_end_matches(" UTC").trim_end_matches('Z')))
}

fn datetime(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f"))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_in_every_shape_read_the_same() {
        let want = NaiveDate::from_ymd_opt(2024, 1, 2)
            .unwrap()
            .and_hms_micro_opt(3, 4, 5, 123_456)
            .unwrap();
        for shape in [
            "1704164645123456",
            "1.704164645123456E9",
            "2024-01-02T03:04:05.123456Z",
            "2024-01-02 03:04:05.123456 UTC",
        ] {
            assert_eq!(
                convert("TIMESTAMP", &json!(shape)),
                Value::Timestamp(want),
                "{shape}"
            );
        }
    }

    #[test]
    fn scalar_types() {
        assert_eq!(convert("INTEGER", &json!("42")), Value::Int(42));
        assert_eq!(
            convert("NUMERIC", &json!("1.250")),
            Value::Decimal("1.25".parse().unwrap())
        );
        assert_eq!(convert("BOOLEAN", &json!("true")), Value::Bool(true));
        assert_eq!(
            convert("DATE", &json!("2024-02-29")),
            Value::Date(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())
        );
        assert_eq!(convert("STRING", &Json::Null), Value::Null);
        assert_eq!(
            convert("JSON", &json!("{\"a\":1}")),
            Value::Text("{\"a\":1}".into())
        );
    }
}
