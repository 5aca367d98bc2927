//! Entra ID sign-in logs — interactive, non-interactive, service-principal and managed-identity
//! sign-ins — in the shapes users export: Graph API `signIns` objects (Microsoft-Extractor-Suite,
//! `Get-MgAuditLogSignIn`), diagnostic-settings records (`category` `SignInLogs`,
//! `NonInteractiveUserSignInLogs`, `ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`,
//! fields under `properties`, `resultType` at the top) and Log Analytics rows (`SigninLogs`,
//! `AADNonInteractiveUserSignInLogs`, `AADServicePrincipalSignInLogs`,
//! `AADManagedIdentitySignInLogs`; nested columns possibly JSON text), and the admin center's CSV
//! download (`entra_signin_csv`). A sign-in shows which
//! client asked for a token to which resource (AAD Graph, Microsoft Graph) and how — the
//! prelude of directory enumeration by tools with well-known client ids.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::microsoft::{boolean, first_text, get, get_json, kind_is, text_in};
use crate::time;

const CATEGORIES: &[&str] = &[
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "MicrosoftServicePrincipalSignInLogs",
];
const TABLES: &[&str] = &[
    "SigninLogs",
    "AADNonInteractiveUserSignInLogs",
    "AADServicePrincipalSignInLogs",
    "AADManagedIdentitySignInLogs",
];

/// A recognised sign-in: the object holding the sign-in fields and the record around it.
pub(crate) struct SigninRecord<'a> {
    fields: &'a Value,
    top: &'a Value,
    /// A row of the Entra admin center's CSV download, keyed by the columns' display names.
    portal: bool,
}

pub(crate) fn record_of(raw: &Value) -> Option<SigninRecord<'_>> {
    raw.as_object()?;
    if crate::entra_signin_csv::is_row(raw) {
        return Some(SigninRecord {
            fields: raw,
            top: raw,
            portal: true,
        });
    }
    if kind_is(raw, &["category"], CATEGORIES)
        && let Some(props) = get(raw, "properties").filter(|p| p.is_object())
    {
        return Some(SigninRecord {
            fields: props,
            top: raw,
            portal: false,
        });
    }
    let typed = kind_is(raw, &["Type"], TABLES);
    // Graph `signIns` objects and untyped Log Analytics rows.
    let untyped = get(raw, "category").is_none()
        && first_text(raw, &["appId"]).is_some()
        && (get(raw, "createdDateTime").is_some() || get(raw, "TimeGenerated").is_some())
        && (get(raw, "status").is_some()
            || get(raw, "resultType").is_some()
            || get(raw, "conditionalAccessStatus").is_some())
        && get(raw, "requestUri").is_none()
        && get(raw, "activityDisplayName").is_none();
    (typed || untyped).then_some(SigninRecord {
        fields: raw,
        top: raw,
        portal: false,
    })
}

fn error_code(rec: &SigninRecord<'_>) -> Option<String> {
    let status = get_json(rec.fields, "status");
    status
        .as_deref()
        .and_then(|s| first_text(s, &["errorCode"]))
        .or_else(|| {
            // `ResultType` (Log Analytics) / `resultType` (diagnostic settings) hold the code as
            // text; some exports write `Success` there instead.
            text_in(&[rec.fields, rec.top], &["resultType"])
                .filter(|c| c.trim().parse::<i64>().is_ok())
        })
        .map(|c| c.trim().to_owned())
}

