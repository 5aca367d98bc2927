//! What a hunt holds until every input is read, past its memory budget: the events held for
//! the correlation pass (`--max-held-mib 0`) and the detection alerts awaiting their sort
//! (`--max-alerts-mib 0`) then all go through a temporary file (a run per item, merged in
//! rounds), and the output must be byte for byte that of the in-memory hunt, at any thread
//! count, in every format.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

use crate::{enumwatch, repo_root, stderr, stdout};

/// A budget option, the summary line a spill adds, and the stats key that counts it.
struct Budget {
    option: &'static str,
    line: &'static str,
    what: &'static str,
    key: &'static str,
}

const HELD: Budget = Budget {
    option: "--max-held-mib",
    line: "correlation pass: the ",
    what: "held event(s)",
    key: "correlation_events_spilled",
};

const ALERTS: Budget = Budget {
    option: "--max-alerts-mib",
    line: "alerts: the ",
    what: "detection alert(s)",
    key: "alerts_spilled",
};

/// The summary without the lines that say items were spilled.
fn without_spill_lines(summary: &str) -> String {
    summary
        .lines()
        .filter(|l| !l.starts_with(HELD.line) && !l.starts_with(ALERTS.line))
        .collect::<Vec<_>>()
        .join("\n")
}

fn spilled(stats: &Path, key: &str) -> u64 {
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(stats).unwrap()).unwrap();
    stats[key].as_u64().unwrap_or(0)
}

/// Hunt with `args` in memory and with each of `budgets` at 0, at one and two threads: same
/// output, same exit status, same summary but for the spill lines; returns the output and the
/// count spilled under the first budget.
fn same_either_way(args: &[&str], budgets: &[&Budget]) -> (String, u64) {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    let run = |threads: &str, spill: bool| {
        let mut all = vec!["hunt"];
        all.extend_from_slice(args);
        all.extend(["--threads", threads]);
        all.extend(["--stats-json", stats.to_str().unwrap()]);
        if spill {
            for b in budgets {
                all.extend([b.option, "0"]);
            }
        }
        let out = enumwatch(&all);
        let counts: Vec<u64> = budgets.iter().map(|b| spilled(&stats, b.key)).collect();
        (out, counts)
    };
    let (memory, none) = run("1", false);
    assert!(
        none.iter().all(|&n| n == 0),
        "the default budgets hold these in memory"
    );
    for b in budgets {
        assert!(!stderr(&memory).contains(b.line));
    }
    let mut count = None;
    for threads in ["1", "2"] {
        let (disk, counts) = run(threads, true);
        assert_eq!(disk.status.code(), memory.status.code(), "{args:?}");
        assert_eq!(
            stdout(&disk),
            stdout(&memory),
            "{args:?} at {threads} thread(s)"
        );
        assert_eq!(
            without_spill_lines(&stderr(&disk)),
            without_spill_lines(&stderr(&memory)),
            "{args:?} at {threads} thread(s)"
        );
        for (b, n) in budgets.iter().zip(&counts) {
            assert!(*n > 0, "every item was spilled ({})", b.option);
            assert!(
                stderr(&disk).contains(&format!("{}{n} {}", b.line, b.what)),
                "{}",
                stderr(&disk)
            );
        }
        assert_eq!(
            count.get_or_insert(counts.clone()),
            &counts,
            "the counts are the same at any thread count"
        );
    }
    (stdout(&memory), count.unwrap_or_default()[0])
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
    let (alerts, spilled) = same_either_way(&["testdata", "--format", "jsonl"], &[&HELD]);
    assert!(correlation_alerts(&alerts) > 0, "{alerts}");
    assert!(spilled > 100, "{spilled}");
}

#[test]
fn alerts_sorted_through_the_disk_are_written_as_from_memory() {
    let (alerts, spilled) = same_either_way(&["testdata", "--format", "jsonl"], &[&ALERTS]);
    // Detection alerts folded into a correlation alert are spilled too, and then not shown.
    assert!(correlation_alerts(&alerts) > 0, "{alerts}");
    assert!(spilled > 20, "{spilled}");
    // Every format, with suppressed alerts among them, both budgets at once.
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("tuning.toml");
    std::fs::write(
        &profile,
        "[[tuning]]\nname = \"jdoe-audit\"\nowner = \"it\"\nreason = \"quarterly review\"\nprincipals = [\"*jdoe*\"]\n",
    )
    .unwrap();
    let profile = profile.to_str().unwrap();
    for format in ["json", "csv", "table"] {
        let (out, _) = same_either_way(
            &[
                "testdata",
                "--format",
                format,
                "--profile",
                profile,
                "--today",
                "2026-11-30",
                "--show-suppressed",
            ],
            &[&ALERTS, &HELD],
        );
        assert!(
            out.contains("jdoe-audit"),
            "{format}: suppressed alerts are shown marked"
        );
    }
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
    let (alerts, spilled) = same_either_way(&[path, "--format", "jsonl"], &[&HELD]);
    assert!(correlation_alerts(&alerts) > 0, "{alerts}");
    assert_eq!(spilled, 1800, "every listing is held");
}

