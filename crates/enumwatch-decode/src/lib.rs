//! Container formats to located raw records: JSON documents (streamed element by element, also
//! inside wrappers: `WRAPPER_KEYS`, `LEADING_WRAPPER_KEYS`), JSON lines, CSV with a header, EVTX,
//! Windows event XML, and auditd text grouped into events. A record held as a JSON string (an AWS CloudTrail
//! event-history entry's `CloudTrailEvent`, a CloudWatch Logs event's `message`) is handed out in
//! its holder's place (`embedded`).
//!
//! The format is sniffed from the content. Each record carries its `Location`; a record that
//! cannot be framed or parsed is a `DecodeError` at that location and reading goes on whenever
//! `can_continue()` holds. Decoders never interpret vendor fields — that is `enumwatch-normalize`.

mod auditd;
mod csv_rows;
mod elastic;
mod embedded;
mod error;
mod evtx_records;
mod json;
mod jsonl;
mod lines;
mod pubsub;
mod result_set;
mod sniff;
mod splunk;
mod syslog;
mod utf16;
mod valid;
mod value;
mod xml_events;

pub use valid::certainly_well_formed;

use std::io::{BufRead, Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use aho_corasick::packed;

use enumwatch_event::{Location, RawRecord, RecordPrefilter};

pub use error::{DecodeError, DecodeErrorKind};
pub use jsonl::{LineBatch, LineBatches, LineDecoder, LineFramer, LineNumbering, LineOutcome};
pub use sniff::{Format, sniff};

/// Keys whose array holds a wrapper object's records: CloudTrail's S3 objects (`Records`),
/// Microsoft Graph and OData pages (`value`), Slack Audit Logs API pages (`entries`), AWS
/// CloudTrail event history as `aws cloudtrail lookup-events` prints it (`Events`), CloudWatch
/// Logs subscription payloads (`logEvents`: what a subscription hands to Lambda, Kinesis or
/// Firehose, and Firehose writes to S3).
pub(crate) const WRAPPER_KEYS: [&str; 5] = ["Records", "value", "entries", "Events", "logEvents"];

/// Keys whose array holds the records only as an object's first member: the CloudWatch Logs
/// events of `aws logs filter-log-events` and `get-log-events` (`{"events": [...], "nextToken":
/// ...}`), and Azure Monitor resource logs as Event Hubs carry them (`{"records": [...]}`: Entra
/// ID, Microsoft Graph activity and every other diagnostic-settings log streamed to a SIEM).
/// Elsewhere they are a record's own members (a Google Workspace activity's `events`).
pub(crate) const LEADING_WRAPPER_KEYS: [&str; 2] = ["events", "records"];

/// Whether `quoted` (an object key as written, with its quotes) is one of `WRAPPER_KEYS`, or,
/// when `first` (the object's first member), of `LEADING_WRAPPER_KEYS`. Spelled out as patterns:
/// the well-formedness check asks this of every top-level member, and a comparison per key of
/// the list cost 7 % of a hunt that skips most records (`valid`).
#[inline(always)]
pub(crate) fn is_wrapper_key(quoted: &[u8], first: bool) -> bool {
    match quoted {
        b"\"Records\"" | b"\"value\"" | b"\"entries\"" | b"\"Events\"" | b"\"logEvents\"" => true,
        b"\"events\"" | b"\"records\"" => first,
        _ => false,
    }
}

/// Limits on what one record may cost.
#[derive(Debug, Clone)]
pub struct DecodeLimits {
    /// Longest line or JSON element accepted; longer ones are reported and skipped.
    pub max_record_bytes: usize,
    /// Deepest JSON nesting accepted.
    pub max_depth: usize,
    /// Asked about each JSON line, each element of a JSON array and each EVTX record's JSON
    /// rendering before it is parsed; what it rejects is skipped unparsed and counted
    /// (`Decoder::prefiltered`). CSV, Windows event XML and auditd ignore it.
    pub prefilter: Option<Arc<dyn RecordPrefilter>>,
    /// Skip a record the prefilter rejects only if it is certainly well-formed JSON (else parse
    /// it, so a malformed one is reported). Off, rejected records are skipped unchecked.
    pub check_skipped: bool,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self {
            max_record_bytes: 64 * 1024 * 1024,
            max_depth: 128,
            prefilter: None,
            check_skipped: true,
        }
    }
}

