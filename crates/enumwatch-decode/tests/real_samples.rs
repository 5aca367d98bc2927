//! Real vendor samples end to end through the public API, including gzip through
//! `enumwatch-ingest` (how the pipeline reads them): truncated and multi-member streams keep
//! every complete record.

// Fixture helpers outside `#[test]` functions: a broken fixture should fail loudly.
#![allow(clippy::unwrap_used)]

use std::io::{Cursor, Write};
use std::sync::Arc;

use enumwatch_decode::{DecodeError, DecodeLimits, Format, decode};
use enumwatch_event::RawRecord;
use enumwatch_ingest::{Input, InputKind, Limits, open};
use serde_json::Value;

fn testdata(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn split(decoder: enumwatch_decode::Decoder) -> (Option<Format>, Vec<RawRecord>, Vec<DecodeError>) {
    let format = decoder.format();
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    for item in decoder {
        match item {
            Ok(r) => ok.push(r),
            Err(e) => err.push(e),
        }
    }
    (format, ok, err)
}

fn run(bytes: &[u8]) -> (Option<Format>, Vec<RawRecord>, Vec<DecodeError>) {
    split(decode(
        Arc::from("t"),
        Box::new(Cursor::new(bytes.to_vec())),
        &DecodeLimits::default(),
    ))
}

/// Write `bytes` to a file and read it back through ingest (gzip detected by magic bytes).
fn run_file(bytes: &[u8]) -> (Option<Format>, Vec<RawRecord>, Vec<DecodeError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("input.log");
    std::fs::write(&path, bytes).unwrap();
    let input = Input {
        name: Arc::from("input.log"),
        kind: InputKind::Path(path),
    };
    let opened = open(&input, &Limits::default()).unwrap();
    split(decode(input.name, opened.reader, &DecodeLimits::default()))
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn panther_rule_test_lines_are_json_lines() {
    let (format, records, errors) = run(&testdata("logs/panther/aws_cloudtrail_rule_tests.jsonl"));
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 4);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.location.record, i as u64);
        assert_eq!(record.location.line, Some(i as u64 + 1));
        assert_eq!(record.body["log_type"], "AWS.CloudTrail");
        assert_eq!(
            record.body["log"]["eventName"],
            "UpdateFunctionConfiguration20150331v2"
        );
    }
}

/// Differences between the evtx-rs release that rendered the SigmaHQ reference JSON and
/// evtx 0.15: GUIDs upper-case without braces, `SystemTime` with 6 fractional digits, string
/// values with trailing blanks trimmed. Everything else must match exactly.
fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("SystemTime", Value::String(s)) => {
                            let micro = s.trim_end_matches('Z');
                            let cut = micro
                                .find('.')
                                .map_or(micro.len(), |dot| (dot + 7).min(micro.len()));
                            Value::String(format!("{}Z", &micro[..cut]))
                        }
                        _ => canonical(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        Value::String(s) => {
            let t = s.trim_end();
            let unbraced = t.strip_prefix('{').and_then(|x| x.strip_suffix('}'));
            match unbraced {
                Some(g)
                    if g.len() == 36 && g.chars().all(|c| c.is_ascii_hexdigit() || c == '-') =>
                {
                    Value::String(g.to_ascii_uppercase())
                }
                _ => Value::String(t.to_owned()),
            }
        }
        other => other.clone(),
    }
}

#[test]
fn evtx_record_equals_the_sigma_regression_rendering() {
    let (format, records, errors) = run(&testdata("logs/sysmon/sigma_regression_adfind.evtx"));
    assert_eq!(format, Some(Format::Evtx));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].location.record, 0);
    assert_eq!(records[0].location.record_id, Some(650_014));
    let expected: Value =
        serde_json::from_slice(&testdata("logs/sysmon/sigma_regression_adfind.json")).unwrap();
    assert_eq!(
        canonical(&records[0].body["Event"]),
        canonical(&expected["Event"])
    );
    // The attributes and nesting are the `evtx_dump -o json` shape.
    assert_eq!(
        records[0].body["Event"]["System"]["Provider"]["#attributes"]["Name"],
        "Microsoft-Windows-Sysmon"
    );
}

#[test]
fn gzip_of_json_lines_is_read_through_ingest() {
    let text = testdata("logs/panther/aws_cloudtrail_rule_tests.jsonl");
    let (format, records, errors) = run_file(&gzip(&text));
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 4);
}

#[test]
fn every_gzip_member_is_read() {
    let mut data = gzip(b"{\"i\":0}\n{\"i\":1}\n");
    data.extend(gzip(b"{\"i\":2}\n"));
    data.extend(gzip(b"{\"i\":3}\n"));
    let (_, records, errors) = run_file(&data);
    assert!(errors.is_empty(), "{errors:?}");
    let got: Vec<_> = records
        .iter()
        .map(|r| r.body["i"].as_u64().unwrap())
        .collect();
    assert_eq!(got, [0, 1, 2, 3]);
}

#[test]
fn truncated_gzip_keeps_every_complete_record_before_the_cut() {
    let mut text = String::new();
    for i in 0..5000 {
        text.push_str(&format!(
            "{{\"i\":{i},\"pad\":\"{}\"}}\n",
            i * 7919 % 100_003
        ));
    }
    let first = gzip(b"{\"i\":-1}\n");
    let second = gzip(text.as_bytes());
    let mut data = first;
    data.extend_from_slice(&second[..second.len() * 2 / 3]);
    let (_, records, errors) = run_file(&data);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].reason(), "truncated_input");
    assert!(!errors[0].can_continue());
    assert!(
        errors[0].to_string().contains("compressed byte offset"),
        "{}",
        errors[0]
    );
    // Records are consecutive from the start: nothing before the break is lost or garbled.
    assert!(records.len() > 1000, "{}", records.len());
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record.body["i"].as_i64().unwrap(), n as i64 - 1);
        assert_eq!(record.location.line, Some(n as u64 + 1));
    }
    assert_eq!(errors[0].location.record, records.len() as u64);
}

#[test]
fn truncated_gzip_json_array_keeps_leading_elements() {
    let items: Vec<String> = (0..3000).map(|i| format!("{{\"i\":{i}}}")).collect();
    let doc = format!("{{\"Records\":[{}]}}", items.join(","));
    let data = gzip(doc.as_bytes());
    let (format, records, errors) = run_file(&data[..data.len() / 2]);
    assert_eq!(format, Some(Format::Json));
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "truncated_input");
    assert!(!records.is_empty());
    for (n, record) in records.iter().enumerate() {
        assert_eq!(record.body["i"].as_u64().unwrap(), n as u64);
    }
}

#[test]
fn gzip_cloudtrail_s3_object() {
    let raw = testdata("logs/cloudtrail/invictus_benjamin_iam_enumeration.json");
    let (format, records, errors) = run_file(&gzip(&raw));
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty());
    assert_eq!(records.len(), 3);
}
