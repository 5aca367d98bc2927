//! `enumwatch coverage`: readiness per analytic from the logs given, with partial sources named.

use serde_json::Value;

use crate::{enumwatch, stderr, stdout};

fn statuses(paths: &[&str]) -> Value {
    let mut args = vec!["coverage", "--format", "json"];
    args.extend_from_slice(paths);
    let out = enumwatch(&args);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn requirement<'a>(report: &'a Value, telemetry_prefix: &str) -> &'a Value {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["telemetry"]
                .as_str()
                .unwrap()
                .starts_with(telemetry_prefix)
        })
        .unwrap()
}

#[test]
fn readiness_per_analytic_with_the_setting_to_enable() {
    let report = statuses(&["testdata/cloud", "testdata/demo"]);
    assert_eq!(report["analytics"]["AN1087"], "ready");
    assert_eq!(report["analytics"]["AN1088"], "ready");
    assert_eq!(report["analytics"]["AN1089"], "ready");
    assert_eq!(report["analytics"]["AN1090"], "ready");
    let slack = requirement(&report, "Slack Audit Logs API");
    assert_eq!(slack["status"], "missing");
    assert!(
        slack["how_to_enable"]
            .as_str()
            .unwrap()
            .contains("auditlogs:read")
    );
}

#[test]
fn a_write_only_trail_is_partial_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("write_only.jsonl");
    std::fs::write(
        &path,
        r#"{"eventVersion":"1.08","eventTime":"2024-05-14T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","readOnly":false,"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/a"}}
"#,
    )
    .unwrap();
    let report = statuses(&[path.to_str().unwrap()]);
    let trail = requirement(&report, "AWS CloudTrail");
    assert_eq!(trail["status"], "partial");
    assert!(
        trail["how_to_enable"]
            .as_str()
            .unwrap()
            .contains("Read and Write")
    );
    assert_eq!(report["analytics"]["AN1088"], "partial");
}
