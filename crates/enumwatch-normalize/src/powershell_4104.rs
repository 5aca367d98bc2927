//! PowerShell 4104 script blocks longer than one event arrive as `MessageTotal` parts (possibly
//! out of order, interleaved with other blocks). Parts are held per `ScriptBlockId` and host and
//! joined in `MessageNumber` order into one event, located at the earliest part.

use std::collections::BTreeMap;

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
    order: Vec<(String, String)>,
}

impl Reassembler {
    pub(crate) fn push(
        &mut self,
        event: Event,
        number: u64,
        total: u64,
        out: &mut Vec<Event>,
    ) -> Disposition {
        if total <= 1 {
            out.push(event);
            return Disposition::Emitted(1);
        }
        let key = (
            event
                .fields
                .get_str(field::SCRIPT_BLOCK_ID)
                .unwrap_or_default()
                .to_owned(),
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
                self.order.push(key.clone());
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
        let complete = self
            .held
            .get(&key)
            .is_some_and(|p| p.parts.len() as u64 >= p.total);
        if complete && let Some(pending) = self.held.remove(&key) {
            self.order.retain(|k| k != &key);
            out.push(assemble(pending, true));
            return Disposition::Emitted(1);
        }
        Disposition::Held
    }

    fn flush_oldest(&mut self, out: &mut Vec<Event>) {
        if self.order.is_empty() {
            return;
        }
        let key = self.order.remove(0);
        if let Some(pending) = self.held.remove(&key) {
            out.push(assemble(pending, false));
        }
    }

    pub(crate) fn flush_all(&mut self, out: &mut Vec<Event>) -> usize {
        let n = self.order.len();
        for key in std::mem::take(&mut self.order) {
            if let Some(pending) = self.held.remove(&key) {
                out.push(assemble(pending, false));
            }
        }
        n
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
