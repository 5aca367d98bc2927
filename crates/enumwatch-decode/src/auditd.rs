//! Linux auditd text: the lines of one audit event (`msg=audit(<time>:<serial>)`) are grouped
//! into one record. Lines of different events may interleave; a group closes at `type=EOE`,
//! after 64 further lines, or at the end of input, and groups are emitted in the order of their
//! first line. Field values are kept exactly as written (quotes kept, hex not decoded).

use std::collections::VecDeque;
use std::io::BufRead;
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use serde_json::{Map, Value, json};

use crate::lines::{LineError, LineReader};
use crate::{DecodeError, DecodeErrorKind, DecodeLimits};

/// A group open for longer than this many lines is closed (EOE lines are optional).
const MAX_OPEN_LINES: u64 = 64;

struct Group {
    time: String,
    serial: String,
    first_line: u64,
    records: Vec<Value>,
    closed: bool,
}

/// Audit lines grouped into events, and the records and errors ready to be handed out, in the
/// order they became ready, numbered as they are handed out.
pub(crate) struct Grouper {
    source: Arc<str>,
    record: u64,
    open: VecDeque<Group>,
    ready: VecDeque<(u64, Result<Value, DecodeErrorKind>)>,
}

impl Grouper {
    pub(crate) fn new(source: Arc<str>) -> Self {
        Self {
            source,
            record: 0,
            open: VecDeque::new(),
            ready: VecDeque::new(),
        }
    }

    /// Close the groups open for too long by `current_line` (all of them at the end of input)
    /// and queue them, in the order of their first line.
    pub(crate) fn close(&mut self, current_line: u64, all: bool) {
        for group in &mut self.open {
            if all || current_line.saturating_sub(group.first_line) > MAX_OPEN_LINES {
                group.closed = true;
            }
        }
        while self.open.front().is_some_and(|g| g.closed) {
            if let Some(group) = self.open.pop_front() {
                let body = json!({"auditd": {
                    "time": group.time,
                    "serial": group.serial,
                    "records": group.records,
                }});
                self.ready.push_back((group.first_line, Ok(body)));
            }
        }
    }

    /// Queue a record or an error of line `line` behind what is ready.
    pub(crate) fn push(&mut self, line: u64, item: Result<Value, DecodeErrorKind>) {
        self.ready.push_back((line, item));
    }

    /// The next ready record or error, located at its line and numbered.
    pub(crate) fn pop(&mut self) -> Option<Result<RawRecord, DecodeError>> {
        let (line, item) = self.ready.pop_front()?;
        let location = Location::new(Arc::clone(&self.source), self.record).with_line(line);
        self.record += 1;
        Some(match item {
            Ok(body) => Ok(RawRecord { location, body }),
            Err(kind) => Err(DecodeError::new(location, kind)),
        })
    }

    /// Add an audit line to its event's group; false (nothing kept) when it is no audit line.
    pub(crate) fn take_line(&mut self, text: &str, number: u64) -> bool {
        let Some((kind, time, serial, fields)) = parse_line(text) else {
            return false;
        };
        let is_eoe = kind == "EOE";
        let idx = self
            .open
            .iter()
            .position(|g| g.time == time && g.serial == serial);
        let group = match idx.and_then(|i| self.open.get_mut(i)) {
            Some(group) => group,
            None => {
                self.open.push_back(Group {
                    time: time.to_owned(),
                    serial: serial.to_owned(),
                    first_line: number,
                    records: Vec::new(),
                    closed: false,
                });
                match self.open.back_mut() {
                    Some(group) => group,
                    None => return true,
                }
            }
        };
        if is_eoe {
            group.closed = true;
        } else {
            let mut map = Map::new();
            map.insert("type".to_owned(), Value::String(kind.to_owned()));
            for (key, value) in fields {
                map.insert(key.to_owned(), Value::String(value.to_owned()));
            }
            group.records.push(Value::Object(map));
        }
        true
    }
}

pub(crate) struct AuditGroups {
    lines: LineReader,
    groups: Grouper,
    limit: usize,
    eof: bool,
}

impl AuditGroups {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        limits: DecodeLimits,
    ) -> Self {
        Self {
            lines: LineReader::new(reader, limits.max_record_bytes),
            groups: Grouper::new(source),
            limit: limits.max_record_bytes,
            eof: false,
        }
    }
}

type ParsedLine<'a> = (&'a str, &'a str, &'a str, Vec<(&'a str, &'a str)>);

/// `type=X msg=audit(T:S): k=v …` → (X, T, S, fields). Anything before `type=` is ignored
/// (syslog headers).
fn parse_line(line: &str) -> Option<ParsedLine<'_>> {
    let start = line.find("type=")?;
    let rest = line.get(start + 5..)?;
    let kind_end = rest.find(char::is_whitespace)?;
    let kind = rest.get(..kind_end)?;
    let rest = rest.get(kind_end..)?.trim_start();
    let rest = rest.strip_prefix("msg=audit(")?;
    let close = rest.find(')')?;
    let stamp = rest.get(..close)?;
    let (time, serial) = stamp.split_once(':')?;
    let rest = rest.get(close + 1..)?;
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    Some((kind, time, serial, fields(rest)))
}

/// Split `k=v k="v w" k='v'` into pairs, keeping quotes in values.
fn fields(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest.get(..eq).unwrap_or_default().trim();
        let after = rest.get(eq + 1..).unwrap_or_default();
        let value_len = match after.chars().next() {
            Some(q @ ('"' | '\'')) => after
                .get(1..)
                .and_then(|s| s.find(q))
                .map_or(after.len(), |i| i + 2),
            _ => after.find(char::is_whitespace).unwrap_or(after.len()),
        };
        let value = after.get(..value_len).unwrap_or(after);
        if !key.is_empty() && !key.contains(char::is_whitespace) {
            out.push((key, value));
        }
        rest = after.get(value_len..).unwrap_or_default().trim_start();
    }
    out
}

impl Iterator for AuditGroups {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.groups.pop() {
                return Some(item);
            }
            if self.eof {
                return None;
            }
            match self.lines.next_line() {
                None => {
                    self.eof = true;
                    self.groups.close(u64::MAX, true);
                }
                Some(Err(LineError::TooLong { number })) => {
                    let limit = self.limit;
                    self.groups
                        .push(number, Err(DecodeErrorKind::RecordTooLarge { limit }));
                }
                Some(Err(LineError::Io { number, message })) => {
                    self.eof = true;
                    self.groups.close(u64::MAX, true);
                    self.groups
                        .push(number, Err(DecodeErrorKind::Truncated(message)));
                }
                Some(Ok(line)) => {
                    let number = line.number;
                    let text = String::from_utf8_lossy(line.bytes);
                    if !text.trim().is_empty() && !self.groups.take_line(&text, number) {
                        self.groups.push(
                            number,
                            Err(DecodeErrorKind::InvalidAuditd(
                                "no `type=` and `msg=audit(time:serial)` found".into(),
                            )),
                        );
                    }
                    self.groups.close(number, false);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_fields_keep_quotes_and_skip_syslog_headers() {
        let (kind, time, serial, f) = parse_line(
            "Jan  1 host audispd: type=EXECVE msg=audit(1715680000.120:90211): argc=2 a0=\"aws cli\" a1=69616D",
        )
        .unwrap();
        assert_eq!((kind, time, serial), ("EXECVE", "1715680000.120", "90211"));
        assert_eq!(
            f,
            vec![("argc", "2"), ("a0", "\"aws cli\""), ("a1", "69616D")]
        );
        assert!(parse_line("no audit here").is_none());
    }
}
