//! Records held in strings: AWS CloudTrail event history (`aws cloudtrail lookup-events`) and
//! CloudWatch Logs events, in every shape they are saved in, give the CloudTrail records a
//! trail's S3 object holds, each located at its entry or event.

use std::collections::BTreeMap;

use flate2::read::GzDecoder;
use serde_json::Value;

use super::tests::{run, testdata};
use super::*;

/// The real S3 object the event-history samples were made from (testdata/logs/cloudtrail/
/// PROVENANCE.md), as its records by event id.
fn s3_records() -> BTreeMap<String, Value> {
    let mut text = Vec::new();
    GzDecoder::new(
        &testdata("demo/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz")
            [..],
    )
    .read_to_end(&mut text)
    .unwrap();
    let (_, records, errors) = run(&text);
    assert!(errors.is_empty(), "{errors:?}");
    by_event_id(records)
}

fn by_event_id(records: Vec<RawRecord>) -> BTreeMap<String, Value> {
    records
        .into_iter()
        .map(|r| (r.body["eventID"].as_str().unwrap().to_owned(), r.body))
        .collect()
}

#[test]
fn lookup_events_output_gives_the_trails_records() {
    let expected = s3_records();
    assert_eq!(expected.len(), 29);
    for (file, format) in [
        ("logs/cloudtrail/lookup_events_invictus.json", Format::Json),
        (
            "logs/cloudtrail/lookup_events_invictus_entries.jsonl",
            Format::JsonLines,
        ),
    ] {
        let (found, records, errors) = run(&testdata(file));
        assert_eq!(found, Some(format), "{file}");
        assert!(errors.is_empty(), "{file}: {errors:?}");
        let numbers: Vec<u64> = records.iter().map(|r| r.location.record).collect();
        assert_eq!(numbers, (0..29).collect::<Vec<_>>(), "{file}");
        assert!(
            records
                .windows(2)
                .all(|w| w[0].location.line < w[1].location.line),
            "{file}: each record is located at its own entry"
        );
        assert_eq!(by_event_id(records), expected, "{file}");
    }
}

