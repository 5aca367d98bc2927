//! Decoder tests on real samples and on every bad-input class: each error is located and no good
//! record is lost.

use std::io::Cursor;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::Value;

use super::*;

pub(super) fn run(bytes: &[u8]) -> (Option<Format>, Vec<RawRecord>, Vec<DecodeError>) {
    run_with(bytes, &DecodeLimits::default())
}

fn run_with(
    bytes: &[u8],
    limits: &DecodeLimits,
) -> (Option<Format>, Vec<RawRecord>, Vec<DecodeError>) {
    let decoder = decode(
        Arc::from("t"),
        Box::new(Cursor::new(bytes.to_vec())),
        limits,
    );
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

/// The map of a JSON object (tests build them with `json!`).
pub(crate) fn object(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
    match v {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

pub(super) fn testdata(rel: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn cloudtrail_s3_object_streams_each_record_with_its_line() {
    let (format, records, errors) = run(&testdata(
        "logs/cloudtrail/invictus_benjamin_iam_enumeration.json",
    ));
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<_> = records
        .iter()
        .map(|r| r.body["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ListUsers",
            "GetAccountSummary",
            "GetAccountAuthorizationDetails"
        ]
    );
    assert_eq!(records[0].location.record, 0);
    assert_eq!(records[2].location.record, 2);
    assert!(records[1].location.line.unwrap() > records[0].location.line.unwrap());
}

#[test]
fn json_array_of_records() {
    let (format, records, errors) = run(&testdata(
        "logs/cloudtrail/stratus_aws.discovery.ec2-download-user-data.json",
    ));
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty());
    assert!(records.len() > 10);
    assert!(records.iter().all(|r| r.body.get("eventName").is_some()));
}

#[test]
fn powershell_pretty_array_with_bom() {
    let text = "\u{feff}[\r\n    {\r\n        \"id\":  \"a\",\r\n        \"n\":  1\r\n    },\r\n    {\r\n        \"id\":  \"b\"\r\n    }\r\n]\r\n";
    let (format, records, errors) = run(text.as_bytes());
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty());
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].body["id"], "b");
    assert_eq!(records[1].location.line, Some(6));
}

#[test]
fn utf16le_export_is_transcoded() {
    let mut bytes = vec![0xff, 0xfe];
    for unit in "[{\"a\": \"ü\"}]".encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let (_, records, errors) = run(&bytes);
    assert!(errors.is_empty());
    assert_eq!(records[0].body["a"], "ü");
}

#[test]
fn bad_array_element_costs_one_record() {
    let text = b"[{\"a\":1}, {\"a\": tru}, {\"a\":3}]";
    let (_, records, errors) = run(text);
    assert_eq!(records.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "invalid_json");
    assert_eq!(errors[0].location.record, 1);
    assert_eq!(records[1].location.record, 2);
}

#[test]
fn jsonl_bad_line_blank_line_and_wrapper_line() {
    let text = b"{\"a\":1}\n{\"a\":\n\n{\"Records\":[{\"a\":3},{\"a\":4}]}\n";
    let (format, records, errors) = run(text);
    assert_eq!(format, Some(Format::JsonLines));
    assert_eq!(records.len(), 3);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location.line, Some(2));
    assert_eq!(records[1].location.line, Some(4));
    assert_eq!(records[2].location.line, Some(4));
    assert_eq!(records[2].location.record, 3);
    assert!(errors[0].can_continue());
}

#[test]
fn overlong_line_is_skipped_and_the_next_survives() {
    let mut text = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(5000)).into_bytes();
    text.extend_from_slice(b"{\"a\":2}\n");
    let limits = DecodeLimits {
        max_record_bytes: 1000,
        ..DecodeLimits::default()
    };
    let (_, records, errors) = run_with(&text, &limits);
    assert_eq!(records.len(), 1);
    assert_eq!(errors[0].reason(), "record_too_large");
    assert_eq!(errors[0].location.line, Some(1));
    assert_eq!(records[0].location.line, Some(2));
}

