//! Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) on event time.
//!
//! rsigma's `CorrelationEngine` keeps the per-group windows, but two of its defaults do not fit
//! enumwatch: `process_event_at` re-runs every detection rule on the event without log-source
//! routing, and it keeps firing on every event past the threshold. So the correlator evaluates
//! detections with the inner engine, keeps only those `Matcher` already reported for this event
//! (routing stays ours), feeds them with the event's own time through `process_with_detections`,
//! and resets a group's window after it fires. Events without a time cannot be placed in a window
//! and are skipped; the caller feeds events in event-time order.
//!
//! The cap on the number of groups is ours too (`state::GroupLedger`): rsigma's own eviction
//! picks among equally stale groups by hash order, so it is set out of reach and the correlator
//! evicts the oldest groups by (event time, arrival) itself, counting them.

use std::collections::{HashMap, HashSet};

use enumwatch_event::Event;
use enumwatch_rules::{ParsedRule, RuleSet};
use rsigma_eval::{CorrelationAction, CorrelationConfig, CorrelationEngine};
use rsigma_parser::SigmaCollection;

use crate::repeats::{Repeats, split_value_counts};
use crate::state::GroupLedger;
use crate::view::SigmaView;
use crate::{EngineError, Hit};

/// A correlation rule fired.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationHit {
    /// Index of the correlation rule in `RuleSet::rules()`.
    pub rule: usize,
    /// Group-by fields and their values.
    pub group: Vec<(String, String)>,
    /// The aggregated value that crossed the threshold (events or distinct values).
    pub events: usize,
    /// Indexes of the rules the correlation aggregates.
    pub member_rules: Vec<usize>,
}

impl CorrelationHit {
    /// Whether `event` belongs to this hit's group.
    pub fn matches_group(&self, event: &Event) -> bool {
        self.group.iter().all(|(field, value)| {
            event.get(field).is_some_and(|v| match v {
                serde_json::Value::String(s) => s == value,
                other => &other.to_string() == value,
            })
        })
    }
}

/// Most correlation groups (one window per correlation rule and group-by value) held at once.
/// Past it the groups that saw an event longest ago (by event time, then arrival) are dropped
/// until a tenth below the cap, and counted by `Correlator::evictions`: adversarial cardinality
/// (millions of principals in one window) costs bounded memory and a reported count, and the
/// same input always loses the same groups.
pub const MAX_STATE_ENTRIES: usize = 100_000;
/// Most entries kept in one group's window (oldest dropped first; counts can only go down).
pub const MAX_GROUP_ENTRIES: usize = 10_000;

/// Stateful correlation over detection hits, on event time.
pub struct Correlator {
    /// Groups dropped because the state went past its cap.
    evictions: u64,
    engine: CorrelationEngine,
    /// Every group in `engine` and when it last saw an event; enforces the state cap.
    ledger: GroupLedger,
    /// Rule id → index into `RuleSet::rules()`.
    index: HashMap<String, usize>,
    /// Correlation rule index → the rules it aggregates.
    members: HashMap<usize, Vec<usize>>,
    /// Every rule some correlation aggregates (directly).
    correlated: HashSet<usize>,
    /// `value_count` updates already fed this second (`repeats`).
    pub(crate) repeats: Repeats,
}

impl Correlator {
    pub fn new(rules: &RuleSet) -> Result<Self, EngineError> {
        Self::with_state_cap(rules, MAX_STATE_ENTRIES)
    }

    /// A correlator holding at most `cap` groups; tests use a small cap to reach it quickly.
    pub(crate) fn with_state_cap(rules: &RuleSet, cap: usize) -> Result<Self, EngineError> {
        Self::build(rules, cap, true)
    }

    /// rsigma as it is: every update fed, every rule shared by the correlations that refer to
    /// it (the reference the tests hold the correlator to).
    #[cfg(test)]
    pub(crate) fn plain(rules: &RuleSet, cap: usize) -> Result<Self, EngineError> {
        let mut correlator = Self::build(rules, cap, false)?;
        correlator.repeats = Repeats::disabled();
        Ok(correlator)
    }

