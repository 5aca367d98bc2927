//! Entra ID audit logs (`AuditLogs` / Graph `directoryAudits`) in the shapes users export: Graph
//! API objects (`activityDateTime`, `activityDisplayName`, `initiatedBy`, `targetResources`,
//! `additionalDetails`), diagnostic-settings records (the same fields under `properties`) and
//! Log Analytics rows as JSON or CSV (`TimeGenerated`, `OperationName`, `InitiatedBy`,
//! `TargetResources`, `AdditionalDetails` — the nested columns often as JSON text), and the
//! admin center's CSV download (`entra_audit_csv`).
//!
//! Entra does not audit directory reads, with one exception that matters for account
//! enumeration: the portal's bulk downloads (`Download users - finished (bulk)`, `… groups`,
//! `… group members`, `… service principals`, `… role assignments`, `… devices`,
//! `… user registration details`, `Export … (bulk)`), which get `api.listing = true` and an
//! `api.category`.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::microsoft::{first_text, get, get_json, kind_is, present, text_in};
use crate::time;

const ACTIVITY: &[&str] = &["activityDisplayName", "operationName"];

pub(crate) struct AuditRecord<'a> {
    fields: &'a Value,
    top: &'a Value,
    /// A row of the Entra admin center's CSV download (`entra_audit_csv`).
    portal: bool,
}

fn is_audit_object(v: &Value) -> bool {
    get(v, "activityDisplayName").is_some()
        && (get(v, "initiatedBy").is_some()
            || get(v, "loggedByService").is_some()
            || get(v, "activityDateTime").is_some())
}

pub(crate) fn record_of(raw: &Value) -> Option<AuditRecord<'_>> {
    raw.as_object()?;
    if crate::entra_audit_csv::is_row(raw) {
        return Some(AuditRecord {
            fields: raw,
            top: raw,
            portal: true,
        });
    }
    if let Some(props) = get(raw, "properties").filter(|p| {
        // Diagnostic settings write `category: AuditLogs`; some exports put the audit category
        // (`UserManagement`, `Policy`) there instead, so the properties' shape decides.
        is_audit_object(p)
            || (kind_is(raw, &["category"], &["AuditLogs"])
                && (get(p, "initiatedBy").is_some() || get(p, "activityDateTime").is_some()))
    }) {
        return Some(AuditRecord {
            fields: props,
            top: raw,
            portal: false,
        });
    }
    let row = kind_is(raw, &["Type"], &["AuditLogs"])
        || is_audit_object(raw)
        || (get(raw, "operationName").is_some()
            && get(raw, "initiatedBy").is_some()
            && (get(raw, "loggedByService").is_some() || get(raw, "targetResources").is_some()));
    row.then_some(AuditRecord {
        fields: raw,
        top: raw,
        portal: false,
    })
}

/// `api.category` of a bulk download or export activity, `Some(None)` for one of unknown kind,
/// `None` when the activity is not a bulk download.
pub(crate) fn bulk_category(activity: &str) -> Option<Option<&'static str>> {
    let lower = activity.to_ascii_lowercase();
    let what = lower
        .strip_prefix("download ")
        .or_else(|| lower.strip_prefix("export "))?;
    if !what.trim_end().ends_with("(bulk)") {
        return None;
    }
    let what = what.split(" - ").next().unwrap_or(what).trim();
    Some(match what {
        "users" | "user registration details" => Some("users"),
        "groups" | "group members" => Some("groups"),
        "service principals" => Some("service_principals"),
        "role assignments" => Some("roles"),
        "devices" => Some("devices"),
        "applications" => Some("applications"),
        _ => None,
    })
}

