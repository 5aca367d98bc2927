//! Offensive Entra ID tooling (ROADtools over AAD Graph after a device-code sign-in, AzureHound
//! over Microsoft Graph), the Exchange Online mailbox sweep, and their twins.

use enumwatch_event::LogSource;
use serde_json::Value;

use super::azure::{MKOWALSKI_ID, WORKSTATION};
use super::jsonl;
use crate::clock::At;
use crate::cloud::{
    EntraCaller, SignIn, TENANT, aad_graph_activity, entra_signin, graph_activity, m365_cmdlet,
};
use crate::endpoint::{Proc, sysmon_file_create, sysmon_process};
use crate::{EmuFile, TestInfo};

const PY: &str = "C:\\Users\\mkowalski\\AppData\\Local\\Programs\\Python\\Python311\\python.exe";
const ROADRECON: &str =
    "C:\\Users\\mkowalski\\AppData\\Local\\Programs\\Python\\Python311\\Scripts\\roadrecon.exe";
const AAD_POWERSHELL_APP: &str = "1b730954-1685-4b74-9bfd-dac224a7b894";
const AAD_GRAPH: (&str, &str) = (
    "Windows Azure Active Directory",
    "00000002-0000-0000-c000-000000000000",
);
const ROADLIB_UA: &str = "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 10.0; Win64; x64; Trident/7.0; .NET4.0C; .NET4.0E)";

fn proc(at: At, record: u64, pid: u32, image: &str, name: &str, cmd: &str) -> Value {
    sysmon_process(
        &WORKSTATION,
        at,
        record,
        &Proc {
            pid,
            image,
            original_file_name: name,
            command_line: cmd,
            parent_pid: 8812,
            parent_image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            parent_command_line: "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\"",
        },
    )
}

fn device_code_signin(user: (&str, &str, &str), at: At, ua: &str) -> Value {
    entra_signin(
        &SignIn {
            user,
            app: (AAD_POWERSHELL_APP, "Azure Active Directory PowerShell"),
            resource: AAD_GRAPH,
            ip: "198.51.100.61",
            user_agent: ua,
            protocol: "deviceCode",
            session: "3e8a1c50-7d24-4f96-b0e3-9a5c2d7f1b48",
            device: ("Windows 10", false),
            location: ("Amsterdam", "Noord-Holland", "NL"),
        },
        at,
        1,
    )
}

/// The object collections `roadrecon gather` dumps, then the per-object link queries.
const ROADRECON_SET: &[(&str, u32)] = &[
    ("tenantDetails", 1),
    ("users", 4),
    ("groups", 2),
    ("administrativeUnits", 1),
    ("applications", 1),
    ("servicePrincipals", 2),
    ("devices", 1),
    ("directoryRoles", 1),
    ("roleDefinitions", 1),
    ("contacts", 1),
    ("oauth2PermissionGrants", 1),
    ("policies", 1),
    ("authorizationPolicy", 1),
    ("groups/3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41/members", 1),
    ("groups/91c4e7a2-5d08-4b3f-a6e9-2f1d8c0b7e53/members", 1),
    (
        "directoryRoles/0e2f4a6c-8b1d-4e3f-a5c7-9d1b3f5e7a92/members",
        1,
    ),
    (
        "servicePrincipals/4c6e8a0b-2d3f-4a5b-8c7d-9e0f1a2b3c4d/appRoleAssignedTo",
        1,
    ),
    ("roleAssignments", 1),
    ("eligibleRoleAssignments", 1),
];

fn aad_records(caller: &EntraCaller, start: At, set: &[(&str, u32)], api: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut at = start;
    let mut n = 0_u64;
    for (path, pages) in set {
        for p in 0..*pages {
            let token = if p == 0 {
                String::new()
            } else {
                format!("&$skiptoken=X%274453707402000100000017{p:02}%27")
            };
            let uri = format!(
                "https://graph.windows.net/{TENANT}/{path}?api-version={api}&$top=999{token}"
            );
            out.push(aad_graph_activity(
                caller,
                at,
                n,
                &uri,
                200,
                310_000 + n * 53,
            ));
            n += 1;
            at = at.plus_ms(380);
        }
    }
    out
}

