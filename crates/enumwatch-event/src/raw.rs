//! The vendor-shaped record a decoder hands to the normalizers.
//!
//! Every container format (JSON, JSON lines, CSV, EVTX, auditd groups) is decoded into a JSON
//! value, so normalizers have one shape to inspect and Sigma rules can reach any vendor field by
//! its dotted path. CSV rows become objects keyed by header; EVTX records are the evtx crate's JSON
//! rendering (`{"Event": {"System": …, "EventData": …}}`); an auditd event becomes
//! `{"auditd": {"time": "…", "serial": "…", "records": [{"type": "EXECVE", "a0": "…"}, …]}}`
//! with field values exactly as written (quotes kept, hex not decoded).

use serde_json::Value;

use crate::Location;

/// One decoded record and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRecord {
    pub location: Location,
    pub body: Value,
}

/// A test on a record's raw text, asked before the record is parsed: a record it rejects cannot
/// match any selected rule, so decoders skip it (and count it) instead of parsing it.
pub trait RecordPrefilter: Send + Sync + std::fmt::Debug {
    /// Whether `text` (one JSON line or one JSON array element, as read) may match.
    fn admits(&self, text: &[u8]) -> bool;
}

/// Look up a dotted path (`userIdentity.arn`, `Event.System.EventID`) in a JSON value.
///
/// A path segment that names an array index (`records.0`) indexes arrays. Keys that themselves
/// contain dots are found when the whole remaining path matches a key, so flat exports such as
/// `{"userIdentity.arn": …}` resolve too.
pub fn lookup_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    if let Value::Object(map) = value
        && let Some(v) = map.get(path)
    {
        return Some(v);
    }
    let mut current = value;
    let mut rest = path;
    while !rest.is_empty() {
        let (head, tail) = match rest.find('.') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        current = match current {
            Value::Object(map) => {
                if let Some(v) = map.get(rest) {
                    return Some(v);
                }
                map.get(head)?
            }
            Value::Array(items) => items.get(head.parse::<usize>().ok()?)?,
            _ => return None,
        };
        rest = tail;
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_reach_nested_flat_and_indexed_fields() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}, "d.e": 1, "f": {"g.h": 2}});
        assert_eq!(lookup_path(&v, "a.b.1.c"), Some(&json!("x")));
        assert_eq!(lookup_path(&v, "d.e"), Some(&json!(1)));
        assert_eq!(lookup_path(&v, "f.g.h"), Some(&json!(2)));
        assert_eq!(lookup_path(&v, "a.z"), None);
        assert_eq!(lookup_path(&v, "a.b.9"), None);
    }
}
