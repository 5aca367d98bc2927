//! Normalizer tests for the Microsoft logs (Graph and AAD Graph activity, Entra sign-in and
//! audit, M365 unified audit) on the samples under `testdata/logs/`: snapshots show every
//! normalized field per source, and property tests feed each module arbitrary JSON.

use enumwatch_event::{Event, LogSource};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use crate::tests::{arb_json_of, record, snapshot, testdata, view};
use crate::{Disposition, Normalizer, detect};

/// Push each value as one record; every one must become exactly one event of `source`, and
/// `detect` must agree with the normalizer.
fn run(values: Vec<Value>, source: LogSource) -> Vec<Event> {
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        assert_eq!(detect(&v), Some(source), "record {i}: {v}");
        assert_eq!(
            n.push(record(v, i as u64), &mut out),
            Disposition::Emitted(1),
            "record {i}"
        );
    }
    assert!(out.iter().all(|e| e.source == source));
    out
}

fn lines(rel: &str) -> Vec<Value> {
    testdata(rel)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Panther rule-test lines carry the vendor record in `log`; the wrapper is a test artifact.
fn panther_logs(rel: &str) -> Vec<Value> {
    lines(rel).into_iter().map(|l| l["log"].clone()).collect()
}

/// Minimal RFC 4180 reader for the CSV samples, with the decoder's JSON-cell rule.
fn csv_rows(text: &str) -> Vec<Value> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let (mut row, mut cell, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) => {}
            ('\n', false) => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    let header = rows.remove(0);
    rows.into_iter()
        .map(|r| {
            let mut map = Map::new();
            for (name, cell) in header.iter().zip(r) {
                let parsed = cell
                    .trim_start()
                    .starts_with(['{', '['])
                    .then(|| serde_json::from_str::<Value>(cell.trim_start()).ok())
                    .flatten();
                map.insert(
                    name.trim().to_owned(),
                    parsed.unwrap_or(Value::String(cell)),
                );
            }
            Value::Object(map)
        })
        .collect()
}

fn field<'a>(e: &'a Event, name: &str) -> Option<&'a Value> {
    e.fields.get(name)
}

#[test]
fn graph_activity_diagnostic_settings() {
    let events = run(
        lines("logs/graph_activity/graph_activity_diagnostic_emulated.jsonl"),
        LogSource::GraphActivity,
    );
    assert_eq!(events.len(), 7);
    assert_eq!(field(&events[0], "api.endpoint"), Some(&json!("/users")));
    assert_eq!(field(&events[0], "api.listing"), Some(&json!(true)));
    assert_eq!(
        field(&events[0], "session.id"),
        events[0].raw["properties"].get("c_sid")
    );
    assert_eq!(
        field(&events[3], "actor.type"),
        Some(&json!("service_principal"))
    );
    snapshot!(view(&events));
}

#[test]
fn graph_activity_log_analytics_rows() {
    let events = run(
        lines("logs/graph_activity/graph_activity_log_analytics_emulated.jsonl"),
        LogSource::GraphActivity,
    );
    assert_eq!(
        field(&events[0], "cloud.tenant"),
        events[0].raw.get("AadTenantId")
    );
    assert_eq!(field(&events[1], "outcome.result"), Some(&json!("failure")));
    assert!(events[1].time.is_some());
    snapshot!(view(&events));
}

#[test]
fn aad_graph_activity_all_shapes() {
    let mut values = lines("logs/aad_graph_activity/aad_graph_diagnostic_emulated.jsonl");
    values.extend(lines(
        "logs/aad_graph_activity/aad_graph_log_analytics_emulated.jsonl",
    ));
    let events = run(values, LogSource::AadGraphActivity);
    assert_eq!(events.len(), 7);
    let endpoints: Vec<_> = events
        .iter()
        .map(|e| e.fields.get_str("api.endpoint").unwrap())
        .collect();
    assert_eq!(
        endpoints,
        [
            "/users",
            "/groups/{id}/$links/members",
            "/tenantDetails",
            "/$batch",
            "/applications/{id}",
            "/servicePrincipals",
            "/roleAssignments"
        ]
    );
    assert!(
        events
            .iter()
            .all(|e| e.fields.get_str("action.service") == Some("graph.windows.net"))
    );
    snapshot!(view(&events));
}

#[test]
fn entra_signin_panther_diagnostic_records() {
    let events = run(
        panther_logs("logs/entra_signin/panther_azure_signin_rule_tests.jsonl"),
        LogSource::EntraSignin,
    );
    assert_eq!(events.len(), 4);
    assert_eq!(
        field(&events[0], "auth.protocol"),
        Some(&json!("deviceCode"))
    );
    assert_eq!(
        field(&events[1], "outcome.error_code"),
        Some(&json!("7000215"))
    );
    assert_eq!(
        field(&events[1], "actor.type"),
        Some(&json!("service_principal"))
    );
    snapshot!(view(&events));
}