#[test]
fn csv_with_json_cells_and_a_short_row() {
    let (format, records, errors) = run(&testdata("logs/entra_audit/AuditLogs_Hunting.csv"));
    assert_eq!(format, Some(Format::Csv));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 5);
    assert!(
        records[0]
            .body
            .as_object()
            .unwrap()
            .contains_key("OperationName")
    );
    assert!(
        records
            .iter()
            .any(|r| r.body.as_object().unwrap().values().any(Value::is_object))
    );
    let (_, records, errors) = run(b"a,b,c\n1,2,3\n4,5\n6,7,8\n");
    assert_eq!(records.len(), 2);
    assert_eq!(errors[0].reason(), "invalid_csv");
    assert_eq!(errors[0].location.line, Some(3));
}

#[test]
fn evtx_matches_the_reference_rendering() {
    let (format, records, errors) = run(&testdata("demo/sysmon_adfind_sigma_regression.evtx"));
    assert_eq!(format, Some(Format::Evtx));
    assert!(errors.is_empty());
    assert_eq!(records.len(), 1);
    // The reference was rendered by an older evtx-rs: GUIDs there are upper-case without braces
    // and SystemTime has 6 fractional digits; every other value must be identical.
    let expected: Value =
        serde_json::from_slice(&testdata("logs/sysmon/sigma_regression_adfind.json")).unwrap();
    let got = &records[0].body["Event"];
    let want = &expected["Event"];
    for key in [
        "EventID",
        "EventRecordID",
        "Computer",
        "Channel",
        "Security",
    ] {
        assert_eq!(got["System"][key], want["System"][key], "System.{key}");
    }
    for (key, value) in want["EventData"].as_object().unwrap() {
        if key.ends_with("Guid") || key == "ParentCommandLine" {
            continue;
        }
        assert_eq!(&got["EventData"][key], value, "EventData.{key}");
    }
    assert_eq!(
        got["EventData"]["ParentCommandLine"]
            .as_str()
            .unwrap()
            .trim_end(),
        want["EventData"]["ParentCommandLine"]
    );
    assert_eq!(records[0].location.record_id, Some(650_014));
}

#[test]
fn auditd_groups_interleaved_events_in_first_line_order() {
    let text = b"type=SYSCALL msg=audit(1.0:1): exe=\"/usr/bin/aws\"\n\
type=SYSCALL msg=audit(1.0:2): exe=\"/bin/ls\"\n\
type=EXECVE msg=audit(1.0:1): argc=1 a0=\"aws\"\n\
garbage line\n\
type=EOE msg=audit(1.0:1): \n\
type=EXECVE msg=audit(1.0:2): argc=1 a0=\"ls\"\n";
    let (format, records, errors) = run(text);
    assert_eq!(format, Some(Format::Auditd));
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].body["auditd"]["serial"], "1");
    assert_eq!(records[0].body["auditd"]["records"][1]["a0"], "\"aws\"");
    assert_eq!(records[0].location.line, Some(1));
    assert_eq!(
        records[1].body["auditd"]["records"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "invalid_auditd");
    assert_eq!(errors[0].location.line, Some(4));
}

#[test]
fn empty_and_unknown_inputs() {
    let (format, records, errors) = run(b"");
    assert_eq!((format, records.len(), errors.len()), (None, 0, 0));
    let (format, records, errors) = run(b"\n  \n");
    assert_eq!((format, records.len(), errors.len()), (None, 0, 0));
    let (format, _, errors) = run(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    assert_eq!(format, None);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "unknown_format");
    assert!(!errors[0].can_continue());
    assert!(errors[0].to_string().contains("expected JSON"));
}

/// Formats logs are kept in that enumwatch does not read are named, with what to do.
#[test]
fn known_other_formats_are_named_with_what_to_do() {
    for (head, says) in [
        (&b"LPKSHHRH\0\0\0\0"[..], "journalctl -o json --file"),
        (b"PAR1\x15\x04", "Parquet"),
        (b"SQLite format 3\0\x10\0", "SQLite database"),
        (b"BZh91AY&SY", "bunzip2"),
        (b"\xfd7zXZ\0\0", "unxz"),
        (b"\x28\xb5\x2f\xfd\x04", "zstd -d"),
        (b"7z\xbc\xaf\x27\x1c\0\x04", "7-Zip"),
        (b"Rar!\x1a\x07\x01\0", "RAR"),
        (b"PK\x03\x04\x14\0\0\0", "name the file itself"),
    ] {
        let (format, _, errors) = run(head);
        assert_eq!(format, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].reason(), "unknown_format");
        let message = errors[0].to_string();
        assert!(message.contains(says), "{message}");
    }
}

