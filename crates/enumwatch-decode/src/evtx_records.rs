//! EVTX through the `evtx` crate: each record becomes the crate's JSON rendering (the same as
//! `evtx_dump -o json`), located by its `EventRecordID`. That text goes through the literal
//! prefilter and the depth limit before it is parsed, as a JSON line does. Before that, a whole
//! chunk whose stored text (UTF-16 strings) holds no literal of a selected rule is not rendered
//! at all (`Skipper::skips_evtx_chunk`): rendering is most of the cost of reading EVTX.
//!
//! The parser seeks (a log that has wrapped around starts at its oldest chunk, anywhere in the
//! file): a file on disk is read from a second, seekable handle a chunk at a time; any other
//! stream (standard input, a gzip member) is first read into memory. Records are rendered a few
//! chunks at a time as they are asked for, so a multi-gigabyte Security log never exists as JSON
//! all at once. On a rayon pool of more than one worker, the
//! chunks of one batch render in parallel (a worker waiting on them helps) while the next batch
//! is read, and come out in file order.

use std::collections::VecDeque;
use std::io::{BufRead, Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use evtx::err::EvtxError;
use evtx::{EvtxChunkData, EvtxParser, IntoIterChunks, ParserSettings};
use rayon::prelude::*;
use serde_json::Value;

use crate::{DecodeError, DecodeErrorKind, SeekRead, Skipper};

/// One record of a rendered chunk.
enum Rendered {
    /// Its shown record id and JSON.
    Record(u64, Value),
    /// Its JSON text holds no literal of a selected rule: left unparsed, but numbered.
    Skipped,
    /// This many records of a chunk whose text holds no literal of a selected rule: not even
    /// rendered, but numbered.
    SkippedChunk(u64),
    /// Why a record or chunk could not be rendered.
    Failed(DecodeErrorKind),
}

/// One chunk as read from the file, not yet parsed.
type ChunkRead = Result<EvtxChunkData, EvtxError>;

/// Chunks rendered per batch and worker thread: enough that a batch's fork and join cost little
/// beside its chunks (a log of sparse chunks, one record each, rendered 2 per thread on two
/// threads took 0.18–0.23 s against 0.15–0.20 s at 8), few enough that a batch of full 64 KiB
/// chunks (a few hundred records each) stays small.
const CHUNKS_PER_THREAD: usize = 8;
/// At most this many chunks per batch, however many workers: a batch of full chunks rendered is
/// some tens of MiB, and the next batch is read while it renders.
const MAX_BATCH_CHUNKS: usize = 32;

/// Chunks per batch on a pool of `workers` threads.
pub(crate) fn batch_chunks(workers: usize) -> usize {
    match workers {
        0 | 1 => 1,
        _ => (workers * CHUNKS_PER_THREAD).min(MAX_BATCH_CHUNKS),
    }
}

pub(crate) struct EvtxRecords {
    source: Arc<str>,
    chunks: Option<IntoIterChunks<Box<dyn SeekRead>>>,
    settings: Arc<ParserSettings>,
    /// The literal prefilter, asked about each record's JSON text before it is parsed.
    skipper: Skipper,
    ready: VecDeque<Rendered>,
    /// Chunks read while the batch before them rendered, to render next.
    ahead: Option<Vec<ChunkRead>>,
    /// The decoder's item count so far: an item's location.
    next: u64,
    /// Why the input ends early (a read error, a cut-short file), reported after every record
    /// read before it.
    read_error: Option<String>,
}

const FILE_HEADER: u64 = 4096;
const CHUNK: u64 = 65536;

/// What a file of `len` bytes whose header counts `counted` chunks lost at its end, if it was cut
/// short. The `evtx` crate reads whole chunks only and stops, without a word, before a partial
/// last one. A chunk count the file is too short for also means a cut (Windows counts the chunks
/// it wrote; the 16-bit count wraps past 65,535 chunks, 4 GiB, so it is trusted below that).
fn cut_short(len: u64, counted: u16, tail_is_zero: impl FnOnce(u64) -> bool) -> Option<String> {
    let body = len.checked_sub(FILE_HEADER)?;
    let (whole, partial) = (body / CHUNK, body % CHUNK);
    if partial > 0 && !tail_is_zero(FILE_HEADER + whole * CHUNK) {
        return Some(format!(
            "the file ends {partial} bytes into chunk number {whole} (numbered from 0; chunks are 65,536 \
             bytes), so that chunk's records were not read; re-copy or re-export the log"
        ));
    }
    (u64::from(counted) > whole && partial == 0).then(|| {
        format!(
            "the file header counts {counted} chunks but the file holds {whole}, so the records \
             of the missing chunks were not read; re-copy or re-export the log"
        )
    })
}

/// Whether every byte of `file` from `offset` on is zero (padding, not a cut chunk); an
/// unreadable tail counts as not zero.
fn zero_from(file: &mut dyn SeekRead, offset: u64) -> bool {
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(offset)).is_ok()
        && file.read_to_end(&mut tail).is_ok()
        && tail.iter().all(|&b| b == 0)
}