/// A decoder's prefilter and its count of skipped records.
#[derive(Clone)]
pub(crate) struct Skipper {
    filter: Option<Arc<dyn RecordPrefilter>>,
    skipped: Arc<AtomicU64>,
    max_depth: usize,
    check: bool,
    /// JSON lines, where a line may hold several records (an array or a wrapper): such a line is
    /// never skipped, so record numbers stay those of a run that parses every line.
    lines: bool,
}

impl Skipper {
    /// No prefilter: nothing is skipped.
    #[cfg(test)]
    pub(crate) fn inactive() -> Skipper {
        Skipper {
            filter: None,
            skipped: Arc::default(),
            max_depth: DecodeLimits::default().max_depth,
            check: true,
            lines: false,
        }
    }

    /// Whether `text` is to be skipped unparsed (and counted as such): the prefilter rejects it
    /// and it is well-formed. A malformed record the prefilter rejects is not skipped, so the
    /// parse it goes through reports it, located, exactly as without the prefilter.
    pub(crate) fn skips(&self, text: &[u8]) -> bool {
        match &self.filter {
            Some(filter)
                if !filter.admits(text)
                    && (!self.check || self.well_formed(text))
                    && (!self.lines || self.check || !may_hold_several(text)) =>
            {
                self.skipped.fetch_add(1, Ordering::Relaxed);
                true
            }
            _ => false,
        }
    }
}

impl Skipper {
    /// How many records of an EVTX chunk to skip unrendered (and count as skipped): all of them
    /// when the prefilter admits none of the chunk's text and the chunk's CRC32 checksums hold;
    /// `None` when it is to be rendered. A damaged chunk is always rendered, so that its damage
    /// is reported exactly as without the prefilter (the checksums stand in for the
    /// well-formedness check of skipped JSON, and are checked with it).
    pub(crate) fn skips_evtx_chunk(&self, chunk: &evtx::EvtxChunkData) -> Option<u64> {
        let filter = self.filter.as_ref()?;
        let header = &chunk.header;
        let count = header
            .last_event_record_number
            .checked_sub(header.first_event_record_number)?
            .checked_add(1)?;
        let intact =
            !header.flags.contains(evtx::ChunkFlags::NO_CRC32) && chunk.validate_checksum();
        // Past the free-space offset a chunk holds no record, string or template (the 512-byte
        // header before the records holds only offsets and checksums).
        let used = usize::try_from(header.free_space_offset).unwrap_or(usize::MAX);
        let stored = chunk.data.get(..used).unwrap_or(&chunk.data);
        // A chunk holds at most 65,536 bytes of records of 24 bytes or more.
        if count > 2_731 || (self.check && !intact) || filter.admits_evtx_chunk(stored) {
            return None;
        }
        self.skipped.fetch_add(count, Ordering::Relaxed);
        Some(count)
    }

    /// Whether `text` certainly parses, within the depth limit (`valid`), as one record; a text
    /// it is not sure of goes to the parse, which reports it if it is malformed.
    fn well_formed(&self, text: &[u8]) -> bool {
        // A text the check accepts nests at most `valid::MAX_DEPTH` deep: count only below it.
        (self.max_depth >= valid::MAX_DEPTH || !jsonl::depth_exceeds(text, self.max_depth))
            && if self.lines {
                valid::certainly_one_record(text)
            } else {
                valid::certainly_well_formed(text)
            }
    }
}

