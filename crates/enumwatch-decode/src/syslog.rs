//! Syslog text holding Windows-event XML: Sysmon for Linux writes each event as one syslog
//! message (`Nov 18 14:33:22 host sysmon: <Event><System><Provider Name="Linux-Sysmon" …`), so
//! its events are found in `/var/log/syslog` (or `messages`, or `journalctl` output) among every
//! other program's lines.
//!
//! Each line holding an `<Event>` element gives that event (parsed as `xml_events` parses a
//! Windows event, so the Windows normalizers read it); auditd lines forwarded to syslog
//! (`audisp-syslog: type=EXECVE msg=audit(…): …`) are grouped into audit events as `auditd`
//! groups them; every other line gives a small `syslog` record naming its program, which the
//! normalizer counts as ignored, so the summary accounts for every line.

use std::sync::Arc;

use enumwatch_event::RawRecord;
use serde_json::{Map, Value};

use crate::auditd::Grouper;
use crate::lines::{LineError, LineReader};
use crate::{DecodeError, DecodeErrorKind, DecodeLimits, xml_events};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The program (tag) of a syslog line, when the line opens with a syslog header: an optional
/// `<PRI>` (and RFC 5424's version `1`), a BSD (`Nov 18 14:33:22`, `Dec  3 06:12:01`) or
/// RFC 3339 (`2026-04-07T16:13:10.545523+00:00`) timestamp, a host, then the tag, ended by
/// `:`, `[pid]` or a space. `None` when the line has no such header.
pub(crate) fn program(line: &str) -> Option<&str> {
    let mut rest = line;
    if let Some(after) = rest.strip_prefix('<') {
        let end = after.find('>')?;
        let pri = after.get(..end)?;
        if pri.is_empty() || pri.len() > 3 || !pri.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        rest = after.get(end + 1..)?;
        rest = rest.strip_prefix("1 ").unwrap_or(rest);
    }
    rest = skip_timestamp(rest)?.strip_prefix(' ')?;
    let host_end = rest.find(' ')?;
    if host_end == 0 {
        return None;
    }
    let rest = rest.get(host_end + 1..)?;
    let tag_end = rest.find([':', '[', ' ']).unwrap_or(rest.len());
    let tag = rest.get(..tag_end)?;
    (!tag.is_empty()).then_some(tag)
}

/// The text after a syslog timestamp at the start of `s`.
fn skip_timestamp(s: &str) -> Option<&str> {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    // BSD: `Mmm dd hh:mm:ss`, the day space-padded.
    if MONTHS.iter().any(|m| s.starts_with(m))
        && at(3, b' ')
        && (digit(4) || at(4, b' '))
        && digit(5)
        && at(6, b' ')
        && digit(7)
        && digit(8)
        && at(9, b':')
        && digit(10)
        && digit(11)
        && at(12, b':')
        && digit(13)
        && digit(14)
    {
        return s.get(15..);
    }
    // RFC 3339: `YYYY-MM-DDThh:mm:ss`, then any fraction and offset up to the space.
    let iso = (0..4).all(digit)
        && at(4, b'-')
        && digit(5)
        && digit(6)
        && at(7, b'-')
        && digit(8)
        && digit(9)
        && (at(10, b'T') || at(10, b' '))
        && digit(11)
        && digit(12)
        && at(13, b':');
    if !iso {
        return None;
    }
    let end = s.get(19..)?.find(' ').map_or(s.len(), |i| i + 19);
    s.get(end..)
}

/// Whether `text` (the input's first bytes) is syslog: its first non-empty line has a header.
pub(crate) fn looks_like_syslog(text: &[u8]) -> bool {
    let first = text
        .split(|&b| b == b'\n')
        .map(<[u8]>::trim_ascii)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    std::str::from_utf8(first).is_ok_and(|l| program(l).is_some())
}

pub(crate) struct SyslogEvents {
    lines: LineReader,
    /// Audit lines (`audisp-syslog: type=EXECVE msg=audit(…)`) grouped into events, and every
    /// record and error in the order it became ready.
    groups: Grouper,
    limit: usize,
    max_depth: usize,
    done: bool,
}

