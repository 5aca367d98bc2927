//! Google Cloud SDK (`gcloud`) IAM listings (GCP, AN1088) and GAM Workspace directory prints
//! (AN1090). Release tracks (`alpha`, `beta`) and global flags are skipped before the command
//! group is read.

use enumwatch_event::{Platform, ToolCategory};

use crate::Recognition;
use crate::tools::{positionals, rec};

const GCLOUD_VALUED: [&str; 7] = [
    "--project",
    "--account",
    "--format",
    "--configuration",
    "--verbosity",
    "--impersonate-service-account",
    "--filter",
];
const GCLOUD_LISTING: [&str; 10] = [
    "iam service-accounts list",
    "iam service-accounts keys list",
    "iam roles list",
    "projects get-iam-policy",
    "organizations get-iam-policy",
    "resource-manager folders get-iam-policy",
    "asset search-all-iam-policies",
    "identity groups memberships list",
    "identity groups search",
    "iam service-accounts get-iam-policy",
];

pub(crate) fn gcloud(args: &[String]) -> Option<Recognition> {
    let mut words: Vec<String> = positionals(args, &GCLOUD_VALUED)
        .iter()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if words.first().is_some_and(|w| w == "alpha" || w == "beta") {
        words.remove(0);
    }
    let group = words.first()?.clone();
    if ![
        "iam",
        "projects",
        "organizations",
        "resource-manager",
        "asset",
        "identity",
    ]
    .contains(&group.as_str())
    {
        return None;
    }
    // Drop the resource argument of get-iam-policy (a project or organization id).
    let mut command = Vec::new();
    for w in &words {
        command.push(w.clone());
        if w.ends_with("get-iam-policy") || w == "list" || w == "search" || w.starts_with("search-")
        {
            break;
        }
    }
    let joined = command.join(" ");
    let enumeration = GCLOUD_LISTING.contains(&joined.as_str());
    let operation = command.last().cloned().unwrap_or_default();
    let service = command
        .get(..command.len().saturating_sub(1))
        .unwrap_or_default()
        .join(" ");
    Some(rec(
        "gcloud",
        &service,
        &operation,
        format!("gcloud {joined}"),
        enumeration,
        Platform::Gcp,
        ToolCategory::BuiltInEnumeration,
        "AN1088",
    ))
}

pub(crate) fn gam(args: &[String]) -> Option<Recognition> {
    let words: Vec<String> = args.iter().map(|w| w.to_ascii_lowercase()).collect();
    let verb = words.first()?.as_str();
    let noun = words.get(1).map(String::as_str).unwrap_or("");
    let enumeration = verb == "print"
        && ["users", "groups", "group-members", "aliases", "admins"].contains(&noun);
    if verb != "print" && verb != "info" {
        return None;
    }
    Some(rec(
        "GAM",
        "directory",
        &format!("{verb} {noun}"),
        format!("gam {verb} {noun}"),
        enumeration,
        Platform::GoogleWorkspace,
        ToolCategory::BuiltInEnumeration,
        "AN1090",
    ))
}
