//! The evidence of correlation firings, gathered in one streaming pass over the held events.
//!
//! A firing's evidence is the member events of its group whose event time (in seconds) lies
//! within one timespan either side of the firing, the first `MAX_EVIDENCE` of them in the pass's
//! order. The firings are known before this pass (the correlator ran first), so each opens when
//! the pass reaches the start of its window and closes, its alert built, once the pass is past
//! the end: memory is the open firings' evidence, never the whole time line. Events without a
//! time are never evidence.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use enumwatch_engine::CorrelationHit;
use enumwatch_event::Event;

use crate::spool::{HeldEvents, SpillError};

/// Most evidence events kept on one correlation alert (the count is in the explanation).
pub(crate) const MAX_EVIDENCE: usize = 200;

/// A correlation fired; its evidence window in seconds, both ends included.
pub(crate) struct Firing {
    pub(crate) hit: CorrelationHit,
    pub(crate) from: i64,
    pub(crate) to: i64,
}

/// For each firing, in order, what `build` made of its evidence (in the pass's order).
pub(crate) fn gather<T>(
    held: &HeldEvents,
    firings: &[Firing],
    mut build: impl FnMut(&Firing, &[&Event]) -> Option<T>,
) -> Result<Vec<Option<T>>, SpillError> {
    let mut out: Vec<Option<T>> = firings.iter().map(|_| None).collect();
    if firings.is_empty() {
        return Ok(out);
    }
    let mut by_start: Vec<usize> = (0..firings.len()).collect();
    by_start.sort_by_key(|&i| firings[i].from);
    let mut next = 0;
    let mut open = Open::default();
    let mut closing = BinaryHeap::new();
    // One event is shared by every firing it is evidence of: a group that keeps firing (no
    // suppression, a flood of requests) has thousands of overlapping windows.
    let mut evidence: Vec<Vec<Arc<Event>>> = firings.iter().map(|_| Vec::new()).collect();
    let mut closed = vec![false; firings.len()];
    let mut close = |i: usize, open: &mut Open, evidence: &mut Vec<Vec<Arc<Event>>>| {
        if std::mem::replace(&mut closed[i], true) {
            return;
        }
        open.remove(&firings[i].hit, i);
        let events = std::mem::take(&mut evidence[i]);
        let refs: Vec<&Event> = events.iter().map(Arc::as_ref).collect();
        out[i] = build(&firings[i], &refs);
    };
    held.scan(|item| {
        let Some(time) = item.time() else {
            return Ok(());
        };
        let second = time.as_second();
        while let Some(&Reverse((to, i))) = closing.peek() {
            if to >= second {
                break;
            }
            closing.pop();
            close(i, &mut open, &mut evidence);
        }
        while let Some(&i) = by_start.get(next) {
            if firings[i].from > second {
                break;
            }
            next += 1;
            open.insert(&firings[i].hit, i);
            closing.push(Reverse((firings[i].to, i)));
        }
        // A firing opened past its window closes on the next event (or at the end), empty.
        if open.is_empty() {
            return Ok(());
        }
        let matched = item.matched()?;
        let mut shared: Option<Arc<Event>> = None;
        for i in open.candidates(&matched.event) {
            let firing = &firings[i];
            if firing.to < second {
                continue;
            }
            if matched
                .hits
                .iter()
                .any(|h| firing.hit.member_rules.contains(&h.rule))
            {
                let event = shared.get_or_insert_with(|| Arc::new(matched.event.clone()));
                evidence[i].push(Arc::clone(event));
                // A full firing can take nothing more: its alert is built now, so that open
                // firings stay few and their evidence is not held until the window ends.
                if evidence[i].len() >= MAX_EVIDENCE {
                    close(i, &mut open, &mut evidence);
                }
            }
        }
        Ok(())
    })?;
    while let Some(Reverse((_, i))) = closing.pop() {
        close(i, &mut open, &mut evidence);
    }
    // Firings whose window starts after the last timed event never opened.
    for &i in by_start.get(next..).unwrap_or_default() {
        close(i, &mut open, &mut evidence);
    }
    Ok(out)
}

/// Group-by values → the open firings of that group.
type ByValues = HashMap<Vec<String>, Vec<usize>>;

/// The open firings, indexed by their group-by fields and values, so that an event meets only
/// the firings of its own group (`CorrelationHit::matches_group`, looked up instead of scanned).
#[derive(Default)]
struct Open {
    /// Per list of group-by fields: values → firings.
    groups: Vec<(Vec<String>, ByValues)>,
    len: usize,
}

impl Open {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn split(hit: &CorrelationHit) -> (Vec<String>, Vec<String>) {
        hit.group.iter().cloned().unzip()
    }

    fn insert(&mut self, hit: &CorrelationHit, i: usize) {
        let (fields, values) = Self::split(hit);
        let slot = match self.groups.iter().position(|(f, _)| *f == fields) {
            Some(slot) => slot,
            None => {
                self.groups.push((fields, HashMap::new()));
                self.groups.len() - 1
            }
        };
        self.groups[slot].1.entry(values).or_default().push(i);
        self.len += 1;
    }

