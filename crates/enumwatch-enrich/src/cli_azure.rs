//! Azure CLI (`az`) invocations: Entra ID directory listings (AN1087) and RBAC / subscription
//! listings (AN1088), told apart from single-object `show` lookups.

use enumwatch_event::{Platform, ToolCategory};

use crate::Recognition;
use crate::tools::{positionals, rec};

pub(crate) fn azure(args: &[String]) -> Option<Recognition> {
    let words: Vec<String> = positionals(
        args,
        &[
            "--subscription",
            "--output",
            "-o",
            "--query",
            "--filter",
            "--id",
            "--upn",
            "--display-name",
            "--group",
            "-g",
        ],
    )
    .iter()
    .map(|w| w.to_ascii_lowercase())
    .collect();
    let joined = words.join(" ");
    let (enumeration, service, analytic) = match joined.as_str() {
        "ad user list"
        | "ad group list"
        | "ad sp list"
        | "ad app list"
        | "ad group member list"
        | "ad signed-in-user list-owned-objects"
        | "ad sp owner list"
        | "ad app owner list" => (
            true,
            words
                .get(..words.len().saturating_sub(1))
                .unwrap_or_default()
                .join(" "),
            "AN1087",
        ),
        "role assignment list" | "role definition list" | "account list" => (
            true,
            words
                .get(..words.len().saturating_sub(1))
                .unwrap_or_default()
                .join(" "),
            "AN1088",
        ),
        _ if words.first().is_some_and(|w| w == "ad") => (
            false,
            words.get(..2).unwrap_or_default().join(" "),
            "AN1087",
        ),
        _ => return None,
    };
    // `az ad user list --help` / `-h` prints help; it calls no API.
    let enumeration = enumeration && !args.iter().any(|a| a == "--help" || a == "-h");
    let operation = words.last().cloned().unwrap_or_default();
    Some(rec(
        "azure-cli",
        &service,
        &operation,
        format!("az {joined}"),
        enumeration,
        Platform::AzureM365,
        ToolCategory::BuiltInEnumeration,
        analytic,
    ))
}