#[test]
fn an_unwritable_temporary_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, "x").unwrap();
    let tmp = file.join("tmp");
    for budget in [&HELD, &ALERTS] {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
            .args(["hunt", "testdata", budget.option, "0", "-q"])
            .current_dir(repo_root())
            .env("TMPDIR", &tmp)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert!(err.contains(&tmp.display().to_string()), "{err}");
        assert!(err.contains("set TMPDIR"), "{err}");
        assert!(err.contains(budget.option), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

/// Tuning judges each alert by its own events as it is built; entries that match nothing must
/// leave every alert as it was, correlation alerts (built from events held, pruned) included,
/// and entries that match must only mark alerts: the same alerts in the same order.
#[test]
fn tuning_only_marks_alerts_and_keeps_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let nothing = dir.path().join("nothing.toml");
    std::fs::write(
        &nothing,
        "[[tuning]]\nname = \"no-one\"\nowner = \"it\"\nreason = \"r\"\nprincipals = [\"no-such-principal\"]\n",
    )
    .unwrap();
    let everything = dir.path().join("everything.toml");
    std::fs::write(
        &everything,
        "[[tuning]]\nname = \"hosts\"\nowner = \"it\"\nreason = \"r\"\nhosts = [\"*\"]\n[[tuning]]\nname = \"agents\"\nowner = \"it\"\nreason = \"r\"\nuser_agents = [\"*\"]\n",
    )
    .unwrap();
    let hunt = |profile: Option<&Path>| {
        let mut args = vec!["hunt", "testdata", "--format", "jsonl", "--show-suppressed"];
        if let Some(p) = profile {
            args.extend(["--profile", p.to_str().unwrap(), "--today", "2026-11-30"]);
        }
        let out = enumwatch(&args);
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .collect::<Vec<_>>()
    };
    let plain = hunt(None);
    assert!(
        correlation_alerts(&stdout(&enumwatch(&[
            "hunt", "testdata", "--format", "jsonl"
        ]))) > 0
    );
    assert_eq!(hunt(Some(&nothing)), plain);
    let marked = hunt(Some(&everything));
    let unmarked: Vec<serde_json::Value> = marked
        .iter()
        .cloned()
        .map(|mut a| {
            a.as_object_mut().unwrap().remove("suppressed_by");
            a
        })
        .collect();
    assert_eq!(unmarked, plain);
    let suppressed = marked
        .iter()
        .filter(|a| a.get("suppressed_by").is_some())
        .count();
    assert!(
        suppressed > 0 && suppressed < marked.len(),
        "{suppressed} of {}",
        marked.len()
    );
}

/// Alerts are streamed: a reader that stops early (`| head`) ends the output without an error,
/// and a full disk is one clear error.
#[test]
fn a_closed_reader_ends_the_output_quietly_and_a_full_disk_is_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    // Both outputs are larger than a pipe holds (64 KiB), so the writes after the close fail.
    for format in ["jsonl", "json"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_enumwatch"))
            .args([
                "hunt",
                "testdata",
                "--format",
                format,
                "-q",
                "--max-alerts-mib",
                "0",
            ])
            .current_dir(repo_root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        // The pipe's read end is closed here; the rest of the output has nowhere to go.
        let out = child.wait_with_output().unwrap();
        let err = stderr(&out);
        assert_ne!(out.status.code(), Some(1), "{format}: {err}");
        assert!(!err.contains("error"), "{format}: {err}");
    }
    if Path::new("/dev/full").exists() {
        let out = enumwatch(&[
            "hunt",
            "testdata",
            "--format",
            "jsonl",
            "-q",
            "-o",
            "/dev/full",
        ]);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        assert_eq!(
            err.matches("No space left on device").count(),
            1,
            "the cause once: {err}"
        );
        assert!(err.contains("disk is not full"), "{err}");
    }
}
