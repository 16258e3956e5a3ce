//! Validating and typing one input line, per source.
//!
//! Each function either returns the typed record or the reason for rejecting the line;
//! the rules are the project's (see the crate README / `oracle` docs):
//!
//! * decimal = optional `-`, digits, optional `.digits` (no exponent, no spaces, no
//!   thousands separator); amounts are kept at 2 places and rates at 6 (rounded half away
//!   from zero, as a `DECIMAL(18,2)` / `DECIMAL(18,6)` cast would);
//! * integer = optional `-`, digits, within `i64`;
//! * timestamps are RFC 3339 as `chrono::DateTime::parse_from_rfc3339` reads them (which
//!   also takes a space for `T`), converted to UTC;
//! * JSON: the line must be one object; `event_id`, `order_id`, `event_type`,
//!   `event_time` present and non-null; `gross_amount` / `tax_amount` / `version`, when
//!   present (`null` included), must be a decimal (string or number) / an integer number;
//!   `discount_amount` may be absent or `null` (0), otherwise a decimal;
//! * CSV: the field count must equal the header's; required fields non-empty; typed
//!   fields, when non-empty, must parse; an empty optional field is NULL.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::{Pii, round};

/// Why a line was rejected.
pub type Reject = &'static str;

/// An accepted `orders_events` line.
#[derive(Debug, Clone)]
pub struct OrderEvent {
    pub order_id: String,
    pub customer_id: Option<String>,
    pub email_token: Option<String>,
    pub event_type: String,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub gross_amount: Option<Decimal>,
    pub discount_amount: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
    pub country: Option<String>,
    pub channel: Option<String>,
    pub event_time: NaiveDateTime,
    pub version: Option<i64>,
}

/// An accepted `payments_events` row.
#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub payment_id: String,
    pub order_id: String,
    pub event_time: NaiveDateTime,
    pub status: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub version: Option<i64>,
}

/// An accepted `shipments_events` row.
#[derive(Debug, Clone)]
pub struct ShipmentRow {
    pub shipment_id: String,
    pub order_id: String,
    pub event_time: NaiveDateTime,
    pub milestone: String,
    pub carrier: Option<String>,
}

/// An accepted `customers` row, attributes already standardised.
#[derive(Debug, Clone)]
pub struct CustomerRow {
    pub customer_id: String,
    pub email_token: Option<String>,
    pub country: Option<String>,
    pub segment: Option<String>,
    pub updated_at: NaiveDateTime,
}

/// An accepted `fx_rates` row.
#[derive(Debug, Clone)]
pub struct FxRow {
    pub rate_date: NaiveDate,
    pub currency: String,
    pub usd_rate: Decimal,
}

/// `-?[0-9]+(\.[0-9]+)?`
fn is_decimal(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}

/// A decimal rounded half away from zero to `places`.
pub fn decimal(s: &str, places: u32) -> Result<Decimal, Reject> {
    if !is_decimal(s) {
        return Err("not a decimal");
    }
    Decimal::from_str(s)
        .map(|d| round(d, places))
        .map_err(|_| "decimal out of range")
}

/// `-?[0-9]+` within `i64`.
pub fn integer(s: &str) -> Result<i64, Reject> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not an integer");
    }
    s.parse().map_err(|_| "integer out of range")
}

/// An RFC 3339 timestamp as a UTC `NaiveDateTime`.
pub fn timestamp(s: &str) -> Result<NaiveDateTime, Reject> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.naive_utc())
        .map_err(|_| "not an RFC 3339 timestamp")
}

/// A `YYYY-MM-DD` date (exactly that shape).
pub fn date(s: &str) -> Result<NaiveDate, Reject> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err("not a YYYY-MM-DD date");
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "not a valid date")
}

enum Json<'a> {
    Absent,
    Null,
    Str(String),
    /// A number, boolean, object or array, as its JSON text.
    Other(&'a str),
}

fn json_field<'a>(map: &'a BTreeMap<String, &'a RawValue>, name: &str) -> Result<Json<'a>, Reject> {
    let Some(raw) = map.get(name) else {
        return Ok(Json::Absent);
    };
    let text = raw.get();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str(text)
            .map(Json::Str)
            .map_err(|_| "invalid JSON string"),
        _ if text == "null" => Ok(Json::Null),
        _ => Ok(Json::Other(text)),
    }
}

/// Text of a field as `->>` would give it; `None` when absent or null.
fn json_text(field: Json<'_>) -> Option<String> {
    match field {
        Json::Absent | Json::Null => None,
        Json::Str(s) => Some(s),
        Json::Other(t) => Some(t.to_string()),
    }
}

