//! One JSON Lines record as written: its fields in order, each value kept
//! as its unparsed text.
//!
//! A record has a handful of fields and landing reads a few of them (required
//! keys, PII fields), so the fields are a list searched in order: no hashing,
//! and no allocation for a key that the input wrote without escapes (nearly
//! all of them), which a map of owned keys paid on every field of every line.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

#[derive(Debug)]
pub struct Record<'a> {
    fields: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// The positions in `fields` of the keys the input wrote more than once.
    repeated: Vec<usize>,
}

impl<'a> Record<'a> {
    /// The value of `name`, as written.
    pub fn get(&self, name: &str) -> Option<&'a RawValue> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// Whether the input wrote `name` more than once (the record keeps the
    /// last value; the line as read still holds the others).
    pub fn repeats(&self, name: &str) -> bool {
        self.repeated.iter().any(|&i| self.fields[i].0 == name)
    }

    /// Replaces the value of `name`, in its place; `false` when absent.
    pub fn set(&mut self, name: &str, value: &'a RawValue) -> bool {
        match self.fields.iter_mut().find(|(k, _)| k == name) {
            Some((_, v)) => {
                *v = value;
                true
            }
            None => false,
        }
    }

    /// The record as one JSON object, values as written.
    pub fn write_to(&self, buf: &mut String) {
        buf.push('{');
        for (i, (k, v)) in self.fields.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            match k {
                // Borrowed means the input wrote the key without escapes,
                // and a JSON string without escapes holds no character that
                // needs one: it is written as it was read.
                Cow::Borrowed(k) => {
                    buf.push('"');
                    buf.push_str(k);
                    buf.push('"');
                }
                Cow::Owned(k) => {
                    buf.push_str(&serde_json::to_string(k).expect("a string serializes"))
                }
            }
            buf.push(':');
            buf.push_str(v.get());
        }
        buf.push('}');
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Record<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecordVisitor(std::marker::PhantomData))
    }
}

struct RecordVisitor<'a>(std::marker::PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for RecordVisitor<'a> {
    type Value = Record<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Record<'a>, A::Error> {
        let mut fields: Vec<(Cow<'a, str>, &'a RawValue)> = Vec::with_capacity(16);
        let mut repeated = Vec::new();
        while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
            let v: &'de RawValue = map.next_value()?;
            // A key written twice keeps its first place and its last value,
            // as a JSON reader that keeps the order of an object does.
            match fields.iter().position(|(x, _)| *x == k) {
                Some(i) => {
                    fields[i].1 = v;
                    if !repeated.contains(&i) {
                        repeated.push(i);
                    }
                }
                None => fields.push((k, v)),
            }
        }
        Ok(Record { fields, repeated })
    }
}

struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for KeyVisitor<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'a>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(KeyVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let r: Record = serde_json::from_str(text).unwrap();
        let mut buf = String::new();
        r.write_to(&mut buf);
        buf
    }

    #[test]
    fn writes_fields_in_order_with_values_as_written() {
        assert_eq!(
            written(r#"{ "b" : 1.50 , "a": {"x": [1, 2]}, "c": "\u00e9"}"#),
            r#"{"b":1.50,"a":{"x": [1, 2]},"c":"\u00e9"}"#
        );
    }

    #[test]
    fn a_key_written_with_escapes_is_written_escaped() {
        // The same text serde_json gives for the decoded key.
        assert_eq!(
            written(r#"{"a\"b": 1, "t\u0061b\t": 2, "\u00e9": 3}"#),
            r#"{"a\"b":1,"tab\t":2,"é":3}"#
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_first_place_and_last_value() {
        let r: Record = serde_json::from_str(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap();
        assert_eq!(r.get("a").unwrap().get(), "3");
        assert!(r.repeats("a") && !r.repeats("b") && !r.repeats("c"));
        let mut buf = String::new();
        r.write_to(&mut buf);
        assert_eq!(buf, r#"{"a":3,"b":2}"#);
    }

    #[test]
    fn set_replaces_in_place_and_only_present_fields() {
        let mut r: Record = serde_json::from_str(r#"{"email": "x@y.z", "n": 1}"#).unwrap();
        let token = RawValue::from_string("\"t0k\"".into()).unwrap();
        assert!(r.set("email", &token));
        assert!(!r.set("missing", &token));
        let mut buf = String::new();
        r.write_to(&mut buf);
        assert_eq!(buf, r#"{"email":"t0k","n":1}"#);
    }

    #[test]
    fn anything_but_an_object_is_not_a_record() {
        for t in ["[1, 2]", "\"a\"", "3", "null", "{\"a\": }", "{\"a\": 1"] {
            assert!(serde_json::from_str::<Record>(t).is_err(), "{t}");
        }
    }
}
