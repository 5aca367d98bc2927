//! The raw-text prefilter: with a rule set on raw vendor fields, records holding none of its
//! literals are skipped unparsed, and the alerts are exactly those of a run that parses all.

use serde_json::Value;

use crate::{enumwatch, stderr, stdout};

const INVICTUS: &str = "testdata/logs/cloudtrail/invictus";

fn run(extra: &[&str], stats: &std::path::Path) -> (String, Value, String) {
    let stats_arg = stats.to_str().unwrap();
    let mut args = vec![
        "hunt",
        INVICTUS,
        "--format",
        "jsonl",
        "--no-progress",
        "--stats-json",
        stats_arg,
    ];
    args.extend_from_slice(extra);
    let out = enumwatch(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let stats: Value = serde_json::from_slice(&std::fs::read(stats).unwrap()).unwrap();
    (stdout(&out), stats, stderr(&out))
}

#[test]
fn raw_field_rules_skip_unparsed_records_and_find_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let rule = [
        "--rules",
        "bench/rules",
        "--rule",
        "bench-cloudtrail-identity-listing",
    ];
    let (fast, fast_stats, fast_err) = run(&rule, &dir.path().join("a.json"));
    let mut all_args = rule.to_vec();
    all_args.push("--no-prefilter");
    let (all, all_stats, _) = run(&all_args, &dir.path().join("b.json"));

    assert!(!fast.is_empty(), "the bench rule finds the IAM listings");
    assert_eq!(fast, all, "same alerts with and without the prefilter");
    let skipped = fast_stats["records_prefiltered"].as_u64().unwrap();
    assert!(skipped > 1000, "{skipped} records skipped");
    assert_eq!(all_stats["records_prefiltered"], 0);
    assert_eq!(
        fast_stats["records"].as_u64().unwrap() + skipped,
        all_stats["records"].as_u64().unwrap(),
        "every record is either parsed or counted as skipped"
    );
    assert!(
        fast_err.contains(&format!("prefilter: {skipped} record(s) skipped unparsed")),
        "{fast_err}"
    );
}

/// The built-in analytics read normalized and derived fields, narrowed by what the normalizers
/// guarantee (`raw_facts`): over every sample in the repository, the default rules and every
/// rule (the opt-in ones too) give the same alerts and the same suppressed alerts with and
/// without the prefilter.
#[test]
fn the_builtin_analytics_skip_records_and_find_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    for selection in [&[][..], &["--rule", "attack.t1087.004"][..]] {
        let hunt = |extra: &[&str], stats: &str| {
            let stats = dir.path().join(stats);
            let mut args = vec![
                "hunt",
                "testdata",
                "--show-suppressed",
                "--format",
                "jsonl",
                "--no-progress",
                "--threads",
                "1",
                "--stats-json",
                stats.to_str().unwrap(),
            ];
            args.extend_from_slice(selection);
            args.extend_from_slice(extra);
            let out = enumwatch(&args);
            let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
            (out.status.code(), stdout(&out), stats)
        };
        let (code, fast, fast_stats) = hunt(&[], "a.json");
        let (all_code, all, all_stats) = hunt(&["--no-prefilter"], "b.json");
        assert_eq!(code, all_code);
        assert!(fast.lines().count() > 40, "{fast}");
        assert_eq!(fast, all, "same alerts with and without the prefilter");
        let skipped = fast_stats["records_prefiltered"].as_u64().unwrap();
        assert!(skipped > 100, "{skipped} records skipped");
        assert_eq!(
            fast_stats["records"].as_u64().unwrap() + skipped,
            all_stats["records"].as_u64().unwrap(),
            "every record is either parsed or counted as skipped"
        );
        // Malformed records are reported alike. A record no normalizer recognizes is skipped
        // (and counted) when it holds a log source's keys but no rule literal.
        assert_eq!(fast_stats["malformed"], all_stats["malformed"]);
        let malformed = |stats: &Value| -> Vec<Value> {
            let problems = stats["problems"].as_array().unwrap();
            problems
                .iter()
                .filter(|p| p["reason"] != "unrecognized")
                .cloned()
                .collect()
        };
        assert_eq!(malformed(&fast_stats), malformed(&all_stats));
        assert!(fast_stats["unrecognized"].as_u64() <= all_stats["unrecognized"].as_u64());
    }
}

