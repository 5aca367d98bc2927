//! The five attack tests of the Sentinel "Detect Cloud Account" page, every command line of the
//! demo logs (verdicts as `testdata/PROVENANCE.md` documents them), and the enricher's output
//! fields on obfuscated and untouched events.

use std::sync::Arc;

use base64::Engine as _;
use enumwatch_event::{Event, Location, LogSource, ToolCategory, field};
use serde_json::{Value, json};

use super::*;

fn demo(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../../testdata/demo/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// The strongest recognition as (command, enumeration), the way the enricher picks it.
fn verdict(found: &[Recognition]) -> Option<(String, bool)> {
    let mut best: Option<&Recognition> = None;
    for r in found {
        let key = |x: &Recognition| {
            (
                x.enumeration,
                x.tool_category == ToolCategory::KnownOffensiveTool,
            )
        };
        if best.is_none_or(|b| key(r) > key(b)) {
            best = Some(r);
        }
    }
    best.map(|r| (r.command.clone(), r.enumeration))
}

fn v(command: &str, enumeration: bool) -> Option<(String, bool)> {
    Some((command.to_owned(), enumeration))
}

fn commands(found: &[Recognition]) -> Vec<(&str, bool)> {
    found
        .iter()
        .map(|r| (r.command.as_str(), r.enumeration))
        .collect()
}

// ---- the five attack tests -------------------------------------------------------------------

#[test]
fn attack_az_ad_user_list_via_cmd() {
    let parent = recognize(
        Some("C:\\Windows\\System32\\cmd.exe"),
        "C:\\Windows\\system32\\cmd.exe /c \"az ad user list --output table\"",
        None,
    );
    assert_eq!(commands(&parent), [("az ad user list", true)]);
    assert_eq!(parent[0].platform, Platform::AzureM365);
    assert_eq!(parent[0].analytic, "AN1087");
    let child = recognize(
        Some("C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\python.exe"),
        "\"C:\\Program Files\\Microsoft SDKs\\Azure\\CLI2\\python.exe\" -IBm azure.cli ad user list --output table",
        None,
    );
    assert_eq!(commands(&child), [("az ad user list", true)]);
    assert_eq!(child[0].tool, "azure-cli");
}

#[test]
fn attack_aws_iam_users_roles_authorization_details() {
    for (line, command) in [
        ("aws iam list-users", "aws iam list-users"),
        ("aws iam list-roles", "aws iam list-roles"),
        (
            "aws iam get-account-authorization-details --output json",
            "aws iam get-account-authorization-details",
        ),
    ] {
        let found = recognize(None, line, None);
        assert_eq!(commands(&found), [(command, true)], "{line}");
        assert_eq!(found[0].platform, Platform::Aws);
        assert_eq!(found[0].analytic, "AN1088");
        assert_eq!(found[0].tool_category, ToolCategory::BuiltInEnumeration);
    }
}

#[test]
fn attack_msonline_in_one_script() {
    assert!(recognize_script("Import-Module MSOnline").is_empty());
    let script = "Import-Module MSOnline\r\nConnect-MsolService\r\nGet-MsolUser -All\r\nGet-MsolRoleMember -RoleObjectId 62e90394-69f5-4237-9190-012177145e10\r\n";
    let found = recognize_script(script);
    assert_eq!(
        commands(&found),
        [
            ("Get-MsolUser -All", true),
            (
                "Get-MsolRoleMember -RoleObjectId 62e90394-69f5-4237-9190-012177145e10",
                true
            )
        ]
    );
    assert!(found.iter().all(|r| r.tool == "MSOnline"
        && r.platform == Platform::AzureM365
        && r.analytic == "AN1087"));
    // The same script on a powershell.exe command line.
    let line = format!(
        "powershell.exe -NoProfile -Command \"{}\"",
        script.replace("\r\n", "; ")
    );
    assert_eq!(recognize(None, &line, None).len(), 2);
}

#[test]
fn attack_gcloud_via_argv_on_linux() {
    let argv: Vec<String> = [
        "python3",
        "/usr/lib/google-cloud-sdk/lib/gcloud.py",
        "iam",
        "service-accounts",
        "list",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let found = recognize(Some("/usr/bin/python3.11"), &argv.join(" "), Some(&argv));
    assert_eq!(
        commands(&found),
        [("gcloud iam service-accounts list", true)]
    );
    assert_eq!(found[0].platform, Platform::Gcp);
    assert_eq!(found[0].analytic, "AN1088");
    // Without argv the line is split the POSIX way and gives the same answer.
    assert_eq!(recognize(None, &argv.join(" "), None), found);
}

#[test]
fn attack_roadrecon_auth_then_gather() {
    let auth = recognize(None, "roadrecon auth -u jdoe@contoso.com -p x", None);
    assert_eq!(auth.len(), 1);
    assert!(!auth[0].enumeration);
    assert_eq!(auth[0].tool_category, ToolCategory::KnownOffensiveTool);
    let gather = recognize(None, "roadrecon gather", None);
    assert_eq!(gather.len(), 1);
    assert!(gather[0].enumeration);
    assert_eq!(gather[0].platform, Platform::AzureM365);
}

// ---- demo logs ---------------------------------------------------------------------------------

#[test]
fn demo_sysmon_lines() {
    let got: Vec<_> = demo("sysmon_process_creation.jsonl")
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            let d = &e["Event"]["EventData"];
            verdict(&recognize(
                d["Image"].as_str(),
                d["CommandLine"].as_str().unwrap(),
                None,
            ))
        })
        .collect();
    assert_eq!(
        got,
        [
            v("az ad user list", true),
            v("aws iam list-users", true),
            v("aws iam list-roles", true),
            v("aws iam get-account-authorization-details", true),
            v("Get-MsolUser -All", true),
            v("roadrecon auth", false),
            v("roadrecon gather", true),
            v("aws iam list-users", true),
            v("Get-MgUser -All", true),
            None, // pip install roadrecon
            None, // notepad
            None, // Get-Help
            v("Get-Mailbox -Identity bob@contoso.com", false),
            v("az ad user show", false),
        ]
    );
}

