//! The correlation state cap, enforced by enumwatch and not by rsigma.
//!
//! rsigma 0.23 caps its window state itself (`CorrelationEngine::evict_all`, reached from
//! `process_with_detections` once `state.len() >= max_state_entries`): after expiring entries by
//! event time it drops `len - max_state_entries * 9 / 10` groups, the ones with the oldest
//! `WindowState::latest_timestamp`, chosen with `sort_unstable_by_key` over a `HashMap`'s
//! iteration order. Groups that last saw an event at the same second — every group of a burst of
//! distinct principals — are therefore dropped in an order that changes from run to run, and a
//! principal that arrived last can lose its window while one that arrived first keeps it.
//!
//! rsigma has no public call that removes one group, so the cap lives here: the engine is built
//! with a cap it never reaches, [`GroupLedger`] stamps every group an event touches with (event
//! time, arrival sequence), and once the engine holds more than the cap the ledger exports the
//! state, keeps the newest groups by stamp, empties the engine by expiring everything at a time
//! past every window, and imports the survivors. The outcome depends only on the events and
//! their order. The price: during that pass the state is held twice (the export is a copy), and
//! each pass costs time linear in the cap, paid once per tenth of the cap of new groups.

use std::collections::{HashMap, HashSet};

use rsigma_eval::{
    CompiledCorrelation, CorrelationEngine, CorrelationSnapshot, EvaluationResult, GroupKey,
    WindowState,
};
use rsigma_parser::SigmaCollection;

use crate::EngineError;
use crate::repeats::{Update, value_count_update};

/// A time after every window ends: rsigma clamps event times to `i64::MAX / 2`, and a window is
/// far shorter than the `i64::MAX / 4` seconds between the two, so expiring at this time empties
/// the engine (and `time - timespan` cannot overflow).
const END_OF_TIME: i64 = i64::MAX / 4 * 3;

/// When a group last saw an event: its event time, then the arrival sequence, so that groups of
/// the same second are ordered by which came first.
type Stamp = (i64, u64);

/// One correlation group: rsigma's correlation index and the group-by values.
type GroupId = (usize, GroupKey);

/// Which groups exist in the correlation engine and when each last saw an event; evicts the
/// oldest when the engine holds more than `cap` groups.
pub(crate) struct GroupLedger {
    /// rsigma's compiled correlations, in its own index order (the order it was given them).
    correlations: Vec<CompiledCorrelation>,
    /// Rule id or name → the correlations that reference it (rsigma's `rule_index`).
    referenced_by: HashMap<String, Vec<usize>>,
    /// Detection rule id → its name: the second identity rsigma resolves group-by aliases with.
    names: HashMap<String, Option<String>>,
    /// Each correlation's key in rsigma's state snapshot: its id, else name, else title.
    snapshot_ids: Vec<String>,
    stamps: HashMap<GroupId, Entry>,
    /// The last arrival sequence number given out.
    next: u64,
    /// Compactions so far.
    pass: u64,
    cap: usize,
}

