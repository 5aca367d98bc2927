//! JSON lines: one record per non-blank line; a line holding an array or a `Records`/`value`/
//! `entries` wrapper expands to its elements (CloudTrail delivered through some shippers looks
//! like that, and so do saved Slack Audit Logs API pages).

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use serde_json::Value;

use crate::lines::{LineError, LineReader};
use crate::{DecodeError, DecodeErrorKind, DecodeLimits, Skipper};

pub(crate) struct JsonLines {
    source: Arc<str>,
    lines: LineReader,
    record: u64,
    limits: DecodeLimits,
    skipper: Skipper,
    pending: VecDeque<Result<RawRecord, DecodeError>>,
}

impl JsonLines {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        limits: DecodeLimits,
        skipper: Skipper,
    ) -> Self {
        Self {
            source,
            lines: LineReader::new(reader, limits.max_record_bytes),
            record: 0,
            limits,
            skipper,
            pending: VecDeque::new(),
        }
    }
}

/// The location of the next record, on `line`; counts it.
fn locate(source: &Arc<str>, record: &mut u64, line: u64) -> Location {
    let loc = Location::new(Arc::clone(source), *record).with_line(line);
    *record += 1;
    loc
}

/// Elements of a wrapper (`Records`/`value`/`entries` array) or array; `None` for a plain record.
pub(crate) fn unwrap_container(value: &mut Value) -> Option<Vec<Value>> {
    match value {
        Value::Array(items) => Some(std::mem::take(items)),
        Value::Object(map) => {
            for key in ["Records", "value", "entries"] {
                if matches!(map.get(key), Some(Value::Array(_)))
                    && map.len() <= 3
                    && let Some(Value::Array(items)) = map.remove(key)
                {
                    return Some(items);
                }
            }
            None
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
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let line = match self.lines.next_line()? {
                Ok(line) => line,
                Err(LineError::TooLong { number }) => {
                    let loc = locate(&self.source, &mut self.record, number);
                    return Some(Err(DecodeError::new(
                        loc,
                        DecodeErrorKind::RecordTooLarge {
                            limit: self.limits.max_record_bytes,
                        },
                    )));
                }
                Err(LineError::Io { number, message }) => {
                    let loc = locate(&self.source, &mut self.record, number);
                    return Some(Err(DecodeError::new(
                        loc,
                        DecodeErrorKind::Truncated(message),
                    )));
                }
            };
            if line.bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if self.skipper.skips(line.bytes) {
                // Keep record numbers what they would be without the prefilter.
                self.record += 1;
                continue;
            }
            if depth_exceeds(line.bytes, self.limits.max_depth) {
                let loc = locate(&self.source, &mut self.record, line.number);
                return Some(Err(DecodeError::new(
                    loc,
                    DecodeErrorKind::TooDeep {
                        limit: self.limits.max_depth,
                    },
                )));
            }
            match crate::error::parse_json(line.bytes) {
                Ok(mut value) => match unwrap_container(&mut value) {
                    Some(items) => {
                        for body in items {
                            let location = locate(&self.source, &mut self.record, line.number);
                            self.pending.push_back(Ok(RawRecord { location, body }));
                        }
                    }
                    None => {
                        let location = locate(&self.source, &mut self.record, line.number);
                        return Some(Ok(RawRecord {
                            location,
                            body: value,
                        }));
                    }
                },
                Err(kind) => {
                    let loc = locate(&self.source, &mut self.record, line.number);
                    return Some(Err(DecodeError::new(loc, kind)));
                }
            }
        }
    }
}
