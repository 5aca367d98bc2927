//! Same-second repeats of a `value_count` update, which rsigma need not see.
//!
//! rsigma 0.23 counts a `value_count` window's distinct values by hashing every entry of the
//! window on every event (`WindowState::check_condition`), and a window keeps up to
//! `MAX_GROUP_ENTRIES` entries. One principal issuing tens of thousands of directory requests
//! (AzureHound on a large tenant, one of the things enumwatch exists to catch) therefore cost
//! ten thousand hashes per request: 100,000 requests of one principal took 20 s.
//!
//! An update that repeats, in the same second, a value the same group's window already took in
//! that second changes nothing rsigma computes: the sliding window evicts by the same cutoff, the
//! distinct values and the latest time are the same, so the condition gives the same answer and
//! a suppressed firing stays suppressed. (The one difference: the repeat is not stored, so a
//! window at its entry cap drops one old entry fewer and can only count more.) Such updates are
//! left out here. A firing may reset a window and a state-cap pass may drop groups, so after
//! either the memory of the second is forgotten; events come in event-time order, so only the
//! current second is remembered.

use std::collections::HashSet;

use rsigma_eval::{
    CompiledCorrelation, CorrelationEventMode, EvaluationResult, Event, EventValue, GroupKey,
};
use rsigma_parser::{CorrelationType, SigmaCollection, WindowMode};

/// One correlation's update by one detection: the correlation, the group and the value counted.
pub(crate) type Update = (usize, GroupKey, String);

/// The updates fed to rsigma in the current second.
pub(crate) struct Repeats {
    /// Off only in tests, to compare with rsigma seeing every update.
    enabled: bool,
    second: Option<i64>,
    fed: HashSet<Update>,
}

impl Repeats {
    pub(crate) fn new() -> Self {
        Self {
            enabled: true,
            second: None,
            fed: HashSet::new(),
        }
    }

    #[cfg(test)]
    pub(crate) fn disabled() -> Self {
        Self {
            enabled: false,
            ..Self::new()
        }
    }

    /// Drop the detections whose every update repeats one already fed this second, and remember
    /// the updates of those kept. `updates` gives a detection's updates, or `None` when it feeds
    /// some correlation whose state a repeat would change (then it is always kept).
    pub(crate) fn filter(
        &mut self,
        second: i64,
        detections: Vec<EvaluationResult>,
        updates: impl Fn(&EvaluationResult) -> Option<Vec<Update>>,
    ) -> Vec<EvaluationResult> {
        if !self.enabled {
            return detections;
        }
        if self.second != Some(second) {
            self.second = Some(second);
            self.fed.clear();
        }
        let mut kept = Vec::with_capacity(detections.len());
        // Remembered only after the whole event: an update this event repeats is still fed,
        // since the first may fire and reset the window before the second comes.
        let mut new = Vec::new();
        for det in detections {
            match updates(&det) {
                Some(ups) if !ups.is_empty() && ups.iter().all(|u| self.fed.contains(u)) => {}
                Some(ups) => {
                    new.extend(ups);
                    kept.push(det);
                }
                None => kept.push(det),
            }
        }
        self.fed.extend(new);
        kept
    }

    /// Forget the second: a window may have been reset or a group dropped.
    pub(crate) fn forget(&mut self) {
        self.second = None;
        self.fed.clear();
    }
}

/// The update `correlation` takes from `event` when it is a sliding `value_count` window that
/// stores no events and the counted fields hold scalars; `None` otherwise. The value is rendered
/// with its type, so two values that render alike in rsigma's key but differ in type are never
/// taken for a repeat.
pub(crate) fn value_count_update(
    index: usize,
    correlation: &CompiledCorrelation,
    event: &impl Event,
    refs: &[&str],
) -> Option<Update> {
    let eligible = correlation.correlation_type == CorrelationType::ValueCount
        && correlation.window_mode == WindowMode::Sliding
        && correlation.event_mode.unwrap_or_default() == CorrelationEventMode::None;
    if !eligible {
        return None;
    }
    let fields = correlation.condition.field.as_ref()?;
    let mut value = String::new();
    for field in fields {
        let rendered = match event.get_field(field)? {
            EventValue::Str(s) => format!("s{s}"),
            EventValue::Int(n) => format!("i{n}"),
            EventValue::Float(f) => format!("f{f}"),
            EventValue::Bool(b) => format!("b{b}"),
            EventValue::Null => "n".to_owned(),
            _ => return None,
        };
        value.push_str(&rendered);
        value.push('\u{1f}');
    }
    let group = GroupKey::extract(event, &correlation.group_by, refs);
    Some((index, group, value))
}

