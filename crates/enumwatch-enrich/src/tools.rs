//! What a program invocation does, from its argv. This module owns the dispatch by program name,
//! the wrappers that hide the real program (`cmd /c`, `sh -c`, `python -m`, `python script.py`,
//! `sudo`, `env`) and the offensive and assessment tools (AzureHound, ROADtools, Pacu, CloudFox,
//! ScoutSuite); the vendor CLIs live in `cli_aws`, `cli_azure` and `cli_gcloud`. Names and
//! operations come from the tools' documentation and source (detection catalog §7–§9).

use enumwatch_event::{Platform, ToolCategory};

use crate::Recognition;
use crate::argv::{program, split};
use crate::cli_aws::aws;
use crate::cli_azure::azure;
use crate::cli_gcloud::{gam, gcloud};
use crate::powershell;

/// How deep wrappers may nest (`cmd /c cmd /c …`) before we stop unwrapping.
const MAX_DEPTH: usize = 6;

#[allow(
    clippy::too_many_arguments,
    reason = "a flat constructor reads better than a builder for these tables"
)]
pub(crate) fn rec(
    tool: &'static str,
    service: &str,
    operation: &str,
    command: String,
    enumeration: bool,
    platform: Platform,
    tool_category: ToolCategory,
    analytic: &'static str,
) -> Recognition {
    Recognition {
        tool,
        service: service.to_owned(),
        operation: operation.to_owned(),
        command,
        enumeration,
        platform,
        tool_category,
        analytic,
    }
}

/// Recognise the command an argv runs (unwrapping shells and interpreters).
pub(crate) fn recognize_argv(args: &[String], depth: usize, out: &mut Vec<Recognition>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Some(first) = args.first() else { return };
    let prog = program(first);
    let rest = args.get(1..).unwrap_or_default();
    match prog.as_str() {
        "sudo" | "env" | "time" | "nohup" | "exec" => {
            let skip = rest
                .iter()
                .take_while(|a| a.starts_with('-') || a.contains('='))
                .count();
            recognize_argv(rest.get(skip..).unwrap_or_default(), depth + 1, out);
        }
        "cmd" => {
            if let Some(pos) = rest.iter().position(|a| {
                a.eq_ignore_ascii_case("/c")
                    || a.eq_ignore_ascii_case("/k")
                    || a.eq_ignore_ascii_case("/r")
            }) {
                let inner = rest.get(pos + 1..).unwrap_or_default().join(" ");
                for part in inner
                    .split("&&")
                    .flat_map(|p| p.split('&'))
                    .flat_map(|p| p.split('|'))
                {
                    recognize_argv(&split(part.trim()), depth + 1, out);
                }
            }
        }
        "sh" | "bash" | "zsh" | "dash" => {
            if let Some(pos) = rest.iter().position(|a| a == "-c")
                && let Some(script) = rest.get(pos + 1)
            {
                for part in script
                    .split([';', '\n'])
                    .flat_map(|p| p.split("&&"))
                    .flat_map(|p| p.split('|'))
                {
                    recognize_argv(&split(part.trim()), depth + 1, out);
                }
            }
        }
        "powershell" | "pwsh" | "powershell_ise" => {
            if let Some(script) = powershell::script_of(rest) {
                out.extend(powershell::recognize_script_at(&script, depth + 1));
            }
        }
        p if p == "python" || p == "py" || p.starts_with("python3") || p.starts_with("python2") => {
            python(rest, depth, out)
        }
        // Scripts run directly through their shebang or file association.
        "gcloud.py" => out.extend(gcloud(rest)),
        "pacu.py" => out.push(pacu(rest)),
        "scout.py" => out.extend(scout(rest)),
        "roadrecon.py" => out.push(roadrecon(rest)),
        "aws" => out.extend(aws(rest)),
        "az" => out.extend(azure(rest)),
        "gcloud" => out.extend(gcloud(rest)),
        "gam" => out.extend(gam(rest)),
        "azurehound" => out.push(azurehound(rest)),
        "roadrecon" => out.push(roadrecon(rest)),
        "pacu" => out.push(pacu(rest)),
        "cloudfox" => out.extend(cloudfox(rest)),
        "scout" => out.extend(scout(rest)),
        _ => {}
    }
}

fn python(rest: &[String], depth: usize, out: &mut Vec<Recognition>) {
    let mut i = 0;
    while let Some(arg) = rest.get(i) {
        if arg == "-c" {
            return;
        }
        if arg.starts_with('-') && !arg.starts_with("--") {
            // Combined short flags such as `-IBm azure.cli`: `m` takes the next argument.
            if let Some(m_pos) = arg.find('m') {
                let module = if m_pos + 1 < arg.len() {
                    arg.get(m_pos + 1..).map(str::to_owned)
                } else {
                    rest.get(i + 1).cloned()
                };
                let skip = if m_pos + 1 < arg.len() { 1 } else { 2 };
                let after = rest.get(i + skip..).unwrap_or_default();
                match module.as_deref() {
                    Some("awscli") => out.extend(aws(after)),
                    Some("azure.cli") => out.extend(azure(after)),
                    Some("roadtools.roadrecon" | "roadrecon") => out.push(roadrecon(after)),
                    Some("pacu") => out.push(pacu(after)),
                    Some("ScoutSuite" | "scout") => out.extend(scout(after)),
                    _ => {}
                }
                return;
            }
            i += 1;
            continue;
        }
        if arg.starts_with("--") {
            i += 1;
            continue;
        }
        // First positional argument: a script.
        let script = program(arg);
        let after = rest.get(i + 1..).unwrap_or_default();
        match script.as_str() {
            "gcloud.py" => out.extend(gcloud(after)),
            "pacu.py" | "pacu" => out.push(pacu(after)),
            "scout.py" | "scout" => out.extend(scout(after)),
            "roadrecon" | "roadrecon.py" => out.push(roadrecon(after)),
            "aws" => out.extend(aws(after)),
            "gam.py" | "gam" => out.extend(gam(after)),
            _ => recognize_argv(rest.get(i..).unwrap_or_default(), depth + 1, out),
        }
        return;
    }
}