pub(crate) fn records(
    source: Arc<str>,
    mut reader: Box<dyn BufRead + Send>,
    seekable: Option<Box<dyn SeekRead>>,
    skipper: Skipper,
) -> EvtxRecords {
    let (mut bytes, mut read_error): (Box<dyn SeekRead>, _) = match seekable {
        Some(file) => (file, None),
        None => {
            let mut bytes = Vec::new();
            let error = reader.read_to_end(&mut bytes).err().map(|e| e.to_string());
            (Box::new(Cursor::new(bytes)), error)
        }
    };
    let settings = Arc::new(ParserSettings::new().num_threads(1));
    let mut ready = VecDeque::new();
    let len = bytes.seek(SeekFrom::End(0)).ok();
    let rewound = bytes.seek(SeekFrom::Start(0)).is_ok();
    let mut header_counted = None;
    if let (Some(len), true) = (len, rewound) {
        let mut header = [0u8; 44];
        if bytes.read_exact(&mut header).is_ok() && header.starts_with(b"ElfFile\0") {
            header_counted = Some((len, u16::from_le_bytes([header[42], header[43]])));
        }
    }
    let cut = header_counted.and_then(|(len, counted)| {
        cut_short(len, counted, |offset| zero_from(&mut *bytes, offset))
    });
    // A read error already says why the stream ends early.
    read_error = read_error.or(cut);
    let opened = match bytes.seek(SeekFrom::Start(0)) {
        Ok(_) => EvtxParser::from_read_seek(bytes),
        Err(err) => Err(EvtxError::from(evtx::err::DeserializationError::from(err))),
    };
    let chunks = match opened {
        Ok(parser) => Some(parser.with_configuration((*settings).clone()).into_chunks()),
        Err(err) => {
            ready.push_back(Rendered::Failed(DecodeErrorKind::EvtxRecord(format!(
                "cannot open the EVTX file: {}",
                with_causes(&err)
            ))));
            None
        }
    };
    EvtxRecords {
        source,
        chunks,
        settings,
        skipper,
        ready,
        ahead: None,
        next: 0,
        read_error,
    }
}

impl EvtxRecords {
    /// Rendered items not yet taken.
    #[cfg(test)]
    pub(crate) fn buffered(&self) -> usize {
        self.ready.len()
    }

