//! Items a hunt gathers before it can put them in one order, within a memory budget: the
//! events held for the correlation pass (`held`) and the alerts awaiting their sort (`alerts`).
//!
//! Every event with a hit of a rule some correlation aggregates must reach the correlation pass,
//! which reads them in one (event time, location) order across all inputs; every alert must be
//! written in one (time, evidence, rule) order. Holding them all in memory costs a few KiB each,
//! so millions of them would cost GiBs. A spool keeps them in memory up to a budget (estimated
//! bytes: `--max-held-mib`, `--max-alerts-mib`); past it, the memory it holds is sorted and
//! written as a *run* to an unnamed temporary file (in `TMPDIR`, removed by the OS when
//! closed), and the runs are read back through a k-way merge (`merge`) in exactly the order a
//! stable in-memory sort gives.
//!
//! Inputs push concurrently (one buffer per input, each spilling its own items), so which
//! items share a run depends on timing; the output does not (the merge order is total), nor do
//! the stats: the budget is crossed exactly when the estimated size of all items exceeds it,
//! whatever the timing, and then every item ends on disk, so the count reported is the same at
//! any thread count.

mod alerts;
mod codec;
mod held;
mod merge;

use std::fmt;
use std::fs::File;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use thiserror::Error;

use crate::hunt::Matched;
pub(crate) use alerts::Steps;
pub(crate) use codec::Damaged;
pub(crate) use merge::{Item, Sorted};

/// Estimated bytes of held events kept in memory before they go to disk: 256 MiB, about 80,000
/// CloudTrail events pruned for the built-in analytics — more than a typical hunt holds, so it
/// never touches the disk, and small next to the memory of the machines hunts run on.
pub const DEFAULT_MAX_HELD_BYTES: u64 = 256 << 20;

/// Estimated bytes of alerts kept in memory before they go to disk: 256 MiB, about 120,000
/// CloudTrail alerts — tens of times what a tuned hunt raises, so only a broad hunting pack
/// over a large input touches the disk.
pub const DEFAULT_MAX_ALERT_BYTES: u64 = 256 << 20;

/// Encoded bytes written to the spill file at a time.
const WRITE_CHUNK: usize = 1 << 20;

/// What a spool holds, for its error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Purpose {
    /// The events held for the correlation pass (`--max-held-mib`).
    Correlation,
    /// The alerts awaiting their sort (`--max-alerts-mib`).
    Alerts,
}

impl Purpose {
    fn option(self) -> &'static str {
        match self {
            Purpose::Correlation => "--max-held-mib",
            Purpose::Alerts => "--max-alerts-mib",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Purpose::Correlation => "the events held for the correlation pass",
            Purpose::Alerts => "the alerts awaiting their sort",
        })
    }
}

/// A spool's temporary file could not be created, written or read back.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SpillError {
    #[error(
        "cannot create a temporary file in {dir} for {what} (they passed the in-memory budget, \
         {option}): {source}; set TMPDIR to a writable directory with free space, or raise \
         {option}",
        option = what.option()
    )]
    Create {
        what: Purpose,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot write the temporary file of {what} in {dir}: {source}; free space there, set \
         TMPDIR to another directory, or raise {option}",
        option = what.option()
    )]
    Write {
        what: Purpose,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read back the temporary file of {what} in {dir}: {source}")]
    Read {
        what: Purpose,
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("the temporary file of {what} in {dir} is damaged ({damage}); run the hunt again")]
    Damaged {
        what: Purpose,
        dir: PathBuf,
        damage: &'static str,
    },
}

/// Where a spool's temporary file goes and what it holds, for errors.
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub(crate) what: Purpose,
    pub(crate) dir: PathBuf,
}

impl Place {
    pub(crate) fn damaged(&self, damage: &'static str) -> SpillError {
        SpillError::Damaged {
            what: self.what,
            dir: self.dir.clone(),
            damage,
        }
    }
}

/// What a spool can hold: items with a total order, an estimate of their memory, and an exact
/// on-disk form whose key (decoded alone) orders as the items do.
pub(crate) trait Spilled: Sized + Send {
    /// The merge order of records on disk: equal to `order` of the items they encode.
    type Key: Ord;
    /// What encoding and decoding share, such as tables of what many items hold alike.
    type Context: Send + Sync;
    /// The order of items in memory, ties by input and then sequence.
    fn order(a: &Stored<Self>, b: &Stored<Self>) -> std::cmp::Ordering;
    /// Estimated heap bytes, from lengths only, so the same items give the same total on every
    /// run (and the spill decision is the same at any thread count).
    fn estimate(&self) -> u64;
    /// Append one record (length, key, body) to `out`.
    fn encode(ctx: &Self::Context, out: &mut Vec<u8>, input: u32, seq: u64, item: &Self);
    /// A record's key (the record without its length prefix), and where its body starts.
    fn decode_key(
        payload: &[u8],
        last_source: &mut Option<Arc<str>>,
    ) -> Result<(Self::Key, usize), Damaged>;
    /// The input and sequence a key holds.
    fn position(key: &Self::Key) -> (u32, u64);
    /// The item a record was made from.
    fn decode_body(ctx: &Self::Context, body: &[u8], key: &Self::Key) -> Result<Self, Damaged>;
}

/// One item and its place among its input's.
pub(crate) struct Stored<T> {
    pub(crate) input: u32,
    pub(crate) seq: u64,
    pub(crate) item: T,
}

/// The events held for the correlation pass.
pub(crate) type HeldStore = Spool<Matched>;
pub(crate) type HeldBuffer<'a> = SpoolBuffer<'a, Matched>;
pub(crate) type HeldEvents = Sorted<Matched>;

