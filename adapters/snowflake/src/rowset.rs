//! Snowflake's two result encodings into pushdown's [`Value`]s: the JSON
//! `rowset` (every value a string in Snowflake's wire form, read by the
//! column's `rowtype`) and the Arrow `rowsetBase64` (an IPC stream whose
//! fields carry Snowflake's logical type and scale as metadata).
//! Optional fields may be absent from either: they are read as such.

use std::str::FromStr;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType,
};
use arrow_array::{Array, ArrayRef, StructArray};
use arrow_schema::{DataType, TimeUnit};
use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use pushdown_adapter::{Decimal, ErrorKind, Value, WarehouseError};
use serde_json::Value as Json;

/// One result column as `rowtype` describes it.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    /// Snowflake's type name, lower-cased: fixed, real, text, date, timestamp_ntz...
    pub ty: String,
    pub scale: u32,
}

pub fn columns(data: &Json) -> Vec<Column> {
    data.get("rowtype")
        .and_then(Json::as_array)
        .map(|cols| {
            cols.iter()
                .map(|c| Column {
                    name: c
                        .get("name")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_string(),
                    ty: c
                        .get("type")
                        .and_then(Json::as_str)
                        .unwrap_or("text")
                        .to_lowercase(),
                    scale: c.get("scale").and_then(Json::as_u64).unwrap_or(0) as u32,
                })
                .collect()
        })
        .unwrap_or_default()
}

fn bad(message: String) -> WarehouseError {
    WarehouseError::new(
        ErrorKind::Connection,
        format!("cannot read Snowflake's result: {message}"),
    )
}

/// The rows sent inline with the answer, in whichever encoding it uses.
pub fn inline_rows(data: &Json, columns: &[Column]) -> Result<Vec<Vec<Value>>, WarehouseError> {
    let format = data
        .get("queryResultFormat")
        .and_then(Json::as_str)
        .unwrap_or("json");
    if format.eq_ignore_ascii_case("arrow") {
        let b64 = data
            .get("rowsetBase64")
            .and_then(Json::as_str)
            .unwrap_or("");
        if b64.is_empty() {
            return Ok(Vec::new());
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| bad(format!("rowsetBase64 is not base64: {e}")))?;
        return arrow_rows(&bytes, columns);
    }
    let Some(rowset) = data.get("rowset").and_then(Json::as_array) else {
        return Ok(Vec::new());
    };
    rowset.iter().map(|r| json_row(r, columns)).collect()
}

/// A JSON result chunk: rows written `[..],[..]` without the outer brackets.
pub fn json_chunk_rows(
    bytes: &[u8],
    columns: &[Column],
) -> Result<Vec<Vec<Value>>, WarehouseError> {
    let mut text = Vec::with_capacity(bytes.len() + 2);
    text.push(b'[');
    text.extend_from_slice(bytes);
    text.push(b']');
    let rows: Vec<Json> =
        serde_json::from_slice(&text).map_err(|e| bad(format!("JSON chunk: {e}")))?;
    rows.iter().map(|r| json_row(r, columns)).collect()
}

fn json_row(row: &Json, columns: &[Column]) -> Result<Vec<Value>, WarehouseError> {
    let cells = row
        .as_array()
        .ok_or_else(|| bad("a rowset row is not an array".into()))?;
    cells
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            let col = columns.get(i);
            match cell {
                Json::Null => Ok(Value::Null),
                Json::String(s) => json_cell(s, col),
                other => json_cell(&other.to_string(), col),
            }
        })
        .collect()
}

