//! Windows-side Entra ID enumeration: the Azure CLI (`az ad user list`, which runs as
//! `python.exe -IBm azure.cli`) and the MSOnline module, with the directory reads they cause,
//! and their twins.

use enumwatch_event::LogSource;
use serde_json::Value;

use super::jsonl;
use crate::clock::At;
use crate::cloud::{EntraCaller, TENANT, aad_graph_activity, graph_activity};
use crate::endpoint::{Proc, WinHost, ps_scriptblock, sysmon_file_create, sysmon_process};
use crate::{EmuFile, TestInfo};

pub(crate) const WORKSTATION: WinHost = WinHost {
    computer: "WS-ENG-14.contoso.local",
    user: "CONTOSO\\mkowalski",
    sid: "S-1-5-21-3623811015-3361044348-30300820-1187",
    logon_id: "0x5b3e21",
    home: "C:\\Users\\mkowalski",
};

pub(crate) const ADMIN_PAW: WinHost = WinHost {
    computer: "PAW-IDM-02.contoso.local",
    user: "CONTOSO\\adm-rlee",
    sid: "S-1-5-21-3623811015-3361044348-30300820-2210",
    logon_id: "0x9c4410",
    home: "C:\\Users\\adm-rlee",
};

const AZ_PYTHON: &str = "C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\python.exe";
const CMD: &str = "C:\\Windows\\System32\\cmd.exe";
const POWERSHELL: &str = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
const AZURE_CLI_APP: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const AAD_POWERSHELL_APP: &str = "1b730954-1685-4b74-9bfd-dac224a7b894";
const AZ_UA: &str = "python/3.11.8 (Windows-10-10.0.22631-SP0) AZURECLI/2.61.0 (MSI)";
pub(crate) const MKOWALSKI_ID: &str = "2b9e4c71-0d3a-4f85-b6e2-7a1c9d0e3f58";
const RLEE_ID: &str = "e4a1f7c2-6b38-4d09-9e5a-3c8b2f1d7a60";
const SYNC_APP: &str = "8f2c6e14-3b7a-4d95-a0c1-5e9d2b7f4a36";
const SYNC_SP: &str = "c7d3a9e5-1f42-4b86-9a0e-6d2c8b4f1e73";

/// `$skiptoken` continuation of the Graph `/users` listing, page `n`.
fn skiptoken(n: u64) -> String {
    format!("RFNwdAIAAQAAACM6YWRtLXVzZXJfe{n:03}QGNvbnRvc28uY29tKVVzZXJfOGQ3YzZiNWEtNGUzZi00YTJi")
}

fn az_process(host: &WinHost, at: At, record: u64, pid: u32, args: &str) -> Value {
    let cmdline = format!("\"{AZ_PYTHON}\" -IBm azure.cli {args}");
    let parent = format!(
        "C:\\Windows\\system32\\cmd.exe /c \"\"C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\wbin\\az.cmd\" {args}\""
    );
    sysmon_process(
        host,
        at,
        record,
        &Proc {
            pid,
            image: AZ_PYTHON,
            original_file_name: "python.exe",
            command_line: &cmdline,
            parent_pid: pid - 4,
            parent_image: CMD,
            parent_command_line: &parent,
        },
    )
}

