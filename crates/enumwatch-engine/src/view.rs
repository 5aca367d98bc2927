//! How a Sigma rule sees an `Event`: a normalized field by name first, else the raw vendor record
//! by dotted path; keywords search every string of both.

use std::borrow::Cow;

use enumwatch_event::Event;
use rsigma_eval::EventValue;
use serde_json::Value;

pub(crate) struct SigmaView<'a>(pub(crate) &'a Event);

fn visit_strings<'a>(value: &'a Value, visit: &mut dyn FnMut(&'a str), depth: usize) {
    if depth > 64 {
        return;
    }
    match value {
        Value::String(s) => visit(s),
        Value::Array(items) => items
            .iter()
            .for_each(|v| visit_strings(v, visit, depth + 1)),
        Value::Object(map) => map
            .values()
            .for_each(|v| visit_strings(v, visit, depth + 1)),
        _ => {}
    }
}

impl rsigma_eval::Event for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        self.0.get(path).map(EventValue::from)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut found = false;
        let mut visit = |s: &str| found = found || pred(s);
        for (_, v) in self.0.fields.iter() {
            visit_strings(v, &mut visit, 0);
        }
        visit_strings(&self.0.raw, &mut visit, 0);
        found
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        let mut visit = |s: &str| out.push(Cow::Owned(s.to_owned()));
        for (_, v) in self.0.fields.iter() {
            visit_strings(v, &mut visit, 0);
        }
        visit_strings(&self.0.raw, &mut visit, 0);
        out
    }

    fn to_json(&self) -> Value {
        let mut merged = match self.0.raw.as_ref() {
            Value::Object(map) => map.clone(),
            other => {
                let mut map = serde_json::Map::new();
                map.insert("raw".to_owned(), other.clone());
                map
            }
        };
        for (k, v) in self.0.fields.iter() {
            merged.insert(k.to_owned(), v.clone());
        }
        Value::Object(merged)
    }
}
