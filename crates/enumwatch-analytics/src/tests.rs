//! Every built-in rule loads and lints clean; each matches what it should on events carrying the
//! enricher's fields; the Sentinel translation agrees with the Kusto verdict table.

use std::sync::Arc;

use enumwatch_engine::Matcher;
use enumwatch_event::{Event, Location, LogSource};
use enumwatch_rules::{Level, lint, load};
use serde_json::json;

use super::*;

#[test]
fn builtin_rules_load_and_lint_clean() {
    let sources = builtin_rule_sources();
    for source in &sources {
        assert!(
            lint(source).is_empty(),
            "{}: {:?}",
            source.name,
            lint(source)
        );
    }
    let (rules, errors) = load(&sources);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(rules.rules().len(), sources.len());
    assert_eq!(
        rules.select(&[]).rules().len(),
        sources.len() - 1,
        "the KQL translation is off by default"
    );
    // Rules a correlation aggregates are building blocks; every other rule alerts and must
    // tell the analyst what to do.
    let members = rules.named_by_correlations();
    for rule in rules.rules() {
        assert!(
            rule.tags.iter().any(|t| t == "attack.t1087.004"),
            "{}",
            rule.id
        );
        let building_block = rule.name.as_deref().is_some_and(|n| members.contains(n));
        assert_eq!(
            building_block,
            rule.level == Level::Informational,
            "{}: building blocks are informational, alerting rules are not",
            rule.id
        );
        if !building_block {
            assert!(
                !rule.investigation.is_empty() && !rule.response.is_empty(),
                "{}",
                rule.id
            );
        }
        assert!(rule.analytic.is_some() || rule.source.starts_with("builtin:endpoint/"));
    }
    assert_eq!(ANALYTICS.len(), 4);
}

struct Compiled {
    rules: enumwatch_rules::RuleSet,
    matcher: Matcher,
}

fn compile(selectors: &[String]) -> Compiled {
    let (all, _) = load(&builtin_rule_sources());
    let rules = all.select(selectors);
    let matcher = Matcher::new(&rules).unwrap();
    Compiled { rules, matcher }
}

fn matched_titles(compiled: &Compiled, event: &Event) -> Vec<String> {
    let mut hits = Vec::new();
    compiled.matcher.matches(event, &mut hits);
    hits.iter()
        .map(|h| compiled.rules.rules()[h.rule].id.clone())
        .collect()
}