#[test]
fn entra_signin_graph_objects_and_log_analytics_row() {
    let events = run(
        lines("logs/entra_signin/entra_signin_graph_and_log_analytics_emulated.jsonl"),
        LogSource::EntraSignin,
    );
    assert_eq!(field(&events[0], "device.managed"), Some(&json!(false)));
    assert_eq!(
        field(&events[1], "actor.type"),
        Some(&json!("managed_identity"))
    );
    assert_eq!(field(&events[2], "client.geo.country"), Some(&json!("US")));
    assert_eq!(field(&events[2], "outcome.result"), Some(&json!("failure")));
    snapshot!(view(&events));
}

#[test]
fn entra_signin_admin_center_csv_download() {
    let values = csv_rows(&testdata(
        "logs/entra_signin/entra_admin_center_signins_emulated.csv",
    ));
    assert_eq!(values.len(), 3);
    let events = run(values, LogSource::EntraSignin);
    assert_eq!(
        field(&events[0], "client.user_agent"),
        Some(&json!("azurehound/v2.1.7"))
    );
    assert_eq!(
        field(&events[0], "auth.protocol"),
        Some(&json!("deviceCode"))
    );
    assert_eq!(field(&events[0], "client.geo.country"), Some(&json!("NL")));
    assert_eq!(field(&events[2], "outcome.result"), Some(&json!("failure")));
    assert_eq!(
        field(&events[2], "outcome.error_code"),
        Some(&json!("50126"))
    );
    snapshot!(view(&events));
}

#[test]
fn entra_audit_admin_center_csv_download() {
    let values = csv_rows(&testdata(
        "logs/entra_audit/entra_admin_center_audit_emulated.csv",
    ));
    assert_eq!(values.len(), 4);
    let events = run(values, LogSource::EntraAudit);
    assert_eq!(field(&events[1], "api.category"), Some(&json!("users")));
    assert_eq!(field(&events[1], "api.listing"), Some(&json!(true)));
    assert!(
        events[1]
            .fields
            .get_str("client.user_agent")
            .unwrap()
            .starts_with("Mozilla/5.0")
    );
    assert_eq!(field(&events[3], "actor.type"), Some(&json!("app")));
    assert_eq!(field(&events[3], "outcome.result"), Some(&json!("failure")));
    snapshot!(view(&events));
}

#[test]
fn entra_audit_log_analytics_csv_and_json_rows() {
    let mut values = csv_rows(&testdata("logs/entra_audit/AuditLogs_Hunting.csv"));
    assert_eq!(values.len(), 5);
    values.extend(lines(
        "logs/entra_audit/otrf_golden_saml_aad_audit_events.json",
    ));
    let events = run(values, LogSource::EntraAudit);
    assert_eq!(
        field(&events[0], "action.name"),
        Some(&json!(
            "Update application – Certificates and secrets management"
        ))
    );
    assert!(
        events[5]
            .fields
            .get_str("client.user_agent")
            .unwrap()
            .contains("WindowsPowerShell/5.1")
    );
    snapshot!(view(&events));
}

#[test]
fn entra_audit_graph_export_and_diagnostic_records() {
    let doc: Value = serde_json::from_str(&testdata(
        "logs/entra_audit/entra_directory_audits_emulated.json",
    ))
    .unwrap();
    let mut values = doc.as_array().unwrap().clone();
    values.extend(panther_logs(
        "logs/entra_audit/panther_azure_audit_rule_tests.jsonl",
    ));
    let events = run(values, LogSource::EntraAudit);
    assert_eq!(field(&events[1], "api.category"), Some(&json!("users")));
    assert_eq!(field(&events[1], "api.listing"), Some(&json!(true)));
    assert_eq!(field(&events[2], "api.category"), Some(&json!("groups")));
    assert_eq!(field(&events[3], "actor.type"), Some(&json!("app")));
    assert!(!events[3].fields.contains("api.listing"));
    snapshot!(view(&events));
}

#[test]
fn m365_management_api_csv_and_office_activity() {
    let mut values = lines("logs/m365_audit/m365_management_api_emulated.jsonl");
    values.extend(csv_rows(&testdata(
        "logs/m365_audit/search_unifiedauditlog_emulated.csv",
    )));
    values.push(
        serde_json::from_str(&testdata(
            "logs/m365_audit/otrf_golden_saml_office_activity.json",
        ))
        .unwrap(),
    );
    let events = run(values, LogSource::M365Audit);
    let listing: Vec<_> = events
        .iter()
        .map(|e| e.fields.get("api.listing").and_then(Value::as_bool))
        .collect();
    assert_eq!(
        listing,
        [
            Some(true),
            Some(false),
            Some(true),
            Some(false),
            None,
            Some(true),
            Some(true),
            None
        ]
    );
    assert_eq!(field(&events[0], "client.ip"), Some(&json!("2001:db8::5")));
    assert_eq!(field(&events[4], "client.ip"), Some(&json!("203.0.113.45")));
    // The CSV row stays the raw record; its `AuditData` is what was normalized.
    assert!(events[5].raw.get("AuditData").is_some());
    assert_eq!(
        events[5].fields.get_str("action.name"),
        events[2].fields.get_str("action.name")
    );
    snapshot!(view(&events));
}

