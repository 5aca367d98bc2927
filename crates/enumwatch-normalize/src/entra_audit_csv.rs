//! Entra ID audit logs as the Microsoft Entra admin center's "Download" writes them in CSV: one
//! row per activity, flattened into columns (`Date (UTC)`, `Service`, `Category`, `Activity`,
//! `Result`, `ActorType`, `ActorUserPrincipalName`, `ActorServicePrincipalName`, `IPAddress`,
//! `Target1DisplayName`, …, `AdditionalDetail1Key`/`AdditionalDetail1Value`, …). The portal's
//! bulk downloads of users, groups and other directory objects are audited here, so the file an
//! incident responder downloads without a SIEM is enough for that part of the identity-provider
//! analytic.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::entra_audit::bulk_category;
use crate::microsoft::{first_text, get};
use crate::time;

/// Whether `raw` is a row of the portal's audit download: it has the portal's `Date (UTC)`,
/// `Activity`, `ActorType` and `Service` columns.
pub(crate) fn is_row(raw: &Value) -> bool {
    ["Date (UTC)", "Activity", "ActorType", "Service"]
        .iter()
        .all(|column| get(raw, column).is_some())
}

/// The `AdditionalDetailNValue` whose `AdditionalDetailNKey` is `key`, for N from 1 until the
/// row has no such column.
fn additional_detail(raw: &Value, key: &str) -> Option<String> {
    (1..)
        .map_while(|n: u32| get(raw, &format!("AdditionalDetail{n}Key")).map(|name| (n, name)))
        .find(|(_, name)| {
            name.as_str()
                .is_some_and(|k| k.trim().eq_ignore_ascii_case(key))
        })
        .and_then(|(n, _)| first_text(raw, &[&format!("AdditionalDetail{n}Value")]))
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>) -> Event {
    let mut event = Event::new(LogSource::EntraAudit, location, Arc::clone(&raw));
    let cell = |columns: &[&str]| first_text(&raw, columns);
    event.time = cell(&["Date (UTC)"]).as_deref().and_then(time::parse);
    let f = &mut event.fields;
    let upn = cell(&["ActorUserPrincipalName"]);
    let is_user =
        upn.is_some() || cell(&["ActorType"]).is_some_and(|t| t.eq_ignore_ascii_case("user"));
    if is_user {
        f.insert_opt(
            field::ACTOR,
            upn.or_else(|| cell(&["ActorDisplayName", "ActorObjectId"])),
        );
        f.insert_opt(field::ACTOR_ID, cell(&["ActorObjectId"]));
        f.insert(field::ACTOR_TYPE, "user");
        f.insert_opt(field::SOURCE_IP, cell(&["IPAddress"]));
    } else {
        let name = cell(&["ActorServicePrincipalName", "ActorDisplayName"]);
        f.insert_opt(
            field::ACTOR,
            name.clone().or_else(|| cell(&["ActorServicePrincipalId"])),
        );
        f.insert_opt(
            field::ACTOR_ID,
            cell(&["ActorServicePrincipalId", "ActorObjectId"]),
        );
        f.insert(field::ACTOR_TYPE, "app");
        f.insert_opt(field::APP_NAME, name);
    }
    f.insert_opt(field::USER_AGENT, additional_detail(&raw, "User-Agent"));
    let activity = cell(&["Activity"]).map(|a| a.trim().to_owned());
    if let Some(bulk) = activity.as_deref().and_then(bulk_category) {
        f.insert_opt(field::API_CATEGORY, bulk);
        f.insert(field::API_LISTING, true);
    }
    f.insert_opt(field::ACTION, activity);
    f.insert_opt(field::SERVICE, cell(&["Service"]));
    f.insert_opt(
        field::TARGET,
        cell(&[
            "Target1UserPrincipalName",
            "Target1DisplayName",
            "Target1ObjectId",
        ]),
    );
    let outcome = cell(&["Result"]).and_then(|r| match r.to_ascii_lowercase().as_str() {
        "success" => Some("success"),
        "failure" | "timeout" => Some("failure"),
        _ => None,
    });
    f.insert_opt(field::OUTCOME, outcome);
    event
}
