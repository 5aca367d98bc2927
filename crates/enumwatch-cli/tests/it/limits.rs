//! Resource limits end to end: an overlong record, a gzip bomb, JSON nested too deep, a hostile
//! Sigma regex and an oversized one each give their exact error, and a hunt never hangs or
//! grows without bound on them.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::{enumwatch, repo_root, stderr, stdout};

/// One Sysmon process-creation line of the demo data with `command_line` as its command line.
fn sysmon_line(command_line: &str) -> String {
    let demo =
        std::fs::read_to_string(repo_root().join("testdata/demo/sysmon_process_creation.jsonl"))
            .unwrap();
    let mut event: serde_json::Value = serde_json::from_str(demo.lines().next().unwrap()).unwrap();
    event["Event"]["EventData"]["CommandLine"] = command_line.into();
    event.to_string()
}

/// The summary's problem lines, with the temporary folder replaced by `<tmp>`.
fn problems(out: &std::process::Output, dir: &std::path::Path) -> Vec<String> {
    stderr(out)
        .replace(dir.to_str().unwrap(), "<tmp>")
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.trim().to_owned())
        .collect()
}

#[test]
fn a_gzip_bomb_stops_at_the_decompressed_size_limit_after_the_records_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.jsonl.gz");
    let good = format!("{}\n", sysmon_line("aws iam list-users"));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(good.as_bytes()).unwrap();
    // 3 MiB of blank-padded JSON after the good line: compresses to a few KiB.
    let pad = format!("{{\"pad\": \"{}\"}}\n", " ".repeat(1023 - 11));
    for _ in 0..3 * 1024 {
        gz.write_all(pad.as_bytes()).unwrap();
    }
    let bytes = gz.finish().unwrap();
    assert!(bytes.len() < 64 * 1024, "a bomb: {} bytes", bytes.len());
    std::fs::write(&path, bytes).unwrap();
    let out = enumwatch(&[
        "hunt",
        path.to_str().unwrap(),
        "--max-decompressed-mib",
        "1",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good first line still alerts"
    );
    assert_eq!(
        problems(&out, dir.path()),
        [
            // The padding lines are records of no known vendor: counted, the first located.
            "<tmp>/bomb.jsonl.gz:2 (record 1): unrecognized: no normalizer recognizes this record's shape (later unrecognized records of this input are only counted); see `enumwatch --help` for the supported logs",
            "<tmp>/bomb.jsonl.gz:1024 (record 1023): truncated_input: input ends early: decompressed size exceeds the limit of 1048576 bytes (gzip bomb?); raise --max-decompressed-mib if the input is legitimate"
        ]
    );
    assert!(
        stderr(&out).contains("malformed by reason: truncated_input 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_nested_deeper_than_the_limit_costs_one_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.jsonl");
    let deep = format!("{{\"d\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    let good = sysmon_line("aws iam list-users");
    std::fs::write(&path, format!("{deep}\n{good}\n")).unwrap();
    let out = enumwatch(&["hunt", path.to_str().unwrap(), "--format", "jsonl"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good line still alerts"
    );
    assert_eq!(
        problems(&out, dir.path()),
        [
            "<tmp>/deep.jsonl:1 (record 0): invalid_json: JSON nested deeper than 128 levels; the record was skipped"
        ]
    );
}

#[test]
fn an_overlong_record_is_skipped_with_the_limit_named() {
    // The 2 MiB line in `hunt.rs` (bad_inputs_are_located_and_counted_and_good_records_survive)
    // checks the location in a mixed folder; here the exact text for a JSON array element.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.json");
    let good = sysmon_line("aws iam list-users");
    let big = sysmon_line(&"x".repeat(1024 * 1024 + 1));
    std::fs::write(&path, format!("[\n{big},\n{good}\n]\n")).unwrap();
    let out = enumwatch(&[
        "hunt",
        path.to_str().unwrap(),
        "--max-record-mib",
        "1",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 1);
    assert_eq!(
        problems(&out, dir.path()),
        [
            "<tmp>/big.json:2 (record 0): record_too_large: record longer than 1048576 bytes was skipped; raise --max-record-mib if it is legitimate"
        ]
    );
}

const HOSTILE_RULE: &str = "title: Nested quantifier\nid: 7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d\nlogsource:\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|re: '(a+)+$'\n  condition: selection\nlevel: low\n";

/// Peak resident memory of a running process in KiB (`VmHWM`), where /proc exists.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_catastrophic_backtracking_regex_is_linear_on_a_one_mib_command_line() {
    // `(a+)+$` on "aaa…a!" takes exponential time in a backtracking engine; the `regex` crate
    // is linear. One 1 MiB command line that does not match and one short one that does.
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("hostile.yml"), HOSTILE_RULE).unwrap();
    let log = dir.path().join("hostile.jsonl");
    let long = format!("{}!", "a".repeat(1024 * 1024));
    std::fs::write(
        &log,
        format!("{}\n{}\n", sysmon_line(&long), sysmon_line(&"a".repeat(64))),
    )
    .unwrap();
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args([
            "hunt",
            log.to_str().unwrap(),
            "--rules",
            rules.to_str().unwrap(),
            "--rule",
            "7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
            "--format",
            "jsonl",
            "--stats-json",
            dir.path().join("stats.json").to_str().unwrap(),
            "--quiet",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = None;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = Some(peak.unwrap_or(0).max(kib));
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        // A watchdog, not a speed check: a backtracking engine would never finish, so a hunt
        // still running after five minutes is a hang.
        if started.elapsed() > Duration::from_secs(300) {
            let _killed = child.kill();
            panic!("the hunt hangs on a nested quantifier");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    assert_eq!(status.code(), Some(0));
    if let Some(kib) = peak {
        assert!(kib < 512 * 1024, "peak RSS {kib} KiB");
    }
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("stats.json")).unwrap())
            .unwrap();
    assert_eq!(stats["records"], 2);
    assert_eq!(
        stats["hits"], 1,
        "only the short all-`a` command line matches"
    );
}

#[test]
fn an_oversized_regex_is_refused_with_the_budget_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big_regex.yml");
    std::fs::write(
        &path,
        HOSTILE_RULE.replace("'(a+)+$'", "'(\\p{L}{1,200}\\p{N}{1,200}){1,50}'"),
    )
    .unwrap();
    let out = enumwatch(&["rules", "lint", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out).replace(dir.path().to_str().unwrap(), "<tmp>");
    assert!(
        text.contains("<tmp>/big_regex.yml:7: at `detection.selection.CommandLine|re`: expected a regex that compiles within 4096 KiB, found `(\\p{L}{1,200}\\p{N}{1,200}){1,50}` needing more than 4096 KiB; shorten bounded repetitions such as {1,100} or split the pattern"),
        "{text}"
    );
    // A hunt with the rule folder refuses to start rather than compiling it.
    let log = repo_root().join("testdata/demo/auditd_gcloud.log");
    let out = enumwatch(&[
        "hunt",
        log.to_str().unwrap(),
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("4096 KiB"), "{}", stderr(&out));
}