#[test]
fn truncated_document_is_a_located_error_after_the_good_records() {
    let (_, records, errors) = run(b"[{\"a\":1},{\"a\":2},{\"a\":");
    assert_eq!(records.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "truncated_input");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = run(&bytes);
    }

    #[test]
    fn arbitrary_bytes_after_a_format_prefix_never_panic(
        prefix in prop::sample::select(vec![
            "[", "[\n  {", "{\"Records\":[", "{\"value\": [", "{\"a\":1}\n", "a,b\n",
            "type=X msg=audit(1:2): ", "ElfFile\0", "\u{feff}[", "\u{feff}a,b\n",
            "<Event xmlns='x'><System><EventID>1</EventID></System><EventData><Data Name='a'>",
            "<?xml version='1.0'?><Events><Event>",
        ]),
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut all = prefix.as_bytes().to_vec();
        all.extend(bytes);
        let _ = run(&all);
    }

    #[test]
    fn one_corrupt_jsonl_line_costs_exactly_one_record(n in 1usize..20, bad in 0usize..20) {
        let bad = bad % (n + 1);
        let mut text = String::new();
        for i in 0..=n {
            if i == bad { text.push_str("{\"broken\": \n"); } else { text.push_str(&format!("{{\"i\":{i}}}\n")); }
        }
        let (_, records, errors) = run(text.as_bytes());
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].location.line, Some(bad as u64 + 1));
    }

    /// The same property through the UTF-16 transcoder, with and without a byte-order mark.
    #[test]
    fn one_corrupt_utf16_jsonl_line_costs_exactly_one_record(n in 1usize..20, bad in 0usize..20, little in any::<bool>(), bom in any::<bool>()) {
        let bad = bad % (n + 1);
        let mut text = String::new();
        for i in 0..=n {
            if i == bad { text.push_str("{\"broken\": \n"); } else { text.push_str(&format!("{{\"i\":\"é{i}\"}}\n")); }
        }
        let mut bytes = Vec::new();
        if bom {
            bytes.extend_from_slice(if little { &[0xff, 0xfe] } else { &[0xfe, 0xff] });
        }
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&if little { unit.to_le_bytes() } else { unit.to_be_bytes() });
        }
        let (format, records, errors) = run(&bytes);
        prop_assert_eq!(format, Some(Format::JsonLines));
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].location.line, Some(bad as u64 + 1));
    }

    /// Sysmon for Linux in syslog: N events among other programs' lines and one event cut short
    /// give N events, a record for every other line and exactly one error, at the cut line.
    #[test]
    fn one_cut_sysmon_event_in_syslog_costs_exactly_that_line(n in 1usize..12, bad in 0usize..12, others in 0usize..3) {
        let bad = bad % (n + 1);
        let event = |i: usize| format!("<Event><System><Provider Name=\"Linux-Sysmon\"/><EventID>1</EventID></System><EventData><Data Name=\"CommandLine\">ls -l /tmp/{i} &amp;&amp; id</Data></EventData></Event>");
        let mut text = String::new();
        for i in 0..=n {
            for _ in 0..others {
                text.push_str("Dec  3 06:12:05 host systemd[1]: Started Session 5 of User u.\n");
            }
            let body = if i == bad { event(i)[..60].to_owned() } else { event(i) };
            text.push_str(&format!("Dec  3 06:12:0{} host sysmon: {body}\n", i % 10));
        }
        let (format, records, errors) = run(text.as_bytes());
        prop_assert_eq!(format, Some(Format::Syslog));
        let events: Vec<_> = records.iter().filter(|r| r.body.get("Event").is_some()).collect();
        prop_assert_eq!(events.len(), n);
        prop_assert_eq!(records.len() - events.len(), (n + 1) * others);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].location.line, Some(((bad + 1) * (others + 1)) as u64));
        prop_assert!(events.iter().all(|e| e.body["Event"]["EventData"]["CommandLine"].as_str().is_some_and(|c| c.ends_with("&& id"))));
    }

    #[test]
    fn one_corrupt_array_element_costs_exactly_one_record(n in 1usize..20, bad in 0usize..20, wrap in any::<bool>()) {
        let bad = bad % (n + 1);
        let items: Vec<String> = (0..=n).map(|i| if i == bad { "{\"x\": nope}".to_owned() } else { format!("{{\"i\":{i}}}") }).collect();
        let body = format!("[\n{}\n]", items.join(",\n"));
        let text = if wrap { format!("{{\"Records\": {body}}}") } else { body };
        let (_, records, errors) = run(text.as_bytes());
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].reason(), "invalid_json");
        prop_assert_eq!(errors[0].location.record, bad as u64);
        prop_assert_eq!(errors[0].location.line, Some(bad as u64 + 2));
    }

    #[test]
    fn one_short_csv_row_costs_exactly_one_record(n in 1usize..20, bad in 0usize..20) {
        let bad = bad % (n + 1);
        let mut text = String::from("a,b,c\n");
        for i in 0..=n {
            if i == bad { text.push_str("only,two\n"); } else { text.push_str(&format!("{i},x,y\n")); }
        }
        let (_, records, errors) = run(text.as_bytes());
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].reason(), "invalid_csv");
        prop_assert_eq!(errors[0].location.record, bad as u64);
        prop_assert_eq!(errors[0].location.line, Some(bad as u64 + 2));
    }

    #[test]
    fn utf16_bom_then_arbitrary_bytes_never_panic(
        big_endian in any::<bool>(),
        bytes in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut all = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        all.extend(bytes);
        let _ = run(&all);
    }

    #[test]
    fn one_corrupt_line_in_auditd_groups_costs_exactly_that_line(
        n in 1usize..12,
        bad in 0usize..12,
        eoe in any::<bool>(),
    ) {
        let bad = bad % n;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("type=SYSCALL msg=audit(1600000000.{i:03}:{i}): arch=c000003e syscall=59 exe=\"/usr/bin/aws\"\n"));
            if i == bad { text.push_str("type=EXECVE audit(1600000000.000:1): argc=1 a0=\"x\"\n"); }
            text.push_str(&format!("type=EXECVE msg=audit(1600000000.{i:03}:{i}): argc=2 a0=\"aws\" a1=\"iam\"\n"));
            if eoe { text.push_str(&format!("type=EOE msg=audit(1600000000.{i:03}:{i}): \n")); }
        }
        let (_, records, errors) = run(text.as_bytes());
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
        prop_assert_eq!(errors[0].reason(), "invalid_auditd");
        let per_group = if eoe { 3 } else { 2 };
        prop_assert_eq!(errors[0].location.line, Some((bad * per_group + 2) as u64));
        for (i, record) in records.iter().enumerate() {
            let serial = i.to_string();
            prop_assert_eq!(record.body["auditd"]["serial"].as_str(), Some(serial.as_str()));
            prop_assert_eq!(record.body["auditd"]["records"].as_array().map(Vec::len), Some(2));
        }
    }

    #[test]
    fn one_bad_auditd_line_costs_nothing_but_itself(n in 1usize..10, bad in 0usize..10) {
        let bad = bad % n;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&format!("type=EXECVE msg=audit(1.0:{i}): argc=1 a0=\"x\"\n"));
            if i == bad { text.push_str("not an audit line\n"); }
        }
        let (_, records, errors) = run(text.as_bytes());
        prop_assert_eq!(records.len(), n);
        prop_assert_eq!(errors.len(), 1);
    }
}