/// A stretch of the spill file holding one sorted run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Run {
    start: u64,
    len: u64,
}

/// Encoded bytes of one run, and its items.
struct Written {
    len: u64,
    items: u64,
}

/// The spill file and what is in it.
#[derive(Default)]
struct Spill {
    file: Option<File>,
    len: u64,
    runs: Vec<Run>,
    /// Items written (each once: merging runs later does not count).
    items: u64,
    error: Option<SpillError>,
}

/// Items of every input: in memory up to the budget, then in sorted runs on disk.
pub(crate) struct Spool<T: Spilled> {
    budget: u64,
    place: Place,
    ctx: T::Context,
    /// Estimated bytes of the items in memory, in every input's buffer and the pool.
    used: AtomicU64,
    /// Set once some items went to disk: then all of them do (`finish`).
    spilled: AtomicBool,
    /// Items of finished inputs still in memory, with their estimated bytes.
    pool: Mutex<(Vec<Stored<T>>, u64)>,
    spill: Mutex<Spill>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock is resumed on the hunt's thread anyway.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T: Spilled> Spool<T> {
    /// A spool keeping up to `budget` estimated bytes in memory and spilling into `dir`.
    pub(crate) fn new(budget: u64, dir: PathBuf, what: Purpose, ctx: T::Context) -> Self {
        Self {
            budget,
            place: Place { what, dir },
            ctx,
            used: AtomicU64::new(0),
            spilled: AtomicBool::new(false),
            pool: Mutex::new((Vec::new(), 0)),
            spill: Mutex::new(Spill::default()),
        }
    }

    /// A buffer for input number `input` (its position in the hunt's input list).
    pub(crate) fn buffer(&self, input: usize) -> SpoolBuffer<'_, T> {
        SpoolBuffer {
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
    fn spill_run(&self, items: Vec<Stored<T>>, bytes: u64) -> Result<(), Vec<Stored<T>>> {
        self.spilled.store(true, Ordering::Relaxed);
        if items.is_empty() {
            return Ok(());
        }
        let mut spill = lock(&self.spill);
        if spill.error.is_some() {
            return Err(items);
        }
        let order = sorted_positions(&items);
        match self.write_run(&mut spill, &items, &order) {
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

    fn write_run(
        &self,
        spill: &mut Spill,
        items: &[Stored<T>],
        order: &[usize],
    ) -> Result<(), SpillError> {
        if spill.file.is_none() {
            let file =
                tempfile::tempfile_in(&self.place.dir).map_err(|source| SpillError::Create {
                    what: self.place.what,
                    dir: self.place.dir.clone(),
                    source,
                })?;
            spill.file = Some(file);
        }
        let Some(file) = spill.file.as_ref() else {
            return Ok(());
        };
        let written = write_sorted(&self.ctx, file, spill.len, items, order, &self.place)?;
        spill.runs.push(Run {
            start: spill.len,
            len: written.len,
        });
        spill.len += written.len;
        spill.items += written.items;
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

    /// Every item, ready to be read in order, or why the spill file failed. Once some items
    /// went to disk, the rest follow (a last run), so the count is all or nothing.
    pub(crate) fn finish(self) -> Result<Sorted<T>, SpillError> {
        let (items, bytes) = std::mem::take(&mut *lock(&self.pool));
        if self.spilled.load(Ordering::Relaxed) {
            // On failure the error below is returned, whatever became of the items.
            self.spill_run(items, bytes).ok();
            let spill = std::mem::take(&mut *lock(&self.spill));
            if let Some(e) = spill.error {
                return Err(e);
            }
            let file = spill.file.map(Arc::new);
            return Sorted::on_disk(file, spill.runs, spill.items, self.place, self.ctx);
        }
        Ok(Sorted::in_memory(items, self.place, self.ctx))
    }
}

/// The positions of `items` in their order. Items are not moved: an alert is some 400 bytes, and
/// moving them in a comparison sort cost 5 % of a broad pack's hunt.
fn sorted_positions<T: Spilled>(items: &[Stored<T>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_unstable_by(|&a, &b| T::order(&items[a], &items[b]));
    order
}

/// Encode `items` into `file` at `at` in `order`, a chunk at a time.
fn write_sorted<T: Spilled>(
    ctx: &T::Context,
    file: &File,
    at: u64,
    items: &[Stored<T>],
    order: &[usize],
    place: &Place,
) -> Result<Written, SpillError> {
    let mut buf = Vec::with_capacity(WRITE_CHUNK + WRITE_CHUNK / 4);
    let mut len = 0u64;
    for s in order.iter().filter_map(|&i| items.get(i)) {
        T::encode(ctx, &mut buf, s.input, s.seq, &s.item);
        if buf.len() >= WRITE_CHUNK {
            merge::write_all_at(file, &buf, at + len, place)?;
            len += buf.len() as u64;
            buf.clear();
        }
    }
    merge::write_all_at(file, &buf, at + len, place)?;
    len += buf.len() as u64;
    Ok(Written {
        len,
        items: items.len() as u64,
    })
}

/// One input's items, in the order its consumer pushed them.
pub(crate) struct SpoolBuffer<'a, T: Spilled> {
    store: &'a Spool<T>,
    input: u32,
    seq: u64,
    items: Vec<Stored<T>>,
    bytes: u64,
}

impl<T: Spilled> SpoolBuffer<'_, T> {
    pub(crate) fn push(&mut self, item: T) {
        let bytes = item.estimate();
        self.items.push(Stored {
            input: self.input,
            seq: self.seq,
            item,
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

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_alerts;
