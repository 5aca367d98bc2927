//! JSON lines: one record per non-blank line; a line holding an array or a `Records`/`value`/
//! `entries`/`Events`/`logEvents` wrapper (or a leading `events`/`records`) expands to its elements
//! (CloudTrail delivered through some shippers looks like that, and so do saved Slack Audit Logs
//! API pages, `lookup-events` and `filter-log-events` pages, CloudWatch Logs subscription
//! payloads and Azure Event Hubs messages).
//!
//! Decoding a line (prefilter, well-formedness check, parse) depends on that line alone, so it
//! is split from numbering its records, which depends on every line before it: `LineBatches`
//! lets a caller read lines in order, decode a batch's lines on several threads, and number them
//! in order again, with exactly the records and errors the sequential iterator gives.

use std::collections::VecDeque;
use std::io::BufRead;
use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use enumwatch_event::{Location, RawRecord};
use serde_json::Value;

use crate::lines::{LineError, LineReader};
use crate::{DecodeError, DecodeErrorKind, DecodeLimits, Format, Skipper};

/// One decoded record, or why a record could not be decoded.
type Item = Result<RawRecord, DecodeError>;

pub(crate) struct JsonLines {
    framer: LineFramer,
    decoder: LineDecoder,
    numbering: LineNumbering,
}

/// Reads an input's lines in order (the part of decoding that cannot be shared).
pub struct LineFramer(LineReader);

/// What decoding one line needs: shareable between threads, unlike the reader.
pub struct LineDecoder {
    limits: DecodeLimits,
    skipper: Skipper,
}

/// Gives decoded lines their records' locations, in input order.
pub struct LineNumbering {
    source: Arc<str>,
    record: u64,
    max_record_bytes: usize,
    pending: VecDeque<Item>,
}

impl JsonLines {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        limits: DecodeLimits,
        skipper: Skipper,
    ) -> Self {
        Self {
            framer: LineFramer(LineReader::new(reader, limits.max_record_bytes)),
            numbering: LineNumbering {
                source,
                record: 0,
                max_record_bytes: limits.max_record_bytes,
                pending: VecDeque::new(),
            },
            decoder: LineDecoder { limits, skipper },
        }
    }
}

impl LineNumbering {
    /// The records (or error) of line `line`, numbered after those before it, onto `pending`.
    fn push(&mut self, line: u64, outcome: Outcome) {
        match outcome {
            Outcome::Blank => {}
            // Keep record numbers what they would be without the prefilter.
            Outcome::Skipped => self.record += 1,
            Outcome::Records(bodies) => {
                for body in bodies {
                    let location = locate(&self.source, &mut self.record, line);
                    self.pending.push_back(match body {
                        Ok(body) => Ok(RawRecord { location, body }),
                        Err(kind) => Err(DecodeError::new(location, kind)),
                    });
                }
            }
            Outcome::Failed(kind) => {
                let location = locate(&self.source, &mut self.record, line);
                self.pending
                    .push_back(Err(DecodeError::new(location, kind)));
            }
        }
    }

    /// The error a line that could not be framed stands for.
    fn framing(&mut self, error: &LineError) -> Item {
        let (number, kind) = match error {
            LineError::TooLong { number } => (
                *number,
                DecodeErrorKind::RecordTooLarge {
                    limit: self.max_record_bytes,
                },
            ),
            LineError::Io { number, message } => {
                (*number, DecodeErrorKind::Truncated(message.clone()))
            }
        };
        Err(DecodeError::new(
            locate(&self.source, &mut self.record, number),
            kind,
        ))
    }

    /// The records and errors of `batch`, given each line's `outcomes` in order (`decoder`
    /// decodes the lines left for later): exactly what the sequential decoder yields for them.
    pub fn number(
        &mut self,
        batch: LineBatch,
        outcomes: Vec<LineOutcome>,
        decoder: &LineDecoder,
    ) -> Vec<Item> {
        let mut items = Vec::with_capacity(outcomes.len());
        for ((line, framed), LineOutcome(decoded)) in batch.lines.into_iter().zip(outcomes) {
            match (framed, decoded) {
                (Err(err), _) => items.push(self.framing(&err)),
                (Ok(_), Some(decoded)) => self.push(line, decoded),
                (Ok(range), None) => {
                    self.push(
                        line,
                        decoder.line(batch.bytes.get(range).unwrap_or_default()),
                    );
                }
            }
            items.extend(self.pending.drain(..));
        }
        items
    }
}

impl LineFramer {
    /// Up to `max_bytes` of lines (at least one line), or `None` at the end of the input.
    pub fn read(&mut self, max_bytes: usize) -> Option<LineBatch> {
        let mut batch = LineBatch {
            bytes: Vec::new(),
            lines: Vec::new(),
        };
        while batch.bytes.len() < max_bytes {
            let Some(line) = self.0.next_line() else {
                break;
            };
            match line {
                Ok(line) => {
                    let start = batch.bytes.len();
                    batch.bytes.extend_from_slice(line.bytes);
                    batch
                        .lines
                        .push((line.number, Ok(start..batch.bytes.len())));
                }
                Err(err) => {
                    let number = match &err {
                        LineError::TooLong { number } | LineError::Io { number, .. } => *number,
                    };
                    batch.lines.push((number, Err(err)));
                }
            }
        }
        (!batch.lines.is_empty()).then_some(batch)
    }
}

/// What one line comes to before its records are numbered.
enum Outcome {
    Blank,
    /// The prefilter rejected it (and counted it).
    Skipped,
    /// Its record, or the elements of its array or wrapper (possibly none); an element may be
    /// an event-history entry whose embedded record is malformed (`embedded`).
    Records(Vec<Result<Value, DecodeErrorKind>>),
    Failed(DecodeErrorKind),
}

