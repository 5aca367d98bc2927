//! The Sigma engine modifier by modifier, the condition grammar, filters and log-source routing,
//! all through `Matcher` on hand-built events.

use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource};
use enumwatch_rules::{RuleSource, load, load_prechecked};
use serde_json::{Value, json};

use crate::Matcher;

fn event(source: LogSource, fields: Value, raw: Value) -> Event {
    let mut e = Event::new(source, Location::new(Arc::from("t"), 0), Arc::new(raw));
    if let Value::Object(map) = fields {
        for (k, v) in map {
            e.fields.insert(k, v);
        }
    }
    e
}

fn rule(logsource: &str, detection: &str) -> String {
    format!(
        "title: T\nid: 55555555-5555-4555-8555-555555555555\nlogsource:\n{logsource}\ndetection:\n{detection}\nlevel: low\n"
    )
}

fn matches(yaml: &str, ev: &Event) -> bool {
    let (rules, errors) = load(&[RuleSource {
        name: "r.yml".into(),
        text: yaml.into(),
    }]);
    assert!(errors.is_empty(), "{errors:?}");
    let m = Matcher::new(&rules).unwrap();
    let mut hits = Vec::new();
    m.matches(ev, &mut hits);
    !hits.is_empty()
}

const PROC: &str = "  category: process_creation";

fn proc(cmd: &str) -> Event {
    event(
        LogSource::Sysmon,
        json!({"CommandLine": cmd, "Image": "C:\\Windows\\System32\\cmd.exe", "ProcessId": "4242", "cli.enumeration": true}),
        json!({"Event": {"EventData": {"IpAddress": "10.1.2.3", "Count": 7}}}),
    )
}

#[test]
fn modifiers_one_by_one() {
    let cases: &[(&str, &str, bool)] = &[
        (
            "CommandLine|contains: 'iam list'",
            "aws IAM LIST-users",
            true,
        ),
        (
            "CommandLine|contains: 'iam list'",
            "aws iam get-user",
            false,
        ),
        ("CommandLine|startswith: 'aws '", "aws iam list-users", true),
        ("CommandLine|startswith: 'iam'", "aws iam list-users", false),
        (
            "CommandLine|endswith: 'list-users'",
            "aws iam list-users",
            true,
        ),
        (
            "CommandLine|contains|all: ['iam', 'users']",
            "aws iam list-users",
            true,
        ),
        (
            "CommandLine|contains|all: ['iam', 'roles']",
            "aws iam list-users",
            false,
        ),
        (
            "CommandLine|re: '^aws\\s+iam\\s+list-'",
            "aws iam list-users",
            true,
        ),
        ("CommandLine|re|i: '^AWS IAM'", "aws iam list-users", true),
        ("CommandLine|re: '^AWS IAM'", "aws iam list-users", false),
        (
            "CommandLine|contains|cased: 'IAM'",
            "aws iam list-users",
            false,
        ),
        (
            "CommandLine|contains|cased: 'iam'",
            "aws iam list-users",
            true,
        ),
        (
            "CommandLine|cased: 'aws iam list-users'",
            "aws iam list-users",
            true,
        ),
        (
            "CommandLine|windash|contains: '-enc '",
            "powershell /enc SQBFAFgA",
            true,
        ),
        (
            "CommandLine|base64offset|contains: 'Get-MsolUser'",
            "powershell -e R2V0LU1zb2xVc2Vy",
            true,
        ),
        (
            "CommandLine: ['aws iam list-users', 'az ad user list']",
            "az ad user list",
            true,
        ),
        ("CommandLine|exists: true", "x", true),
        ("Hashes|exists: true", "x", false),
        ("Event.EventData.IpAddress|cidr: '10.0.0.0/8'", "x", true),
        (
            "Event.EventData.IpAddress|cidr: '192.168.0.0/16'",
            "x",
            false,
        ),
        ("Event.EventData.Count|gt: 5", "x", true),
        ("Event.EventData.Count|lte: 5", "x", false),
        ("ProcessId|gte: 4242", "x", true),
        ("ProcessId|gte: 4243", "x", false),
        ("Event.EventData.Count|lt: 8", "x", true),
        ("Event.EventData.Count|lt: 7", "x", false),
        ("Event.EventData.Count|lte: 7", "x", true),
        ("Event.EventData.Count|gt: 7", "x", false),
        ("cli.enumeration: true", "x", true),
        ("Hashes: null", "x", true),
    ];
    for (selection, cmd, want) in cases {
        let yaml = rule(PROC, &format!("  sel:\n    {selection}\n  condition: sel"));
        assert_eq!(matches(&yaml, &proc(cmd)), *want, "{selection} on {cmd}");
    }
}

#[test]
fn keywords_search_every_string() {
    let yaml = rule(
        PROC,
        "  keywords:\n    - 'list-users'\n  condition: keywords",
    );
    assert!(matches(&yaml, &proc("aws iam list-users")));
    assert!(!matches(&yaml, &proc("aws iam list-roles")));
}