    /// Render the next batch of chunks into `ready`; false when no chunk is left.
    fn fill(&mut self) -> bool {
        let Some(chunks) = self.chunks.as_mut() else {
            return false;
        };
        // Only a pool's worker renders in parallel: on any other thread rayon would start its
        // global pool, a second set of threads beside the caller's pool.
        let workers = match rayon::current_thread_index() {
            Some(_) => rayon::current_num_threads(),
            None => 1,
        };
        let size = batch_chunks(workers);
        let batch = match self.ahead.take() {
            Some(batch) => batch,
            None => chunks.take(size).collect(),
        };
        if batch.is_empty() {
            self.chunks = None;
            return false;
        }
        let (settings, skipper) = (&self.settings, &self.skipper);
        let rendered: Vec<Vec<Rendered>> = if workers == 1 {
            batch
                .into_iter()
                .map(|c| render(c, settings, skipper))
                .collect()
        } else {
            // Reading is sequential: the next batch is read while this one renders.
            let (rendered, next) = rayon::join(
                || {
                    batch
                        .into_par_iter()
                        .map(|c| render(c, settings, skipper))
                        .collect()
                },
                || chunks.take(size).collect(),
            );
            self.ahead = Some(next);
            rendered
        };
        self.ready.extend(rendered.into_iter().flatten());
        true
    }
}

impl Iterator for EvtxRecords {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            while self.ready.is_empty() {
                if !self.fill() {
                    let message = self.read_error.take()?;
                    self.ready
                        .push_back(Rendered::Failed(DecodeErrorKind::Truncated(message)));
                }
            }
            let item = self.ready.pop_front()?;
            if let Rendered::SkippedChunk(records) = item {
                self.next += records;
                continue;
            }
            let location = Location::new(Arc::clone(&self.source), self.next);
            self.next += 1;
            return Some(match item {
                Rendered::Record(shown, body) => Ok(RawRecord {
                    location: location.with_record_id(shown),
                    body,
                }),
                Rendered::Skipped | Rendered::SkippedChunk(_) => continue,
                Rendered::Failed(kind) => Err(DecodeError::new(location, kind)),
            });
        }
    }
}

/// Every record of one chunk, as the crate's own record iterator renders them; a chunk that
/// cannot be read or parsed is one error.
fn render(chunk: ChunkRead, settings: &Arc<ParserSettings>, skipper: &Skipper) -> Vec<Rendered> {
    let failed = |err: &EvtxError| {
        vec![Rendered::Failed(DecodeErrorKind::EvtxRecord(with_causes(
            err,
        )))]
    };
    let mut data = match chunk {
        Ok(data) => data,
        Err(err) => return failed(&err),
    };
    if let Some(records) = skipper.skips_evtx_chunk(&data) {
        return vec![Rendered::SkippedChunk(records)];
    }
    let chunk_id = data.number.unwrap_or_default();
    let mut chunk = match data.parse(Arc::clone(settings)) {
        Ok(chunk) => chunk,
        Err(err) => {
            return failed(&EvtxError::FailedToParseChunk {
                chunk_id,
                source: Box::new(err),
            });
        }
    };
    chunk
        .iter()
        .map(|record| match record.and_then(|r| r.into_json_bytes()) {
            // The JSON-lines path's prefilter and parse, on the text `evtx_dump -o jsonl` prints:
            // a record no selected rule can match is not parsed at all.
            Ok(record) if skipper.skips(&record.data) => Rendered::Skipped,
            Ok(record) if crate::jsonl::depth_exceeds(&record.data, skipper.max_depth) => {
                Rendered::Failed(DecodeErrorKind::TooDeep {
                    limit: skipper.max_depth,
                })
            }
            Ok(record) => match crate::error::parse_json(&record.data) {
                Ok(body) => {
                    // The rendered `EventRecordID` is what Event Viewer shows; the chunk header
                    // id can differ in files re-exported from a larger log.
                    let shown = body["Event"]["System"]["EventRecordID"].as_u64();
                    Rendered::Record(shown.unwrap_or(record.event_record_id), body)
                }
                Err(kind) => Rendered::Failed(kind),
            },
            Err(err) => Rendered::Failed(DecodeErrorKind::EvtxRecord(with_causes(&err))),
        })
        .collect()
}

/// An evtx error with its causes: the crate's top-level message ("Failed to parse chunk number
/// 3") alone does not say what was wrong with the chunk.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let message = inner.to_string();
        if !text.contains(&message) {
            text.truncate(text.trim_end_matches('.').len());
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = inner.source();
    }
    text
}
