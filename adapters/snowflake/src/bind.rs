//! Bind parameters: values travel beside the statement (`?` placeholders),
//! typed as Snowflake's drivers send them, never pasted into SQL text.

use chrono::{NaiveDate, NaiveDateTime};
use pushdown_adapter::Decimal;
use serde_json::{Map, Value as Json, json};

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
    /// A UTC instant without zone (TIMESTAMP_NTZ).
    Timestamp(NaiveDateTime),
}

/// `{"1": {"type": "FIXED", "value": "10"}, ...}`: every value is sent as text
/// in Snowflake's wire form (dates as epoch milliseconds, timestamps as epoch
/// nanoseconds).
pub(crate) fn bindings(binds: &[Bind]) -> Json {
    let mut out = Map::new();
    for (i, b) in binds.iter().enumerate() {
        let (ty, value) = match b {
            Bind::Null => ("ANY", Json::Null),
            Bind::Bool(v) => ("BOOLEAN", v.to_string().into()),
            Bind::Int(v) => ("FIXED", v.to_string().into()),
            Bind::Float(v) => ("REAL", v.to_string().into()),
            // As text: Snowflake converts it to the column's NUMBER(p, s) exactly
            // (a FIXED binding is an integer to some servers).
            Bind::Decimal(v) => ("TEXT", v.to_string().into()),
            Bind::Text(v) => ("TEXT", v.clone().into()),
            Bind::Date(d) => {
                let ms = d
                    .and_hms_opt(0, 0, 0)
                    .expect("midnight exists")
                    .and_utc()
                    .timestamp_millis();
                ("DATE", ms.to_string().into())
            }
            Bind::Timestamp(t) => {
                let ns = t
                    .and_utc()
                    .timestamp_nanos_opt()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| {
                        // Outside i64 nanoseconds (before 1677 or after 2262).
                        format!(
                            "{}{:09}",
                            t.and_utc().timestamp(),
                            t.and_utc().timestamp_subsec_nanos()
                        )
                    });
                ("TIMESTAMP_NTZ", ns.into())
            }
        };
        out.insert((i + 1).to_string(), json!({ "type": ty, "value": value }));
    }
    Json::Object(out)
}