/// Decode one line's bytes; depends on nothing but the line.
fn outcome(bytes: &[u8], skipper: &Skipper, limits: &DecodeLimits) -> Outcome {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Outcome::Blank;
    }
    if skipper.skips(bytes) {
        return Outcome::Skipped;
    }
    if depth_exceeds(bytes, limits.max_depth) {
        return Outcome::Failed(DecodeErrorKind::TooDeep {
            limit: limits.max_depth,
        });
    }
    match crate::error::parse_json(bytes) {
        Ok(mut value) => {
            let items = unwrap_container(&mut value).unwrap_or_else(|| vec![value]);
            Outcome::Records(
                items
                    .into_iter()
                    .map(|item| crate::embedded::unwrap_embedded(item, limits.max_depth))
                    .collect(),
            )
        }
        Err(kind) => Outcome::Failed(kind),
    }
}

/// A JSON-lines decoder taken apart: `read` frames lines in order, `outcome` decodes one line
/// (from any thread), `number` gives a batch's records their locations, in order.
pub struct LineBatches {
    lines: JsonLines,
    skipped: Arc<AtomicU64>,
}

/// Lines read but not yet decoded: their bytes back to back, and per line its number and where
/// its bytes are, or the framing error that stands for it.
pub struct LineBatch {
    bytes: Vec<u8>,
    lines: Vec<(u64, Result<Range<usize>, LineError>)>,
}

impl LineBatch {
    /// Lines in the batch.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// One line of a batch, decoded but not numbered.
pub struct LineOutcome(Option<Outcome>);

impl LineOutcome {
    /// A line left undecoded: `LineBatches::number` decodes it itself.
    pub fn later() -> LineOutcome {
        LineOutcome(None)
    }
}

impl LineDecoder {
    /// Line `i` of `batch`, decoded (prefilter, check, parse).
    pub fn outcome(&self, batch: &LineBatch, i: usize) -> LineOutcome {
        match batch.lines.get(i) {
            Some((_, Ok(range))) => LineOutcome(Some(
                self.line(batch.bytes.get(range.clone()).unwrap_or_default()),
            )),
            _ => LineOutcome(None),
        }
    }

    fn line(&self, bytes: &[u8]) -> Outcome {
        outcome(bytes, &self.skipper, &self.limits)
    }
}

impl LineBatches {
    pub(crate) fn new(lines: JsonLines, skipped: Arc<AtomicU64>) -> Self {
        Self { lines, skipped }
    }

    /// The three parts, to use at once: reading the next batch, decoding one (from any
    /// thread) and numbering one.
    pub fn parts(&mut self) -> (&mut LineFramer, &LineDecoder, &mut LineNumbering) {
        let JsonLines {
            framer,
            decoder,
            numbering,
        } = &mut self.lines;
        (framer, decoder, numbering)
    }

    /// Records the prefilter rejected so far.
    pub fn prefiltered(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// Always JSON lines.
    pub fn format(&self) -> Format {
        Format::JsonLines
    }
}

/// The location of the next record, on `line`; counts it.
fn locate(source: &Arc<str>, record: &mut u64, line: u64) -> Location {
    let loc = Location::new(Arc::clone(source), *record).with_line(line);
    *record += 1;
    loc
}

/// Elements of a wrapper or array; `None` for a plain record. A wrapper is an object of at most
/// three members, one of them a `WRAPPER_KEYS` array (or a `LEADING_WRAPPER_KEYS` one as the first,
/// beside up to three page tokens), or a CloudWatch Logs subscription payload (its `logEvents`
/// beside `messageType` and four more): a record with more members keeps its own arrays.
pub(crate) fn unwrap_container(value: &mut Value) -> Option<Vec<Value>> {
    if let Some(rows) = crate::result_set::rows(value) {
        return Some(rows);
    }
    match value {
        Value::Array(items) => Some(std::mem::take(items)),
        // Most records have more members than any wrapper: no lookup for them.
        Value::Object(map) if map.len() <= 6 => {
            let is_array = |k: &str| matches!(map.get(k), Some(Value::Array(_)));
            let leading = map
                .keys()
                .next()
                .and_then(|first| crate::LEADING_WRAPPER_KEYS.into_iter().find(|k| k == first));
            let key = if let Some(leading) = leading
                && map.len() <= 4
                && is_array(leading)
            {
                leading
            } else {
                let payload = map.contains_key("messageType");
                crate::WRAPPER_KEYS
                    .into_iter()
                    .find(|&k| (map.len() <= 3 || (payload && k == "logEvents")) && is_array(k))?
            };
            match map.remove(key) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Nesting depth of the bytes of a JSON text (brackets outside strings).
pub(crate) fn depth_exceeds(bytes: &[u8], limit: usize) -> bool {
    // Nesting can never exceed the number of opening brackets; counting them is a SIMD scan,
    // so the byte-by-byte walk only runs on the rare bracket-heavy line.
    if memchr::memchr2_iter(b'{', b'[', bytes).count() <= limit {
        return false;
    }
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

impl Iterator for JsonLines {
    type Item = Item;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.numbering.pending.pop_front() {
                return Some(item);
            }
            match self.framer.0.next_line()? {
                Ok(line) => {
                    let outcome = self.decoder.line(line.bytes);
                    self.numbering.push(line.number, outcome);
                }
                Err(err) => return Some(self.numbering.framing(&err)),
            }
        }
    }
}
