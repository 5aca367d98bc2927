//! Normalizer tests for the SaaS and GCP audit logs (GCP Cloud Audit Logs, Google Workspace
//! Reports, Okta System Log, Slack Audit Logs) on Panther's rule-test events and on records
//! emulated from the vendor schemas: snapshots show every normalized field, shape checks never
//! take another vendor's record, and arbitrary input never panics.

use std::sync::Arc;

use enumwatch_event::{Event, LogSource};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::tests::{arb_json_of, record, snapshot, testdata, view};
use crate::{
    Disposition, Normalizer, cloudtrail, cloudtrail_rows, detect, gcp_audit, okta, slack, workspace,
};

/// The vendor records of a Panther rule-test file: each line's `log` (the wrapper is a test
/// artifact, not a log shape).
fn panther_logs(rel: &str) -> Vec<Value> {
    testdata(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut line: Value = serde_json::from_str(l).unwrap();
            line["log"].take()
        })
        .collect()
}

fn push_all(records: Vec<Value>) -> (Vec<Event>, Vec<Disposition>) {
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    let dispositions = records
        .into_iter()
        .enumerate()
        .map(|(i, body)| n.push(record(body, i as u64), &mut out))
        .collect();
    n.finish(&mut out);
    (out, dispositions)
}

fn json_file(rel: &str) -> Value {
    serde_json::from_str(&testdata(rel)).unwrap()
}