#[test]
fn gzip_is_not_this_crates_business_but_decoded_bytes_are() {
    // A gzip member fed here without ingest is unknown binary: one clear error, no panic.
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(b"{\"a\":1}\n").unwrap();
    let (_, records, errors) = run(&enc.finish().unwrap());
    assert!(records.is_empty());
    assert_eq!(errors.len(), 1);
}

#[test]
fn utf16be_export_is_transcoded() {
    let mut bytes = vec![0xfe, 0xff];
    for unit in "a,b\r\n1,\u{e9}\r\n".encode_utf16() {
        bytes.extend_from_slice(&unit.to_be_bytes());
    }
    let (format, records, errors) = run(&bytes);
    assert_eq!(format, Some(Format::Csv));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records[0].body["b"], "\u{e9}");
}

#[test]
fn oversized_and_too_deep_array_elements_cost_one_record_each() {
    let text = format!(
        "[{{\"a\":1}}, {{\"pad\":\"{}\"}}, {{\"d\":{}{}}}, {{\"a\":4}}]",
        "x".repeat(2000),
        "[".repeat(40),
        "]".repeat(40)
    );
    let limits = DecodeLimits {
        max_record_bytes: 1000,
        max_depth: 16,
        ..DecodeLimits::default()
    };
    let (_, records, errors) = run_with(text.as_bytes(), &limits);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].body["a"], 4);
    assert_eq!(records[1].location.record, 3);
    let reasons: Vec<_> = errors.iter().map(DecodeError::reason).collect();
    assert_eq!(reasons, ["record_too_large", "invalid_json"]);
    assert_eq!(errors[0].location.record, 1);
    assert_eq!(errors[1].location.record, 2);
}