fn json_required(map: &BTreeMap<String, &RawValue>, name: &'static str) -> Result<String, Reject> {
    json_text(json_field(map, name)?).ok_or(match name {
        "event_id" => "missing event_id",
        "order_id" => "missing order_id",
        "event_type" => "missing event_type",
        _ => "missing event_time",
    })
}

/// A JSON amount: a decimal string or a number whose literal is a decimal.
fn json_amount(field: Json<'_>, null_ok: bool) -> Result<Option<Decimal>, Reject> {
    match field {
        Json::Absent => Ok(None),
        Json::Null if null_ok => Ok(None),
        Json::Null => Err("null amount"),
        Json::Str(s) => decimal(&s, 2).map(Some),
        Json::Other(t) => decimal(t, 2).map(Some),
    }
}

/// Validates and types one `orders_events` line.
pub fn order_event(line: &[u8], pii: &Pii) -> Result<OrderEvent, Reject> {
    let text = std::str::from_utf8(line).map_err(|_| "not valid UTF-8")?;
    let map: BTreeMap<String, &RawValue> = serde_json::from_str(text).map_err(|_| {
        if serde_json::from_str::<serde_json::Value>(text).is_ok() {
            "not a JSON object"
        } else {
            "not valid JSON"
        }
    })?;
    let _event_id = json_required(&map, "event_id")?;
    let order_id = json_required(&map, "order_id")?;
    let event_type = json_required(&map, "event_type")?;
    let event_time = match json_field(&map, "event_time")? {
        Json::Absent | Json::Null => return Err("missing event_time"),
        Json::Str(s) => timestamp(&s)?,
        Json::Other(_) => return Err("not an RFC 3339 timestamp"),
    };
    let gross_amount = json_amount(json_field(&map, "gross_amount")?, false)?;
    let tax_amount = json_amount(json_field(&map, "tax_amount")?, false)?;
    let discount_amount = json_amount(json_field(&map, "discount_amount")?, true)?;
    let version = match json_field(&map, "version")? {
        Json::Absent => None,
        Json::Other(t) => Some(integer(t)?),
        Json::Null | Json::Str(_) => return Err("not an integer"),
    };
    let email = json_text(json_field(&map, "customer_email")?);
    Ok(OrderEvent {
        order_id,
        customer_id: json_text(json_field(&map, "customer_id")?),
        email_token: email.map(|e| pii.token(&e)),
        event_type,
        status: json_text(json_field(&map, "status")?),
        currency: json_text(json_field(&map, "currency")?),
        gross_amount,
        discount_amount,
        tax_amount,
        country: json_text(json_field(&map, "country")?).map(|c| c.to_uppercase()),
        channel: json_text(json_field(&map, "channel")?),
        event_time,
        version,
    })
}

/// Column positions of a CSV header.
pub struct Header {
    names: Vec<String>,
}

impl Header {
    pub fn new(fields: &[&str]) -> Self {
        Header {
            names: fields.iter().map(|f| f.to_string()).collect(),
        }
    }

    pub fn columns(&self) -> usize {
        self.names.len()
    }
}

/// One CSV row seen through its header.
struct Row<'a> {
    header: &'a Header,
    fields: &'a [&'a str],
}

impl<'a> Row<'a> {
    fn new(header: &'a Header, fields: &'a [&'a str]) -> Result<Self, Reject> {
        if fields.len() != header.columns() {
            return Err("wrong number of fields");
        }
        Ok(Row { header, fields })
    }

    /// The field, `None` when the column is missing or the field empty.
    fn get(&self, name: &str) -> Option<&'a str> {
        let i = self.header.names.iter().position(|n| n == name)?;
        let v = self.fields[i];
        (!v.is_empty()).then_some(v)
    }

    fn required(&self, name: &str, reason: Reject) -> Result<&'a str, Reject> {
        self.get(name).ok_or(reason)
    }

    fn text(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }
}

/// Validates and types one `payments_events` row.
pub fn payment(header: &Header, fields: &[&str]) -> Result<PaymentRow, Reject> {
    let row = Row::new(header, fields)?;
    Ok(PaymentRow {
        payment_id: row.required("payment_id", "missing payment_id")?.to_owned(),
        order_id: row.required("order_id", "missing order_id")?.to_owned(),
        event_time: timestamp(row.required("event_time", "missing event_time")?)?,
        status: row.text("status"),
        amount: row.get("amount").map(|a| decimal(a, 2)).transpose()?,
        currency: row.text("currency"),
        version: row.get("version").map(integer).transpose()?,
    })
}

