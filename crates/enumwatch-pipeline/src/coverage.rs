//! Telemetry readiness: which DET0386 analytics the logs a user has can run, and which sources
//! are absent or switched off, with the vendor setting that turns each on.
//!
//! The survey decodes and normalizes every input (no rules run) and records facts such as
//! "CloudTrail read events present" or "GCP Data Access logs present"; a fixed table maps facts to
//! analytics. A fact is only as good as the logs given: absence in a sample is reported as
//! "not seen", not as "disabled".

use std::collections::BTreeMap;

use enumwatch_decode::{SeekRead, decode_seekable};
use enumwatch_event::{Event, LogSource, RunStats, field};
use enumwatch_ingest::{Input, open};
use enumwatch_normalize::{Disposition, Normalizer};
use rayon::prelude::*;
use serde::Serialize;

use crate::HuntOptions;

/// One telemetry requirement of an analytic.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    pub analytic: &'static str,
    /// What must be in the logs.
    pub telemetry: &'static str,
    /// Events that satisfy it.
    pub seen: u64,
    /// `ready`, `partial` (the source is there, the part the analytic needs is not) or `missing`.
    pub status: &'static str,
    /// The vendor setting that provides it.
    pub how_to_enable: &'static str,
}

/// The survey's result.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub requirements: Vec<Requirement>,
    /// Analytic → `ready` when at least one of its requirements is ready.
    pub analytics: BTreeMap<&'static str, &'static str>,
    pub stats: RunStats,
}

/// (analytic, telemetry, base fact, refined fact or "", how to enable).
const TABLE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "AN1087",
        "Microsoft Graph activity logs",
        "graph_activity",
        "",
        "Entra ID > Monitoring > Diagnostic settings: send MicrosoftGraphActivityLogs to a workspace, storage account or event hub (needs an Entra ID P1/P2 licence)",
    ),
    (
        "AN1087",
        "Azure AD Graph activity logs (ROADrecon, AADInternals)",
        "aad_graph_activity",
        "",
        "Entra ID > Diagnostic settings: enable AzureADGraphActivityLogs",
    ),
    (
        "AN1087",
        "Entra sign-in logs incl. non-interactive (device code, tool client ids)",
        "entra_signin",
        "entra_signin.non_interactive",
        "Entra ID > Diagnostic settings: SignInLogs and NonInteractiveUserSignInLogs",
    ),
    (
        "AN1087",
        "Entra audit logs (bulk downloads)",
        "entra_audit",
        "",
        "Entra ID > Diagnostic settings: AuditLogs (or export with Get-MgAuditLogDirectoryAudit)",
    ),
    (
        "AN1087",
        "Okta System Log",
        "okta_system_log",
        "",
        "Okta: stream the System Log (Log Streaming, /api/v1/logs pull, or an Event Hook)",
    ),
    (
        "AN1088",
        "AWS CloudTrail with read management events",
        "cloudtrail",
        "cloudtrail.read",
        "CloudTrail trail: Management events, API activity = Read and Write (a WriteOnly trail records no List/Get calls)",
    ),
    (
        "AN1088",
        "GCP Data Access audit logs for IAM (ADMIN_READ)",
        "gcp_audit",
        "gcp_audit.data_access",
        "GCP IAM & Admin > Audit Logs: enable Admin Read for Identity and Access Management API and Cloud Resource Manager (off by default)",
    ),
    (
        "AN1088",
        "Endpoint process creation with command lines",
        "process",
        "process.command_line",
        "Sysmon event 1 (Windows, or Sysmon for Linux writing to syslog), or Security 4688 with 'Include command line in process creation events', or Defender DeviceProcessEvents, or auditd execve rules",
    ),
    (
        "AN1089",
        "Microsoft 365 unified audit log (Exchange)",
        "m365_audit",
        "m365_audit.exchange",
        "Purview > Audit: turn on auditing; Exchange admin cmdlets (Get-*) appear only with mailbox/admin audit bypass off; export with Search-UnifiedAuditLog or the Management Activity API",
    ),
    (
        "AN1089",
        "PowerShell script block logging (Get-Mailbox, Get-Recipient)",
        "powershell_4104",
        "",
        "GPO: Administrative Templates > Windows Components > Windows PowerShell > Turn on PowerShell Script Block Logging",
    ),
    (
        "AN1089",
        "Microsoft Graph activity logs (address-book harvesting)",
        "graph_activity",
        "",
        "Entra ID > Diagnostic settings: MicrosoftGraphActivityLogs",
    ),
    (
        "AN1090",
        "Google Workspace OAuth token audit log (Directory API reads)",
        "workspace_activity",
        "workspace_activity.token",
        "Workspace: Reports API activities with applicationName=token (the only record of Admin SDK Directory reads); export via BigQuery or the Reports API",
    ),
    (
        "AN1090",
        "Okta System Log (users/groups API, rate limits)",
        "okta_system_log",
        "",
        "Okta: stream the System Log",
    ),
    (
        "AN1090",
        "Slack Audit Logs API (app installs and scopes)",
        "slack_audit",
        "",
        "Slack Enterprise Grid: Audit Logs API (GET /audit/v1/logs) with an auditlogs:read token",
    ),
];

