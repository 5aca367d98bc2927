//! The events held for the correlation pass, within a memory budget.
//!
//! Every event with a hit of a rule some correlation aggregates must reach the correlation pass,
//! which reads them in one (event time, location) order across all inputs. Holding them all in
//! memory costs a few KiB each, so millions of distinct principals in a window would cost GiBs.
//! The store keeps them in memory up to a budget (estimated bytes, `DEFAULT_MAX_HELD_BYTES`,
//! `--max-held-mib`); past it, the memory it holds is sorted and written as a *run* to an
//! unnamed temporary file (in `TMPDIR`, removed by the OS when closed), and the pass reads the
//! runs back through a k-way merge (`merge`) in exactly the order a stable in-memory sort gives.
//!
//! Inputs push concurrently (one buffer per input, each spilling its own events), so which
//! events share a run depends on timing; the output does not (the merge order is total), nor do
//! the stats: the budget is crossed exactly when the estimated size of all held events exceeds
//! it, whatever the timing, and then every held event ends on disk, so the count reported is
//! the same at any thread count.

mod codec;
mod merge;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use thiserror::Error;

use crate::hunt::Matched;
pub(crate) use merge::HeldEvents;

/// Estimated bytes of held events kept in memory before they go to disk: 256 MiB, about 80,000
/// CloudTrail events pruned for the built-in analytics — more than a typical hunt holds, so it
/// never touches the disk, and small next to the memory of the machines hunts run on.
pub const DEFAULT_MAX_HELD_BYTES: u64 = 256 << 20;

/// Encoded bytes written to the spill file at a time.
const WRITE_CHUNK: usize = 1 << 20;

/// The correlation pass's temporary file could not be created, written or read back.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HeldError {
    #[error(
        "cannot create a temporary file in {dir} for the events held for the correlation pass \
         (they passed the in-memory budget, --max-held-mib): {source}; set TMPDIR to a writable \
         directory with free space, or raise --max-held-mib"
    )]
    Create {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot write the correlation pass's temporary file in {dir}: {source}; free space there, \
         set TMPDIR to another directory, or raise --max-held-mib"
    )]
    Write {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read back the correlation pass's temporary file in {dir}: {source}")]
    Read {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the correlation pass's temporary file in {dir} is damaged ({what}); run the hunt again"
    )]
    Damaged { dir: PathBuf, what: &'static str },
}

/// One held event and its place in its input.
pub(crate) struct Held {
    pub(crate) input: u32,
    pub(crate) seq: u64,
    pub(crate) matched: Matched,
}

impl Held {
    /// The correlation pass's order: (event time, location), then input and sequence, which
    /// equals a stable sort of the events in input order.
    fn order(&self, other: &Self) -> std::cmp::Ordering {
        let (a, b) = (&self.matched.event, &other.matched.event);
        (a.time, &a.location, self.input, self.seq).cmp(&(
            b.time,
            &b.location,
            other.input,
            other.seq,
        ))
    }
}

/// A stretch of the spill file holding one sorted run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    start: u64,
    len: u64,
}

/// Encoded bytes of one run, and its events.
struct Written {
    len: u64,
    events: u64,
}

/// The spill file and what is in it.
#[derive(Default)]
struct Spill {
    file: Option<File>,
    len: u64,
    runs: Vec<Run>,
    /// Events written (each once: merging runs later does not count).
    events: u64,
    error: Option<HeldError>,
}

/// Held events of every input: in memory up to the budget, then in sorted runs on disk.
pub(crate) struct HeldStore {
    budget: u64,
    dir: PathBuf,
    /// Estimated bytes of the held events in memory, in every input's buffer and the pool.
    used: AtomicU64,
    /// Set once some events went to disk: then all of them do (`finish`).
    spilled: AtomicBool,
    /// Events of finished inputs still in memory, with their estimated bytes.
    pool: Mutex<(Vec<Held>, u64)>,
    spill: Mutex<Spill>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock is resumed on the hunt's thread anyway.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HeldStore {
    /// A store keeping up to `budget` estimated bytes in memory and spilling into `dir`.
    pub(crate) fn new(budget: u64, dir: PathBuf) -> Self {
        Self {
            budget,
            dir,
            used: AtomicU64::new(0),
            spilled: AtomicBool::new(false),
            pool: Mutex::new((Vec::new(), 0)),
            spill: Mutex::new(Spill::default()),
        }
    }

