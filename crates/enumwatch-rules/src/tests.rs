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
    assert_eq!(m.investigation, ["Look at it."]);
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
    insta::assert_snapshot!(errors[0].to_string());
}

#[test]
fn bad_condition_reference() {
    let bad = GOOD.replace(
        "condition: selection",
        "condition: selection and not filter",
    );
    let errors = lint(&src("rules/cond.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string());
}

#[test]
fn enumwatch_settings_are_validated() {
    let bad = GOOD.replace("analytic: AN1088", "analytic: AN9999");
    let errors = lint(&src("rules/an.yml", &bad));
    insta::assert_snapshot!(errors[0].to_string());
    let bad = GOOD.replace("confidence: high", "confidance: high");
    let errors = lint(&src("rules/key.yml", &bad));
    insta::assert_snapshot!(errors[0].to_string());
}

#[test]
fn missing_id_and_duplicate_id() {
    let no_id = GOOD.replace("id: 11111111-1111-4111-8111-111111111111\n", "");
    let errors = lint(&src("rules/noid.yml", &no_id));
    insta::assert_snapshot!(errors[0].to_string());
    let (set, errors) = load(&[src("a.yml", GOOD), src("b.yml", GOOD)]);
    assert_eq!(set.rules().len(), 1);
    insta::assert_snapshot!(errors[0].to_string());
}

#[test]
fn invalid_regex_is_an_error() {
    let bad = GOOD.replace(
        "CommandLine|contains: 'aws iam'",
        "CommandLine|re: '(?<=aws)iam'",
    );
    let errors = lint(&src("rules/re.yml", &bad));
    assert_eq!(errors.len(), 1, "{errors:?}");
    insta::assert_snapshot!(errors[0].to_string());
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