/// Without the check: whether a line may be an array or a wrapper of several records (its
/// first byte is `[`, or a wrapper key holds an array; a leading one as the first member), so
/// that skipping it could shift record
/// numbers. This runs on every line the prefilter rejects: the keys are found in one vectorized
/// pass with a searcher built once, and a key counts only before `:` and `[` (`"value"` alone is
/// in one CloudTrail record of ten, inside tags).
pub(crate) fn may_hold_several(text: &[u8]) -> bool {
    static SEARCHER: OnceLock<Option<packed::Searcher>> = OnceLock::new();
    let json_space = |b: &&u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let array_follows = |after: &[u8]| {
        let mut rest = after.iter().skip_while(json_space);
        rest.next() == Some(&b':') && rest.find(|b| !json_space(b)) == Some(&b'[')
    };
    let trimmed = text.trim_ascii_start();
    trimmed.first() == Some(&b'[')
        || trimmed
            .strip_prefix(b"{")
            .map(|rest| rest.trim_ascii_start())
            .and_then(|rest| {
                rest.strip_prefix(b"\"events\"")
                    .or_else(|| rest.strip_prefix(b"\"records\""))
            })
            .is_some_and(array_follows)
        || SEARCHER
            .get_or_init(|| packed::Searcher::new(WRAPPER_KEYS.map(|k| format!("\"{k}\""))))
            .as_ref()
            .is_none_or(|keys| {
                keys.find_iter(text)
                    .any(|key| array_follows(text.get(key.end()..).unwrap_or_default()))
            })
}

type RecordIter = Box<dyn Iterator<Item = Result<RawRecord, DecodeError>> + Send>;

/// Records of one input, in input order.
pub struct Decoder {
    format: Option<Format>,
    inner: Inner,
    skipped: Arc<AtomicU64>,
}

enum Inner {
    /// Kept apart so that `Decoder::into_line_batches` can decode its lines in parallel.
    Lines(Box<jsonl::JsonLines>),
    Other(RecordIter),
}

impl Decoder {
    /// The container format found, or `None` for empty input and unknown content.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// Records the prefilter rejected so far (skipped unparsed: no selected rule can match them).
    pub fn prefiltered(&self) -> u64 {
        self.skipped.load(Ordering::Relaxed)
    }

    /// A JSON-lines decoder as batches of lines to decode in parallel (`LineBatches`); any other
    /// decoder back as it is. Call it before taking any record.
    pub fn into_line_batches(self) -> Result<LineBatches, Decoder> {
        match self.inner {
            Inner::Lines(lines) => Ok(LineBatches::new(*lines, self.skipped)),
            inner @ Inner::Other(_) => Err(Decoder { inner, ..self }),
        }
    }
}

impl Iterator for Decoder {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Lines(lines) => lines.next(),
            Inner::Other(records) => records.next(),
        }
    }
}

/// The read buffer in front of the line reader: as large as the sources' (`enumwatch-ingest`).
const READ_BUFFER: usize = 256 * 1024;

/// How many leading bytes are looked at to sniff the format.
const SNIFF_BYTES: usize = 64 * 1024;

/// The same input as `decode`'s reader, readable at any offset (see `decode_seekable`).
pub trait SeekRead: std::io::Read + std::io::Seek + Send {}

impl<T: std::io::Read + std::io::Seek + Send> SeekRead for T {}

/// Decode `reader`, named `source` in every location. Empty input yields nothing and
/// `format()` is `None`; unknown content yields one `unknown_format` error.
pub fn decode(source: Arc<str>, reader: Box<dyn BufRead + Send>, limits: &DecodeLimits) -> Decoder {
    decode_seekable(source, reader, None, limits)
}

