//! Reading the held events back in the correlation pass's order: the sorted in-memory set as
//! it is, or the sorted runs on disk through a k-way merge, as often as a pass needs.
//!
//! Runs share one file and are read with positional reads, so the number of runs never costs
//! file descriptors; past `MAX_FAN_IN` runs, groups of them are first merged into longer runs
//! (appended to the same file, records copied as they are), which bounds the readers' buffers.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::ops::{Deref, Range};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;

use super::codec::{self, Damaged, Key};
use super::{Held, HeldError, Run};
use crate::hunt::Matched;

/// Most runs merged at once.
const MAX_FAN_IN: usize = 64;
/// Bytes a run's reader fetches at a time.
const READ_CHUNK: usize = 64 << 10;

/// Every held event, sorted, in memory or on disk.
pub(crate) struct HeldEvents {
    kind: Kind,
    /// Events written to disk (all of them, or none).
    spilled: u64,
}

enum Kind {
    Memory(Vec<Held>),
    Disk {
        file: Option<Arc<File>>,
        runs: Vec<Run>,
        dir: PathBuf,
    },
}

/// One event of a pass: in memory, or a record on disk decoded only when asked.
pub(crate) enum Item<'a> {
    Memory(&'a Matched),
    Disk {
        key: &'a Key,
        body: &'a [u8],
        dir: &'a Path,
    },
}

/// A held event, borrowed from memory or decoded from disk.
pub(crate) enum Decoded<'a> {
    Borrowed(&'a Matched),
    Owned(Matched),
}

impl Deref for Decoded<'_> {
    type Target = Matched;
    fn deref(&self) -> &Matched {
        match self {
            Decoded::Borrowed(m) => m,
            Decoded::Owned(m) => m,
        }
    }
}

impl<'a> Item<'a> {
    pub(crate) fn time(&self) -> Option<Timestamp> {
        match self {
            Item::Memory(m) => m.event.time,
            Item::Disk { key, .. } => key.time,
        }
    }

    pub(crate) fn matched(&self) -> Result<Decoded<'a>, HeldError> {
        match self {
            Item::Memory(m) => Ok(Decoded::Borrowed(m)),
            Item::Disk { key, body, dir } => codec::decode_body(body, key)
                .map(Decoded::Owned)
                .map_err(|Damaged(what)| HeldError::Damaged {
                    dir: dir.to_path_buf(),
                    what,
                }),
        }
    }
}

impl HeldEvents {
    pub(crate) fn in_memory(mut items: Vec<Held>) -> Self {
        items.sort_unstable_by(Held::order);
        Self {
            kind: Kind::Memory(items),
            spilled: 0,
        }
    }

    /// Runs of `file`, merged down to at most `MAX_FAN_IN`.
    pub(crate) fn on_disk(
        file: Option<Arc<File>>,
        mut runs: Vec<Run>,
        spilled: u64,
        dir: PathBuf,
    ) -> Result<Self, HeldError> {
        if let Some(file) = &file {
            let mut end = runs.iter().map(|r| r.start + r.len).max().unwrap_or(0);
            while runs.len() > MAX_FAN_IN {
                let mut merged = Vec::with_capacity(runs.len() / MAX_FAN_IN + 1);
                for group in runs.chunks(MAX_FAN_IN) {
                    let run = copy_merged(file, group, end, &dir)?;
                    end += run.len;
                    merged.push(run);
                }
                runs = merged;
            }
        }
        Ok(Self {
            kind: Kind::Disk { file, runs, dir },
            spilled,
        })
    }

    /// Held events written to disk.
    pub(crate) fn spilled(&self) -> u64 {
        self.spilled
    }