fn azure_cli_user_list() -> Vec<EmuFile> {
    let start = At::secs(0);
    let sysmon = vec![az_process(
        &WORKSTATION,
        start,
        184_201,
        7412,
        "ad user list --output json",
    )];
    let caller = EntraCaller {
        user_id: MKOWALSKI_ID,
        app_id: AZURE_CLI_APP,
        service_principal_id: "",
        ip: "198.51.100.61",
        user_agent: AZ_UA,
        scopes: "Application.ReadWrite.All AppRoleAssignment.ReadWrite.All AuditLog.Read.All DelegatedPermissionGrant.ReadWrite.All Directory.AccessAsUser.All email Group.ReadWrite.All openid profile User.Read.All User.ReadWrite.All",
        roles: "",
        session: "0c4f1e2a-93b7-4d58-a6e1-2f7c9b3d5a80",
    };
    // 2,400 users at Graph's default page size of 100: the first page, then 23 `$skiptoken` pages.
    let mut graph = Vec::new();
    for page in 0..24_u64 {
        let uri = if page == 0 {
            "https://graph.microsoft.com/v1.0/users".to_owned()
        } else {
            format!(
                "https://graph.microsoft.com/v1.0/users?$skiptoken={}",
                skiptoken(page)
            )
        };
        let at = start.plus_ms(2_300 + page as i64 * 1_150);
        graph.push(graph_activity(
            &caller,
            at,
            page,
            &uri,
            200,
            187_000 + page * 311,
        ));
    }
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl(
            "MicrosoftGraphActivityLogs.jsonl",
            LogSource::GraphActivity,
            &graph,
        ),
    ]
}

pub(crate) const AZURE_CLI_USER_LIST: TestInfo = TestInfo {
    name: "azure-cli-user-list",
    summary: "az ad user list on a workstation (python.exe -IBm azure.cli) and the 24 pages of GET /v1.0/users it makes",
    intended: "AN1087 endpoint CLI analytic; AN1089 /users volume on the Graph side",
    twin_of: None,
    config: None,
    build: azure_cli_user_list,
};

fn azure_cli_user_list_benign() -> Vec<EmuFile> {
    let start = At::secs(0);
    let sysmon = vec![
        az_process(
            &ADMIN_PAW,
            start,
            52_001,
            5120,
            "ad user show --id j.nowak@contoso.com",
        ),
        az_process(
            &ADMIN_PAW,
            start.plus_ms(41_000),
            52_007,
            5164,
            "ad signed-in-user show",
        ),
        az_process(
            &ADMIN_PAW,
            start.plus_ms(95_000),
            52_013,
            5210,
            "ad user list --help",
        ),
    ];
    // The identity-governance connector's nightly sync: app-only, User.Read.All / Group.Read.All.
    let sync = EntraCaller {
        user_id: "",
        app_id: SYNC_APP,
        service_principal_id: SYNC_SP,
        ip: "20.50.2.18",
        user_agent: "Apache-HttpClient/4.5.14 (Java/17.0.10)",
        scopes: "",
        roles: "User.Read.All Group.Read.All GroupMember.Read.All Directory.Read.All",
        session: "",
    };
    let mut graph = Vec::new();
    let mut n = 0_u64;
    let mut at = start.plus_ms(600_000);
    let mut push = |uri: String, graph: &mut Vec<Value>| {
        graph.push(graph_activity(&sync, at, n, &uri, 200, 90_000 + n * 97));
        n += 1;
        at = at.plus_ms(900);
    };
    for page in 0..24_u64 {
        let uri = if page == 0 {
            "https://graph.microsoft.com/v1.0/users?$select=id,userPrincipalName,accountEnabled,department&$top=100".to_owned()
        } else {
            format!(
                "https://graph.microsoft.com/v1.0/users?$select=id,userPrincipalName,accountEnabled,department&$top=100&$skiptoken={}",
                skiptoken(page)
            )
        };
        push(uri, &mut graph);
    }
    push(
        "https://graph.microsoft.com/v1.0/groups?$top=999".to_owned(),
        &mut graph,
    );
    for g in [
        "3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41",
        "91c4e7a2-5d08-4b3f-a6e9-2f1d8c0b7e53",
    ] {
        push(
            format!("https://graph.microsoft.com/v1.0/groups/{g}/members?$top=999"),
            &mut graph,
        );
    }
    push(
        "https://graph.microsoft.com/v1.0/directoryRoles".to_owned(),
        &mut graph,
    );
    push(
        "https://graph.microsoft.com/v1.0/servicePrincipals?$top=999".to_owned(),
        &mut graph,
    );
    push(
        "https://graph.microsoft.com/v1.0/applications?$top=999".to_owned(),
        &mut graph,
    );
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl(
            "MicrosoftGraphActivityLogs.jsonl",
            LogSource::GraphActivity,
            &graph,
        ),
    ]
}