#[test]
fn pages_saved_one_per_line_expand_to_their_records() {
    let entry = |id: &str, inner: &str| serde_json::json!({"EventId": id, "EventName": "ListUsers", "CloudTrailEvent": inner});
    let page = serde_json::json!({
        "Events": [
            entry("a", r#"{"eventID":"a","eventName":"ListUsers"}"#),
            entry("b", r#"{"eventID":"b","eventName":"ListRoles"}"#),
        ],
        "NextToken": "eyJ2IjoyfQ==",
    });
    let last = serde_json::json!({"Events": [entry("c", r#"{"eventID":"c"}"#)]});
    let text = format!("{page}\n{last}\n");
    let (format, records, errors) = run(text.as_bytes());
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    let ids: Vec<_> = records.iter().map(|r| r.body["eventID"].clone()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(records[1].body["eventName"], "ListRoles");
    assert_eq!(records[2].location.line, Some(2));
    // Pretty-printed, the page is a document.
    let pretty = serde_json::to_string_pretty(&page).unwrap();
    let (format, records, errors) = run(pretty.as_bytes());
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].body["eventName"], "ListRoles");
}

#[test]
fn an_entry_whose_record_string_is_broken_costs_that_entry_alone() {
    let text = testdata("logs/cloudtrail/lookup_events_invictus_entries.jsonl");
    let text = String::from_utf8(text).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Cut the embedded record short, as a copy truncated inside the string would leave it
    // (the entry itself stays valid JSON).
    let mut entry: Value = serde_json::from_str(&lines[4]).unwrap();
    let inner = entry["CloudTrailEvent"].as_str().unwrap().to_owned();
    entry["CloudTrailEvent"] = Value::String(inner[..inner.len() / 2].to_owned());
    lines[4] = entry.to_string();
    let broken = lines.join("\n");
    for (bytes, format) in [
        (broken.clone().into_bytes(), Format::JsonLines),
        (
            format!("[{}]", lines.join(",\n")).into_bytes(),
            Format::Json,
        ),
    ] {
        let (found, records, errors) = run(&bytes);
        assert_eq!(found, Some(format));
        assert_eq!(records.len(), 28);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let error = &errors[0];
        assert_eq!(error.location.record, 4);
        assert_eq!(error.location.line, Some(5));
        assert_eq!(error.reason(), "invalid_json");
        let message = error.to_string();
        assert!(
            message.contains("`CloudTrailEvent` string of this CloudTrail event-history entry"),
            "{message}"
        );
    }
}

/// Rejects every record.
#[derive(Debug)]
struct RejectAll;

impl RecordPrefilter for RejectAll {
    fn admits(&self, _: &[u8]) -> bool {
        false
    }
}

#[test]
fn a_broken_entry_is_reported_whatever_the_prefilter_says() {
    let text = String::from_utf8(testdata("bad/cloudtrail_lookup_events_cut_record.json")).unwrap();
    let one_per_line: String = serde_json::from_str::<Value>(&text).unwrap()["Events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{e}\n"))
        .collect();
    for bytes in [text.as_bytes(), one_per_line.as_bytes()] {
        for check_skipped in [true, false] {
            let limits = DecodeLimits {
                prefilter: Some(std::sync::Arc::new(RejectAll)),
                check_skipped,
                ..DecodeLimits::default()
            };
            let mut decoder = decode(
                std::sync::Arc::from("t"),
                Box::new(std::io::Cursor::new(bytes.to_vec())),
                &limits,
            );
            let items: Vec<_> = (&mut decoder).collect();
            if check_skipped {
                // The check is never sure of an entry, so every entry is parsed: the four good
                // ones give their records and the cut one its error.
                assert_eq!(decoder.prefiltered(), 0);
                assert_eq!(items.iter().filter(|i| i.is_ok()).count(), 4);
                let errors: Vec<_> = items.iter().filter_map(|i| i.as_ref().err()).collect();
                assert_eq!(errors.len(), 1);
                assert_eq!(errors[0].location.record, 2);
            } else {
                // Unchecked (`--trust-json`), what the prefilter rejects is skipped unseen.
                assert_eq!(decoder.prefiltered(), 5);
                assert!(items.is_empty());
            }
        }
    }
    assert!(!crate::certainly_well_formed(
        br#"{"EventId":"e","CloudTrailEvent":"{}"}"#
    ));
    assert!(crate::certainly_well_formed(
        br#"{"EventId":"e","Detail":"{}"}"#
    ));
    // Only a top-level member is an entry's.
    assert!(crate::certainly_well_formed(
        br#"{"a":{"CloudTrailEvent":"{}"}}"#
    ));
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut text = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut text).unwrap();
    text
}

#[test]
fn cloudwatch_logs_events_give_the_trails_records() {
    let expected = s3_records();
    // Firehose's S3 object: subscription payloads written back to back, a control message first.
    let firehose = gunzip(&testdata("logs/cloudtrail/cloudwatch_firehose_invictus.gz"));
    let (format, records, errors) = run(&firehose);
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 30);
    // The control message is no record of a log: it is left as the event it is.
    assert!(
        records[0].body["message"]
            .as_str()
            .unwrap()
            .starts_with("CWL CONTROL MESSAGE")
    );
    assert_eq!(by_event_id(records[1..].to_vec()), expected);
    // `aws logs filter-log-events` output.
    let (format, records, errors) = run(&testdata(
        "logs/cloudtrail/cloudwatch_filter_log_events_invictus.json",
    ));
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(by_event_id(records), expected);
    // The same payloads one per line, and the events one per line (`jq -c '.events[]'`).
    let payloads = String::from_utf8(firehose)
        .unwrap()
        .replace("}{\"messageType", "}\n{\"messageType");
    let (format, records, errors) = run(payloads.as_bytes());
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(by_event_id(records[1..].to_vec()), expected);
    let page: Value = serde_json::from_slice(&testdata(
        "logs/cloudtrail/cloudwatch_filter_log_events_invictus.json",
    ))
    .unwrap();
    let lines: String = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{e}\n"))
        .collect();
    let (_, records, errors) = run(lines.as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(by_event_id(records), expected);
    // A page on one line.
    let (_, records, errors) = run(format!("{page}\n{page}\n").as_bytes());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 58);
    assert_eq!(records[57].location.line, Some(2));
}

#[test]
fn a_message_that_holds_no_json_object_leaves_the_event_as_it_is() {
    let text = br#"{"messageType": "DATA_MESSAGE", "owner": "1", "logGroup": "g", "logStream": "s", "subscriptionFilters": [], "logEvents": [
{"id": "1", "timestamp": 1, "message": "START RequestId: 8f5"},
{"id": "2", "timestamp": 2, "message": "{\"truncated\": "},
{"id": "3", "timestamp": 3, "message": "[1, 2]"},
{"id": "4", "timestamp": 4, "message": " {\"eventName\": \"ListUsers\"}"}
]}"#;
    let (_, records, errors) = run(text);
    assert!(errors.is_empty(), "{errors:?}");
    let shown: Vec<String> = records.iter().map(|r| r.body.to_string()).collect();
    assert_eq!(
        shown,
        [
            r#"{"id":"1","timestamp":1,"message":"START RequestId: 8f5"}"#,
            r#"{"id":"2","timestamp":2,"message":"{\"truncated\": "}"#,
            r#"{"id":"3","timestamp":3,"message":"[1, 2]"}"#,
            r#"{"eventName":"ListUsers"}"#,
        ]
    );
}

