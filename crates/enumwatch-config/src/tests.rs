//! Configuration tests: the shipped file equals the defaults, errors name the key path.

use super::*;

#[test]
fn shipped_file_equals_defaults() {
    let parsed = Config::parse(DEFAULT_TOML, "enumwatch.toml").unwrap();
    assert_eq!(parsed, Config::default());
    assert_eq!(Config::parse("", "empty.toml").unwrap(), Config::default());
}

#[test]
fn default_pattern_lists_compile_and_match_like_loaded_ones() {
    // The defaults compile on first use; this proves they compile, and match as a user's list
    // with the same patterns (compiled on load) does.
    let defaults = Config::default();
    let lists = [
        &defaults.identity_provider.app_context.public_client_app_ids,
        &defaults.iaas.cli_user_agent.expected,
    ];
    for list in lists {
        assert!(!list.is_empty());
        let loaded = PatternList::new(list.patterns().to_vec()).unwrap();
        for value in list.patterns().iter().map(|p| p.replace('*', "x")) {
            assert!(list.matches(&value), "{value}");
            assert!(loaded.matches(&value), "{value}");
            assert!(list.matches(&value.to_uppercase()), "{value}");
        }
        assert!(!list.matches("nothing like it"));
        assert!(!loaded.matches("nothing like it"));
    }
}

#[test]
fn overrides_and_lookups() {
    let c = Config::parse(
        "[iaas]\ndistinct_operations = 7\ntime_window = \"90s\"\n[iaas.caller_type]\nadmin = [\"arn:aws:iam::*:user/admin-*\"]\nexpected_enumerators = [\"admin\"]\n[saas.geo_context]\nexpected_countries = [\"DE\"]\ntrusted_cidrs = [\"10.0.0.0/8\", \"192.0.2.7\"]\n",
        "t.toml",
    )
    .unwrap();
    assert_eq!(c.number("iaas.distinct_operations"), Some(7));
    assert_eq!(c.window("iaas.time_window").unwrap().as_seconds(), 90);
    assert_eq!(c.window("iaas.time_window").unwrap().to_string(), "90s");
    assert_eq!(c.number("iaas.nope"), None);
    assert_eq!(
        c.caller_type("arn:aws:iam::123456789012:user/ADMIN-alice"),
        Some("admin")
    );
    assert_eq!(c.caller_type("arn:aws:iam::123456789012:user/bob"), None);
    assert_eq!(
        c.caller_type("arn:aws:sts::1:assumed-role/web/i-0adc17a5acb70d9ae"),
        Some("instance_role")
    );
    assert!(
        c.saas
            .geo_context
            .trusted_cidrs
            .contains("10.1.2.3".parse().unwrap())
    );
    assert!(
        c.saas
            .geo_context
            .trusted_cidrs
            .contains("192.0.2.7".parse().unwrap())
    );
    assert!(
        !c.saas
            .geo_context
            .trusted_cidrs
            .contains("192.0.2.8".parse().unwrap())
    );
    for key in Config::number_keys() {
        assert!(c.number(key).is_some(), "{key}");
    }
    for key in Config::window_keys() {
        assert!(c.window(key).is_some(), "{key}");
    }
}

