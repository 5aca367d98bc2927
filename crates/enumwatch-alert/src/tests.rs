//! Classification, grading and correlation alerts.

use std::sync::Arc;

use enumwatch_engine::{CorrelationHit, Hit};
use enumwatch_event::{Event, Location, LogSource, Platform, ToolCategory};
use enumwatch_rules::{RuleMeta, RuleSource, load};
use serde_json::json;

use crate::{AlertBuilder, Confidence, Severity};

fn rule(extra: &str) -> RuleMeta {
    let text = format!(
        "title: R\nid: 77777777-7777-4777-8777-777777777777\nlogsource:\n  category: process_creation\ndetection:\n  sel:\n    CommandLine|contains: x\n  condition: sel\nlevel: medium\nenumwatch:\n  confidence: medium\n{extra}"
    );
    let (set, errors) = load(&[RuleSource {
        name: "r.yml".into(),
        text,
    }]);
    assert!(errors.is_empty(), "{errors:?}");
    set.rules()[0].clone()
}

fn event(record: u64, fields: serde_json::Value) -> Event {
    let mut e = Event::new(
        LogSource::Sysmon,
        Location::new(Arc::from("f.jsonl"), record).with_line(record + 1),
        Arc::new(json!({})),
    );
    for (k, v) in fields.as_object().unwrap().clone() {
        e.fields.insert(k, v);
    }
    e
}

fn hit() -> Hit {
    Hit {
        rule: 0,
        matched_fields: vec![("CommandLine".into(), "x".into())],
    }
}

#[test]
fn obfuscation_raises_severity_and_confidence() {
    let e = event(
        0,
        json!({"CommandLine": "cmd /c a^w^s iam list-users", "cli.tool": "aws-cli", "cli.command": "aws iam list-users",
        "cli.enumeration": true, "cli.platform": "AWS", "cli.tool_category": "BuiltInEnumeration", "cli.analytic": "AN1088", "cli.obfuscation": ["caret"]}),
    );
    let a = AlertBuilder::new().from_hit(&rule(""), &hit(), &e);
    assert_eq!(
        (a.severity, a.confidence),
        (Severity::High, Confidence::High)
    );
    assert_eq!(
        (a.platform, a.tool_category),
        (Platform::Aws, ToolCategory::BuiltInEnumeration)
    );
    assert_eq!(a.analytic.as_deref(), Some("AN1088"));
    assert!(
        a.factors.iter().any(|f| f.contains("obfuscated (caret)")),
        "{:?}",
        a.factors
    );
    assert_eq!(a.evidence[0].line, Some(1));
    assert!(a.explanation.contains("aws iam list-users"));
}

#[test]
fn sentinel_classifier_reproduces_the_kql_case() {
    let e = event(
        0,
        json!({"FileName": "powershell.exe", "CommandLine": "powershell Get-MsolUser -All"}),
    );
    let a = AlertBuilder::new().from_hit(&rule("  classifier: sentinel-kql\n"), &hit(), &e);
    assert_eq!(
        (a.platform, a.tool_category),
        (Platform::Unknown, ToolCategory::BuiltInEnumeration)
    );
    assert_eq!(a.analytic, None, "an Unknown platform names no analytic");
}

#[test]
fn correlation_alerts_carry_every_event_as_evidence() {
    let events = [
        event(3, json!({"User": "bob"})),
        event(1, json!({"User": "bob"})),
    ];
    let refs: Vec<&Event> = events.iter().collect();
    let fired = CorrelationHit {
        rule: 0,
        group: vec![("User".into(), "bob".into())],
        events: 2,
        member_rules: vec![0],
    };
    let a = AlertBuilder::new()
        .from_correlation(&rule("  analytic: AN1088\n"), &fired, &refs)
        .unwrap();
    assert_eq!(
        a.evidence.iter().map(|e| e.record).collect::<Vec<_>>(),
        [1, 3]
    );
    assert_eq!(a.explanation, "R: 2 events for User=bob");
    assert_eq!(a.analytic.as_deref(), Some("AN1088"));
    assert!(
        AlertBuilder::new()
            .from_correlation(&rule(""), &fired, &[])
            .is_none()
    );
}

mod ordering {
    use std::sync::Arc;

    use proptest::prelude::*;

    use super::{event, hit, rule};
    use crate::{Alert, AlertBuilder, Evidence, sort_alerts};

    /// The order as first defined: a stable sort on the whole key, comparing paths as text.
    fn reference(alerts: &mut [Alert]) {
        alerts.sort_by(|a, b| {
            (&a.time, a.evidence.first(), &a.rule.id).cmp(&(
                &b.time,
                b.evidence.first(),
                &b.rule.id,
            ))
        });
    }

    fn alerts(spec: &[(u8, u8, u8, u8)]) -> Vec<Alert> {
        let base =
            AlertBuilder::new().from_hit(&rule(""), &hit(), &event(0, serde_json::json!({})));
        // Two inputs share a path's text but not its allocation, as two inputs named alike.
        let sources: [Arc<str>; 3] = [
            Arc::from("a.jsonl"),
            Arc::from("b.jsonl"),
            Arc::from("a.jsonl"),
        ];
        let times = [
            None,
            Some("2024-01-01T00:00:00Z"),
            Some("2024-01-01T00:00:00.5Z"),
        ];
        spec.iter()
            .enumerate()
            .map(|(n, &(t, s, r, id))| {
                let mut a = base.clone();
                a.id = n.to_string();
                a.time = times[usize::from(t % 3)].map(str::to_owned);
                a.rule.id = ["r1", "r2"][usize::from(id % 2)].to_owned();
                a.evidence = if s % 4 == 3 {
                    Vec::new()
                } else {
                    vec![Evidence {
                        source: Arc::clone(&sources[usize::from(s % 4)]),
                        record: u64::from(r % 4),
                        line: (r % 8 < 4).then_some(u64::from(r % 4) + 1),
                        record_id: None,
                    }]
                };
                a
            })
            .collect()
    }

    proptest! {
        #[test]
        fn sorting_keys_gives_the_stable_order(spec in proptest::collection::vec(any::<(u8, u8, u8, u8)>(), 0..60)) {
            let mut sorted = alerts(&spec);
            sort_alerts(&mut sorted);
            let mut expected = alerts(&spec);
            reference(&mut expected);
            let ids = |v: &[Alert]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
            prop_assert_eq!(ids(&sorted), ids(&expected));
        }
    }
}