    fn remove(&mut self, hit: &CorrelationHit, i: usize) {
        let (fields, values) = Self::split(hit);
        let Some((_, map)) = self.groups.iter_mut().find(|(f, _)| *f == fields) else {
            return;
        };
        if let Some(ids) = map.get_mut(&values)
            && let Some(at) = ids.iter().position(|&x| x == i)
        {
            ids.remove(at);
            self.len -= 1;
            if ids.is_empty() {
                map.remove(&values);
            }
        }
    }

    /// The open firings whose group `event` belongs to, each once.
    fn candidates(&self, event: &Event) -> Vec<usize> {
        let mut out = Vec::new();
        for (fields, map) in &self.groups {
            let values: Option<Vec<String>> = fields
                .iter()
                .map(|f| {
                    event.get(f).map(|v| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                })
                .collect();
            if let Some(ids) = values.and_then(|v| map.get(&v)) {
                out.extend_from_slice(ids);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_engine::Hit;
    use enumwatch_event::{Location, LogSource};
    use jiff::Timestamp;
    use proptest::prelude::*;

    use super::*;
    use crate::hunt::Matched;
    use crate::spool::HeldStore;

    fn event(n: usize, second: Option<i64>, actor: u8, rule: usize) -> Matched {
        let raw = Arc::new(serde_json::json!({ "n": n }));
        let mut event = Event::new(
            LogSource::Cloudtrail,
            Location::new(Arc::from("in"), (n % 17) as u64),
            raw,
        );
        event.time = second.map(|s| Timestamp::from_second(s).unwrap());
        event.fields.insert("actor.name", format!("a{actor}"));
        event.fields.insert("n", n as u64);
        Matched {
            event,
            hits: vec![Hit {
                rule,
                matched_fields: Vec::new(),
            }],
        }
    }

    /// The evidence as the correlation pass chose it over the whole sorted slice, by bisection.
    fn by_bisection(sorted: &[&Matched], firing: &Firing) -> Vec<String> {
        let start =
            sorted.partition_point(|c| c.event.time.is_none_or(|t| t.as_second() < firing.from));
        sorted[start..]
            .iter()
            .take_while(|c| c.event.time.is_some_and(|t| t.as_second() <= firing.to))
            .filter(|c| {
                c.hits
                    .iter()
                    .any(|h| firing.hit.member_rules.contains(&h.rule))
            })
            .filter(|c| firing.hit.matches_group(&c.event))
            .take(MAX_EVIDENCE)
            .map(|c| format!("{:?}", c.event.fields.get("n")))
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn streamed_evidence_is_what_bisection_chose(
            events in prop::collection::vec(
                (prop::option::of(0i64..40), 0u8..3, 0usize..3), 0..700),
            firings in prop::collection::vec((0u8..4, 0i64..40, 0i64..12, 0usize..3), 0..12),
            budget in prop_oneof![Just(0u64), Just(u64::MAX)],
            // Two seconds crowd more than `MAX_EVIDENCE` events into most windows.
            spread in prop_oneof![Just(40i64), Just(2i64)],
        ) {
            let matched: Vec<Matched> = events
                .iter()
                .enumerate()
                .map(|(n, &(s, a, r))| event(n, s.map(|s| s % spread), a, r))
                .collect();
            let mut sorted: Vec<&Matched> = matched.iter().collect();
            sorted.sort_by(|a, b| {
                (a.event.time, &a.event.location).cmp(&(b.event.time, &b.event.location))
            });
            let firings: Vec<Firing> = firings
                .into_iter()
                .map(|(actor, at, span, rule)| Firing {
                    hit: CorrelationHit {
                        rule: 9,
                        // Actor 3 never occurs; an empty group takes every member event.
                        group: if actor == 2 {
                            Vec::new()
                        } else {
                            vec![("actor.name".to_owned(), format!("a{actor}"))]
                        },
                        events: 0,
                        member_rules: vec![rule, (rule + 1) % 3],
                    },
                    from: at % spread - span,
                    to: at % spread + span,
                })
                .collect();
            let dir = tempfile::tempdir().unwrap();
            let store = HeldStore::new(budget, dir.path().to_owned(), crate::spool::Purpose::Correlation, ());
            let mut buffer = store.buffer(0);
            for m in &matched {
                buffer.push(m.clone());
            }
            buffer.finish();
            let held = store.finish().unwrap();
            let streamed = gather(&held, &firings, |_, events| {
                Some(events.iter().map(|e| format!("{:?}", e.fields.get("n"))).collect::<Vec<_>>())
            })
            .unwrap();
            for (firing, got) in firings.iter().zip(streamed) {
                prop_assert_eq!(got, Some(by_bisection(&sorted, firing)));
            }
        }
    }
}
