//! From a rule hit on an event to an `Alert`: classification, grading, explanation, evidence.

use enumwatch_engine::{CorrelationHit, Hit};
use std::sync::Arc;

use enumwatch_enrich::kusto;
use enumwatch_event::{Event, LogSource, Platform, ToolCategory, field};
use enumwatch_rules::{Level, RuleMeta};
use serde_json::Value;

use crate::id::content_id;
use crate::queries::HuntingQueries;
use crate::{Alert, AlertRule, Confidence, Evidence, Severity, TECHNIQUE};

/// Builds alerts; holds nothing but is a type so that later tuning (severity overrides,
/// suppressions) has a home.
#[derive(Debug, Default, Clone)]
pub struct AlertBuilder {}

impl AlertBuilder {
    pub fn new() -> Self {
        Self {}
    }

    /// An alert for one detection rule hit.
    pub fn from_hit(&self, rule: &RuleMeta, hit: &Hit, event: &Event) -> Alert {
        let mut alert = base(rule, event, &[]);
        context_factors(&mut alert, &[event]);
        alert.hunting = HuntingQueries::at(alert.log_source, alert.actor.as_deref(), event.time);
        alert.command_line = event
            .get_str(field::COMMAND_LINE)
            .or_else(|| event.get_str(field::SCRIPT_BLOCK_TEXT))
            .map(|s| truncate(s, 4096));
        alert.command = event.fields.get_str(field::CLI_COMMAND).map(str::to_owned);
        alert.explanation = explain(rule, hit, event, alert.platform);
        alert
    }

    /// An alert for a correlation rule firing over several events (`events` in event-time order).
    pub fn from_correlation(
        &self,
        rule: &RuleMeta,
        hit: &CorrelationHit,
        events: &[&Event],
    ) -> Option<Alert> {
        let first = events.first()?;
        let group = hit
            .group
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut alert = base(rule, first, &[&group]);
        alert.hunting = HuntingQueries::at(alert.log_source, alert.actor.as_deref(), first.time);
        let mut evidence: Vec<Evidence> =
            events.iter().map(|e| Evidence::from(&e.location)).collect();
        evidence.sort();
        evidence.dedup();
        alert.evidence = evidence;
        // The strongest tool signature among the events names the alert's tool.
        if let Some((tool, category)) = events
            .iter()
            .filter_map(|e| {
                let tool = e.fields.get_str(field::CLIENT_TOOL)?;
                let category = e
                    .fields
                    .get_str(field::CLIENT_TOOL_CATEGORY)
                    .and_then(ToolCategory::from_name)?;
                Some((tool, category))
            })
            .min_by_key(|(_, c)| *c)
        {
            alert.tool = Some(tool.to_owned());
            alert.tool_category = category;
            if category == ToolCategory::KnownOffensiveTool
                && !alert.factors.iter().any(|f| f == "known offensive tool")
            {
                alert.factors.push("known offensive tool".to_owned());
            }
        }
        context_factors(&mut alert, events);
        if let Some(tool) = &rule.tool {
            alert.tool = Some(tool.clone());
            alert.tool_category = ToolCategory::KnownOffensiveTool;
            alert
                .factors
                .push(format!("the requests match {tool}'s endpoint footprint"));
        }
        let mut actions: Vec<&str> = Vec::new();
        for e in events {
            if let Some(a) = e.fields.get_str(field::ACTION)
                && !actions.contains(&a)
            {
                actions.push(a);
            }
        }
        let shown = actions
            .iter()
            .take(12)
            .copied()
            .collect::<Vec<_>>()
            .join(", ");
        let more = actions.len().saturating_sub(12);
        let sources: Vec<&str> = {
            let mut ips: Vec<&str> = events
                .iter()
                .filter_map(|e| e.fields.get_str(field::SOURCE_IP))
                .collect();
            ips.sort_unstable();
            ips.dedup();
            ips
        };
        alert.command = (!actions.is_empty()).then(|| shown.clone());
        let operations = if actions.is_empty() {
            String::new()
        } else {
            format!(
                " ({} distinct operations: {shown}{})",
                actions.len(),
                if more > 0 {
                    format!(", +{more} more")
                } else {
                    String::new()
                }
            )
        };
        let origin = if sources.is_empty() {
            String::new()
        } else {
            format!(" from {}", sources.join(", "))
        };
        let tool = alert
            .tool
            .as_deref()
            .map(|t| format!(" with {t}"))
            .unwrap_or_default();
        alert.explanation = format!(
            "{}: {} events for {group}{operations}{origin}{tool}",
            rule.title,
            events.len()
        );
        Some(alert)
    }
}

