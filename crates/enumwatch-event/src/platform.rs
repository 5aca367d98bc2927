//! Stable names for log sources, cloud platforms and tool categories.
//!
//! These strings appear in alerts, rule files and configuration, so they are part of the output
//! contract: change a name only with a changelog entry.

use std::fmt;

use serde::Serialize;

/// The vendor log a normalized event came from. One variant per normalizer. Serialized as
/// `name()` (`security_4688`), the same spelling everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogSource {
    /// Sysmon event 1 (process creation).
    Sysmon,
    /// Sysmon for Linux event 1 (process creation), as it writes it to syslog.
    SysmonLinux,
    /// Windows Security event 4688 (a new process has been created).
    Security4688,
    /// PowerShell/Operational event 4104 (script block logging), multi-part blocks reassembled.
    Powershell4104,
    /// Microsoft Defender for Endpoint `DeviceProcessEvents` (Advanced Hunting).
    DefenderProcess,
    /// Any other Windows event (other providers or event ids); read, counted, not analyzed.
    WindowsOther,
    /// Linux auditd `EXECVE` (with its `SYSCALL`, `CWD`, `PROCTITLE` siblings).
    Auditd,
    /// AWS CloudTrail management and data events.
    Cloudtrail,
    /// Microsoft Graph activity logs (`MicrosoftGraphActivityLogs`).
    GraphActivity,
    /// Azure AD Graph activity logs (`AADGraphActivityLogs`).
    AadGraphActivity,
    /// Entra ID sign-in logs (interactive and non-interactive).
    EntraSignin,
    /// Entra ID audit logs (`AuditLogs` / `directoryAudits`).
    EntraAudit,
    /// Microsoft 365 unified audit log.
    M365Audit,
    /// GCP Cloud Audit Logs.
    GcpAudit,
    /// Google Workspace Reports API activities.
    WorkspaceActivity,
    /// Okta System Log.
    OktaSystemLog,
    /// Slack Audit Logs API.
    SlackAudit,
}

/// A Sigma `logsource` triple; `None` means "any" on a rule and "unknown" on an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SigmaLogSource {
    pub product: Option<&'static str>,
    pub category: Option<&'static str>,
    pub service: Option<&'static str>,
}

impl LogSource {
    /// Every log source, in documentation order.
    pub const ALL: [LogSource; 17] = [
        LogSource::Sysmon,
        LogSource::SysmonLinux,
        LogSource::WindowsOther,
        LogSource::Security4688,
        LogSource::Powershell4104,
        LogSource::DefenderProcess,
        LogSource::Auditd,
        LogSource::Cloudtrail,
        LogSource::GraphActivity,
        LogSource::AadGraphActivity,
        LogSource::EntraSignin,
        LogSource::EntraAudit,
        LogSource::M365Audit,
        LogSource::GcpAudit,
        LogSource::WorkspaceActivity,
        LogSource::OktaSystemLog,
        LogSource::SlackAudit,
    ];