    fn build(rules: &RuleSet, cap: usize, split: bool) -> Result<Self, EngineError> {
        let mut collection = SigmaCollection::new();
        let mut index = HashMap::new();
        let mut members = HashMap::new();
        let mut correlated = HashSet::new();
        let named = rules.named_by_correlations();
        for (i, (meta, parsed)) in rules.rules().iter().zip(rules.parsed()).enumerate() {
            index.insert(meta.id.clone(), i);
            match parsed {
                ParsedRule::Detection(rule) => {
                    if needed_by_correlation_engine(rule, &named) {
                        collection.rules.push((**rule).clone());
                    }
                }
                ParsedRule::Correlation(rule) => {
                    let refs: Vec<usize> = rule
                        .rules
                        .iter()
                        .filter_map(|r| {
                            rules
                                .rules()
                                .iter()
                                .position(|m| &m.id == r || m.name.as_ref() == Some(r))
                        })
                        .collect();
                    correlated.extend(refs.iter().copied());
                    members.insert(i, refs);
                    collection.correlations.push((**rule).clone());
                }
                ParsedRule::Filter(rule) => collection.filters.push((**rule).clone()),
            }
        }
        if split {
            for (clone, original) in split_value_counts(&mut collection) {
                let of = rules
                    .rules()
                    .iter()
                    .position(|m| m.id == original || m.name.as_ref() == Some(&original));
                if let Some(i) = of {
                    index.insert(clone, i);
                }
            }
        }
        let config = CorrelationConfig {
            action_on_match: CorrelationAction::Reset,
            // `ledger` keeps the state at or under the cap after every event, so rsigma's own
            // hard cap (which drops equally stale groups in hash order) never runs.
            max_state_entries: usize::MAX,
            max_group_entries: Some(MAX_GROUP_ENTRIES),
            ..CorrelationConfig::default()
        };
        let mut engine = CorrelationEngine::new(config);
        if !collection.correlations.is_empty() {
            engine
                .add_collection(&collection)
                .map_err(|e| EngineError::Compile {
                    rule: "correlation".to_owned(),
                    message: e.to_string(),
                })?;
        }
        let ledger = GroupLedger::new(&collection, cap)?;
        Ok(Self {
            evictions: 0,
            engine,
            ledger,
            index,
            members,
            correlated,
            repeats: Repeats::new(),
        })
    }

    /// Groups dropped at the state cap so far, each with its window's entries (the correlation
    /// may under-count for them). Groups whose window had passed, or that fired and were reset,
    /// are not counted: nothing was lost with them.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Groups held now, one per correlation rule and group-by value (at most `MAX_STATE_ENTRIES`
    /// between calls to `observe`).
    pub fn state_entries(&self) -> usize {
        self.engine.state_count()
    }

