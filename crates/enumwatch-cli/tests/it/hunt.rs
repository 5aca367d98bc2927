//! `enumwatch hunt` on the bundled demo logs and on every bad-input class.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

use crate::{enumwatch, repo_root, stderr, stdout, without_locations};

fn alerts_of(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every output line is a JSON alert"))
        .collect()
}

/// (file name, record index) of each alert's first evidence.
fn evidence_keys(alerts: &[Value]) -> BTreeSet<(String, u64)> {
    alerts
        .iter()
        .map(|a| {
            let ev = &a["evidence"][0];
            let source = ev["source"].as_str().unwrap();
            let name = source.rsplit('/').next().unwrap().to_owned();
            (name, ev["record"].as_u64().unwrap())
        })
        .collect()
}

#[test]
fn demo_logs_give_exactly_the_emulated_attacks() {
    let out = enumwatch(&["hunt", "testdata/demo", "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let alerts = alerts_of(&out);
    let sysmon = "sysmon_process_creation.jsonl";
    let defender = "defender_device_process_events.jsonl";
    let ps = "powershell_4104_scriptblocks.jsonl";
    let auditd = "auditd_gcloud.log";
    let cloudtrail = "218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz";
    let expected: BTreeSet<(String, u64)> = [
        // az ad user list (python -IBm azure.cli), aws list-users/list-roles,
        // get-account-authorization-details via cmd, MSOnline, roadrecon gather,
        // caret-obfuscated aws, -enc Get-MgUser -All.
        (sysmon, 0),
        (sysmon, 1),
        (sysmon, 2),
        (sysmon, 3),
        (sysmon, 4),
        (sysmon, 6),
        (sysmon, 7),
        (sysmon, 8),
        // Get-EXOMailbox -ResultSize Unlimited, azurehound list, Invoke-AzureHound, Pacu.
        (defender, 0),
        (defender, 1),
        (defender, 2),
        (defender, 3),
        // The reassembled AADInternals script block (first part's record), Get-Recipient.
        (ps, 0),
        (ps, 1),
        // gcloud iam service-accounts list, gcloud projects get-iam-policy.
        (auditd, 0),
        (auditd, 1),
        // The real Invictus CloudTrail object: GetAccountAuthorizationDetails by `benjamin`
        // (the rest of his burst is in the next object, so no burst alert here).
        (cloudtrail, 27),
    ]
    .into_iter()
    .map(|(f, r)| (f.to_owned(), r))
    .collect();
    assert_eq!(evidence_keys(&alerts), expected);
    for alert in &alerts {
        assert_eq!(alert["technique"], "T1087.004");
        assert!(
            alert["analytic"].as_str().unwrap().starts_with("AN108"),
            "{alert}"
        );
        assert!(!alert["explanation"].as_str().unwrap().is_empty());
        assert!(!alert["investigation"].as_array().unwrap().is_empty());
        assert!(!alert["response"].as_array().unwrap().is_empty());
    }
    let by_record = |file: &str, record: u64| {
        alerts
            .iter()
            .find(|a| {
                a["evidence"][0]["source"].as_str().unwrap().ends_with(file)
                    && a["evidence"][0]["record"] == record
            })
            .unwrap()
            .clone()
    };
    let azure = by_record(sysmon, 0);
    assert_eq!(azure["platform"], "Azure/M365");
    assert_eq!(azure["tool_category"], "BuiltInEnumeration");
    assert_eq!(azure["analytic"], "AN1087");
    let obfuscated = by_record(sysmon, 7);
    assert_eq!(obfuscated["platform"], "AWS");
    assert_eq!(obfuscated["confidence"], "high");
    let roadrecon = by_record(sysmon, 6);
    assert_eq!(roadrecon["tool_category"], "KnownOffensiveTool");
    let mailbox = by_record(defender, 0);
    assert_eq!(mailbox["analytic"], "AN1089");
    let gcloud = by_record(auditd, 0);
    assert_eq!(gcloud["platform"], "GCP");
    assert_eq!(gcloud["evidence"][0]["line"], 1);
    let summary = stderr(&out);
    assert!(
        summary.contains("cloudtrail"),
        "CloudTrail events are counted: {summary}"
    );
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let one = enumwatch(&[
        "hunt",
        "testdata/demo",
        "--format",
        "jsonl",
        "--threads",
        "1",
    ]);
    let two = enumwatch(&[
        "hunt",
        "testdata/demo",
        "--format",
        "jsonl",
        "--threads",
        "2",
    ]);
    assert_eq!(one.status.code(), Some(0));
    assert_eq!(stdout(&one), stdout(&two));
    assert_eq!(stderr(&one), stderr(&two));
}

/// One input and two threads: a JSON-lines input's lines are decoded in parallel batches ahead
/// of the rest of the pipeline, an EVTX log's chunks are rendered in parallel, other formats are
/// decoded on a thread of their own. Alerts, summary and exit status are those of one thread,
/// also when the input ends in a truncated gzip member.
#[test]
fn a_single_input_pipelined_on_two_threads_gives_the_same_output() {
    for input in [
        "testdata/demo/sysmon_process_creation.jsonl",
        "testdata/logs/cloudtrail/invictus_benjamin_iam_enumeration.json",
        "testdata/bad/truncated_second_member.jsonl.gz",
        "testdata/bad/bad_line.jsonl",
        "testdata/logs/sysmon/sigma_regression_adfind.evtx",
    ] {
        let run =
            |threads: &str| enumwatch(&["hunt", input, "--format", "jsonl", "--threads", threads]);
        let (one, two) = (run("1"), run("2"));
        assert_eq!(one.status.code(), two.status.code(), "{input}");
        assert_eq!(stdout(&one), stdout(&two), "{input}");
        assert_eq!(stderr(&one), stderr(&two), "{input}");
    }
}

/// A JSON-lines input of many batches (several MiB, with blank, malformed and prefiltered lines
/// throughout): on two threads its batches are read, decoded and matched at once, and still give
/// the alerts, record numbers, errors and counts of one thread, with and without the prefilter.
#[test]
fn a_large_input_decoded_in_parallel_batches_gives_the_same_output() {
    let sample =
        std::fs::read_to_string(repo_root().join("testdata/demo/sysmon_process_creation.jsonl"))
            .unwrap();
    let mut text = String::new();
    for copy in 0..300 {
        for (i, line) in sample.lines().enumerate() {
            text.push_str(line);
            text.push('\n');
            if (copy * 7 + i) % 97 == 0 {
                text.push_str("{\"broken\": \n\n");
            }
        }
    }
    assert!(text.len() > 2 << 20, "{} bytes", text.len());
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    std::fs::write(&input, &text).unwrap();
    let input = input.to_str().unwrap();
    for extra in [&[][..], &["--no-prefilter"][..]] {
        let run = |threads: &str| {
            let mut args = vec!["hunt", input, "--format", "jsonl", "--threads", threads];
            args.extend_from_slice(extra);
            enumwatch(&args)
        };
        let (one, two) = (run("1"), run("2"));
        assert_eq!(one.status.code(), two.status.code(), "{extra:?}");
        assert!(!stdout(&one).is_empty());
        assert_eq!(stdout(&one), stdout(&two), "{extra:?}");
        assert_eq!(stderr(&one), stderr(&two), "{extra:?}");
    }
}

#[test]
fn the_sentinel_kql_rule_reproduces_the_kql_verdicts_and_quirks() {
    let out = enumwatch(&[
        "hunt",
        "testdata/demo",
        "--rule",
        "sentinel-kql-t1087-004",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let alerts = alerts_of(&out);
    assert!(!alerts.is_empty());
    for alert in &alerts {
        assert_eq!(alert["rule"]["title"], alerts[0]["rule"]["title"]);
    }
    // `Get-Msol` does not `has`-match `Get-MsolUser`, so the KQL case() says Unknown.
    let msol = alerts
        .iter()
        .find(|a| {
            a["command_line"]
                .as_str()
                .unwrap_or("")
                .contains("Get-MsolUser -All")
        })
        .expect("the MSOnline command matches the KQL rule");
    assert_eq!(msol["platform"], "Unknown");
    assert_eq!(msol["tool_category"], "BuiltInEnumeration");
    // The KQL rule only looks at powershell/pwsh/cmd/python/python3 processes: aws.exe is missed.
    assert!(
        !alerts
            .iter()
            .any(|a| a["process"].as_str().unwrap_or("").ends_with("aws.exe")),
        "the KQL FileName filter excludes aws.exe"
    );
}

#[test]
fn table_output_and_summary_snapshot() {
    let out = enumwatch(&["hunt", "testdata/demo"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!("demo_table", stdout(&out));
    insta::assert_snapshot!("demo_summary", stderr(&out));
}

#[test]
fn bad_inputs_are_located_and_counted_and_good_records_survive() {
    let dir = tempfile::tempdir().unwrap();
    let demo =
        std::fs::read_to_string(repo_root().join("testdata/demo/sysmon_process_creation.jsonl"))
            .unwrap();
    let good_line = demo.lines().nth(1).unwrap();
    let huge = format!(
        "{{\"pad\": \"{}\"}}\n{good_line}\n",
        "x".repeat(2 * 1024 * 1024)
    );
    let huge_path = dir.path().join("huge_line.jsonl");
    std::fs::write(&huge_path, huge).unwrap();
    let stats_path = dir.path().join("stats.json");
    let out = enumwatch(&[
        "hunt",
        "testdata/bad",
        huge_path.to_str().unwrap(),
        "--max-record-mib",
        "1",
        "--format",
        "jsonl",
        "--stats-json",
        stats_path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "input errors give exit 2: {}",
        stderr(&out)
    );
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
    assert_eq!(stats["inputs"], 18);
    assert_eq!(stats["inputs_empty"], 1);
    assert_eq!(stats["malformed"]["invalid_json"], 5);
    assert_eq!(stats["malformed"]["invalid_utf8"], 1);
    assert_eq!(stats["malformed"]["invalid_auditd"], 1);
    // The misspelt end tag of the wevtutil export and the Sysmon event rsyslog cut.
    assert_eq!(stats["malformed"]["invalid_xml"], 2);
    assert_eq!(stats["malformed"]["unknown_format"], 1);
    assert_eq!(stats["malformed"]["record_too_large"], 1);
    // The cut CloudTrail object, the cut gzip member and the cut EVTX log (the gzip bomb is
    // within the default decompressed limit here).
    assert_eq!(stats["malformed"]["truncated_input"], 3);
    assert_eq!(stats["unrecognized"], 2);
    let problems = stats["problems"].as_array().unwrap();
    let located = |needle: &str| {
        problems
            .iter()
            .any(|p| p["location"].as_str().unwrap().contains(needle))
    };
    assert!(
        located("testdata/bad/bad_line.jsonl:2 (record 1)"),
        "{problems:#?}"
    );
    assert!(located("testdata/bad/not_a_log.png"), "{problems:#?}");
    assert!(located("huge_line.jsonl:1 (record 0)"), "{problems:#?}");
    assert!(located("truncated_second_member.jsonl.gz"), "{problems:#?}");
    // Good records in bad files still alert: bad_line.jsonl holds list-users, list-roles and
    // roadrecon gather; the gzip's intact first member holds list-users and list-roles; the
    // huge-line file's good line is list-users.
    let alerts = alerts_of(&out);
    let keys = evidence_keys(&alerts);
    for (file, record) in [
        ("bad_line.jsonl", 0),
        ("bad_line.jsonl", 2),
        ("bad_line.jsonl", 3),
        ("truncated_second_member.jsonl.gz", 0),
        ("truncated_second_member.jsonl.gz", 1),
        ("huge_line.jsonl", 1),
    ] {
        assert!(
            keys.contains(&(file.to_owned(), record)),
            "missing {file} #{record}: {keys:?}"
        );
    }
    insta::assert_snapshot!(
        "bad_inputs_summary",
        stderr(&out).replace(dir.path().to_str().unwrap(), "<tmp>")
    );
}

/// The bad-input files of `testdata/bad/` past the first four, one at a time: the exact summary each gives
/// (see `testdata/PROVENANCE.md`), its exit status, and that its good records became events.
#[test]
fn bad_inputs_give_their_exact_error_and_summary() {
    for (file, args, exit, events, problem) in [
        (
            "cloudtrail_records_truncated.json",
            &[][..],
            2,
            "events: cloudtrail 2",
            "testdata/bad/cloudtrail_records_truncated.json:77 (record 2): truncated_input: input ends early: unexpected end of input inside a JSON value",
        ),
        (
            "graph_activity_invalid_utf8.jsonl",
            &[],
            2,
            "events: graph_activity 2",
            "testdata/bad/graph_activity_invalid_utf8.jsonl:2 (record 1): invalid_utf8: text is not valid UTF-8; the record was skipped",
        ),
        (
            "ual_export_auditdata_not_json.csv",
            &[],
            0,
            "events: m365_audit 2",
            "testdata/bad/ual_export_auditdata_not_json.csv:3 (record 1): unrecognized: no normalizer recognizes this record's shape (later unrecognized records of this input are only counted); see `enumwatch --help` for the supported logs",
        ),
        (
            "okta_array_non_object.json",
            &[],
            0,
            "events: okta_system_log 3",
            "testdata/bad/okta_array_non_object.json:183 (record 2): unrecognized: no normalizer recognizes this record's shape (later unrecognized records of this input are only counted); see `enumwatch --help` for the supported logs",
        ),
        (
            "sysmon_cut_short.evtx",
            &[],
            2,
            "events: sysmon 2",
            "testdata/bad/sysmon_cut_short.evtx (record 2): truncated_input: input ends early: the file ends 3000 bytes into chunk number 2 (numbered from 0; chunks are 65,536 bytes), so that chunk's records were not read; re-copy or re-export the log",
        ),
        (
            "cloudtrail_nested_too_deep.jsonl",
            &[],
            2,
            "events: cloudtrail 2",
            "testdata/bad/cloudtrail_nested_too_deep.jsonl:2 (record 1): invalid_json: JSON nested deeper than 128 levels; the record was skipped",
        ),
        (
            "auditd_garbled_line.log",
            &[],
            2,
            "events: auditd 3",
            "testdata/bad/auditd_garbled_line.log:6 (record 1): invalid_auditd: invalid auditd line: no `type=` and `msg=audit(time:serial)` found; expected `type=… msg=audit(<time>:<serial>): …`",
        ),
        (
            "cloudtrail_lookup_events_cut_record.json",
            &[],
            2,
            "events: cloudtrail 4",
            "testdata/bad/cloudtrail_lookup_events_cut_record.json:25 (record 2): invalid_json: invalid JSON: the `CloudTrailEvent` string of this CloudTrail event-history entry does not hold a CloudTrail record: inside the string, EOF while parsing a string at line 1 column 439; the record was skipped",
        ),
        (
            "splunk_export_truncated_raw.json",
            &[],
            2,
            "events: cloudtrail 4",
            "testdata/bad/splunk_export_truncated_raw.json:3 (record 2): invalid_json: invalid JSON: the `_raw` of this Splunk result is not whole JSON (EOF while parsing a string at line 1 column 907); an event longer than the sourcetype's TRUNCATE setting (10,000 bytes by default) is cut when indexed: raise TRUNCATE for the sourcetype, or export the logs from their source; the record was skipped",
        ),
        (
            "gcp_pubsub_push_bad_base64.jsonl",
            &[],
            2,
            "events: gcp_audit 3",
            "testdata/bad/gcp_pubsub_push_bad_base64.jsonl:3 (record 2): invalid_json: invalid JSON: the `data` of this Pub/Sub message is not a log entry: not base64 (Invalid symbol 33, offset 41.); the record was skipped",
        ),
        (
            "sysmon_wevtutil_bad_event.xml",
            &[],
            2,
            "events: sysmon 2",
            "testdata/bad/sysmon_wevtutil_bad_event.xml:2 (record 1): invalid_xml: invalid event XML: ill-formed document: expected `</Computer>`, but `</Computr>` was found at byte 521; the event was skipped",
        ),
        (
            "sysmon_linux_syslog_cut_event.log",
            &[],
            2,
            "events: sysmon_linux 4",
            "testdata/bad/sysmon_linux_syslog_cut_event.log:8 (record 7): invalid_xml: invalid event XML: the <Event> element is cut short: the syslog message was truncated (rsyslog cuts messages longer than $MaxMessageSize, 8 KiB by default; raise it on the host to keep whole events); the event was skipped",
        ),
        (
            "cloudtrail_gzip_bomb.jsonl.gz",
            &["--max-decompressed-mib", "1"],
            2,
            "events: cloudtrail 2",
            "testdata/bad/cloudtrail_gzip_bomb.jsonl.gz:1046712 (record 2): truncated_input: input ends early: decompressed size exceeds the limit of 1048576 bytes (gzip bomb?); raise --max-decompressed-mib if the input is legitimate",
        ),
    ] {
        let path = format!("testdata/bad/{file}");
        let mut argv = vec!["hunt", path.as_str(), "--format", "jsonl"];
        argv.extend_from_slice(args);
        let out = enumwatch(&argv);
        assert_eq!(out.status.code(), Some(exit), "{file}: {}", stderr(&out));
        let summary = stderr(&out);
        let lines: Vec<&str> = summary.lines().collect();
        assert!(lines.contains(&events), "{file}: {summary}");
        let problems: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix("  ")).collect();
        assert_eq!(problems, [problem], "{file}");
        let stem = file.split('.').next().unwrap();
        insta::assert_snapshot!(format!("bad_{stem}"), summary);
    }
}

#[test]
fn windows_event_xml_alerts_as_the_evtx_log_does() {
    // The real Sysmon WMIC `useraccount` log and its event as `wevtutil qe /f:xml` writes it.
    let unlocated = |path: &str| -> Vec<serde_json::Value> {
        let out = enumwatch(&[
            "hunt",
            path,
            "--rules",
            "bench/rules",
            "--rule",
            "bench-process-account-listing",
            "--format",
            "jsonl",
        ]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        alerts_of(&out)
            .into_iter()
            .map(crate::without_locations)
            .collect()
    };
    let evtx = unlocated("testdata/logs/sysmon/sigma_regression_wmic_useraccount.evtx");
    assert_eq!(evtx.len(), 1);
    let xml = unlocated("testdata/logs/windows_xml/wevtutil_sysmon_wmic_useraccount.xml");
    assert_eq!(xml, evtx);
    // The same event exported from Splunk's `XmlWinEventLog` sourcetype: its `_raw` is the XML.
    let splunk = unlocated("testdata/logs/windows_xml/splunk_export_sysmon_wmic_useraccount.json");
    assert_eq!(splunk, evtx);
}

#[test]
fn stdin_is_read_like_a_file() {
    use std::io::Write;
    let demo = std::fs::read(repo_root().join("testdata/demo/auditd_gcloud.log")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args(["hunt", "-", "--format", "jsonl"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&demo).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts = alerts_of(&out);
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["evidence"][0]["source"], "-");
}

/// `enumwatch hunt <(aws s3 cp s3://trail/object.json.gz -)` names a pipe, not a file: it is
/// read like the file it carries (gzip included), while a pipe met in a directory walk is left
/// out with a message, since opening it could block the walk.
#[cfg(unix)]
#[test]
fn a_named_pipe_is_read_like_the_file_it_carries() {
    let object =
        "testdata/demo/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz";
    let bytes = std::fs::read(repo_root().join(object)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("trail.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let writer = std::thread::spawn({
        let fifo = fifo.clone();
        move || std::fs::write(fifo, bytes).unwrap()
    });
    let piped = enumwatch(&["hunt", fifo.to_str().unwrap(), "--format", "jsonl"]);
    writer.join().unwrap();
    assert_eq!(piped.status.code(), Some(0), "{}", stderr(&piped));
    let file = enumwatch(&["hunt", object, "--format", "jsonl"]);
    let alerts =
        |out: &Output| -> Vec<_> { alerts_of(out).into_iter().map(without_locations).collect() };
    assert!(!alerts(&file).is_empty());
    assert_eq!(alerts(&piped), alerts(&file));

    let walked = enumwatch(&["hunt", dir.path().to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(walked.status.code(), Some(2), "{}", stderr(&walked));
    assert!(
        stderr(&walked).contains("is a named pipe (FIFO), not a regular file"),
        "{}",
        stderr(&walked)
    );
}

#[test]
fn missing_path_is_reported_and_the_rest_still_runs() {
    let out = enumwatch(&[
        "hunt",
        "does/not/exist.json",
        "testdata/demo/auditd_gcloud.log",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(alerts_of(&out).len(), 2);
    assert!(
        stderr(&out).contains("does/not/exist.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_rule_selector_is_a_clear_fatal_error() {
    let out = enumwatch(&["hunt", "testdata/demo", "--rule", "no-such-rule"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&out));
}

/// A Sysmon log of `chunks` 64 KiB chunks, each the real AdFind sample's chunk with its one
/// record renumbered (record and chunk header), as `bench/gen_evtx_spliced.py` builds them.
fn sysmon_log(chunks: u64) -> Vec<u8> {
    const FILE_HEADER: usize = 4096;
    const CHUNK: usize = 64 * 1024;
    let sample =
        std::fs::read(repo_root().join("testdata/demo/sysmon_adfind_sigma_regression.evtx"))
            .unwrap();
    let mut out = sample[..FILE_HEADER].to_vec();
    for id in 1..=chunks {
        let mut chunk = sample[FILE_HEADER..FILE_HEADER + CHUNK].to_vec();
        for offset in [8, 16, 24, 32, 512 + 8] {
            chunk[offset..offset + 8].copy_from_slice(&id.to_le_bytes());
        }
        out.extend_from_slice(&chunk);
    }
    out
}

/// An EVTX file on disk past 1 MiB is read by seeking, a chunk at a time; the same bytes on
/// standard input are read whole first. Both give the same alerts, and the summary counts the
/// file's bytes.
#[test]
fn a_large_evtx_file_reads_like_the_same_bytes_on_stdin() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let log = sysmon_log(24);
    let path = dir.path().join("Sysmon.evtx");
    std::fs::write(&path, &log).unwrap();
    let rule = dir.path().join("adfind.yml");
    std::fs::write(
        &rule,
        "title: AdFind\nid: 5b0c1a3e-0000-4000-8000-000000000001\nlogsource:\n  product: windows\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '\\AdFind.exe'\n  condition: selection\nlevel: medium\n",
    )
    .unwrap();
    let stats = dir.path().join("stats.json");
    let args = |input: &str| {
        let rules = rule.to_str().unwrap().to_owned();
        let stats = stats.to_str().unwrap().to_owned();
        vec![
            "hunt".to_owned(),
            input.to_owned(),
            "--no-builtin".to_owned(),
            "--rules".to_owned(),
            rules,
            "--format".to_owned(),
            "jsonl".to_owned(),
            "--stats-json".to_owned(),
            stats,
        ]
    };
    let from_file = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args(args(path.to_str().unwrap()))
        .output()
        .unwrap();
    assert_eq!(from_file.status.code(), Some(0), "{}", stderr(&from_file));
    let summary: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
    assert_eq!(summary["bytes"], log.len() as u64);
    assert_eq!(summary["records"], 24);

    let mut child = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args(args("-"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&log).unwrap();
    let from_stdin = child.wait_with_output().unwrap();
    assert_eq!(from_stdin.status.code(), Some(0), "{}", stderr(&from_stdin));

    let without_source = |out: &Output| -> Vec<Value> {
        let mut alerts = alerts_of(out);
        // the alert id hashes the source's name too
        for alert in &mut alerts {
            alert["evidence"][0]["source"] = Value::Null;
            alert["id"] = Value::Null;
        }
        alerts
    };
    let (file_alerts, stdin_alerts) = (without_source(&from_file), without_source(&from_stdin));
    assert_eq!(file_alerts.len(), 24);
    assert!(file_alerts == stdin_alerts, "the alerts differ");

    // Its chunks are rendered on every worker: the output is that of one worker.
    let at = |threads: &str| {
        let mut args = args(path.to_str().unwrap());
        args.extend(["--threads".to_owned(), threads.to_owned()]);
        let out = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        out
    };
    let (one, three) = (at("1"), at("3"));
    assert_eq!(alerts_of(&one).len(), 24);
    assert_eq!(stdout(&one), stdout(&three));
    assert_eq!(stderr(&one), stderr(&three));
}

#[test]
fn windows_events_as_powershell_and_event_viewer_export_them_alert_as_the_log_does() {
    // What an alert says of its process, whatever rendering it came from: Event Viewer's CSV
    // has no computer column and local times, so host and time are left out.
    let said = |path: &str, rules: &str, rule: &str| -> Vec<Value> {
        let out = enumwatch(&[
            "hunt", path, "--rules", rules, "--rule", rule, "--format", "jsonl",
        ]);
        assert_eq!(out.status.code(), Some(0), "{path}: {}", stderr(&out));
        alerts_of(&out)
            .into_iter()
            .map(|a| {
                let explanation = a["explanation"].as_str().unwrap();
                let process = explanation.split_once(": ").unwrap().1.to_owned();
                serde_json::json!([
                    a["rule"]["id"],
                    a["actor"],
                    a["tool_category"],
                    a["severity"],
                    a["log_source"],
                    process
                ])
            })
            .collect()
    };
    // The real Sysmon WMIC listing: its EVTX log, Event Viewer's CSV, `Get-WinEvent |
    // ConvertTo-Json` (read from the rendered message).
    let bench = ("bench/rules", "bench-process-account-listing");
    let evtx = said(
        "testdata/logs/sysmon/sigma_regression_wmic_useraccount.evtx",
        bench.0,
        bench.1,
    );
    assert_eq!(evtx.len(), 1);
    for rendered in [
        "testdata/logs/windows_rendered/event_viewer_save_as.csv",
        "testdata/logs/windows_rendered/get_winevent_convertto_json.json",
        // Splunk's classic `WinEventLog` text in `_raw` (the file's other event is OTRF's 4688).
        "testdata/logs/windows_rendered/splunk_export_wineventlog.json",
    ] {
        assert_eq!(said(rendered, bench.0, bench.1), evtx, "{rendered}");
    }
    // OTRF's `net user /domain` (Sysmon 1 and Security 4688, NXLog's flat JSON): the 4688 from
    // its message in Event Viewer's CSV and in `Export-Csv`, the Sysmon 1 from positional
    // `Properties` (its message left out, as on a host without Sysmon's manifest).
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("net_user_domain.yml");
    std::fs::write(
        &rule,
        "title: Net User Domain\nid: 4b0e2c1d-0000-4000-8000-0000000000aa\nname: net-user-domain\n\
         logsource:\n    category: process_creation\n    product: windows\n\
         detection:\n    selection:\n        CommandLine|contains: 'net.exe\" user /domain'\n\
         \x20   condition: selection\nlevel: low\n",
    )
    .unwrap();
    let rules = rule.to_str().unwrap();
    let flat = said(
        "testdata/logs/windows/otrf_empire_net_user_domain.jsonl",
        rules,
        "net-user-domain",
    );
    assert_eq!(flat.len(), 2, "{flat:#?}");
    let [sysmon, security] = [&flat[0], &flat[1]];
    assert_eq!(sysmon[4], "sysmon");
    assert_eq!(security[4], "security_4688");
    let viewer = said(
        "testdata/logs/windows_rendered/event_viewer_save_as.csv",
        rules,
        "net-user-domain",
    );
    assert_eq!(viewer, std::slice::from_ref(security));
    let splunk = said(
        "testdata/logs/windows_rendered/splunk_export_wineventlog.json",
        rules,
        "net-user-domain",
    );
    assert_eq!(splunk, std::slice::from_ref(security));
    let exported = said(
        "testdata/logs/windows_rendered/get_winevent_export_csv.csv",
        rules,
        "net-user-domain",
    );
    assert_eq!(exported, std::slice::from_ref(security));
    // The same two events as Winlogbeat indexed them: an Elasticsearch `_search` response and
    // Kibana's CSV export (dotted column names put back at their paths).
    for indexed in [
        "testdata/logs/elastic/winlogbeat_search_response_otrf.json",
        "testdata/logs/elastic/kibana_discover_winlogbeat_otrf.csv",
    ] {
        assert_eq!(said(indexed, rules, "net-user-domain"), flat, "{indexed}");
    }
    // The built-in endpoint analytic reads a 4688 command line from its rendered message.
    let out = enumwatch(&[
        "hunt",
        "testdata/logs/windows_rendered/get_winevent_4688_aws_cli_emulated.jsonl",
        "--format",
        "jsonl",
    ]);
    let alerts = alerts_of(&out);
    assert_eq!(alerts.len(), 1, "{}", stderr(&out));
    assert_eq!(alerts[0]["analytic"], "AN1088");
    assert_eq!(alerts[0]["platform"], "AWS");
    assert_eq!(alerts[0]["actor"], "CORP\\dana");
    assert_eq!(
        alerts[0]["command_line"],
        "aws iam list-users --output json"
    );
    let json = said(
        "testdata/logs/windows_rendered/get_winevent_convertto_json.json",
        rules,
        "net-user-domain",
    );
    assert_eq!(json, std::slice::from_ref(sysmon));
}
