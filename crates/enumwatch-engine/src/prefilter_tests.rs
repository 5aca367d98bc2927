//! Prefilter tests: which rules reduce to literals, and a property test that the filter never
//! rejects a line a rule matches once parsed (escapes, case folding and arrays included).

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, RecordPrefilter};
use enumwatch_rules::{RuleSet, RuleSource, load};
use proptest::prelude::*;
use serde_json::{Map, Value};

use super::*;
use crate::Matcher;

/// A test rule; its id is a UUID whose last digits spell the name's length and first byte.
fn rule(name: &str, detection: &str) -> String {
    let id = uuid(name);
    format!(
        "title: {name}\nid: {id}\nname: {name}\nlogsource:\n  product: aws\n  service: cloudtrail\n\
         detection:\n{detection}level: low\n"
    )
}

fn uuid(name: &str) -> String {
    let tail: u64 = name
        .bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    format!("00000000-0000-4000-8000-{:012x}", tail & 0xffff_ffff_ffff)
}

fn rules(texts: &[String]) -> RuleSet {
    let (set, errors) = load(&[RuleSource {
        name: "p.yml".into(),
        text: texts.join("---\n"),
    }]);
    assert!(errors.is_empty(), "{errors:?}");
    set
}

/// Rules on raw CloudTrail fields that exercise every reducible form.
fn pack() -> RuleSet {
    rules(&[
        rule(
            "listing",
            "  selection:\n    eventSource: iam.amazonaws.com\n    eventName:\n      - ListUsers\n      - ListRoles\n  condition: selection\n",
        ),
        rule(
            "tool",
            "  selection:\n    userAgent|contains:\n      - pacu\n      - 'boto3/1.'\n      - kali\n  filter:\n    errorCode: AccessDenied\n  condition: selection and not filter\n",
        ),
        rule(
            "either",
            "  sel_a:\n    requestParameters.userName|startswith: adm\n  sel_b:\n    sourceIPAddress|endswith: .evil.example\n  condition: 1 of sel_*\n",
        ),
        rule(
            "all-tags",
            "  selection:\n    tags|contains|all:\n      - kelvin\n      - ink\n  condition: selection\n",
        ),
        rule(
            "regex",
            "  selection:\n    userIdentity.arn|re: '.+:assumed-role/(aws|AWS):.+'\n    userAgent|re: '^(Terraform|Pulumi)/[0-9]+'\n  condition: selection\n",
        ),
        rule(
            "regex-alternatives",
            "  selection:\n    eventSource|re: '^(Terraform|Pulumi)/[0-9]+'\n  condition: selection\n",
        ),
        rule(
            "cased",
            "  selection:\n    eventName|cased: GetCallerIdentity\n  condition: selection\n",
        ),
    ])
}

fn event(line: &str) -> Option<Event> {
    let value: Value = serde_json::from_str(line).ok()?;
    Some(Event::new(
        LogSource::Cloudtrail,
        Location::new(Arc::from("t"), 0),
        Arc::new(value),
    ))
}

fn matches(matcher: &Matcher, line: &str) -> bool {
    let Some(event) = event(line) else {
        return false;
    };
    let mut hits = Vec::new();
    matcher.matches(&event, &mut hits);
    !hits.is_empty()
}