fn roadtools() -> Vec<EmuFile> {
    let t = At::secs(0);
    let sysmon = vec![
        proc(
            t,
            310_100,
            9016,
            PY,
            "python.exe",
            &format!("\"{PY}\" -m pip install roadrecon"),
        ),
        proc(
            t.plus_ms(95_000),
            310_131,
            9244,
            ROADRECON,
            "roadrecon.exe",
            &format!("\"{ROADRECON}\" auth --device-code"),
        ),
        proc(
            t.plus_ms(160_000),
            310_152,
            9320,
            ROADRECON,
            "roadrecon.exe",
            &format!("\"{ROADRECON}\" gather --mfa"),
        ),
        sysmon_file_create(
            &WORKSTATION,
            t.plus_ms(161_200),
            310_153,
            9320,
            ROADRECON,
            "C:\\Users\\mkowalski\\roadrecon.db",
        ),
    ];
    let signin = vec![device_code_signin(
        ("Marek Kowalski", "mkowalski@contoso.com", MKOWALSKI_ID),
        t.plus_ms(118_000),
        ROADLIB_UA,
    )];
    let caller = EntraCaller {
        user_id: MKOWALSKI_ID,
        app_id: AAD_POWERSHELL_APP,
        service_principal_id: "",
        ip: "198.51.100.61",
        user_agent: "Python/3.11 aiohttp/3.9.5",
        scopes: "user_impersonation",
        roles: "",
        session: "3e8a1c50-7d24-4f96-b0e3-9a5c2d7f1b48",
    };
    let aad = aad_records(&caller, t.plus_ms(162_000), ROADRECON_SET, "1.61-internal");
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl("SignInLogs.jsonl", LogSource::EntraSignin, &signin),
        jsonl(
            "AzureADGraphActivityLogs.jsonl",
            LogSource::AadGraphActivity,
            &aad,
        ),
    ]
}

pub(crate) const ROADTOOLS: TestInfo = TestInfo {
    name: "roadtools",
    summary: "pip install roadrecon, roadrecon auth --device-code, roadrecon gather: device-code sign-in, then the ROADrecon AAD Graph set (api-version=1.61-internal, aiohttp)",
    intended: "AN1087 offensive-tool process; device-code sign-in then AAD Graph listing; AAD Graph listing burst",
    twin_of: None,
    config: None,
    build: roadtools,
};

const GOV_APP: &str = "6d1b9f3e-4a82-4c07-b5e9-0f3a7c2d8e16";

fn roadtools_benign() -> Vec<EmuFile> {
    let t = At::secs(0);
    let sysmon = vec![proc(
        t,
        88_410,
        7120,
        PY,
        "python.exe",
        &format!("\"{PY}\" -m pip install --upgrade msal msgraph-sdk"),
    )];
    // A meeting-room device signs in with a device code; nobody lists the directory after it.
    let signin = vec![device_code_signin(
        (
            "Room 4.12 Display",
            "room412@contoso.com",
            "a7c9e1f3-5b2d-4f84-9a6c-0e8d2b4f6a19",
        ),
        t.plus_ms(30_000),
        "Mozilla/5.0 (Linux; Android 12; TeamsRoom) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.179 Safari/537.36",
    )];
    // The legacy HR provisioning app still reads the directory through AAD Graph, app-only.
    let hr = EntraCaller {
        user_id: "",
        app_id: GOV_APP,
        service_principal_id: "f0e2c4a6-8b1d-4f3e-a5c7-2d4f6b8a0c19",
        ip: "20.50.2.18",
        user_agent: "Microsoft.OData.Client/7.21.0",
        scopes: "",
        roles: "Directory.Read.All",
        session: "",
    };
    let set = [
        ("tenantDetails", 1),
        ("users", 4),
        ("groups", 2),
        ("directoryRoles", 1),
        ("servicePrincipals", 1),
        ("applications", 1),
    ];
    let aad = aad_records(&hr, t.plus_ms(3_600_000), &set, "1.6");
    vec![
        jsonl(
            "Microsoft-Windows-Sysmon-Operational.jsonl",
            LogSource::Sysmon,
            &sysmon,
        ),
        jsonl("SignInLogs.jsonl", LogSource::EntraSignin, &signin),
        jsonl(
            "AzureADGraphActivityLogs.jsonl",
            LogSource::AadGraphActivity,
            &aad,
        ),
    ]
}

