//! The expected outcome of every test, per telemetry source: for an attack, the rule that must
//! alert with its analytic, platform and tool category (or a documented known gap); for a benign
//! twin, whether the source stays quiet or is suppressed by the configuration the twin ships.
//! Change a row only when the detection content changes on purpose.

use enumwatch_event::{LogSource, Platform, ToolCategory};

/// What a row expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The rule alerts.
    Fires,
    /// The current rules do not detect this; the reason is printed with the matrix.
    KnownGap(&'static str),
    /// A benign twin's source: no alert at all.
    Quiet,
    /// A benign twin's source: alerts only without the twin's configuration.
    Suppressed,
}

/// One expected (test, source) outcome.
#[derive(Debug, Clone, Copy)]
pub struct Expectation {
    pub test: &'static str,
    pub source: LogSource,
    /// Rule name (`-` for a benign twin's row).
    pub rule: &'static str,
    pub analytic: &'static str,
    pub platform: Platform,
    pub tool_category: ToolCategory,
    pub outcome: Outcome,
}

use LogSource as S;
use Outcome::{Fires, KnownGap, Quiet, Suppressed};
use Platform::{Aws, AzureM365 as Azure, Gcp};
use ToolCategory::{BuiltInEnumeration as BuiltIn, KnownOffensiveTool as Offensive, Other};

const fn row(
    test: &'static str,
    source: LogSource,
    rule: &'static str,
    analytic: &'static str,
    platform: Platform,
    tool_category: ToolCategory,
    outcome: Outcome,
) -> Expectation {
    Expectation {
        test,
        source,
        rule,
        analytic,
        platform,
        tool_category,
        outcome,
    }
}

const fn twin(test: &'static str, source: LogSource, outcome: Outcome) -> Expectation {
    row(test, source, "-", "-", Platform::Unknown, Other, outcome)
}

const CLI: &str = "cloud-account-enumeration-cli-process";
const CLI_PS: &str = "cloud-account-enumeration-cli-scriptblock";
const TOOL: &str = "cloud-account-enumeration-offensive-tool-process";

