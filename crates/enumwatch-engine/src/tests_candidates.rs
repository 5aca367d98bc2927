//! The candidate index changes no verdict: `Matcher` (index for rules an exact value gates,
//! rsigma's engine for the rest) finds the rules one plain rsigma engine over every rule finds,
//! on events of every value shape the index distinguishes.

use std::collections::BTreeSet;
use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource};
use enumwatch_rules::{ParsedRule, RuleSet, RuleSource, load};
use proptest::prelude::*;
use rsigma_eval::Engine;
use serde_json::{Value, json};

use crate::Matcher;
use crate::candidates::Candidates;
use crate::view::SigmaView;

const CT: &str = "logsource:\n  product: aws\n  service: cloudtrail\n";

fn rule(id: u32, detection: &str) -> String {
    format!(
        "title: R{id}\nid: 00000000-0000-4000-8000-{id:012}\n{CT}detection:\n{detection}\nlevel: low\n"
    )
}

/// Rules of every shape the analysis tells apart (and a filter), CloudTrail-style.
fn rules() -> RuleSet {
    let detections = [
        // Keyed on eventName (more distinct values than eventSource).
        "  sel:\n    eventSource: iam.amazonaws.com\n    eventName: ListUsers\n  condition: sel",
        "  sel:\n    eventSource: iam.amazonaws.com\n    eventName:\n      - ListRoles\n      - ListGroups\n  condition: sel",
        "  sel:\n    eventSource: sts.amazonaws.com\n    eventName: GetCallerIdentity\n  condition: sel",
        // Case-sensitive, numbers and booleans compared as text.
        "  sel:\n    eventName|cased: ListUsers\n  condition: sel",
        "  sel:\n    eventName: ListUsers\n    count: 5\n  condition: sel",
        "  sel:\n    readOnly: 'true'\n    eventName: ListRoles\n  condition: sel",
        // `or` of two keyed branches; `1 of` a family; `all of`.
        "  a:\n    eventName: ListUsers\n  b:\n    errorCode: AccessDenied\n  condition: a or b",
        "  sel_a:\n    eventName: ListGroups\n  sel_b:\n    eventName: GetCallerIdentity\n  condition: 1 of sel_*",
        "  sel_a:\n    eventSource: iam.amazonaws.com\n  sel_b:\n    errorCode: AccessDenied\n  condition: all of sel_*",
        // Open: `not`, a branch without an exact value, keywords, `exists`, `null`.
        "  sel:\n    eventName: ListUsers\n  condition: not sel",
        "  a:\n    eventName: ListUsers\n  b:\n    userAgent|contains: boto3\n  condition: a or b",
        "  kw:\n    - 'listusers'\n  condition: kw",
        "  sel:\n    errorCode|exists: true\n  condition: sel",
        "  sel:\n    errorCode: null\n    eventName: ListUsers\n  condition: sel",
        "  sel:\n    eventName|startswith: List\n  condition: sel",
        // A nested value and an array-valued field.
        "  sel:\n    userIdentity.type: IAMUser\n    eventName: ListRoles\n  condition: sel",
        "  sel:\n    tags: prod\n  condition: sel",
    ];
    let mut text: String = detections
        .iter()
        .enumerate()
        .map(|(i, d)| format!("{}---\n", rule(u32::try_from(i).unwrap_or(0), d)))
        .collect();
    text.push_str(
        "title: Sanctioned\nid: 66666666-6666-4666-8666-666666666666\nlogsource:\n  product: aws\n  service: cloudtrail\nfilter:\n  rules:\n    - 00000000-0000-4000-8000-000000000000\n  selection:\n    userAgent|contains: terraform\n  condition: not selection\n",
    );
    let (set, errors) = load(&[RuleSource {
        name: "r.yml".into(),
        text,
    }]);
    assert!(errors.is_empty(), "{errors:?}");
    set
}

