//! Applying the configuration's tuning entries to finished alerts: an alert is suppressed when
//! every event behind it matches one live entry; the alert is kept, marked with the entry, and
//! counted, so suppression is never silent.

use std::collections::HashMap;
use std::sync::Arc;

use enumwatch_alert::{Alert, Suppression};
use enumwatch_config::TuningEntry;
use enumwatch_enrich::cloud::parse_ip;
use enumwatch_event::{Event, RunStats, ToolCategory, field};
use jiff::Timestamp;

/// What tuning reads of an evidence event, taken when the event is matched: a hunt keeps this
/// instead of the event (whose raw record is most of its size), so an event can be dropped as
/// soon as its alerts are built, yet tuning still judges every alert by its events.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TuningView {
    /// The event's time: when one record gave several matched events, decides which of them a
    /// lookup by location finds (see `TuningViews::insert`).
    time: Option<Timestamp>,
    /// A tool signature (`client.tool_category` or `cli.tool_category`) is a known offensive tool.
    offensive: bool,
    /// `client.tool`, else `cli.tool`.
    tool: Option<Box<str>>,
    /// The values present, in field order, of each list an entry matches against.
    principals: Vec<Box<str>>,
    apps: Vec<Box<str>>,
    user_agents: Vec<Box<str>>,
    hosts: Vec<Box<str>>,
    /// `SourceIp` as normalized (tuning never reads the raw record for it).
    source_ip: Option<Box<str>>,
}

impl TuningView {
    pub(crate) fn of(e: &Event) -> Self {
        let present = |names: &[&str]| -> Vec<Box<str>> {
            names
                .iter()
                .filter_map(|n| e.get_str(n))
                .map(Box::from)
                .collect()
        };
        Self {
            time: e.time,
            offensive: [field::CLIENT_TOOL_CATEGORY, field::CLI_TOOL_CATEGORY]
                .iter()
                .any(|f| e.fields.get_str(f) == Some(ToolCategory::KnownOffensiveTool.name())),
            tool: e
                .fields
                .get_str(field::CLIENT_TOOL)
                .or_else(|| e.fields.get_str(field::CLI_TOOL))
                .map(Box::from),
            principals: present(&[field::ACTOR, field::ACTOR_ID, field::USER]),
            apps: present(&[field::APP_ID, field::APP_NAME]),
            user_agents: present(&[field::USER_AGENT]),
            hosts: present(&[field::COMPUTER]),
            source_ip: e.fields.get_str(field::SOURCE_IP).map(Box::from),
        }
    }
}

/// Tuning views of matched events by location (input, record).
#[derive(Debug, Default)]
pub(crate) struct TuningViews(HashMap<Arc<str>, HashMap<u64, TuningView>>);

impl TuningViews {
    /// Add the view of an event at `source`/`record`; events must come in input order, and in
    /// each input in the order they were matched. A record can give several events (Okta,
    /// Workspace); a lookup finds the one the whole-hunt order puts last: the latest added, or,
    /// with `by_time` (the order of the correlation pass, stable by event time), the latest
    /// added of those with the greatest time.
    pub(crate) fn insert(
        &mut self,
        source: &Arc<str>,
        record: u64,
        view: TuningView,
        by_time: bool,
    ) {
        let records = match self.0.get_mut(&**source) {
            Some(records) => records,
            None => self.0.entry(Arc::clone(source)).or_default(),
        };
        match records.get_mut(&record) {
            Some(old) if by_time && view.time < old.time => {}
            Some(old) => *old = view,
            None => {
                records.insert(record, view);
            }
        }
    }

    pub(crate) fn get(&self, source: &str, record: u64) -> Option<&TuningView> {
        self.0.get(source)?.get(&record)
    }

    pub(crate) fn extend(&mut self, other: Vec<(Arc<str>, u64, TuningView)>, by_time: bool) {
        for (source, record, view) in other {
            self.insert(&source, record, view, by_time);
        }
    }
}

