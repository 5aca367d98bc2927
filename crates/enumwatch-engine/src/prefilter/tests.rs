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
            "pairs",
            "  iam:\n    eventSource: iam.amazonaws.com\n    eventName|startswith: ListUse\n  org:\n    eventSource|endswith: organizations.amazonaws.com\n    eventName:\n      - ListAccounts\n      - ListRoots\n  condition: iam or org\n",
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
    assert_eq!(prefilter.rules(), 8);
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
    // A disjunction of conjunctions keeps a clause per field: some source and some name of
    // either branch (`iam` with `ListAccounts` is admitted, though neither branch matches).
    assert!(admits(
        r#"{"eventSource":"organizations.amazonaws.com","eventName":"ListRoots"}"#
    ));
    assert!(admits(
        r#"{"eventSource":"iam.amazonaws.com","eventName":"ListAccounts"}"#
    ));
    assert!(!admits(
        r#"{"eventSource":"organizations.amazonaws.com","eventName":"DescribeOrganization"}"#
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
fn xml_references_of_literal_characters_force_a_parse() {
    let prefilter = RawPrefilter::build(&pack()).unwrap();
    // `&#x69;` is `i`, `&#105;` too: `iam.amazonaws.com` once decoded.
    for hidden in [
        r#"{"EventData":"<Data Name=\"x\">&#x69;am.amazonaws.com ListUsers</Data>"}"#,
        r#"{"EventData":"<Data Name=\"x\">&#105;am.amazonaws.com ListUsers</Data>"}"#,
        r#"{"EventData":"<Data Name=\"x\">&#x130;</Data>"}"#,
        // A Splunk result's `_raw` is single-quoted XML, whose process paths hold backslashes.
        r#"{"result":{"_raw":"<Data Name='Image'>C:\\x.exe</Data><Data Name='x'>&#x69;am.amazonaws.com ListUsers</Data>"}}"#,
    ] {
        assert!(prefilter.admits(hidden.as_bytes()), "{hidden}");
    }
    // References of characters no literal holds, and text that only looks like one, do not.
    for quiet in [
        r#"{"EventData":"<Data Name=\"x\">a &amp; b &lt;c&gt; &#xD;&#xA;</Data>"}"#,
        r#"{"url":"https://example.com/?a=1&b=2;"}"#,
        r#"{"x":"&#xZZ; &;"}"#,
        // No backslash: no event XML the analytics read.
        r#"{"x":"&#x69;am.amazonaws.com ListUsers"}"#,
    ] {
        assert!(!prefilter.admits(quiet.as_bytes()), "{quiet}");
    }
}

#[test]
fn an_event_history_entry_holds_the_literals_of_its_record() {
    // `aws cloudtrail lookup-events` holds each record escaped in a string (as CloudWatch Logs
    // events do), which the decoder hands out in the entry's place: escaping touches no
    // character a literal holds, and an escape inside the record stays visible (its backslash
    // doubled).
    let prefilter = RawPrefilter::build(&pack()).unwrap();
    let matcher = Matcher::new(&pack()).unwrap();
    let entry = |record: &str| {
        serde_json::json!({"EventId": "e", "EventName": "GetUser", "CloudTrailEvent": record})
            .to_string()
    };
    for record in [
        r#"{"eventName":"GetUser","sourceIPAddress":"1.evil.example"}"#,
        r#"{"eventSource":"\u0069am.amazonaws.com","eventName":"ListUsers"}"#,
        r#"{"userAgent":"Boto3\/1.34"}"#,
        "{\"tags\":[\"\u{212a}elvin\",\"ink\"]}",
    ] {
        assert!(matches(&matcher, record), "{record}");
        assert!(prefilter.admits(entry(record).as_bytes()), "{record}");
    }
    let quiet = entry(r#"{"eventName":"GetUser","sourceIPAddress":"192.0.2.1"}"#);
    assert!(!prefilter.admits(quiet.as_bytes()));
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
    refused("  selection:\n    eventName: ListUsers\n  condition: not selection\n");
    refused("  keywords:\n    - ListUsers\n  condition: keywords\n");
    refused("  selection:\n    eventName|exists: false\n  condition: selection\n");
    refused("  selection:\n    eventName: null\n  condition: selection\n");
}

#[test]
fn values_no_literal_stands_for_still_require_their_raw_field() {
    // A regex without a literal, a case-insensitive one, a CIDR, a number (compared as decimal
    // text, which `1e3` does not hold) and a literal JSON writes escaped say nothing of the
    // value; but a matched field is present, so the record holds each segment of its name.
    for (detection, field) in [
        ("eventName|re: '^[A-Z][a-z]+$'", "eventName"),
        ("eventName|re|i: 'ListUsers'", "eventName"),
        ("sourceIPAddress|cidr: 10.0.0.0/8", "sourceIPAddress"),
        ("eventVersion: '1000'", "eventVersion"),
        ("eventSource|contains: 'iam\"'", "eventSource"),
        (
            "requestParameters.userName|exists: true",
            "requestParameters.userName",
        ),
    ] {
        let prefilter = RawPrefilter::build(&rules(&[rule(
            "presence",
            &format!("  selection:\n    {detection}\n  condition: selection\n"),
        )]))
        .unwrap_or_else(|e| panic!("{detection}: {e}"));
        let nested = field.split('.').rev().fold("1".to_owned(), |inner, key| {
            format!("{{\"{key}\":{inner}}}")
        });
        let flat = format!("{{\"{}\":1}}", field.to_uppercase());
        assert!(prefilter.admits(nested.as_bytes()), "{detection}: {nested}");
        assert!(prefilter.admits(flat.as_bytes()), "{detection}: {flat}");
        let last = field.rsplit('.').next().unwrap();
        let without = format!("{{\"other\":\"{}\"}}", &last[..last.len() - 1]);
        assert!(
            !prefilter.admits(without.as_bytes()),
            "{detection}: {without}"
        );
    }
}

fn no_signature(_: LogSource) -> &'static [&'static [&'static str]] {
    &[]
}

fn test_signature(source: LogSource) -> &'static [&'static [&'static str]] {
    match source {
        LogSource::Cloudtrail => &[&["eventsource"], &["eventname"]],
        LogSource::Sysmon | LogSource::Security4688 => &[&["eventid"]],
        _ => &[],
    }
}

fn test_field_literals(name: &str) -> Option<&'static [&'static str]> {
    name.starts_with("cli.").then_some(&["commandline"][..])
}

#[test]
fn with_facts_derived_fields_narrow_to_their_records_and_sources() {
    let facts = RawFacts {
        signature: test_signature,
        field_literals: test_field_literals,
    };
    let endpoint = |detection: &str| {
        format!(
            "title: e\nid: 00000000-0000-4000-8000-000000000e01\nlogsource:\n  category: \
             process_creation\n  product: windows\ndetection:\n{detection}level: low\n"
        )
    };
    // A derived field: present only where a command line is, or a raw `cli.enumeration` path.
    let set = rules(&[endpoint(
        "  selection:\n    cli.enumeration: true\n  condition: selection\n",
    )]);
    assert!(RawPrefilter::build(&set).is_err(), "no facts, no filter");
    let p = RawPrefilter::build_with(&set, None, Some(&facts)).unwrap();
    assert!(p.admits(br#"{"EventID":1,"CommandLine":"aws iam list-users"}"#));
    assert!(p.admits(br#"{"cli":{"enumeration":true}}"#));
    assert!(!p.admits(br#"{"eventSource":"iam.amazonaws.com","eventName":"ListUsers"}"#));

    // A rule whose conditions say nothing admits the records of the sources it is routed to.
    let set = rules(&[rule(
        "derived",
        "  selection:\n    actor.name: bob\n  condition: selection\n",
    )]);
    let p = RawPrefilter::build_with(&set, None, Some(&facts)).unwrap();
    assert!(p.admits(br#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#));
    assert!(!p.admits(br#"{"eventSource":"s3.amazonaws.com"}"#));
    assert!(!p.admits(br#"{"EventID":1,"CommandLine":"x"}"#));

    // A source without a known signature keeps the filter off.
    let blind = RawFacts {
        signature: no_signature,
        field_literals: test_field_literals,
    };
    assert!(RawPrefilter::build_with(&set, None, Some(&blind)).is_err());

    // A rule no log source is routed to never matches and asks for nothing.
    let nowhere = "title: n\nid: 00000000-0000-4000-8000-000000000e02\nlogsource:\n  product: \
                   linux\n  category: file_event\ndetection:\n  selection:\n    actor.name: x\n  \
                   condition: selection\nlevel: low\n"
        .to_owned();
    let set = rules(&[
        nowhere,
        rule(
            "listing",
            "  selection:\n    eventName: ListUsers\n  condition: selection\n",
        ),
    ]);
    let p = RawPrefilter::build_with(&set, None, Some(&facts)).unwrap();
    assert_eq!(p.rules(), 1);
    assert!(!p.admits(br#"{"eventName":"GetObject"}"#));
}

#[test]
fn the_keyed_gate_admits_single_clauses_on_their_literal_and_pairs_on_both() {
    // One rule of a single clause (its literals are decisive) beside rules of two clauses.
    let set = rules(&[
        rule(
            "single",
            "  selection:\n    eventSource: iam.amazonaws.com\n  condition: selection\n",
        ),
        rule(
            "pair",
            "  selection:\n    eventSource: sts.amazonaws.com\n    eventName: GetCallerIdentity\n  condition: selection\n",
        ),
        rule(
            "other-pair",
            "  selection:\n    eventSource: s3.amazonaws.com\n    eventName: ListBuckets\n  condition: selection\n",
        ),
    ]);
    let prefilter = RawPrefilter::build(&set).unwrap();
    let lines = [
        r#"{"eventSource":"iam.amazonaws.com","eventName":"ListUsers"}"#,
        r#"{"eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity"}"#,
        r#"{"eventSource":"sts.amazonaws.com","eventName":"AssumeRole"}"#,
        r#"{"eventSource":"s3.amazonaws.com","eventName":"GetObject"}"#,
        r#"{"eventSource":"s3.amazonaws.com","eventName":"ListBuckets"}"#,
        r#"{"eventSource":"ec2.amazonaws.com","eventName":"GetCallerIdentity"}"#,
    ];
    let exact = |line: &str| {
        let mut lowered = line.as_bytes().to_vec();
        lowered.make_ascii_lowercase();
        prefilter.some_rule_complete(&lowered)
    };
    let expected = [true, true, false, false, true, false];
    for _ in 0..(LEARN_RECORDS as usize / lines.len() + 2) {
        for (line, want) in lines.iter().zip(expected) {
            assert_eq!(prefilter.admits(line.as_bytes()), want, "{line}");
            assert_eq!(exact(line), want, "{line}");
        }
    }
    let gate = prefilter.learning.gate.get().expect("the gate was learned");
    assert!(
        gate.literals().iter().any(|l| l == "iam.amazonaws.com"),
        "{:?}",
        gate.literals()
    );
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
        Just("organizations.amazonaws.com".to_owned()),
        Just("ListAccounts".to_owned()),
        Just("listroots".to_owned()),
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
                // The same record as a CloudTrail event-history entry or a CloudWatch Logs
                // event holds it in a string, and a partner's EventBridge event as its
                // `detail`: the decoder hands it out in the holder's place (`embedded`).
                let detail: Value = serde_json::from_str(&line).unwrap();
                for entry in [
                    serde_json::json!({"EventId": "e", "CloudTrailEvent": line}),
                    serde_json::json!({"id": "1", "timestamp": 1, "message": line}),
                    serde_json::json!({"detail-type": "x", "source": "aws.partner/a", "detail": detail}),
                ] {
                    let entry = entry.to_string();
                    prop_assert!(prefilter.admits(entry.as_bytes()), "rejected a matching entry: {entry}");
                }
            }
        }
    }
}

/// Literals that overlap, nest and share prefixes, so that matches hide one another.
const KEYED_WORDS: [&str; 8] = [
    "list",
    "listusers",
    "users",
    "iam",
    "iam.amazon",
    "amazon",
    "s",
    "get",
];

fn arb_rules() -> impl Strategy<Value = Vec<Vec<Clause>>> {
    let clause = prop::collection::vec(
        prop::sample::select(KEYED_WORDS.to_vec()).prop_map(str::to_owned),
        0..3,
    )
    .prop_map(|mut c| {
        c.sort_unstable();
        c.dedup();
        c
    });
    prop::collection::vec(prop::collection::vec(clause, 0..4), 1..6)
}

fn arb_lowered() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(KEYED_WORDS.to_vec()).prop_map(str::to_owned),
            "[a-z.\" ]{0,3}",
        ],
        0..8,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The keyed gate admits exactly the records the overlapping pass completes some rule on,
    /// whichever clauses the learning picked.
    #[test]
    fn the_keyed_gate_gives_the_overlapping_verdict(
        rules in arb_rules(),
        learn in prop::collection::vec(arb_lowered(), 0..6),
        texts in prop::collection::vec(arb_lowered(), 1..12),
    ) {
        let prefilter = RawPrefilter::from_clauses(rules).unwrap();
        // Learn from a few texts, then pass the threshold with empty records.
        for text in &learn {
            for hit in prefilter.automaton.find_overlapping_iter(text.as_bytes()) {
                prefilter.learning.count(hit.pattern().as_usize());
            }
        }
        for _ in 0..LEARN_RECORDS {
            prefilter.learning.record_counted();
        }
        let gate = prefilter.learning.gate.get().expect("the gate was learned");
        for text in &texts {
            prop_assert_eq!(
                gate.admits(text.as_bytes()),
                prefilter.some_rule_complete(text.as_bytes()),
                "{}", text
            );
        }
    }
}

/// Words enough for a gate of several searchers; `k1` is a prefix of `k10` … `k19`, `k100` ….
fn many_words() -> Vec<String> {
    (0..150).map(|i| format!("k{i}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Past one searcher the gate's literals are ordered by their counts (most frequent
    /// first), which changes no verdict.
    #[test]
    fn a_gate_of_several_searchers_gives_the_overlapping_verdict(
        rules in prop::collection::vec(
            prop::collection::vec(prop::collection::btree_set(0usize..150, 1..4), 1..3),
            70..110,
        ),
        learn in prop::collection::vec(prop::collection::vec(0usize..150, 0..30), 0..8),
        texts in prop::collection::vec(prop::collection::vec(0usize..150, 0..12), 1..12),
    ) {
        let words = many_words();
        let word = |i: &usize| words.get(*i).cloned().unwrap_or_default();
        let rules: Vec<Vec<Clause>> = rules
            .iter()
            .map(|r| r.iter().map(|c| c.iter().map(word).collect()).collect())
            .collect();
        let prefilter = RawPrefilter::from_clauses(rules).unwrap();
        for text in &learn {
            let text: String = text.iter().map(word).collect::<Vec<_>>().join(" ");
            for hit in prefilter.automaton.find_overlapping_iter(text.as_bytes()) {
                prefilter.learning.count(hit.pattern().as_usize());
            }
        }
        for _ in 0..LEARN_RECORDS {
            prefilter.learning.record_counted();
        }
        let gate = prefilter.learning.gate.get().expect("the gate was learned");
        prop_assume!(gate.literals().len() > super::GATE_CHUNK);
        for text in &texts {
            let text: String = text.iter().map(word).collect::<Vec<_>>().join("");
            prop_assert_eq!(
                gate.admits(text.as_bytes()),
                prefilter.some_rule_complete(text.as_bytes()),
                "{}", text
            );
        }
    }
}

proptest! {
    /// The vector lower-casing equals the standard library's, and its flags a plain scan.
    #[test]
    fn lower_case_into_is_ascii_lower_case_with_its_flags(
        bytes in prop::collection::vec(prop_oneof![Just(b'A'), Just(b'Z'), Just(b'@'), Just(b'['), Just(b'\\'), any::<u8>()], 0..100),
        dirty in 0usize..120,
    ) {
        // A buffer left by a longer or a shorter text, as the reused one is.
        let mut out = vec![b'x'; dirty];
        let (lowered, flags) = lower_case_into(&bytes, &mut out);
        prop_assert_eq!(lowered, bytes.to_ascii_lowercase());
        prop_assert_eq!(flags.backslash, bytes.contains(&b'\\'));
        prop_assert_eq!(flags.non_ascii, bytes.iter().any(|&b| b > 0x7f));
    }
}

#[test]
fn a_literal_holding_another_of_its_clause_is_dropped() {
    let clause = |ls: &[&str]| ls.iter().map(|l| (*l).to_owned()).collect::<Clause>();
    assert_eq!(
        absorbed(clause(&[
            "client.accessdenied",
            "accessdeniedexception",
            "accessdenied",
            "x",
            "x",
            "unauthorizedoperation",
        ])),
        clause(&["accessdenied", "unauthorizedoperation", "x"])
    );
    // Literals of other clauses are not compared: each clause must still be met on its own.
    let prefilter = RawPrefilter::from_clauses(vec![vec![
        clause(&["accessdenied"]),
        clause(&["client.accessdenied"]),
    ]])
    .unwrap();
    assert!(prefilter.some_rule_complete(b"client.accessdenied"));
    assert!(!prefilter.some_rule_complete(b"accessdenied"));
}