fn jsonl_file(rel: &str) -> Vec<Value> {
    testdata(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn gcp_panther_rule_test_entries() {
    let logs = panther_logs("logs/gcp_audit/panther_gcp_audit_rule_tests.jsonl");
    assert!(logs.iter().all(|l| detect(l) == Some(LogSource::GcpAudit)));
    let (events, dispositions) = push_all(logs);
    assert!(dispositions.iter().all(|d| *d == Disposition::Emitted(1)));
    let denied = &events[3].fields;
    assert_eq!(denied.get_str("outcome.error_code"), Some("7"));
    assert_eq!(denied.get_str("actor.type"), Some("service_account"));
    snapshot!(view(&events));
}

#[test]
fn gcp_gcloud_logging_read_array_of_iam_reads() {
    let doc = json_file("logs/gcp_audit/emulated_gcloud_logging_read_iam.json");
    let entries = doc.as_array().unwrap().clone();
    let (events, _) = push_all(entries);
    assert_eq!(events.len(), 4);
    let cats: Vec<_> = events
        .iter()
        .map(|e| e.fields.get_str("api.category"))
        .collect();
    assert_eq!(
        cats,
        [
            Some("service_accounts"),
            Some("service_accounts"),
            Some("roles"),
            Some("policies")
        ]
    );
    // The project of a denied read comes from `logName` when the resource has no labels.
    assert_eq!(
        events[2].fields.get_str("cloud.account"),
        Some("acme-prod-281910")
    );
    snapshot!(view(&events));
}

#[test]
fn gcp_bigquery_sink_rows_normalize_as_the_log_entries_do() {
    // The same entries as a BigQuery log sink's table holds them (`protopayload_auditlog`,
    // BigQuery timestamps, request and response as JSON text).
    let rows = jsonl_file("logs/gcp_audit/emulated_bigquery_sink_rows.jsonl");
    assert!(rows.iter().all(|r| detect(r) == Some(LogSource::GcpAudit)));
    let (from_rows, _) = push_all(rows);
    let doc = json_file("logs/gcp_audit/emulated_gcloud_logging_read_iam.json");
    let (from_entries, _) = push_all(doc.as_array().unwrap().clone());
    assert_eq!(from_rows.len(), 4);
    // Times to the microsecond, as BigQuery keeps them; every field alike.
    for (row, entry) in from_rows.iter().zip(&from_entries) {
        let micros = |e: &Event| e.time.map(|t| t.as_microsecond());
        assert_eq!(micros(row), micros(entry));
        assert_eq!(row.fields.to_map(), entry.fields.to_map());
    }
}

#[test]
fn gcp_partial_entry_normalizes_with_what_it_has() {
    let partial = json!({"protoPayload": {"methodName": "ListServiceAccounts", "serviceName": "iam.googleapis.com"}});
    let (events, _) = push_all(vec![partial]);
    assert_eq!(events[0].source, LogSource::GcpAudit);
    assert_eq!(events[0].time, None);
    assert_eq!(events[0].fields.get("api.listing"), Some(&json!(true)));
    assert!(!events[0].fields.contains("actor.name"));
    // A payload that is not an audit log is not claimed.
    assert_eq!(detect(&json!({"protoPayload": {"methodName": "x"}})), None);
    assert_eq!(detect(&json!({"protoPayload": "text"})), None);
}

#[test]
fn workspace_panther_flattened_events() {
    let logs = panther_logs("logs/workspace/panther_gsuite_rule_tests.jsonl");
    assert!(
        logs.iter()
            .all(|l| detect(l) == Some(LogSource::WorkspaceActivity))
    );
    let (events, dispositions) = push_all(logs);
    assert!(dispositions.iter().all(|d| *d == Disposition::Emitted(1)));
    snapshot!(view(&events));
}

#[test]
fn workspace_token_audit_activity_and_page() {
    let lines = jsonl_file("logs/workspace/emulated_reports_api_token_activity.jsonl");
    assert!(
        lines
            .iter()
            .all(|l| detect(l) == Some(LogSource::WorkspaceActivity))
    );
    let (events, dispositions) = push_all(lines);
    assert_eq!(
        dispositions,
        [Disposition::Emitted(3), Disposition::Emitted(2)]
    );
    let first = &events[0].fields;
    assert_eq!(first.get_str("action.name"), Some("directory.users.list"));
    assert_eq!(first.get_str("api.category"), Some("users"));
    assert_eq!(first.get("api.listing"), Some(&json!(true)));
    assert_eq!(first.get("http.response_bytes"), Some(&json!(184_220)));
    assert_eq!(events[2].fields.get_str("api.category"), Some("groups"));
    assert_eq!(events[4].fields.get_str("api.category"), Some("roles"));
    // Every event of one record points at that record.
    assert!(events[..3].iter().all(|e| e.location.record == 0));
    snapshot!(view(&events));
}

#[test]
fn workspace_activity_without_events_is_one_event() {
    let act = json!({"kind": "admin#reports#activity", "id": {"applicationName": "admin", "time": "2024-05-14T10:00:00Z"},
        "actor": {"email": "a@b.example"}, "events": []});
    let (events, dispositions) = push_all(vec![act]);
    assert_eq!(dispositions, [Disposition::Emitted(1)]);
    assert_eq!(events[0].fields.get_str("actor.name"), Some("a@b.example"));
    assert!(!events[0].fields.contains("action.name"));
}

#[test]
fn okta_panther_rule_test_events() {
    let logs = panther_logs("logs/okta/panther_okta_rule_tests.jsonl");
    assert!(
        logs.iter()
            .all(|l| detect(l) == Some(LogSource::OktaSystemLog))
    );
    let (events, dispositions) = push_all(logs);
    assert!(dispositions.iter().all(|d| *d == Disposition::Emitted(1)));
    // Lower-cased top-level keys (`debugcontext`) are read too.
    assert_eq!(events[0].fields.get_str("api.category"), Some("users"));
    assert_eq!(events[0].fields.get("api.listing"), Some(&json!(true)));
    snapshot!(view(&events));
}

#[test]
fn okta_api_array_and_event_hook() {
    let doc = json_file("logs/okta/emulated_system_log_api.json");
    let mut records = doc.as_array().unwrap().clone();
    records.push(json_file("logs/okta/emulated_event_hook.json"));
    let (events, dispositions) = push_all(records);
    assert_eq!(dispositions.len(), 4);
    assert!(dispositions.iter().all(|d| *d == Disposition::Emitted(1)));
    assert_eq!(
        events[2].fields.get_str("url.original"),
        Some("/api/v1/groups/00g1a2b3c4d5e6f7g8h9/users")
    );
    assert_eq!(events[2].fields.get_str("api.category"), Some("users"));
    assert_eq!(
        events[3].fields.get_str("action.name"),
        Some("user.session.start")
    );
    snapshot!(view(&events));
    // Partial events normalize with what they have; an event type alone is not enough.
    let partial = json!({"eventType": "user.authentication.sso", "displayMessage": "User single sign on to app",
        "outcome": {"result": "SUCCESS"}});
    let (events, _) = push_all(vec![partial]);
    assert_eq!(events[0].fields.get_str("outcome.result"), Some("success"));
    assert!(!events[0].fields.contains("actor.name"));
    let bare = json!({"actor": {"id": "u"}, "client": {"ipAddress": "1.1.1.1"}, "eventType": "user.session.start"});
    assert_eq!(detect(&bare), Some(LogSource::OktaSystemLog));
    assert_eq!(detect(&json!({"eventType": "logout"})), None);
    let empty_hook = json!({"eventType": "com.okta.event_hook", "data": {"events": []}});
    assert_eq!(detect(&empty_hook), Some(LogSource::OktaSystemLog));
    assert_eq!(
        push_all(vec![empty_hook]).1,
        [Disposition::Ignored {
            source: LogSource::OktaSystemLog,
            reason: "event hook delivery without events"
        }]
    );
}

#[test]
fn slack_panther_rule_test_entries() {
    let logs = panther_logs("logs/slack/panther_slack_rule_tests.jsonl");
    assert!(
        logs.iter()
            .all(|l| detect(l) == Some(LogSource::SlackAudit))
    );
    let (events, dispositions) = push_all(logs);
    assert!(dispositions.iter().all(|d| *d == Disposition::Emitted(1)));
    snapshot!(view(&events));
}

#[test]
fn slack_audit_logs_api_page_entries() {
    let doc = json_file("logs/slack/emulated_audit_logs_page.json");
    let entries = doc["entries"].as_array().unwrap().clone();
    let (events, _) = push_all(entries);
    assert_eq!(events.len(), 3);
    assert_eq!(
        events[0].time.map(|t| t.to_string()).as_deref(),
        Some("2024-05-14T10:45:00Z")
    );
    assert_eq!(
        events[2].fields.get_str("client.app_name"),
        Some("member-directory-export")
    );
    snapshot!(view(&events));
}

/// Every sample is claimed by its own vendor only, and the earlier vendors keep theirs.
#[test]
fn shape_checks_do_not_take_other_vendors_records() {
    let samples: Vec<(LogSource, Vec<Value>)> = vec![
        (
            LogSource::GcpAudit,
            panther_logs("logs/gcp_audit/panther_gcp_audit_rule_tests.jsonl"),
        ),
        (
            LogSource::WorkspaceActivity,
            jsonl_file("logs/workspace/emulated_reports_api_token_activity.jsonl"),
        ),
        (
            LogSource::OktaSystemLog,
            json_file("logs/okta/emulated_system_log_api.json")
                .as_array()
                .unwrap()
                .clone(),
        ),
        (
            LogSource::SlackAudit,
            json_file("logs/slack/emulated_audit_logs_page.json")["entries"]
                .as_array()
                .unwrap()
                .clone(),
        ),
        (
            LogSource::Cloudtrail,
            panther_logs("logs/panther/aws_cloudtrail_rule_tests.jsonl"),
        ),
    ];
    for (source, records) in &samples {
        for r in records {
            assert_eq!(detect(r), Some(*source), "{r}");
            let claims = [
                gcp_audit::is_entry(r),
                workspace::is_activity(r),
                okta::is_okta(r),
                slack::is_entry(r),
            ];
            let expected = usize::from(*source != LogSource::Cloudtrail);
            assert_eq!(claims.iter().filter(|c| **c).count(), expected, "{r}");
        }
    }
}

fn record_location() -> enumwatch_event::Location {
    record(Value::Null, 0).location
}

fn never_panics(v: Value, direct: impl Fn(Arc<Value>, &mut Vec<Event>)) {
    let mut out = Vec::new();
    let _ = detect(&v);
    direct(Arc::new(v.clone()), &mut out);
    let _ = Normalizer::new().push(record(v, 0), &mut out);
}

proptest! {
    #[test]
    fn gcp_audit_never_panics(v in arb_json_of(
        vec!["protoPayload", "@type", "methodName", "serviceName", "authenticationInfo",
             "principalEmail", "principalSubject", "requestMetadata", "callerIp", "status", "code",
             "resource", "labels", "project_id", "location", "logName", "timestamp", "oauthInfo"],
        vec!["type.googleapis.com/google.cloud.audit.AuditLog", "projects/", "projects/p/logs/x",
             "a@p.iam.gserviceaccount.com", "serviceAccount:", "ListRoles", "0", "7"],
    )) {
        never_panics(v, |raw, out| out.push(gcp_audit::normalize(record(Value::Null, 0).location, raw)));
    }

    #[test]
    fn workspace_never_panics(v in arb_json_of(
        vec!["kind", "items", "id", "applicationName", "time", "customerId", "actor", "email",
             "events", "name", "type", "parameters", "value", "intValue", "multiValue", "ipAddress"],
        vec!["admin#reports#activity", "admin#reports#activities", "token", "method_name",
             "api_name", "admin", "directory.users.list", "directory.", "client_id"],
    )) {
        never_panics(v, |raw, out| { workspace::normalize(record(Value::Null, 0).location, raw, out); });
    }

    #[test]
    fn okta_never_panics(v in arb_json_of(
        vec!["eventType", "eventtype", "actor", "type", "id", "alternateId", "published", "uuid",
             "client", "debugContext", "debugcontext", "debugData", "requestUri", "target", "data",
             "events", "outcome", "result"],
        vec!["com.okta.event_hook", "PublicClientApp", "/api/v1/users", "/api/v1/", "/scim/v2/Users/x/y",
             "/api/v1/groups/1/users", "//api//v1", "SUCCESS", "?"],
    )) {
        never_panics(v, |raw, out| { okta::normalize(record(Value::Null, 0).location, raw, out); });
    }

    #[test]
    fn cloudtrail_rows_never_panic(v in arb_json_of(
        vec!["eventsource", "eventname", "eventtime", "eventversion", "useridentity",
             "sessioncontext", "sessionissuer", "attributes", "resources", "arn", "readonly",
             "requestparameters", "tlsdetails", "type"],
        vec!["{type=IAMUser, arn=a, sessioncontext={attributes={x=1}}}", "[{arn=b, type=c}]",
             "{a=", "{a=b}}", "[", "{}", "null", "", "true", "{\"k\": 1}", "{a=[b, {c=d}], e=f g}"],
    )) {
        never_panics(v.clone(), |raw, out| {
            if let Some(record) = cloudtrail_rows::record(&raw) {
                let record = Arc::new(record);
                out.push(cloudtrail::normalize(&record, record_location(), Arc::clone(&record)));
            }
        });
    }

    #[test]
    fn row_texts_never_panic(text in "[{}\\[\\], =a-z]{0,40}") {
        if let Some(value) = cloudtrail_rows::row_text(&text) {
            prop_assert!(value.is_object() || value.is_array());
        }
    }

    #[test]
    fn slack_never_panics(v in arb_json_of(
        vec!["action", "actor", "type", "user", "email", "context", "location", "ip_address",
             "date_create", "entity", "app", "file", "details", "id", "name"],
        vec!["user", "app", "file", "workspace", "1715683500", "user_login"],
    )) {
        never_panics(v, |raw, out| out.push(slack::normalize(record(Value::Null, 0).location, raw)));
    }
}