/// The facts one event establishes.
fn facts(event: &Event, out: &mut BTreeMap<&'static str, u64>) {
    let mut add = |k: &'static str| *out.entry(k).or_default() += 1;
    let f = &event.fields;
    match event.source {
        LogSource::Sysmon
        | LogSource::SysmonLinux
        | LogSource::Security4688
        | LogSource::DefenderProcess
        | LogSource::Auditd => {
            add("process");
            if f.contains(field::COMMAND_LINE) || f.contains(field::ARGV) {
                add("process.command_line");
            }
        }
        LogSource::Cloudtrail => {
            add("cloudtrail");
            let read = event.get("readOnly").and_then(|v| v.as_bool()) == Some(true)
                || f.get_str(field::ACTION)
                    .is_some_and(|a| ["List", "Get", "Describe"].iter().any(|p| a.starts_with(p)));
            if read {
                add("cloudtrail.read");
            }
        }
        LogSource::GcpAudit => {
            add("gcp_audit");
            if event
                .get_str("logName")
                .is_some_and(|l| l.contains("data_access"))
            {
                add("gcp_audit.data_access");
            }
        }
        LogSource::EntraSignin => {
            add("entra_signin");
            let category = event
                .get_str("category")
                .or_else(|| event.get_str("Type"))
                .unwrap_or_default();
            if category.contains("NonInteractive")
                || event.get("isInteractive").and_then(|v| v.as_bool()) == Some(false)
            {
                add("entra_signin.non_interactive");
            }
        }
        LogSource::M365Audit => {
            add("m365_audit");
            if f.get_str(field::SERVICE)
                .is_some_and(|s| s.eq_ignore_ascii_case("Exchange"))
            {
                add("m365_audit.exchange");
            }
        }
        LogSource::WorkspaceActivity => {
            add("workspace_activity");
            if f.get_str(field::ACTION)
                .is_some_and(|a| a.starts_with("directory.") || a.contains('.'))
                && f.contains(field::APP_ID)
            {
                add("workspace_activity.token");
            }
        }
        other => add(fact_name(other)),
    }
}

fn fact_name(source: LogSource) -> &'static str {
    match source {
        LogSource::GraphActivity => "graph_activity",
        LogSource::AadGraphActivity => "aad_graph_activity",
        LogSource::EntraAudit => "entra_audit",
        LogSource::OktaSystemLog => "okta_system_log",
        LogSource::SlackAudit => "slack_audit",
        LogSource::Powershell4104 => "powershell_4104",
        _ => "other",
    }
}

/// Survey `inputs` and report readiness per analytic.
pub fn survey(inputs: &[Input], options: &HuntOptions) -> Coverage {
    let per_input: Vec<(BTreeMap<&'static str, u64>, RunStats)> = inputs
        .par_iter()
        .map(|input| survey_input(input, options))
        .collect();
    let mut facts_seen: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut stats = RunStats::default();
    for (f, s) in per_input {
        for (k, v) in f {
            *facts_seen.entry(k).or_default() += v;
        }
        stats.merge(s);
    }
    let mut requirements = Vec::new();
    let mut analytics: BTreeMap<&'static str, &'static str> = BTreeMap::new();
    for (analytic, telemetry, base, refined, how) in TABLE {
        let base_seen = facts_seen.get(base).copied().unwrap_or(0);
        let refined_seen = if refined.is_empty() {
            base_seen
        } else {
            facts_seen.get(refined).copied().unwrap_or(0)
        };
        let status = match (base_seen, refined_seen) {
            (0, _) => "missing",
            (_, 0) => "partial",
            _ => "ready",
        };
        let entry = analytics.entry(analytic).or_insert("missing");
        if status == "ready" || (status == "partial" && *entry == "missing") {
            *entry = status;
        }
        requirements.push(Requirement {
            analytic,
            telemetry,
            seen: refined_seen,
            status,
            how_to_enable: how,
        });
    }
    Coverage {
        requirements,
        analytics,
        stats,
    }
}

fn survey_input(input: &Input, options: &HuntOptions) -> (BTreeMap<&'static str, u64>, RunStats) {
    let mut found = BTreeMap::new();
    let mut stats = RunStats {
        inputs: 1,
        ..RunStats::default()
    };
    let opened = match open(input, &options.limits) {
        Ok(o) => o,
        Err(err) => {
            stats.inputs_unreadable += 1;
            stats.note_problem(input.name.to_string(), "unreadable_input", err.to_string());
            return (found, stats);
        }
    };
    let mut normalizer = Normalizer::new();
    let mut events = Vec::new();
    for item in decode_seekable(
        input.name.clone(),
        opened.reader,
        opened.seekable.map(|s| Box::new(s) as Box<dyn SeekRead>),
        &options.decode_limits,
    ) {
        match item {
            Ok(record) => {
                stats.records += 1;
                if normalizer.push(record, &mut events) == Disposition::Unrecognized {
                    stats.unrecognized += 1;
                }
            }
            Err(err) => {
                stats.malformed_record(&err.location, err.reason(), err.to_string());
                if !err.can_continue() {
                    break;
                }
            }
        }
        for e in events.drain(..) {
            *stats.events.entry(e.source.name().to_owned()).or_default() += 1;
            facts(&e, &mut found);
        }
    }
    normalizer.finish(&mut events);
    for e in events.drain(..) {
        facts(&e, &mut found);
    }
    (found, stats)
}