#[test]
fn errors_name_the_key_and_line() {
    let err = |text: &str| Config::parse(text, "my.toml").unwrap_err().to_string();
    insta::assert_snapshot!(err("[iaas]\ndistinct_operatons = 3\n"), @"my.toml:2: unknown field `distinct_operatons`, expected one of `time_window`, `distinct_operations`, `denied_calls`, `trust_policy_errors`, `caller_type`, `cli_user_agent`, `cloud_region`");
    insta::assert_snapshot!(err("[iaas]\ntime_window = \"10\"\n"), @r#"my.toml:2: `10` has no unit; write it as "30s", "10m", "1h" or "1d""#);
    insta::assert_snapshot!(err("[saas.geo_context]\ntrusted_cidrs = [\"10.0.0/8\"]\n"), @r#"my.toml:2: `10.0.0/8` is not a network; write it as "10.0.0.0/8" or "2001:db8::/32""#);
    insta::assert_snapshot!(err("[saas.geo_context]\nexpected_countries = [\"Germany\"]\n"), @r#"my.toml: `saas.geo_context.expected_countries[0]`: `Germany` is not an ISO 3166-1 alpha-2 code such as "US" or "DE""#);
    insta::assert_snapshot!(err("[iaas.caller_type]\nexpected_enumerators = [\"root\"]\n"), @"my.toml: `iaas.caller_type.expected_enumerators[0]`: `root` is not a caller type; expected one of admin, developer, test, service, instance_role");
    insta::assert_snapshot!(err("[iaas]\ndenied_calls = 0\n"), @"my.toml: `iaas.denied_calls`: must be at least 1");
    insta::assert_snapshot!(err("[iaas]\ndenied_calls = -1\n"), @"my.toml:2: invalid value: integer `-1`, expected u64");
    let missing = Config::load(Path::new("/nonexistent/enumwatch.toml")).unwrap_err();
    assert!(
        missing
            .to_string()
            .starts_with("cannot read the configuration file /nonexistent/enumwatch.toml")
    );
}

#[test]
fn windows_parse_and_print() {
    assert_eq!(Window::parse("10m").unwrap().as_seconds(), 600);
    assert_eq!(Window::parse("1d").unwrap().to_string(), "1d");
    assert_eq!(Window::parse("3600s").unwrap().to_string(), "1h");
    assert!(Window::parse("0m").is_err());
    assert!(Window::parse("40d").is_err());
    assert!(Window::parse("m").is_err());
    assert!(Window::parse("99999999999999999999999s").is_err());
}

#[test]
fn instance_sessions() {
    assert!(is_instance_session(
        "arn:aws:sts::012345678901:assumed-role/my-instance-role/i-0adc17a5acb70d9ae"
    ));
    assert!(!is_instance_session(
        "arn:aws:iam::1:user/i-0adc17a5acb70d9ae"
    ));
    assert!(!is_instance_session("arn:aws:sts::1:assumed-role/r/i-xyz"));
    assert!(!is_instance_session(""));
}

proptest::proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let result = Config::parse(&text, "p.toml");
        proptest::prop_assert!(result.is_ok() || !result.unwrap_err().to_string().is_empty());
    }
}

#[test]
fn tuning_entries_are_validated_and_expire() {
    let c = Config::parse(
        "[[tuning]]\nname = \"quarterly-iam-audit\"\nowner = \"cloud-security\"\nreason = \"Q-review\"\nexpires = \"2026-12-31\"\nanalytics = [\"AN1088\"]\nprincipals = [\"*:user/auditor\"]\nsource_cidrs = [\"10.0.0.0/8\"]\n",
        "t.toml",
    )
    .unwrap();
    let t = &c.tuning[0];
    assert!(!t.expired_on((2026, 12, 31)));
    assert!(t.expired_on((2027, 1, 1)));
    let err = |text: &str| Config::parse(text, "t.toml").unwrap_err().to_string();
    insta::assert_snapshot!(err("[[tuning]]\nname = \"x\"\nowner = \"\"\nreason = \"r\"\nprincipals = [\"a\"]\n"), @"t.toml: `tuning[0].owner`: is required: every exception needs a name, an owner and a reason");
    insta::assert_snapshot!(err("[[tuning]]\nname = \"x\"\nowner = \"o\"\nreason = \"r\"\n"), @"t.toml: `tuning[0].principals`: an entry must name at least one of principals, app_ids, user_agents, source_cidrs or hosts");
    insta::assert_snapshot!(err("[[tuning]]\nname = \"x\"\nowner = \"o\"\nreason = \"r\"\nhosts = [\"h\"]\nexpires = \"2027-02-30\"\n"), @r#"t.toml: `tuning[0].expires`: `2027-02-30` is not a date such as "2027-03-31""#);
    insta::assert_snapshot!(err("[[tuning]]\nname = \"x\"\nowner = \"o\"\nreason = \"r\"\nhosts = [\"h\"]\n[[tuning]]\nname = \"x\"\nowner = \"o\"\nreason = \"r\"\nhosts = [\"h\"]\n"), @"t.toml: `tuning[1].name`: `x` is used by another entry");
    insta::assert_snapshot!(err("[[tuning]]\nname = \"x\"\nowner = \"o\"\nreason = \"r\"\nhosts = [\"h\"]\nanalytics = [\"AN9\"]\n"), @"t.toml: `tuning[0].analytics[0]`: `AN9` is not an analytic; expected AN1087, AN1088, AN1089 or AN1090");
    assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
    assert_eq!(parse_date("2023-02-29"), None);
    assert_eq!(parse_date("2023-13-01"), None);
}