/// True when some entry is not expired on `today`, so alerts may be suppressed and the events
/// behind them must stay judgeable.
pub(crate) fn any_live(entries: &[TuningEntry], today: Option<(i16, i8, i8)>) -> bool {
    entries
        .iter()
        .any(|e| !today.is_some_and(|t| e.expired_on(t)))
}

/// The live tuning entries and the views of the events they judge alerts by.
pub(crate) struct Tuner<'a> {
    live: Vec<&'a TuningEntry>,
    events: &'a TuningViews,
}

impl<'a> Tuner<'a> {
    /// The entries not expired on `today` (those expired are reported in `stats`).
    pub(crate) fn new(
        entries: &'a [TuningEntry],
        today: Option<(i16, i8, i8)>,
        events: &'a TuningViews,
        stats: &mut RunStats,
    ) -> Self {
        let live = entries
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
        Self { live, events }
    }

    /// The first live entry that suppresses `alert`, counted in `stats`.
    pub(crate) fn judge(&self, alert: &Alert, stats: &mut RunStats) -> Option<Suppression> {
        if self.live.is_empty() {
            return None;
        }
        let evidence: Vec<&TuningView> = alert
            .evidence
            .iter()
            .filter_map(|e| self.events.get(&e.source, e.record))
            .collect();
        let entry = self
            .live
            .iter()
            .find(|entry| suppresses(entry, alert, &evidence))?;
        *stats.suppressed.entry(entry.name.clone()).or_default() += 1;
        Some(Suppression {
            entry: entry.name.clone(),
            owner: entry.owner.clone(),
            reason: entry.reason.clone(),
        })
    }
}

fn suppresses(entry: &TuningEntry, alert: &Alert, events: &[&TuningView]) -> bool {
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
        if e.offensive && !named(e.tool.as_deref()) {
            return false;
        }
        let any = |values: &[Box<str>], list: &enumwatch_config::PatternList| {
            list.is_empty() || values.iter().any(|v| list.matches(v))
        };
        any(&e.principals, &entry.principals)
            && any(&e.apps, &entry.app_ids)
            && any(&e.user_agents, &entry.user_agents)
            && any(&e.hosts, &entry.hosts)
            && (entry.source_cidrs.is_empty()
                || e.source_ip
                    .as_deref()
                    .and_then(parse_ip)
                    .is_some_and(|ip| entry.source_cidrs.contains(ip)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(second: i64, tool: &str) -> TuningView {
        TuningView {
            time: Some(Timestamp::from_second(second).unwrap_or_default()),
            offensive: false,
            tool: Some(Box::from(tool)),
            principals: Vec::new(),
            apps: Vec::new(),
            user_agents: Vec::new(),
            hosts: Vec::new(),
            source_ip: None,
        }
    }

    fn found(views: &TuningViews) -> Option<&str> {
        views.get("in.jsonl", 7).and_then(|v| v.tool.as_deref())
    }

    /// Several events of one record: the lookup must find the one the hunt's order puts last,
    /// as the map of whole events it replaces did.
    #[test]
    fn a_record_with_several_events_resolves_like_the_hunt_order() {
        let source: Arc<str> = Arc::from("in.jsonl");
        let added = || {
            vec![
                (Arc::clone(&source), 7, view(20, "later-time")),
                (Arc::clone(&source), 7, view(10, "added-last")),
            ]
        };
        let mut arrival = TuningViews::default();
        arrival.extend(added(), false);
        assert_eq!(found(&arrival), Some("added-last"));

        let mut by_time = TuningViews::default();
        by_time.extend(added(), true);
        assert_eq!(found(&by_time), Some("later-time"));

        by_time.insert(&source, 7, view(20, "same-time-added-last"), true);
        assert_eq!(found(&by_time), Some("same-time-added-last"));
        assert!(by_time.get("in.jsonl", 8).is_none());
    }
}
