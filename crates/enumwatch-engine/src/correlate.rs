//! Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) on event time.
//!
//! rsigma's `CorrelationEngine` keeps the per-group windows, but two of its defaults do not fit
//! enumwatch: `process_event_at` re-runs every detection rule on the event without log-source
//! routing, and it keeps firing on every event past the threshold. So the correlator evaluates
//! detections with the inner engine, keeps only those `Matcher` already reported for this event
//! (routing stays ours), feeds them with the event's own time through `process_with_detections`,
//! and resets a group's window after it fires. Events without a time cannot be placed in a window
//! and are skipped; the caller feeds events in event-time order.

use std::collections::{HashMap, HashSet};

use enumwatch_event::Event;
use enumwatch_rules::{ParsedRule, RuleSet};
use rsigma_eval::{CorrelationAction, CorrelationConfig, CorrelationEngine};
use rsigma_parser::SigmaCollection;

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

/// Most window entries kept across all correlation groups; past it the stalest groups are
/// dropped (and counted by `Correlator::evictions`).
pub const MAX_STATE_ENTRIES: usize = 100_000;
/// Most entries kept in one group's window (oldest dropped first; counts can only go down).
pub const MAX_GROUP_ENTRIES: usize = 10_000;

/// Stateful correlation over detection hits, on event time.
pub struct Correlator {
    /// Window entries dropped because the state reached `MAX_STATE_ENTRIES`.
    evictions: u64,
    engine: CorrelationEngine,
    /// Rule id → index into `RuleSet::rules()`.
    index: HashMap<String, usize>,
    /// Correlation rule index → the rules it aggregates.
    members: HashMap<usize, Vec<usize>>,
    /// Every rule some correlation aggregates (directly).
    correlated: HashSet<usize>,
}

impl Correlator {
    pub fn new(rules: &RuleSet) -> Result<Self, EngineError> {
        let mut collection = SigmaCollection::new();
        let mut index = HashMap::new();
        let mut members = HashMap::new();
        let mut correlated = HashSet::new();
        let named = named_by_correlations(rules);
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
        let config = CorrelationConfig {
            action_on_match: CorrelationAction::Reset,
            max_state_entries: MAX_STATE_ENTRIES,
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
        Ok(Self {
            evictions: 0,
            engine,
            index,
            members,
            correlated,
        })
    }

    /// Window entries dropped at the state cap so far.
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Window entries held now, across all correlation groups (at most `MAX_STATE_ENTRIES`).
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
        let detections = self
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
        let before = self.engine.state_count();
        let results = self
            .engine
            .process_with_detections(&view, detections, time.as_second());
        if before >= MAX_STATE_ENTRIES {
            let after = self.engine.state_count();
            self.evictions += (before + 1).saturating_sub(after) as u64;
        }
        results
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
            .collect()
    }
}

/// Every rule id or name some correlation rule refers to.
fn named_by_correlations(rules: &RuleSet) -> HashSet<&str> {
    rules
        .parsed()
        .iter()
        .filter_map(|p| match p {
            ParsedRule::Correlation(c) => Some(c.rules.iter().map(String::as_str)),
            _ => None,
        })
        .flatten()
        .collect()
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
    /// the state stay at or under `MAX_STATE_ENTRIES`, with the dropped entries counted. About
    /// 7 s in a debug build on a loaded 2-core VM; the size must stay above the cap.
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
