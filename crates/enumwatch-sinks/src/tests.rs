//! Output snapshots: the shapes users parse must not change by accident.

use std::collections::BTreeMap;

use enumwatch_alert::{Alert, AlertRule, Confidence, Evidence, Severity, TECHNIQUE};
use enumwatch_event::{LogSource, Platform, RunStats, ToolCategory};

use super::*;

fn sample_alert() -> Alert {
    Alert {
        id: "00a1b2c3d4e5f607".to_owned(),
        time: Some("2024-03-01T10:00:00Z".to_owned()),
        rule: AlertRule {
            id: "rule-1".to_owned(),
            title: "Cloud account enumeration with a cloud CLI".to_owned(),
            level: "medium".to_owned(),
        },
        analytic: Some("AN1088".to_owned()),
        technique: TECHNIQUE,
        platform: Platform::Aws,
        tool_category: ToolCategory::BuiltInEnumeration,
        severity: Severity::Medium,
        confidence: Confidence::High,
        factors: vec!["rule level medium".to_owned()],
        log_source: LogSource::Sysmon,
        actor: Some("CORP\\alice".to_owned()),
        actor_id: None,
        host: Some("WS01".to_owned()),
        process: Some("C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe".to_owned()),
        command_line: Some("aws --profile prod iam list-users, \"quoted\"".to_owned()),
        tool: Some("aws-cli".to_owned()),
        command: Some("aws iam list-users".to_owned()),
        explanation: "CORP\\alice on WS01 ran aws-cli `aws iam list-users`".to_owned(),
        evidence: vec![Evidence {
            source: "logs/sysmon.jsonl".into(),
            record: 3,
            line: Some(4),
            record_id: None,
        }],
        investigation: vec!["Find the CloudTrail ListUsers call.".to_owned()].into(),
        response: vec!["Rotate the access keys of the profile.".to_owned()].into(),
        hunting: enumwatch_alert::HuntingQueries::default(),
        suppressed_by: None,
    }
}

fn render(sink: &mut dyn Sink, alerts: &[Alert]) {
    write_all(sink, alerts).unwrap();
}

#[test]
fn jsonl_writes_one_object_per_line() {
    let mut buf = Vec::new();
    render(
        &mut JsonlSink::new(&mut buf),
        &[sample_alert(), sample_alert()],
    );
    let text = String::from_utf8(buf).unwrap();
    assert_eq!(text.lines().count(), 2);
    insta::assert_snapshot!(text.lines().next().unwrap());
}

#[test]
fn jsonl_lines_are_what_serde_json_writes() {
    let mut odd = sample_alert();
    odd.explanation = "tab\t, nul \u{0}, bell \u{7}, del \u{7f}, é, 漢, 😀, \\ \"q\" /".to_owned();
    odd.actor = Some("o'brien\u{1f}".to_owned());
    odd.hunting = enumwatch_alert::HuntingQueries::new(
        LogSource::Cloudtrail,
        Some("arn:aws:iam::1:user/o'brien \"x\""),
        Some("2024-03-01T10:00:00Z"),
    );
    assert!(!odd.hunting.is_empty());
    let alerts = [sample_alert(), odd];
    let mut buf = Vec::new();
    render(&mut JsonlSink::new(&mut buf), &alerts);
    let expected: String = alerts
        .iter()
        .map(|a| serde_json::to_string(a).unwrap() + "\n")
        .collect();
    assert_eq!(String::from_utf8(buf).unwrap(), expected);
}

#[test]
fn json_array_is_valid_json_even_when_empty() {
    let mut buf = Vec::new();
    render(&mut JsonArraySink::new(&mut buf), &[]);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&buf).unwrap(),
        serde_json::json!([])
    );
    let mut buf = Vec::new();
    render(
        &mut JsonArraySink::new(&mut buf),
        &[sample_alert(), sample_alert()],
    );
    let parsed: serde_json::Value = serde_json::from_slice(&buf).unwrap();
    assert_eq!(parsed.as_array().unwrap().len(), 2);
    assert_eq!(parsed[0]["platform"], "AWS");
    assert_eq!(parsed[0]["evidence"][0]["line"], 4);
}

