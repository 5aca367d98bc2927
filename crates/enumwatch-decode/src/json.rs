//! Streamed JSON documents: a byte scanner finds the bounds of each top-level element of an
//! array (or of the array inside a wrapper object: `WRAPPER_KEYS`, `LEADING_WRAPPER_KEYS`) and parses that
//! slice alone, so a multi-gigabyte export never becomes one tree and one bad element costs one
//! record.

use std::io::BufRead;
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};

use crate::{DecodeError, DecodeErrorKind, DecodeLimits};

/// A reader that hands out bytes one at a time and counts lines.
struct Bytes {
    reader: Box<dyn BufRead + Send>,
    line: u64,
}

impl Bytes {
    fn peek(&mut self) -> Result<Option<u8>, String> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => return Ok(buf.first().copied()),
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(format!("read error: {err}")),
            }
        }
    }

    fn bump(&mut self) -> Result<Option<u8>, String> {
        let b = self.peek()?;
        if let Some(b) = b {
            self.reader.consume(1);
            if b == b'\n' {
                self.line += 1;
            }
        }
        Ok(b)
    }

    /// Consume one array or object (the current byte is its `{` or `[`), a buffer at a time:
    /// byte-at-a-time reads through the `BufRead` cost more than the JSON parse itself. Inside
    /// strings the scan jumps from quote or backslash to the next with `memchr2`. Bytes go to
    /// `out` (when given) up to `max`; past it the value is marked too large and only scanned.
    fn scan_container(
        &mut self,
        mut out: Option<&mut Vec<u8>>,
        max: usize,
        max_depth: usize,
    ) -> Result<Scanned, String> {
        let mut scanned = Scanned::default();
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        loop {
            let buf = loop {
                match self.reader.fill_buf() {
                    Ok(buf) => break buf,
                    Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(format!("read error: {err}")),
                }
            };
            if buf.is_empty() {
                return Err("unexpected end of input inside a JSON value".to_owned());
            }
            let mut i = 0;
            let mut done = false;
            while i < buf.len() {
                if in_string {
                    if escaped {
                        escaped = false;
                        i += 1;
                        continue;
                    }
                    match memchr::memchr2(b'"', b'\\', buf.get(i..).unwrap_or_default()) {
                        Some(at) => {
                            i += at;
                            if buf.get(i) == Some(&b'\\') {
                                escaped = true;
                            } else {
                                in_string = false;
                            }
                            i += 1;
                        }
                        None => i = buf.len(),
                    }
                    continue;
                }
                match buf.get(i).copied().unwrap_or(b' ') {
                    b'"' => in_string = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > max_depth {
                            scanned.too_deep = true;
                        }
                    }
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            let chunk = buf.get(..i).unwrap_or_default();
            self.line += memchr::memchr_iter(b'\n', chunk).count() as u64;
            if let Some(out) = out.as_deref_mut()
                && !scanned.too_large
            {
                if out.len() + chunk.len() > max {
                    scanned.too_large = true;
                } else {
                    out.extend_from_slice(chunk);
                }
            }
            self.reader.consume(i);
            if done {
                return Ok(scanned);
            }
        }
    }

    fn skip_ws(&mut self) -> Result<Option<u8>, String> {
        while let Some(b) = self.peek()? {
            if b.is_ascii_whitespace() {
                self.bump()?;
            } else {
                return Ok(Some(b));
            }
        }
        Ok(None)
    }
}

/// What scanning one container found besides its bytes.
#[derive(Default)]
struct Scanned {
    too_large: bool,
    too_deep: bool,
}

enum State {
    TopLevel,
    InArray { wrapper: bool },
    Done,
}

/// Outcome of capturing one value.
enum Captured {
    Value(Vec<u8>),
    TooLarge,
    TooDeep,
}

pub(crate) struct JsonDocument {
    source: Arc<str>,
    bytes: Bytes,
    record: u64,
    limits: DecodeLimits,
    skipper: crate::Skipper,
    state: State,
    /// Records of an element that held several (an Athena result page's rows), after its first.
    pending: std::collections::VecDeque<Result<RawRecord, DecodeError>>,
}