/// The parts every alert shares, from its rule and its first evidence event.
fn base(rule: &RuleMeta, event: &Event, id_extra: &[&str]) -> Alert {
    let (platform, tool_category) = classify(rule, event);
    let analytic = rule
        .analytic
        .clone()
        .or_else(|| event.fields.get_str(field::CLI_ANALYTIC).map(str::to_owned))
        .or_else(|| analytic_for_platform(platform, event.source).map(str::to_owned));
    let (severity, confidence, factors) = grade(rule, event, tool_category);
    let location = &event.location;
    let record = location.record.to_string();
    let mut id_parts: Vec<&str> = vec![&rule.id, &location.source, &record];
    id_parts.extend_from_slice(id_extra);
    Alert {
        id: content_id(&id_parts),
        time: event.time.map(|t| t.to_string()),
        rule: AlertRule {
            id: rule.id.clone(),
            title: rule.title.clone(),
            level: level_name(rule.level).to_owned(),
        },
        analytic,
        technique: TECHNIQUE,
        platform,
        tool_category,
        severity,
        confidence,
        factors,
        log_source: event.source,
        actor: actor(event).map(str::to_owned),
        actor_id: event.fields.get_str(field::ACTOR_ID).map(str::to_owned),
        host: event.get_str(field::COMPUTER).map(str::to_owned),
        process: event.get_str(field::IMAGE).map(str::to_owned),
        command_line: None,
        tool: event
            .fields
            .get_str(field::CLI_TOOL)
            .or_else(|| event.fields.get_str(field::CLIENT_TOOL))
            .map(str::to_owned),
        command: None,
        explanation: String::new(),
        evidence: vec![Evidence::from(location)],
        investigation: Arc::clone(&rule.investigation),
        response: Arc::clone(&rule.response),
        hunting: HuntingQueries::default(),
        suppressed_by: None,
    }
}

/// Deterministic alert order: event time, then input, then record, then rule (a stable sort).
///
/// The keys are sorted, not the alerts: an alert is some 400 bytes, and a hunt with a broad
/// pack sorts a hundred thousand of them, so a comparison sort that moved alerts spent most of
/// its time copying them. Each alert then moves once, along the cycles of the permutation.
pub fn sort_alerts(alerts: &mut [Alert]) {
    let mut keys: Vec<(&Alert, usize)> = alerts.iter().zip(0..).collect();
    // The index makes keys unique, so the unstable sort gives the stable order.
    keys.sort_unstable_by(|(a, i), (b, j)| alert_order(a, b).then(i.cmp(j)));
    let mut source: Vec<usize> = keys.into_iter().map(|(_, i)| i).collect();
    permute(alerts, &mut source);
}

/// The order alerts are written in: `(time, first evidence, rule id)`, ties kept in the order
/// the alerts were made. Evidence from the same input (the same shared path) compares its record
/// numbers without comparing the path's text.
pub fn alert_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    a.time
        .cmp(&b.time)
        .then_with(|| match (a.evidence.first(), b.evidence.first()) {
            (Some(x), Some(y)) if Arc::ptr_eq(&x.source, &y.source) => {
                (x.record, x.line, x.record_id).cmp(&(y.record, y.line, y.record_id))
            }
            (x, y) => x.cmp(&y),
        })
        .then_with(|| a.rule.id.cmp(&b.rule.id))
}

