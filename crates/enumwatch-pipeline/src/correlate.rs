//! The correlation pass of a hunt: every matched event that a correlation rule aggregates, of
//! every input, in event-time order, through the Sigma correlation rules; then detection alerts
//! that are evidence of a fired correlation are folded into it, so one burst is one alert.
//!
//! The pass runs after all inputs are merged, so windows are exact across files and threads:
//! a batch hunt sees the whole time line and needs no watermark. Memory is the events with a
//! hit of a rule some correlation aggregates (other matched events are dropped once their
//! alerts are built), held within a budget and past it in sorted runs on disk (`held`), plus
//! rsigma's window state, bounded per group (`MAX_GROUP_ENTRIES`) and in total
//! (`MAX_STATE_ENTRIES`).

use std::collections::HashSet;

use enumwatch_alert::{Alert, AlertBuilder};
use enumwatch_engine::Correlator;
use enumwatch_event::RunStats;
use enumwatch_rules::{ParsedRule, RuleSet};

use crate::PipelineError;
use crate::evidence::{self, Firing};
use crate::held::HeldEvents;

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

/// Feed the held events to the correlation rules in event-time order (ties by input order) and
/// build an alert for each firing, with the group's member events within one timespan either
/// side of the firing as evidence. Two passes over the held events, each streamed: the first
/// runs the correlator and notes the firings, the second gathers their evidence.
pub(crate) fn correlate(
    rules: &RuleSet,
    builder: &AlertBuilder,
    held: &HeldEvents,
    stats: &mut RunStats,
) -> Result<Vec<Alert>, PipelineError> {
    let mut correlator = Correlator::new(rules)?;
    let mut firings = Vec::new();
    held.scan(|item| {
        let m = item.matched()?;
        for fired in correlator.observe(&m.event, &m.hits) {
            if rules.rules().get(fired.rule).is_none() {
                continue;
            }
            let span = match rules.parsed().get(fired.rule) {
                Some(ParsedRule::Correlation(c)) => c.timespan.seconds as i64,
                _ => 0,
            };
            let Some(at) = m.event.time else {
                continue;
            };
            firings.push(Firing {
                hit: fired,
                from: at.as_second().saturating_sub(span),
                to: at.as_second().saturating_add(span),
            });
        }
        Ok(())
    })?;
    stats.correlation_state_evictions += correlator.evictions();
    stats.correlation_events_spilled += held.spilled();
    // The window state is not needed for the evidence.
    drop(correlator);
    let alerts = evidence::gather(held, &firings, |firing, events| {
        let rule = rules.rules().get(firing.hit.rule)?;
        builder.from_correlation(rule, &firing.hit, events)
    })?;
    Ok(alerts.into_iter().flatten().collect())
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
