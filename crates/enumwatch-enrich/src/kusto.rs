//! Kusto string operators with their documented semantics, and the Microsoft Sentinel rule
//! "Detect Cloud Account" (T1087.004) evaluated exactly as Kusto would, quirks included.
//!
//! `has` matches whole terms: a term is a maximal run of alphanumeric characters, compared
//! case-insensitively. A needle of several terms (`az ad user list`, `Get-MsolUser`) matches when
//! its terms occur as a contiguous run of whole terms; the separators are not compared (Kusto's
//! docs leave multi-term needles unspecified; this is the term-index reading).

use enumwatch_event::{Platform, ToolCategory};

fn terms(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Kusto `has`.
pub fn has(haystack: &str, needle: &str) -> bool {
    let needle = terms(needle);
    if needle.is_empty() {
        return false;
    }
    let hay = terms(haystack);
    hay.windows(needle.len()).any(|w| w == needle.as_slice())
}

/// Kusto `has_any`.
pub fn has_any(haystack: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| has(haystack, n))
}

/// Kusto `in~`: whole-value equality, ASCII case-insensitive.
pub fn in_ci(value: &str, set: &[&str]) -> bool {
    set.iter().any(|s| s.eq_ignore_ascii_case(value))
}

/// `CloudEnumPatterns` of the Sentinel rule, verbatim.
pub const SENTINEL_CLOUD_ENUM_PATTERNS: [&str; 25] = [
    "Get-MsolRoleMember",
    "Get-MsolUser",
    "Get-AzureADUser",
    "Get-AzADUser",
    "az ad user list",
    "az ad sp list",
    "az role assignment list",
    "az account list",
    "aws iam list-users",
    "aws iam list-roles",
    "aws iam list-groups",
    "aws iam get-account-authorization-details",
    "gcloud iam service-accounts list",
    "gcloud projects get-iam-policy",
    "gcloud organizations get-iam-policy",
    "Get-MsolGroupMember",
    "Get-MsolServicePrincipal",
    "Invoke-AzureHound",
    "roadrecon",
    "roadtools",
    "AADInternals",
    "Get-AADIntUsers",
    "Get-AADIntTenantDetails",
    "Invoke-Pacu",
    "pacu",
];

/// `SuspiciousChildProcesses` of the Sentinel rule, verbatim.
pub const SENTINEL_SUSPICIOUS_PROCESSES: [&str; 5] = [
    "powershell.exe",
    "pwsh.exe",
    "cmd.exe",
    "python.exe",
    "python3",
];

const AZURE_TERMS: [&str; 8] = [
    "Get-Msol",
    "Get-AzureAD",
    "Get-Az",
    "az ad",
    "az account",
    "AADInternals",
    "AzureHound",
    "roadrecon",
];
const OFFENSIVE_TERMS: [&str; 7] = [
    "Invoke-AzureHound",
    "roadrecon",
    "roadtools",
    "AADInternals",
    "Get-AADInt",
    "Invoke-Pacu",
    "pacu",
];
const BUILTIN_TERMS: [&str; 5] = [
    "Get-MsolRoleMember",
    "Get-MsolUser",
    "az ad user list",
    "aws iam list-users",
    "gcloud iam service-accounts list",
];

/// The Sentinel rule's verdict on one `DeviceProcessEvents` row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentinelKqlVerdict {
    pub matched: bool,
    pub platform: Platform,
    pub tool_category: ToolCategory,
}

