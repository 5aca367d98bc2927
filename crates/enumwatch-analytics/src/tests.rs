//! Every built-in rule loads and lints clean; each matches what it should on events carrying the
//! enricher's fields; the Sentinel translation agrees with the Kusto verdict table.

use std::sync::Arc;

use enumwatch_engine::Matcher;
use enumwatch_event::{Event, Location, LogSource};
use enumwatch_rules::{lint, load};
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
        4,
        "the KQL translation is off by default"
    );
    for rule in rules.rules() {
        assert!(rule.tags.iter().any(|t| t == "attack.t1087.004"));
        assert!(
            !rule.investigation.is_empty() && !rule.response.is_empty(),
            "{}",
            rule.id
        );
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
    let lines: &[(&str, &str)] = &[
        ("powershell.exe", "powershell -c Get-MsolUser -All"),
        ("pwsh.exe", "GET-AZUREADUSER -All $true"),
        ("cmd.exe", "cmd /c az ad user list"),
        ("cmd.exe", "cmd /c az ad user lister"),
        ("cmd.exe", "cmd.exe /c aws iam list-users"),
        ("cmd.exe", "cmd.exe /c aws  iam   list-roles"),
        ("aws.exe", "aws iam list-users"),
        ("python.exe", "python.exe -IBm azure.cli ad user list"),
        ("python3", "gcloud iam service-accounts list"),
        ("python3.exe", "gcloud iam service-accounts list"),
        ("powershell.exe", "Invoke-Pacu"),
        ("python3", "python3 pacu-backup.py"),
        ("python3", "python3 pacurar.py"),
        ("powershell.exe", "Import-Module AADInternals"),
        ("powershell.exe", "Get-AADIntUsersX"),
        ("python.exe", "pip install roadtools"),
        ("powershell.exe", "Invoke-AzureHound"),
        ("powershell.exe", "Get-MsolRoleMember -RoleObjectId x"),
        ("cmd.exe", "cmd /c gcloud organizations get-iam-policy 1"),
        ("notepad.exe", "notepad roadrecon.txt"),
        ("PowerShell.EXE", "get-azaduser"),
        ("cmd.exe", "cmd /c echo roadrecon_gather"),
    ];
    let c = compile(&["sentinel-kql-t1087-004".to_owned()]);
    for (file, cmd) in lines {
        let mut e = Event::new(
            LogSource::DefenderProcess,
            Location::new(Arc::from("t"), 0),
            Arc::new(json!({})),
        );
        e.fields.insert("FileName", *file);
        e.fields.insert("CommandLine", *cmd);
        let sigma = !matched_titles(&c, &e).is_empty();
        let kusto = enumwatch_enrich_oracle(file, cmd);
        assert_eq!(sigma, kusto, "{file}: {cmd}");
    }
}

/// The oracle: enumwatch's implementation of Kusto `has` / `in~` and the rule's `where` clauses.
fn enumwatch_enrich_oracle(file: &str, cmd: &str) -> bool {
    enumwatch_enrich::kusto::sentinel_kql_detect_cloud_account(file, cmd).matched
}