pub(crate) const AZURE_CLI_USER_LIST_BENIGN: TestInfo = TestInfo {
    name: "azure-cli-user-list-benign",
    summary: "a helpdesk admin's single-user az lookups and help; the identity-governance connector's nightly Graph sync",
    intended: "quiet endpoint; Graph suppressed by identity_provider.app_context.automation_app_ids",
    twin_of: Some("azure-cli-user-list"),
    config: Some(
        "# The identity-governance connector (app-only, User.Read.All) syncs the directory nightly.\n[identity_provider.app_context]\nautomation_app_ids = [\"8f2c6e14-3b7a-4d95-a0c1-5e9d2b7f4a36\"]\n",
    ),
    build: azure_cli_user_list_benign,
};

/// The operator pastes the one-liner into a Run box; PowerShell logs it as a script block too.
const MSOL_COMMAND: &str = "Connect-MsolService; $ga = Get-MsolRole -RoleName 'Company Administrator'; Get-MsolRoleMember -RoleObjectId $ga.ObjectId -All | Export-Csv -NoTypeInformation $env:TEMP\\ga.csv; Get-MsolUser -All | Export-Csv -NoTypeInformation $env:TEMP\\users.csv; Get-MsolGroup -All | Export-Csv -NoTypeInformation $env:TEMP\\groups.csv";

fn aad_uri(path: &str, extra: &str) -> String {
    format!("https://graph.windows.net/{TENANT}/{path}?api-version=1.6{extra}")
}

fn msonline(
    host: &WinHost,
    command: Option<&str>,
    script: &str,
    block: &str,
    user_id: &'static str,
    lines: &[(&str, u32)],
    files: &[&str],
) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let start = At::secs(0);
    let cmdline = match command {
        Some(c) => format!("\"{POWERSHELL}\" -NoProfile -ExecutionPolicy Bypass -Command \"{c}\""),
        None => format!(
            "\"{POWERSHELL}\" -NoProfile -ExecutionPolicy Bypass -File {}\\Documents\\audit.ps1",
            host.home
        ),
    };
    let mut sysmon = vec![sysmon_process(
        host,
        start,
        210_330,
        &Proc {
            pid: 6604,
            image: POWERSHELL,
            original_file_name: "PowerShell.EXE",
            command_line: &cmdline,
            parent_pid: 4388,
            parent_image: "C:\\Windows\\explorer.exe",
            parent_command_line: "C:\\Windows\\Explorer.EXE",
        },
    )];
    for (i, f) in files.iter().enumerate() {
        let target = format!("{}\\AppData\\Local\\Temp\\{f}", host.home);
        sysmon.push(sysmon_file_create(
            host,
            start.plus_ms(48_000 + i as i64 * 21_000),
            210_344 + i as u64,
            6604,
            POWERSHELL,
            &target,
        ));
    }
    let path = if command.is_some() {
        String::new()
    } else {
        format!("{}\\Documents\\audit.ps1", host.home)
    };
    let ps = vec![ps_scriptblock(
        host,
        start.plus_ms(900),
        9_120,
        (1, 1),
        script,
        block,
        &path,
    )];
    let caller = EntraCaller {
        user_id,
        app_id: AAD_POWERSHELL_APP,
        service_principal_id: "",
        ip: "198.51.100.61",
        user_agent: "",
        scopes: "user_impersonation",
        roles: "",
        session: "6a2d8f41-0c7e-4b93-b5a1-e8f3c6d2a907",
    };
    let mut aad = Vec::new();
    for (i, (path, pages)) in lines.iter().enumerate() {
        for p in 0..*pages {
            let extra = if p == 0 {
                "&$top=500".to_owned()
            } else {
                format!("&$top=500&$skiptoken=X%27445370740200{p:04}%27")
            };
            let n = (i * 100) as u64 + u64::from(p);
            let at = start.plus_ms(5_000 + i as i64 * 9_000 + i64::from(p) * 1_400);
            aad.push(aad_graph_activity(
                &caller,
                at,
                n,
                &aad_uri(path, &extra),
                200,
                240_000,
            ));
        }
    }
    (sysmon, ps, aad)
}