pub(crate) const ROADTOOLS_BENIGN: TestInfo = TestInfo {
    name: "roadtools-benign",
    summary: "a developer installing msal; a meeting-room device's device-code sign-in; the HR provisioning app's AAD Graph reads",
    intended: "quiet endpoint and sign-ins; AAD Graph suppressed by identity_provider.app_context.automation_app_ids",
    twin_of: Some("roadtools"),
    config: Some(
        "# The HR provisioning app (app-only, Directory.Read.All) still reads through AAD Graph.\n[identity_provider.app_context]\nautomation_app_ids = [\"6d1b9f3e-4a82-4c07-b5e9-0f3a7c2d8e16\"]\n",
    ),
    build: roadtools_benign,
};

/// AzureHound `list`: v1.0 collections, then the beta per-object queries.
const AZUREHOUND_SET: &[&str] = &[
    "v1.0/organization",
    "v1.0/users?$select=accountEnabled,createdDateTime,displayName,jobTitle,lastPasswordChangeDateTime,mail,onPremisesSecurityIdentifier,onPremisesSyncEnabled,userPrincipalName,id&$top=999",
    "v1.0/groups?$filter=securityEnabled eq true&$select=id,displayName,createdDateTime,description,isAssignableToRole,onPremisesSecurityIdentifier,securityEnabled&$top=999",
    "v1.0/applications?$top=999",
    "v1.0/servicePrincipals?$top=999",
    "v1.0/devices?$top=999",
    "v1.0/roleManagement/directory/roleDefinitions",
    "v1.0/roleManagement/directory/roleAssignments?$filter=roleDefinitionId eq '62e90394-69f5-4237-9190-012177145e10'",
    "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
    "v1.0/policies/roleManagementPolicyAssignments?$filter=scopeId eq '/' and scopeType eq 'DirectoryRole'",
    "beta/groups/3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41/members?$top=999",
    "beta/groups/3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41/owners?$top=999",
    "beta/applications/7b3d5f91-2a4c-4e6b-8d0f-1a3c5e7b9d2f/owners?$top=999",
    "v1.0/servicePrincipals/4c6e8a0b-2d3f-4a5b-8c7d-9e0f1a2b3c4d/appRoleAssignedTo?$top=999",
    "beta/servicePrincipals/4c6e8a0b-2d3f-4a5b-8c7d-9e0f1a2b3c4d/owners?$top=999",
    "beta/devices/5e7a9c1b-3d4f-4a6b-9c8d-0e1f2a3b4c5d/registeredOwners?$top=999",
];