#[test]
fn csv_quotes_commas_and_quotes() {
    let mut buf = Vec::new();
    render(&mut CsvSink::new(&mut buf), &[sample_alert()]);
    insta::assert_snapshot!(String::from_utf8(buf).unwrap());
}

#[test]
fn table_without_color_is_plain_text() {
    let mut buf = Vec::new();
    render(
        &mut TableSink::new(&mut buf, false, None),
        &[sample_alert()],
    );
    let text = String::from_utf8(buf).unwrap();
    assert!(!text.contains('\u{1b}'), "no ANSI escapes without color");
    insta::assert_snapshot!(text);
    let mut buf = Vec::new();
    render(&mut TableSink::new(&mut buf, false, None), &[]);
    assert_eq!(String::from_utf8(buf).unwrap(), "no alerts\n");
}

#[test]
fn a_long_table_is_written_in_blocks_each_with_its_header() {
    let count = |n: usize| {
        let mut buf = Vec::new();
        render(
            &mut TableSink::new(&mut buf, false, None),
            &vec![sample_alert(); n],
        );
        let text = String::from_utf8(buf).unwrap();
        let headers = text.lines().filter(|l| l.contains("│ time ")).count();
        let rows = text
            .lines()
            .filter(|l| l.contains("2024-03-01T10:00:00Z"))
            .count();
        (headers, rows)
    };
    assert_eq!(
        count(crate::table::BLOCK_ROWS),
        (1, crate::table::BLOCK_ROWS)
    );
    assert_eq!(
        count(crate::table::BLOCK_ROWS * 2 + 1),
        (3, crate::table::BLOCK_ROWS * 2 + 1)
    );
}

#[test]
fn summary_lists_counts_and_located_problems() {
    let mut stats = RunStats {
        inputs: 2,
        bytes: 1234,
        records: 10,
        formats: BTreeMap::from([("jsonl".to_owned(), 2)]),
        events: BTreeMap::from([("sysmon".to_owned(), 9)]),
        hits: 1,
        alerts: 1,
        ..RunStats::default()
    };
    stats.unrecognized = 1;
    stats.note_problem(
        "logs/a.jsonl:7 (record 6)".to_owned(),
        "unrecognized",
        "no normalizer recognizes this record".to_owned(),
    );
    *stats
        .malformed
        .entry("invalid_json".to_owned())
        .or_default() += 1;
    stats.note_problem(
        "logs/a.jsonl:9 (record 8)".to_owned(),
        "invalid_json",
        "expected value at column 1".to_owned(),
    );
    insta::assert_snapshot!(render_summary(&stats));
}

#[test]
fn summary_reports_correlation_state_evictions() {
    let quiet = render_summary(&RunStats::default());
    assert!(!quiet.contains("correlation state"), "{quiet}");
    let stats = RunStats {
        correlation_state_evictions: 100_001,
        ..RunStats::default()
    };
    let text = render_summary(&stats);
    assert!(
        text.contains("correlation state cap reached: the 100001 least recently seen correlation groups were dropped (high-cardinality input; correlation counts may be low)"),
        "{text}"
    );
}

#[test]
fn summary_reports_spilled_correlation_events_only_when_some_were() {
    let quiet = render_summary(&RunStats::default());
    assert!(!quiet.contains("temporary file"), "{quiet}");
    let stats = RunStats {
        correlation_events_spilled: 1_000_000,
        ..RunStats::default()
    };
    let text = render_summary(&stats);
    assert!(
        text.contains("correlation pass: the 1000000 held event(s) went past the in-memory budget (--max-held-mib) and were sorted through a temporary file"),
        "{text}"
    );
    let json = serde_json::to_value(RunStats::default()).unwrap();
    assert!(
        json.get("correlation_events_spilled").is_none(),
        "absent from the JSON stats when zero: {json}"
    );
    assert_eq!(
        serde_json::to_value(&stats).unwrap()["correlation_events_spilled"],
        1_000_000
    );
}