fn json_cell(s: &str, col: Option<&Column>) -> Result<Value, WarehouseError> {
    let Some(col) = col else {
        return Ok(Value::Text(s.to_string()));
    };
    let unreadable = || bad(format!("`{s}` is not a {} ({})", col.ty, col.name));
    Ok(match col.ty.as_str() {
        "fixed" => fixed_from_text(s, col.scale).ok_or_else(unreadable)?,
        "real" | "float" | "double" => Value::Float(s.parse().map_err(|_| unreadable())?),
        "boolean" => Value::Bool(matches!(s, "1" | "true" | "TRUE" | "True")),
        "date" => {
            let days: i64 = s.parse().map_err(|_| unreadable())?;
            Value::Date(epoch_date(days).ok_or_else(unreadable)?)
        }
        "timestamp_ntz" | "timestamp_ltz" | "timestamp_tz" => {
            // "<seconds>.<fraction>[ <offset>]": seconds since the epoch, UTC.
            let secs = s.split_whitespace().next().unwrap_or(s);
            Value::Timestamp(epoch_fraction(secs).ok_or_else(unreadable)?)
        }
        "time" => Value::Text(time_of_day(s).ok_or_else(unreadable)?),
        _ => Value::Text(s.to_string()),
    })
}

fn fixed_from_text(s: &str, scale: u32) -> Option<Value> {
    if scale == 0
        && let Ok(i) = s.parse::<i64>()
    {
        return Some(Value::Int(i));
    }
    Decimal::from_str(s).ok().map(Value::Decimal)
}

fn epoch_date(days: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::TimeDelta::try_days(days)?)
}

/// "1700000000.123456789" (or negative) -> the UTC instant.
fn epoch_fraction(s: &str) -> Option<NaiveDateTime> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let negative = whole.starts_with('-');
    let secs: i64 = whole.parse().ok()?;
    let mut nanos: i64 = if frac.is_empty() {
        0
    } else {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        digits.parse().ok()?
    };
    let mut secs = secs;
    if negative && nanos > 0 {
        // -1.5 is one and a half seconds before the epoch.
        secs -= 1;
        nanos = 1_000_000_000 - nanos;
    }
    Some(DateTime::from_timestamp(secs, nanos as u32)?.naive_utc())
}

fn time_of_day(s: &str) -> Option<String> {
    let t = epoch_fraction(s)?;
    Some(t.format("%H:%M:%S%.f").to_string())
}

/// Rows of an Arrow IPC stream.
pub fn arrow_rows(bytes: &[u8], columns: &[Column]) -> Result<Vec<Vec<Value>>, WarehouseError> {
    let mut out = Vec::new();
    for batch in arrow_batches(bytes)? {
        let schema = batch.schema();
        let mut rows: Vec<Vec<Value>> = (0..batch.num_rows())
            .map(|_| Vec::with_capacity(batch.num_columns()))
            .collect();
        for (i, array) in batch.columns().iter().enumerate() {
            let field = schema.field(i);
            let meta = field.metadata();
            // Field metadata first (it is what Snowflake sends), the rowtype else.
            let ty = meta
                .get("logicalType")
                .map(|t| t.to_lowercase())
                .or_else(|| columns.get(i).map(|c| c.ty.clone()))
                .unwrap_or_default();
            let scale = meta
                .get("scale")
                .and_then(|s| s.parse().ok())
                .or_else(|| columns.get(i).map(|c| c.scale))
                .unwrap_or(0);
            for (r, row) in rows.iter_mut().enumerate() {
                row.push(
                    arrow_cell(array, r, &ty, scale)
                        .map_err(|m| bad(format!("column {}: {m}", field.name())))?,
                );
            }
        }
        out.extend(rows);
    }
    Ok(out)
}

