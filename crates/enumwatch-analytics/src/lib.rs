//! The built-in detection content: Sigma rules shipped inside the binary (embedded at build time,
//! listed explicitly so that adding a rule is a reviewed one-line change), and the four DET0386
//! analytics with the tunable elements MITRE names for them.

use enumwatch_rules::RuleSource;

/// One DET0386 analytic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Analytic {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// MITRE's "mutable elements" for the analytic.
    pub tunables: &'static [&'static str],
}

/// DET0386 "Cloud Account Enumeration via API, CLI, and Scripting Interfaces", in MITRE's order.
pub const ANALYTICS: &[Analytic] = &[
    Analytic {
        id: "AN1087",
        name: "Identity Provider",
        description: "Enumeration of identity roles and users via API calls such as Get-MsolRoleMember, az ad user list, or Graph API tokens from unauthorized users or automation accounts.",
        tunables: &["TokenScope", "AppContext", "TimeWindow"],
    },
    Analytic {
        id: "AN1088",
        name: "IaaS",
        description: "Use of AWS CLI (aws iam list-users, list-roles), Azure CLI (az ad user list), or GCP CLI (gcloud iam service-accounts list) from endpoints or cloud shells where such activity is unexpected.",
        tunables: &["CallerType", "CLIUserAgent", "CloudRegion"],
    },
    Analytic {
        id: "AN1089",
        name: "Office Suite",
        description: "Bulk enumeration of cloud user email identities through Get-Recipient, Get-Mailbox, Get-User, or Graph API directory listings by abnormal accounts or suspicious sessions.",
        tunables: &["CmdletVolume", "UserAgent", "SessionContext"],
    },
    Analytic {
        id: "AN1090",
        name: "SaaS",
        description: "Access to organizational directories via Google Workspace Directory API, Slack SCIM, or Okta SCIM by apps or identities outside normal roles.",
        tunables: &["APIRequestRate", "AppIntegrationID", "GeoContext"],
    },
];

/// `(name, text)` of a rule file under `rules/`, embedded at build time.
macro_rules! rule {
    ($path:literal) => {
        (
            concat!("builtin:", $path),
            include_str!(concat!("../rules/", $path)),
        )
    };
}

/// Rule files shipped in the binary: (name, text).
const BUILTIN: &[(&str, &str)] = &[
    rule!("endpoint/cloud-account-enumeration-offensive-tool-process.yml"),
    rule!("endpoint/cloud-account-enumeration-cli-process.yml"),
    rule!("endpoint/cloud-account-enumeration-offensive-tool-scriptblock.yml"),
    rule!("endpoint/cloud-account-enumeration-cli-scriptblock.yml"),
    rule!("endpoint/sentinel-kql-t1087-004.yml"),
    rule!("identity/aad-graph-aiohttp-listing.yml"),
    rule!("identity/aad-graph-directory-listing.yml"),
    rule!("identity/aad-graph-offensive-tool-request.yml"),
    rule!("identity/device-code-then-aad-graph-listing.yml"),
    rule!("identity/device-code-then-directory-listing.yml"),
    rule!("identity/entra-bulk-directory-download.yml"),
    rule!("identity/entra-device-code-signin.yml"),
    rule!("identity/graph-azurehound-endpoint.yml"),
    rule!("identity/graph-azurehound-fingerprint.yml"),
    rule!("identity/graph-directory-listing.yml"),
    rule!("identity/graph-directory-paging.yml"),
    rule!("identity/graph-first-time-listing.yml"),
    rule!("identity/identity-directory-listing-burst.yml"),
    rule!("identity/identity-offensive-tool-request.yml"),
    rule!("identity/identity-offensive-tool.yml"),
    rule!("identity/okta-unauthorized-app-access.yml"),
    rule!("identity/roadrecon-gather.yml"),
    rule!("identity/signin-offensive-tool.yml"),
    rule!("iaas/aws-account-wide-listing.yml"),
    rule!("iaas/aws-first-time-listing.yml"),
    rule!("iaas/aws-high-value-identity-read.yml"),
    rule!("iaas/aws-instance-role-iam-enumeration.yml"),
    rule!("iaas/aws-instance-role-listing.yml"),
    rule!("iaas/aws-offensive-tool-whoami.yml"),
    rule!("iaas/aws-trust-policy-oracle-burst.yml"),
    rule!("iaas/aws-trust-policy-oracle.yml"),
    rule!("iaas/cloud-denied-discovery-burst.yml"),
    rule!("iaas/cloud-denied-discovery.yml"),
    rule!("iaas/cloud-offensive-tool-listing.yml"),
    rule!("iaas/cloud-offensive-tool-user-agent.yml"),
    rule!("iaas/first-time-identity-listing.yml"),
    rule!("iaas/gcp-denied-discovery.yml"),
    rule!("iaas/gcp-iam-listing.yml"),
    rule!("iaas/iaas-enumeration-burst.yml"),
    rule!("office/exchange-listing-untrusted-session.yml"),
    rule!("office/exchange-recipient-listing.yml"),
    rule!("office/graph-people-and-contacts-listing.yml"),
    rule!("office/office-recipient-listing-volume.yml"),
    rule!("saas/okta-directory-listing-geo.yml"),
    rule!("saas/okta-directory-listing.yml"),
    rule!("saas/saas-directory-listing-rate.yml"),
    rule!("saas/saas-directory-listing-unexpected-geo.yml"),
    rule!("saas/slack-app-directory-scopes.yml"),
    rule!("saas/workspace-directory-listing-geo.yml"),
    rule!("saas/workspace-directory-listing.yml"),
];

/// The built-in rules as sources for `enumwatch_rules::load`.
pub fn builtin_rule_sources() -> Vec<RuleSource> {
    BUILTIN
        .iter()
        .map(|(name, text)| RuleSource {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
