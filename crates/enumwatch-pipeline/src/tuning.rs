//! Applying the configuration's tuning entries to finished alerts: an alert is suppressed when
//! every event behind it matches one live entry; the alert is kept, marked with the entry, and
//! counted, so suppression is never silent.

use std::collections::HashMap;

use enumwatch_alert::{Alert, Suppression};
use enumwatch_config::TuningEntry;
use enumwatch_enrich::cloud::parse_ip;
use enumwatch_event::{Event, RunStats, ToolCategory, field};

/// Alerts split into those shown and those a tuning entry suppressed.
pub(crate) struct Tuned {
    pub(crate) shown: Vec<Alert>,
    pub(crate) suppressed: Vec<Alert>,
}

/// Apply `entries` (those expired on `today` are skipped and reported in `stats`).
pub(crate) fn apply(
    entries: &[TuningEntry],
    today: Option<(i16, i8, i8)>,
    alerts: Vec<Alert>,
    events: &HashMap<(&str, u64), &Event>,
    stats: &mut RunStats,
) -> Tuned {
    let live: Vec<&TuningEntry> = entries
        .iter()
        .filter(|e| {
            let expired = today.is_some_and(|t| e.expired_on(t));
            if expired {
                stats.tuning_expired.push(format!(
                    "{} (owner {}, expired {})",
                    e.name,
                    e.owner,
                    e.expires.as_deref().unwrap_or("?")
                ));
            }
            !expired
        })
        .collect();
    let mut out = Tuned {
        shown: Vec::with_capacity(alerts.len()),
        suppressed: Vec::new(),
    };
    for mut alert in alerts {
        let evidence: Vec<&Event> = alert
            .evidence
            .iter()
            .filter_map(|e| events.get(&(e.source.as_str(), e.record)).copied())
            .collect();
        match live
            .iter()
            .find(|entry| suppresses(entry, &alert, &evidence))
        {
            Some(entry) => {
                *stats.suppressed.entry(entry.name.clone()).or_default() += 1;
                alert.suppressed_by = Some(Suppression {
                    entry: entry.name.clone(),
                    owner: entry.owner.clone(),
                    reason: entry.reason.clone(),
                });
                out.suppressed.push(alert);
            }
            None => out.shown.push(alert),
        }
    }
    out
}

fn suppresses(entry: &TuningEntry, alert: &Alert, events: &[&Event]) -> bool {
    if events.is_empty() || events.len() < alert.evidence.len() {
        return false;
    }
    if !entry.analytics.is_empty()
        && !alert
            .analytic
            .as_ref()
            .is_some_and(|a| entry.analytics.contains(a))
    {
        return false;
    }
    if !entry.rules.is_empty()
        && !entry
            .rules
            .iter()
            .any(|r| r == &alert.rule.id || r.eq_ignore_ascii_case(&alert.rule.title))
    {
        return false;
    }
    // A tool signature is suppressed only by an entry that names the tool.
    let named = |tool: Option<&str>| {
        tool.is_some_and(|t| entry.tools.iter().any(|n| n.eq_ignore_ascii_case(t)))
    };
    if alert.tool_category == ToolCategory::KnownOffensiveTool && !named(alert.tool.as_deref()) {
        return false;
    }
    events.iter().all(|e| {
        let offensive = [field::CLIENT_TOOL_CATEGORY, field::CLI_TOOL_CATEGORY]
            .iter()
            .any(|f| e.fields.get_str(f) == Some(ToolCategory::KnownOffensiveTool.name()));
        if offensive
            && !named(
                e.fields
                    .get_str(field::CLIENT_TOOL)
                    .or_else(|| e.fields.get_str(field::CLI_TOOL)),
            )
        {
            return false;
        }
        let any = |names: &[&str], list: &enumwatch_config::PatternList| {
            list.is_empty()
                || names
                    .iter()
                    .filter_map(|n| e.get_str(n))
                    .any(|v| list.matches(v))
        };
        any(
            &[field::ACTOR, field::ACTOR_ID, field::USER],
            &entry.principals,
        ) && any(&[field::APP_ID, field::APP_NAME], &entry.app_ids)
            && any(&[field::USER_AGENT], &entry.user_agents)
            && any(&[field::COMPUTER], &entry.hosts)
            && (entry.source_cidrs.is_empty()
                || e.fields
                    .get_str(field::SOURCE_IP)
                    .and_then(parse_ip)
                    .is_some_and(|ip| entry.source_cidrs.contains(ip)))
    })
}