#[test]
fn too_deep_single_object_is_an_error_not_a_silent_null() {
    let text = format!("{{\"a\": 1, \"d\": {}{}}}", "[".repeat(40), "]".repeat(40));
    let limits = DecodeLimits {
        max_record_bytes: 1 << 20,
        max_depth: 16,
        ..DecodeLimits::default()
    };
    let (format, records, errors) = run_with(text.as_bytes(), &limits);
    assert_eq!(format, Some(Format::Json));
    assert!(records.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "invalid_json");
    assert!(errors[0].to_string().contains("nested deeper than 16"));
}

#[test]
fn single_object_and_wrapper_with_other_keys() {
    let (_, records, errors) = run(b"{\n  \"eventName\":  \"ListUsers\",\n  \"n\":  [1, 2]\n}\n");
    assert!(errors.is_empty());
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].body["n"][1], 2);
    let text = b"{\"@odata.context\": \"x\", \"value\": [{\"id\": 1},\n{\"id\": 2}], \"@odata.nextLink\": \"y\"}";
    let (_, records, errors) = run(text);
    assert!(errors.is_empty());
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].location.line, Some(2));
}

#[test]
fn slack_audit_logs_page_entries_are_records() {
    let text = b"{\"entries\": [\n{\"id\": \"a\", \"action\": \"user_login\"},\n{\"id\": \"b\"}\n],\n\"response_metadata\": {\"next_cursor\": \"\"}}\n";
    let (format, records, errors) = run(text);
    assert_eq!(format, Some(Format::Json));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].body["action"], "user_login");
    assert_eq!(records[1].location.line, Some(3));
    // The same page saved on one line of a JSON-lines file.
    let lines = b"{\"entries\": [{\"id\": \"a\"}, {\"id\": \"b\"}], \"response_metadata\": {}}\n{\"id\": \"c\"}\n";
    let (format, records, errors) = run(lines);
    assert_eq!(format, Some(Format::JsonLines));
    assert!(errors.is_empty(), "{errors:?}");
    let ids: Vec<_> = records.iter().map(|r| r.body["id"].clone()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    // The emulated page in testdata.
    let (_, records, errors) = run(&testdata("logs/slack/emulated_audit_logs_page.json"));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 3);
}

#[test]
fn auditd_line_without_msg_audit_is_located_and_multipart_fields_are_kept() {
    let text = b"type=EXECVE msg=audit(1600000000.123:456): argc=3 a0=\"aws\" a1=\"iam\" a2[0]=6C697374 a2[1]=2D7573657273\n\
type=PATH name=\"/usr/bin/aws\"\n\
type=EOE msg=audit(1600000000.123:456): \n";
    let (format, records, errors) = run(text);
    assert_eq!(format, Some(Format::Auditd));
    assert_eq!(records.len(), 1);
    let group = &records[0].body["auditd"];
    assert_eq!(group["time"], "1600000000.123");
    assert_eq!(group["serial"], "456");
    assert_eq!(group["records"][0]["type"], "EXECVE");
    assert_eq!(group["records"][0]["argc"], "3");
    assert_eq!(group["records"][0]["a2[0]"], "6C697374");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].location.line, Some(2));
    assert!(errors[0].can_continue());
}

