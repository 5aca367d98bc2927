//! A Linux host's syslog (as collected in triage) read as it is: Sysmon for Linux's events and
//! auditd's forwarded lines among other programs' lines, in every header style rsyslog and
//! collectors write, compressed or not; Sysmon events answer to Sigma's `product: linux` rules.

use std::io::Write;

use serde_json::Value;

use crate::{enumwatch, stderr, stdout, without_locations};

const SAMPLE: &str = "testdata/logs/sysmon_linux/syslog_sysmon_linux_emulated.log";

fn alerts(out: &std::process::Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn cloud_clis_in_a_hosts_syslog_alert_and_every_line_is_counted() {
    let out = enumwatch(&["hunt", SAMPLE, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let found = alerts(&out);
    let tools: Vec<_> = found
        .iter()
        .map(|a| (a["actor"].as_str().unwrap(), a["tool"].as_str().unwrap()))
        .collect();
    assert_eq!(
        tools,
        [
            ("ubuntu", "aws-cli"),
            ("ubuntu", "azure-cli"),
            ("ubuntu", "gcloud")
        ],
        "{found:?}"
    );
    assert_eq!(found[0]["log_source"], "sysmon_linux");
    assert_eq!(found[0]["evidence"][0]["line"], 6);
    let summary = stderr(&out);
    for line in [
        "read 1 input(s), 10056 bytes (syslog 1)",
        "records: 11 decoded, 0 malformed, 0 unrecognized",
        "events: sysmon_linux 5",
        "ignored (not used by any analytic): syslog: line of another program 5, sysmon_linux: event id not analyzed 1",
    ] {
        assert!(summary.lines().any(|l| l == line), "{line}\n{summary}");
    }

    // The same lines with an RFC 3339 timestamp (rsyslog's default file format since Ubuntu
    // 24.04), with a priority as a collector receives them, and rotated and compressed.
    let text = std::fs::read_to_string(crate::repo_root().join(SAMPLE)).unwrap();
    let iso: String = text
        .lines()
        .map(|l| format!("2026-11-30T{}.000000+00:00{}\n", &l[7..15], &l[15..]))
        .collect();
    let pri: String = text.lines().map(|l| format!("<134>{l}\n")).collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(text.as_bytes()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let expected: Vec<Value> = found.into_iter().map(without_locations).collect();
    for (name, bytes) in [
        ("syslog", iso.into_bytes()),
        ("syslog.1", pri.into_bytes()),
        ("syslog.2.gz", gz.finish().unwrap()),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = enumwatch(&["hunt", path.to_str().unwrap(), "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let got: Vec<Value> = alerts(&out).into_iter().map(without_locations).collect();
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn sysmon_for_linux_events_answer_to_linux_rules_not_windows_ones() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |product: &str, id: &str| {
        format!(
            "title: ls of a home directory ({product})\nid: {id}\nlogsource:\n  product: {product}\n  category: process_creation\ndetection:\n  selection:\n    Image|endswith: '/ls'\n    CommandLine|contains: '.aws'\n  condition: selection\nlevel: low\n"
        )
    };
    std::fs::write(
        dir.path().join("linux.yml"),
        rule("linux", "0c5d7a52-2f0e-4d53-9a51-6a8f6b1c0001"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("windows.yml"),
        rule("windows", "0c5d7a52-2f0e-4d53-9a51-6a8f6b1c0002"),
    )
    .unwrap();
    let rules = dir.path().to_str().unwrap();
    let out = enumwatch(&["hunt", SAMPLE, "--rules", rules, "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let titles: Vec<_> = alerts(&out)
        .iter()
        .filter_map(|a| a["rule"]["title"].as_str().map(str::to_owned))
        .filter(|t| t.starts_with("ls of"))
        .collect();
    assert_eq!(titles, ["ls of a home directory (linux)"]);
}

/// A syslog line's parts: (BSD timestamp, host, program, pid, message).
fn parts(line: &str) -> (&str, &str, &str, Option<&str>, &str) {
    let (time, rest) = line.split_at(15);
    let (host, rest) = rest.trim_start().split_once(' ').unwrap();
    let (tag, message) = rest.split_once(": ").unwrap();
    let (program, pid) = match tag.split_once('[') {
        Some((program, pid)) => (program, Some(pid.trim_end_matches(']'))),
        None => (tag, None),
    };
    (time, host, program, pid, message)
}

/// The same host's lines as `journalctl -o json` writes its entries (hosts without rsyslog keep
/// them only there) and as Splunk exports them (`sourcetype=sysmon:linux`, the line in `_raw`):
/// the same alerts, with the raw-text prefilter, without it, and unchecked.
#[test]
fn journal_entries_and_splunk_results_alert_as_the_syslog_file_does() {
    let text = std::fs::read_to_string(crate::repo_root().join(SAMPLE)).unwrap();
    let mut journal = String::new();
    let mut splunk = String::new();
    for (i, line) in text.lines().enumerate() {
        let (_, host, program, pid, message) = parts(line);
        let entry = serde_json::json!({
            "__CURSOR": format!("s=4c1f;i={:x};b=9e1d", i + 100),
            "__REALTIME_TIMESTAMP": (1_764_511_321_000_000_u64 + i as u64 * 1_000_000).to_string(),
            "_BOOT_ID": "9e1d4c1f000000000000000000000000",
            "PRIORITY": "6",
            "SYSLOG_IDENTIFIER": program,
            "_PID": pid.unwrap_or("812"),
            "_COMM": program,
            "_HOSTNAME": host,
            "_TRANSPORT": "syslog",
            "MESSAGE": message,
        });
        journal.push_str(&format!("{entry}\n"));
        let result = serde_json::json!({"preview": false, "offset": i, "result": {
            "_bkt": "linux~12~4C1F", "_cd": format!("12:{i}"), "_indextime": "1764511400",
            "_raw": line, "_serial": i.to_string(), "_sourcetype": "sysmon:linux",
            "host": host, "index": "linux", "linecount": "1", "source": "/var/log/syslog",
            "sourcetype": "sysmon:linux", "splunk_server": "idx-01"}});
        splunk.push_str(&format!("{result}\n"));
    }
    let expected: Vec<Value> = alerts(&enumwatch(&["hunt", SAMPLE, "--format", "jsonl"]))
        .into_iter()
        .map(without_locations)
        .collect();
    assert_eq!(expected.len(), 3);
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("journal.jsonl", journal), ("splunk_export.json", splunk)] {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        for option in ["--prefilter-default", "--no-prefilter", "--trust-json"] {
            let mut args = vec!["hunt", path.to_str().unwrap(), "--format", "jsonl"];
            if option != "--prefilter-default" {
                args.push(option);
            }
            let out = enumwatch(&args);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {option}: {}",
                stderr(&out)
            );
            let got: Vec<Value> = alerts(&out).into_iter().map(without_locations).collect();
            assert_eq!(got, expected, "{name} {option}");
            let summary = stderr(&out);
            assert!(
                summary.contains("events: sysmon_linux 5"),
                "{name} {option}: {summary}"
            );
            assert!(
                summary.contains("0 unrecognized"),
                "{name} {option}: {summary}"
            );
        }
    }
}

/// auditd's lines forwarded to syslog by its syslog plugin (`audisp-syslog`, or `audispd` with
/// a `node=` prefix on older hosts), among other programs' lines, give the audit events the
/// audit log itself gives, and the same alerts.
#[test]
fn audit_lines_forwarded_to_syslog_alert_as_the_audit_log_does() {
    let audit_log = "testdata/demo/auditd_gcloud.log";
    let expected: Vec<Value> = alerts(&enumwatch(&["hunt", audit_log, "--format", "jsonl"]))
        .into_iter()
        .map(without_locations)
        .collect();
    assert_eq!(expected.len(), 2);
    let text = std::fs::read_to_string(crate::repo_root().join(audit_log)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, tag) in [
        ("messages", "audisp-syslog: "),
        ("syslog", "audispd: node=rhel9-build "),
    ] {
        let mut lines =
            String::from("Nov 30 14:05:11 rhel9-build systemd[1]: Starting dnf makecache...\n");
        for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            lines.push_str(&format!(
                "Nov 30 14:05:{:02} rhel9-build {tag}{line}\n",
                12 + i % 40
            ));
            if i % 3 == 1 {
                lines.push_str("Nov 30 14:05:20 rhel9-build sshd[4120]: Connection closed by 198.51.100.7 port 40022\n");
            }
        }
        let path = dir.path().join(name);
        std::fs::write(&path, lines).unwrap();
        let out = enumwatch(&["hunt", path.to_str().unwrap(), "--format", "jsonl"]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", stderr(&out));
        let got: Vec<Value> = alerts(&out).into_iter().map(without_locations).collect();
        assert_eq!(got, expected, "{name}");
        let summary = stderr(&out);
        assert!(summary.contains("(syslog 1)"), "{name}: {summary}");
        assert!(
            summary.contains(", 0 malformed, 0 unrecognized"),
            "{name}: {summary}"
        );
        assert!(
            summary.contains("syslog: line of another program"),
            "{name}: {summary}"
        );
    }
}
