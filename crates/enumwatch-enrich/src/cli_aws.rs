//! AWS CLI v1/v2 invocations: which IAM, Organizations, Identity Store and SSO-admin
//! operations list principals (AN1088) and which are single lookups. Global options are skipped
//! so `aws --profile x iam list-users` reads the same as `aws iam list-users`.

use enumwatch_event::{Platform, ToolCategory};

use crate::Recognition;
use crate::tools::{positionals, rec};

const AWS_VALUED: [&str; 10] = [
    "--profile",
    "--region",
    "--output",
    "--endpoint-url",
    "--query",
    "--color",
    "--ca-bundle",
    "--cli-read-timeout",
    "--cli-connect-timeout",
    "--cli-binary-format",
];

const IAM_LISTING: [&str; 12] = [
    "get-account-authorization-details",
    "get-account-summary",
    "generate-credential-report",
    "get-credential-report",
    "get-group",
    "list-entities-for-policy",
    "list-account-aliases",
    "list-saml-providers",
    "list-open-id-connect-providers",
    "list-instance-profiles",
    "list-users",
    "list-roles",
];

pub(crate) fn aws(args: &[String]) -> Option<Recognition> {
    let words = positionals(args, &AWS_VALUED);
    let (service, operation) = (*words.first()?, *words.get(1)?);
    let service_l = service.to_ascii_lowercase();
    let op = operation.to_ascii_lowercase();
    let enumeration = match service_l.as_str() {
        "iam" => op.starts_with("list-") || IAM_LISTING.contains(&op.as_str()),
        "organizations" => op.starts_with("list-") || op == "describe-organization",
        "identitystore" => op.starts_with("list-"),
        "sso-admin" => op.starts_with("list-"),
        "sts" => false,
        _ => return None,
    };
    // `aws iam list-users help` prints the manual page; it calls no API.
    let enumeration = enumeration && !words.get(2).is_some_and(|w| w.eq_ignore_ascii_case("help"));
    Some(rec(
        "aws-cli",
        &service_l,
        &op,
        format!("aws {service_l} {op}"),
        enumeration,
        Platform::Aws,
        ToolCategory::BuiltInEnumeration,
        "AN1088",
    ))
}