/// Admits text holding `keep`.
#[derive(Debug)]
struct KeepOnly;

impl RecordPrefilter for KeepOnly {
    fn admits(&self, text: &[u8]) -> bool {
        text.windows(4).any(|w| w == b"keep")
    }
}

fn prefiltered(bytes: &[u8]) -> (Vec<RawRecord>, Vec<DecodeError>, u64) {
    let limits = DecodeLimits {
        prefilter: Some(Arc::new(KeepOnly)),
        ..DecodeLimits::default()
    };
    let mut decoder = decode(
        Arc::from("t"),
        Box::new(Cursor::new(bytes.to_vec())),
        &limits,
    );
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    for item in &mut decoder {
        match item {
            Ok(r) => ok.push(r),
            Err(e) => err.push(e),
        }
    }
    (ok, err, decoder.prefiltered())
}

#[test]
fn prefiltered_json_lines_are_skipped_counted_and_keep_their_record_numbers() {
    let text = b"{\"a\":\"drop\"}\n{\"a\":\"keep\"}\n{not json, drop}\n{\"a\":\"keep\",}\n\n{\"a\":\"keep 2\"}\n";
    let (ok, err, skipped) = prefiltered(text);
    assert_eq!(skipped, 1, "only the well-formed line without the literal");
    assert_eq!(ok.len(), 2);
    assert_eq!(
        ok.iter().map(|r| r.location.record).collect::<Vec<_>>(),
        vec![1, 4],
        "record numbers as without the prefilter"
    );
    // Malformed lines are reported where they are, whether the prefilter admits them or not,
    // with the errors a run without the prefilter gives.
    let (_, ok_all, err_all) = run(text);
    assert_eq!((ok_all.len(), err_all.len()), (3, 2));
    assert_eq!(err.len(), 2);
    for (e, all) in err.iter().zip(&err_all) {
        assert_eq!(e.location, all.location);
        assert_eq!(e.to_string(), all.to_string());
    }
}

#[test]
fn lines_of_several_records_are_never_skipped_so_record_numbers_stay() {
    // Wrappers with spaces and tabs around the colon, and a plain record whose `value` keys
    // hold no array (as in CloudTrail tags): only the plain ones may be skipped.
    let text = b"{\"Records\": [{\"a\": \"drop\"}, {\"a\": \"drop\"}]}\n[{\"a\": \"drop\"}, {\"a\": 1}]\n{\"a\":\"drop\"}\n{\"value\": \"drop\", \"tags\": [{\"key\": \"k\", \"value\": \"v\"}]}\n{\"entries\" :\t[{\"a\": \"drop\"}]}\n{\"a\":\"keep\"}\n";
    let (_, all, _) = run(text);
    let kept = all
        .iter()
        .find(|r| r.body["a"] == "keep")
        .unwrap()
        .location
        .record;
    assert_eq!(kept, 7);
    for check_skipped in [true, false] {
        let limits = DecodeLimits {
            prefilter: Some(Arc::new(KeepOnly)),
            check_skipped,
            ..DecodeLimits::default()
        };
        let mut decoder = decode(
            Arc::from("t"),
            Box::new(Cursor::new(text.to_vec())),
            &limits,
        );
        let records: Vec<RawRecord> = (&mut decoder).map(Result::unwrap).collect();
        assert_eq!(
            decoder.prefiltered(),
            2,
            "only the plain lines are skipped (check_skipped {check_skipped})"
        );
        let found = records.iter().find(|r| r.body["a"] == "keep").unwrap();
        assert_eq!(found.location.record, kept, "check_skipped {check_skipped}");
    }
}

#[test]
fn unchecked_skipping_skips_malformed_records_too() {
    let limits = DecodeLimits {
        prefilter: Some(Arc::new(KeepOnly)),
        check_skipped: false,
        ..DecodeLimits::default()
    };
    let text = b"{\"a\":\"drop\"}\n{not json, drop}\n{\"a\":\"keep\"}\n";
    let mut decoder = decode(
        Arc::from("t"),
        Box::new(Cursor::new(text.to_vec())),
        &limits,
    );
    let items: Vec<_> = (&mut decoder).collect();
    assert_eq!(items.len(), 1);
    assert!(items.iter().all(Result::is_ok));
    assert_eq!(decoder.prefiltered(), 2);
}