impl GroupLedger {
    /// A ledger for the engine built from `collection`, holding at most `cap` groups (at least 1).
    pub(crate) fn new(collection: &SigmaCollection, cap: usize) -> Result<Self, EngineError> {
        let correlations = collection
            .correlations
            .iter()
            .map(rsigma_eval::correlation::compile_correlation)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| EngineError::Compile {
                rule: "correlation".to_owned(),
                message: e.to_string(),
            })?;
        let mut referenced_by: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in correlations.iter().enumerate() {
            for r in &c.rule_refs {
                referenced_by.entry(r.clone()).or_default().push(i);
            }
        }
        let snapshot_ids = correlations
            .iter()
            .map(|c| {
                let id = c.id.clone().or_else(|| c.name.clone());
                id.unwrap_or_else(|| c.title.clone())
            })
            .collect();
        let mut names = HashMap::new();
        for rule in &collection.rules {
            if let Some(id) = &rule.id {
                // rsigma takes the first rule with the id.
                names.entry(id.clone()).or_insert_with(|| rule.name.clone());
            }
        }
        Ok(Self {
            correlations,
            referenced_by,
            names,
            snapshot_ids,
            stamps: HashMap::new(),
            next: 0,
            pass: 0,
            cap: cap.max(1),
        })
    }

    /// Where `enforce` brings the state down to: a tenth below the cap, as rsigma does, so that
    /// the export and re-import it costs happen once per tenth of the cap of new groups, not on
    /// every event once the cap is reached.
    fn low_water(&self) -> usize {
        (self.cap - self.cap / 10).max(1)
    }

    /// Stamp the groups that `detections` of `event` will update (rsigma's `feed_detections`):
    /// every correlation referencing a detection's rule id or name, keyed by the group-by values
    /// rsigma extracts. Call before handing the detections to the engine.
    pub(crate) fn record_detections(
        &mut self,
        event: &impl rsigma_eval::Event,
        detections: &[EvaluationResult],
        time: i64,
    ) {
        let mut touched = Vec::new();
        for det in detections {
            let (refs, correlations) = self.fed_by(det);
            touched.extend(correlations.into_iter().map(|c| {
                let key = GroupKey::extract(event, &self.correlations[c].group_by, &refs);
                (c, key)
            }));
        }
        // In correlation order, not detection order: the stamps do not depend on the order the
        // detections come in (which splitting the `value_count` rules changes).
        touched.sort_by_key(|(c, _)| *c);
        for group in touched {
            self.stamp(group, time);
        }
    }

    /// `det`'s update of every correlation that references its rule (see `repeats`), or `None`
    /// when one of them is not a plain `value_count` window or a counted value is not a scalar.
    pub(crate) fn value_count_updates(
        &self,
        event: &impl rsigma_eval::Event,
        det: &EvaluationResult,
    ) -> Option<Vec<Update>> {
        let (refs, correlations) = self.fed_by(det);
        correlations
            .into_iter()
            .map(|c| value_count_update(c, self.correlations.get(c)?, event, &refs))
            .collect()
    }

    /// The identities rsigma resolves `det`'s rule by (its id, then its name) and the
    /// correlations it feeds, each once, in index order (rsigma's `feed_detections`).
    fn fed_by<'d>(&'d self, det: &'d EvaluationResult) -> (Vec<&'d str>, Vec<usize>) {
        let id = det.header.rule_id.as_deref();
        let name = id
            .and_then(|id| self.names.get(id))
            .and_then(Option::as_deref);
        let refs: Vec<&str> = id.into_iter().chain(name).collect();
        let mut correlations: Vec<usize> = refs
            .iter()
            .filter_map(|r| self.referenced_by.get(*r))
            .flatten()
            .copied()
            .collect();
        correlations.sort_unstable();
        correlations.dedup();
        (refs, correlations)
    }

    /// Stamp the groups that correlations fired for this event updated in the correlations that
    /// reference them (rsigma's `chain_correlations`, keyed by `GroupKey::from_pairs`).
    pub(crate) fn record_chained(&mut self, results: &[EvaluationResult], time: i64) {
        let mut touched = Vec::new();
        for result in results {
            let (Some(body), Some(id)) =
                (result.as_correlation(), result.header.rule_id.as_deref())
            else {
                continue;
            };
            let name = self
                .correlations
                .iter()
                .find(|c| c.id.as_deref() == Some(id))
                .and_then(|c| c.name.as_deref())
                .filter(|name| *name != id);
            let parents: Vec<usize> = std::iter::once(id)
                .chain(name)
                .filter_map(|r| self.referenced_by.get(r))
                .flatten()
                .copied()
                .collect();
            touched.extend(parents.into_iter().map(|p| {
                let key = GroupKey::from_pairs(&body.group_key, &self.correlations[p].group_by);
                (p, key)
            }));
        }
        for group in touched {
            self.stamp(group, time);
        }
    }

    fn stamp(&mut self, group: GroupId, time: i64) {
        self.next += 1;
        let next = self.next;
        let entry = self.stamps.entry(group).or_insert(Entry {
            stamp: (time, next),
            pass: 0,
        });
        entry.stamp = (entry.stamp.0.max(time), next);
    }

    /// If `engine` holds more than the cap, expire what the windows have passed at `now` (as
    /// rsigma does first), then drop the groups with the oldest stamps until a tenth below the
    /// cap. Returns how many groups were dropped to the cap (expired ones are not counted: their
    /// windows were over).
    pub(crate) fn enforce(&mut self, engine: &mut CorrelationEngine, now: i64) -> u64 {
        if engine.state_count() <= self.cap {
            return 0;
        }
        engine.evict_expired(now);
        let held = engine.state_count();
        let CorrelationSnapshot {
            version,
            windows,
            last_alert,
            event_buffers,
            event_ref_buffers,
        } = engine.export_state();
        self.pass += 1;
        let mut groups = self.groups(windows);
        // Forget the groups that expired (and any the engine never created).
        let pass = self.pass;
        self.stamps.retain(|_, e| e.pass == pass);
        let over = groups.len().saturating_sub(self.low_water());
        if over == 0 {
            return 0;
        }
        // The `over` oldest first. The correlation and the group-by values only break ties
        // between groups the ledger did not see created: the choice never depends on hashing.
        groups.select_nth_unstable_by(over - 1, |a, b| {
            (a.stamp, a.id.0, &a.id.1.0).cmp(&(b.stamp, b.id.0, &b.id.1.0))
        });
        let kept = groups.split_off(over);
        for g in &groups {
            self.stamps.remove(&g.id);
        }
        let mut windows: Vec<Vec<(GroupKey, WindowState)>> =
            self.snapshot_ids.iter().map(|_| Vec::new()).collect();
        for g in kept {
            windows[g.id.0].push((g.id.1, g.window));
        }
        let windows = self
            .snapshot_ids
            .iter()
            .cloned()
            .zip(windows)
            .filter(|(_, groups)| !groups.is_empty())
            .collect();
        // Alert times and event buffers are kept only when a group's window is (both are
        // usually empty: no suppression, no event buffers).
        let evicted: HashSet<GroupId> = groups.into_iter().map(|g| g.id).collect();
        let keep = |snapshot_id: &String, key: &GroupKey| {
            self.snapshot_ids
                .iter()
                .position(|s| s == snapshot_id)
                .is_some_and(|c| !evicted.contains(&(c, key.clone())))
        };
        let survivors = CorrelationSnapshot {
            version,
            windows,
            last_alert: retain(last_alert, keep),
            event_buffers: retain(event_buffers, keep),
            event_ref_buffers: retain(event_ref_buffers, keep),
        };
        // Past every window, rsigma expires every group: the engine is empty again.
        engine.evict_expired(END_OF_TIME);
        engine.import_state(survivors);
        // Counted from the engine, so a group the import did not restore counts as dropped too.
        held.saturating_sub(engine.state_count()) as u64
    }

    /// Whether every group `engine` holds has a stamp, i.e. the ledger mirrors rsigma's keys.
    #[cfg(test)]
    pub(crate) fn stamps_every_group(&self, engine: &CorrelationEngine) -> bool {
        engine
            .export_state()
            .windows
            .into_iter()
            .all(|(id, groups)| {
                let c = self.snapshot_ids.iter().position(|s| *s == id);
                c.is_some_and(|c| {
                    groups
                        .into_iter()
                        .all(|(key, _)| self.stamps.contains_key(&(c, key)))
                })
            })
    }

    /// The snapshot's groups with their stamps, each marked as seen in this pass. A group the
    /// ledger did not see created (none should exist) is stamped with its newest entry, before
    /// the groups of the same second the ledger saw, and tracked from then on.
    fn groups(&mut self, windows: HashMap<String, Vec<(GroupKey, WindowState)>>) -> Vec<Group> {
        let (ids, stamps, pass) = (&self.snapshot_ids, &mut self.stamps, self.pass);
        windows
            .into_iter()
            .filter_map(|(id, groups)| {
                let c = ids.iter().position(|s| *s == id)?;
                Some(
                    groups
                        .into_iter()
                        .map(move |(key, window)| (c, key, window)),
                )
            })
            .flatten()
            .map(|(c, key, window)| {
                let id = (c, key);
                let stamp = match stamps.get_mut(&id) {
                    Some(entry) => {
                        entry.pass = pass;
                        entry.stamp
                    }
                    None => {
                        let stamp = (window.latest_timestamp().unwrap_or(i64::MIN), 0);
                        stamps.insert(id.clone(), Entry { stamp, pass });
                        stamp
                    }
                };
                Group { id, stamp, window }
            })
            .collect()
    }
}

/// A group's stamp, and the last compaction that found the group in the engine.
struct Entry {
    stamp: Stamp,
    pass: u64,
}

/// One group of an exported state.
struct Group {
    id: GroupId,
    stamp: Stamp,
    window: WindowState,
}

/// The entries of `map` whose correlation and group `keep` accepts.
fn retain<T>(
    map: HashMap<String, Vec<(GroupKey, T)>>,
    keep: impl Fn(&String, &GroupKey) -> bool,
) -> HashMap<String, Vec<(GroupKey, T)>> {
    map.into_iter()
        .map(|(id, groups)| {
            let groups = groups.into_iter().filter(|(k, _)| keep(&id, k)).collect();
            (id, groups)
        })
        .collect()
}