/// The record batches of an IPC stream, read message by message.
///
/// Snowflake (and fakesnow) declare the `epoch`/`fraction` children of a
/// timestamp struct non-nullable yet leave garbage under a NULL timestamp;
/// arrow's stream reader rejects that. The schema is therefore read first and
/// every field relaxed to nullable before the batches are decoded (fully
/// validated, no `unsafe`).
fn arrow_batches(bytes: &[u8]) -> Result<Vec<arrow_array::RecordBatch>, WarehouseError> {
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;
    fn relax(f: &Field) -> Field {
        let dt = match f.data_type() {
            DataType::Struct(children) => {
                DataType::Struct(children.iter().map(|c| Arc::new(relax(c))).collect())
            }
            other => other.clone(),
        };
        f.clone().with_data_type(dt).with_nullable(true)
    }
    let mut schema: Option<Arc<Schema>> = None;
    let mut batches = Vec::new();
    let mut at = 0usize;
    let read_i32 = |at: usize| -> Result<i32, WarehouseError> {
        bytes
            .get(at..at + 4)
            .map(|b| i32::from_le_bytes(b.try_into().expect("4 bytes")))
            .ok_or_else(|| bad("Arrow stream ends inside a message header".into()))
    };
    while at + 4 <= bytes.len() {
        let mut len = read_i32(at)?;
        at += 4;
        if len == -1 {
            // Continuation marker, then the real length.
            len = read_i32(at)?;
            at += 4;
        }
        if len == 0 {
            break; // end of stream
        }
        let len = usize::try_from(len).map_err(|_| bad("negative Arrow message length".into()))?;
        let meta = bytes
            .get(at..at + len)
            .ok_or_else(|| bad("Arrow stream truncated".into()))?;
        at += len;
        let message =
            arrow_ipc::root_as_message(meta).map_err(|e| bad(format!("Arrow message: {e}")))?;
        let body_len = usize::try_from(message.bodyLength())
            .map_err(|_| bad("negative Arrow body length".into()))?;
        let body = bytes
            .get(at..at + body_len)
            .ok_or_else(|| bad("Arrow stream truncated".into()))?;
        at += body_len;
        match message.header_type() {
            arrow_ipc::MessageHeader::Schema => {
                let fb = message
                    .header_as_schema()
                    .ok_or_else(|| bad("Arrow schema message without a schema".into()))?;
                let s = arrow_ipc::convert::fb_to_schema(fb);
                let fields: Vec<Field> = s.fields().iter().map(|f| relax(f)).collect();
                schema = Some(Arc::new(Schema::new_with_metadata(
                    fields,
                    s.metadata().clone(),
                )));
            }
            arrow_ipc::MessageHeader::RecordBatch => {
                let fb = message
                    .header_as_record_batch()
                    .ok_or_else(|| bad("Arrow batch message without a batch".into()))?;
                let schema = schema
                    .clone()
                    .ok_or_else(|| bad("Arrow batch before its schema".into()))?;
                let buffer = arrow_buffer::Buffer::from(body.to_vec());
                let batch = arrow_ipc::reader::read_record_batch(
                    &buffer,
                    fb,
                    schema,
                    &Default::default(),
                    None,
                    &message.version(),
                )
                .map_err(|e| bad(format!("Arrow batch: {e}")))?;
                batches.push(batch);
            }
            other => {
                return Err(bad(format!(
                    "unexpected Arrow message {other:?} (dictionaries are not used by Snowflake)"
                )));
            }
        }
    }
    Ok(batches)
}

fn scaled(v: i128, scale: u32) -> Value {
    if scale == 0
        && let Ok(i) = i64::try_from(v)
    {
        return Value::Int(i);
    }
    match Decimal::try_from_i128_with_scale(v, scale) {
        Ok(d) => Value::Decimal(d),
        Err(_) => Value::Float(v as f64 / 10f64.powi(scale as i32)),
    }
}

fn int_at(array: &ArrayRef, r: usize) -> Option<i128> {
    Some(match array.data_type() {
        DataType::Int8 => array.as_primitive::<Int8Type>().value(r) as i128,
        DataType::Int16 => array.as_primitive::<Int16Type>().value(r) as i128,
        DataType::Int32 => array.as_primitive::<Int32Type>().value(r) as i128,
        DataType::Int64 => array.as_primitive::<Int64Type>().value(r) as i128,
        DataType::Decimal128(_, _) => array.as_primitive::<Decimal128Type>().value(r),
        _ => return None,
    })
}