impl SyslogEvents {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn std::io::BufRead + Send>,
        limits: &DecodeLimits,
    ) -> Self {
        Self {
            lines: LineReader::new(reader, limits.max_record_bytes),
            groups: Grouper::new(source),
            limit: limits.max_record_bytes,
            max_depth: limits.max_depth,
            done: false,
        }
    }

    /// Read one line into the queue; false at the end of input.
    fn read_line(&mut self) -> bool {
        let Some(line) = self.lines.next_line() else {
            self.groups.close(u64::MAX, true);
            return false;
        };
        match line {
            Err(LineError::TooLong { number }) => self.groups.push(
                number,
                Err(DecodeErrorKind::RecordTooLarge { limit: self.limit }),
            ),
            Err(LineError::Io { number, message }) => {
                self.done = true;
                self.groups.close(u64::MAX, true);
                self.groups
                    .push(number, Err(DecodeErrorKind::Truncated(message)));
                return true;
            }
            Ok(line) => {
                let number = line.number;
                let bytes = line.bytes.trim_ascii();
                if bytes.is_empty() {
                    return true;
                }
                // A message holds one event; a line that holds more (messages joined by a
                // relay) gives each of them.
                let mut events = 0;
                for span in event_spans(bytes) {
                    events += 1;
                    let outcome = match span {
                        Ok(span) => xml_events::to_json(span, self.max_depth),
                        Err(()) => Err(cut_event()),
                    };
                    self.groups.push(number, outcome);
                }
                if events == 0 {
                    let text = String::from_utf8_lossy(bytes);
                    if !self.groups.take_line(&text, number) {
                        self.groups.push(number, Ok(syslog_record(program(&text))));
                    }
                }
                self.groups.close(number, false);
            }
        }
        true
    }
}

/// The first `<Event …>` … `</Event>` span of a text: `Ok(None)` when it holds no event, `Err`
/// when the element opens and is never closed (the message was cut). Event XML escapes `<` in
/// values, so the first `</Event>` after the start tag ends the element.
fn event_span(text: &[u8]) -> Result<Option<&[u8]>, ()> {
    event_spans(text).next().transpose()
}

/// Every `<Event …>` … `</Event>` span of a line, in order; a span that never closes is the
/// last item, an `Err`.
fn event_spans(text: &[u8]) -> impl Iterator<Item = Result<&[u8], ()>> {
    let mut from = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rest = text.get(from..).unwrap_or_default();
        let start = memchr::memmem::find_iter(rest, b"<Event").find(|&at| {
            matches!(
                rest.get(at + b"<Event".len()),
                Some(b' ' | b'>' | b'\t' | b'/')
            )
        })?;
        let element = rest.get(start..).unwrap_or_default();
        match memchr::memmem::find(element, b"</Event>") {
            Some(end) => {
                let len = end + b"</Event>".len();
                from += start + len;
                Some(Ok(element.get(..len).unwrap_or_default()))
            }
            None => {
                done = true;
                Some(Err(()))
            }
        }
    })
}

/// Why an `<Event>` opened in a message has no end.
fn cut_event() -> DecodeErrorKind {
    DecodeErrorKind::InvalidXml(
        "the <Event> element is cut short: the syslog message was truncated (rsyslog cuts \
         messages longer than $MaxMessageSize, 8 KiB by default; raise it on the host to keep \
         whole events)"
            .into(),
    )
}

/// The event a single syslog line holds (as Splunk keeps Sysmon for Linux's lines in `_raw`),
/// or the `syslog` record of another program's line; `None` when `text` is no syslog line.
pub(crate) fn line_event(text: &str, max_depth: usize) -> Option<Result<Value, DecodeErrorKind>> {
    let name = program(text)?;
    Some(match event_span(text.as_bytes()) {
        Ok(Some(span)) => xml_events::to_json(span, max_depth),
        Ok(None) => Ok(syslog_record(Some(name))),
        Err(()) => Err(cut_event()),
    })
}

/// A systemd journal entry as `journalctl -o json` writes it (`__REALTIME_TIMESTAMP`,
/// `__CURSOR`, `SYSLOG_IDENTIFIER`, `MESSAGE`, …; hosts without rsyslog, such as Amazon Linux
/// 2023, keep Sysmon for Linux's events only there): the event its `MESSAGE` holds, or the
/// `syslog` record of another program's entry. `None` when `map` is no journal entry.
pub(crate) fn journal_entry(
    map: &Map<String, Value>,
    max_depth: usize,
) -> Option<Result<Value, DecodeErrorKind>> {
    if !map.contains_key("__REALTIME_TIMESTAMP") && !map.contains_key("__CURSOR") {
        return None;
    }
    let message = map.get("MESSAGE")?;
    if let Some(text) = message.as_str() {
        match event_span(text.trim_ascii().as_bytes()) {
            Ok(Some(span)) => return Some(xml_events::to_json(span, max_depth)),
            Err(()) => return Some(Err(cut_event())),
            Ok(None) => {}
        }
    }
    let program = ["SYSLOG_IDENTIFIER", "_COMM"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str));
    Some(Ok(syslog_record(program)))
}

