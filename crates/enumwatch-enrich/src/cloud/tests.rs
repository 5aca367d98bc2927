//! Context tagging: each list-valued tunable marks what it should, and never an offensive tool.

use std::net::IpAddr;
use std::sync::Arc;

use enumwatch_config::Config;
use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::json;

use super::*;

fn event(source: LogSource, fields: &[(&'static str, &str)]) -> Event {
    let mut e = Event::new(
        source,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    for (k, v) in fields {
        e.fields.insert(*k, *v);
    }
    e
}

fn config(toml: &str) -> Config {
    Config::parse(toml, "t.toml").unwrap()
}

struct Table;
impl CountryLookup for Table {
    fn country(&self, ip: IpAddr) -> Option<String> {
        (ip.to_string() == "203.0.113.9").then(|| "AU".to_owned())
    }
}

#[test]
fn terraform_is_expected_by_default_but_a_kali_boto3_never_is() {
    let e = CloudEnricher::new(Config::default());
    let mut tf = event(
        LogSource::Cloudtrail,
        &[(
            field::USER_AGENT,
            "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io)",
        )],
    );
    assert_eq!(
        e.enrich(&mut tf).as_deref(),
        Some("iaas.cli_user_agent.expected")
    );
    assert_eq!(tf.fields.get_str(field::CLIENT_TOOL), Some("terraform"));
    let cfg = config("[iaas.cli_user_agent]\nexpected = [\"Boto3/*\"]\n");
    let e = CloudEnricher::new(cfg);
    let mut kali = event(
        LogSource::Cloudtrail,
        &[(
            field::USER_AGENT,
            "Boto3/1.28.0 md/Botocore#1.31.0 os/linux#6.3.0-kali1-amd64 distrib#kali",
        )],
    );
    assert_eq!(
        e.enrich(&mut kali),
        None,
        "an offensive signature is never tuned out"
    );
    assert_eq!(
        kali.fields.get_str(field::CLIENT_TOOL_CATEGORY),
        Some("KnownOffensiveTool")
    );
    let mut boto = event(
        LogSource::Cloudtrail,
        &[(field::USER_AGENT, "Boto3/1.26.165 Python/3.10.6")],
    );
    assert!(e.enrich(&mut boto).is_some());
}

#[test]
fn caller_type_region_and_instance_roles() {
    let e = CloudEnricher::new(config(
        "[iaas.caller_type]\nadmin = [\"arn:aws:iam::*:user/admin-*\"]\nexpected_enumerators = [\"admin\"]\n[iaas.cloud_region]\nexpected_regions = [\"eu-west-1\"]\nexpected_source_cidrs = [\"10.0.0.0/8\"]\n",
    ));
    let mut admin = event(
        LogSource::Cloudtrail,
        &[
            (field::ACTOR, "arn:aws:iam::1:user/admin-ann"),
            (field::REGION, "eu-west-1"),
            (field::SOURCE_IP, "10.2.3.4"),
        ],
    );
    assert_eq!(
        e.enrich(&mut admin).as_deref(),
        Some("iaas.caller_type.expected_enumerators (admin)")
    );
    assert!(!admin.fields.contains(field::CTX_UNEXPECTED_REGION));
    let mut role = event(
        LogSource::Cloudtrail,
        &[
            (
                field::ACTOR,
                "arn:aws:sts::1:assumed-role/web/i-0adc17a5acb70d9ae",
            ),
            (field::REGION, "us-east-1"),
            (field::SOURCE_IP, "198.51.100.7"),
        ],
    );
    assert_eq!(e.enrich(&mut role), None);
    assert_eq!(
        role.fields.get_str(field::CTX_CALLER_TYPE),
        Some("instance_role")
    );
    assert_eq!(
        role.fields.get(field::CTX_UNEXPECTED_REGION),
        Some(&json!(true))
    );
}

#[test]
fn identity_scopes_public_clients_automation_apps() {
    let e = CloudEnricher::new(config(
        "[identity_provider.app_context]\nautomation_app_ids = [\"11111111-2222-3333-4444-555555555555\"]\n",
    ));
    let mut sync = event(
        LogSource::GraphActivity,
        &[
            (field::APP_ID, "11111111-2222-3333-4444-555555555555"),
            (field::ROLES, "User.Read.All Group.Read.All"),
        ],
    );
    assert_eq!(
        e.enrich(&mut sync).as_deref(),
        Some("identity_provider.app_context.automation_app_ids")
    );
    assert_eq!(
        sync.fields.get(field::CTX_DIRECTORY_SCOPE),
        Some(&json!(true))
    );
    let mut hound = event(
        LogSource::GraphActivity,
        &[
            (field::APP_ID, "1950a258-227b-4e31-a9cf-717495945fc2"),
            (field::USER_AGENT, "azurehound/v2.1.7"),
        ],
    );
    assert_eq!(e.enrich(&mut hound), None);
    assert_eq!(
        hound.fields.get(field::CTX_PUBLIC_CLIENT),
        Some(&json!(true))
    );
}

#[test]
fn geo_context_uses_the_log_country_or_the_database() {
    let e = CloudEnricher::new(config(
        "[saas.geo_context]\nexpected_countries = [\"US\"]\ntrusted_cidrs = [\"192.0.2.0/24\"]\n",
    ))
    .with_geo(Box::new(Table));
    let mut logged = event(
        LogSource::OktaSystemLog,
        &[(field::COUNTRY, "DE"), (field::SOURCE_IP, "198.51.100.1")],
    );
    e.enrich(&mut logged);
    assert_eq!(
        logged.fields.get(field::CTX_UNEXPECTED_GEO),
        Some(&json!(true))
    );
    let mut looked_up = event(
        LogSource::WorkspaceActivity,
        &[(field::SOURCE_IP, "203.0.113.9")],
    );
    e.enrich(&mut looked_up);
    assert_eq!(looked_up.fields.get_str(field::COUNTRY), Some("AU"));
    assert_eq!(
        looked_up.fields.get(field::CTX_UNEXPECTED_GEO),
        Some(&json!(true))
    );
    let mut trusted = event(
        LogSource::SlackAudit,
        &[(field::COUNTRY, "DE"), (field::SOURCE_IP, "192.0.2.5")],
    );
    e.enrich(&mut trusted);
    assert!(!trusted.fields.contains(field::CTX_UNEXPECTED_GEO));
    let mut home = event(LogSource::SlackAudit, &[(field::COUNTRY, "US")]);
    e.enrich(&mut home);
    assert!(!home.fields.contains(field::CTX_UNEXPECTED_GEO));
}

#[test]
fn endpoint_events_are_left_alone_and_ips_parse_in_vendor_forms() {
    let e = CloudEnricher::new(Config::default());
    let mut sysmon = event(LogSource::Sysmon, &[(field::USER_AGENT, "azurehound/1")]);
    assert_eq!(e.enrich(&mut sysmon), None);
    assert!(!sysmon.fields.contains(field::CLIENT_TOOL));
    assert_eq!(parse_ip("10.1.2.3:443"), "10.1.2.3".parse().ok());
    assert_eq!(parse_ip("[2001:db8::1]:443"), "2001:db8::1".parse().ok());
    assert_eq!(parse_ip(" 2001:db8::1 "), "2001:db8::1".parse().ok());
    assert_eq!(parse_ip("AWS Internal"), None);
    assert_eq!(parse_ip("ec2.amazonaws.com"), None);
}