/// `FileName in~ (…) and ProcessCommandLine has_any (…)`, then the two `case()` columns.
pub fn sentinel_kql_detect_cloud_account(
    file_name: &str,
    command_line: &str,
) -> SentinelKqlVerdict {
    let matched = in_ci(file_name, &SENTINEL_SUSPICIOUS_PROCESSES)
        && has_any(command_line, &SENTINEL_CLOUD_ENUM_PATTERNS);
    let platform = if has_any(command_line, &AZURE_TERMS) {
        Platform::AzureM365
    } else if has(command_line, "aws iam") {
        Platform::Aws
    } else if has_any(
        command_line,
        &["gcloud iam", "gcloud projects", "gcloud organizations"],
    ) {
        Platform::Gcp
    } else {
        Platform::Unknown
    };
    let tool_category = if has_any(command_line, &OFFENSIVE_TERMS) {
        ToolCategory::KnownOffensiveTool
    } else if has_any(command_line, &BUILTIN_TERMS) {
        ToolCategory::BuiltInEnumeration
    } else {
        ToolCategory::Other
    };
    SentinelKqlVerdict {
        matched,
        platform,
        tool_category,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Platform::*;
    use ToolCategory::*;

    #[test]
    fn has_is_whole_term() {
        assert!(has("Invoke-Pacu -x", "pacu"));
        assert!(has("run pacu-backup", "pacu"));
        assert!(!has("pacurar.exe", "pacu"));
        assert!(!has("Get-MsolUser -All", "Get-Msol"));
        assert!(has("GET-MSOLUSER -All", "Get-MsolUser"));
        assert!(has("aws  iam\tlist-users", "aws iam list-users"));
        assert!(!has("aws iam list-users2", "aws iam list-users"));
        assert!(!has("", "x"));
        assert!(in_ci("PowerShell.EXE", &SENTINEL_SUSPICIOUS_PROCESSES));
        assert!(!in_ci("python3.exe", &SENTINEL_SUSPICIOUS_PROCESSES));
    }

    /// Verdicts derived by hand from the rule text (`../shared/seeds/001_…txt`).
    #[test]
    fn sentinel_rule_table() {
        let table: &[(&str, &str, bool, Platform, ToolCategory)] = &[
            (
                "powershell.exe",
                "powershell -c Get-MsolUser -All",
                true,
                Unknown,
                BuiltInEnumeration,
            ), // Get-Msol ≠ Get-MsolUser
            (
                "powershell.exe",
                "Get-MsolRoleMember -RoleObjectId x",
                true,
                Unknown,
                BuiltInEnumeration,
            ),
            (
                "pwsh.exe",
                "Get-AzureADUser -All $true",
                true,
                Unknown,
                Other,
            ), // Get-AzureAD ≠ Get-AzureADUser
            ("pwsh.exe", "Get-AzADUser", true, Unknown, Other),
            (
                "cmd.exe",
                "cmd /c az ad user list",
                true,
                AzureM365,
                BuiltInEnumeration,
            ),
            (
                "cmd.exe",
                "cmd /c az ad sp list --all",
                true,
                AzureM365,
                Other,
            ),
            ("cmd.exe", "cmd /c az account list", true, AzureM365, Other),
            (
                "cmd.exe",
                "cmd /c az role assignment list",
                true,
                Unknown,
                Other,
            ),
            (
                "cmd.exe",
                "cmd.exe /c aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
            ),
            ("cmd.exe", "cmd.exe /c aws iam list-roles", true, Aws, Other),
            (
                "cmd.exe",
                "cmd /c aws iam get-account-authorization-details",
                true,
                Aws,
                Other,
            ),
            (
                "aws.exe",
                "aws iam list-users",
                false,
                Aws,
                BuiltInEnumeration,
            ), // aws.exe not in the list
            (
                "python.exe",
                "python.exe -IBm azure.cli ad user list",
                false,
                Unknown,
                Other,
            ), // "az ad user list" terms absent
            (
                "python3",
                "gcloud iam service-accounts list",
                true,
                Gcp,
                BuiltInEnumeration,
            ),
            (
                "python3.exe",
                "gcloud iam service-accounts list",
                false,
                Gcp,
                BuiltInEnumeration,
            ),
            (
                "python.exe",
                "gcloud projects get-iam-policy p",
                true,
                Gcp,
                Other,
            ),
            (
                "python.exe",
                "gcloud organizations get-iam-policy 1",
                true,
                Gcp,
                Other,
            ),
            (
                "powershell.exe",
                "Invoke-AzureHound",
                true,
                AzureM365,
                KnownOffensiveTool,
            ), // terms invoke, azurehound
            (
                "python.exe",
                "roadrecon gather",
                true,
                AzureM365,
                KnownOffensiveTool,
            ),
            (
                "python.exe",
                "python -m pip install roadtools",
                true,
                Unknown,
                KnownOffensiveTool,
            ),
            (
                "powershell.exe",
                "Import-Module AADInternals; Get-AADIntUsers",
                true,
                AzureM365,
                KnownOffensiveTool,
            ),
            (
                "powershell.exe",
                "Get-AADIntTenantDetails",
                true,
                Unknown,
                Other,
            ), // Get-AADInt ≠ Get-AADIntTenantDetails
            (
                "python3",
                "python3 pacu.py",
                true,
                Unknown,
                KnownOffensiveTool,
            ),
            ("python3", "python3 pacurar.py", false, Unknown, Other),
            (
                "powershell.exe",
                "Invoke-Pacu",
                true,
                Unknown,
                KnownOffensiveTool,
            ),
            (
                "CMD.EXE",
                "CMD /C AWS IAM LIST-USERS",
                true,
                Aws,
                BuiltInEnumeration,
            ),
            (
                "cmd.exe",
                "cmd /c az ad user lister",
                false,
                AzureM365,
                Other,
            ),
            (
                "notepad.exe",
                "notepad aws iam list-users.txt",
                false,
                Aws,
                BuiltInEnumeration,
            ),
            (
                "powershell.exe",
                "Get-MsolGroupMember -GroupObjectId x",
                true,
                Unknown,
                Other,
            ),
            (
                "powershell.exe",
                "Get-MsolServicePrincipal",
                true,
                Unknown,
                Other,
            ),
            // The brief's quirks: `Get-Msol` is not a term of `Get-MsolUser`.
            (
                "powershell.exe",
                "powershell.exe Get-MsolUser -All",
                true,
                Unknown,
                BuiltInEnumeration,
            ),
            // `pacu` is a whole term of `pacu-backup` (the hyphen separates terms).
            (
                "pwsh.exe",
                "pacu-backup --list",
                true,
                Unknown,
                KnownOffensiveTool,
            ),
            (
                "python3",
                "python3 -m roadtools.roadrecon gather",
                true,
                AzureM365,
                KnownOffensiveTool,
            ),
            (
                "powershell.exe",
                "Get-MsolUserRole -ObjectId x",
                false,
                Unknown,
                Other,
            ),
            // `_` is not alphanumeric: `AWS_IAM` holds the terms `aws`, `iam`.
            ("cmd.exe", "cmd /c echo AWS_IAM list", false, Aws, Other),
            ("Python.EXE", "az ad sp list", true, AzureM365, Other),
            ("pwsh.exe", "Get-AzRoleAssignment", false, Unknown, Other),
            ("cmd.exe", "az account show", false, AzureM365, Other),
            ("cmd.exe", "", false, Unknown, Other),
        ];
        assert!(table.len() >= 25, "{} rows", table.len());
        for (file, cmd, matched, platform, category) in table {
            let v = sentinel_kql_detect_cloud_account(file, cmd);
            assert_eq!(
                (v.matched, v.platform, v.tool_category),
                (*matched, *platform, *category),
                "{file}: {cmd}"
            );
        }
    }
}
