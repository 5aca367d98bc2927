//! GCP Cloud Audit Logs: `LogEntry` records with an `AuditLog` `protoPayload`, as Logging sinks
//! export them (Cloud Storage, Pub/Sub, and BigQuery, whose rows name the payload
//! `protopayload_auditlog` and write times as `2024-05-14 10:02:11.123456 UTC`) and as `gcloud logging read
//! --format=json` prints them (a JSON array the decoder expands). Admin Activity, Data Access,
//! System Event and Policy Denied logs all map the same way: Data Access is where IAM reads
//! (`ListServiceAccounts`, `GetIamPolicy`) are recorded, so it is never dropped; rules that need
//! the log kind read the raw `logName`, and impersonation chains stay in the raw
//! `protoPayload.authenticationInfo.serviceAccountDelegationInfo`.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::{member, text_at, time};

/// `@type` of an audit-log payload (Panther renames the key to `at_sign_type` or `at_type`).
const AUDIT_LOG_TYPE: &str = "google.cloud.audit.AuditLog";

/// The key of the audit-log payload: `protoPayload`, or `protopayload_auditlog` in a row of a
/// BigQuery log sink's table (exported with `bq extract` or saved from a query), where the
/// payload's `@type` is dropped and its `request`/`response` become JSON text.
fn payload_key(raw: &Value) -> Option<&'static str> {
    ["protoPayload", "protopayload_auditlog"]
        .into_iter()
        .find(|k| member(raw, k).is_some_and(Value::is_object))
}

/// A `LogEntry` whose payload is an audit log: the typed `protoPayload`, or an untyped one that
/// still has the audit log's method name and either its service name or its caller.
pub(crate) fn is_entry(raw: &Value) -> bool {
    let Some(payload) = payload_key(raw).and_then(|k| member(raw, k)) else {
        return false;
    };
    let typed = ["@type", "at_sign_type", "at_type"].iter().any(|k| {
        payload
            .get(*k)
            .and_then(Value::as_str)
            .is_some_and(|t| t.ends_with(AUDIT_LOG_TYPE))
    });
    typed
        || (payload.get("methodName").is_some_and(Value::is_string)
            && (payload.get("serviceName").is_some()
                || payload.get("authenticationInfo").is_some()))
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>) -> Event {
    let mut event = Event::new(LogSource::GcpAudit, location, Arc::clone(&raw));
    let entry = raw.as_ref();
    let payload = payload_key(entry).unwrap_or("protoPayload");
    let pp = |path: &[&str]| {
        let mut full = vec![payload];
        full.extend_from_slice(path);
        text_at(entry, &full)
    };
    event.time = text_at(entry, &["timestamp"])
        .or_else(|| text_at(entry, &["receiveTimestamp"]))
        .as_deref()
        .and_then(time::parse);
    let f = &mut event.fields;

    let email = pp(&["authenticationInfo", "principalEmail"]);
    let subject = pp(&["authenticationInfo", "principalSubject"]);
    let actor = email.clone().or_else(|| subject.clone());
    if let Some(actor) = &actor {
        let service_account = actor.to_ascii_lowercase().ends_with(".gserviceaccount.com")
            || subject
                .as_deref()
                .is_some_and(|s| s.starts_with("serviceAccount:"));
        f.insert(
            field::ACTOR_TYPE,
            if service_account {
                "service_account"
            } else {
                "user"
            },
        );
    }
    f.insert_opt(field::ACTOR, actor);
    f.insert_opt(field::ACTOR_ID, subject);
    f.insert_opt(
        field::SOURCE_IP,
        pp(&["requestMetadata", "callerIp"]).or_else(|| pp(&["requestMetadata", "callerIP"])),
    );
    f.insert_opt(
        field::USER_AGENT,
        pp(&["requestMetadata", "callerSuppliedUserAgent"]),
    );
    f.insert_opt(
        field::APP_ID,
        pp(&["authenticationInfo", "oauthInfo", "oauthClientId"]),
    );
    let method = pp(&["methodName"]);
    f.insert_opt(field::SERVICE, pp(&["serviceName"]));
    f.insert_opt(field::TARGET, pp(&["resourceName"]));

    // `status` is absent or `{}` on success; a non-zero google.rpc code is a failure
    // (7 = PERMISSION_DENIED, 16 = UNAUTHENTICATED).
    let code = pp(&["status", "code"]).filter(|c| c != "0");
    f.insert(
        field::OUTCOME,
        if code.is_some() { "failure" } else { "success" },
    );
    f.insert_opt(field::ERROR_CODE, code);

    f.insert_opt(
        field::ACCOUNT,
        text_at(entry, &["resource", "labels", "project_id"]).or_else(|| {
            text_at(entry, &["logName"])
                .as_deref()
                .and_then(project_of_log_name)
                .map(str::to_owned)
        }),
    );
    f.insert_opt(
        field::REGION,
        ["location", "region", "zone"]
            .iter()
            .find_map(|k| text_at(entry, &["resource", "labels", k])),
    );
    if let Some(method) = &method {
        let (category, listing) = classify(method);
        f.insert_opt(field::API_CATEGORY, category);
        f.insert(field::API_LISTING, listing);
    }
    f.insert_opt(field::ACTION, method);
    event
}

/// `my-proj` from `projects/my-proj/logs/cloudaudit.googleapis.com%2Factivity`.
fn project_of_log_name(log_name: &str) -> Option<&str> {
    let rest = log_name.strip_prefix("projects/")?;
    rest.split('/').next().filter(|p| !p.is_empty())
}

/// Directory-object category and whether the method lists a collection, from the last
/// component of the method name (`google.iam.admin.v1.ListServiceAccounts` → `ListServiceAccounts`).
fn classify(method: &str) -> (Option<&'static str>, bool) {
    let last = method.rsplit('.').next().unwrap_or(method);
    let lower = last.to_ascii_lowercase();
    let category = match lower.as_str() {
        "listserviceaccounts"
        | "getserviceaccount"
        | "listserviceaccountkeys"
        | "getserviceaccountkey" => Some("service_accounts"),
        "listroles" | "getrole" | "querygrantableroles" => Some("roles"),
        "getiampolicy" | "testiampermissions" | "searchalliampolicies" => Some("policies"),
        "listgroups" | "searchgroups" | "listmemberships" | "searchtransitivememberships" => {
            Some("groups")
        }
        "listusers" | "getuser" => Some("users"),
        _ => None,
    };
    let listing = lower.starts_with("list")
        || lower.starts_with("search")
        || lower == "aggregatedlist"
        || lower == "getiampolicy";
    (category, listing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_classification() {
        assert_eq!(
            classify("google.iam.admin.v1.ListServiceAccounts"),
            (Some("service_accounts"), true)
        );
        assert_eq!(
            classify("google.iam.admin.v1.GetRole"),
            (Some("roles"), false)
        );
        assert_eq!(classify("GetIamPolicy"), (Some("policies"), true));
        assert_eq!(
            classify("google.iam.admin.v1.TestIAMPermissions"),
            (Some("policies"), false)
        );
        assert_eq!(
            classify("beta.compute.instances.aggregatedList"),
            (None, true)
        );
        assert_eq!(classify("storage.objects.list"), (None, true));
        assert_eq!(classify("v1.compute.instances.insert"), (None, false));
        assert_eq!(classify(""), (None, false));
        assert_eq!(
            project_of_log_name("projects/p-1/logs/cloudaudit.googleapis.com%2Fdata_access"),
            Some("p-1")
        );
        assert_eq!(project_of_log_name("organizations/1/logs/x"), None);
        assert_eq!(project_of_log_name("projects/"), None);
    }
}
