//! Rule loading, selection and error messages (each message snapshotted).

use super::*;

fn src(name: &str, text: &str) -> RuleSource {
    RuleSource {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

const GOOD: &str = "title: Good\nid: 11111111-1111-4111-8111-111111111111\nname: good-rule\nstatus: test\nlogsource:\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|contains: 'aws iam'\n  condition: selection\nlevel: high\ntags:\n  - attack.t1087.004\nenumwatch:\n  analytic: AN1088\n  default: false\n  confidence: high\n  investigation:\n    - Look at it.\n  response:\n    - Fix it.\n";

#[test]
fn metadata_and_enumwatch_settings_are_read() {
    let (set, errors) = load(&[src("good.yml", GOOD)]);
    assert!(errors.is_empty(), "{errors:?}");
    let m = &set.rules()[0];
    assert_eq!(m.level, Level::High);
    assert_eq!(m.analytic.as_deref(), Some("AN1088"));
    assert!(!m.default_enabled);
    assert_eq!(*m.investigation, ["Look at it."]);
    assert_eq!(m.category.as_deref(), Some("process_creation"));
}

#[test]
fn selection_by_id_name_title_tag_and_default() {
    let other = GOOD
        .replace(
            "11111111-1111-4111-8111-111111111111",
            "22222222-2222-4222-8222-222222222222",
        )
        .replace("name: good-rule", "name: other-rule")
        .replace("title: Good", "title: Other")
        .replace("default: false", "default: true");
    let (set, _) = load(&[src("a.yml", GOOD), src("b.yml", &other)]);
    assert_eq!(set.select(&[]).rules().len(), 1);
    assert_eq!(set.select(&["good-rule".into()]).rules()[0].title, "Good");
    assert_eq!(set.select(&["OTHER".into()]).rules()[0].title, "Other");
    assert_eq!(set.select(&["attack.t1087.004".into()]).rules().len(), 2);
    assert_eq!(
        set.select(&["22222222-2222-4222-8222-222222222222".into()])
            .rules()
            .len(),
        1
    );
    assert!(set.select(&["nope".into()]).rules().is_empty());
}

#[test]
fn unknown_modifier_names_file_path_and_line() {
    let bad = GOOD.replace("CommandLine|contains", "CommandLine|containz");
    let errors = lint(&src("rules/bad.yml", &bad));
    assert_eq!(errors.len(), 1);
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/bad.yml:9: at `detection.selection.CommandLine|containz`: unknown modifier 'containz'; expected one of contains, startswith, endswith, all, re, cidr, base64, base64offset, windash, wide, utf16le, utf16be, exists, cased, fieldref, gt, gte, lt, lte, expand (see the Sigma specification)"#);
}

#[test]
fn bad_condition_reference() {
    let bad = GOOD.replace(
        "condition: selection",
        "condition: selection and not filter",
    );
    let errors = lint(&src("rules/cond.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/cond.yml:10: at `detection.condition`: unknown detection identifier: filter; the condition may only name selections defined under `detection`"#);
}

#[test]
fn enumwatch_settings_are_validated() {
    let bad = GOOD.replace("analytic: AN1088", "analytic: AN9999");
    let errors = lint(&src("rules/an.yml", &bad));
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/an.yml:15: at `enumwatch.analytic`: expected one of AN1087, AN1088, AN1089, AN1090, found `AN9999`"#);
    let bad = GOOD.replace("confidence: high", "confidance: high");
    let errors = lint(&src("rules/key.yml", &bad));
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/key.yml:17: at `enumwatch.confidance`: unknown setting `enumwatch.confidance`; expected analytic, default, classifier, confidence, threshold, timespan, tool, investigation or response"#);
}

#[test]
fn missing_id_and_duplicate_id() {
    let no_id = GOOD.replace("id: 11111111-1111-4111-8111-111111111111\n", "");
    let errors = lint(&src("rules/noid.yml", &no_id));
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/noid.yml:1: at `title`: expected an `id` (a UUID); enumwatch names alerts and selections by rule id"#);
    let (set, errors) = load(&[src("a.yml", GOOD), src("b.yml", GOOD)]);
    assert_eq!(set.rules().len(), 1);
    insta::assert_snapshot!(errors[0].to_string(), @r#"b.yml:2: at `id`: duplicate rule id `11111111-1111-4111-8111-111111111111`, already used by a.yml; give every rule its own id"#);
}

#[test]
fn invalid_regex_is_an_error() {
    let bad = GOOD.replace(
        "CommandLine|contains: 'aws iam'",
        "CommandLine|re: '(?<=aws)iam'",
    );
    let errors = lint(&src("rules/re.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/re.yml:9: at `detection.selection.CommandLine|re`: invalid regex `(?<=aws)iam`: look-around, including look-ahead and look-behind, is not supported; write the pattern in the syntax of the Rust `regex` crate (no look-around, no backreferences)"#);
}

#[test]
fn missing_detection_is_located() {
    let start = GOOD.find("detection:").unwrap();
    let end = GOOD.find("level:").unwrap();
    let bad = format!("{}{}", &GOOD[..start], &GOOD[end..]);
    let errors = lint(&src("rules/nodet.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/nodet.yml:1: at `detection`: missing required field `detection`; expected a `detection` mapping with at least one selection and a `condition` in this rule"#);
}

#[test]
fn bad_level_and_status_are_located() {
    let bad = GOOD.replace("level: high", "level: severe");
    let errors = lint(&src("rules/level.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/level.yml:11: at `level`: expected informational, low, medium, high or critical, found `severe`; fix the rule's `level` value"#);
    let bad = GOOD.replace("status: test", "status: done");
    let errors = lint(&src("rules/status.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/status.yml:4: at `status`: expected stable, test, experimental, deprecated or unsupported, found `done`; fix the rule's `status` value"#);
}

#[test]
fn missing_logsource_is_a_lint_error() {
    let bad = GOOD.replace("logsource:\n  category: process_creation\n", "");
    let errors = lint(&src("rules/nolog.yml", &bad));
    assert!(!errors.is_empty());
    insta::assert_snapshot!(errors.last().unwrap().to_string(), @r#"rules/nolog.yml:1: at `logsource`: expected at least one of product, category or service; without one the rule runs against every log"#);
}

#[test]
fn oversized_regex_is_refused() {
    let bad = GOOD.replace(
        "CommandLine|contains: 'aws iam'",
        "CommandLine|re: '(\\p{L}{1,200}\\p{N}{1,200}){1,50}'",
    );
    let errors = lint(&src("rules/big.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string(), @r#"rules/big.yml:9: at `detection.selection.CommandLine|re`: expected a regex that compiles within 4096 KiB, found `(\p{L}{1,200}\p{N}{1,200}){1,50}` needing more than 4096 KiB; shorten bounded repetitions such as {1,100} or split the pattern"#);
    let (set, errors) = load(&[
        src("rules/big.yml", &bad),
        src(
            "good.yml",
            &GOOD.replace("name: good-rule", "name: other").replace(
                "11111111-1111-4111-8111-111111111111",
                "22222222-2222-4222-8222-222222222222",
            ),
        ),
    ]);
    assert_eq!(errors.len(), 1);
    assert_eq!(set.rules().len(), 1, "the good rule still loads");
}

#[test]
fn yaml_syntax_error_is_located() {
    let errors = lint(&src("rules/yaml.yml", "title: [unclosed\n"));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].to_string().starts_with("rules/yaml.yml"),
        "{}",
        errors[0]
    );
}

#[test]
fn prechecked_sources_are_described_but_not_compiled() {
    let other = GOOD
        .replace(
            "11111111-1111-4111-8111-111111111111",
            "22222222-2222-4222-8222-222222222222",
        )
        .replace("name: good-rule", "name: other-rule");
    let (checked, errors) = load(&[src("a.yml", GOOD), src("b.yml", &other)]);
    assert!(errors.is_empty(), "{errors:?}");
    let (mixed, errors) = load_prechecked(&[src("a.yml", GOOD)], &[src("b.yml", &other)]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(mixed.rules(), checked.rules());
    assert!(
        mixed.compiled()[0].is_none(),
        "prechecked: compiled when selected"
    );
    assert!(
        mixed.compiled()[1].is_some(),
        "checked: compiled once, kept"
    );
    assert!(checked.compiled().iter().all(Option::is_some));
    // Selection keeps the compiled forms aligned with the rules.
    let picked = mixed.select(&["other-rule".into()]);
    assert_eq!(picked.rules().len(), 1);
    assert!(picked.compiled()[0].is_some());
    // A duplicate id across the two kinds of source is still refused.
    let (_, errors) = load_prechecked(&[src("a.yml", GOOD)], &[src("c.yml", GOOD)]);
    assert_eq!(errors.len(), 1, "{errors:?}");
}
