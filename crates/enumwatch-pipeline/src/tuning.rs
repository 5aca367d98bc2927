//! Applying the configuration's tuning entries to alerts: an alert is suppressed when every
//! event behind it matches one live entry; the alert is kept, marked with the entry, and
//! counted when it is written, so suppression is never silent.
//!
//! An alert is judged when it is built, by views of its own evidence events (a detection alert
//! by its event, a correlation alert by the events it lists), so no event has to be kept for
//! tuning once its alerts are built: a hunt's memory does not grow with its matched events.

use enumwatch_alert::{Alert, Suppression};
use enumwatch_config::TuningEntry;
use enumwatch_enrich::cloud::parse_ip;
use enumwatch_event::{Event, ToolCategory, field};

/// What tuning reads of an evidence event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TuningView<'e> {
    /// A tool signature (`client.tool_category` or `cli.tool_category`) is a known offensive tool.
    offensive: bool,
    /// `client.tool`, else `cli.tool`.
    tool: Option<&'e str>,
    /// The values present, in field order, of each list an entry matches against.
    principals: Vec<&'e str>,
    apps: Vec<&'e str>,
    user_agents: Vec<&'e str>,
    hosts: Vec<&'e str>,
    /// `SourceIp` as normalized (tuning never reads the raw record for it).
    source_ip: Option<&'e str>,
}

impl<'e> TuningView<'e> {
    pub(crate) fn of(e: &'e Event) -> Self {
        let present = |names: &[&str]| -> Vec<&'e str> {
            names.iter().filter_map(|n| e.get_str(n)).collect()
        };
        Self {
            offensive: [field::CLIENT_TOOL_CATEGORY, field::CLI_TOOL_CATEGORY]
                .iter()
                .any(|f| e.fields.get_str(f) == Some(ToolCategory::KnownOffensiveTool.name())),
            tool: e
                .fields
                .get_str(field::CLIENT_TOOL)
                .or_else(|| e.fields.get_str(field::CLI_TOOL)),
            principals: present(&[field::ACTOR, field::ACTOR_ID, field::USER]),
            apps: present(&[field::APP_ID, field::APP_NAME]),
            user_agents: present(&[field::USER_AGENT]),
            hosts: present(&[field::COMPUTER]),
            source_ip: e.fields.get_str(field::SOURCE_IP),
        }
    }
}

/// The names a view may read from an event's raw record (when no normalized field has them):
/// events held for the correlation pass keep these raw paths too, so a correlation alert is
/// judged as its events were when matched.
pub(crate) const VIEW_FIELDS: [&str; 7] = [
    field::ACTOR,
    field::ACTOR_ID,
    field::USER,
    field::APP_ID,
    field::APP_NAME,
    field::USER_AGENT,
    field::COMPUTER,
];

/// The tuning entries live on the hunt's date.
#[derive(Debug, Default)]
pub(crate) struct Tuner {
    live: Vec<TuningEntry>,
    /// The expired entries, as the summary lists them.
    expired: Vec<String>,
}

impl Tuner {
    /// The entries not expired on `today` (`None`: every entry is live).
    pub(crate) fn new(entries: &[TuningEntry], today: Option<(i16, i8, i8)>) -> Self {
        let mut tuner = Tuner::default();
        for e in entries {
            if today.is_some_and(|t| e.expired_on(t)) {
                tuner.expired.push(format!(
                    "{} (owner {}, expired {})",
                    e.name,
                    e.owner,
                    e.expires.as_deref().unwrap_or("?")
                ));
            } else {
                tuner.live.push(e.clone());
            }
        }
        tuner
    }

    /// Some entry is live, so alerts must be judged.
    pub(crate) fn is_live(&self) -> bool {
        !self.live.is_empty()
    }

    pub(crate) fn expired(&self) -> &[String] {
        &self.expired
    }

    /// Mark `alert` with the first live entry that suppresses it, judged by the views of its
    /// evidence events.
    pub(crate) fn judge(&self, alert: &mut Alert, events: &[TuningView<'_>]) {
        let entry = self
            .live
            .iter()
            .find(|entry| suppresses(entry, alert, events));
        alert.suppressed_by = entry.map(|entry| Suppression {
            entry: entry.name.clone(),
            owner: entry.owner.clone(),
            reason: entry.reason.clone(),
        });
    }
}

fn suppresses(entry: &TuningEntry, alert: &Alert, events: &[TuningView<'_>]) -> bool {
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
        if e.offensive && !named(e.tool) {
            return false;
        }
        let any = |values: &[&str], list: &enumwatch_config::PatternList| {
            list.is_empty() || values.iter().any(|v| list.matches(v))
        };
        any(&e.principals, &entry.principals)
            && any(&e.apps, &entry.app_ids)
            && any(&e.user_agents, &entry.user_agents)
            && any(&e.hosts, &entry.hosts)
            && (entry.source_cidrs.is_empty()
                || e.source_ip
                    .and_then(parse_ip)
                    .is_some_and(|ip| entry.source_cidrs.contains(ip)))
    })
}