/// The ids the matcher finds, and the ids one plain rsigma engine over every rule finds.
fn both(rules: &RuleSet, matcher: &Matcher, raw: Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let event = Event::new(
        LogSource::Cloudtrail,
        Location::new(Arc::from("t"), 0),
        Arc::new(raw),
    );
    let mut hits = Vec::new();
    matcher.matches(&event, &mut hits);
    let found = hits
        .iter()
        .map(|h| rules.rules()[h.rule].id.clone())
        .collect();
    let mut engine = Engine::new();
    for (meta, parsed) in rules.rules().iter().zip(rules.parsed()) {
        if let ParsedRule::Detection(rule) = parsed {
            engine
                .add_rule(rule)
                .unwrap_or_else(|e| panic!("{}: {e}", meta.id));
        }
    }
    for parsed in rules.parsed() {
        if let ParsedRule::Filter(filter) = parsed {
            engine.apply_filter(filter).unwrap();
        }
    }
    let expected = engine
        .evaluate(&SigmaView(&event))
        .iter()
        .filter_map(|r| r.header.rule_id.clone())
        .collect();
    (found, expected)
}

#[test]
fn rules_are_keyed_on_their_most_selective_field() {
    let set = rules();
    let compiled: Vec<_> = set
        .compiled()
        .iter()
        .flatten()
        .map(|r| (**r).clone())
        .collect();
    let (gated, open) = Candidates::partition(compiled);
    // Open: `not`, the `or` with a substring branch, keywords, `exists`, `startswith`.
    assert_eq!((gated.len(), open.len()), (12, 5));
    let index = Candidates::new(&gated);
    assert_eq!(index.always(), 0);
    let event = Event::new(
        LogSource::Cloudtrail,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({"eventSource": "iam.amazonaws.com", "eventName": "LISTUSERS"})),
    );
    let mut out = Vec::new();
    index.of(&SigmaView(&event), &mut out);
    let titles: Vec<&str> = out.iter().map(|&i| gated[i].title.as_str()).collect();
    // Not the ListRoles/ListGroups rule, though it shares eventSource; the `all of` rule is
    // keyed on eventSource (two distinct values among the rules, errorCode one).
    assert_eq!(titles, vec!["R0", "R3", "R4", "R6", "R8", "R13"]);
}

#[test]
fn the_matcher_finds_what_a_plain_engine_finds() {
    let set = rules();
    let matcher = Matcher::new(&set).unwrap();
    for raw in [
        json!({"eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "userAgent": "terraform/1.5"}),
        json!({"eventSource": "iam.amazonaws.com", "eventName": "listusers", "count": 5}),
        json!({"eventName": "ListUsers", "count": "5", "errorCode": null}),
        json!({"eventName": "ListRoles", "readOnly": true, "userIdentity": {"type": "iamuser"}}),
        json!({"eventName": ["ListGroups", "x"], "tags": ["dev", "PROD"]}),
        json!({"eventName": {"nested": "ListUsers"}, "errorCode": "AccessDenied"}),
        json!({"eventSource": "iam.amazonaws.com", "errorCode": "accessdenied"}),
        json!({"userAgent": "Boto3/1.28", "eventName": 7.5}),
        json!({}),
    ] {
        let (found, expected) = both(&set, &matcher, raw.clone());
        assert_eq!(found, expected, "{raw}");
    }
}

fn value() -> impl Strategy<Value = Value> {
    let word = prop_oneof![
        Just("ListUsers"),
        Just("LISTUSERS"),
        Just("ListRoles"),
        Just("ListGroups"),
        Just("GetCallerIdentity"),
        Just("iam.amazonaws.com"),
        Just("sts.amazonaws.com"),
        Just("AccessDenied"),
        Just("IAMUser"),
        Just("true"),
        Just("prod"),
        Just("terraform boto3"),
        Just("5"),
    ];
    let leaf = prop_oneof![
        word.prop_map(|w| json!(w)),
        Just(json!(5)),
        Just(json!(5.0)),
        Just(json!(true)),
        Just(Value::Null),
    ];
    leaf.prop_recursive(2, 6, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            inner.prop_map(|v| json!({"type": v})),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any mix of present, absent and oddly shaped fields: the same rules as a plain engine.
    #[test]
    fn no_event_loses_or_gains_a_rule(
        fields in prop::collection::vec(
            (prop_oneof![Just("eventSource"), Just("eventName"), Just("errorCode"), Just("count"),
                Just("readOnly"), Just("userIdentity"), Just("tags"), Just("userAgent")], value()),
            0..7,
        ),
    ) {
        let set = rules();
        let matcher = Matcher::new(&set).unwrap();
        let raw = Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let (found, expected) = both(&set, &matcher, raw);
        prop_assert_eq!(found, expected);
    }
}
