//! Reading a spool's items back in order: the sorted in-memory set as it is, or the sorted runs
//! on disk through a k-way merge, as often as a pass needs.
//!
//! Runs share one file and are read with positional reads, so the number of runs never costs
//! file descriptors; past `MAX_FAN_IN` runs, groups of them are first merged into longer runs
//! (appended to the same file, records copied as they are), which bounds the readers' buffers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::ops::{Deref, Range};
use std::sync::Arc;

use jiff::Timestamp;

use super::codec::{self, Damaged};
use super::{Place, Run, SpillError, Spilled, Stored};
use crate::hunt::Matched;

/// Most runs merged at once.
const MAX_FAN_IN: usize = 64;
/// Bytes a run's reader fetches at a time.
const READ_CHUNK: usize = 64 << 10;

/// Every item of a spool, sorted, in memory or on disk.
pub(crate) struct Sorted<T: Spilled> {
    kind: Kind<T>,
    place: Place,
    ctx: T::Context,
    /// Items written to disk (all of them, or none).
    spilled: u64,
}

enum Kind<T: Spilled> {
    /// The items as they came, and their positions in order.
    Memory(Vec<Stored<T>>, Vec<usize>),
    Disk {
        file: Option<Arc<File>>,
        runs: Vec<Run>,
    },
}

/// One item of a pass: in memory, or a record on disk decoded only when asked.
pub(crate) enum Item<'a, T: Spilled> {
    Memory(&'a Stored<T>),
    Disk {
        key: &'a T::Key,
        body: &'a [u8],
        place: &'a Place,
        ctx: &'a T::Context,
    },
}

/// An item, borrowed from memory or decoded from disk.
pub(crate) enum Decoded<'a, T> {
    Borrowed(&'a T),
    Owned(T),
}

impl<T> Deref for Decoded<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Decoded::Borrowed(m) => m,
            Decoded::Owned(m) => m,
        }
    }
}

impl<'a, T: Spilled> Item<'a, T> {
    /// The item, decoded if it is on disk.
    pub(crate) fn get(&self) -> Result<Decoded<'a, T>, SpillError> {
        match self {
            Item::Memory(s) => Ok(Decoded::Borrowed(&s.item)),
            Item::Disk {
                key,
                body,
                place,
                ctx,
            } => T::decode_body(ctx, body, key)
                .map(Decoded::Owned)
                .map_err(|Damaged(what)| place.damaged(what)),
        }
    }
}

impl<T: Spilled> Item<'_, T> {
    /// The item's input and sequence in it: where it was made.
    pub(crate) fn position(&self) -> (u32, u64) {
        match self {
            Item::Memory(s) => (s.input, s.seq),
            Item::Disk { key, .. } => T::position(key),
        }
    }
}

impl<'a> Item<'a, Matched> {
    pub(crate) fn time(&self) -> Option<Timestamp> {
        match self {
            Item::Memory(s) => s.item.event.time,
            Item::Disk { key, .. } => key.time,
        }
    }

    pub(crate) fn matched(&self) -> Result<Decoded<'a, Matched>, SpillError> {
        self.get()
    }
}

impl<T: Spilled> Sorted<T> {
    pub(crate) fn in_memory(items: Vec<Stored<T>>, place: Place, ctx: T::Context) -> Self {
        let order = super::sorted_positions(&items);
        Self {
            kind: Kind::Memory(items, order),
            place,
            ctx,
            spilled: 0,
        }
    }

    /// Runs of `file`, merged down to at most `MAX_FAN_IN`.
    pub(crate) fn on_disk(
        file: Option<Arc<File>>,
        mut runs: Vec<Run>,
        spilled: u64,
        place: Place,
        ctx: T::Context,
    ) -> Result<Self, SpillError> {
        if let Some(file) = &file {
            let mut end = runs.iter().map(|r| r.start + r.len).max().unwrap_or(0);
            while runs.len() > MAX_FAN_IN {
                let mut merged = Vec::with_capacity(runs.len() / MAX_FAN_IN + 1);
                for group in runs.chunks(MAX_FAN_IN) {
                    let run = copy_merged::<T>(file, group, end, &place)?;
                    end += run.len;
                    merged.push(run);
                }
                runs = merged;
            }
        }
        Ok(Self {
            kind: Kind::Disk { file, runs },
            place,
            ctx,
            spilled,
        })
    }

    /// Items written to disk.
    pub(crate) fn spilled(&self) -> u64 {
        self.spilled
    }

    /// No item at all.
    pub(crate) fn is_empty(&self) -> bool {
        match &self.kind {
            Kind::Memory(items, _) => items.is_empty(),
            Kind::Disk { .. } => self.spilled == 0,
        }
    }