fn actor_type(rec: &SigninRecord<'_>, has_user: bool) -> &'static str {
    let kind = text_in(&[rec.top], &["category", "Type"]).unwrap_or_default();
    let kind = kind.to_ascii_lowercase();
    let event_types = get(rec.fields, "signInEventTypes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_ascii_lowercase)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let credential = first_text(rec.fields, &["clientCredentialType"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    if kind.contains("managedidentity")
        || event_types.iter().any(|t| t == "managedidentity")
        || credential == "managedidentity"
    {
        "managed_identity"
    } else if kind.contains("serviceprincipal")
        || event_types.iter().any(|t| t == "serviceprincipal")
        || (!has_user && first_text(rec.fields, &["servicePrincipalId"]).is_some())
    {
        "service_principal"
    } else {
        "user"
    }
}

pub(crate) fn normalize(rec: SigninRecord<'_>, location: Location, raw: Arc<Value>) -> Event {
    if rec.portal {
        return crate::entra_signin_csv::normalize(location, raw);
    }
    let both = [rec.fields, rec.top];
    let get_text = |keys: &[&str]| text_in(&both, keys);
    let mut event = Event::new(LogSource::EntraSignin, location, Arc::clone(&raw));
    event.time = get_text(&[
        "createdDateTime",
        "TimeGenerated [UTC]",
        "TimeGenerated",
        "time",
    ])
    .as_deref()
    .and_then(time::parse);
    let f = &mut event.fields;

    let upn = first_text(rec.fields, &["userPrincipalName"]);
    let user_id = first_text(rec.fields, &["userId"]);
    let has_user = upn.is_some() || user_id.is_some();
    let kind = actor_type(&rec, has_user);
    let sp_name = first_text(rec.fields, &["servicePrincipalName"]);
    let sp_id = first_text(rec.fields, &["servicePrincipalId"]);
    f.insert_opt(
        field::ACTOR,
        if kind == "user" {
            upn.or_else(|| user_id.clone())
        } else {
            sp_name.or_else(|| sp_id.clone())
        },
    );
    f.insert_opt(
        field::ACTOR_ID,
        if kind == "user" { user_id } else { sp_id },
    );
    f.insert(field::ACTOR_TYPE, kind);
    f.insert_opt(
        field::SOURCE_IP,
        get_text(&["ipAddress", "callerIpAddress"]),
    );
    f.insert_opt(field::USER_AGENT, first_text(rec.fields, &["userAgent"]));
    f.insert_opt(field::APP_ID, first_text(rec.fields, &["appId"]));
    f.insert_opt(field::APP_NAME, first_text(rec.fields, &["appDisplayName"]));
    // Log Analytics `ResourceId` is the Azure resource path of the log, not the audience.
    f.insert_opt(
        field::AUTH_RESOURCE,
        first_text(rec.fields, &["resourceIdentity"])
            .or_else(|| first_text(rec.fields, &["resourceId"]).filter(|r| !r.starts_with('/'))),
    );
    f.insert_opt(
        field::AUTH_PROTOCOL,
        first_text(rec.fields, &["authenticationProtocol"]),
    );
    let location_detail = get_json(rec.fields, "locationDetails")
        .or_else(|| get_json(rec.fields, "location"))
        .and_then(|l| first_text(&l, &["countryOrRegion"]));
    let country = location_detail.or_else(|| {
        // Log Analytics `Location` column: the country code as text.
        get(rec.fields, "location")
            .and_then(Value::as_str)
            .filter(|s| !s.trim_start().starts_with('{'))
            .map(str::to_owned)
    });
    f.insert_opt(field::COUNTRY, country);
    let managed = get_json(rec.fields, "deviceDetail").and_then(|d| boolean(get(&d, "isManaged")));
    f.insert_opt(field::DEVICE_MANAGED, managed);
    f.insert_opt(field::SESSION_ID, first_text(rec.fields, &["sessionId"]));
    // The logging tenant (envelope `tenantId`, Log Analytics `AADTenantId`) before the
    // resource's and the user's home tenant.
    f.insert_opt(
        field::TENANT,
        first_text(rec.top, &["aadTenantId", "tenantId"])
            .or_else(|| first_text(rec.fields, &["resourceTenantId", "homeTenantId"])),
    );
    let code = error_code(&rec);
    let outcome = match code.as_deref() {
        Some("0") => Some("success"),
        Some(_) => Some("failure"),
        None => get_text(&["resultType", "resultSignature"]).and_then(|r| {
            match r.to_ascii_lowercase().as_str() {
                "success" => Some("success"),
                "failure" => Some("failure"),
                _ => None,
            }
        }),
    };
    f.insert_opt(field::ERROR_CODE, code);
    f.insert_opt(field::OUTCOME, outcome);
    f.insert(field::ACTION, "sign-in");
    f.insert(field::SERVICE, "login.microsoftonline.com");
    event
}