/// Give every plain `value_count` correlation detection rules of its own: each rule it
/// aggregates is cloned under a new id, and the correlation refers to the clone. rsigma feeds a
/// detection to every correlation that refers to its rule, so a rule that a `value_count` window
/// shares with an event count or a temporal correlation (AzureHound's directory listings feed
/// three) would always be fed whole, repeats included; the clone's detections feed the window
/// alone and can be left out when they repeat. Returns (clone id, original id or name).
///
/// A correlation with field aliases keeps its references: aliases name the rules they apply to.
pub(crate) fn split_value_counts(collection: &mut SigmaCollection) -> Vec<(String, String)> {
    let mut clones = Vec::new();
    for (c, correlation) in collection.correlations.iter_mut().enumerate() {
        let plain = correlation.correlation_type == CorrelationType::ValueCount
            && correlation.window == WindowMode::Sliding
            && correlation.aliases.is_empty()
            && !correlation
                .custom_attributes
                .contains_key("rsigma.correlation_event_mode");
        if !plain {
            continue;
        }
        for reference in &mut correlation.rules {
            let Some(rule) = collection.rules.iter().find(|r| {
                r.id.as_deref() == Some(reference.as_str())
                    || r.name.as_deref() == Some(reference.as_str())
            }) else {
                continue;
            };
            let id = format!("{reference}\u{1f}value_count\u{1f}{c}");
            let mut clone = rule.clone();
            clone.id = Some(id.clone());
            clone.name = None;
            clones.push((clone, std::mem::replace(reference, id.clone())));
        }
    }
    clones
        .into_iter()
        .map(|(clone, original)| {
            let id = clone.id.clone().unwrap_or_default();
            collection.rules.push(clone);
            (id, original)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_event::{Event, Location, LogSource};
    use enumwatch_rules::{RuleSource, load};
    use proptest::prelude::*;

    use crate::{CorrelationHit, Correlator, Matcher};

    fn detection(id: u8, name: &str, selection: &str) -> String {
        format!(
            "title: {name}\nid: 33333333-3333-4333-8333-3333333333{id:02}\nname: {name}\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    {selection}\n  condition: selection\nlevel: low\n"
        )
    }

    fn correlation(id: u8, body: &str, extra: &str) -> String {
        format!(
            "title: C{id}\nid: 44444444-4444-4444-8444-4444444444{id:02}\n{extra}correlation:\n{body}level: high\n"
        )
    }

    /// Distinct listings per actor (plain, suppressed, over two fields), a count over one of the
    /// same rules (so its detections are never left out), two rules that give one event the
    /// same update of one window twice (the first may fire and reset it before the second), and
    /// a filter on one of the split rules.
    fn rules() -> String {
        [
            detection(1, "any-list", "eventName|startswith: List"),
            detection(2, "list-users", "eventName: ListUsers"),
            detection(3, "users-again", "eventName: ListUsers"),
            correlation(
                1,
                "  type: value_count\n  rules:\n    - any-list\n    - users-again\n  group-by:\n    - actor.name\n  timespan: 10s\n  condition:\n    field: eventName\n    gte: 3\n",
                "",
            ),
            correlation(
                2,
                "  type: value_count\n  rules:\n    - any-list\n  group-by:\n    - actor.name\n  timespan: 20s\n  condition:\n    field: eventName\n    gte: 2\n",
                "rsigma.suppress: 15s\n",
            ),
            correlation(
                3,
                "  type: value_count\n  rules:\n    - list-users\n  group-by:\n    - actor.name\n  timespan: 8s\n  condition:\n    field:\n      - eventName\n      - sourceIPAddress\n    gte: 2\n",
                "",
            ),
            correlation(
                4,
                "  type: event_count\n  rules:\n    - list-users\n  group-by:\n    - actor.name\n  timespan: 5s\n  condition:\n    gte: 4\n",
                "",
            ),
            // A filter names the rule, not its clone: carol's listings must feed no window.
            "title: Not carol\nid: 55555555-5555-4555-8555-555555555555\nlogsource:\n  product: aws\n  service: cloudtrail\nfilter:\n  rules:\n    - list-users\n  selection:\n    actor.name: carol\n  condition: not selection\n".to_owned(),
        ]
        .join("---\n")
    }

    fn event(n: usize, second: i64, actor: &str, name: &str, ip: u8) -> Event {
        let raw = Arc::new(serde_json::json!({
            "eventName": name,
            "sourceIPAddress": format!("10.0.0.{ip}"),
        }));
        let mut e = Event::new(
            LogSource::Cloudtrail,
            Location::new(Arc::from("t"), n as u64),
            raw,
        );
        e.time = Some(jiff::Timestamp::from_second(1_700_000_000 + second).unwrap());
        e.fields.insert("actor.name", actor);
        e
    }

    fn run(events: &[Event], cap: usize, filtered: bool) -> (Vec<CorrelationHit>, u64) {
        let (set, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let matcher = Matcher::new(&set).unwrap();
        let mut correlator = if filtered {
            Correlator::with_state_cap(&set, cap).unwrap()
        } else {
            Correlator::plain(&set, cap).unwrap()
        };
        let mut fired = Vec::new();
        for e in events {
            let mut hits = Vec::new();
            matcher.matches(e, &mut hits);
            fired.extend(correlator.observe(e, &hits));
        }
        (fired, correlator.evictions())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        /// Splitting the `value_count` rules and leaving same-second repeats out fires the
        /// same correlations as plain rsigma, for the same groups, with the same counts, and
        /// drops the same groups at the state cap.
        #[test]
        fn leaving_repeats_out_changes_no_firing(
            steps in prop::collection::vec(
                (
                    prop::sample::select(vec![0i64, 0, 0, 0, 1, 1, 3, 9]),
                    0usize..3,
                    prop::sample::select(vec!["ListUsers", "ListRoles", "ListGroups", "ListPolicies", "GetUser"]),
                    0u8..2,
                ),
                1..120,
            ),
            cap in prop::sample::select(vec![2usize, 5, 1000]),
        ) {
            let mut second = 0;
            let events: Vec<Event> = steps
                .iter()
                .enumerate()
                .map(|(n, &(dt, actor, name, ip))| {
                    second += dt;
                    event(n, second, ["alice", "bob", "carol"][actor], name, ip)
                })
                .collect();
            prop_assert_eq!(run(&events, cap, true), run(&events, cap, false));
        }
    }

    #[test]
    fn a_burst_of_one_value_in_one_second_is_fed_once() {
        let events: Vec<Event> = (0..50)
            .map(|n| event(n, 0, "alice", "ListUsers", 1))
            .collect();
        let (set, errors) = load(&[RuleSource {
            name: "c.yml".into(),
            text: rules(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let matcher = Matcher::new(&set).unwrap();
        let mut correlator = Correlator::new(&set).unwrap();
        let mut kept = 0;
        for e in &events {
            let mut hits = Vec::new();
            matcher.matches(e, &mut hits);
            correlator.observe(e, &hits);
            kept = correlator.repeats.fed.len();
        }
        // The filter holds: carol's `ListUsers` is no hit of `list-users` (index 1).
        let mut hits = Vec::new();
        matcher.matches(&event(0, 0, "carol", "ListUsers", 1), &mut hits);
        assert!(
            !hits.is_empty() && hits.iter().all(|h| h.rule != 1),
            "{hits:?}"
        );
        // One update per window: `any-list`'s two windows (`users-again` repeats one of them)
        // and `list-users`'s, whose clone feeds the window apart from the event count.
        assert_eq!(kept, 3);
    }
}
