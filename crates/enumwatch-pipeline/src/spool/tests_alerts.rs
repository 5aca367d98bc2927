//! Tests of the alert spool: every field of an alert reads back exactly (the steps shared with
//! the rule set as references, others inline), damage is an error, and alerts through the disk
//! come out in the order of the in-memory sort whatever the budget.

use std::sync::Arc;

use enumwatch_alert::{
    Alert, AlertRule, Confidence, Evidence, HuntingQueries, Severity, Suppression, TECHNIQUE,
    sort_alerts,
};
use enumwatch_event::{LogSource, Platform, ToolCategory};
use proptest::prelude::*;

use super::alerts::{Key, Steps, decode_body, encode, estimate};
use super::codec::record_len;
use super::*;

const RULE: &str = "title: Listing users\nid: 6f1b1c1e-0000-4000-8000-000000000001\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListUsers\n  condition: selection\nlevel: medium\n";

/// The one rule set of these tests: every `Steps` made of it knows the same shared lists.
fn rules() -> &'static enumwatch_rules::RuleSet {
    static RULES: std::sync::OnceLock<enumwatch_rules::RuleSet> = std::sync::OnceLock::new();
    RULES.get_or_init(|| {
        let (rules, errors) = enumwatch_rules::load(&[enumwatch_rules::RuleSource {
            name: "listing.yml".into(),
            text: RULE.into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        rules
    })
}

fn steps() -> (Steps, Arc<[String]>, Arc<[String]>) {
    let rules = rules();
    let steps = Steps::of(rules);
    let rule = &rules.rules()[0];
    (
        steps,
        Arc::clone(&rule.investigation),
        Arc::clone(&rule.response),
    )
}

/// An alert with every optional part set or not, by `n`.
fn alert(n: u64, source: &str, time: Option<&str>, rule: &str, shared: bool) -> Alert {
    let (_, investigation, response) = steps();
    let some = |s: &str| n.is_multiple_of(2).then(|| format!("{s}-{n}"));
    Alert {
        id: format!("id-{n}"),
        time: time.map(str::to_owned),
        rule: AlertRule {
            id: rule.to_owned(),
            title: format!("title of {rule}"),
            level: "high".into(),
        },
        analytic: some("AN1088"),
        technique: TECHNIQUE,
        platform: [Platform::Aws, Platform::Okta, Platform::Unknown][(n % 3) as usize],
        tool_category: ToolCategory::BuiltInEnumeration,
        severity: [Severity::Informational, Severity::Critical][(n % 2) as usize],
        confidence: Confidence::Medium,
        factors: (0..n % 4).map(|i| format!("factor \"{i}\"\n")).collect(),
        log_source: LogSource::ALL[(n % 16) as usize],
        actor: some("DOMAIN\\user"),
        actor_id: some("AIDA"),
        host: some("host"),
        process: None,
        command_line: some("aws iam list-users"),
        tool: None,
        command: some("iam list-users"),
        explanation: format!("why {n} é"),
        evidence: (0..n % 3)
            .map(|i| Evidence {
                source: Arc::from(source),
                record: n + i,
                line: (i % 2 == 0).then_some(n + i + 1),
                record_id: (i == 1).then_some(u64::MAX),
            })
            .collect(),
        investigation: if shared {
            investigation
        } else {
            Arc::from(vec!["look".to_owned(), String::new()])
        },
        response: if shared {
            response
        } else {
            Arc::from(Vec::new())
        },
        hunting: HuntingQueries::new(
            LogSource::Sysmon,
            Some("CORP\\alice"),
            time.filter(|_| !n.is_multiple_of(3)),
        ),
        suppressed_by: n.is_multiple_of(5).then(|| Suppression {
            entry: "e".into(),
            owner: "o".into(),
            reason: "r".into(),
        }),
    }
}

fn round_trip(steps: &Steps, a: &Alert) -> Alert {
    let mut buf = Vec::new();
    encode(steps, &mut buf, 4, 11, a);
    assert_eq!(record_len(buf[..4].try_into().unwrap()), buf.len() - 4);
    let mut last = None;
    let (key, body): (Key, usize) = Alert::decode_key(&buf[4..], &mut last).unwrap();
    assert_eq!((key.input, key.seq), (4, 11));
    decode_body(steps, &buf[4 + body..], &key).unwrap()
}

#[test]
fn an_alert_reads_back_exactly_and_writes_the_same_json() {
    let (steps, _, _) = steps();
    for n in 0..12 {
        for shared in [true, false] {
            let a = alert(n, "in.jsonl", Some("2026-11-01T10:00:00.5Z"), "r1", shared);
            let back = round_trip(&steps, &a);
            assert_eq!(back, a);
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                serde_json::to_string(&a).unwrap()
            );
            // The rule's steps come back as the very lists the rule shares.
            assert_eq!(Arc::ptr_eq(&back.investigation, &a.investigation), shared);
        }
    }
}

#[test]
fn a_damaged_alert_record_is_an_error_not_a_panic() {
    let (steps, _, _) = steps();
    let mut buf = Vec::new();
    encode(
        &steps,
        &mut buf,
        0,
        0,
        &alert(2, "a", Some("2026-11-01T10:00:00Z"), "r", false),
    );
    for cut in 4..buf.len() {
        let mut last = None;
        if let Ok((key, body)) = Alert::decode_key(&buf[4..cut], &mut last) {
            assert!(
                decode_body(&steps, &buf[4 + body..cut], &key).is_err(),
                "cut at {cut}"
            );
        }
    }
    // A reference to steps no rule has.
    let empty = Steps::of(&enumwatch_rules::RuleSet::default());
    let mut last = None;
    let (key, body) = Alert::decode_key(&buf[4..], &mut last).unwrap();
    let with_shared = {
        let mut b = Vec::new();
        let a = alert(2, "a", Some("2026-11-01T10:00:00Z"), "r", true);
        encode(&steps, &mut b, 0, 0, &a);
        b
    };
    let (k2, body2) = Alert::decode_key(&with_shared[4..], &mut last).unwrap();
    assert!(decode_body(&empty, &with_shared[4 + body2..], &k2).is_err());
    assert!(
        decode_body(&empty, &buf[4 + body..], &key).is_ok(),
        "inline steps need no table"
    );
}

/// Alerts of three inputs pushed through a spool of `budget` bytes, the pushes interleaved and
/// the inputs finished last to first; returns them in the order a scan gives, and the count
/// spilled.
fn through_spool(inputs: &[Vec<Alert>], budget: u64) -> (Vec<Alert>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let (steps, _, _) = steps();
    let spool = Spool::<Alert>::new(budget, dir.path().to_owned(), Purpose::Alerts, steps);
    let mut buffers: Vec<_> = (0..inputs.len()).map(|i| spool.buffer(i)).collect();
    let longest = inputs.iter().map(Vec::len).max().unwrap_or(0);
    for n in 0..longest {
        for (i, alerts) in inputs.iter().enumerate() {
            if let Some(a) = alerts.get(n) {
                buffers[i].push(a.clone());
            }
        }
    }
    while let Some(b) = buffers.pop() {
        b.finish();
    }
    let sorted = spool.finish().unwrap();
    let mut seen = Vec::new();
    let mut positions = Vec::new();
    sorted
        .scan(|item| {
            positions.push(item.position());
            seen.push(item.get()?.clone());
            Ok(())
        })
        .unwrap();
    let mut sorted_positions = positions.clone();
    sorted_positions.sort_by_key(|&(input, seq)| (input, seq));
    sorted_positions.dedup();
    assert_eq!(sorted_positions.len(), positions.len(), "each alert once");
    (seen, sorted.spilled())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Alerts tying on time, evidence and rule across inputs and within one: from memory or
    /// from disk, the order is the stable sort of the alerts in input order.
    #[test]
    fn spilled_alerts_merge_into_the_stable_sort(
        specs in prop::collection::vec(
            prop::collection::vec((0u64..6, 0u8..3, 0u8..3, any::<bool>()), 0..25), 1..4),
        budget_alerts in 0u64..8,
    ) {
        let times = [None, Some("2026-11-01T10:00:00Z"), Some("2026-11-01T09:59:59.9Z")];
        let inputs: Vec<Vec<Alert>> = specs
            .iter()
            .map(|alerts| {
                alerts
                    .iter()
                    .map(|&(n, t, r, shared)| {
                        alert(n, "same.jsonl", times[usize::from(t)], &format!("r{r}"), shared)
                    })
                    .collect()
            })
            .collect();
        let mut expected: Vec<Alert> = inputs.iter().flatten().cloned().collect();
        sort_alerts(&mut expected);
        let (memory, none) = through_spool(&inputs, u64::MAX);
        prop_assert_eq!(none, 0);
        prop_assert_eq!(&memory, &expected);
        let one = inputs.iter().flatten().map(estimate).max().unwrap_or(0);
        let (disk, spilled) = through_spool(&inputs, budget_alerts * one);
        prop_assert_eq!(&disk, &expected);
        let total: u64 = inputs.iter().flatten().map(estimate).sum();
        let count = inputs.iter().map(Vec::len).sum::<usize>() as u64;
        prop_assert_eq!(spilled, if total > budget_alerts * one { count } else { 0 });
    }
}