#[test]
fn demo_defender_lines() {
    let got: Vec<_> = demo("defender_device_process_events.jsonl")
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            verdict(&recognize(
                e["FolderPath"].as_str(),
                e["ProcessCommandLine"].as_str().unwrap(),
                None,
            ))
        })
        .collect();
    assert_eq!(got.len(), 6);
    assert_eq!(got[0], v("Get-EXOMailbox -ResultSize Unlimited", true));
    assert!(
        got[1]
            .as_ref()
            .is_some_and(|(c, e)| c.starts_with("azurehound") && *e)
    );
    assert_eq!(got[2], v("Invoke-AzureHound", true));
    assert!(
        got[3]
            .as_ref()
            .is_some_and(|(c, e)| c.contains("iam__enum") && *e)
    );
    assert_eq!(got[4], None); // Edge opening the az docs
    assert_eq!(got[5], None); // Install-Module MSOnline
}

#[test]
fn demo_script_blocks() {
    let got: Vec<_> = demo("powershell_4104_scriptblocks.jsonl")
        .lines()
        .map(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            verdict(&recognize_script(
                e["Event"]["EventData"]["ScriptBlockText"].as_str().unwrap(),
            ))
        })
        .collect();
    assert_eq!(
        got,
        [
            v("Get-AADIntAccessTokenForAADGraph -SaveToCache", false),
            v("Get-Recipient -ResultSize Unlimited", true),
            v("Invoke-AADIntReconAsInsider", true),
            v("Get-AADIntUsers", true),
            None, // Get-Help
        ]
    );
}

/// auditd EXECVE: `aN="text"` or `aN=HEX` (hex when the argument has spaces or quotes).
fn execve_argv(line: &str) -> Vec<String> {
    line.split(' ')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| {
            k.len() > 1 && k.starts_with('a') && k[1..].bytes().all(|b| b.is_ascii_digit())
        })
        .filter(|(k, _)| *k != "argc")
        .map(
            |(_, v)| match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(text) => text.to_owned(),
                None => {
                    let bytes: Vec<u8> = (0..v.len() / 2)
                        .map(|i| u8::from_str_radix(&v[2 * i..2 * i + 2], 16).unwrap())
                        .collect();
                    String::from_utf8(bytes).unwrap()
                }
            },
        )
        .collect()
}

#[test]
fn demo_auditd_execve() {
    let got: Vec<_> = demo("auditd_gcloud.log")
        .lines()
        .filter(|l| l.starts_with("type=EXECVE"))
        .map(|l| {
            let argv = execve_argv(l);
            verdict(&recognize(None, &argv.join(" "), Some(&argv)))
        })
        .collect();
    assert_eq!(
        got,
        [
            v("gcloud iam service-accounts list", true),
            v("gcloud projects get-iam-policy", true),
            None, // grep "gcloud iam service-accounts list" notes.txt
        ]
    );
}

// ---- enricher fields ---------------------------------------------------------------------------