    /// A buffer for input number `input` (its position in the hunt's input list).
    pub(crate) fn buffer(&self, input: usize) -> HeldBuffer<'_> {
        HeldBuffer {
            store: self,
            input: u32::try_from(input).unwrap_or(u32::MAX),
            seq: 0,
            items: Vec::new(),
            bytes: 0,
        }
    }

    fn over_budget(&self) -> bool {
        self.used.load(Ordering::Relaxed) > self.budget
    }

    /// Sort `items` and write them as one run. On failure (remembered for `finish`) they are
    /// handed back to stay in memory.
    fn spill_run(&self, mut items: Vec<Held>, bytes: u64) -> Result<(), Vec<Held>> {
        self.spilled.store(true, Ordering::Relaxed);
        if items.is_empty() {
            return Ok(());
        }
        let mut spill = lock(&self.spill);
        if spill.error.is_some() {
            return Err(items);
        }
        items.sort_unstable_by(Held::order);
        match self.write_run(&mut spill, &items) {
            Ok(()) => {
                drop(spill);
                drop(items);
                self.used.fetch_sub(bytes, Ordering::Relaxed);
                Ok(())
            }
            Err(e) => {
                spill.error = Some(e);
                Err(items)
            }
        }
    }

    fn write_run(&self, spill: &mut Spill, items: &[Held]) -> Result<(), HeldError> {
        if spill.file.is_none() {
            let file = tempfile::tempfile_in(&self.dir).map_err(|source| HeldError::Create {
                dir: self.dir.clone(),
                source,
            })?;
            spill.file = Some(file);
        }
        let Some(file) = spill.file.as_ref() else {
            return Ok(());
        };
        let written = write_sorted(file, spill.len, items, &self.dir)?;
        spill.runs.push(Run {
            start: spill.len,
            len: written.len,
        });
        spill.len += written.len;
        spill.events += written.events;
        Ok(())
    }

    /// The pool went past the budget: write it out.
    fn relieve(&self) {
        if !self.over_budget() {
            return;
        }
        let (items, bytes) = std::mem::take(&mut *lock(&self.pool));
        if let Err(items) = self.spill_run(items, bytes) {
            let mut pool = lock(&self.pool);
            pool.0.extend(items);
            pool.1 += bytes;
        }
    }

    /// Every held event, ready for the correlation pass, or why the spill file failed. Once some
    /// events went to disk, the rest follow (a last run), so the count is all or nothing.
    pub(crate) fn finish(self) -> Result<HeldEvents, HeldError> {
        let (items, bytes) = std::mem::take(&mut *lock(&self.pool));
        if self.spilled.load(Ordering::Relaxed) {
            // On failure the error below is returned, whatever became of the items.
            self.spill_run(items, bytes).ok();
            let spill = std::mem::take(&mut *lock(&self.spill));
            if let Some(e) = spill.error {
                return Err(e);
            }
            let file = spill.file.map(Arc::new);
            return HeldEvents::on_disk(file, spill.runs, spill.events, self.dir);
        }
        Ok(HeldEvents::in_memory(items))
    }
}

/// Encode sorted `items` into `file` at `at`, a chunk at a time.
fn write_sorted(file: &File, at: u64, items: &[Held], dir: &Path) -> Result<Written, HeldError> {
    let mut buf = Vec::with_capacity(WRITE_CHUNK + WRITE_CHUNK / 4);
    let mut len = 0u64;
    for h in items {
        codec::encode(&mut buf, h.input, h.seq, &h.matched);
        if buf.len() >= WRITE_CHUNK {
            merge::write_all_at(file, &buf, at + len, dir)?;
            len += buf.len() as u64;
            buf.clear();
        }
    }
    merge::write_all_at(file, &buf, at + len, dir)?;
    len += buf.len() as u64;
    Ok(Written {
        len,
        events: items.len() as u64,
    })
}

/// One input's held events, in the order its consumer pushed them.
pub(crate) struct HeldBuffer<'a> {
    store: &'a HeldStore,
    input: u32,
    seq: u64,
    items: Vec<Held>,
    bytes: u64,
}

impl HeldBuffer<'_> {
    pub(crate) fn push(&mut self, matched: Matched) {
        let bytes = estimate(&matched);
        self.items.push(Held {
            input: self.input,
            seq: self.seq,
            matched,
        });
        self.seq += 1;
        self.bytes += bytes;
        let store = self.store;
        let used = store.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > store.budget {
            let items = std::mem::take(&mut self.items);
            match store.spill_run(items, self.bytes) {
                Ok(()) => self.bytes = 0,
                Err(items) => self.items = items,
            }
            store.relieve();
        }
    }

    /// Hand what is still in memory to the store's pool (the input is done).
    pub(crate) fn finish(self) {
        let mut pool = lock(&self.store.pool);
        pool.0.extend(self.items);
        pool.1 += self.bytes;
    }
}

/// Allocator bookkeeping per allocation, roughly.
const ALLOCATION: u64 = 16;

/// Estimated heap bytes of a held event, from lengths only (capacities depend on growth
/// history), so that the same events give the same total on every run. The sum of the lengths
/// below comes to about three quarters of what held CloudTrail events cost in resident memory
/// (`bench/scaling.sh`: 2.4 KiB against 3.1 KiB; size classes and spare capacity make up the
/// rest), hence the last factor.
pub(crate) fn estimate(m: &Matched) -> u64 {
    lengths(m) * 4 / 3
}

fn lengths(m: &Matched) -> u64 {
    let value = size_of::<serde_json::Value>() as u64;
    let mut bytes = size_of::<Held>() as u64 + ALLOCATION;
    // Fields: tag, name, value per entry.
    bytes += m.event.fields.len() as u64 * (8 + 16 + value);
    for (_, v) in m.event.fields.iter() {
        bytes += value_heap(v);
    }
    bytes += ALLOCATION + 16 + value + value_heap(&m.event.raw);
    bytes += ALLOCATION + m.hits.len() as u64 * size_of::<enumwatch_engine::Hit>() as u64;
    for hit in &m.hits {
        for (k, v) in &hit.matched_fields {
            bytes += 48 + 2 * ALLOCATION + (k.len() + v.len()) as u64;
        }
    }
    bytes
}

fn value_heap(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    let value = size_of::<Value>() as u64;
    match v {
        Value::String(s) => ALLOCATION + s.len() as u64,
        Value::Array(items) => {
            ALLOCATION + items.len() as u64 * value + items.iter().map(value_heap).sum::<u64>()
        }
        // An ordered map: entries (key, value, hash) plus an index of the entries.
        Value::Object(map) => {
            2 * ALLOCATION
                + map
                    .iter()
                    .map(|(k, v)| 24 + value + 8 + 8 + ALLOCATION + k.len() as u64 + value_heap(v))
                    .sum::<u64>()
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