/// Reorder `items` so that position `p` holds what was at `source[p]` (`source` a permutation
/// of the positions; it is used up).
fn permute<T>(items: &mut [T], source: &mut [usize]) {
    for start in 0..source.len() {
        let mut at = start;
        while let Some(slot) = source.get_mut(at) {
            let from = std::mem::replace(slot, at);
            if from == at || from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

/// The fields an alert may read from an event's raw record when no normalized field has them:
/// events held for the correlation pass keep these raw paths, so a correlation alert says of
/// its events what their own detection alerts say.
pub const RAW_FIELDS_READ: [&str; 6] = [
    field::USER,
    field::COMPUTER,
    field::IMAGE,
    field::FILE_NAME,
    field::COMMAND_LINE,
    field::SCRIPT_BLOCK_TEXT,
];

/// Who acted: the user an endpoint normalizer names, else the normalized actor, else a `User`
/// member of the raw record. Normalized fields first: an export's `User` column (the Entra
/// admin center's sign-in CSV) holds a display name, where the actor is the principal name the
/// hunting queries search for.
fn actor(event: &Event) -> Option<&str> {
    event
        .fields
        .get_str(field::USER)
        .or_else(|| event.fields.get_str(field::ACTOR))
        .or_else(|| event.get_str(field::USER))
}

fn classify(rule: &RuleMeta, event: &Event) -> (Platform, ToolCategory) {
    if rule.classifier.as_deref() == Some("sentinel-kql") {
        let file_name = event.get_str(field::FILE_NAME).unwrap_or_default();
        let command_line = event.get_str(field::COMMAND_LINE).unwrap_or_default();
        let verdict = kusto::sentinel_kql_detect_cloud_account(file_name, command_line);
        return (verdict.platform, verdict.tool_category);
    }
    let platform = event
        .fields
        .get_str(field::CLI_PLATFORM)
        .and_then(Platform::from_name)
        .unwrap_or_else(|| platform_for_source(event.source));
    let category = event
        .fields
        .get_str(field::CLI_TOOL_CATEGORY)
        .or_else(|| event.fields.get_str(field::CLIENT_TOOL_CATEGORY))
        .and_then(ToolCategory::from_name)
        .unwrap_or(ToolCategory::Other);
    (platform, category)
}

fn platform_for_source(source: LogSource) -> Platform {
    match source {
        LogSource::Cloudtrail => Platform::Aws,
        LogSource::GraphActivity
        | LogSource::AadGraphActivity
        | LogSource::EntraSignin
        | LogSource::EntraAudit
        | LogSource::M365Audit => Platform::AzureM365,
        LogSource::GcpAudit => Platform::Gcp,
        LogSource::WorkspaceActivity => Platform::GoogleWorkspace,
        LogSource::OktaSystemLog => Platform::Okta,
        LogSource::SlackAudit => Platform::Slack,
        LogSource::Sysmon
        | LogSource::SysmonLinux
        | LogSource::Security4688
        | LogSource::Powershell4104
        | LogSource::DefenderProcess
        | LogSource::WindowsOther
        | LogSource::Auditd => Platform::Unknown,
    }
}

fn analytic_for_platform(platform: Platform, source: LogSource) -> Option<&'static str> {
    match (platform, source) {
        (_, LogSource::M365Audit) => Some("AN1089"),
        (Platform::Aws | Platform::Gcp, _) => Some("AN1088"),
        (Platform::AzureM365 | Platform::Okta, _) => Some("AN1087"),
        (Platform::GoogleWorkspace | Platform::Slack, _) => Some("AN1090"),
        (Platform::Unknown, _) => None,
    }
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Informational => "informational",
        Level::Low => "low",
        Level::Medium => "medium",
        Level::High => "high",
        Level::Critical => "critical",
    }
}

fn severity_for(level: Level) -> Severity {
    match level {
        Level::Informational => Severity::Informational,
        Level::Low => Severity::Low,
        Level::Medium => Severity::Medium,
        Level::High => Severity::High,
        Level::Critical => Severity::Critical,
    }
}

/// Severity starts at the rule level and confidence at the rule's stated confidence; both move
/// for reasons an analyst can read in `factors`.
fn grade(
    rule: &RuleMeta,
    event: &Event,
    tool_category: ToolCategory,
) -> (Severity, Confidence, Vec<String>) {
    let mut severity = severity_for(rule.level);
    let mut confidence = rule
        .confidence
        .as_deref()
        .and_then(Confidence::from_name)
        .unwrap_or(Confidence::Medium);
    let mut factors = vec![format!("rule level {}", level_name(rule.level))];
    if tool_category == ToolCategory::KnownOffensiveTool {
        factors.push("known offensive tool".to_owned());
    }
    if let Some(Value::Array(techniques)) = event.fields.get(field::CLI_OBFUSCATION) {
        let names: Vec<&str> = techniques.iter().filter_map(Value::as_str).collect();
        if !names.is_empty() {
            severity = severity.raised();
            confidence = Confidence::High;
            factors.push(format!(
                "command line was obfuscated ({}): severity raised, confidence high",
                names.join(", ")
            ));
        }
    }
    if event.fields.get(field::CLI_ENUMERATION) == Some(&Value::Bool(true)) {
        factors.push("the command lists accounts rather than reading one object".to_owned());
    }
    (severity, confidence, factors)
}

fn explain(rule: &RuleMeta, hit: &Hit, event: &Event, platform: Platform) -> String {
    let who = actor(event).unwrap_or("an unknown user");
    let host = event
        .get_str(field::COMPUTER)
        .map(|h| format!(" on {h}"))
        .unwrap_or_default();
    if let (Some(tool), Some(command)) = (
        event.fields.get_str(field::CLI_TOOL),
        event.fields.get_str(field::CLI_COMMAND),
    ) {
        return format!(
            "{who}{host} ran {tool} `{}`, which enumerates {platform} accounts",
            truncate(command, 200)
        );
    }
    let matched = hit
        .matched_fields
        .iter()
        .take(3)
        .map(|(name, value)| format!("{name}={}", truncate(value, 80)))
        .collect::<Vec<_>>()
        .join(", ");
    if matched.is_empty() {
        format!("{who}{host}: {}", rule.title)
    } else {
        format!("{who}{host}: {} ({matched})", rule.title)
    }
}

/// What the configuration's context says about the events (CloudRegion, GeoContext,
/// SessionContext, AppContext, TokenScope, CallerType): unexpected places raise severity,
/// the rest is noted for the analyst.
fn context_factors(alert: &mut Alert, events: &[&Event]) {
    let any = |name: &str| {
        events
            .iter()
            .any(|e| e.fields.get(name) == Some(&Value::Bool(true)))
    };
    let raises = [
        (
            field::CTX_UNEXPECTED_REGION,
            "calls came from outside the expected regions or networks (CloudRegion): severity raised",
        ),
        (
            field::CTX_UNEXPECTED_GEO,
            "calls came from a country outside the expected ones (GeoContext): severity raised",
        ),
        (
            field::CTX_UNTRUSTED_SESSION,
            "the session is outside trusted networks or devices (SessionContext): severity raised",
        ),
    ];
    let mut raised = false;
    for (name, note) in raises {
        if any(name) {
            alert.factors.push(note.to_owned());
            raised = true;
        }
    }
    if raised {
        alert.severity = alert.severity.raised();
    }
    if any(field::CTX_PUBLIC_CLIENT) {
        alert
            .factors
            .push("token of a first-party public client tools borrow (AppContext)".to_owned());
    }
    if any(field::CTX_DIRECTORY_SCOPE) {
        alert
            .factors
            .push("token carries a directory-read scope or role (TokenScope)".to_owned());
    }
    let firsts: Vec<&str> = [
        (field::CTX_NEW_PRINCIPAL, "principal"),
        (field::CTX_NEW_OPERATION, "operation"),
        (field::CTX_NEW_CLIENT, "client"),
        (field::CTX_NEW_APP, "app"),
        (field::CTX_NEW_NETWORK, "network"),
    ]
    .iter()
    .filter(|(name, _)| any(name))
    .map(|(_, what)| *what)
    .collect();
    if !firsts.is_empty() {
        alert.confidence = Confidence::High;
        alert.factors.push(format!(
            "first time for this principal per the baseline: new {}; confidence high",
            firsts.join(", new ")
        ));
    }
    if let Some(t) = events
        .iter()
        .find_map(|e| e.fields.get_str(field::CTX_CALLER_TYPE))
    {
        alert.factors.push(format!("caller type {t} (CallerType)"));
    }
}

/// Cut at a char boundary, never inside a UTF-8 sequence.
fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((idx, _)) => format!("{}…", text.get(..idx).unwrap_or(text)),
        None => text.to_owned(),
    }
}