/// Seconds-and-nanoseconds of a Snowflake timestamp: an integer scaled by
/// 10^scale, or a struct of `epoch` seconds and `fraction` nanoseconds.
fn timestamp_at(array: &ArrayRef, r: usize, scale: u32) -> Result<NaiveDateTime, String> {
    let (secs, nanos) = match array.data_type() {
        DataType::Struct(_) => {
            let s: &StructArray = array.as_struct();
            let epoch = s
                .column_by_name("epoch")
                .ok_or("timestamp struct without `epoch`")?;
            let epoch = int_at(epoch, r).ok_or("timestamp `epoch` is not an integer")? as i64;
            let fraction = match s.column_by_name("fraction") {
                Some(f) => int_at(f, r).ok_or("timestamp `fraction` is not an integer")? as i64,
                None => 0,
            };
            (epoch, fraction)
        }
        DataType::Timestamp(unit, _) => {
            let v = match unit {
                TimeUnit::Second => array.as_primitive::<TimestampSecondType>().value(r),
                TimeUnit::Millisecond => array.as_primitive::<TimestampMillisecondType>().value(r),
                TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(r),
                TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(r),
            };
            let per_sec = match unit {
                TimeUnit::Second => 1,
                TimeUnit::Millisecond => 1_000,
                TimeUnit::Microsecond => 1_000_000,
                TimeUnit::Nanosecond => 1_000_000_000,
            };
            (
                v.div_euclid(per_sec),
                v.rem_euclid(per_sec) * (1_000_000_000 / per_sec),
            )
        }
        _ => {
            let v = int_at(array, r).ok_or_else(|| format!("timestamp as {}", array.data_type()))?
                as i64;
            let per_sec = 10i64.pow(scale.min(9));
            (
                v.div_euclid(per_sec),
                v.rem_euclid(per_sec) * 10i64.pow(9 - scale.min(9)),
            )
        }
    };
    DateTime::from_timestamp(secs, nanos as u32)
        .map(|t| t.naive_utc())
        .ok_or_else(|| format!("timestamp {secs}.{nanos} out of range"))
}

fn arrow_cell(array: &ArrayRef, r: usize, ty: &str, scale: u32) -> Result<Value, String> {
    if array.is_null(r) {
        return Ok(Value::Null);
    }
    // A NULL timestamp may be marked on the struct's `epoch` only.
    if let DataType::Struct(_) = array.data_type()
        && array
            .as_struct()
            .column_by_name("epoch")
            .is_some_and(|e| e.is_null(r))
    {
        return Ok(Value::Null);
    }
    let dt = array.data_type();
    Ok(match ty {
        "timestamp_ntz" | "timestamp_ltz" | "timestamp_tz" => {
            Value::Timestamp(timestamp_at(array, r, scale)?)
        }
        "time" => {
            let t = timestamp_at(array, r, scale)?;
            Value::Text(t.format("%H:%M:%S%.f").to_string())
        }
        "date" => match dt {
            DataType::Date32 => {
                let days = array.as_primitive::<Date32Type>().value(r) as i64;
                Value::Date(epoch_date(days).ok_or("date out of range")?)
            }
            _ => Value::Date(
                epoch_date(int_at(array, r).ok_or("date is not a day count")? as i64)
                    .ok_or("date out of range")?,
            ),
        },
        _ => match dt {
            DataType::Null => Value::Null,
            DataType::Boolean => Value::Bool(array.as_boolean().value(r)),
            DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                scaled(int_at(array, r).expect("integer type"), scale)
            }
            DataType::Decimal128(_, s) => {
                let v = array.as_primitive::<Decimal128Type>().value(r);
                scaled(v, (*s).max(0) as u32)
            }
            DataType::Float64 => Value::Float(array.as_primitive::<Float64Type>().value(r)),
            DataType::Float32 => Value::Float(array.as_primitive::<Float32Type>().value(r) as f64),
            DataType::Utf8 => Value::Text(array.as_string::<i32>().value(r).to_string()),
            DataType::LargeUtf8 => Value::Text(array.as_string::<i64>().value(r).to_string()),
            DataType::Utf8View => Value::Text(array.as_string_view().value(r).to_string()),
            DataType::Binary => Value::Text(hex::encode(array.as_binary::<i32>().value(r))),
            DataType::LargeBinary => Value::Text(hex::encode(array.as_binary::<i64>().value(r))),
            DataType::Date32 => {
                let days = array.as_primitive::<Date32Type>().value(r) as i64;
                Value::Date(epoch_date(days).ok_or("date out of range")?)
            }
            DataType::Timestamp(_, _) | DataType::Struct(_) => {
                Value::Timestamp(timestamp_at(array, r, scale)?)
            }
            other => {
                return Err(format!(
                    "unsupported Arrow type {other} for Snowflake type {ty}"
                ));
            }
        },
    })
}