#[test]
fn m365_panther_records_with_lowercase_keys() {
    let events = run(
        panther_logs("logs/m365_audit/panther_m365_audit_rule_tests.jsonl"),
        LogSource::M365Audit,
    );
    assert_eq!(events.len(), 5);
    assert_eq!(field(&events[3], "client.ip"), Some(&json!("1.2.3.4")));
    assert_eq!(
        field(&events[0], "client.user_agent").and_then(Value::as_str),
        Some(
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/107.0.0.0 Safari/537.36"
        )
    );
    snapshot!(view(&events));
}

#[test]
fn known_records_missing_fields_keep_what_they_have() {
    let cases = [
        (
            json!({"category": "MicrosoftGraphActivityLogs", "properties": {}}),
            LogSource::GraphActivity,
        ),
        (
            json!({"Type": "AADGraphActivityLogs"}),
            LogSource::AadGraphActivity,
        ),
        (
            json!({"category": "SignInLogs", "properties": {"status": "odd"}}),
            LogSource::EntraSignin,
        ),
        (json!({"Type": "AuditLogs"}), LogSource::EntraAudit),
        (
            json!({"Type": "OfficeActivity", "Operation": "Get-Mailbox", "Parameters": "not json"}),
            LogSource::M365Audit,
        ),
    ];
    for (value, source) in cases {
        let events = run(vec![value], source);
        assert!(events[0].time.is_none());
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_json_of(
        vec![
            "category",
            "Type",
            "properties",
            "requestUri",
            "RequestUri",
            "requestMethod",
            "httpMethod",
            "responseStatusCode",
            "appId",
            "userId",
            "servicePrincipalId",
            "c_idtyp",
            "responseSizeBytes",
            "createdDateTime",
            "status",
            "errorCode",
            "deviceDetail",
            "isManaged",
            "location",
            "signInEventTypes",
            "activityDisplayName",
            "activityDateTime",
            "initiatedBy",
            "user",
            "app",
            "additionalDetails",
            "key",
            "value",
            "targetResources",
            "result",
            "CreationTime",
            "Operation",
            "RecordType",
            "Workload",
            "AuditData",
            "Parameters",
            "Name",
            "Value",
            "ClientIP",
            "UserType",
            "ExtendedProperties",
        ],
        vec![
            "MicrosoftGraphActivityLogs",
            "AzureADGraphActivityLogs",
            "SignInLogs",
            "ManagedIdentitySignInLogs",
            "AuditLogs",
            "OfficeActivity",
            "GET",
            "POST",
            "https://graph.windows.net/x.com/users('a=b')?api-version=1",
            "/v1.0/users/a%40b/(x=)/roleTemplateId==",
            "Get-EXOMailbox",
            "Download users - finished (bulk)",
            "[::1]:80",
            "{\"user\":{\"id\":1}}",
            "[{\"Name\":\"Identity\",\"Value\":\"*\"}]",
            "User-Agent",
            "#EXT#é#",
        ],
    )
}

fn location() -> enumwatch_event::Location {
    enumwatch_event::Location::new(std::sync::Arc::from("p"), 0)
}

proptest! {
    #[test]
    fn graph_activity_never_panics(v in arb_json()) {
        if let Some(rec) = crate::graph_activity::record_of(&v) {
            let _ = crate::graph_activity::normalize(rec, location(), std::sync::Arc::new(v.clone()));
        }
    }

    #[test]
    fn graph_uri_never_panics(uri in "\\PC{0,60}", method in "GET|POST|[A-Z]{0,4}", aad in any::<bool>()) {
        let got = crate::graph_uri::parse(&uri, &method, aad);
        prop_assert!(got.endpoint.starts_with('/'));
    }

    #[test]
    fn entra_signin_never_panics(v in arb_json()) {
        if let Some(rec) = crate::entra_signin::record_of(&v) {
            let _ = crate::entra_signin::normalize(rec, location(), std::sync::Arc::new(v.clone()));
        }
    }

    #[test]
    fn entra_audit_never_panics(v in arb_json()) {
        if let Some(rec) = crate::entra_audit::record_of(&v) {
            let _ = crate::entra_audit::normalize(rec, location(), std::sync::Arc::new(v.clone()));
        }
    }

    #[test]
    fn m365_audit_never_panics(v in arb_json()) {
        if let Some(rec) = crate::m365_audit::record_of(&v) {
            let _ = crate::m365_audit::normalize(rec, location(), std::sync::Arc::new(v.clone()));
        }
    }

    #[test]
    fn vendor_time_never_panics(text in "[0-9/:., APMZT+-]{0,28}") {
        let _ = crate::time::parse(&text);
    }

    #[test]
    fn push_and_detect_agree(v in arb_json()) {
        let mut out = Vec::new();
        let got = Normalizer::new().push(record(v.clone(), 0), &mut out);
        match detect(&v) {
            Some(source) => prop_assert!(out.iter().all(|e| e.source == source)),
            None => prop_assert_eq!(got, Disposition::Unrecognized),
        }
    }
}