#[test]
fn events_is_a_wrapper_only_as_the_first_member() {
    // A Google Workspace activity holds its own `events`: one record, as a document and as a
    // line, and a line the prefilter rejects is still skipped (it is certainly one record).
    let activity = r#"{"kind": "admin#reports#activity", "id": {"applicationName": "admin"}, "events": [{"name": "a"}, {"name": "b"}]}"#;
    for text in [activity.to_owned(), format!("{activity}\n{activity}\n")] {
        let (_, records, errors) = run(text.as_bytes());
        assert!(errors.is_empty(), "{errors:?}");
        assert!(
            records
                .iter()
                .all(|r| r.body["events"].as_array().unwrap().len() == 2)
        );
    }
    assert!(crate::valid::certainly_one_record(activity.as_bytes()));
    assert!(!crate::may_hold_several(activity.as_bytes()));
    let page = r#"{ "events" : [{"id": "1", "timestamp": 1, "message": "x"}], "nextToken": "t"}"#;
    assert!(!crate::valid::certainly_one_record(page.as_bytes()));
    assert!(crate::may_hold_several(page.as_bytes()));
    // A repeated key keeps the first one's place: the array of a later `events` still counts.
    let repeated = r#"{"events": 1, "x": 2, "events": [3, 4]}"#;
    assert!(!crate::valid::certainly_one_record(repeated.as_bytes()));
    let mut value: Value = serde_json::from_str(repeated).unwrap();
    assert_eq!(
        crate::jsonl::unwrap_container(&mut value).map(|v| v.len()),
        Some(2)
    );
}

#[test]
fn azure_event_hubs_messages_give_their_records() {
    let lines = testdata("logs/graph_activity/graph_activity_event_hubs_emulated.jsonl");
    let (format, records, errors) = run(&lines);
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    let (_, plain, _) = run(&testdata(
        "logs/graph_activity/graph_activity_diagnostic_emulated.jsonl",
    ));
    let bodies = |r: &[RawRecord]| r.iter().map(|r| r.body.clone()).collect::<Vec<_>>();
    assert_eq!(bodies(&records), bodies(&plain));
    assert_eq!(records[4].location.line, Some(2));
    // One message saved alone is a document.
    let first = lines.split(|&b| b == b'\n').next().unwrap();
    let (format, records, errors) = run(first);
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(bodies(&records), bodies(&plain[..4]));
    // `records` not first is a record's own member.
    let own = br#"{"id": 1, "records": [{"a": 1}, {"a": 2}]}"#;
    let (_, records, _) = run(own);
    assert_eq!(records.len(), 1);
    assert!(crate::valid::certainly_one_record(own));
    assert!(!crate::may_hold_several(own));
}

#[test]
fn partner_eventbridge_events_give_their_detail() {
    let (_, records, errors) = run(&testdata("logs/okta/emulated_eventbridge_log_stream.jsonl"));
    assert!(errors.is_empty(), "{errors:?}");
    let (_, direct, _) = run(&testdata("logs/okta/emulated_system_log_api.json"));
    let bodies = |r: &[RawRecord]| r.iter().map(|r| r.body.clone()).collect::<Vec<_>>();
    assert_eq!(bodies(&records), bodies(&direct));
    // An AWS service's event is left whole (CloudTrail's normalizer reads its envelope).
    let aws = br#"{"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam", "detail": {"eventName": "ListUsers"}}"#;
    let (_, records, _) = run(aws);
    assert_eq!(records[0].body["source"], "aws.iam");
}

/// The text of a rendered value, as the normalizers read it: numbers as their digits.
fn as_text(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), as_text(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(as_text).collect()),
        other => other.clone(),
    }
}

#[test]
fn windows_event_xml_renders_as_the_evtx_records_do() {
    // Every real Sysmon sample, its records rendered as XML by the `evtx` crate and written as
    // `wevtutil qe /f:xml` does (back to back, no declaration) and as Event Viewer's "Save As
    // XML" does (an `<Events>` root): the same events, field for field, as the EVTX decoder's.
    let dir = format!("{}/../../testdata/logs/sysmon", env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "evtx") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let (_, from_evtx, errors) = run(&bytes);
        assert!(errors.is_empty(), "{errors:?}");
        let mut parser = evtx::EvtxParser::from_buffer(bytes).unwrap();
        let events: Vec<String> = parser
            .records()
            .map(|r| {
                let xml = r.unwrap().data;
                xml.split_once("?>")
                    .map_or(xml.clone(), |(_, body)| body.trim().to_owned())
            })
            .collect();
        for text in [
            events.concat(),
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<Events>{}</Events>",
                events.join("\r\n")
            ),
        ] {
            let (format, from_xml, errors) = run(text.as_bytes());
            assert_eq!(format, Some(Format::Xml));
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
            assert_eq!(from_xml.len(), from_evtx.len());
            for (x, e) in from_xml.iter().zip(&from_evtx) {
                assert_eq!(
                    as_text(&x.body["Event"]["EventData"]),
                    as_text(&e.body["Event"]["EventData"]),
                    "{}",
                    path.display()
                );
                assert_eq!(
                    as_text(&x.body["Event"]["System"]),
                    as_text(&e.body["Event"]["System"]),
                    "{}",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 8, "{checked} events compared");
}