pub const EXPECTATIONS: &[Expectation] = &[
    row(
        "azure-cli-user-list",
        S::Sysmon,
        CLI,
        "AN1087",
        Azure,
        BuiltIn,
        Fires,
    ),
    row(
        "azure-cli-user-list",
        S::GraphActivity,
        "office-recipient-listing-volume",
        "AN1089",
        Azure,
        BuiltIn,
        Fires,
    ),
    // az ad user list pages one endpoint (/users): the distinct-endpoint burst cannot see it,
    // the paging rule does.
    row(
        "azure-cli-user-list",
        S::GraphActivity,
        "graph-directory-paging",
        "AN1087",
        Azure,
        BuiltIn,
        Fires,
    ),
    twin("azure-cli-user-list-benign", S::Sysmon, Quiet),
    twin("azure-cli-user-list-benign", S::GraphActivity, Suppressed),
    row(
        "aws-iam-enumeration",
        S::Sysmon,
        CLI,
        "AN1088",
        Aws,
        BuiltIn,
        Fires,
    ),
    row(
        "aws-iam-enumeration",
        S::Cloudtrail,
        "aws-high-value-identity-read",
        "AN1088",
        Aws,
        BuiltIn,
        Fires,
    ),
    row(
        "aws-iam-enumeration",
        S::Cloudtrail,
        "iaas-enumeration-burst",
        "AN1088",
        Aws,
        BuiltIn,
        KnownGap("three distinct listing operations; the burst needs iaas.distinct_operations = 4"),
    ),
    twin("aws-iam-enumeration-benign", S::Sysmon, Quiet),
    twin("aws-iam-enumeration-benign", S::Cloudtrail, Suppressed),
    row(
        "msonline-enumeration",
        S::Sysmon,
        CLI,
        "AN1087",
        Azure,
        BuiltIn,
        Fires,
    ),
    row(
        "msonline-enumeration",
        S::Powershell4104,
        CLI_PS,
        "AN1087",
        Azure,
        BuiltIn,
        Fires,
    ),
    row(
        "msonline-enumeration",
        S::AadGraphActivity,
        "identity-directory-listing-burst",
        "AN1087",
        Azure,
        Other,
        Fires,
    ),
    twin("msonline-enumeration-benign", S::Sysmon, Quiet),
    twin("msonline-enumeration-benign", S::Powershell4104, Quiet),
    twin(
        "msonline-enumeration-benign",
        S::AadGraphActivity,
        Suppressed,
    ),
    row(
        "gcloud-service-account-list",
        S::Auditd,
        CLI,
        "AN1088",
        Gcp,
        BuiltIn,
        Fires,
    ),
    row(
        "gcloud-service-account-list",
        S::GcpAudit,
        "iaas-enumeration-burst",
        "AN1088",
        Gcp,
        BuiltIn,
        KnownGap(
            "two distinct IAM reads; the burst needs iaas.distinct_operations = 4, and no single GCP listing alerts alone",
        ),
    ),
    twin("gcloud-service-account-list-benign", S::Auditd, Quiet),
    twin(
        "gcloud-service-account-list-benign",
        S::GcpAudit,
        Suppressed,
    ),
    row(
        "roadtools",
        S::Sysmon,
        TOOL,
        "AN1087",
        Azure,
        Offensive,
        Fires,
    ),
    row(
        "roadtools",
        S::EntraSignin,
        "device-code-then-aad-graph-listing",
        "AN1087",
        Azure,
        Other,
        Fires,
    ),
    row(
        "roadtools",
        S::AadGraphActivity,
        "identity-directory-listing-burst",
        "AN1087",
        Azure,
        Other,
        Fires,
    ),
    row(
        "roadtools",
        S::AadGraphActivity,
        "roadrecon-gather",
        "AN1087",
        Azure,
        Offensive,
        Fires,
    ),
    twin("roadtools-benign", S::Sysmon, Quiet),
    twin("roadtools-benign", S::EntraSignin, Quiet),
    twin("roadtools-benign", S::AadGraphActivity, Suppressed),
    row(
        "azurehound",
        S::Sysmon,
        TOOL,
        "AN1087",
        Azure,
        Offensive,
        Fires,
    ),
    row(
        "azurehound",
        S::GraphActivity,
        "graph-azurehound-fingerprint",
        "AN1087",
        Azure,
        Offensive,
        Fires,
    ),
    row(
        "azurehound",
        S::GraphActivity,
        "identity-offensive-tool",
        "AN1087",
        Azure,
        Offensive,
        Fires,
    ),
    twin("azurehound-benign", S::GraphActivity, Suppressed),
    row(
        "pacu-iam-enum",
        S::Cloudtrail,
        "cloud-offensive-tool-user-agent",
        "AN1088",
        Aws,
        Offensive,
        Fires,
    ),
    row(
        "pacu-iam-enum",
        S::Cloudtrail,
        "iaas-enumeration-burst",
        "AN1088",
        Aws,
        Offensive,
        Fires,
    ),
    twin("pacu-iam-enum-benign", S::Cloudtrail, Quiet),
    row(
        "trust-policy-oracle",
        S::Cloudtrail,
        "aws-trust-policy-oracle-burst",
        "AN1088",
        Aws,
        Other,
        Fires,
    ),
    twin("trust-policy-oracle-benign", S::Cloudtrail, Quiet),
    row(
        "ec2-instance-role",
        S::Cloudtrail,
        "aws-instance-role-iam-enumeration",
        "AN1088",
        Aws,
        BuiltIn,
        Fires,
    ),
    row(
        "ec2-instance-role",
        S::Cloudtrail,
        "iaas-enumeration-burst",
        "AN1088",
        Aws,
        BuiltIn,
        Fires,
    ),
    twin("ec2-instance-role-benign", S::Cloudtrail, Quiet),
    row(
        "exchange-mailbox-sweep",
        S::M365Audit,
        "office-recipient-listing-volume",
        "AN1089",
        Azure,
        Other,
        Fires,
    ),
    twin("exchange-mailbox-sweep-benign", S::M365Audit, Quiet),
];
