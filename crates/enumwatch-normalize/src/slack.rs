//! Slack Audit Logs API entries (`GET /audit/v1/logs` `entries[]`, which the decoder expands):
//! actor, client context, action and the entity acted on. `date_create` is epoch seconds in the
//! API and a date-time text in some exports; both are read.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::{text_at, time};

/// An audit entry: an `action` text, an `actor` with a `type`, and a `context` object.
pub(crate) fn is_entry(raw: &Value) -> bool {
    raw.get("action").is_some_and(Value::is_string)
        && raw
            .get("actor")
            .and_then(|a| a.get("type"))
            .is_some_and(Value::is_string)
        && raw.get("context").is_some_and(Value::is_object)
}

/// Entity kinds an entry may carry, each under a key of its own name.
const ENTITY_KINDS: [&str; 9] = [
    "user",
    "channel",
    "file",
    "app",
    "workflow",
    "workspace",
    "enterprise",
    "message",
    "usergroup",
];

pub(crate) fn normalize(location: Location, raw: Arc<Value>) -> Event {
    let mut event = Event::new(LogSource::SlackAudit, location, Arc::clone(&raw));
    let v = raw.as_ref();
    event.time = text_at(v, &["date_create"])
        .as_deref()
        .and_then(time::parse);
    let f = &mut event.fields;
    f.insert_opt(
        field::ACTOR,
        text_at(v, &["actor", "user", "email"]).or_else(|| text_at(v, &["actor", "user", "name"])),
    );
    f.insert_opt(field::ACTOR_ID, text_at(v, &["actor", "user", "id"]));
    f.insert_opt(field::ACTOR_TYPE, text_at(v, &["actor", "type"]));
    f.insert_opt(field::SOURCE_IP, text_at(v, &["context", "ip_address"]));
    f.insert_opt(field::USER_AGENT, text_at(v, &["context", "ua"]));
    f.insert_opt(field::SESSION_ID, text_at(v, &["context", "session_id"]));
    f.insert_opt(field::ACTION, text_at(v, &["action"]));
    f.insert(field::SERVICE, "slack");
    f.insert_opt(field::TENANT, text_at(v, &["context", "location", "id"]));

    let kind = text_at(v, &["entity", "type"]);
    let entity = kind
        .as_deref()
        .filter(|k| ENTITY_KINDS.contains(k))
        .and_then(|k| v.get("entity").and_then(|e| e.get(k)));
    if let Some(entity) = entity {
        f.insert_opt(
            field::TARGET,
            text_at(entity, &["email"])
                .or_else(|| text_at(entity, &["name"]))
                .or_else(|| text_at(entity, &["id"])),
        );
    }
    let app = v
        .get("entity")
        .and_then(|e| e.get("app"))
        .or_else(|| v.get("details").and_then(|d| d.get("app")));
    if let Some(app) = app {
        f.insert_opt(field::APP_ID, text_at(app, &["id"]));
        f.insert_opt(field::APP_NAME, text_at(app, &["name"]));
    }
    // Scopes an app was installed with, or was expanded to.
    let scopes = app
        .and_then(|a| a.get("scopes"))
        .or_else(|| v.get("details").and_then(|d| d.get("new_scopes")))
        .and_then(Value::as_array);
    if let Some(scopes) = scopes {
        let list: Vec<&str> = scopes.iter().filter_map(Value::as_str).collect();
        f.insert(field::SCOPES, list.join(" "));
    }
    event
}
