//! tidy: long-file: the recognition table is data, one row per command line.
//! Recognition table: positives per tool and process shape, obfuscated variants, single-object
//! lookups, and lookalikes that must not be recognised at all.

use std::sync::Arc;

use base64::Engine as _;
use enumwatch_event::{Event, Location, LogSource, Platform, ToolCategory, field};
use proptest::prelude::*;
use serde_json::json;

use super::*;

fn enc(s: &str) -> String {
    let bytes: Vec<u8> = s.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// (command line, expected canonical command or None when nothing must be recognised,
/// enumeration, platform, category, analytic)
/// Expected canonical command, enumeration, platform, category, analytic.
type Expected<'a> = Option<(&'a str, bool, Platform, ToolCategory, &'a str)>;

fn best(cmd: &str) -> Option<Recognition> {
    let all = recognize(None, cmd, None);
    all.iter()
        .max_by_key(|r| {
            (
                r.enumeration,
                r.tool_category == ToolCategory::KnownOffensiveTool,
            )
        })
        .cloned()
}

#[test]
fn recognition_table() {
    use Platform::*;
    use ToolCategory::*;
    let b64 = enc("Get-MsolUser -All");
    let enc_line = format!("powershell.exe -NoP -enc {b64}");
    let table: Vec<(&str, Expected<'_>)> = vec![
        // AWS CLI
        (
            "aws iam list-users",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws --profile prod --region us-east-1 iam list-roles",
            Some((
                "aws iam list-roles",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws --output=json iam get-account-authorization-details",
            Some((
                "aws iam get-account-authorization-details",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "\"C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe\" iam list-groups",
            Some((
                "aws iam list-groups",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "python3 -m awscli organizations list-accounts",
            Some((
                "aws organizations list-accounts",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws identitystore list-users --identity-store-id d-123",
            Some((
                "aws identitystore list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws sso-admin list-permission-sets --instance-arn x",
            Some((
                "aws sso-admin list-permission-sets",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws iam generate-credential-report",
            Some((
                "aws iam generate-credential-report",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws sts get-caller-identity",
            Some((
                "aws sts get-caller-identity",
                false,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "aws iam get-user --user-name bob",
            Some(("aws iam get-user", false, Aws, BuiltInEnumeration, "AN1088")),
        ),
        ("aws s3 ls", None),
        // Azure CLI
        (
            "az ad user list --output table",
            Some((
                "az ad user list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "\"C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\python.exe\" -IBm azure.cli ad user list",
            Some((
                "az ad user list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "cmd.exe /c \"az.cmd ad group member list --group admins\"",
            Some((
                "az ad group member list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "az ad sp list --all",
            Some((
                "az ad sp list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "az role assignment list --all",
            Some((
                "az role assignment list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "az ad user list --filter \"displayname eq 'atomicredteam'\"",
            Some((
                "az ad user list",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "az ad user show --id bob@contoso.com",
            Some((
                "az ad user show",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        // Help pages call no API (found by the azure-cli-user-list-benign emulation).
        (
            "az ad user list --help",
            Some((
                "az ad user list",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "aws iam list-users help",
            Some((
                "aws iam list-users",
                false,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        ("az vm list", None),
        // gcloud
        (
            "gcloud iam service-accounts list --project p",
            Some((
                "gcloud iam service-accounts list",
                true,
                Gcp,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "gcloud beta projects get-iam-policy my-project",
            Some((
                "gcloud projects get-iam-policy",
                true,
                Gcp,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "C:\\sdk\\bundledpython\\python.exe -S \"C:\\sdk\\lib\\gcloud.py\" iam service-accounts list",
            Some((
                "gcloud iam service-accounts list",
                true,
                Gcp,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "gcloud organizations get-iam-policy 1234",
            Some((
                "gcloud organizations get-iam-policy",
                true,
                Gcp,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "gcloud asset search-all-iam-policies --scope organizations/1",
            Some((
                "gcloud asset search-all-iam-policies",
                true,
                Gcp,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        ("gcloud compute instances list", None),
        (
            "gam print users",
            Some((
                "gam print users",
                true,
                GoogleWorkspace,
                BuiltInEnumeration,
                "AN1090",
            )),
        ),
        // PowerShell modules
        (
            "powershell.exe -Command \"Get-MsolUser -All\"",
            Some((
                "Get-MsolUser -All",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "pwsh -c Get-MgUser -All",
            Some((
                "Get-MgUser -All",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "pwsh -c \"Get-MgUser -UserId bob@contoso.com\"",
            Some((
                "Get-MgUser -UserId bob@contoso.com",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "powershell Get-Mailbox -ResultSize Unlimited",
            Some((
                "Get-Mailbox -ResultSize Unlimited",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1089",
            )),
        ),
        (
            "powershell Get-Mailbox -Identity bob",
            Some((
                "Get-Mailbox -Identity bob",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1089",
            )),
        ),
        (
            "powershell Get-Mailbox bob",
            Some((
                "Get-Mailbox bob",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1089",
            )),
        ),
        (
            "powershell Get-Recipient",
            Some((
                "Get-Recipient",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1089",
            )),
        ),
        (
            "powershell -c \"Get-MsolRoleMember -RoleObjectId 62e90394\"",
            Some((
                "Get-MsolRoleMember -RoleObjectId 62e90394",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"Get-AzureADUser -ObjectId x\"",
            Some((
                "Get-AzureADUser -ObjectId x",
                false,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"$u = Get-AzADUser; $u.Count\"",
            Some((
                "Get-AzADUser",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"(Get-AzureADUser -All $true).Count\"",
            Some((
                "Get-AzureADUser -All $true",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "pwsh -c Get-IAMUserList",
            Some(("Get-IAMUserList", true, Aws, BuiltInEnumeration, "AN1088")),
        ),
        (
            "powershell -c \"aws iam list-users | ConvertFrom-Json\"",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        // Offensive tools
        (
            "powershell -c \"Import-Module AADInternals; Get-AADIntUsers\"",
            Some((
                "Get-AADIntUsers",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"Get-AADIntAccessTokenForAADGraph\"",
            Some((
                "Get-AADIntAccessTokenForAADGraph",
                false,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "powershell -c Invoke-AADIntReconAsOutsider -DomainName contoso.com",
            Some((
                "Invoke-AADIntReconAsOutsider -DomainName contoso.com",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"IEX(iwr x); Invoke-GraphRecon -Tokens $t\"",
            Some((
                "Invoke-GraphRecon -Tokens $t",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "powershell -ep bypass -c \". .\\AzureHound.ps1; Invoke-AzureHound\"",
            Some((
                "Invoke-AzureHound",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "azurehound.exe -r \"0.A\" list --tenant contoso.onmicrosoft.com -o out.json",
            Some((
                "azurehound list",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "./azurehound list users -j eyJ -t contoso",
            Some((
                "azurehound list users",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "roadrecon gather",
            Some((
                "roadrecon gather",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "roadrecon auth -u a@b.c -p x",
            Some((
                "roadrecon auth",
                false,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "python -m roadtools.roadrecon dump",
            Some((
                "roadrecon dump",
                true,
                AzureM365,
                KnownOffensiveTool,
                "AN1087",
            )),
        ),
        (
            "python3 pacu.py --session s --module-name iam__enum_users_roles_policies_groups --exec",
            Some((
                "pacu --module-name iam__enum_users_roles_policies_groups",
                true,
                Aws,
                KnownOffensiveTool,
                "AN1088",
            )),
        ),
        (
            "pacu --module-name ec2__enum --exec",
            Some((
                "pacu --module-name ec2__enum",
                false,
                Aws,
                KnownOffensiveTool,
                "AN1088",
            )),
        ),
        (
            "cloudfox aws -p prod principals",
            Some((
                "cloudfox aws principals",
                true,
                Aws,
                KnownOffensiveTool,
                "AN1088",
            )),
        ),
        (
            "scout azure --cli",
            Some(("scout azure", true, AzureM365, KnownOffensiveTool, "AN1087")),
        ),
        (
            "sudo -E env AWS_PROFILE=x aws iam list-users",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "bash -c 'aws iam list-users > users.json'",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        // Obfuscation
        (
            "cmd /c \"a^w^s i^am li^st-us^ers\"",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "cmd /c \"a\"w\"s\" iam list-users",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "AWS   IAM\tLIST-USERS",
            Some((
                "aws iam list-users",
                true,
                Aws,
                BuiltInEnumeration,
                "AN1088",
            )),
        ),
        (
            "powershell -c \"gEt-MsOlUsEr -aLL\"",
            Some((
                "Get-MsolUser -aLL",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            "powershell -c \"Get-Msol`User -All\"",
            Some((
                "Get-MsolUser -All",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        (
            enc_line.as_str(),
            Some((
                "Get-MsolUser -All",
                true,
                AzureM365,
                BuiltInEnumeration,
                "AN1087",
            )),
        ),
        // Lookalikes: nothing runs that lists accounts.
        ("powershell -c \"Get-Help Get-MsolUser -Full\"", None),
        ("powershell -c \"Get-Command *Msol*\"", None),
        ("powershell -c \"Install-Module MSOnline\"", None),
        ("python -m pip install roadrecon", None),
        ("pip3 install roadlib", None),
        ("notepad.exe \"C:\\notes\\aws iam list-users.txt\"", None),
        ("code.exe aws-iam-list-users.ps1", None),
        ("vim get-msoluser.ps1", None),
        ("grep 'gcloud iam service-accounts list' notes.txt", None),
        ("cat az-ad-user-list.md", None),
        (
            "\"msedge.exe\" \"https://learn.microsoft.com/cli/azure/ad/user#az-ad-user-list\"",
            None,
        ),
        (
            "chrome.exe https://docs.aws.amazon.com/cli/latest/reference/iam/list-users.html",
            None,
        ),
        ("pytest tests/test_aws_iam_list_users.py", None),
        ("go test ./pkg/azurehound/...", None),
        ("git commit -m \"aws iam list-users wrapper\"", None),
        ("echo aws iam list-users", None),
        (
            "powershell -c \"Invoke-Pester .\\Get-MsolUser.Tests.ps1\"",
            None,
        ),
        ("powershell -File C:\\scripts\\Get-MsolUser.ps1", None),
    ];
    for (cmd, want) in &table {
        let got = best(cmd);
        match (want, &got) {
            (None, None) => {}
            (None, Some(r)) => panic!("{cmd}: expected nothing, got {r:?}"),
            (Some(_), None) => panic!("{cmd}: nothing recognised"),
            (Some((command, enumeration, platform, category, analytic)), Some(r)) => {
                assert_eq!(
                    (
                        r.command.as_str(),
                        r.enumeration,
                        r.platform,
                        r.tool_category,
                        r.analytic
                    ),
                    (*command, *enumeration, *platform, *category, *analytic),
                    "{cmd}"
                );
            }
        }
    }
    assert!(table.len() >= 60);
}

#[test]
fn auditd_argv_is_used_as_given() {
    let argv: Vec<String> = [
        "python3",
        "/usr/lib/google-cloud-sdk/lib/gcloud.py",
        "iam",
        "service-accounts",
        "list",
        "--project",
        "prod project",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let r = recognize(Some("/usr/bin/python3.11"), "ignored", Some(&argv));
    assert_eq!(r[0].command, "gcloud iam service-accounts list");
    assert!(r[0].enumeration);
}

#[test]
fn script_blocks_hold_several_commands() {
    let script = "Import-Module MSOnline\nConnect-MsolService\nGet-MsolUser -All | Export-Csv users.csv\nGet-MsolRoleMember -RoleObjectId 62e90394-69f5-4237-9190-012177145e10\n";
    let found = recognize_script(script);
    let commands: Vec<_> = found.iter().map(|r| r.command.as_str()).collect();
    assert_eq!(
        commands,
        [
            "Get-MsolUser -All",
            "Get-MsolRoleMember -RoleObjectId 62e90394-69f5-4237-9190-012177145e10"
        ]
    );
    assert!(recognize_script("Get-Help Get-MsolUser").is_empty());
}

fn process_event(source: LogSource, image: &str, cmd: &str) -> Event {
    let mut e = Event::new(
        source,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert(field::IMAGE, image);
    e.fields.insert(field::COMMAND_LINE, cmd);
    e
}

#[test]
fn enricher_writes_cli_fields() {
    let enricher = CommandLineEnricher::new();
    let mut e = process_event(
        LogSource::Sysmon,
        "C:\\Windows\\System32\\cmd.exe",
        "cmd.exe /c \"a^w^s i^am li^st-us^ers\"",
    );
    enricher.enrich(&mut e);
    assert_eq!(
        e.fields.get_str(field::CLI_COMMAND),
        Some("aws iam list-users")
    );
    assert_eq!(e.fields.get(field::CLI_ENUMERATION), Some(&json!(true)));
    assert_eq!(e.fields.get_str(field::CLI_PLATFORM), Some("AWS"));
    assert_eq!(
        e.fields.get_str(field::CLI_TOOL_CATEGORY),
        Some("BuiltInEnumeration")
    );
    assert_eq!(
        e.fields.get(field::CLI_OBFUSCATION),
        Some(&json!(["caret"]))
    );
    assert_eq!(
        e.fields.get_str(field::CLI_DEOBFUSCATED),
        Some("cmd.exe /c \"aws iam list-users\"")
    );

    let mut ps = Event::new(
        LogSource::Powershell4104,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    ps.fields.insert(
        field::SCRIPT_BLOCK_TEXT,
        "$t = Get-AADIntAccessTokenForAADGraph\n$users = Get-AADIntUsers\n",
    );
    enricher.enrich(&mut ps);
    assert_eq!(ps.fields.get_str(field::CLI_TOOL), Some("AADInternals"));
    assert_eq!(
        ps.fields.get_str(field::CLI_COMMAND),
        Some("Get-AADIntUsers")
    );
    assert_eq!(ps.fields.get_str(field::CLI_ANALYTIC), Some("AN1087"));

    let mut quiet = process_event(
        LogSource::Sysmon,
        "C:\\Windows\\System32\\svchost.exe",
        "svchost.exe -k netsvcs",
    );
    enricher.enrich(&mut quiet);
    assert!(!quiet.fields.contains(field::CLI_TOOL));
}

/// Every command line of the demo logs gets the verdict its PROVENANCE.md states.
#[test]
fn demo_logs_are_classified_as_documented() {
    let text = std::fs::read_to_string(format!(
        "{}/../../testdata/demo/sysmon_process_creation.jsonl",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let verdicts: Vec<bool> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let data = &v["Event"]["EventData"];
            recognize(
                data["Image"].as_str(),
                data["CommandLine"].as_str().unwrap(),
                None,
            )
            .iter()
            .any(|r| r.enumeration)
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            true, true, true, true, true, false, true, true, true, false, false, false, false,
            false
        ]
    );
}

proptest! {
    #[test]
    fn nothing_panics_on_arbitrary_text(s in "\\PC{0,200}") {
        let _ = recognize(Some(&s), &s, None);
        let _ = recognize_script(&s);
        let _ = deobfuscate(&s);
        let _ = kusto::has(&s, "aws iam");
        let _ = kusto::sentinel_kql_detect_cloud_account(&s, &s);
    }

    #[test]
    fn nothing_panics_on_command_shaped_text(
        prog in prop::sample::select(vec!["aws", "az", "gcloud", "powershell -c", "cmd /c", "python -m", "azurehound", "pacu", "roadrecon", "cloudfox", "scout", "pwsh -enc"]),
        rest in "[ -~]{0,80}",
    ) {
        let line = format!("{prog} {rest}");
        let _ = recognize(None, &line, None);
    }
}
