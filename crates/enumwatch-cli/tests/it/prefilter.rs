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

    // The built-in analytics read normalized fields: nothing is skipped.
    let (_, pack_stats, _) = run(&[], &dir.path().join("c.json"));
    assert_eq!(pack_stats["records_prefiltered"], 0);
}