#[test]
fn prefiltered_records_are_skipped_only_when_the_parse_would_accept_them() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for text in [
        deep.as_str(),
        r#"{"a":"\ud800"}"#,
        r#"{"a":tru}"#,
        r#"{"a":1,}"#,
        "{\"a\":\"\u{1}\"}",
    ] {
        let line = format!("{text}\n");
        let (ok, err, skipped) = prefiltered(line.as_bytes());
        assert_eq!(skipped, 0, "{text}");
        let (_, ok_all, err_all) = run(line.as_bytes());
        assert!(!err.is_empty(), "{text}");
        assert_eq!(ok.len(), ok_all.len(), "{text}");
        let messages = |e: &[DecodeError]| e.iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(messages(&err), messages(&err_all), "{text}");
    }
}

#[test]
fn prefiltered_json_array_elements_are_skipped_and_counted() {
    let text = br#"{"Records": [{"a": "drop"}, {"a": "keep"}, {"a": "drop"}]}"#;
    let (ok, err, skipped) = prefiltered(text);
    assert!(err.is_empty(), "{err:?}");
    assert_eq!(skipped, 2);
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].body["a"], "keep");
    assert_eq!(ok[0].location.record, 1);
}

fn arb_json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Equal, but for floats a few units in the last place apart: sonic-rs rounds decimal text to
/// the nearest double, serde_json (without `float_roundtrip`) is sometimes an ulp or two off.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_f64() && y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
            x == y || (x - y).abs() <= 1e-14 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The SIMD parse accepts exactly what serde_json accepts and yields the same value.
    #[test]
    fn simd_parse_agrees_with_serde_json(
        value in arb_json_value(),
        cut in any::<prop::sample::Index>(),
        junk in prop::sample::select(vec!["", " ", "x", "}", "\\", "\u{0}", "1e400", "\"\\ud800\""]),
    ) {
        let text = serde_json::to_string(&value).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        let at = cut.index(text.len() + 1);
        let spliced = match (text.get(..at), text.get(at..)) {
            (Some(a), Some(b)) => format!("{a}{junk}{b}"),
            _ => text.clone(),
        };
        for candidate in [text.as_str(), pretty.as_str(), spliced.as_str()] {
            let ours = crate::error::parse_json(candidate.as_bytes()).ok();
            let reference = serde_json::from_str::<Value>(candidate).ok();
            let agree = match (&ours, &reference) {
                (Some(a), Some(b)) => same_value(a, b),
                (None, None) => true,
                _ => false,
            };
            prop_assert!(agree, "on {:?}: {:?} vs {:?}", candidate, ours, reference);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Records of a JSON document come out whole wherever the 8 KiB read buffer boundaries fall
    /// (padding moves them through the records), with the line each record starts on.
    #[test]
    fn json_documents_decode_whole_across_buffer_boundaries(
        records in prop::collection::vec((arb_json_value(), 0usize..6000), 1..8),
        wrapped in any::<bool>(),
    ) {
        let elements: Vec<Value> = records
            .into_iter()
            .map(|(r, pad)| serde_json::json!({"pad": "\\\"x".repeat(pad / 3), "r": r}))
            .collect();
        let array = serde_json::to_string_pretty(&Value::Array(elements.clone())).unwrap();
        let text = if wrapped { format!("{{\"Records\": {array}}}") } else { array };
        let (_, ok, errors) = run(text.as_bytes());
        prop_assert!(errors.is_empty(), "{:?}", errors);
        prop_assert_eq!(ok.iter().map(|r| r.body.clone()).collect::<Vec<_>>(), elements);
        for r in &ok {
            let line = r.location.line.unwrap_or(0) as usize;
            let opening = text.lines().nth(line.saturating_sub(1)).unwrap_or_default().trim();
            prop_assert!(opening.starts_with('{'), "record at line {} opens with {:?}", line, opening);
        }
    }
}