/// Validates and types one `shipments_events` row.
pub fn shipment(header: &Header, fields: &[&str]) -> Result<ShipmentRow, Reject> {
    let row = Row::new(header, fields)?;
    Ok(ShipmentRow {
        shipment_id: row
            .required("shipment_id", "missing shipment_id")?
            .to_owned(),
        order_id: row.required("order_id", "missing order_id")?.to_owned(),
        event_time: timestamp(row.required("event_time", "missing event_time")?)?,
        milestone: row.required("milestone", "missing milestone")?.to_owned(),
        carrier: row.text("carrier"),
    })
}

/// Validates and types one `customers` row, standardising its tracked attributes.
pub fn customer(header: &Header, fields: &[&str], pii: &Pii) -> Result<CustomerRow, Reject> {
    let row = Row::new(header, fields)?;
    Ok(CustomerRow {
        customer_id: row
            .required("customer_id", "missing customer_id")?
            .to_owned(),
        updated_at: timestamp(row.required("updated_at", "missing updated_at")?)?,
        email_token: row.get("email").map(|e| pii.token(e)),
        country: row.get("country").map(|c| c.trim().to_uppercase()),
        segment: row.get("segment").map(|s| s.trim().to_owned()),
    })
}

/// Validates and types one `fx_rates` row.
pub fn fx(header: &Header, fields: &[&str]) -> Result<FxRow, Reject> {
    let row = Row::new(header, fields)?;
    Ok(FxRow {
        rate_date: date(row.required("rate_date", "missing rate_date")?)?,
        currency: row.required("currency", "missing currency")?.to_owned(),
        usd_rate: decimal(row.required("usd_rate", "missing usd_rate")?, 6)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_integers_dates() {
        assert!(is_decimal("120.50") && is_decimal("-0.5") && is_decimal("7"));
        for bad in [
            "", "-", "1.", ".5", "1e5", "1,50", " 1.00", "12.5.0", "+1", "n/a",
        ] {
            assert!(!is_decimal(bad), "{bad}");
        }
        assert_eq!(decimal("1.005", 2).unwrap().to_string(), "1.01");
        assert_eq!(decimal("-1.005", 2).unwrap().to_string(), "-1.01");
        assert_eq!(integer("-3"), Ok(-3));
        assert!(integer("2.0").is_err() && integer("v2").is_err() && integer("").is_err());
        assert!(date("2026-01-05").is_ok());
        assert!(date("2026/01/05").is_err() && date("2026-1-5").is_err());
        assert!(date("2026-02-30").is_err());
        assert!(timestamp("2026-01-01T09:15:00+05:45").is_ok());
        assert!(timestamp("2026-01-01T09:15:00").is_err());
        assert!(timestamp("2026-13-45T25:61:00Z").is_err());
    }

    #[test]
    fn order_event_rules() {
        let pii = Pii::new(b"k");
        let ok = |s: &str| order_event(s.as_bytes(), &pii);
        let base = r#""event_id":"e","order_id":"o","event_type":"order_created","event_time":"2026-01-01T00:30:00+01:00""#;
        let e = ok(&format!("{{{base},\"gross_amount\":12.5,\"version\":3}}")).unwrap();
        assert_eq!(e.gross_amount, Some(Decimal::new(1250, 2)));
        assert_eq!(e.version, Some(3));
        assert_eq!(e.event_time.to_string(), "2025-12-31 23:30:00");
        assert!(ok(&format!("{{{base},\"discount_amount\":null}}")).is_ok());
        for bad in [
            "oops bob@example.com {".to_string(),
            "[1,2]".to_string(),
            String::new(),
            format!("{{{base},\"gross_amount\":\"12,50\"}}"),
            format!("{{{base},\"gross_amount\":1.2e2}}"),
            format!("{{{base},\"gross_amount\":null}}"),
            format!("{{{base},\"discount_amount\":\"10%\"}}"),
            format!("{{{base},\"version\":\"2\"}}"),
            format!("{{{base},\"version\":2.0}}"),
            format!("{{{base},\"order_id\":null}}"),
            format!("{{{}}}", base.replace("\"order_id\":\"o\",", "")),
            format!("{{{}}}", base.replace("+01:00", "")),
        ] {
            assert!(ok(&bad).is_err(), "{bad}");
        }
    }
}
