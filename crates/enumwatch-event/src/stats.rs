//! Run counters every stage adds to, so that nothing is lost silently: each record ends up as an
//! event, an ignored record (known vendor, event type no analytic uses), an unrecognized record,
//! or a malformed record with its reason — and the first few problems keep their location.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Location;

/// How many located problems a run keeps (the counters keep counting past it).
pub const MAX_PROBLEMS: usize = 50;

/// One located problem: a malformed record, an unreadable input, an unrecognized record.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Problem {
    /// `path:line (record n)` as in `Location`'s display, or the input path alone.
    pub location: String,
    /// Stable counter label (`invalid_json`, `truncated_input`, `unrecognized`, …).
    pub reason: String,
    pub message: String,
}

/// Counters for one run (or one input; runs merge the inputs' stats in input order).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunStats {
    /// Inputs named or found in directories.
    pub inputs: u64,
    /// Inputs that could not be opened or read at all.
    pub inputs_unreadable: u64,
    /// Empty inputs (no bytes or only whitespace).
    pub inputs_empty: u64,
    /// Raw bytes read from inputs (before decompression).
    pub bytes: u64,
    /// Inputs per detected container format.
    pub formats: BTreeMap<String, u64>,
    /// Records decoded (well-formed).
    pub records: u64,
    /// JSON records the literal prefilter skipped unparsed: no selected rule's literals occur in
    /// their text, so no rule can match them (nor is their well-formedness checked).
    pub records_prefiltered: u64,
    /// Whether the raw-text prefilter ran (`on: …`) or why not (`off: …`); set when the rules
    /// include any of the user's own, or when it ran.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub prefilter: String,
    /// Malformed records by reason.
    pub malformed: BTreeMap<String, u64>,
    /// Normalized events by log source.
    pub events: BTreeMap<String, u64>,
    /// Records of a known vendor that no analytic uses, by `source: reason`.
    pub ignored: BTreeMap<String, u64>,
    /// Records whose vendor could not be recognized.
    pub unrecognized: u64,
    /// Events the configuration marked as expected (left out by the rules' tuning filters), by
    /// the configuration key that did it.
    pub expected: BTreeMap<String, u64>,
    /// Alerts suppressed by tuning entries, by entry name (listed with `--show-suppressed`).
    pub suppressed: BTreeMap<String, u64>,
    /// Tuning entries that expired and were not applied (`name (owner, expired date)`).
    pub tuning_expired: Vec<String>,
    /// Correlation groups (a window per correlation rule and group-by value) dropped, oldest
    /// first, because the state went past its cap; the correlation may under-count for them
    /// (raise the cap or narrow the group-by). Entries a full group drops are not counted.
    pub correlation_state_evictions: u64,
    /// Events held for the correlation pass that were written to temporary files because their
    /// estimated size passed the in-memory budget (`--max-held-mib`): all of them once it is
    /// passed, whatever the thread count. Absent from the JSON when none were.
    #[serde(skip_serializing_if = "is_zero")]
    pub correlation_events_spilled: u64,
    /// Alerts that were written to temporary files to be sorted because their estimated size
    /// passed the in-memory budget (`--max-alerts-mib`): all detection alerts once it is passed.
    /// Absent from the JSON when none were.
    #[serde(skip_serializing_if = "is_zero")]
    pub alerts_spilled: u64,
    /// Detection rule hits.
    pub hits: u64,
    /// Alerts produced.
    pub alerts: u64,
    /// The first `MAX_PROBLEMS` located problems, in input order.
    pub problems: Vec<Problem>,
    /// Problems beyond `MAX_PROBLEMS` that were counted but not listed.
    pub problems_not_listed: u64,
}

impl RunStats {
    /// Record a located problem (the reason's counter is the caller's to bump).
    pub fn note_problem(&mut self, location: String, reason: &str, message: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(Problem {
                location,
                reason: reason.to_owned(),
                message,
            });
        } else {
            self.problems_not_listed += 1;
        }
    }

    /// A malformed record: count it by reason and keep its location.
    pub fn malformed_record(&mut self, location: &Location, reason: &str, message: String) {
        *self.malformed.entry(reason.to_owned()).or_default() += 1;
        self.note_problem(location.to_string(), reason, message);
    }

    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().sum()
    }

    /// True when some input or record could not be read as it should: the run exits non-zero.
    pub fn has_input_errors(&self) -> bool {
        self.inputs_unreadable > 0 || self.malformed_total() > 0
    }

    /// Add another input's counters (in input order, so problem lists stay deterministic).
    pub fn merge(&mut self, other: RunStats) {
        self.inputs += other.inputs;
        self.inputs_unreadable += other.inputs_unreadable;
        self.inputs_empty += other.inputs_empty;
        self.bytes += other.bytes;
        add_all(&mut self.formats, other.formats);
        self.records += other.records;
        self.records_prefiltered += other.records_prefiltered;
        if self.prefilter.is_empty() {
            self.prefilter = other.prefilter;
        }
        add_all(&mut self.malformed, other.malformed);
        add_all(&mut self.events, other.events);
        add_all(&mut self.ignored, other.ignored);
        add_all(&mut self.expected, other.expected);
        self.unrecognized += other.unrecognized;
        self.hits += other.hits;
        add_all(&mut self.suppressed, other.suppressed);
        for e in other.tuning_expired {
            if !self.tuning_expired.contains(&e) {
                self.tuning_expired.push(e);
            }
        }
        self.correlation_state_evictions += other.correlation_state_evictions;
        self.correlation_events_spilled += other.correlation_events_spilled;
        self.alerts_spilled += other.alerts_spilled;
        self.alerts += other.alerts;
        for problem in other.problems {
            if self.problems.len() < MAX_PROBLEMS {
                self.problems.push(problem);
            } else {
                self.problems_not_listed += 1;
            }
        }
        self.problems_not_listed += other.problems_not_listed;
    }
}

fn add_all(into: &mut BTreeMap<String, u64>, from: BTreeMap<String, u64>) {
    for (key, count) in from {
        *into.entry(key).or_default() += count;
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn merge_adds_counters_and_caps_the_problem_list() {
        let mut total = RunStats::default();
        for i in 0..(MAX_PROBLEMS as u64 + 3) {
            let mut one = RunStats {
                inputs: 1,
                ..RunStats::default()
            };
            let loc = Location::new(Arc::from("f.jsonl"), i).with_line(i + 1);
            one.malformed_record(&loc, "invalid_json", "expected value".to_owned());
            total.merge(one);
        }
        assert_eq!(total.inputs, MAX_PROBLEMS as u64 + 3);
        assert_eq!(total.malformed["invalid_json"], MAX_PROBLEMS as u64 + 3);
        assert_eq!(total.problems.len(), MAX_PROBLEMS);
        assert_eq!(total.problems_not_listed, 3);
        assert!(total.has_input_errors());
        assert_eq!(total.problems[0].location, "f.jsonl:1 (record 0)");
    }
}
