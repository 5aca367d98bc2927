//! Sigma correlation rules (event_count, value_count, temporal, temporal_ordered) on event time.
//! The caller feeds matched events in event-time order; rsigma's correlation engine keeps the
//! per-group windows. Events without a time cannot be placed in a window and are skipped.

use std::collections::HashMap;

use enumwatch_event::Event;
use enumwatch_rules::{ParsedRule, RuleSet};
use rsigma_eval::{CorrelationConfig, CorrelationEngine};
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

pub struct Correlator {
    engine: CorrelationEngine,
    index: HashMap<String, usize>,
    members: HashMap<usize, Vec<usize>>,
    empty: bool,
}

impl Correlator {
    pub fn new(rules: &RuleSet) -> Result<Self, EngineError> {
        let mut collection = SigmaCollection::new();
        let mut index = HashMap::new();
        let mut members = HashMap::new();
        for (i, (meta, parsed)) in rules.rules().iter().zip(rules.parsed()).enumerate() {
            index.insert(meta.id.clone(), i);
            match parsed {
                ParsedRule::Detection(rule) => collection.rules.push((**rule).clone()),
                ParsedRule::Correlation(rule) => {
                    let refs = rule
                        .rules
                        .iter()
                        .filter_map(|r| {
                            rules
                                .rules()
                                .iter()
                                .position(|m| &m.id == r || m.name.as_ref() == Some(r))
                        })
                        .collect();
                    members.insert(i, refs);
                    collection.correlations.push((**rule).clone());
                }
                ParsedRule::Filter(rule) => collection.filters.push((**rule).clone()),
            }
        }
        let empty = collection.correlations.is_empty();
        let mut engine = CorrelationEngine::new(CorrelationConfig::default());
        engine
            .add_collection(&collection)
            .map_err(|e| EngineError::Compile {
                rule: "correlation".to_owned(),
                message: e.to_string(),
            })?;
        Ok(Self {
            engine,
            index,
            members,
            empty,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// Observe one event (in event-time order) that matched `hits`; return firings.
    pub fn observe(&mut self, event: &Event, hits: &[Hit]) -> Vec<CorrelationHit> {
        let Some(time) = event.time else {
            return Vec::new();
        };
        if self.empty || hits.is_empty() {
            return Vec::new();
        }
        let results = self
            .engine
            .process_event_at(&SigmaView(event), time.as_second());
        results
            .iter()
            .filter_map(|r| {
                let body = r.as_correlation()?;
                let rule = *self.index.get(r.header.rule_id.as_ref()?)?;
                Some(CorrelationHit {
                    rule,
                    group: body.group_key.clone(),
                    events: body.aggregated_value.max(0.0) as usize,
                    member_rules: self.members.get(&rule).cloned().unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_event::{Location, LogSource};
    use enumwatch_rules::{RuleSource, load};

    use super::*;
    use crate::Matcher;

    const RULES: &str = "title: List users\nid: 33333333-3333-4333-8333-333333333333\nname: list-users\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListUsers\n  condition: selection\nlevel: low\n---\ntitle: Many list users\nid: 44444444-4444-4444-8444-444444444444\ncorrelation:\n  type: event_count\n  rules:\n    - list-users\n  group-by:\n    - actor.name\n  timespan: 5m\n  condition:\n    gte: 3\nlevel: high\n";

    fn event(minute: i64, actor: &str) -> Event {
        let raw = Arc::new(serde_json::json!({"eventName": "ListUsers"}));
        let mut e = Event::new(
            LogSource::Cloudtrail,
            Location::new(Arc::from("t"), minute as u64),
            raw,
        );
        e.time = Some(jiff::Timestamp::from_second(1_700_000_000 + minute * 60).unwrap());
        e.fields.insert("actor.name", actor);
        e
    }

    fn fire(minutes: &[i64]) -> Vec<CorrelationHit> {
        let (rules, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: RULES.into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let matcher = Matcher::new(&rules).unwrap();
        let mut correlator = Correlator::new(&rules).unwrap();
        let mut fired = Vec::new();
        for &m in minutes {
            let e = event(m, "arn:aws:iam::1:user/bob");
            let mut hits = Vec::new();
            matcher.matches(&e, &mut hits);
            fired.extend(correlator.observe(&e, &hits));
        }
        fired
    }

    #[test]
    fn event_count_fires_inside_the_window_on_event_time() {
        let fired = fire(&[0, 1, 2]);
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
        assert!(
            fire(&[0, 60, 120]).is_empty(),
            "events an hour apart never share a window"
        );
    }
}
