//! Okta System Log events (`/api/v1/logs` array items, Log Streaming objects, and the events of
//! an Event Hook delivery): actor, client, session, outcome and target; the request URI of
//! `debugContext.debugData` is classified so that `/api/v1/users` and SCIM `/Users` listings read
//! as directory listings. Top-level keys are also read in the lower-case spelling data lakes
//! give them (`eventtype`, `debugcontext`).

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::{Disposition, at, member, text_at, time};

const HOOK_EVENT_TYPE: &str = "com.okta.event_hook";

fn is_hook(raw: &Value) -> bool {
    raw.get("eventType").and_then(Value::as_str) == Some(HOOK_EVENT_TYPE)
        && raw
            .get("data")
            .and_then(|d| d.get("events"))
            .is_some_and(Value::is_array)
}

/// One System Log event: an `eventType` text with a key only the System Log has, or with both
/// an `actor` and a `client` object (partial events keep one or the other).
fn is_event(v: &Value) -> bool {
    let own_key = [
        "published",
        "uuid",
        "legacyEventType",
        "displayMessage",
        "debugContext",
        "authenticationContext",
        "securityContext",
    ]
    .iter()
    .any(|k| member(v, k).is_some());
    member(v, "eventType").is_some_and(Value::is_string)
        && (own_key
            || (member(v, "actor").is_some_and(Value::is_object)
                && member(v, "client").is_some_and(Value::is_object)))
}