/// Options that take a value, to be skipped before the first positional word.
pub(crate) fn positionals<'a>(args: &'a [String], valued: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut skip_next = false;
    for arg in args {
        if skip_next {
            skip_next = false;
            continue;
        }
        if arg.starts_with('-') {
            let name = arg.split('=').next().unwrap_or(arg);
            if !arg.contains('=') && valued.contains(&name) {
                skip_next = true;
            }
            // After the first positional words, options end the command words.
            if !out.is_empty() {
                break;
            }
            continue;
        }
        out.push(arg.as_str());
    }
    out
}

fn azurehound(args: &[String]) -> Recognition {
    let positional = positionals(
        args,
        &[
            "-r",
            "--refresh-token",
            "-u",
            "--username",
            "-p",
            "--password",
            "-j",
            "--jwt",
            "-t",
            "--tenant",
            "-o",
            "--output",
            "--user-agent",
            "--proxy",
            "-a",
            "--app",
            "-s",
            "--secret",
        ],
    );
    let listing = positional
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("list"))
        || args.iter().any(|a| a.eq_ignore_ascii_case("list"));
    let command = if listing {
        let target = positional
            .get(1)
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        format!("azurehound list{target}")
    } else {
        format!("azurehound {}", positional.first().copied().unwrap_or(""))
    };
    rec(
        "AzureHound",
        "graph",
        "list",
        command.trim_end().to_owned(),
        listing,
        Platform::AzureM365,
        ToolCategory::KnownOffensiveTool,
        "AN1087",
    )
}

fn roadrecon(args: &[String]) -> Recognition {
    let sub = positionals(
        args,
        &[
            "-u",
            "--username",
            "-p",
            "--password",
            "-t",
            "--tenant",
            "-c",
            "--client",
            "-d",
            "--database",
            "-f",
            "--tokenfile",
            "-ua",
            "--user-agent",
        ],
    )
    .first()
    .map(|s| s.to_ascii_lowercase())
    .unwrap_or_default();
    let enumeration = sub == "gather" || sub == "dump";
    rec(
        "ROADtools",
        "aad-graph",
        &sub,
        format!("roadrecon {sub}").trim_end().to_owned(),
        enumeration,
        Platform::AzureM365,
        ToolCategory::KnownOffensiveTool,
        "AN1087",
    )
}

fn pacu(args: &[String]) -> Recognition {
    let module = args
        .iter()
        .position(|a| a == "--module-name" || a == "-m")
        .and_then(|i| args.get(i + 1))
        .or_else(|| {
            args.iter()
                .position(|a| a.eq_ignore_ascii_case("run") || a == "--exec")
                .and_then(|i| args.get(i + 1))
        })
        .or_else(|| {
            args.iter()
                .find(|a| a.contains("__enum") || a.contains("__get_credential_report"))
        })
        .cloned()
        .unwrap_or_default();
    let enumeration = [
        "iam__enum",
        "organizations__enum",
        "aws__enum",
        "iam__get_credential_report",
        "iam__bruteforce",
    ]
    .iter()
    .any(|p| module.starts_with(p));
    let command = if module.is_empty() {
        "pacu".to_owned()
    } else {
        format!("pacu --module-name {module}")
    };
    rec(
        "Pacu",
        "iam",
        &module,
        command,
        enumeration,
        Platform::Aws,
        ToolCategory::KnownOffensiveTool,
        "AN1088",
    )
}

fn cloudfox(args: &[String]) -> Option<Recognition> {
    let words = positionals(
        args,
        &[
            "-p",
            "--profile",
            "-t",
            "--tenant",
            "-s",
            "--subscription",
            "-o",
            "--output",
            "--outdir",
            "-l",
            "--profiles-list",
        ],
    );
    let provider = words.first()?.to_ascii_lowercase();
    let sub = args
        .iter()
        .map(|a| a.to_ascii_lowercase())
        .find(|a| {
            [
                "principals",
                "permissions",
                "role-trusts",
                "inventory",
                "all-checks",
                "iam-simulator",
                "rbac",
                "whoami",
            ]
            .contains(&a.as_str())
        })
        .unwrap_or_default();
    let (platform, analytic) = match provider.as_str() {
        "aws" => (Platform::Aws, "AN1088"),
        "azure" => (Platform::AzureM365, "AN1087"),
        _ => return None,
    };
    Some(rec(
        "CloudFox",
        &provider,
        &sub,
        format!("cloudfox {provider} {sub}").trim_end().to_owned(),
        !sub.is_empty() && sub != "whoami",
        platform,
        ToolCategory::KnownOffensiveTool,
        analytic,
    ))
}

fn scout(args: &[String]) -> Option<Recognition> {
    let provider = positionals(
        args,
        &[
            "--profile",
            "--report-dir",
            "--tenant",
            "--user-account",
            "--service-account",
        ],
    )
    .first()?
    .to_ascii_lowercase();
    let (platform, analytic) = match provider.as_str() {
        "aws" => (Platform::Aws, "AN1088"),
        "azure" => (Platform::AzureM365, "AN1087"),
        "gcp" => (Platform::Gcp, "AN1088"),
        _ => return None,
    };
    Some(rec(
        "ScoutSuite",
        &provider,
        "scan",
        format!("scout {provider}"),
        true,
        platform,
        ToolCategory::KnownOffensiveTool,
        analytic,
    ))
}