#[test]
fn raw_field_rules_reduce_to_their_literals() {
    let prefilter = RawPrefilter::build(&pack()).expect("every rule of the pack reduces");
    assert_eq!(prefilter.rules(), 7);
    let admits = |s: &str| prefilter.admits(s.as_bytes());
    // Both clauses of `listing` are needed.
    assert!(admits(
        r#"{"eventSource":"iam.amazonaws.com","eventName":"ListUsers"}"#
    ));
    assert!(!admits(
        r#"{"eventSource":"iam.amazonaws.com","eventName":"GetUser"}"#
    ));
    assert!(!admits(
        r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets"}"#
    ));
    // Case-insensitive, like the rules; `|cased` is searched case-insensitively too (weaker).
    assert!(admits(
        r#"{"EVENTSOURCE":"IAM.AMAZONAWS.COM","x":"listroles"}"#
    ));
    assert!(admits(r#"{"eventName":"getcalleridentity"}"#));
    // The negated filter does not narrow the literal set.
    assert!(admits(r#"{"userAgent":"Pacu","errorCode":"AccessDenied"}"#));
    // `1 of sel_*` joins both selections' literals.
    assert!(admits(r#"{"sourceIPAddress":"1.evil.example"}"#));
    assert!(admits(r#"{"requestParameters":{"userName":"admin"}}"#));
    // A regex stands for its required literals: here both fields' (the arn's `:assumed-role/`
    // and one of the user agents').
    assert!(admits(
        r#"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2"},"userAgent":"Pulumi/3"}"#
    ));
    assert!(!admits(
        r#"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2"}}"#
    ));
    // `|all` needs every value.
    assert!(!admits(r#"{"tags":["kelvin"]}"#));
    assert!(admits(r#"{"tags":["kelvin","pink"]}"#));
}

#[test]
fn escapes_and_case_folding_to_ascii_force_a_parse() {
    let prefilter = RawPrefilter::build(&pack()).unwrap();
    // `\u0069` is `i`: the line holds `iam.amazonaws.com` once unescaped.
    let escaped = r#"{"eventSource":"\u0069am.amazonaws.com","eventName":"ListUsers"}"#;
    assert!(prefilter.admits(escaped.as_bytes()));
    let matcher = Matcher::new(&pack()).unwrap();
    assert!(matches(&matcher, escaped));
    // U+212A KELVIN SIGN lowercases to `k`.
    // An escape of a character no literal holds (Python's `json.dumps` writes `®` so) does not
    // force a parse.
    assert!(!prefilter.admits(br#"{"eventSource":"s3.amazonaws.com","x":"Microsoft\u00ae"}"#));
    assert!(prefilter.admits(br#"{"x":"\u0130"}"#));
    // `\/` is `/`.
    let slash = r#"{"userAgent":"Boto3\/1.34"}"#;
    assert!(matches(&matcher, slash));
    assert!(prefilter.admits(slash.as_bytes()));
    let kelvin = "{\"tags\":[\"\u{212a}elvin\",\"ink\"]}";
    assert!(matches(&matcher, kelvin));
    assert!(prefilter.admits(kelvin.as_bytes()));
}

#[test]
fn command_lines_reduce_and_auditd_groups_are_always_parsed() {
    let set = rules(&[
        "title: cmd\nid: 00000000-0000-4000-8000-00000000c0de\nlogsource:\n  \
         category: process_creation\ndetection:\n  selection:\n    CommandLine|contains: \
         'iam list-users'\n  condition: selection\nlevel: low\n"
            .to_owned(),
    ]);
    let prefilter = RawPrefilter::build(&set).expect("CommandLine is copied verbatim");
    assert!(prefilter.admits(br#"{"CommandLine":"aws IAM List-Users"}"#));
    assert!(!prefilter.admits(br#"{"CommandLine":"aws s3 ls"}"#));
    // auditd joins `a0`..`aN` into the command line: no literal stands for it.
    assert!(prefilter.admits(br#"{"auditd":{"records":[{"a1":"iam","a2":"list-users"}]}}"#));
}

#[test]
fn the_learned_gate_changes_no_verdict() {
    let prefilter = RawPrefilter::build(&pack()).unwrap();
    let pieces = [
        "iam.amazonaws.com",
        "ListUsers",
        "s3.amazonaws.com",
        "Pacu",
        "kelvin",
        "ink",
        "adm",
        ":assumed-role/aws:x",
        "Terraform/1",
        "GetCallerIdentity",
        "nothing",
    ];
    // Every pair of pieces, in a few field layouts, past the learning threshold.
    let mut lines = Vec::new();
    for (i, a) in pieces.iter().enumerate() {
        for (j, b) in pieces.iter().enumerate() {
            for n in 0..20 {
                lines.push(format!(
                    r#"{{"eventSource":"{a}","eventName":"{b}","n":{}}}"#,
                    i * j * n
                ));
                lines.push(format!(r#"{{"userAgent":"{a} {b}","tags":["{b}"]}}"#));
            }
        }
    }
    assert!(lines.len() > 2 * LEARN_RECORDS as usize);
    let exact = |line: &str| {
        let lowered = line.to_ascii_lowercase();
        prefilter.some_rule_complete(lowered.as_bytes()) || prefilter.forces_parse(line.as_bytes())
    };
    for line in lines.iter().chain(lines.iter()) {
        assert_eq!(prefilter.admits(line.as_bytes()), exact(line), "{line}");
    }
    assert!(
        prefilter.learning.gate.get().is_some(),
        "the gate was learned"
    );
}

#[test]
fn the_characters_that_fold_to_ascii_are_exactly_those_listed() {
    let found: Vec<String> = (0x80u32..=0x10ffff)
        .filter_map(char::from_u32)
        .filter(|c| c.to_lowercase().any(|l| l.is_ascii()))
        .map(String::from)
        .collect();
    assert_eq!(found, FOLDS_TO_ASCII.map(String::from).to_vec());
}

#[test]
fn rules_that_do_not_reduce_disable_the_filter_and_say_which() {
    let refused = |detection: &str| {
        RawPrefilter::build(&rules(&[
            rule(
                "ok",
                "  selection:\n    eventName: ListUsers\n  condition: selection\n",
            ),
            rule("refused", detection),
        ]))
        .expect_err("must not reduce")
    };
    // A normalized field may hold a value found nowhere in the raw text.
    let err = refused("  selection:\n    actor.name: bob\n  condition: selection\n");
    assert_eq!(err.rule, uuid("refused"));
    assert!(err.to_string().contains("normalized field"), "{err}");
    refused("  selection:\n    ScriptBlockText|contains: Get-MgUser\n  condition: selection\n");
    refused("  selection:\n    cli.operation: list-users\n  condition: selection\n");
    refused("  selection:\n    eventName|re: '^[A-Z][a-z]+$'\n  condition: selection\n");
    refused("  selection:\n    eventName|re|i: 'ListUsers'\n  condition: selection\n");
    refused("  selection:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: selection\n");
    refused("  selection:\n    eventName: ListUsers\n  condition: not selection\n");
    refused("  keywords:\n    - ListUsers\n  condition: keywords\n");
    // Numbers are compared as decimal text, which `1e3` does not hold.
    refused("  selection:\n    eventVersion: '1000'\n  condition: selection\n");
    // A literal JSON writes escaped.
    refused("  selection:\n    eventSource|contains: 'iam\"'\n  condition: selection\n");
}

/// Text from pieces of the pack's literals, their case variants and the folding characters.
fn arb_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("iam.amazonaws.com".to_owned()),
        Just("ListUsers".to_owned()),
        Just("LISTROLES".to_owned()),
        Just("pacu".to_owned()),
        Just("boto3/1.".to_owned()),
        Just("adm".to_owned()),
        Just(".evil.example".to_owned()),
        Just("kelvin".to_owned()),
        Just("\u{212a}elvin".to_owned()),
        Just("ink".to_owned()),
        Just("\u{130}".to_owned()),
        Just("GetCallerIdentity".to_owned()),
        Just(":assumed-role/".to_owned()),
        Just("aws:".to_owned()),
        Just("Terraform/1".to_owned()),
        Just("pulumi/".to_owned()),
        Just("Pulumi/7".to_owned()),
        Just("AccessDenied".to_owned()),
        Just("\"".to_owned()),
        "[a-zA-Z0-9 .]{0,6}",
    ];
    prop::collection::vec(piece, 0..4).prop_map(|p| p.concat())
}

fn arb_record() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("eventSource"),
        Just("eventName"),
        Just("userAgent"),
        Just("errorCode"),
        Just("sourceIPAddress"),
        Just("tags"),
        Just("requestParameters"),
        Just("userIdentity"),
    ];
    let value = prop_oneof![
        arb_text().prop_map(Value::String),
        prop::collection::vec(arb_text().prop_map(Value::String), 0..3).prop_map(Value::Array),
        (prop::sample::select(vec!["userName", "arn"]), arb_text()).prop_map(|(k, t)| {
            let mut m = Map::new();
            m.insert(k.to_owned(), Value::String(t));
            Value::Object(m)
        }),
        any::<i32>().prop_map(Value::from),
    ];
    prop::collection::vec((key, value), 0..6).prop_map(|pairs| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    })
}

/// Write some ASCII letters of `json` as `\u00XX` escapes (never inside an existing escape).
fn escape_some(json: &str, picks: &[usize]) -> String {
    let mut out = String::with_capacity(json.len() * 2);
    let mut previous = ' ';
    for (i, c) in json.chars().enumerate() {
        if c.is_ascii_alphabetic() && previous != '\\' && picks.contains(&i) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
        previous = c;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Soundness: the filter never rejects a line some rule matches once parsed.
    #[test]
    fn never_rejects_a_line_a_rule_matches(
        record in arb_record(),
        picks in prop::collection::vec(0usize..200, 0..4),
    ) {
        let set = pack();
        let matcher = Matcher::new(&set).unwrap();
        let prefilter = RawPrefilter::build(&set).unwrap();
        let plain = serde_json::to_string(&record).unwrap();
        for line in [plain.clone(), escape_some(&plain, &picks)] {
            if matches(&matcher, &line) {
                prop_assert!(prefilter.admits(line.as_bytes()), "rejected a matching line: {line}");
            }
        }
    }
}
