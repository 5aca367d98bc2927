//! The correlation pass of a hunt: every matched event that a correlation rule aggregates, of
//! every input, in event-time order, through the Sigma correlation rules; then detection alerts
//! that are evidence of a fired correlation are folded into it, so one burst is one alert.
//!
//! The pass runs after all inputs are merged, so windows are exact across files and threads:
//! a batch hunt sees the whole time line and needs no watermark. Memory is the events with a
//! hit of a rule some correlation aggregates (other matched events are dropped once their
//! alerts are built) plus rsigma's window state, bounded per group (`MAX_GROUP_ENTRIES`) and
//! in total (`MAX_STATE_ENTRIES`).

use std::collections::HashSet;

use enumwatch_alert::{Alert, AlertBuilder};
use enumwatch_engine::Correlator;
use enumwatch_event::{Event, RunStats};
use enumwatch_rules::{ParsedRule, RuleSet};

use crate::PipelineError;
use crate::hunt::Matched;

/// Most evidence events kept on one correlation alert (the count is in the explanation).
const MAX_EVIDENCE: usize = 200;

/// Rules a correlation aggregates without `generate: true`: building blocks that only feed
/// correlations (Sigma's default) and never alert by themselves.
pub(crate) fn building_blocks(rules: &RuleSet) -> HashSet<usize> {
    referenced(rules, true)
}

/// Every rule some correlation aggregates, with or without `generate: true`: only events with a
/// hit of one of these can move a correlation window or be its evidence, so only they are kept
/// for the correlation pass.
pub(crate) fn members(rules: &RuleSet) -> HashSet<usize> {
    referenced(rules, false)
}

/// Indexes of the rules correlations refer to, by id or name; only those of correlations without
/// `generate: true` when `silent_only`.
fn referenced(rules: &RuleSet, silent_only: bool) -> HashSet<usize> {
    let mut out = HashSet::new();
    for parsed in rules.parsed() {
        let ParsedRule::Correlation(c) = parsed else {
            continue;
        };
        if silent_only && c.generate {
            continue;
        }
        for reference in &c.rules {
            for (i, meta) in rules.rules().iter().enumerate() {
                if &meta.id == reference || meta.name.as_ref() == Some(reference) {
                    out.insert(i);
                }
            }
        }
    }
    out
}

/// Feed matched events to the correlation rules in event-time order (ties by input order) and
/// build an alert for each firing, with the group's member events within one timespan either
/// side of the firing as evidence.
pub(crate) fn correlate(
    rules: &RuleSet,
    builder: &AlertBuilder,
    matched: &mut [Matched],
    stats: &mut RunStats,
) -> Result<Vec<Alert>, PipelineError> {
    let mut correlator = Correlator::new(rules)?;
    matched
        .sort_by(|a, b| (a.event.time, &a.event.location).cmp(&(b.event.time, &b.event.location)));
    let mut alerts = Vec::new();
    for m in matched.iter() {
        for fired in correlator.observe(&m.event, &m.hits) {
            let Some(rule) = rules.rules().get(fired.rule) else {
                continue;
            };
            let span = match rules.parsed().get(fired.rule) {
                Some(ParsedRule::Correlation(c)) => c.timespan.seconds as i64,
                _ => 0,
            };
            let Some(at) = m.event.time else {
                continue;
            };
            let from = at.as_second().saturating_sub(span);
            let to = at.as_second().saturating_add(span);
            // `matched` is in time order (timeless events first): find the window by bisection
            // so that evidence costs the window, not the whole hunt.
            let start =
                matched.partition_point(|c| c.event.time.is_none_or(|t| t.as_second() < from));
            let events: Vec<&Event> = matched
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|c| c.event.time.is_some_and(|t| t.as_second() <= to))
                .filter(|c| c.hits.iter().any(|h| fired.member_rules.contains(&h.rule)))
                .filter(|c| fired.matches_group(&c.event))
                .take(MAX_EVIDENCE)
                .map(|c| &c.event)
                .collect();
            if let Some(alert) = builder.from_correlation(rule, &fired, &events) {
                alerts.push(alert);
            }
        }
    }
    stats.correlation_state_evictions += correlator.evictions();
    Ok(alerts)
}

/// Drop each detection alert whose event is evidence of a correlation alert of the same
/// analytic, naming it on the correlation alert instead (and keeping the higher severity).
pub(crate) fn fold_into_correlations(
    detections: Vec<Alert>,
    mut correlated: Vec<Alert>,
) -> Vec<Alert> {
    let mut out = Vec::with_capacity(detections.len() + correlated.len());
    for alert in detections {
        let Some(evidence) = alert.evidence.first() else {
            out.push(alert);
            continue;
        };
        let host = correlated
            .iter_mut()
            .find(|c| c.analytic == alert.analytic && c.evidence.contains(evidence));
        match host {
            Some(c) => {
                let note = format!("includes \"{}\"", alert.rule.title);
                if !c.factors.contains(&note) {
                    c.factors.push(note);
                }
                if alert.severity > c.severity {
                    c.severity = alert.severity;
                }
            }
            None => out.push(alert),
        }
    }
    out.extend(correlated);
    out
}
