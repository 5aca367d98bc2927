//! Entra ID sign-ins as the Microsoft Entra admin center's "Download" writes them in CSV: one
//! row per sign-in, its columns named as the portal shows them (`Date (UTC)`, `Request ID`,
//! `Username`, `Application ID`, `Resource ID`, `IP address`, `Location`, `Status`, …). An
//! incident responder without a SIEM starts from this file; it names the client and resource of
//! each token as the Graph export does, so it feeds the same identity-provider analytic.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::microsoft::{first_text, get};
use crate::time;

/// Whether `raw` is a row of the portal's sign-in download: it has the portal's `Request ID`,
/// `Application ID` and `Date (UTC)` columns.
pub(crate) fn is_row(raw: &Value) -> bool {
    ["Request ID", "Application ID", "Date (UTC)"]
        .iter()
        .all(|column| get(raw, column).is_some())
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>) -> Event {
    let mut event = Event::new(LogSource::EntraSignin, location, Arc::clone(&raw));
    let cell = |columns: &[&str]| first_text(&raw, columns);
    event.time = cell(&["Date (UTC)"]).as_deref().and_then(time::parse);
    let user = cell(&["Username", "Sign-in identifier", "User"]);
    let user_id = cell(&["User ID"]);
    let sp_id = cell(&["Service principal ID"]);
    let kind = if cell(&["Managed identity type", "Managed Identity type"]).is_some() {
        "managed_identity"
    } else if user.is_none() && user_id.is_none() && sp_id.is_some() {
        "service_principal"
    } else {
        "user"
    };
    let f = &mut event.fields;
    if kind == "user" {
        f.insert_opt(field::ACTOR, user.or_else(|| user_id.clone()));
        f.insert_opt(field::ACTOR_ID, user_id);
    } else {
        f.insert_opt(
            field::ACTOR,
            cell(&["Service principal name"]).or_else(|| sp_id.clone()),
        );
        f.insert_opt(field::ACTOR_ID, sp_id);
    }
    f.insert(field::ACTOR_TYPE, kind);
    f.insert_opt(field::SOURCE_IP, cell(&["IP address"]));
    f.insert_opt(field::USER_AGENT, cell(&["User agent"]));
    f.insert_opt(field::APP_ID, cell(&["Application ID"]));
    f.insert_opt(field::APP_NAME, cell(&["Application"]));
    f.insert_opt(field::AUTH_RESOURCE, cell(&["Resource ID"]));
    // The portal spells the Graph values out (`Device Code` for `deviceCode`); `None` is none.
    f.insert_opt(
        field::AUTH_PROTOCOL,
        cell(&["Authentication Protocol"])
            .filter(|p| !p.eq_ignore_ascii_case("none"))
            .map(|p| {
                let mut joined: String = p.split_whitespace().collect();
                if let Some(first) = joined.get_mut(..1) {
                    first.make_ascii_lowercase();
                }
                joined
            }),
    );
    // `Location` reads `City, State, CC`: the country is the last part.
    f.insert_opt(
        field::COUNTRY,
        cell(&["Location"]).and_then(|l| {
            let country = l.rsplit(',').next()?.trim();
            (country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()))
                .then(|| country.to_ascii_uppercase())
        }),
    );
    f.insert_opt(
        field::DEVICE_MANAGED,
        cell(&["Managed"]).and_then(|m| match m.to_ascii_lowercase().as_str() {
            "yes" | "true" => Some(true),
            "no" | "false" => Some(false),
            _ => None,
        }),
    );
    f.insert_opt(field::SESSION_ID, cell(&["Session ID"]));
    f.insert_opt(
        field::TENANT,
        cell(&["Resource tenant ID", "Home tenant ID"]),
    );
    let code = cell(&["Sign-in error code"])
        .map(|c| c.trim().to_owned())
        .filter(|c| c.parse::<i64>().is_ok());
    let status = cell(&["Status"]).map(|s| s.to_ascii_lowercase());
    let outcome = match (code.as_deref(), status.as_deref()) {
        (Some("0"), _) | (None, Some("success")) => Some("success"),
        (Some(_), _) | (None, Some("failure" | "interrupted")) => Some("failure"),
        _ => None,
    };
    f.insert_opt(field::ERROR_CODE, code);
    f.insert_opt(field::OUTCOME, outcome);
    f.insert(field::ACTION, "sign-in");
    f.insert(field::SERVICE, "login.microsoftonline.com");
    event
}