impl JsonDocument {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        limits: DecodeLimits,
        skipper: crate::Skipper,
    ) -> Self {
        Self {
            source,
            bytes: Bytes { reader, line: 1 },
            record: 0,
            limits,
            skipper,
            state: State::TopLevel,
            pending: std::collections::VecDeque::new(),
        }
    }

    fn location(&mut self, line: u64) -> Location {
        let loc = Location::new(Arc::clone(&self.source), self.record).with_line(line);
        self.record += 1;
        loc
    }

    /// Capture the bytes of one value starting at the current (non-whitespace) byte.
    fn capture(&mut self, keep: bool) -> Result<Captured, String> {
        let max = self.limits.max_record_bytes;
        let mut out = Vec::new();
        let mut too_large = false;
        let mut too_deep = false;
        let push = |out: &mut Vec<u8>, b: u8, too_large: &mut bool| {
            if keep && !*too_large {
                if out.len() >= max {
                    *too_large = true;
                    out.clear();
                } else {
                    out.push(b);
                }
            }
        };
        let first = self.bytes.peek()?.ok_or("unexpected end of input")?;
        match first {
            b'{' | b'[' => {
                let scanned = self.bytes.scan_container(
                    keep.then_some(&mut out),
                    max,
                    self.limits.max_depth,
                )?;
                too_large = scanned.too_large;
                too_deep = scanned.too_deep;
                if too_large {
                    out.clear();
                }
            }
            b'"' => {
                self.bytes.bump()?;
                push(&mut out, b'"', &mut too_large);
                let mut escaped = false;
                loop {
                    let b = self
                        .bytes
                        .bump()?
                        .ok_or("unexpected end of input inside a string")?;
                    push(&mut out, b, &mut too_large);
                    match (escaped, b) {
                        (true, _) => escaped = false,
                        (false, b'\\') => escaped = true,
                        (false, b'"') => break,
                        _ => {}
                    }
                }
            }
            _ => {
                // A stray `]`, `}` or `,` still moves the scanner forward by one byte.
                if matches!(first, b',' | b']' | b'}') {
                    self.bytes.bump()?;
                    push(&mut out, first, &mut too_large);
                }
                while let Some(b) = self.bytes.peek()? {
                    if b.is_ascii_whitespace() || matches!(b, b',' | b']' | b'}') {
                        break;
                    }
                    self.bytes.bump()?;
                    push(&mut out, b, &mut too_large);
                }
            }
        }
        Ok(if too_large {
            Captured::TooLarge
        } else if too_deep {
            Captured::TooDeep
        } else {
            Captured::Value(out)
        })
    }

    /// Read a JSON string key at the current `"`.
    fn read_key(&mut self) -> Result<Vec<u8>, String> {
        match self.capture(true)? {
            Captured::Value(bytes) if bytes.first() == Some(&b'"') => Ok(bytes),
            _ => Err("expected an object key".to_owned()),
        }
    }

    /// Scan an object at top level: either it is a wrapper (`WRAPPER_KEYS`: enter its
    /// array) or it is one record (returned whole).
    fn object(
        &mut self,
        start_line: u64,
    ) -> Result<Option<Result<RawRecord, DecodeError>>, String> {
        let mut buf = vec![b'{'];
        self.bytes.bump()?;
        loop {
            match self.bytes.skip_ws()? {
                Some(b'}') => {
                    self.bytes.bump()?;
                    buf.push(b'}');
                    return Ok(self.parse(buf, start_line));
                }
                Some(b'"') => {}
                Some(other) => {
                    return Err(format!("expected a key or `}}`, found `{}`", other as char));
                }
                None => return Err("unexpected end of input inside an object".to_owned()),
            }
            let key = self.read_key()?;
            if self.bytes.skip_ws()? != Some(b':') {
                return Err("expected `:` after an object key".to_owned());
            }
            self.bytes.bump()?;
            let next = self.bytes.skip_ws()?;
            if crate::is_wrapper_key(&key, buf.len() == 1) && next == Some(b'[') {
                self.bytes.bump()?;
                self.state = State::InArray { wrapper: true };
                return Ok(None);
            }
            buf.extend_from_slice(&key);
            buf.push(b':');
            match self.capture(true)? {
                Captured::Value(bytes) => buf.extend_from_slice(&bytes),
                Captured::TooLarge => {
                    self.skip_object_rest()?;
                    let loc = self.location(start_line);
                    return Ok(Some(Err(DecodeError::new(
                        loc,
                        DecodeErrorKind::RecordTooLarge {
                            limit: self.limits.max_record_bytes,
                        },
                    ))));
                }
                Captured::TooDeep => {
                    self.skip_object_rest()?;
                    let loc = self.location(start_line);
                    return Ok(Some(Err(DecodeError::new(
                        loc,
                        DecodeErrorKind::TooDeep {
                            limit: self.limits.max_depth,
                        },
                    ))));
                }
            }
            if buf.len() > self.limits.max_record_bytes {
                self.skip_object_rest()?;
                let loc = self.location(start_line);
                return Ok(Some(Err(DecodeError::new(
                    loc,
                    DecodeErrorKind::RecordTooLarge {
                        limit: self.limits.max_record_bytes,
                    },
                ))));
            }
            match self.bytes.skip_ws()? {
                Some(b',') => {
                    self.bytes.bump()?;
                    buf.push(b',');
                }
                Some(b'}') => {}
                _ => return Err("expected `,` or `}` in an object".to_owned()),
            }
        }
    }

    /// After a wrapper's array or an oversized member: skip to the end of the enclosing object.
    fn skip_object_rest(&mut self) -> Result<(), String> {
        loop {
            match self.bytes.skip_ws()? {
                Some(b'}') => {
                    self.bytes.bump()?;
                    return Ok(());
                }
                Some(b',' | b':') => {
                    self.bytes.bump()?;
                }
                Some(_) => {
                    self.capture(false)?;
                }
                None => return Ok(()),
            }
        }
    }

    /// The record an element holds, or the first of the rows of an Athena result page (the
    /// others wait in `pending`; a page without rows holds no record).
    fn parse(&mut self, bytes: Vec<u8>, line: u64) -> Option<Result<RawRecord, DecodeError>> {
        let mut body = match crate::error::parse_json(&bytes) {
            Ok(body) => body,
            Err(kind) => return Some(Err(DecodeError::new(self.location(line), kind))),
        };
        if let Some(rows) = crate::result_set::rows(&mut body) {
            let mut rows = rows.into_iter().map(|row| {
                let location = self.location(line);
                match crate::embedded::unwrap_embedded(row, self.limits.max_depth) {
                    Ok(body) => Ok(RawRecord { location, body }),
                    Err(kind) => Err(DecodeError::new(location, kind)),
                }
            });
            let first = rows.next();
            let rest: Vec<_> = rows.collect();
            self.pending.extend(rest);
            return first;
        }
        let location = self.location(line);
        Some(
            match crate::embedded::unwrap_embedded(body, self.limits.max_depth) {
                Ok(body) => Ok(RawRecord { location, body }),
                Err(kind) => Err(DecodeError::new(location, kind)),
            },
        )
    }

    fn step(&mut self) -> Result<Option<Result<RawRecord, DecodeError>>, String> {
        loop {
            match self.state {
                State::Done => return Ok(None),
                State::TopLevel => {
                    let Some(b) = self.bytes.skip_ws()? else {
                        self.state = State::Done;
                        return Ok(None);
                    };
                    let line = self.bytes.line;
                    match b {
                        b'[' => {
                            self.bytes.bump()?;
                            self.state = State::InArray { wrapper: false };
                        }
                        b'{' => {
                            if let Some(item) = self.object(line)? {
                                return Ok(Some(item));
                            }
                        }
                        _ => match self.capture(true)? {
                            Captured::Value(bytes) => {
                                if let Some(item) = self.parse(bytes, line) {
                                    return Ok(Some(item));
                                }
                            }
                            _ => {
                                return Ok(Some(Err(DecodeError::new(
                                    self.location(line),
                                    DecodeErrorKind::InvalidJson(
                                        "unexpected top-level value".into(),
                                    ),
                                ))));
                            }
                        },
                    }
                }
                State::InArray { wrapper } => {
                    let mut next = self.bytes.skip_ws()?;
                    while next == Some(b',') {
                        self.bytes.bump()?;
                        next = self.bytes.skip_ws()?;
                    }
                    match next {
                        None => return Err("unexpected end of input inside an array".to_owned()),
                        Some(b']') => {
                            self.bytes.bump()?;
                            if wrapper {
                                self.skip_object_rest()?;
                            }
                            self.state = State::TopLevel;
                        }
                        Some(_) => {
                            let line = self.bytes.line;
                            let limit = self.limits.max_record_bytes;
                            let depth = self.limits.max_depth;
                            let captured = self.capture(true)?;
                            if let Captured::Value(bytes) = &captured
                                && self.skipper.skips(bytes)
                            {
                                self.record += 1;
                                continue;
                            }
                            return Ok(Some(match captured {
                                Captured::Value(bytes) => match self.parse(bytes, line) {
                                    Some(item) => item,
                                    None => continue,
                                },
                                Captured::TooLarge => Err(DecodeError::new(
                                    self.location(line),
                                    DecodeErrorKind::RecordTooLarge { limit },
                                )),
                                Captured::TooDeep => Err(DecodeError::new(
                                    self.location(line),
                                    DecodeErrorKind::TooDeep { limit: depth },
                                )),
                            }));
                        }
                    }
                }
            }
        }
    }
}

impl Iterator for JsonDocument {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(record) = self.pending.pop_front() {
            return Some(record);
        }
        match self.step() {
            Ok(item) => item,
            Err(message) => {
                self.state = State::Done;
                let line = self.bytes.line;
                let loc = self.location(line);
                let kind = if message.contains("end of input") || message.starts_with("read error")
                {
                    DecodeErrorKind::Truncated(message)
                } else {
                    DecodeErrorKind::InvalidJson(message)
                };
                Some(Err(DecodeError::new(loc, kind)))
            }
        }
    }
}
