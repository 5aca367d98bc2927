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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use enumwatch_alert::{Alert, AlertBuilder, Severity};
use enumwatch_engine::Correlator;
use enumwatch_event::RunStats;
use enumwatch_rules::{ParsedRule, RuleSet};

use crate::PipelineError;
use crate::evidence::{self, Firing};
use crate::spool::HeldEvents;
use crate::tuning::{Tuner, TuningView};

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
    tuner: &Tuner,
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
        let mut alert = builder.from_correlation(rule, &firing.hit, events)?;
        if tuner.is_live() {
            let views: Vec<TuningView<'_>> = events.iter().map(|e| TuningView::of(e)).collect();
            tuner.judge(&mut alert, &views);
        }
        Some(alert)
    })?;
    Ok(alerts.into_iter().flatten().collect())
}

/// Which correlation alert each detection alert folds into: the first, in the correlation
/// alerts' order, of the same analytic that lists the detection's first evidence record. The
/// index is built from the correlation alerts (in memory anyway), so the detections can be
/// streamed past it, from memory or from disk.
pub(crate) struct Folds {
    holders: HashMap<(Arc<str>, u64), Vec<usize>>,
}

impl Folds {
    pub(crate) fn new(correlated: &[Alert]) -> Self {
        let mut holders: HashMap<(Arc<str>, u64), Vec<usize>> = HashMap::new();
        for (i, c) in correlated.iter().enumerate() {
            for e in &c.evidence {
                let list = holders
                    .entry((Arc::clone(&e.source), e.record))
                    .or_default();
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Self { holders }
    }

    /// The correlation alert `alert` folds into, if any.
    pub(crate) fn host(&self, correlated: &[Alert], alert: &Alert) -> Option<usize> {
        if self.holders.is_empty() {
            return None;
        }
        let evidence = alert.evidence.first()?;
        self.holders
            .get(&(Arc::clone(&evidence.source), evidence.record))?
            .iter()
            .copied()
            .find(|&i| {
                correlated
                    .get(i)
                    .is_some_and(|c| c.analytic == alert.analytic && c.evidence.contains(evidence))
            })
    }
}

/// What folded detections add to their correlation alerts (an `includes "<rule title>"` factor
/// each, and a severity at least theirs), gathered in any order and applied as if the
/// detections came in the order they were made (`position`): a rule's note goes where its
/// first detection would have put it.
#[derive(Default)]
pub(crate) struct FoldNotes {
    hosts: BTreeMap<usize, HostNotes>,
}

/// Per correlation alert: each folded rule's title at its first detection's position, and the
/// highest severity.
struct HostNotes {
    titles: HashMap<String, (u32, u64)>,
    severity: Severity,
}

impl FoldNotes {
    pub(crate) fn add(&mut self, host: usize, position: (u32, u64), alert: &Alert) {
        let notes = self.hosts.entry(host).or_insert_with(|| HostNotes {
            titles: HashMap::new(),
            severity: alert.severity,
        });
        let first = notes
            .titles
            .entry(alert.rule.title.clone())
            .or_insert(position);
        *first = (*first).min(position);
        notes.severity = notes.severity.max(alert.severity);
    }

    pub(crate) fn apply(self, correlated: &mut [Alert]) {
        for (host, notes) in self.hosts {
            let Some(c) = correlated.get_mut(host) else {
                continue;
            };
            let mut titles: Vec<(String, (u32, u64))> = notes.titles.into_iter().collect();
            titles.sort_by_key(|(_, position)| *position);
            for (title, _) in titles {
                let note = format!("includes \"{title}\"");
                if !c.factors.contains(&note) {
                    c.factors.push(note);
                }
            }
            if notes.severity > c.severity {
                c.severity = notes.severity;
            }
        }
    }
}

/// The detections that fold nowhere, then the correlation alerts with what the folded ones
/// added: the whole fold over alerts in memory.
#[cfg(test)]
fn fold_into_correlations(detections: Vec<Alert>, mut correlated: Vec<Alert>) -> Vec<Alert> {
    let folds = Folds::new(&correlated);
    let mut notes = FoldNotes::default();
    let mut out = Vec::new();
    for (seq, alert) in detections.into_iter().enumerate() {
        match folds.host(&correlated, &alert) {
            Some(host) => notes.add(host, (0, seq as u64), &alert),
            None => out.push(alert),
        }
    }
    notes.apply(&mut correlated);
    out.extend(correlated);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_alert::{Alert, AlertRule, Confidence, Evidence, HuntingQueries, Severity};
    use enumwatch_event::{LogSource, Platform, ToolCategory};
    use proptest::prelude::*;

    use super::fold_into_correlations;

    /// The pairwise scan the index replaces: the reference behaviour.
    fn fold_by_scan(detections: Vec<Alert>, mut correlated: Vec<Alert>) -> Vec<Alert> {
        let mut out = Vec::new();
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

    /// An alert of rule `title`, analytic `analytic`, severity `level` and evidence records
    /// `(input, record, line)` (inputs named `a` and `b`, as distinct allocations).
    fn alert(title: u8, analytic: u8, level: u8, evidence: &[(u8, u8, bool)]) -> Alert {
        let severity = [Severity::Low, Severity::Medium, Severity::High][usize::from(level % 3)];
        Alert {
            id: format!("{title}"),
            time: None,
            rule: AlertRule {
                id: format!("r{title}"),
                title: format!("rule {title}"),
                level: "low".into(),
            },
            analytic: (analytic > 0).then(|| format!("AN108{analytic}")),
            technique: "T1087.004",
            platform: Platform::Aws,
            tool_category: ToolCategory::Other,
            severity,
            confidence: Confidence::Medium,
            factors: vec![],
            log_source: LogSource::Cloudtrail,
            actor: None,
            actor_id: None,
            host: None,
            process: None,
            command_line: None,
            tool: None,
            command: None,
            explanation: String::new(),
            evidence: evidence
                .iter()
                .map(|&(input, record, line)| Evidence {
                    source: Arc::from(if input % 2 == 0 { "a" } else { "b" }),
                    record: u64::from(record % 6),
                    line: line.then_some(u64::from(record % 6) + 1),
                    record_id: None,
                })
                .collect(),
            investigation: Arc::from(Vec::new()),
            response: Arc::from(Vec::new()),
            hunting: HuntingQueries::default(),
            suppressed_by: None,
        }
    }

    type Spec = (u8, u8, u8, Vec<(u8, u8, bool)>);

    fn specs(max_evidence: usize) -> impl Strategy<Value = Vec<Spec>> {
        prop::collection::vec(
            (
                0u8..4,
                0u8..3,
                any::<u8>(),
                prop::collection::vec((any::<u8>(), any::<u8>(), any::<bool>()), 0..max_evidence),
            ),
            0..12,
        )
    }

    proptest! {
        /// The index finds the same host as the pairwise scan: same alerts, same notes, same
        /// severities, same order.
        #[test]
        fn the_index_folds_as_the_scan_does(detections in specs(2), correlated in specs(5)) {
            let build = |specs: &[Spec]| -> Vec<Alert> {
                specs.iter().map(|(t, a, l, e)| alert(*t, *a, *l, e)).collect()
            };
            prop_assert_eq!(
                fold_into_correlations(build(&detections), build(&correlated)),
                fold_by_scan(build(&detections), build(&correlated))
            );
        }
    }
}