pub(crate) fn is_okta(raw: &Value) -> bool {
    is_hook(raw) || is_event(raw)
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>, out: &mut Vec<Event>) -> Disposition {
    if !is_hook(&raw) {
        out.push(event(&raw, location, Arc::clone(&raw)));
        return Disposition::Emitted(1);
    }
    let events = raw
        .get("data")
        .and_then(|d| d.get("events"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if events.is_empty() {
        return Disposition::Ignored {
            source: LogSource::OktaSystemLog,
            reason: "event hook delivery without events",
        };
    }
    for item in events {
        out.push(event(item, location.clone(), Arc::clone(&raw)));
    }
    Disposition::Emitted(events.len())
}

fn event(v: &Value, location: Location, raw: Arc<Value>) -> Event {
    let mut event = Event::new(LogSource::OktaSystemLog, location, raw);
    event.time = text_at(v, &["published"]).as_deref().and_then(time::parse);
    let f = &mut event.fields;
    f.insert_opt(
        field::ACTOR,
        text_at(v, &["actor", "alternateId"]).or_else(|| text_at(v, &["actor", "displayName"])),
    );
    f.insert_opt(field::ACTOR_ID, text_at(v, &["actor", "id"]));
    let actor_type = text_at(v, &["actor", "type"]);
    f.insert_opt(field::SOURCE_IP, text_at(v, &["client", "ipAddress"]));
    f.insert_opt(
        field::USER_AGENT,
        text_at(v, &["client", "userAgent", "rawUserAgent"]),
    );
    f.insert_opt(
        field::COUNTRY,
        text_at(v, &["client", "geographicalContext", "country"]),
    );
    f.insert_opt(
        field::SESSION_ID,
        text_at(v, &["authenticationContext", "externalSessionId"]),
    );
    f.insert_opt(field::ACTION, text_at(v, &["eventType"]));
    f.insert(field::SERVICE, "okta");
    // `SUCCESS`/`ALLOW` and `FAILURE`/`DENY` read as the contract's `success`/`failure`; the
    // other results (`CHALLENGE`, `SKIPPED`, `UNKNOWN`) stay, lower-cased.
    f.insert_opt(
        field::OUTCOME,
        text_at(v, &["outcome", "result"]).map(|r| match r.to_ascii_lowercase().as_str() {
            "success" | "allow" => "success".to_owned(),
            "failure" | "deny" => "failure".to_owned(),
            other => other.to_owned(),
        }),
    );
    let first_target = at(v, &["target"])
        .and_then(Value::as_array)
        .and_then(|t| t.first());
    if let Some(target) = first_target {
        f.insert_opt(
            field::TARGET,
            text_at(target, &["alternateId"])
                .or_else(|| text_at(target, &["displayName"]))
                .or_else(|| text_at(target, &["id"])),
        );
    }
    // An OAuth client calling Okta is the actor itself (`PublicClientApp`) or named in `client.id`.
    let app_actor = actor_type
        .as_deref()
        .is_some_and(|t| t.ends_with("App") || t.ends_with("Client") || t == "AppInstance");
    let app_id = text_at(v, &["client", "id"])
        .or_else(|| app_actor.then(|| text_at(v, &["actor", "id"])).flatten());
    f.insert_opt(field::APP_ID, app_id);
    if app_actor {
        f.insert_opt(field::APP_NAME, text_at(v, &["actor", "displayName"]));
    }
    f.insert_opt(field::ACTOR_TYPE, actor_type);
    f.insert_opt(
        field::SCOPES,
        text_at(v, &["debugContext", "debugData", "grantedScopes"]),
    );
    let uri = text_at(v, &["debugContext", "debugData", "requestUri"])
        .or_else(|| text_at(v, &["debugContext", "debugData", "url"]));
    if let Some(uri) = &uri
        && let Some((category, listing)) = classify(uri)
    {
        f.insert(field::API_CATEGORY, category);
        f.insert(field::API_LISTING, listing);
    }
    f.insert_opt(field::URL, uri);
    event
}

/// Directory category and listing flag of an Okta management or SCIM request path:
/// `/api/v1/users` lists users, `/api/v1/users/{id}` reads one, `/api/v1/groups/{id}/users`
/// lists a group's members, `/scim/v2/Users` lists SCIM users.
fn classify(uri: &str) -> Option<(&'static str, bool)> {
    let path = uri.split(['?', '#']).next().unwrap_or(uri);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let base = segments.windows(2).position(|w| {
        matches!(
            (
                w.first().map(|s| s.to_ascii_lowercase()).as_deref(),
                w.get(1).map(|s| s.to_ascii_lowercase()).as_deref()
            ),
            (Some("api"), Some("v1")) | (Some("scim"), Some("v2" | "v1"))
        )
    })?;
    let rest = segments.get(base + 2..).unwrap_or_default();
    let category = |s: &str| match s.to_ascii_lowercase().as_str() {
        "users" => Some("users"),
        "groups" => Some("groups"),
        "apps" => Some("applications"),
        "roles" => Some("roles"),
        "devices" => Some("devices"),
        _ => None,
    };
    match rest {
        [collection] => Some((category(collection)?, true)),
        [_, _, sub] if category(sub).is_some() => Some((category(sub)?, true)),
        [collection, ..] => Some((category(collection)?, false)),
        [] => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths() {
        assert_eq!(classify("/api/v1/users"), Some(("users", true)));
        assert_eq!(classify("/api/v1/users?limit=200"), Some(("users", true)));
        assert_eq!(classify("/api/v1/users/00u1"), Some(("users", false)));
        assert_eq!(
            classify("/api/v1/users/00u1/groups"),
            Some(("groups", true))
        );
        assert_eq!(
            classify("/api/v1/users/00u1/lifecycle/reset_factors"),
            Some(("users", false))
        );
        assert_eq!(classify("/api/v1/groups/00g1/users"), Some(("users", true)));
        assert_eq!(classify("/api/v1/apps"), Some(("applications", true)));
        assert_eq!(classify("/scim/v2/Users?count=100"), Some(("users", true)));
        assert_eq!(classify("/scim/v2/Groups/abc"), Some(("groups", false)));
        assert_eq!(classify("/api/v1/logs"), None);
        assert_eq!(classify("/idp/idx/identify"), None);
        assert_eq!(classify("/api/v1"), None);
        assert_eq!(classify(""), None);
    }
}