fn msonline_enumeration() -> Vec<EmuFile> {
    let lines = [
        ("tenantDetails", 1),
        ("directoryRoles", 1),
        (
            "directoryRoles/62e90394-69f5-4237-9190-012177145e10/$links/members",
            1,
        ),
        ("users", 5),
        ("groups", 2),
    ];
    let (sysmon, ps, aad) = msonline(
        &WORKSTATION,
        Some(MSOL_COMMAND),
        MSOL_COMMAND,
        "d1f3a5b7-2c4e-4f60-8a9b-1c3d5e7f9a0b",
        MKOWALSKI_ID,
        &lines,
        &["ga.csv", "users.csv", "groups.csv"],
    );
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl(
            "Microsoft-Windows-PowerShell-Operational.jsonl",
            LogSource::Powershell4104,
            &ps,
        ),
        jsonl(
            "AzureADGraphActivityLogs.jsonl",
            LogSource::AadGraphActivity,
            &aad,
        ),
    ]
}

pub(crate) const MSONLINE_ENUMERATION: TestInfo = TestInfo {
    name: "msonline-enumeration",
    summary: "audit.ps1 with Get-MsolRole / Get-MsolRoleMember / Get-MsolUser -All / Get-MsolGroup -All | Export-Csv, and the AAD Graph reads",
    intended: "AN1087 endpoint CLI analytic (process and 4104); AN1087 directory-listing burst on AAD Graph",
    twin_of: None,
    config: None,
    build: msonline_enumeration,
};

const MSOL_BENIGN_SCRIPT: &str = "Import-Module MSOnline\nConnect-MsolService\nGet-Help Get-MsolUser -Full | Out-Null\n$u = Get-MsolUser -UserPrincipalName j.nowak@contoso.com\n$u.Licenses | Select-Object AccountSkuId\nGet-MsolAccountSku | Format-Table\n";

fn msonline_enumeration_benign() -> Vec<EmuFile> {
    // The monthly licence audit of the identity admin: single-user lookups on the endpoint,
    // and the directory reads of the admin's sanctioned reporting session.
    let lines = [
        ("tenantDetails", 1),
        ("subscribedSkus", 1),
        ("users", 5),
        ("groups", 2),
        ("directoryRoles", 1),
    ];
    let (sysmon, ps, aad) = msonline(
        &ADMIN_PAW,
        None,
        MSOL_BENIGN_SCRIPT,
        "0a2b4c6d-8e0f-4a1b-9c3d-5e7f9a1b3c5d",
        RLEE_ID,
        &lines,
        &["licences.csv"],
    );
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl(
            "Microsoft-Windows-PowerShell-Operational.jsonl",
            LogSource::Powershell4104,
            &ps,
        ),
        jsonl(
            "AzureADGraphActivityLogs.jsonl",
            LogSource::AadGraphActivity,
            &aad,
        ),
    ]
}

pub(crate) const MSONLINE_ENUMERATION_BENIGN: TestInfo = TestInfo {
    name: "msonline-enumeration-benign",
    summary: "the identity admin's monthly licence audit: Get-MsolUser -UserPrincipalName, Get-Help, and the admin's directory reads",
    intended: "quiet endpoint; AAD Graph suppressed by identity_provider.token_scope.expected_principals",
    twin_of: Some("msonline-enumeration"),
    config: Some(
        "# adm-rlee (identity admin) runs the monthly licence audit.\n[identity_provider.token_scope]\nexpected_principals = [\"adm-rlee@contoso.com\", \"e4a1f7c2-6b38-4d09-9e5a-3c8b2f1d7a60\"]\n",
    ),
    build: msonline_enumeration_benign,
};