    /// Visit every held event in the pass's order.
    pub(crate) fn scan(
        &self,
        mut visit: impl FnMut(Item<'_>) -> Result<(), HeldError>,
    ) -> Result<(), HeldError> {
        match &self.kind {
            Kind::Memory(items) => items
                .iter()
                .try_for_each(|h| visit(Item::Memory(&h.matched))),
            Kind::Disk { file: None, .. } => Ok(()),
            Kind::Disk {
                file: Some(file),
                runs,
                dir,
            } => {
                let mut merge = Merge::new(file, runs, dir)?;
                while let Some((key, run)) = merge.pop() {
                    let reader = &merge.readers[run];
                    let body = reader
                        .buf
                        .get(reader.body.clone())
                        .ok_or_else(|| damaged(dir, "merge"))?;
                    visit(Item::Disk {
                        key: &key,
                        body,
                        dir,
                    })?;
                    merge.advance(run)?;
                }
                Ok(())
            }
        }
    }
}

fn damaged(dir: &Path, what: &'static str) -> HeldError {
    HeldError::Damaged {
        dir: dir.to_path_buf(),
        what,
    }
}

/// Merge `runs` into one run written at `at`, copying the records as they are.
fn copy_merged(file: &Arc<File>, runs: &[Run], at: u64, dir: &Path) -> Result<Run, HeldError> {
    let mut merge = Merge::new(file, runs, dir)?;
    let mut out = Vec::with_capacity(READ_CHUNK * 2);
    let mut written = 0u64;
    while let Some((_, run)) = merge.pop() {
        let reader = &merge.readers[run];
        let record = reader
            .buf
            .get(reader.record.clone())
            .ok_or_else(|| damaged(dir, "merge"))?;
        out.extend_from_slice(record);
        if out.len() >= READ_CHUNK {
            write_all_at(file, &out, at + written, dir)?;
            written += out.len() as u64;
            out.clear();
        }
        merge.advance(run)?;
    }
    write_all_at(file, &out, at + written, dir)?;
    written += out.len() as u64;
    Ok(Run {
        start: at,
        len: written,
    })
}

/// The runs' current records, smallest key first.
struct Merge<'a> {
    readers: Vec<RunReader>,
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    dir: &'a Path,
}

impl<'a> Merge<'a> {
    fn new(file: &Arc<File>, runs: &[Run], dir: &'a Path) -> Result<Self, HeldError> {
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
            dir,
        };
        for run in 0..runs.len() {
            merge.advance(run)?;
        }
        Ok(merge)
    }

    /// The smallest current record's key and run; the record stays readable until `advance`.
    fn pop(&mut self) -> Option<(Key, usize)> {
        self.heap.pop().map(|Reverse(entry)| entry)
    }

    /// Read the run's next record and queue it.
    fn advance(&mut self, run: usize) -> Result<(), HeldError> {
        let Some(reader) = self.readers.get_mut(run) else {
            return Ok(());
        };
        if let Some(key) = reader.next_record(self.dir)? {
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
    fn next_record(&mut self, dir: &Path) -> Result<Option<Key>, HeldError> {
        if !self.fill(4, dir)? {
            return Ok(None);
        }
        let prefix: [u8; 4] = self
            .buf
            .get(self.at..self.at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| damaged(dir, "record length"))?;
        let len = codec::record_len(prefix);
        if !self.fill(4 + len, dir)? {
            return Err(damaged(dir, "truncated run"));
        }
        let start = self.at;
        let payload = self
            .buf
            .get(start + 4..start + 4 + len)
            .ok_or_else(|| damaged(dir, "truncated run"))?;
        let (key, body_at) = codec::decode_key(payload, &mut self.last_source)
            .map_err(|Damaged(what)| damaged(dir, what))?;
        self.record = start..start + 4 + len;
        self.body = start + 4 + body_at..start + 4 + len;
        self.at = start + 4 + len;
        Ok(Some(key))
    }

    /// Make `need` unread bytes available; false when the run ended cleanly before them.
    fn fill(&mut self, need: usize, dir: &Path) -> Result<bool, HeldError> {
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
            return Err(damaged(dir, "truncated run"));
        }
        self.buf.resize(have + take, 0);
        read_exact_at(&self.file, &mut self.buf[have..], self.next).map_err(|source| {
            HeldError::Read {
                dir: dir.to_path_buf(),
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
    dir: &Path,
) -> Result<(), HeldError> {
    write_at(file, buf, offset).map_err(|source| HeldError::Write {
        dir: dir.to_path_buf(),
        source,
    })
}