    /// True when the rule set has no correlation rule (the caller can skip `observe`).
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Observe one event (in event-time order) with the detection hits `Matcher` found for it;
    /// return the correlations that fired.
    pub fn observe(&mut self, event: &Event, hits: &[Hit]) -> Vec<CorrelationHit> {
        let Some(time) = event.time else {
            return Vec::new();
        };
        let routed: HashSet<usize> = hits
            .iter()
            .map(|h| h.rule)
            .filter(|r| self.correlated.contains(r))
            .collect();
        if routed.is_empty() {
            return Vec::new();
        }
        let view = SigmaView(event);
        // Only the detections `Matcher` reported (i.e. of the event's own log source) count.
        let detections: Vec<_> = self
            .engine
            .evaluate(&view)
            .into_iter()
            .filter(|r| {
                r.header
                    .rule_id
                    .as_ref()
                    .and_then(|id| self.index.get(id))
                    .is_some_and(|i| routed.contains(i))
            })
            .collect();
        // rsigma clamps the time the same way; the ledger must stamp what rsigma stores.
        let time = time.as_second().clamp(0, i64::MAX / 2);
        self.ledger.record_detections(&view, &detections, time);
        let ledger = &self.ledger;
        let detections = self.repeats.filter(time, detections, |det| {
            ledger.value_count_updates(&view, det)
        });
        if detections.is_empty() {
            return Vec::new();
        }
        let results = self.engine.process_with_detections(&view, detections, time);
        self.ledger.record_chained(&results, time);
        let evicted = self.ledger.enforce(&mut self.engine, time);
        self.evictions += evicted;
        if evicted > 0 || results.iter().any(|r| r.as_correlation().is_some()) {
            self.repeats.forget();
        }
        let mut hits: Vec<CorrelationHit> = results
            .iter()
            .filter_map(|r| {
                let body = r.as_correlation()?;
                let rule = *self.index.get(r.header.rule_id.as_ref()?)?;
                Some(CorrelationHit {
                    rule,
                    group: body.group_key.clone(),
                    events: if body.aggregated_value.is_finite() && body.aggregated_value > 0.0 {
                        body.aggregated_value as usize
                    } else {
                        0
                    },
                    member_rules: self.members.get(&rule).cloned().unwrap_or_default(),
                })
            })
            .collect();
        // In rule order: rsigma's order follows the order detections are fed in, which the
        // split of `value_count` rules changes.
        hits.sort_by_key(|h| h.rule);
        hits
    }
}