    /// Visit every item in order.
    pub(crate) fn scan(
        &self,
        mut visit: impl FnMut(Item<'_, T>) -> Result<(), SpillError>,
    ) -> Result<(), SpillError> {
        match &self.kind {
            Kind::Memory(items, order) => order
                .iter()
                .filter_map(|&i| items.get(i))
                .try_for_each(|s| visit(Item::Memory(s))),
            Kind::Disk { file: None, .. } => Ok(()),
            Kind::Disk {
                file: Some(file),
                runs,
            } => {
                let place = &self.place;
                let mut merge = Merge::<T>::new(file, runs, place)?;
                while let Some((key, run)) = merge.pop() {
                    let reader = &merge.readers[run];
                    let body = reader
                        .buf
                        .get(reader.body.clone())
                        .ok_or_else(|| place.damaged("merge"))?;
                    visit(Item::Disk {
                        key: &key,
                        body,
                        place,
                        ctx: &self.ctx,
                    })?;
                    merge.advance(run)?;
                }
                Ok(())
            }
        }
    }
}

/// Merge `runs` into one run written at `at`, copying the records as they are.
fn copy_merged<T: Spilled>(
    file: &Arc<File>,
    runs: &[Run],
    at: u64,
    place: &Place,
) -> Result<Run, SpillError> {
    let mut merge = Merge::<T>::new(file, runs, place)?;
    let mut out = Vec::with_capacity(READ_CHUNK * 2);
    let mut written = 0u64;
    while let Some((_, run)) = merge.pop() {
        let reader = &merge.readers[run];
        let record = reader
            .buf
            .get(reader.record.clone())
            .ok_or_else(|| place.damaged("merge"))?;
        out.extend_from_slice(record);
        if out.len() >= READ_CHUNK {
            write_all_at(file, &out, at + written, place)?;
            written += out.len() as u64;
            out.clear();
        }
        merge.advance(run)?;
    }
    write_all_at(file, &out, at + written, place)?;
    written += out.len() as u64;
    Ok(Run {
        start: at,
        len: written,
    })
}

/// The runs' current records, smallest key first.
struct Merge<'a, T: Spilled> {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(T::Key, usize)>>,
    place: &'a Place,
}

impl<'a, T: Spilled> Merge<'a, T> {
    fn new(file: &Arc<File>, runs: &[Run], place: &'a Place) -> Result<Self, SpillError> {
        let mut merge = Merge {
            readers: runs
                .iter()
                .map(|r| RunReader {
                    file: Arc::clone(file),
                    next: r.start,
                    end: r.start + r.len,
                    buf: Vec::new(),
                    at: 0,
                    record: 0..0,
                    body: 0..0,
                    last_source: None,
                })
                .collect(),
            heap: BinaryHeap::with_capacity(runs.len()),
            place,
        };
        for run in 0..runs.len() {
            merge.advance(run)?;
        }
        Ok(merge)
    }

    /// The smallest current record's key and run; the record stays readable until `advance`.
    fn pop(&mut self) -> Option<(T::Key, usize)> {
        self.heap.pop().map(|Reverse(entry)| entry)
    }

    /// Read the run's next record and queue it.
    fn advance(&mut self, run: usize) -> Result<(), SpillError> {
        let Some(reader) = self.readers.get_mut(run) else {
            return Ok(());
        };
        if let Some(key) = reader.next_record::<T>(self.place)? {
            // The heap orders by key and then run; keys are unique, so the run never decides.
            self.heap.push(Reverse((key, run)));
        }
        Ok(())
    }
}

/// One run, read in chunks.
struct RunReader {
    file: Arc<File>,
    /// File offset of the next byte to fetch.
    next: u64,
    end: u64,
    buf: Vec<u8>,
    /// Start of the unread bytes in `buf`.
    at: usize,
    /// The current record in `buf`, with its length prefix, and its body.
    record: Range<usize>,
    body: Range<usize>,
    last_source: Option<Arc<str>>,
}

impl RunReader {
    /// Decode the next record's key; `None` at the end of the run.
    fn next_record<T: Spilled>(&mut self, place: &Place) -> Result<Option<T::Key>, SpillError> {
        if !self.fill(4, place)? {
            return Ok(None);
        }
        let prefix: [u8; 4] = self
            .buf
            .get(self.at..self.at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| place.damaged("record length"))?;
        let len = codec::record_len(prefix);
        if !self.fill(4 + len, place)? {
            return Err(place.damaged("truncated run"));
        }
        let start = self.at;
        let payload = self
            .buf
            .get(start + 4..start + 4 + len)
            .ok_or_else(|| place.damaged("truncated run"))?;
        let (key, body_at) = T::decode_key(payload, &mut self.last_source)
            .map_err(|Damaged(what)| place.damaged(what))?;
        self.record = start..start + 4 + len;
        self.body = start + 4 + body_at..start + 4 + len;
        self.at = start + 4 + len;
        Ok(Some(key))
    }

    /// Make `need` unread bytes available; false when the run ended cleanly before them.
    fn fill(&mut self, need: usize, place: &Place) -> Result<bool, SpillError> {
        let have = self.buf.len() - self.at;
        if have >= need {
            return Ok(true);
        }
        self.buf.drain(..self.at);
        self.at = 0;
        let left = self.end - self.next;
        if have == 0 && left == 0 {
            return Ok(false);
        }
        let want = (need - have).max(READ_CHUNK) as u64;
        let take = want.min(left) as usize;
        if have + take < need {
            return Err(place.damaged("truncated run"));
        }
        self.buf.resize(have + take, 0);
        read_exact_at(&self.file, &mut self.buf[have..], self.next).map_err(|source| {
            SpillError::Read {
                what: place.what,
                dir: place.dir.clone(),
                source,
            }
        })?;
        self.next += take as u64;
        Ok(true)
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

#[cfg(unix)]
fn write_at(file: &File, buf: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, buf, offset)
}

#[cfg(windows)]
fn write_at(file: &File, mut buf: &[u8], mut offset: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_write(buf, offset)? {
            0 => return Err(std::io::ErrorKind::WriteZero.into()),
            n => {
                buf = &buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

/// Write `buf` at `offset` of the spill file (positional, so reads elsewhere never move it).
pub(super) fn write_all_at(
    file: &File,
    buf: &[u8],
    offset: u64,
    place: &Place,
) -> Result<(), SpillError> {
    write_at(file, buf, offset).map_err(|source| SpillError::Write {
        what: place.what,
        dir: place.dir.clone(),
        source,
    })
}
