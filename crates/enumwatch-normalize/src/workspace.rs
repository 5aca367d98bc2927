//! Google Workspace Reports API activities (`admin#reports#activity`): one event per element of
//! the activity's `events[]`, each with the activity's actor, address and customer. The OAuth
//! token audit log (`applicationName` `token`) is the only trail of Admin SDK Directory reads
//! (`directory.users.list`), so its `method_name`, `api_name`, client and response size are
//! mapped to the API fields. Also read: a whole `activities.list` page (`items[]`) and the
//! flattened one-event-per-record shape Panther stores (`name`, `type`, `parameters` as a map).

use std::sync::Arc;

use enumwatch_event::{Event, Fields, Location, LogSource, field};
use serde_json::Value;

use crate::windows::text;
use crate::{Disposition, text_at, time};

const ACTIVITY_KIND: &str = "admin#reports#activity";
const PAGE_KIND: &str = "admin#reports#activities";

fn is_page(raw: &Value) -> bool {
    raw.get("kind").and_then(Value::as_str) == Some(PAGE_KIND)
        && raw.get("items").is_some_and(Value::is_array)
}

fn is_single(v: &Value) -> bool {
    let app = v
        .get("id")
        .and_then(|id| id.get("applicationName"))
        .is_some_and(Value::is_string);
    app && (v.get("kind").and_then(Value::as_str) == Some(ACTIVITY_KIND)
        || v.get("events").is_some_and(Value::is_array)
        || v.get("name").is_some_and(Value::is_string)
        || v.get("type").is_some_and(Value::is_string))
}

/// One activity (`id.applicationName` plus the activity kind, `events[]`, or a flattened event
/// name), or an `activities.list` page.
pub(crate) fn is_activity(raw: &Value) -> bool {
    is_page(raw) || is_single(raw)
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>, out: &mut Vec<Event>) -> Disposition {
    let before = out.len();
    if is_page(&raw) {
        for item in raw
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            activity(item, &location, &raw, out);
        }
    } else {
        activity(&raw, &location, &raw, out);
    }
    Disposition::Emitted(out.len() - before)
}

/// The events of one activity; an activity without `events[]` is its own (flattened) event.
fn activity(act: &Value, location: &Location, raw: &Arc<Value>, out: &mut Vec<Event>) {
    let app = text_at(act, &["id", "applicationName"]);
    let mut common = Event::new(
        LogSource::WorkspaceActivity,
        location.clone(),
        Arc::clone(raw),
    );
    common.time = text_at(act, &["id", "time"])
        .as_deref()
        .and_then(time::parse);
    let f = &mut common.fields;
    f.insert_opt(
        field::ACTOR,
        text_at(act, &["actor", "email"]).or_else(|| text_at(act, &["actor", "profileId"])),
    );
    f.insert_opt(field::ACTOR_ID, text_at(act, &["actor", "profileId"]));
    f.insert_opt(field::ACTOR_TYPE, text_at(act, &["actor", "callerType"]));
    f.insert_opt(field::SOURCE_IP, text_at(act, &["ipAddress"]));
    f.insert_opt(field::TENANT, text_at(act, &["id", "customerId"]));
    f.insert_opt(field::COUNTRY, text_at(act, &["networkInfo", "regionCode"]));
    f.insert_opt(field::SERVICE, app.clone());
    match act.get("events").and_then(Value::as_array) {
        Some(events) if !events.is_empty() => {
            for ev in events {
                let mut event = common.clone();
                map_event(&mut event.fields, app.as_deref(), ev);
                out.push(event);
            }
        }
        _ => {
            map_event(&mut common.fields, app.as_deref(), act);
            out.push(common);
        }
    }
}

fn map_event(f: &mut Fields, app: Option<&str>, ev: &Value) {
    let name = text_at(ev, &["name"]);
    if app == Some("token") {
        f.insert_opt(field::APP_ID, param(ev, "client_id"));
        f.insert_opt(field::APP_NAME, param(ev, "app_name"));
        f.insert_opt(field::SCOPES, param(ev, "scope"));
        if let Some(method) = param(ev, "method_name") {
            let api = param(ev, "api_name");
            let (category, listing) = classify(api.as_deref(), &method);
            f.insert_opt(field::API_CATEGORY, category);
            f.insert(field::API_LISTING, listing);
            f.insert_opt(field::SERVICE, api);
            let size = param(ev, "num_response_bytes");
            match size.as_deref().map(str::parse::<u64>) {
                Some(Ok(n)) => f.insert(field::RESPONSE_SIZE, n),
                _ => f.insert_opt(field::RESPONSE_SIZE, size),
            }
            f.insert(field::ACTION, method);
            return;
        }
    }
    f.insert_opt(field::ACTION, name);
}

/// A parameter by name: the API's list of `{name, value|intValue|boolValue|multiValue}` or the
/// flattened map `{name: value}`. Lists are joined with spaces.
fn param(ev: &Value, name: &str) -> Option<String> {
    let value = match ev.get("parameters")? {
        Value::Array(items) => {
            let p = items
                .iter()
                .find(|p| p.get("name").and_then(Value::as_str) == Some(name))?;
            [
                "value",
                "intValue",
                "boolValue",
                "multiValue",
                "multiIntValue",
            ]
            .iter()
            .find_map(|k| p.get(*k))?
        }
        Value::Object(map) => map.get(name)?,
        _ => return None,
    };
    let s = match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| text(Some(v)))
            .collect::<Vec<_>>()
            .join(" "),
        other => text(Some(other))?,
    };
    (!s.is_empty()).then_some(s)
}

/// Directory-object category and listing flag of an Admin SDK method (`directory.users.list`);
/// other APIs' methods (`gmail.users.messages.list`) get no category.
fn classify(api: Option<&str>, method: &str) -> (Option<&'static str>, bool) {
    let lower = method.to_ascii_lowercase();
    let directory = match lower.strip_prefix("directory.") {
        Some(rest) => Some(rest),
        None if matches!(api, Some("admin" | "directory")) => Some(lower.as_str()),
        None => None,
    };
    let resource = directory.and_then(|rest| rest.split('.').next());
    let category = match resource.unwrap_or_default() {
        "users" => Some("users"),
        "groups" | "members" => Some("groups"),
        "roleassignments" | "roles" | "privileges" => Some("roles"),
        "domains" | "domainaliases" | "customers" | "orgunits" => Some("organization"),
        "mobiledevices" | "chromeosdevices" => Some("devices"),
        _ => None,
    };
    (category, lower.ends_with(".list"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_methods() {
        let admin = Some("admin");
        assert_eq!(
            classify(admin, "directory.users.list"),
            (Some("users"), true)
        );
        assert_eq!(
            classify(None, "directory.users.get"),
            (Some("users"), false)
        );
        assert_eq!(
            classify(admin, "directory.members.list"),
            (Some("groups"), true)
        );
        assert_eq!(
            classify(admin, "directory.roleAssignments.list"),
            (Some("roles"), true)
        );
        assert_eq!(
            classify(admin, "directory.customers.get"),
            (Some("organization"), false)
        );
        assert_eq!(classify(admin, "groups.list"), (Some("groups"), true));
        assert_eq!(classify(Some("gmail"), "users.messages.list"), (None, true));
        assert_eq!(
            classify(Some("gmail"), "gmail.users.messages.list"),
            (None, true)
        );
        assert_eq!(classify(None, ""), (None, false));
    }
}
