//! Building a `serde_json::Value` from a parse, with each object sized once.
//!
//! serde_json's own visitor grows each object's `IndexMap` insert by insert, rehashing at every
//! doubling (a CloudTrail record's top object holds about twenty members). Here the members of
//! an object are gathered in a buffer reused across objects and records, and the map is built
//! with its final size. What is built is exactly what serde_json builds: the same values, a
//! repeated key keeping its first place and its last value.

use std::cell::RefCell;
use std::fmt;

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A parsed value, built as described above.
pub(crate) struct Built(pub(crate) Value);

impl<'de> Deserialize<'de> for Built {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Built, D::Error> {
        deserializer.deserialize_any(Build).map(Built)
    }
}

thread_local! {
    /// Member buffers, one per nesting level being built.
    static MEMBERS: RefCell<Vec<Vec<(String, Value)>>> = const { RefCell::new(Vec::new()) };
}

#[derive(Clone, Copy)]
struct Build;

impl<'de> DeserializeSeed<'de> for Build {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(Build)
    }
}

impl<'de> Visitor<'de> for Build {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(Build)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(Build)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = MEMBERS
            .with(|cell| cell.borrow_mut().pop())
            .unwrap_or_default();
        let gathered = (|| {
            while let Some(key) = map.next_key::<String>()? {
                let value = map.next_value_seed(Build)?;
                members.push((key, value));
            }
            Ok(())
        })();
        // `Map`'s `FromIterator` sizes the map from the exact length, then inserts in order.
        let object: Map<String, Value> = members.drain(..).collect();
        // A buffer grown by a huge object is not kept.
        if members.capacity() <= 1024 {
            MEMBERS.with(|cell| cell.borrow_mut().push(members));
        }
        gathered.map(|()| Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::Built;

    fn arb_json() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::to_string(&f).unwrap()),
            Just("1e400".to_owned()),
            Just("-0.0".to_owned()),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just(r#""a\"\\\/\n\u00e9\ud83d\ude00""#.to_owned()),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                // Keys from a small set, so that objects repeat keys.
                prop::collection::vec(
                    (
                        prop::sample::select(vec!["a", "b", "eventName", "é", ""]),
                        inner
                    ),
                    0..6
                )
                .prop_map(|m| {
                    let members: Vec<String> = m
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap()))
                        .collect();
                    format!("{{{}}}", members.join(","))
                }),
            ]
        })
    }

    proptest! {
        /// The same value as serde_json's own visitor builds, member order included (a repeated
        /// key keeps its first place and its last value), and the same verdict on broken text.
        #[test]
        fn builds_what_serde_json_builds(text in arb_json(), cut in any::<prop::sample::Index>()) {
            let ours = sonic_rs::from_slice::<Built>(text.as_bytes()).map(|b| b.0);
            let theirs = sonic_rs::from_slice::<Value>(text.as_bytes());
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => {
                    prop_assert_eq!(serde_json::to_string(a).unwrap(), serde_json::to_string(b).unwrap());
                }
                (Err(_), Err(_)) => {}
                _ => prop_assert!(false, "{:?} against {:?} on {}", ours.is_ok(), theirs.is_ok(), text),
            }
            let cut_text = text.get(..cut.index(text.len() + 1)).unwrap_or(&text);
            prop_assert_eq!(
                sonic_rs::from_slice::<Built>(cut_text.as_bytes()).is_ok(),
                sonic_rs::from_slice::<Value>(cut_text.as_bytes()).is_ok()
            );
        }
    }
}