impl Iterator for SyslogEvents {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(item) = self.groups.pop() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            if !self.read_line() {
                self.done = true;
            }
        }
    }
}

/// A line of another program: `{"syslog": {"program": …}}`, counted by the normalizer.
fn syslog_record(program: Option<&str>) -> Value {
    let mut inner = Map::new();
    inner.insert(
        "program".to_owned(),
        program.map_or(Value::Null, |p| Value::String(p.to_owned())),
    );
    let mut outer = Map::new();
    outer.insert("syslog".to_owned(), Value::Object(inner));
    Value::Object(outer)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;

    #[test]
    fn headers_of_every_common_shape_name_their_program() {
        for (line, want) in [
            (
                "Nov 18 14:33:22 hellosplunk-VirtualBox sysmon: <Event>",
                Some("sysmon"),
            ),
            (
                "Dec  3 06:12:05 ip-10-0-1-12 systemd[1]: Started Session 5",
                Some("systemd"),
            ),
            (
                "2026-04-07T16:13:10.545523+00:00 ip-172-31-22-208 sysmon: <Event>",
                Some("sysmon"),
            ),
            (
                "<134>Aug 23 10:30:16 linux-01 sysmon: <Event>",
                Some("sysmon"),
            ),
            (
                "<134>1 2026-08-23T10:30:16Z linux-01 sysmon 1120 - - <Event>",
                Some("sysmon"),
            ),
            (
                "Dec 03 06:12:01 host sshd[812]: Accepted publickey",
                Some("sshd"),
            ),
            ("{\"Records\": []}", None),
            ("Time,User,Action", None),
            ("type=EXECVE msg=audit(1.0:2): argc=1", None),
            ("Nov 18 14:33:22", None),
            ("<x>Nov 18 14:33:22 h p: m", None),
        ] {
            assert_eq!(program(line), want, "{line}");
        }
        assert!(looks_like_syslog(
            b"\n\nNov 18 14:33:22 h sysmon: <Event></Event>\n"
        ));
        assert!(!looks_like_syslog(b"<Event><System/></Event>"));
    }

    #[test]
    fn journal_entries_give_their_event_or_a_syslog_record() {
        let entry = |message: &str| {
            serde_json::json!({"__REALTIME_TIMESTAMP": "1", "SYSLOG_IDENTIFIER": "sysmon",
                "MESSAGE": message})
        };
        let event = entry("<Event><System><EventID>1</EventID></System></Event>");
        let got = journal_entry(event.as_object().unwrap(), 64)
            .unwrap()
            .unwrap();
        assert_eq!(got["Event"]["System"]["EventID"], "1");
        let other = entry("Started Session 5 of User ubuntu.");
        let got = journal_entry(other.as_object().unwrap(), 64)
            .unwrap()
            .unwrap();
        assert_eq!(got, serde_json::json!({"syslog": {"program": "sysmon"}}));
        let cut = entry("<Event><System><EventID>1</Even");
        assert!(matches!(
            journal_entry(cut.as_object().unwrap(), 64),
            Some(Err(DecodeErrorKind::InvalidXml(_)))
        ));
        let not_journal = serde_json::json!({"MESSAGE": "<Event></Event>"});
        assert!(journal_entry(not_journal.as_object().unwrap(), 64).is_none());
        assert!(line_event("<Event></Event>", 64).is_none());
        let line = line_event("Nov 30 14:03:40 h systemd[1]: Started x.", 64);
        assert_eq!(
            line.unwrap().unwrap(),
            serde_json::json!({"syslog": {"program": "systemd"}})
        );
    }

    #[test]
    fn spans_are_found_and_a_cut_event_is_told() {
        assert_eq!(
            event_span(b"h sysmon: <Event><System/></Event>").unwrap(),
            Some(&b"<Event><System/></Event>"[..])
        );
        assert_eq!(event_span(b"h sshd[1]: <Events are fine>").unwrap(), None);
        assert!(event_span(b"h sysmon: <Event><System><Provider Na").is_err());
        let two = b"h sysmon: <Event><A/></Event> <Event><B/></Event> <Event><C";
        let spans: Vec<_> = event_spans(two).collect();
        assert_eq!(
            spans,
            [
                Ok(&b"<Event><A/></Event>"[..]),
                Ok(&b"<Event><B/></Event>"[..]),
                Err(())
            ]
        );
    }
}