fn sysmon(cmd: &str) -> Event {
    let mut e = Event::new(
        LogSource::Sysmon,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields
        .insert(field::IMAGE, "C:\\Windows\\System32\\cmd.exe");
    e.fields.insert(field::COMMAND_LINE, cmd);
    e
}

fn enriched(cmd: &str) -> Event {
    let mut e = sysmon(cmd);
    CommandLineEnricher::default().enrich(&mut e);
    e
}

#[test]
fn enricher_names_each_obfuscation() {
    let e = enriched(r#"cmd.exe /c "a"w"s" iam list-users"#);
    assert_eq!(e.get_str(field::CLI_COMMAND), Some("aws iam list-users"));
    assert_eq!(e.get(field::CLI_OBFUSCATION), Some(&json!(["quotes"])));
    assert_eq!(
        e.get_str(field::CLI_DEOBFUSCATED),
        Some(r#"cmd.exe /c aws iam list-users"#)
    );

    let e = enriched("powershell.exe -c gEt-MsOlUsEr -All");
    assert_eq!(e.get_str(field::CLI_OPERATION), Some("Get-MsolUser"));
    assert_eq!(e.get(field::CLI_OBFUSCATION), Some(&json!(["case"])));
    // Case is reported but not rewritten: the text equals the input, so no deobfuscated field.
    assert!(!e.fields.contains(field::CLI_DEOBFUSCATED));

    // Ordinary spellings are not obfuscation.
    for plain in [
        "powershell.exe -c Get-MsolUser -All",
        "powershell.exe -c get-msoluser -all",
        "AWS IAM LIST-USERS",
        "powershell.exe -c Get-MgUser -All",
    ] {
        let e = enriched(plain);
        assert!(e.fields.contains(field::CLI_TOOL), "{plain}");
        assert!(!e.fields.contains(field::CLI_OBFUSCATION), "{plain}");
        assert!(!e.fields.contains(field::CLI_DEOBFUSCATED), "{plain}");
    }

    let e = enriched("aws  iam\tlist-users");
    assert_eq!(e.get(field::CLI_OBFUSCATION), Some(&json!(["whitespace"])));
    assert_eq!(
        e.get_str(field::CLI_DEOBFUSCATED),
        Some("aws iam list-users")
    );

    let b64 = base64::engine::general_purpose::STANDARD.encode(
        "Get-AzureADUser -All $true"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect::<Vec<u8>>(),
    );
    let e = enriched(&format!("powershell.exe -NoP -NonI -W Hidden -Enc {b64}"));
    assert_eq!(e.get_str(field::CLI_TOOL), Some("AzureAD"));
    assert_eq!(e.get(field::CLI_ENUMERATION), Some(&json!(true)));
    assert_eq!(
        e.get(field::CLI_OBFUSCATION),
        Some(&json!(["encoded_command"]))
    );
}

#[test]
fn enricher_reports_script_block_backticks() {
    let mut e = Event::new(
        LogSource::Powershell4104,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert(
        field::SCRIPT_BLOCK_TEXT,
        "Get-Mg`User -All | Export-Csv u.csv",
    );
    CommandLineEnricher::new().enrich(&mut e);
    assert_eq!(e.get_str(field::CLI_TOOL), Some("Microsoft.Graph"));
    assert_eq!(e.get_str(field::CLI_PLATFORM), Some("Azure/M365"));
    assert_eq!(e.get(field::CLI_OBFUSCATION), Some(&json!(["backtick"])));
    assert_eq!(
        e.get_str(field::CLI_DEOBFUSCATED),
        Some("Get-MgUser -All | Export-Csv u.csv")
    );
}

#[test]
fn enricher_leaves_unrelated_events_untouched() {
    for cmd in [
        "svchost.exe -k netsvcs",
        "python.exe -m pip install roadrecon",
        "notepad.exe \"C:\\notes\\aws iam list-users.txt\"",
        "powershell.exe -Command \"Get-Help Get-MsolUser -Full\"",
    ] {
        let before = sysmon(cmd);
        let after = enriched(cmd);
        assert_eq!(after.fields, before.fields, "{cmd}");
    }
    // Other sources are not process or script events.
    let mut e = Event::new(
        LogSource::Cloudtrail,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert(field::COMMAND_LINE, "aws iam list-users");
    CommandLineEnricher::new().enrich(&mut e);
    assert!(!e.fields.contains(field::CLI_TOOL));
}

#[test]
fn enricher_uses_auditd_argv() {
    let mut e = Event::new(
        LogSource::Auditd,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert(
        field::ARGV,
        json!([
            "gcloud",
            "--project",
            "prod project",
            "projects",
            "get-iam-policy",
            "p"
        ]),
    );
    CommandLineEnricher::new().enrich(&mut e);
    assert_eq!(
        e.get_str(field::CLI_COMMAND),
        Some("gcloud projects get-iam-policy")
    );
    assert_eq!(e.get_str(field::CLI_PLATFORM), Some("GCP"));
    assert_eq!(e.get_str(field::CLI_ANALYTIC), Some("AN1088"));
    assert_eq!(e.get(field::CLI_ENUMERATION), Some(&json!(true)));
}
