//! Field access shared by the Microsoft log modules (Graph activity, Entra sign-in and audit,
//! M365 unified audit): the same record reaches us with camelCase (Graph API, diagnostic
//! settings), PascalCase (Log Analytics, Management Activity API) or lower-case keys (some
//! SIEM exports), and with nested objects either as JSON or as JSON text in a CSV/Sentinel cell.
//! These helpers read a field whatever the key's case and whatever the cell's encoding, so each
//! module lists a field's vendor names once.

use std::borrow::Cow;

use serde_json::Value;

use crate::windows::text;

/// A member of an object by name: the exact key first, then any key equal ignoring ASCII case.
/// `null` counts as absent.
pub(crate) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    let found = obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })?;
    (!found.is_null()).then_some(found)
}

/// The first of `keys` that holds a non-empty string, number or bool, as text.
pub(crate) fn first_text(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| text(get(v, k)).filter(|s| !s.trim().is_empty()))
}

/// The first of `keys` found on the first object of `objects` that has it (diagnostic-settings
/// records hold most fields under `properties`, a few only at the top).
pub(crate) fn text_in(objects: &[&Value], keys: &[&str]) -> Option<String> {
    objects.iter().find_map(|o| first_text(o, keys))
}

/// A nested value as JSON: itself, or parsed from a JSON-looking string (Log Analytics exports
/// write `InitiatedBy`, `DeviceDetail`, `Parameters` … as JSON text). Anything else unparsed.
pub(crate) fn json_cell(v: &Value) -> Cow<'_, Value> {
    if let Value::String(s) = v {
        let trimmed = s.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && let Ok(parsed) = serde_json::from_str::<Value>(trimmed)
        {
            return Cow::Owned(parsed);
        }
    }
    Cow::Borrowed(v)
}

/// `get` followed by `json_cell`.
pub(crate) fn get_json<'a>(v: &'a Value, key: &str) -> Option<Cow<'a, Value>> {
    get(v, key).map(json_cell)
}

/// A boolean written as JSON `true`/`false` or as the text `True`/`false`.
pub(crate) fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// `Some(obj)` when `v` is an object with at least one non-empty text or number member (Graph
/// writes `"app": null`, or an object of nulls and empty lists, for the initiator kind that did
/// not act).
pub(crate) fn present(v: Option<&Value>) -> Option<&Value> {
    let obj = v?.as_object()?;
    obj.values()
        .any(|m| match m {
            Value::String(s) => !s.trim().is_empty(),
            Value::Number(_) => true,
            _ => false,
        })
        .then_some(v?)
}

/// The record's category or table name (`category`, Log Analytics `Type`), if one of `names`.
pub(crate) fn kind_is(v: &Value, keys: &[&str], names: &[&str]) -> bool {
    keys.iter().any(|k| {
        get(v, k)
            .and_then(Value::as_str)
            .is_some_and(|s| names.iter().any(|n| s.eq_ignore_ascii_case(n)))
    })
}

/// A client address without port or brackets: `[2001:db8::1]:443` → `2001:db8::1`,
/// `203.0.113.5:10736` → `203.0.113.5`; a bare IPv6 address is left as it is.
pub(crate) fn strip_port(ip: &str) -> &str {
    let ip = ip.trim();
    if let Some(rest) = ip.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match ip.split_once(':') {
        Some((host, port))
            if !port.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            host
        }
        _ => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_match_ignoring_case_and_cells_parse() {
        let v = json!({"ClientIP": "1.2.3.4", "userid": "a", "n": null,
            "InitiatedBy": "{\"user\":{\"id\":\"x\"}}", "Text": "{not json"});
        assert_eq!(get(&v, "clientIp"), Some(&json!("1.2.3.4")));
        assert_eq!(first_text(&v, &["UserId"]), Some("a".to_owned()));
        assert_eq!(get(&v, "n"), None);
        assert_eq!(get_json(&v, "initiatedBy").unwrap()["user"]["id"], "x");
        assert_eq!(*get_json(&v, "Text").unwrap(), json!("{not json"));
        assert_eq!(present(Some(&json!({"a": null}))), None);
        assert_eq!(
            present(Some(&json!({"id": null, "roles": [], "ip": ""}))),
            None
        );
        assert!(present(Some(&json!({"id": "x"}))).is_some());
    }

    #[test]
    fn ports_and_brackets_are_stripped() {
        assert_eq!(strip_port("203.0.113.5:10736"), "203.0.113.5");
        assert_eq!(strip_port("[2001:db8::1]:443"), "2001:db8::1");
        assert_eq!(strip_port("2001:db8::1"), "2001:db8::1");
        assert_eq!(strip_port("203.0.113.5"), "203.0.113.5");
        assert_eq!(strip_port("[broken"), "broken");
        assert_eq!(strip_port("host:"), "host:");
    }
}