fn enriched(source: LogSource, enumeration: bool, category: &str) -> Event {
    let mut e = Event::new(
        source,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert("cli.enumeration", enumeration);
    e.fields.insert("cli.tool_category", category);
    e.fields.insert("CommandLine", "x");
    e
}

#[test]
fn default_rules_match_the_enricher_fields() {
    let off_proc = "9c2f4e61-0d3a-4b7e-a5c8-1e2d3f4a5b61";
    let cli_proc = "3e7a9b20-6c14-4d8f-b2e1-7f0c5a9d8e42";
    let off_ps = "c41d8a7e-2b95-4f63-8e07-d6a1b3c5e9f2";
    let cli_ps = "7b6e2d19-5f48-4a0c-9d3e-8c1f2a4b6d73";
    let c = compile(&[]);
    assert_eq!(
        matched_titles(&c, &enriched(LogSource::Sysmon, true, "KnownOffensiveTool")),
        [off_proc]
    );
    assert_eq!(
        matched_titles(
            &c,
            &enriched(LogSource::DefenderProcess, true, "BuiltInEnumeration")
        ),
        [cli_proc]
    );
    assert_eq!(
        matched_titles(&c, &enriched(LogSource::Auditd, true, "BuiltInEnumeration")),
        [cli_proc]
    );
    assert_eq!(
        matched_titles(
            &c,
            &enriched(LogSource::Powershell4104, true, "KnownOffensiveTool")
        ),
        [off_ps]
    );
    assert_eq!(
        matched_titles(
            &c,
            &enriched(LogSource::Powershell4104, true, "BuiltInEnumeration")
        ),
        [cli_ps]
    );
    assert!(
        matched_titles(
            &c,
            &enriched(LogSource::Sysmon, false, "BuiltInEnumeration")
        )
        .is_empty()
    );
    assert!(
        matched_titles(
            &c,
            &enriched(LogSource::Cloudtrail, true, "BuiltInEnumeration")
        )
        .is_empty()
    );
}

#[test]
fn sentinel_translation_agrees_with_the_kusto_verdicts() {
    // (FileName, ProcessCommandLine, KQL verdict): `FileName in~ (...)` is whole-value and
    // case-insensitive; `has` needs whole terms (maximal runs of letters and digits).
    let lines: &[(&str, &str, bool)] = &[
        ("powershell.exe", "powershell -c Get-MsolUser -All", true),
        ("pwsh.exe", "GET-AZUREADUSER -All $true", true),
        ("cmd.exe", "cmd /c az ad user list", true),
        ("cmd.exe", "cmd /c az ad user lister", false),
        ("cmd.exe", "cmd.exe /c aws iam list-users", true),
        ("cmd.exe", "cmd.exe /c aws  iam   list-roles", true),
        ("cmd.exe", "cmd /c AWS IAM LIST-USERS", true),
        ("cmd.exe", "cmd /c awsiam list-users", false),
        ("cmd.exe", "aws iam list-users-extra", true),
        ("aws.exe", "aws iam list-users", false),
        (
            "python.exe",
            "python.exe -IBm azure.cli ad user list",
            false,
        ),
        ("python3", "gcloud iam service-accounts list", true),
        ("python3.exe", "gcloud iam service-accounts list", false),
        ("powershell.exe", "Invoke-Pacu", true),
        ("python3", "python3 pacu-backup.py", true),
        ("python3", "python3 pacurar.py", false),
        ("python3", "python3 /opt/pacu/cli.py", true),
        ("python.exe", "python -m pacu", true),
        ("powershell.exe", "Import-Module AADInternals", true),
        ("powershell.exe", "Get-AADIntUsersX", false),
        ("python.exe", "pip install roadtools", true),
        ("powershell.exe", "Invoke-AzureHound", true),
        ("powershell.exe", "Get-MsolRoleMember -RoleObjectId x", true),
        ("powershell.exe", "Get-Msol", false),
        ("powershell.exe", "Get-MsolUsers", false),
        ("powershell.exe", "Get\u{2013}MsolUser", true),
        ("PWSH.exe", "Get-MsolServicePrincipal -All", true),
        (
            "cmd.exe",
            "cmd /c gcloud organizations get-iam-policy 1",
            true,
        ),
        ("cmd.exe", "gcloud projects get-iam-policy my-proj", true),
        (
            "cmd.exe",
            "aws iam get-account-authorization-details --output json",
            true,
        ),
        ("cmd.exe", "az ad sp list --all", true),
        ("cmd.exe", "az account lists", false),
        ("cmd.exe", "azure ad user list", false),
        ("notepad.exe", "notepad roadrecon.txt", false),
        ("PowerShell.EXE", "get-azaduser", true),
        ("cmd.exe", "cmd /c echo roadrecon_gather", true),
    ];
    let c = compile(&["sentinel-kql-t1087-004".to_owned()]);
    assert_eq!(c.rules.rules().len(), 1);
    assert_eq!(
        c.rules.rules()[0].classifier.as_deref(),
        Some("sentinel-kql")
    );
    for (file, cmd, kusto) in lines {
        let mut e = Event::new(
            LogSource::DefenderProcess,
            Location::new(Arc::from("t"), 0),
            Arc::new(json!({})),
        );
        e.fields.insert("FileName", *file);
        e.fields.insert("CommandLine", *cmd);
        let sigma = !matched_titles(&c, &e).is_empty();
        assert_eq!(sigma, *kusto, "sigma: {file}: {cmd}");
        assert_eq!(
            enumwatch_enrich_oracle(file, cmd),
            *kusto,
            "enrich oracle: {file}: {cmd}"
        );
    }
    // The rule has no product: Sysmon process events meet it too.
    let mut e = Event::new(
        LogSource::Sysmon,
        Location::new(Arc::from("t"), 0),
        Arc::new(json!({})),
    );
    e.fields.insert("FileName", "cmd.exe");
    e.fields.insert("CommandLine", "aws iam list-users");
    assert_eq!(matched_titles(&c, &e).len(), 1);
}

/// The oracle: enumwatch's implementation of Kusto `has` / `in~` and the rule's `where` clauses.
fn enumwatch_enrich_oracle(file: &str, cmd: &str) -> bool {
    enumwatch_enrich::kusto::sentinel_kql_detect_cloud_account(file, cmd).matched
}

#[test]
fn builtin_metadata_is_what_alerts_show() {
    let (rules, _) = load(&builtin_rule_sources());
    let expect: &[(&str, enumwatch_rules::Level, Option<&str>, &str, &str)] = &[
        (
            "cloud-account-enumeration-offensive-tool-process",
            enumwatch_rules::Level::High,
            None,
            "process_creation",
            "high",
        ),
        (
            "cloud-account-enumeration-cli-process",
            enumwatch_rules::Level::Medium,
            None,
            "process_creation",
            "medium",
        ),
        (
            "cloud-account-enumeration-offensive-tool-scriptblock",
            enumwatch_rules::Level::High,
            Some("windows"),
            "ps_script",
            "high",
        ),
        (
            "cloud-account-enumeration-cli-scriptblock",
            enumwatch_rules::Level::Medium,
            Some("windows"),
            "ps_script",
            "medium",
        ),
        (
            "sentinel-kql-t1087-004",
            enumwatch_rules::Level::Medium,
            None,
            "process_creation",
            "high",
        ),
    ];
    for (name, level, product, category, confidence) in expect {
        let selected = rules.select(&[(*name).to_owned()]);
        let [meta] = selected.rules() else {
            panic!("{name} selects {} rules", selected.rules().len());
        };
        assert_eq!(meta.level, *level, "{name}");
        assert_eq!(meta.product.as_deref(), *product, "{name}");
        assert_eq!(meta.category.as_deref(), Some(*category), "{name}");
        assert_eq!(meta.confidence.as_deref(), Some(*confidence), "{name}");
        assert_eq!(
            meta.analytic, None,
            "{name}: the analytic comes from cli.analytic"
        );
        assert!(meta.source.starts_with("builtin:endpoint/"), "{name}");
        assert!(meta.tags.iter().any(|t| t == "attack.discovery"), "{name}");
        assert!(meta.falsepositives.len() >= 5, "{name}");
    }
    assert_eq!(
        rules.select(&["attack.t1087.004".to_owned()]).rules().len(),
        rules.rules().len()
    );
    assert_eq!(
        rules
            .select(&["enumwatch.endpoint".to_owned()])
            .rules()
            .len(),
        5
    );
    assert_eq!(rules.select(&["endpoint".to_owned()]).rules().len(), 5);
}
