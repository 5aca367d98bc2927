//! Microsoft Graph (`MicrosoftGraphActivityLogs`) and Azure AD Graph (`AADGraphActivityLogs`,
//! exported as `AzureADGraphActivityLogs`) activity logs: one record per API request, the
//! richest view of directory enumeration. Shapes read:
//!
//! - diagnostic-settings JSON as written to storage or Event Hubs: `category`, `time`,
//!   `tenantId` at the top, the request under `properties` (Graph: `requestUri`, `requestMethod`,
//!   `responseStatusCode`, `ipAddress`; AAD Graph: `httpMethod`, `httpStatusCode`,
//!   `callerIpAddress`, `actorType`);
//! - Log Analytics / Sentinel rows: `TimeGenerated`, `RequestUri`, `RequestMethod`,
//!   `ResponseStatusCode`, `IPAddress`, `AadTenantId`, `Type`, with or without `Type`.
//!
//! Graph and AAD Graph are told apart by `category`/`Type`, else by the `graph.windows.net`
//! host. The request URI is reduced to an endpoint by `graph_uri`. Shippers that wrap the event
//! in a `message` string (Logstash, some Elastic pipelines) are not unwrapped: the record must
//! be the vendor JSON.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::microsoft::{first_text, get, kind_is, text_in};
use crate::{graph_uri, time};

const GRAPH: &[&str] = &["MicrosoftGraphActivityLogs"];
const AAD_GRAPH: &[&str] = &["AADGraphActivityLogs", "AzureADGraphActivityLogs"];
const URI: &[&str] = &["requestUri", "RequestUri"];
const METHOD: &[&str] = &["requestMethod", "httpMethod"];
const STATUS: &[&str] = &["responseStatusCode", "httpStatusCode", "statusCode"];

/// A recognised activity record: where its request fields live and which API it logs.
pub(crate) struct GraphRecord<'a> {
    pub(crate) source: LogSource,
    /// `properties` of a diagnostic-settings record, else the row itself.
    fields: &'a Value,
    /// The top-level record (diagnostic envelope or row).
    top: &'a Value,
}

/// The Graph or AAD Graph activity record in `raw`, if it is one.
pub(crate) fn record_of(raw: &Value) -> Option<GraphRecord<'_>> {
    raw.as_object()?;
    let props = get(raw, "properties").filter(|p| p.is_object());
    let categorized = |names: &[&str]| kind_is(raw, &["category", "Type"], names);
    let source = if categorized(GRAPH) {
        Some(LogSource::GraphActivity)
    } else if categorized(AAD_GRAPH) {
        Some(LogSource::AadGraphActivity)
    } else {
        None
    };
    let fields = props.unwrap_or(raw);
    let has_request = first_text(fields, URI).is_some() && first_text(fields, METHOD).is_some();
    let source = match source {
        Some(source) => source,
        // Untyped rows and envelopes (no `category`, no `Type`): a Graph request log by its
        // columns, the API by its host.
        None if has_request
            && get(raw, "category").is_none()
            && first_text(fields, STATUS).is_some()
            && first_text(fields, &["appId"]).is_some() =>
        {
            let uri = first_text(fields, URI).unwrap_or_default();
            if graph_uri::is_aad_graph_host(&uri) {
                LogSource::AadGraphActivity
            } else {
                LogSource::GraphActivity
            }
        }
        None => return None,
    };
    Some(GraphRecord {
        source,
        fields,
        top: raw,
    })
}

pub(crate) fn normalize(rec: GraphRecord<'_>, location: Location, raw: Arc<Value>) -> Event {
    let both = [rec.fields, rec.top];
    let get_text = |keys: &[&str]| text_in(&both, keys);
    let aad = rec.source == LogSource::AadGraphActivity;
    let mut event = Event::new(rec.source, location, Arc::clone(&raw));
    event.time = get_text(&["timeGenerated", "TimeGenerated [UTC]", "time"])
        .as_deref()
        .and_then(time::parse);
    let f = &mut event.fields;

    let user_id = get_text(&["userId", "UserObjectId"]);
    let sp_id = get_text(&["servicePrincipalId"]);
    let upn = get_text(&["userPrincipalName", "UserPrincipalName"]);
    f.insert_opt(
        field::ACTOR,
        upn.or_else(|| user_id.clone()).or_else(|| sp_id.clone()),
    );
    f.insert_opt(field::ACTOR_ID, user_id.clone().or_else(|| sp_id.clone()));
    let actor_type = get_text(&["c_idtyp", "idtyp", "actorType"])
        .and_then(|t| match t.to_ascii_lowercase().as_str() {
            "user" => Some("user"),
            "app" | "application" | "serviceprincipal" | "service_principal" => {
                Some("service_principal")
            }
            _ => None,
        })
        .or(if user_id.is_some() {
            Some("user")
        } else if sp_id.is_some() {
            Some("service_principal")
        } else {
            None
        });
    f.insert_opt(field::ACTOR_TYPE, actor_type);
    f.insert_opt(
        field::SOURCE_IP,
        get_text(&["ipAddress", "callerIpAddress", "clientIpAddress"]),
    );
    f.insert_opt(field::USER_AGENT, get_text(&["userAgent"]));
    f.insert_opt(field::APP_ID, get_text(&["appId"]));
    f.insert_opt(
        field::SESSION_ID,
        get_text(&["sessionId", "c_sid", "signInActivityId"]),
    );
    f.insert_opt(
        field::TENANT,
        // Log Analytics `TenantId` is the workspace; `AadTenantId` is the directory.
        get_text(&["aadTenantId", "tenantId"]),
    );
    f.insert_opt(field::SCOPES, get_text(&["scopes"]));
    f.insert_opt(field::ROLES, get_text(&["roles"]));
    f.insert_opt(field::REGION, get_text(&["location"]));

    let method = get_text(METHOD).map(|m| m.to_ascii_uppercase());
    f.insert_opt(field::HTTP_METHOD, method.clone());
    let status = get_text(STATUS).or_else(|| {
        // Graph diagnostic records repeat the status as `resultSignature`.
        first_text(rec.top, &["resultSignature"]).filter(|s| s.parse::<u16>().is_ok())
    });
    if let Some(code) = status.as_deref().and_then(|s| s.trim().parse::<u16>().ok()) {
        f.insert(
            field::OUTCOME,
            if code < 400 { "success" } else { "failure" },
        );
    }
    f.insert_opt(field::HTTP_STATUS, status);
    if let Some(size) = both
        .iter()
        .find_map(|o| get(o, "responseSizeBytes"))
        .and_then(|v| match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .filter(|n| *n >= 0)
    {
        f.insert(field::RESPONSE_SIZE, size);
    }
    f.insert(
        field::SERVICE,
        if aad {
            "graph.windows.net"
        } else {
            "graph.microsoft.com"
        },
    );
    if let Some(uri) = get_text(URI) {
        let request = graph_uri::parse(&uri, method.as_deref().unwrap_or_default(), aad);
        f.insert_opt(
            field::API_VERSION,
            request
                .version
                .clone()
                .or_else(|| get_text(&["apiVersion"])),
        );
        f.insert_opt(field::API_CATEGORY, request.category);
        f.insert(field::API_LISTING, request.listing);
        if let Some(m) = &method {
            f.insert(field::ACTION, format!("{m} {}", request.endpoint));
        }
        f.insert(field::API_ENDPOINT, request.endpoint);
        f.insert(field::URL, uri);
    } else {
        f.insert_opt(field::API_VERSION, get_text(&["apiVersion"]));
    }
    event
}
