//! PowerShell 4104 script blocks longer than one event arrive as `MessageTotal` parts (possibly
//! out of order, interleaved with other blocks). Parts are held per `ScriptBlockId` and host and
//! joined in `MessageNumber` order into one event, located at the earliest part.

use std::collections::{BTreeMap, VecDeque};

use enumwatch_event::{Event, field};

use crate::Disposition;

/// Held blocks beyond this are flushed oldest first as incomplete events.
const MAX_HELD_BLOCKS: usize = 10_000;

#[derive(Debug)]
struct Pending {
    total: u64,
    first: Event,
    parts: BTreeMap<u64, String>,
}

#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    /// Keyed by (script block id, computer); insertion order kept in `order` for determinism.
    held: BTreeMap<(String, String), Pending>,
    order: VecDeque<(String, String)>,
}

impl Reassembler {
    pub(crate) fn push(
        &mut self,
        event: Event,
        number: u64,
        total: u64,
        out: &mut Vec<Event>,
    ) -> Disposition {
        // Without an id the parts cannot be matched: each stands alone.
        let Some(id) = event
            .fields
            .get_str(field::SCRIPT_BLOCK_ID)
            .map(str::to_owned)
            .filter(|_| total > 1)
        else {
            out.push(event);
            return Disposition::Emitted(1);
        };
        let key = (
            id,
            event
                .fields
                .get_str(field::COMPUTER)
                .unwrap_or_default()
                .to_owned(),
        );
        let text = event
            .fields
            .get_str(field::SCRIPT_BLOCK_TEXT)
            .unwrap_or_default()
            .to_owned();
        match self.held.get_mut(&key) {
            Some(pending) => {
                if event.location < pending.first.location {
                    pending.first = event;
                }
                pending.parts.insert(number, text);
            }
            None => {
                if self.held.len() >= MAX_HELD_BLOCKS {
                    self.flush_oldest(out);
                }
                let mut parts = BTreeMap::new();
                parts.insert(number, text);
                self.order.push_back(key.clone());
                self.held.insert(
                    key.clone(),
                    Pending {
                        total,
                        first: event,
                        parts,
                    },
                );
            }
        }
        let complete = self.held.get(&key).is_some_and(Pending::is_complete);
        if complete && let Some(pending) = self.held.remove(&key) {
            self.order.retain(|k| k != &key);
            out.push(assemble(pending, true));
            return Disposition::Emitted(1);
        }
        Disposition::Held
    }

    fn flush_oldest(&mut self, out: &mut Vec<Event>) {
        if let Some(key) = self.order.pop_front()
            && let Some(pending) = self.held.remove(&key)
        {
            out.push(assemble(pending, false));
        }
    }

    pub(crate) fn flush_all(&mut self, out: &mut Vec<Event>) -> usize {
        let before = out.len();
        for key in std::mem::take(&mut self.order) {
            if let Some(pending) = self.held.remove(&key) {
                out.push(assemble(pending, false));
            }
        }
        out.len() - before
    }
}

impl Pending {
    /// Parts are distinct numbers, so `total` of them running from 1 to `total` is every part
    /// (stray numbers such as 0 or beyond the total never complete a block).
    fn is_complete(&self) -> bool {
        self.parts.len() as u64 == self.total
            && self.parts.first_key_value().is_some_and(|(n, _)| *n == 1)
            && self
                .parts
                .last_key_value()
                .is_some_and(|(n, _)| *n == self.total)
    }
}

fn assemble(pending: Pending, complete: bool) -> Event {
    let Pending {
        total,
        mut first,
        parts,
    } = pending;
    let n_parts = parts.len();
    let text: String = parts.into_values().collect();
    first.fields.insert(field::SCRIPT_BLOCK_TEXT, text);
    first.fields.insert("ScriptBlockParts", n_parts as u64);
    if !complete {
        first.fields.insert("ScriptBlockIncomplete", true);
        first.fields.insert("ScriptBlockPartsExpected", total);
    }
    first
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use enumwatch_event::{Location, LogSource};
    use serde_json::{Value, json};

    use super::*;

    fn part(id: &str, record: u64, text: &str) -> Event {
        let mut e = Event::new(
            LogSource::Powershell4104,
            Location::new(Arc::from("t"), record),
            Arc::new(Value::Null),
        );
        e.fields.insert(field::SCRIPT_BLOCK_ID, id.to_owned());
        e.fields.insert(field::SCRIPT_BLOCK_TEXT, text.to_owned());
        e
    }

    #[test]
    fn oldest_block_is_flushed_beyond_the_cap() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        for i in 0..=MAX_HELD_BLOCKS as u64 {
            assert_eq!(
                r.push(part(&format!("b{i}"), i, "x"), 1, 2, &mut out),
                Disposition::Held
            );
        }
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].fields.get_str(field::SCRIPT_BLOCK_ID), Some("b0"));
        assert_eq!(
            out[0].fields.get("ScriptBlockIncomplete"),
            Some(&json!(true))
        );
        assert_eq!(r.flush_all(&mut out), MAX_HELD_BLOCKS);
    }

    #[test]
    fn stray_part_numbers_never_complete_a_block() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        assert_eq!(r.push(part("a", 0, "x"), 0, 2, &mut out), Disposition::Held);
        assert_eq!(r.push(part("a", 1, "y"), 7, 2, &mut out), Disposition::Held);
        assert_eq!(r.push(part("a", 2, "z"), 1, 2, &mut out), Disposition::Held);
        assert_eq!(r.push(part("a", 3, "w"), 2, 2, &mut out), Disposition::Held);
        assert_eq!(r.flush_all(&mut out), 1);
        assert_eq!(
            out[0].fields.get_str(field::SCRIPT_BLOCK_TEXT),
            Some("xzwy")
        );
        let no_id = Event::new(
            LogSource::Powershell4104,
            Location::new(Arc::from("t"), 4),
            Arc::new(Value::Null),
        );
        assert_eq!(r.push(no_id, 1, 2, &mut out), Disposition::Emitted(1));
    }
}
