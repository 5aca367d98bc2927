//! The events held for the correlation pass past their memory budget: with `--max-held-mib 0`
//! every one goes through the temporary file (a run per event, merged in rounds), and the
//! alerts must be byte for byte those of the in-memory pass, at any thread count.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use crate::{enumwatch, repo_root, stderr, stdout};

const SPILL_LINE: &str = "correlation pass: the ";

/// The summary without the line that says events were spilled.
fn without_spill_line(summary: &str) -> String {
    summary
        .lines()
        .filter(|l| !l.starts_with(SPILL_LINE))
        .collect::<Vec<_>>()
        .join("\n")
}

fn spilled(stats: &Path) -> u64 {
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
    stats["correlation_events_spilled"].as_u64().unwrap_or(0)
}

/// Hunt `inputs` in memory and through the disk, at one and two threads: same alerts, same
/// exit status, same summary but for the spill line; returns the alerts and the spilled count.
fn same_either_way(inputs: &[&str]) -> (String, u64) {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let run = |threads: &str, budget: Option<&str>| {
        let mut args = vec!["hunt"];
        args.extend_from_slice(inputs);
        args.extend(["--format", "jsonl", "--threads", threads]);
        args.extend(["--stats-json", stats.to_str().unwrap()]);
        if let Some(mib) = budget {
            args.extend(["--max-held-mib", mib]);
        }
        let out = enumwatch(&args);
        (out, spilled(&stats))
    };
    let (memory, none) = run("1", None);
    assert_eq!(none, 0, "the default budget holds these in memory");
    assert!(!stderr(&memory).contains(SPILL_LINE));
    let mut count = None;
    for threads in ["1", "2"] {
        let (disk, n) = run(threads, Some("0"));
        assert_eq!(disk.status.code(), memory.status.code(), "{inputs:?}");
        assert_eq!(
            stdout(&disk),
            stdout(&memory),
            "{inputs:?} at {threads} thread(s)"
        );
        assert_eq!(
            without_spill_line(&stderr(&disk)),
            without_spill_line(&stderr(&memory)),
            "{inputs:?} at {threads} thread(s)"
        );
        assert!(n > 0, "every held event was spilled");
        assert!(stderr(&disk).contains(&format!("{SPILL_LINE}{n} held event(s)")));
        assert_eq!(
            *count.get_or_insert(n),
            n,
            "the count is the same at any thread count"
        );
    }
    (stdout(&memory), count.unwrap_or(0))
}

/// Correlation alerts (their evidence is more than one event).
fn correlation_alerts(jsonl: &str) -> usize {
    jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|a| a["evidence"].as_array().is_some_and(|e| e.len() > 1))
        .count()
}

#[test]
fn the_repository_testdata_gives_the_same_alerts_from_disk() {
    let (alerts, spilled) = same_either_way(&["testdata"]);
    assert!(correlation_alerts(&alerts) > 0, "{alerts}");
    assert!(spilled > 100, "{spilled}");
}

/// A burst of many principals across three files, out of time order, many events sharing a
/// second: some principals run four different listings (a correlation fires), most run one.
fn write_burst(dir: &Path) {
    let listings = ["ListUsers", "ListRoles", "ListGroups", "ListPolicies"];
    for file in 0..3 {
        let mut out = std::fs::File::create(dir.join(format!("burst-{file}.jsonl"))).unwrap();
        for n in (0..600).rev() {
            let principal = if n % 10 == 0 { n % 40 } else { 1000 + n };
            let second = (n * 7 + file * 3) % 50;
            let record = serde_json::json!({
                "eventVersion": "1.08", "eventSource": "iam.amazonaws.com",
                "eventName": listings[(n / 40 + file) % 4],
                "eventTime": format!("2026-11-01T00:{:02}:{:02}Z", second / 60 + n % 3, second % 60),
                "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
                "userAgent": "aws-cli/2.15.0 md/command#iam.list-users",
                "userIdentity": {"type": "IAMUser", "principalId": format!("AIDA{principal:012}"),
                    "arn": format!("arn:aws:iam::123456789012:user/u{principal}"),
                    "accountId": "123456789012", "userName": format!("u{principal}")},
                "eventID": format!("e{file}-{n}"), "eventType": "AwsApiCall",
                "recipientAccountId": "123456789012", "readOnly": true,
                "requestParameters": null, "responseElements": null
            });
            writeln!(out, "{record}").unwrap();
        }
    }
}

#[test]
fn a_generated_burst_of_principals_gives_the_same_alerts_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    write_burst(dir.path());
    let path = dir.path().to_str().unwrap();
    let (alerts, spilled) = same_either_way(&[path]);
    assert!(correlation_alerts(&alerts) > 0, "{alerts}");
    assert_eq!(spilled, 1800, "every listing is held");
}

#[test]
fn an_unwritable_temporary_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let tmp = file.join("tmp");
    let out: Output = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args(["hunt", "testdata/cloud", "--max-held-mib", "0", "-q"])
        .current_dir(repo_root())
        .env("TMPDIR", &tmp)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains(&tmp.display().to_string()), "{err}");
    assert!(err.contains("set TMPDIR"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