pub(crate) fn normalize(rec: AuditRecord<'_>, location: Location, raw: Arc<Value>) -> Event {
    if rec.portal {
        return crate::entra_audit_csv::normalize(location, raw);
    }
    let both = [rec.fields, rec.top];
    let get_text = |keys: &[&str]| text_in(&both, keys);
    let mut event = Event::new(LogSource::EntraAudit, location, Arc::clone(&raw));
    event.time = get_text(&[
        "activityDateTime",
        "TimeGenerated [UTC]",
        "TimeGenerated",
        "time",
    ])
    .as_deref()
    .and_then(time::parse);
    let f = &mut event.fields;

    let initiated = get_json(rec.fields, "initiatedBy");
    let initiated = initiated.as_deref();
    let user = initiated.and_then(|i| present(get(i, "user")));
    let app = initiated.and_then(|i| present(get(i, "app")));
    if let Some(user) = user {
        f.insert_opt(
            field::ACTOR,
            first_text(user, &["userPrincipalName", "displayName", "id"]),
        );
        f.insert_opt(field::ACTOR_ID, first_text(user, &["id"]));
        f.insert(field::ACTOR_TYPE, "user");
        f.insert_opt(field::SOURCE_IP, first_text(user, &["ipAddress"]));
    } else if let Some(app) = app {
        f.insert_opt(
            field::ACTOR,
            first_text(app, &["displayName", "servicePrincipalName", "appId"]),
        );
        f.insert_opt(
            field::ACTOR_ID,
            first_text(app, &["servicePrincipalId", "appId"]),
        );
        f.insert(field::ACTOR_TYPE, "app");
    }
    if let Some(app) = app {
        f.insert_opt(field::APP_ID, first_text(app, &["appId"]));
        f.insert_opt(field::APP_NAME, first_text(app, &["displayName"]));
    }
    let details = get_json(rec.fields, "additionalDetails");
    let agent = details
        .as_deref()
        .and_then(Value::as_array)
        .and_then(|items| {
            items.iter().find(|d| {
                first_text(d, &["key"]).is_some_and(|k| k.eq_ignore_ascii_case("User-Agent"))
            })
        })
        .and_then(|d| first_text(d, &["value"]));
    f.insert_opt(field::USER_AGENT, agent);
    let activity = first_text(rec.fields, ACTIVITY).map(|a| a.trim().to_owned());
    if let Some(bulk) = activity.as_deref().and_then(bulk_category) {
        f.insert_opt(field::API_CATEGORY, bulk);
        f.insert(field::API_LISTING, true);
    }
    f.insert_opt(field::ACTION, activity);
    f.insert_opt(field::SERVICE, first_text(rec.fields, &["loggedByService"]));
    let targets = get_json(rec.fields, "targetResources");
    let target = targets
        .as_deref()
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(|t| first_text(t, &["userPrincipalName", "displayName", "id"]));
    f.insert_opt(field::TARGET, target);
    let outcome =
        first_text(rec.fields, &["result"]).and_then(|r| match r.to_ascii_lowercase().as_str() {
            "success" => Some("success"),
            "failure" | "timeout" => Some("failure"),
            _ => None,
        });
    f.insert_opt(field::OUTCOME, outcome);
    f.insert_opt(
        field::TENANT,
        first_text(rec.top, &["aadTenantId", "tenantId"]),
    );
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_activities() {
        let cases = [
            ("Download users - finished (bulk)", Some(Some("users"))),
            ("Download users - started (bulk)", Some(Some("users"))),
            (
                "Download group members - finished (bulk)",
                Some(Some("groups")),
            ),
            (
                "Download service principals - finished (bulk)",
                Some(Some("service_principals")),
            ),
            (
                "Download role assignments - finished (bulk)",
                Some(Some("roles")),
            ),
            ("Download devices - finished (bulk)", Some(Some("devices"))),
            (
                "Download user registration details - finished (bulk)",
                Some(Some("users")),
            ),
            ("Export summary data - finished (bulk)", Some(None)),
            ("Add user", None),
            ("Download users", None),
        ];
        for (activity, want) in cases {
            assert_eq!(bulk_category(activity), want, "{activity}");
        }
    }
}