#[test]
fn condition_grammar() {
    let det = "  sel_aws:\n    CommandLine|contains: 'aws'\n  sel_iam:\n    CommandLine|contains: 'iam'\n  filter:\n    CommandLine|contains: 'get-user'\n";
    let cases: &[(&str, &str, bool)] = &[
        ("sel_aws and sel_iam", "aws iam list-users", true),
        ("sel_aws and not filter", "aws iam get-user", false),
        ("(sel_aws or sel_iam) and not filter", "iam list", true),
        ("1 of sel_*", "iam only", true),
        ("all of sel_*", "iam only", false),
        ("all of them", "aws iam get-user", true),
        ("1 of them and not filter", "aws iam get-user", false),
    ];
    for (condition, cmd, want) in cases {
        let yaml = rule(PROC, &format!("{det}  condition: {condition}"));
        assert_eq!(matches(&yaml, &proc(cmd)), *want, "{condition} on {cmd}");
    }
}

#[test]
fn events_only_meet_the_rules_of_their_log_source() {
    let windows = rule(
        "  product: windows\n  category: process_creation",
        "  sel:\n    CommandLine|contains: 'aws'\n  condition: sel",
    );
    let any_proc = rule(
        PROC,
        "  sel:\n    CommandLine|contains: 'aws'\n  condition: sel",
    );
    let cloudtrail = event(
        LogSource::Cloudtrail,
        json!({"CommandLine": "aws"}),
        json!({"eventName": "ListUsers"}),
    );
    assert!(!matches(&windows, &cloudtrail));
    assert!(!matches(&any_proc, &cloudtrail));
    for source in [
        LogSource::Sysmon,
        LogSource::Security4688,
        LogSource::DefenderProcess,
        LogSource::Auditd,
    ] {
        let e = event(
            source,
            json!({"CommandLine": "aws iam list-users"}),
            json!({}),
        );
        assert!(matches(&any_proc, &e), "{source}");
    }
    let auditd = event(LogSource::Auditd, json!({"CommandLine": "aws"}), json!({}));
    assert!(
        !matches(&windows, &auditd),
        "a windows rule never sees Linux events"
    );
    let ct = rule(
        "  product: aws\n  service: cloudtrail",
        "  sel:\n    userIdentity.arn|endswith: '/bob'\n  condition: sel",
    );
    let e = event(
        LogSource::Cloudtrail,
        json!({}),
        json!({"userIdentity": {"arn": "arn:aws:iam::1:user/bob"}}),
    );
    assert!(matches(&ct, &e), "raw dotted paths resolve");
}

#[test]
fn filter_rules_suppress_matches() {
    let yaml = format!(
        "{}---\ntitle: Sanctioned admin\nid: 66666666-6666-4666-8666-666666666666\nlogsource:\n  category: process_creation\nfilter:\n  rules:\n    - 55555555-5555-4555-8555-555555555555\n  selection:\n    User: 'CORP\\admin'\n  condition: not selection\n",
        rule(
            PROC,
            "  sel:\n    CommandLine|contains: 'aws'\n  condition: sel"
        )
    );
    let mut admin = proc("aws iam list-users");
    admin.fields.insert("User", "CORP\\admin");
    let mut other = proc("aws iam list-users");
    other.fields.insert("User", "CORP\\eve");
    assert!(!matches(&yaml, &admin));
    assert!(matches(&yaml, &other));
}

/// A field-rich Sysmon event for the modifiers the first table does not reach.
fn rich() -> Event {
    event(
        LogSource::Sysmon,
        json!({
            "CommandLine": "aws iam\nlist-users –all",
            "Image": "C:\\Windows\\System32\\cmd.exe",
            "ParentImage": "C:\\Windows\\System32\\cmd.exe",
            "OriginalFileName": "Cmd.Exe",
            "Payload": "YXdzIGlhbSBsaXN0LXVzZXJz",
            "EncodedArg": "SQBtAHAAbwByAHQALQBNAG8AZAB1AGwAZQAgAE0AUwBPAG4AbABpAG4AZQA7ACAARwBlAHQALQBNAHMAbwBsAFUAcwBlAHIAIAAtAEEAbABsAA==",
            "AsciiArg": "eCA9IEdldC1Nc29sVXNlcg==",
            "CurrentDirectory": "C:\\Users\\bob\\Downloads",
            "UserName": "bob",
        }),
        json!({"Event": {"EventData": {"IpAddress": "2001:db8::7"}}}),
    )
}