/// Whether rsigma's correlation engine needs this detection rule (and so compiles it again).
/// `observe` only ever passes it detections of rules a correlation aggregates, and rsigma reads
/// other detection rules only for their `rsigma.*` attributes (engine-wide settings such as
/// `rsigma.suppress`); every other rule would be compiled and evaluated for nothing.
fn needed_by_correlation_engine(rule: &rsigma_parser::SigmaRule, named: &HashSet<&str>) -> bool {
    let named_here = |key: &Option<String>| key.as_deref().is_some_and(|k| named.contains(k));
    named_here(&rule.id)
        || named_here(&rule.name)
        || rule
            .custom_attributes
            .keys()
            .any(|k| k.starts_with("rsigma."))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_event::{Location, LogSource};
    use enumwatch_rules::{RuleSource, load};

    use super::*;
    use crate::Matcher;

    const DETECTION: &str = "title: List users\nid: 33333333-3333-4333-8333-333333333333\nname: list-users\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListUsers\n  condition: selection\nlevel: low\n";

    fn rules(correlation: &str) -> String {
        format!(
            "{DETECTION}---\ntitle: Many list users\nid: 44444444-4444-4444-8444-444444444444\ncorrelation:\n{correlation}level: high\n"
        )
    }

    const EVENT_COUNT: &str = "  type: event_count\n  rules:\n    - list-users\n  group-by:\n    - actor.name\n  timespan: 5m\n  condition:\n    gte: 3\n";

    fn event(source: LogSource, minute: i64, actor: &str, ip: &str) -> Event {
        let raw = Arc::new(serde_json::json!({"eventName": "ListUsers", "sourceIPAddress": ip}));
        let mut e = Event::new(source, Location::new(Arc::from("t"), minute as u64), raw);
        e.time = Some(jiff::Timestamp::from_second(1_700_000_000 + minute * 60).unwrap());
        e.fields.insert("actor.name", actor);
        e
    }

    fn run(yaml: &str, events: &[Event]) -> Vec<CorrelationHit> {
        let (rules, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: yaml.into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let matcher = Matcher::new(&rules).unwrap();
        let mut correlator = Correlator::new(&rules).unwrap();
        assert!(!correlator.is_empty());
        let mut fired = Vec::new();
        for e in events {
            let mut hits = Vec::new();
            matcher.matches(e, &mut hits);
            fired.extend(correlator.observe(e, &hits));
        }
        fired
    }

    fn bob(minutes: &[i64]) -> Vec<Event> {
        minutes
            .iter()
            .map(|&m| {
                event(
                    LogSource::Cloudtrail,
                    m,
                    "arn:aws:iam::1:user/bob",
                    "10.0.0.1",
                )
            })
            .collect()
    }

    #[test]
    fn the_correlation_engine_holds_only_the_detection_rules_it_can_use() {
        let unrelated = "title: List roles\nid: 55555555-5555-4555-8555-555555555555\nname: list-roles\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListRoles\n  condition: selection\nlevel: low\n";
        let with_setting = unrelated
            .replace(
                "55555555-5555-4555-8555-555555555555",
                "66666666-6666-4666-8666-666666666666",
            )
            .replace(
                "name: list-roles",
                "name: list-roles-2\nrsigma.suppress: 1h",
            );
        let yaml = format!("{}---\n{unrelated}---\n{with_setting}", rules(EVENT_COUNT));
        let (set, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: yaml.clone(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let correlator = Correlator::new(&set).unwrap();
        // `list-users` (aggregated) and the rule carrying an engine-wide `rsigma.*` setting.
        assert_eq!(correlator.engine.detection_rule_count(), 2);
        assert_eq!(run(&yaml, &bob(&[0, 1, 2])).len(), 1);
    }

    #[test]
    fn event_count_fires_inside_the_window_on_event_time() {
        let fired = run(&rules(EVENT_COUNT), &bob(&[0, 1, 2]));
        assert_eq!(fired.len(), 1);
        assert_eq!(
            fired[0].group,
            vec![(
                "actor.name".to_owned(),
                "arn:aws:iam::1:user/bob".to_owned()
            )]
        );
        assert_eq!(fired[0].events, 3);
        assert_eq!(fired[0].member_rules, vec![0]);
        assert_eq!(fired[0].rule, 1);
        assert!(
            run(&rules(EVENT_COUNT), &bob(&[0, 60, 120])).is_empty(),
            "events an hour apart never share a window"
        );
        assert!(
            run(&rules(EVENT_COUNT), &bob(&[0, 1, 7])).is_empty(),
            "the first event left the 5 minute window before the third arrived"
        );
    }

    #[test]
    fn a_window_fires_once_then_starts_over() {
        let fired = run(&rules(EVENT_COUNT), &bob(&[0, 1, 2, 3, 4]));
        assert_eq!(fired.len(), 1, "{fired:?}");
        let fired = run(&rules(EVENT_COUNT), &bob(&[0, 1, 2, 3, 4, 5]));
        assert_eq!(fired.len(), 2, "{fired:?}");
        assert_eq!(
            fired[1].events, 3,
            "the second window counts minutes 3, 4 and 5"
        );
    }

    #[test]
    fn groups_are_counted_apart() {
        let mut events = bob(&[0, 1]);
        events.push(event(LogSource::Cloudtrail, 2, "alice", "10.0.0.1"));
        assert!(run(&rules(EVENT_COUNT), &events).is_empty());
    }

    #[test]
    fn value_count_counts_distinct_values() {
        let yaml = rules(
            "  type: value_count\n  rules:\n    - list-users\n  group-by:\n    - actor.name\n  timespan: 10m\n  condition:\n    field: sourceIPAddress\n    gt: 2\n",
        );
        let same_ip = bob(&[0, 1, 2, 3]);
        assert!(run(&yaml, &same_ip).is_empty());
        let ips: Vec<Event> = ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3"]
            .iter()
            .enumerate()
            .map(|(m, ip)| event(LogSource::Cloudtrail, m as i64, "bob", ip))
            .collect();
        let fired = run(&yaml, &ips);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].events, 3);
    }

    #[test]
    fn only_routed_hits_and_timed_events_count() {
        // A Sysmon event whose raw record happens to say ListUsers is not a CloudTrail event.
        let events: Vec<Event> = (0..3)
            .map(|m| event(LogSource::Sysmon, m, "bob", "10.0.0.1"))
            .collect();
        assert!(run(&rules(EVENT_COUNT), &events).is_empty());
        let mut untimed = bob(&[0, 1, 2]);
        for e in &mut untimed {
            e.time = None;
        }
        assert!(run(&rules(EVENT_COUNT), &untimed).is_empty());
    }

    /// rsigma 0.23 reads a temporal rule without `condition` as `gte: 1` (one rule suffices), so
    /// rules state the count of rules that must fire.
    #[test]
    fn temporal_needs_every_rule_in_the_window() {
        let yaml = format!(
            "{DETECTION}---\ntitle: List roles\nid: 55555555-5555-4555-8555-555555555555\nname: list-roles\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListRoles\n  condition: selection\nlevel: low\n---\ntitle: Users then roles\nid: 44444444-4444-4444-8444-444444444444\ncorrelation:\n  type: temporal\n  rules:\n    - list-users\n    - list-roles\n  group-by:\n    - actor.name\n  timespan: 10m\n  condition:\n    gte: 2\nlevel: high\n"
        );
        let roles_at = |minute: i64| {
            let mut e = event(LogSource::Cloudtrail, minute, "bob", "10.0.0.1");
            e.raw = Arc::new(serde_json::json!({"eventName": "ListRoles"}));
            e
        };
        let users = event(LogSource::Cloudtrail, 0, "bob", "10.0.0.1");
        let fired = run(&yaml, &[users.clone(), roles_at(5)]);
        assert_eq!(fired.len(), 1, "{fired:?}");
        assert_eq!(fired[0].member_rules, vec![0, 1]);
        assert!(run(&yaml, &[users, roles_at(30)]).is_empty());
    }

    /// Adversarial cardinality: 200,000 distinct principals in one window (twice the cap) make
    /// the state stay at or under `MAX_STATE_ENTRIES`, with every dropped group counted. About
    /// 10 s in a debug build on a loaded 2-core VM (ten export and re-import passes at the cap);
    /// the size must stay above the cap. Which groups go is tested at a small cap
    /// (`at_the_state_cap_the_oldest_groups_go_the_same_way_every_run`).
    #[test]
    fn distinct_principals_past_the_state_cap_are_evicted_and_counted() {
        const PRINCIPALS: usize = 2 * MAX_STATE_ENTRIES;
        let (rules, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(&EVENT_COUNT.replace("5m", "1h")),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut correlator = Correlator::new(&rules).unwrap();
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        let (mut fired, mut peak) = (0, 0);
        for i in 0..PRINCIPALS {
            // All within the first 10 minutes of the 1 h window.
            let e = event(
                LogSource::Cloudtrail,
                (i % 10) as i64,
                &format!("p{i}"),
                "10.0.0.1",
            );
            fired += correlator.observe(&e, &hits).len();
            peak = peak.max(correlator.state_entries());
        }
        assert_eq!(fired, 0, "every principal listed users once");
        assert!(peak <= MAX_STATE_ENTRIES, "state grew to {peak}");
        assert!(
            correlator.evictions() >= (PRINCIPALS - MAX_STATE_ENTRIES) as u64,
            "{} evictions",
            correlator.evictions()
        );
        assert_eq!(
            correlator.evictions() as usize + correlator.state_entries(),
            PRINCIPALS,
            "every group is held or counted"
        );
        // The newest principals are still counted: two more events complete a burst.
        let last = format!("p{}", PRINCIPALS - 1);
        let burst: Vec<Event> = (0..2)
            .map(|m| event(LogSource::Cloudtrail, 10 + m, &last, "10.0.0.1"))
            .collect();
        let fired: usize = burst
            .iter()
            .map(|e| correlator.observe(e, &hits).len())
            .sum();
        assert_eq!(fired, 1);
    }

    /// What an adversarial run leaves behind, in terms of arrival order (position 0 arrived
    /// first), so runs that order equal timestamps differently can be compared.
    #[derive(Debug, PartialEq)]
    struct Outcome {
        evictions: u64,
        peak: usize,
        state: usize,
        /// Arrival positions of the principals whose window is still held, ascending.
        held: Vec<usize>,
        /// Whether a burst completed the window of the principal that arrived first / last.
        first_fired: bool,
        last_fired: bool,
    }

    const CAP: usize = 100;

    /// `order.len()` distinct principals list users once, all in the same minute, in the order
    /// `order` names them (principal `p{order[i]}` arrives `i`-th); then the first and the last
    /// to arrive list users twice more, which completes a `gte: 3` window only if theirs was kept.
    fn adversarial(order: &[usize]) -> Outcome {
        let (rules, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(&EVENT_COUNT.replace("5m", "1h")),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut correlator = Correlator::with_state_cap(&rules, CAP).unwrap();
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        let mut peak = 0;
        for p in order {
            let e = event(LogSource::Cloudtrail, 0, &format!("p{p}"), "10.0.0.1");
            assert!(correlator.observe(&e, &hits).is_empty());
            peak = peak.max(correlator.state_entries());
        }
        assert!(correlator.ledger.stamps_every_group(&correlator.engine));
        let position: HashMap<String, usize> = order
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("p{p}"), i))
            .collect();
        let mut held: Vec<usize> = correlator
            .engine
            .export_state()
            .windows
            .into_values()
            .flatten()
            .filter_map(|(key, _)| position.get(key.0.first()?.as_deref()?).copied())
            .collect();
        held.sort_unstable();
        let (evictions, state) = (correlator.evictions(), correlator.state_entries());
        let mut burst = |p: usize| {
            let fired: usize = (1..=2)
                .map(|m| {
                    let e = event(LogSource::Cloudtrail, m, &format!("p{p}"), "10.0.0.1");
                    let fired = correlator.observe(&e, &hits).len();
                    peak = peak.max(correlator.state_entries());
                    fired
                })
                .sum();
            fired > 0
        };
        let first_fired = burst(order[0]);
        let last_fired = burst(order[order.len() - 1]);
        Outcome {
            evictions,
            peak,
            state,
            held,
            first_fired,
            last_fired,
        }
    }

    /// Twice the cap of principals in one second: the cap holds, every dropped group is counted,
    /// the groups dropped are the ones that arrived first, and the outcome is the same on every
    /// run and whichever way the equal timestamps are ordered.
    #[test]
    fn at_the_state_cap_the_oldest_groups_go_the_same_way_every_run() {
        let arrival: Vec<usize> = (0..2 * CAP).collect();
        let outcome = adversarial(&arrival);
        assert!(outcome.peak <= CAP, "{outcome:?}");
        assert_eq!(
            outcome.evictions as usize + outcome.state,
            2 * CAP,
            "every group is held or counted: {outcome:?}"
        );
        let newest: Vec<usize> = (2 * CAP - outcome.state..2 * CAP).collect();
        assert_eq!(outcome.held, newest, "the newest arrivals are held");
        assert!(
            !outcome.first_fired,
            "the first principal's window was evicted"
        );
        assert!(outcome.last_fired, "the last principal's window was kept");

        assert_eq!(adversarial(&arrival), outcome, "a second run");
        // The same principals and timestamps, ties in another order (a fixed permutation).
        let shuffled: Vec<usize> = (0..2 * CAP).map(|i| (i * 37 + 11) % (2 * CAP)).collect();
        let mut sorted = shuffled.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, arrival, "a permutation");
        assert_eq!(adversarial(&shuffled), outcome, "ties in another order");
        let reversed: Vec<usize> = arrival.iter().rev().copied().collect();
        assert_eq!(adversarial(&reversed), outcome, "ties reversed");
    }

    /// Oldest means the oldest last event, not the oldest group: a principal seen again after
    /// newer ones keeps its window, and a group's event time outranks its arrival.
    #[test]
    fn a_group_seen_again_is_no_longer_the_oldest() {
        let (rules, _) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(&EVENT_COUNT.replace("5m", "1h")),
        }]);
        let mut correlator = Correlator::with_state_cap(&rules, CAP).unwrap();
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        let observe = |correlator: &mut Correlator, minute: i64, actor: &str| {
            let e = event(LogSource::Cloudtrail, minute, actor, "10.0.0.1");
            correlator.observe(&e, &hits).len()
        };
        let c = &mut correlator;
        observe(c, 0, "early");
        observe(c, 0, "refreshed");
        for i in 0..CAP - 2 {
            observe(c, 0, &format!("p{i}"));
        }
        observe(c, 1, "refreshed");
        assert_eq!(c.evictions(), 0, "at the cap, not past it");
        // Past the cap: down to a tenth below it, oldest first: `early`, then `p0`..`p9`.
        observe(c, 2, "late");
        assert_eq!(c.evictions(), (CAP / 10 + 1) as u64);
        assert_eq!(c.state_entries(), CAP - CAP / 10);
        assert_eq!(
            observe(c, 3, "early") + observe(c, 4, "early"),
            0,
            "evicted"
        );
        assert_eq!(observe(c, 3, "refreshed"), 1, "kept: its third event");
    }

    /// Only groups dropped to the cap are counted: a window that passed, or a group that fired
    /// and was reset, loses nothing when the cap clears it out.
    #[test]
    fn expired_and_fired_groups_are_not_evictions() {
        let (rules, _) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(EVENT_COUNT),
        }]);
        let mut correlator = Correlator::with_state_cap(&rules, CAP).unwrap();
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        let mut fired = 0;
        for m in 0..3 {
            let e = event(LogSource::Cloudtrail, m, "bob", "10.0.0.1");
            fired += correlator.observe(&e, &hits).len();
        }
        assert_eq!(fired, 1, "bob's group fired and was reset");
        // Bob's emptied group and these fill the state to the cap, not past it.
        for i in 0..CAP - 1 {
            let e = event(LogSource::Cloudtrail, 3, &format!("p{i}"), "10.0.0.1");
            correlator.observe(&e, &hits);
        }
        // 10 minutes on, every 5 minute window has passed.
        let e = event(LogSource::Cloudtrail, 13, "late", "10.0.0.1");
        correlator.observe(&e, &hits);
        assert_eq!(correlator.evictions(), 0);
        assert_eq!(correlator.state_entries(), 1);
    }

    /// A correlation over a correlation: the groups rsigma creates for the parent when the child
    /// fires are stamped too, so the cap orders them like any other (and reaches them).
    #[test]
    fn chained_correlation_groups_are_stamped() {
        let yaml = format!(
            "{}---\ntitle: Bursts again\nid: 66666666-6666-4666-8666-666666666666\ncorrelation:\n  type: event_count\n  rules:\n    - 44444444-4444-4444-8444-444444444444\n  group-by:\n    - actor.name\n  timespan: 1h\n  condition:\n    gte: 2\nlevel: high\n",
            rules(EVENT_COUNT)
        );
        let (rules, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: yaml,
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let mut correlator = Correlator::with_state_cap(&rules, 3).unwrap();
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        let mut fired = Vec::new();
        for (m, actor) in [0, 1, 2, 3, 4, 5, 6]
            .iter()
            .zip(["bob", "eve", "bob", "ann"].iter().cycle())
        {
            let e = event(LogSource::Cloudtrail, *m, actor, "10.0.0.1");
            fired.extend(correlator.observe(&e, &hits).into_iter().map(|h| h.rule));
            assert!(correlator.ledger.stamps_every_group(&correlator.engine));
        }
        assert_eq!(fired, vec![1], "bob's burst at minutes 0, 2 and 4");
        assert!(correlator.state_entries() <= 3);
    }

    #[test]
    fn no_correlation_rules_means_empty() {
        let (rules, _) = load(&[RuleSource {
            name: "d.yml".into(),
            text: DETECTION.into(),
        }]);
        let mut correlator = Correlator::new(&rules).unwrap();
        assert!(correlator.is_empty());
        let hits = [Hit {
            rule: 0,
            matched_fields: Vec::new(),
        }];
        assert!(correlator.observe(&bob(&[0])[0], &hits).is_empty());
    }
}