fn azurehound() -> Vec<EmuFile> {
    let t = At::secs(0);
    let exe = "C:\\Users\\mkowalski\\Downloads\\azurehound.exe";
    let sysmon = vec![
        proc(
            t,
            402_511,
            10_244,
            exe,
            "azurehound.exe",
            &format!(
                "\"{exe}\" list -r \"0.AUoAHnpEUR...\" --tenant contoso.onmicrosoft.com -o C:\\Users\\mkowalski\\Downloads\\ah.json"
            ),
        ),
        sysmon_file_create(
            &WORKSTATION,
            t.plus_ms(1_500),
            402_512,
            10_244,
            exe,
            "C:\\Users\\mkowalski\\Downloads\\ah.json",
        ),
    ];
    let caller = EntraCaller {
        user_id: MKOWALSKI_ID,
        app_id: "1950a258-227b-4e31-a9cf-717495945fc2",
        service_principal_id: "",
        ip: "198.51.100.61",
        user_agent: "azurehound/v2.1.7",
        scopes: "AuditLog.Read.All Directory.AccessAsUser.All email openid profile",
        roles: "",
        session: "5b7d9f1a-3c2e-4a64-8b0d-6f8e1a3c5b72",
    };
    let graph: Vec<Value> = AZUREHOUND_SET
        .iter()
        .enumerate()
        .map(|(i, path)| {
            graph_activity(
                &caller,
                t.plus_ms(2_000 + i as i64 * 650),
                i as u64,
                &format!("https://graph.microsoft.com/{path}"),
                200,
                64_000 + i as u64 * 777,
            )
        })
        .collect();
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

pub(crate) const AZUREHOUND: TestInfo = TestInfo {
    name: "azurehound",
    summary: "azurehound.exe list: the 16-endpoint AzureHound Graph set with the azurehound/v2.1.7 user agent",
    intended: "AN1087 offensive-tool process; AzureHound endpoint-set fingerprint; offensive-tool user agent",
    twin_of: None,
    config: None,
    build: azurehound,
};

fn azurehound_benign() -> Vec<EmuFile> {
    let t = At::secs(0);
    let app = EntraCaller {
        user_id: "",
        app_id: "2e4a6c8e-0b1d-4f3a-9c5e-7a9b1d3f5e20",
        service_principal_id: "9d1f3b5a-7c2e-4e84-a6b0-1c3e5a7d9f42",
        ip: "20.50.2.18",
        user_agent: "Mozilla/5.0 (compatible; AccessReviewSync/3.4)",
        scopes: "",
        roles: "User.Read.All Group.Read.All Application.Read.All",
        session: "",
    };
    let set = [
        "v1.0/users?$select=id,userPrincipalName,accountEnabled&$top=999",
        "v1.0/groups?$top=999",
        "v1.0/groups/3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41/members?$top=999",
        "v1.0/groups/3a0e5c71-2b94-4d18-8f6a-0c7e2d9b5a41/owners",
        "v1.0/applications?$top=999",
        "v1.0/servicePrincipals?$top=999",
    ];
    let graph: Vec<Value> = set
        .iter()
        .enumerate()
        .map(|(i, path)| {
            graph_activity(
                &app,
                t.plus_ms(i as i64 * 1_800),
                i as u64,
                &format!("https://graph.microsoft.com/{path}"),
                200,
                88_000,
            )
        })
        .collect();
    vec![jsonl(
        "MicrosoftGraphActivityLogs.jsonl",
        LogSource::GraphActivity,
        &graph,
    )]
}

pub(crate) const AZUREHOUND_BENIGN: TestInfo = TestInfo {
    name: "azurehound-benign",
    summary: "the access-review app reading users, groups, members, owners, applications and service principals (6 of the AzureHound endpoints)",
    intended: "below the AzureHound fingerprint; listing burst suppressed by identity_provider.app_context.automation_app_ids",
    twin_of: Some("azurehound"),
    config: Some(
        "# The access-review app (app-only) reads groups and their owners every week.\n[identity_provider.app_context]\nautomation_app_ids = [\"2e4a6c8e-0b1d-4f3a-9c5e-7a9b1d3f5e20\"]\n",
    ),
    build: azurehound_benign,
};

const EXO_APP: &str = "fb78d390-0c51-40cd-8e17-fdbfab77341b";

fn exchange_mailbox_sweep() -> Vec<EmuFile> {
    let ual: Vec<Value> = (0..25_u64)
        .map(|i| {
            m365_cmdlet(
                "mkowalski@contoso.com",
                "198.51.100.61",
                "Client=REST;Client=RESTSystem;;",
                EXO_APP,
                At::secs(i as i64 * 58 + (i as i64 % 3) * 7),
                i,
                "Get-Mailbox",
                &[("ResultSize", "Unlimited")],
            )
        })
        .collect();
    vec![jsonl("Audit.Exchange.jsonl", LogSource::M365Audit, &ual)]
}

pub(crate) const EXCHANGE_MAILBOX_SWEEP: TestInfo = TestInfo {
    name: "exchange-mailbox-sweep",
    summary: "Get-Mailbox -ResultSize Unlimited 25 times in 24 minutes over Exchange Online PowerShell (REST)",
    intended: "AN1089 recipient-listing volume (CmdletVolume)",
    twin_of: None,
    config: None,
    build: exchange_mailbox_sweep,
};

fn exchange_mailbox_sweep_benign() -> Vec<EmuFile> {
    let ual: Vec<Value> = (0..30_u64)
        .map(|i| {
            let who = format!("user{:03}@contoso.com", 17 + i * 7);
            m365_cmdlet(
                "helpdesk.t2@contoso.com",
                "192.0.2.40",
                "Client=REST;Client=RESTSystem;;",
                EXO_APP,
                At::secs(i as i64 * 95),
                i,
                "Get-Mailbox",
                &[("Identity", who.as_str())],
            )
        })
        .collect();
    vec![jsonl("Audit.Exchange.jsonl", LogSource::M365Audit, &ual)]
}

pub(crate) const EXCHANGE_MAILBOX_SWEEP_BENIGN: TestInfo = TestInfo {
    name: "exchange-mailbox-sweep-benign",
    summary: "a helpdesk shift: 30 Get-Mailbox -Identity lookups of single mailboxes",
    intended: "quiet (single-object lookups are not listings)",
    twin_of: Some("exchange-mailbox-sweep"),
    config: None,
    build: exchange_mailbox_sweep_benign,
};