#[test]
fn more_modifiers_one_by_one() {
    let cases: &[(&str, bool)] = &[
        // Regex flags: m lets ^ match after a newline, s lets . match one.
        ("CommandLine|re|m: '^list-users'", true),
        ("CommandLine|re: '^list-users'", false),
        ("CommandLine|re|s: 'iam.list'", true),
        ("CommandLine|re: 'iam.list'", false),
        ("CommandLine|re|i|m: '^LIST-USERS'", true),
        // Plain values are whole-value, case-insensitive; wildcards are Sigma's.
        ("OriginalFileName: 'cmd.exe'", true),
        ("OriginalFileName: 'cmd'", false),
        ("Image: '*\\cmd.exe'", true),
        ("Image|endswith: '\\powershell.exe'", false),
        ("OriginalFileName|cased: 'cmd.exe'", false),
        // Encodings.
        ("Payload|base64: 'aws iam list-users'", true),
        ("Payload|base64: 'aws iam list-roles'", false),
        // Offset 1 (`x = ` is 4 bytes). rsigma 0.23 keeps the last, partial base64 character of
        // each variant, so a value followed by more text at a non-3-byte boundary is missed; here
        // the value ends the payload.
        ("AsciiArg|base64offset|contains: 'Get-MsolUser'", true),
        (
            "EncodedArg|wide|base64offset|contains: 'Get-MsolUser'",
            true,
        ),
        (
            "EncodedArg|utf16le|base64offset|contains: 'Get-MsolUser'",
            true,
        ),
        ("EncodedArg|base64offset|contains: 'Get-MsolUser'", false),
        // windash also covers the en dash.
        ("CommandLine|windash|contains: ' -all'", true),
        ("CommandLine|contains: ' -all'", false),
        // Field references.
        ("ParentImage|fieldref: Image", true),
        ("ParentImage|fieldref: OriginalFileName", false),
        // Placeholders expand from the event's own fields.
        (
            "CurrentDirectory|expand: 'C:\\Users\\%UserName%\\Downloads'",
            true,
        ),
        (
            "CurrentDirectory|expand: 'C:\\Users\\%UserName%\\Desktop'",
            false,
        ),
        // IPv6 CIDR on a raw dotted path.
        ("Event.EventData.IpAddress|cidr: '2001:db8::/32'", true),
        ("Event.EventData.IpAddress|cidr: '10.0.0.0/8'", false),
        // Null means absent; a present field is not null.
        ("CommandLine: null", false),
        ("Hashes|exists: false", true),
        // Lists are OR; `|all` makes them AND.
        ("OriginalFileName: ['powershell.exe', 'cmd.exe']", true),
        ("CommandLine|contains|all: ['iam', 'list', 'roles']", false),
    ];
    for (selection, want) in cases {
        let yaml = rule(PROC, &format!("  sel:\n    {selection}\n  condition: sel"));
        assert_eq!(matches(&yaml, &rich()), *want, "{selection}");
    }
}

#[test]
fn hits_name_the_rule_and_the_matched_fields() {
    let yaml = rule(
        PROC,
        "  sel:\n    CommandLine|contains: 'list-users'\n  condition: sel",
    );
    let (rules, _) = load(&[RuleSource {
        name: "r.yml".into(),
        text: yaml,
    }]);
    let m = Matcher::new(&rules).unwrap();
    let mut hits = Vec::new();
    m.matches(&proc("aws iam list-users"), &mut hits);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].rule, 0);
    assert_eq!(
        hits[0].matched_fields,
        [("CommandLine".to_owned(), "aws iam list-users".to_owned())]
    );
}

#[test]
fn a_ps_script_rule_sees_only_script_blocks() {
    let yaml = rule(
        "  product: windows\n  category: ps_script",
        "  sel:\n    ScriptBlockText|contains: 'Get-MsolUser'\n  condition: sel",
    );
    let block = event(
        LogSource::Powershell4104,
        json!({"ScriptBlockText": "Get-MsolUser -All"}),
        json!({}),
    );
    let process = event(
        LogSource::Sysmon,
        json!({"ScriptBlockText": "Get-MsolUser -All"}),
        json!({}),
    );
    assert!(matches(&yaml, &block));
    assert!(!matches(&yaml, &process));
}

#[test]
fn prechecked_rules_compile_in_the_matcher_like_checked_ones() {
    let yaml = rule(
        PROC,
        "  sel:\n    CommandLine|re: '(?i)aws\\s+iam\\s+list'\n  condition: sel",
    );
    let source = RuleSource {
        name: "r.yml".into(),
        text: yaml.clone(),
    };
    let (prechecked, errors) = load_prechecked(std::slice::from_ref(&source), &[]);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(prechecked.compiled()[0].is_none());
    let m = Matcher::new(&prechecked).unwrap();
    for cmd in ["AWS  iam list-users", "aws iam get-user"] {
        let mut hits = Vec::new();
        m.matches(&proc(cmd), &mut hits);
        assert_eq!(!hits.is_empty(), matches(&yaml, &proc(cmd)), "{cmd}");
    }
    // A prechecked rule that does not compile fails the matcher, naming the rule.
    let broken = RuleSource {
        name: "r.yml".into(),
        text: rule(
            PROC,
            "  sel:\n    CommandLine|re: '(unclosed'\n  condition: sel",
        ),
    };
    let (set, errors) = load_prechecked(&[broken], &[]);
    assert!(errors.is_empty(), "{errors:?}");
    let err = Matcher::new(&set).err().unwrap().to_string();
    assert!(
        err.starts_with("rule `55555555-5555-4555-8555-555555555555` cannot be compiled"),
        "{err}"
    );
}