/// `decode`, with the same bytes as `seekable` for a format read by seeking: an EVTX file is
/// then read a chunk at a time from it, instead of whole into memory from `reader`.
pub fn decode_seekable(
    source: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    seekable: Option<Box<dyn SeekRead>>,
    limits: &DecodeLimits,
) -> Decoder {
    let mut reader = reader;
    let mut prefix = Vec::with_capacity(SNIFF_BYTES);
    if let Err(err) = read_prefix(&mut reader, &mut prefix) {
        // A stream that breaks within the first bytes (a truncated small gzip) still yields
        // every complete record before the break; the error comes after them.
        let tail: Box<dyn BufRead + Send> = Box::new(std::io::BufReader::new(Failing(Some(err))));
        reader = tail;
    }
    // UTF-16 exports (PowerShell 5.1 `Out-File`) are transcoded to UTF-8 as they are read.
    let (prefix, reader): (Vec<u8>, Box<dyn BufRead + Send>) = match utf16::detect(&prefix) {
        Some(found) => {
            let units = Cursor::new(prefix.get(found.bom_len..).unwrap_or_default().to_vec());
            let mut text: Box<dyn BufRead + Send> = Box::new(std::io::BufReader::with_capacity(
                READ_BUFFER,
                utf16::Utf16Reader::new(units.chain(reader), found.little_endian),
            ));
            let mut head = Vec::with_capacity(SNIFF_BYTES);
            if let Err(err) = read_prefix(&mut text, &mut head) {
                text = Box::new(std::io::BufReader::new(Failing(Some(err))));
            }
            let body = Cursor::new(head.clone()).chain(text);
            (
                head,
                Box::new(std::io::BufReader::with_capacity(READ_BUFFER, body)),
            )
        }
        None => {
            let skip_bom = prefix.starts_with(&[0xef, 0xbb, 0xbf]);
            let head = if skip_bom {
                prefix.get(3..).unwrap_or_default().to_vec()
            } else {
                prefix.clone()
            };
            let body = if skip_bom {
                prefix.get(3..).unwrap_or_default().to_vec()
            } else {
                prefix
            };
            // As large as the source's own buffer: past the sniffed prefix, reads of the whole
            // buffer bypass the source's (std's `BufReader` reads straight through when its
            // buffer is empty and the request is no smaller), so bytes are copied once, and a
            // line rarely straddles two fills (the line reader lends those it need not copy).
            (
                head,
                Box::new(std::io::BufReader::with_capacity(
                    READ_BUFFER,
                    Cursor::new(body).chain(reader),
                )),
            )
        }
    };
    let format = sniff(&prefix);
    let limits = limits.clone();
    let skipper = Skipper {
        filter: limits.prefilter.clone(),
        skipped: Arc::default(),
        max_depth: limits.max_depth,
        check: limits.check_skipped,
        lines: matches!(format, Some(Format::JsonLines)),
    };
    let skipped = Arc::clone(&skipper.skipped);
    let inner: RecordIter = match format {
        Some(Format::JsonLines) => {
            return Decoder {
                format,
                inner: Inner::Lines(Box::new(jsonl::JsonLines::new(
                    source, reader, limits, skipper,
                ))),
                skipped,
            };
        }
        Some(Format::Json) => Box::new(json::JsonDocument::new(source, reader, limits, skipper)),
        Some(Format::Csv) => Box::new(csv_rows::CsvRows::new(source, reader, limits.max_depth)),
        Some(Format::Evtx) => Box::new(evtx_records::records(source, reader, seekable, skipper)),
        Some(Format::Auditd) => Box::new(auditd::AuditGroups::new(source, reader, limits)),
        Some(Format::Xml) => Box::new(xml_events::XmlEvents::new(source, reader, &limits)),
        Some(Format::Syslog) => Box::new(syslog::SyslogEvents::new(source, reader, &limits)),
        None if prefix.iter().all(u8::is_ascii_whitespace) => Box::new(std::iter::empty()),
        None => Box::new(std::iter::once(Err(DecodeError::new(
            Location::new(source, 0),
            DecodeErrorKind::UnknownFormat(sniff::known_other(&prefix)),
        )))),
    };
    Decoder {
        format,
        inner: Inner::Other(inner),
        skipped,
    }
}

/// Read up to `SNIFF_BYTES`, keeping what was read when the stream fails.
fn read_prefix(reader: &mut Box<dyn BufRead + Send>, prefix: &mut Vec<u8>) -> std::io::Result<()> {
    let mut chunk = [0u8; 8192];
    while prefix.len() < SNIFF_BYTES {
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => prefix.extend_from_slice(chunk.get(..n).unwrap_or_default()),
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// A reader that fails once with a stored error, then reports end of input.
struct Failing(Option<std::io::Error>);

impl Read for Failing {
    fn read(&mut self, _buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(err) => Err(err),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_batches;
#[cfg(test)]
mod tests_corrupt;
#[cfg(test)]
mod tests_embedded;
#[cfg(test)]
mod tests_result_set;