    /// Stable snake_case name, as used in alerts and `--stats-json`.
    pub fn name(self) -> &'static str {
        match self {
            LogSource::Sysmon => "sysmon",
            LogSource::SysmonLinux => "sysmon_linux",
            LogSource::Security4688 => "security_4688",
            LogSource::Powershell4104 => "powershell_4104",
            LogSource::DefenderProcess => "defender_process",
            LogSource::WindowsOther => "windows_event",
            LogSource::Auditd => "auditd",
            LogSource::Cloudtrail => "cloudtrail",
            LogSource::GraphActivity => "graph_activity",
            LogSource::AadGraphActivity => "aad_graph_activity",
            LogSource::EntraSignin => "entra_signin",
            LogSource::EntraAudit => "entra_audit",
            LogSource::M365Audit => "m365_audit",
            LogSource::GcpAudit => "gcp_audit",
            LogSource::WorkspaceActivity => "workspace_activity",
            LogSource::OktaSystemLog => "okta_system_log",
            LogSource::SlackAudit => "slack_audit",
        }
    }

    /// The Sigma `logsource` this source's events answer to (used to route events to rules).
    pub fn sigma(self) -> SigmaLogSource {
        let (product, category, service) = match self {
            LogSource::Sysmon => (Some("windows"), Some("process_creation"), Some("sysmon")),
            // SigmaHQ's `proc_creation_lnx_*` rules are written against Sysmon for Linux.
            LogSource::SysmonLinux => (Some("linux"), Some("process_creation"), Some("sysmon")),
            LogSource::Security4688 => {
                (Some("windows"), Some("process_creation"), Some("security"))
            }
            LogSource::Powershell4104 => (Some("windows"), Some("ps_script"), Some("powershell")),
            // Defender for Endpoint also covers Linux and macOS; the product stays open.
            LogSource::DefenderProcess => (None, Some("process_creation"), None),
            LogSource::WindowsOther => (Some("windows"), None, None),
            LogSource::Auditd => (Some("linux"), Some("process_creation"), Some("auditd")),
            LogSource::Cloudtrail => (Some("aws"), None, Some("cloudtrail")),
            LogSource::GraphActivity => (Some("azure"), None, Some("graphactivitylogs")),
            LogSource::AadGraphActivity => (Some("azure"), None, Some("aadgraphactivitylogs")),
            LogSource::EntraSignin => (Some("azure"), None, Some("signinlogs")),
            LogSource::EntraAudit => (Some("azure"), None, Some("auditlogs")),
            LogSource::M365Audit => (Some("m365"), None, Some("audit")),
            LogSource::GcpAudit => (Some("gcp"), None, Some("gcp.audit")),
            LogSource::WorkspaceActivity => (
                Some("google_workspace"),
                None,
                Some("google_workspace.admin"),
            ),
            LogSource::OktaSystemLog => (Some("okta"), None, Some("okta")),
            LogSource::SlackAudit => (Some("slack"), None, Some("audit")),
        };
        SigmaLogSource {
            product,
            category,
            service,
        }
    }
}

impl Serialize for LogSource {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The cloud or SaaS platform whose accounts were enumerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Platform {
    #[serde(rename = "AWS")]
    Aws,
    #[serde(rename = "Azure/M365")]
    AzureM365,
    #[serde(rename = "GCP")]
    Gcp,
    #[serde(rename = "Google Workspace")]
    GoogleWorkspace,
    #[serde(rename = "Okta")]
    Okta,
    #[serde(rename = "Slack")]
    Slack,
    /// The behaviour matched but its platform could not be told (kept for rule-faithful
    /// translations such as the Sentinel KQL rule, whose `case()` ends in `"Unknown"`).
    #[serde(rename = "Unknown")]
    Unknown,
}

impl Platform {
    /// The stable display name (`AWS`, `Azure/M365`, …).
    pub fn name(self) -> &'static str {
        match self {
            Platform::Aws => "AWS",
            Platform::AzureM365 => "Azure/M365",
            Platform::Gcp => "GCP",
            Platform::GoogleWorkspace => "Google Workspace",
            Platform::Okta => "Okta",
            Platform::Slack => "Slack",
            Platform::Unknown => "Unknown",
        }
    }

    /// Parse a display name back (case-insensitive; also accepts `azure`, `m365`, `workspace`).
    pub fn from_name(name: &str) -> Option<Self> {
        let lower = name.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "aws" => Platform::Aws,
            "azure/m365" | "azure" | "m365" | "entra" => Platform::AzureM365,
            "gcp" => Platform::Gcp,
            "google workspace" | "workspace" | "google_workspace" => Platform::GoogleWorkspace,
            "okta" => Platform::Okta,
            "slack" => Platform::Slack,
            "unknown" => Platform::Unknown,
            _ => return None,
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What kind of tool performed the enumeration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum ToolCategory {
    /// An offensive or assessment tool (AzureHound, ROADtools, AADInternals, Pacu, …).
    KnownOffensiveTool,
    /// A vendor CLI or admin module doing a listing (`aws iam list-users`, `Get-MgUser -All`).
    BuiltInEnumeration,
    Other,
}

impl ToolCategory {
    pub fn name(self) -> &'static str {
        match self {
            ToolCategory::KnownOffensiveTool => "KnownOffensiveTool",
            ToolCategory::BuiltInEnumeration => "BuiltInEnumeration",
            ToolCategory::Other => "Other",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim() {
            "KnownOffensiveTool" => Some(ToolCategory::KnownOffensiveTool),
            "BuiltInEnumeration" => Some(ToolCategory::BuiltInEnumeration),
            "Other" => Some(ToolCategory::Other),
            _ => None,
        }
    }
}

impl fmt::Display for ToolCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_log_source_is_written_as_its_name() {
        for source in LogSource::ALL {
            assert_eq!(
                serde_json::to_value(source).unwrap(),
                serde_json::Value::from(source.name())
            );
        }
    }
}