/// EVTX records are asked about as the JSON text the `evtx` crate renders, before it is parsed:
/// over real Sysmon logs, the WMIC listings the bench rule names are found, the other records
/// are skipped unparsed, and the alerts and record numbers are those of a run that parses all,
/// on one worker and on several.
#[test]
fn evtx_records_are_prefiltered_and_find_the_same_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    for name in [
        "sigma_regression_adfind.evtx",
        "sigma_regression_cmdkey.evtx",
        "sigma_regression_wmic_group.evtx",
        "sigma_regression_wmic_useraccount.evtx",
    ] {
        std::fs::copy(
            crate::repo_root().join("testdata/logs/sysmon").join(name),
            logs.join(name),
        )
        .unwrap();
    }
    let hunt = |extra: &[&str], stats: &str| {
        let stats = dir.path().join(stats);
        let mut args = vec![
            "hunt",
            logs.to_str().unwrap(),
            "--rules",
            "bench/rules",
            "--rule",
            "bench-process-account-listing",
            "--format",
            "jsonl",
            "--no-progress",
            "--stats-json",
            stats.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let out = enumwatch(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        let stats: Value = serde_json::from_slice(&std::fs::read(&stats).unwrap()).unwrap();
        (stdout(&out), stats)
    };
    let (fast, fast_stats) = hunt(&["--threads", "1"], "a.json");
    let (all, all_stats) = hunt(&["--threads", "1", "--no-prefilter"], "b.json");
    let (fast_two, _) = hunt(&["--threads", "2"], "c.json");
    assert_eq!(fast.lines().count(), 2, "{fast}");
    assert!(fast.contains("useraccount get") && fast.contains("group list"));
    assert_eq!(fast, all, "same alerts with and without the prefilter");
    assert_eq!(fast, fast_two, "same alerts on two workers");
    assert_eq!(fast_stats["records_prefiltered"], 2, "AdFind and cmdkey");
    assert_eq!(fast_stats["records"], 2);
    assert_eq!(all_stats["records_prefiltered"], 0);
    assert_eq!(all_stats["records"], 4);
}

/// Records whose fields are rebuilt from text the prefilter cannot read as field names: a
/// Splunk result whose `_raw` is event XML (a reference such as `&amp;` can hide a literal) and
/// a PowerShell `EventLogRecord` holding its fields only in positional `Properties`. Unchecked
/// (`--trust-json`) or not, the prefilter keeps them, and the alerts are those of a run that
/// parses every record.
#[test]
fn records_rebuilt_from_rendered_text_are_never_skipped_unread() {
    let dir = tempfile::tempdir().unwrap();
    let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
        <Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID>\
        <TimeCreated SystemTime='2023-07-10T11:43:33.123Z'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel>\
        <Computer>WS07</Computer></System><EventData><Data Name='Image'>C:\\Windows\\System32\\cmd.exe</Data>\
        <Data Name='CommandLine'>cmd /c &quot;aws iam list-users &amp; aws iam list-roles&quot;</Data>\
        <Data Name='User'>CORP\\dana</Data></EventData></Event>";
    let splunk = serde_json::json!({"preview": false, "offset": 0, "result": {
        "_raw": xml, "_time": "2023-07-10T11:43:33.123+00:00", "sourcetype": "XmlWinEventLog",
        "host": "WS07"}});
    let mut properties: Vec<Value> = (0..23)
        .map(|i| serde_json::json!({"Value": format!("p{i}")}))
        .collect();
    properties[4] = serde_json::json!({"Value": "C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe"});
    properties[10] = serde_json::json!({"Value": "aws iam list-users --output json"});
    let winevent = serde_json::json!({"Message": null, "Id": 1, "ProviderName": "Microsoft-Windows-Sysmon",
        "LogName": "Microsoft-Windows-Sysmon/Operational", "MachineName": "WS08",
        "TimeCreated": "/Date(1688989414000)/", "Properties": properties});
    let logs = dir.path().join("logs.jsonl");
    std::fs::write(&logs, format!("{splunk}\n{winevent}\n")).unwrap();
    let rule = dir.path().join("ampersand.yml");
    std::fs::write(
        &rule,
        "title: Two Listings In One Shell\nid: 4b0e2c1d-0000-4000-8000-0000000000ab\nname: two-listings\n\
         logsource:\n    category: process_creation\n    product: windows\n\
         detection:\n    selection:\n        CommandLine|contains: 'list-users & aws'\n\
         \x20   condition: selection\nlevel: low\n",
    )
    .unwrap();
    let hunt = |extra: &[&str]| {
        let mut args = vec![
            "hunt",
            logs.to_str().unwrap(),
            "--rules",
            rule.to_str().unwrap(),
            "--format",
            "jsonl",
            "--no-progress",
        ];
        args.extend_from_slice(extra);
        let out = enumwatch(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    // The custom rule alone on the Splunk result (the built-in rules' own literals would let
    // the record through).
    let all = hunt(&["--no-builtin", "--no-prefilter"]);
    assert!(all.contains("Two Listings In One Shell"), "{all}");
    assert_eq!(hunt(&["--no-builtin"]), all);
    assert_eq!(hunt(&["--no-builtin", "--trust-json"]), all);
    // The built-in endpoint analytic on both.
    let all = hunt(&["--no-prefilter"]);
    assert!(all.contains("WS08"), "{all}");
    assert_eq!(hunt(&[]), all);
    assert_eq!(hunt(&["--trust-json"]), all);
}

/// A `Select-Object` of a PowerShell `EventLogRecord` may open with any of its properties; this
/// one holds no literal of the built-in rules (its command caret-obfuscated, its fields named
/// only in the message) and a word another log source is known by (`actor`). It is read and
/// alerts (the well-formedness check is never sure of a record with a top-level
/// `ProviderName`: `decode`'s `valid` tests).
#[test]
fn an_event_log_record_opening_with_any_property_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let message = "A new process has been created.\r\n\r\nCreator Subject:\r\n\tAccount Name:\t\tdana\r\n\
        \tAccount Domain:\t\tCORP\r\n\r\nProcess Information:\r\n\tNew Process Name:\tC:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe\r\n\
        \tProcess Command Line:\tcmd /c a^w^s i^a^m l^i^s^t-u^s^e^r^s --profile actor\r\n";
    let record = serde_json::json!({"Keywords": -9214364837600034816_i64, "Level": 0, "Id": 4688,
        "ProviderName": "Microsoft-Windows-Security-Auditing", "MachineName": "WS09",
        "TimeCreated": "/Date(1688989413123)/", "Message": message});
    let logs = dir.path().join("selected.jsonl");
    std::fs::write(&logs, format!("{record}\n")).unwrap();
    let out = enumwatch(&[
        "hunt",
        logs.to_str().unwrap(),
        "--format",
        "jsonl",
        "--no-progress",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let alerts = stdout(&out);
    assert!(
        alerts.contains("WS09") && alerts.contains("AN1088"),
        "{alerts}"
    );
}
