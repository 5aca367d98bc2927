//! Windows events as XML: `wevtutil qe <log> /f:xml` (events back to back, no root element),
//! Event Viewer's "Save All Events As… XML" and `Get-WinEvent | ForEach-Object { $_.ToXml() }`
//! (an `<Events>` root around them). Each `<Event>` becomes the JSON the `evtx` crate renders for
//! the same event — `{"Event": {"#attributes": {"xmlns": …}, "System": {…}, "EventData":
//! {"CommandLine": …}}}` — so the Windows normalizers read it as they read an EVTX record.
//!
//! The input is scanned for `<Event …>` … `</Event>` spans, a read buffer at a time, and each span
//! is parsed alone: a malformed event costs that event, located at its line.

use std::io::BufRead;
use std::sync::Arc;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use serde_json::{Map, Value};

use enumwatch_event::{Location, RawRecord};

use crate::{DecodeError, DecodeErrorKind, DecodeLimits};

const END: &[u8] = b"</Event>";

/// The events of one XML input, in input order.
pub(crate) struct XmlEvents {
    source: Arc<str>,
    reader: Box<dyn BufRead + Send>,
    /// Bytes read and not yet consumed.
    pending: Vec<u8>,
    /// Line number (from 1) of `pending`'s first byte.
    line: u64,
    record: u64,
    max_record_bytes: usize,
    max_depth: usize,
    eof: bool,
    done: bool,
}

impl XmlEvents {
    pub(crate) fn new(
        source: Arc<str>,
        reader: Box<dyn BufRead + Send>,
        limits: &DecodeLimits,
    ) -> Self {
        Self {
            source,
            reader,
            pending: Vec::new(),
            line: 1,
            record: 0,
            max_record_bytes: limits.max_record_bytes,
            max_depth: limits.max_depth,
            eof: false,
            done: false,
        }
    }

    fn location(&mut self) -> Location {
        let loc = Location::new(Arc::clone(&self.source), self.record).with_line(self.line);
        self.record += 1;
        loc
    }

    /// Read one more buffer; an I/O error ends the input.
    fn fill(&mut self) -> Result<(), String> {
        loop {
            match self.reader.fill_buf() {
                Ok(buf) => {
                    let n = buf.len();
                    self.pending.extend_from_slice(buf);
                    self.reader.consume(n);
                    self.eof = n == 0;
                    return Ok(());
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => return Err(format!("read error: {err}")),
            }
        }
    }

    /// Drop the first `n` pending bytes, counting their lines.
    fn drop_pending(&mut self, n: usize) {
        let n = n.min(self.pending.len());
        let dropped = self.pending.get(..n).unwrap_or_default();
        self.line += memchr::memchr_iter(b'\n', dropped).count() as u64;
        self.pending.drain(..n);
    }

    /// Where the next `<Event` start tag begins, once it can be told from `<Events`.
    fn event_start(&self) -> Option<usize> {
        memchr::memmem::find_iter(&self.pending, b"<Event").find(|&at| {
            matches!(
                self.pending.get(at + b"<Event".len()),
                Some(b' ' | b'>' | b'\t' | b'\r' | b'\n' | b'/')
            )
        })
    }

    fn step(&mut self) -> Result<Option<Result<RawRecord, DecodeError>>, String> {
        loop {
            let Some(start) = self.event_start() else {
                if self.eof {
                    return Ok(None);
                }
                // Keep a tail that may be the beginning of a start tag cut by the buffer.
                let keep = self.pending.len().saturating_sub(b"<Event ".len());
                self.drop_pending(keep);
                self.fill()?;
                continue;
            };
            self.drop_pending(start);
            if let Some(end) = memchr::memmem::find(&self.pending, END) {
                let span: Vec<u8> = self
                    .pending
                    .get(..end + END.len())
                    .unwrap_or_default()
                    .to_vec();
                let location = self.location();
                self.drop_pending(end + END.len());
                return Ok(Some(
                    to_json(&span, self.max_depth)
                        .map(|body| RawRecord {
                            location: location.clone(),
                            body,
                        })
                        .map_err(|kind| DecodeError::new(location, kind)),
                ));
            }
            if self.pending.len() > self.max_record_bytes {
                let location = self.location();
                self.skip_event()?;
                return Ok(Some(Err(DecodeError::new(
                    location,
                    DecodeErrorKind::RecordTooLarge {
                        limit: self.max_record_bytes,
                    },
                ))));
            }
            if self.eof {
                let location = self.location();
                self.done = true;
                return Ok(Some(Err(DecodeError::new(
                    location,
                    DecodeErrorKind::Truncated("the input ends inside an <Event> element".into()),
                ))));
            }
            self.fill()?;
        }
    }

    /// Past an oversized event: drop bytes up to its `</Event>`.
    fn skip_event(&mut self) -> Result<(), String> {
        loop {
            if let Some(end) = memchr::memmem::find(&self.pending, END) {
                self.drop_pending(end + END.len());
                return Ok(());
            }
            let keep = self.pending.len().saturating_sub(END.len());
            self.drop_pending(keep);
            if self.eof {
                return Ok(());
            }
            self.fill()?;
        }
    }
}

impl Iterator for XmlEvents {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(item) => item,
            Err(message) => {
                self.done = true;
                let location = self.location();
                Some(Err(DecodeError::new(
                    location,
                    DecodeErrorKind::Truncated(message),
                )))
            }
        }
    }
}

/// One element being built.
struct Node {
    name: String,
    attributes: Map<String, Value>,
    children: Map<String, Value>,
    text: String,
}

impl Node {
    fn open(start: &BytesStart<'_>) -> Result<Node, String> {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let mut attributes = Map::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| e.to_string())?;
            let key = String::from_utf8_lossy(attribute.key.as_ref()).into_owned();
            let value = attribute.unescape_value().map_err(|e| e.to_string())?;
            attributes.insert(key, Value::String(value.into_owned()));
        }
        Ok(Node {
            name,
            attributes,
            children: Map::new(),
            text: String::new(),
        })
    }

    /// The element as the `evtx` crate renders it: text alone as a string, attributes under
    /// `#attributes` (with the text under `#text`), children by name, nothing as `null`.
    fn close(self) -> (String, Value) {
        let Node {
            name,
            attributes,
            mut children,
            text,
        } = self;
        // `<Data Name="CommandLine">…</Data>`: the field's name is the key.
        if name == "Data"
            && attributes.len() == 1
            && children.is_empty()
            && matches!(attributes.get("Name"), Some(Value::String(_)))
        {
            let field = match attributes.into_iter().next() {
                Some((_, Value::String(field))) => field,
                _ => String::new(),
            };
            return (field, Value::String(text));
        }
        let value = if children.is_empty() && attributes.is_empty() {
            if text.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }
        } else {
            if !attributes.is_empty() {
                children.insert("#attributes".to_owned(), Value::Object(attributes));
            }
            if !text.trim().is_empty() {
                children.insert("#text".to_owned(), Value::String(text));
            }
            Value::Object(children)
        };
        (name, value)
    }

    /// Add a child; a repeated name becomes an array.
    fn adopt(&mut self, name: String, value: Value) {
        match self.children.entry(name) {
            serde_json::map::Entry::Vacant(slot) => {
                slot.insert(value);
            }
            serde_json::map::Entry::Occupied(mut slot) => match slot.get_mut() {
                Value::Array(items) => items.push(value),
                existing => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
            },
        }
    }
}

/// One `<Event>…</Event>` span to the `evtx` crate's JSON rendering of it.
pub(crate) fn to_json(span: &[u8], max_depth: usize) -> Result<Value, DecodeErrorKind> {
    let text = std::str::from_utf8(span).map_err(|_| DecodeErrorKind::InvalidUtf8)?;
    let invalid = |detail: String| DecodeErrorKind::InvalidXml(detail);
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| invalid(format!("{e} at byte {}", reader.error_position())))?;
        match event {
            XmlEvent::Start(start) => {
                if stack.len() >= max_depth {
                    return Err(DecodeErrorKind::TooDeep { limit: max_depth });
                }
                stack.push(Node::open(&start).map_err(invalid)?);
            }
            XmlEvent::Empty(start) => {
                let (name, value) = Node::open(&start).map_err(invalid)?.close();
                match stack.last_mut() {
                    Some(parent) => parent.adopt(name, value),
                    None => return Err(invalid("an empty <Event/>".to_owned())),
                }
            }
            XmlEvent::Text(content) => {
                if let Some(node) = stack.last_mut() {
                    let decoded = content.decode().map_err(|e| invalid(e.to_string()))?;
                    node.text.push_str(&decoded);
                }
            }
            XmlEvent::CData(content) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&String::from_utf8_lossy(&content));
                }
            }
            XmlEvent::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => match reference.decode().map_err(|e| invalid(e.to_string()))? {
                        name if name == "amp" => Some('&'),
                        name if name == "lt" => Some('<'),
                        name if name == "gt" => Some('>'),
                        name if name == "quot" => Some('"'),
                        name if name == "apos" => Some('\''),
                        name => return Err(invalid(format!("unknown entity &{name};"))),
                    },
                    Err(e) => return Err(invalid(e.to_string())),
                };
                if let (Some(node), Some(c)) = (stack.last_mut(), resolved) {
                    node.text.push(c);
                }
            }
            XmlEvent::End(_) => {
                let Some(node) = stack.pop() else {
                    return Err(invalid("an end tag without its start".to_owned()));
                };
                let (name, value) = node.close();
                match stack.last_mut() {
                    Some(parent) => parent.adopt(name, value),
                    None => {
                        let mut root = Map::new();
                        root.insert(name, value);
                        return Ok(Value::Object(root));
                    }
                }
            }
            XmlEvent::Eof => return Err(invalid("the event ends before its end tag".to_owned())),
            XmlEvent::Decl(_) | XmlEvent::PI(_) | XmlEvent::Comment(_) | XmlEvent::DocType(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(text: &str) -> (Vec<RawRecord>, Vec<DecodeError>) {
        let events = XmlEvents::new(
            Arc::from("t"),
            Box::new(std::io::Cursor::new(text.as_bytes().to_vec())),
            &DecodeLimits::default(),
        );
        let (mut ok, mut err) = (Vec::new(), Vec::new());
        for item in events {
            match item {
                Ok(r) => ok.push(r),
                Err(e) => err.push(e),
            }
        }
        (ok, err)
    }

    const EVENT: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</EventID><TimeCreated SystemTime='2025-12-15T11:21:31.6012101Z'/><Correlation/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>ws1</Computer></System><EventData><Data Name='CommandLine'>cmd /c \"a &amp;&amp; b\" &#x41; </Data><Data Name='Empty'/></EventData></Event>";

    #[test]
    fn an_event_renders_as_the_evtx_crate_does() {
        let (records, errors) = decode(EVENT);
        assert!(errors.is_empty(), "{errors:?}");
        let event = &records[0].body["Event"];
        assert_eq!(
            event["#attributes"]["xmlns"],
            "http://schemas.microsoft.com/win/2004/08/events/event"
        );
        assert_eq!(event["System"]["EventID"], "1");
        assert_eq!(
            event["System"]["Provider"]["#attributes"]["Name"],
            "Microsoft-Windows-Sysmon"
        );
        assert_eq!(event["System"]["Correlation"], Value::Null);
        assert_eq!(event["EventData"]["CommandLine"], "cmd /c \"a && b\" A ");
        assert_eq!(event["EventData"]["Empty"], "");
    }

    #[test]
    fn a_bad_event_costs_itself_and_a_cut_one_is_reported() {
        let bad = EVENT.replace("</Computer>", "</Computr>");
        let text = format!(
            "<?xml version='1.0'?>\r\n<Events>\r\n{EVENT}\r\n{bad}\r\n{EVENT}\r\n</Events>"
        );
        let (records, errors) = decode(&text);
        assert_eq!(records.len(), 2);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].location.record, 1);
        assert_eq!(errors[0].location.line, Some(4));
        assert_eq!(errors[0].reason(), "invalid_xml");
        assert_eq!(records[1].location.line, Some(5));
        let cut = format!("{EVENT}{}", &EVENT[..EVENT.len() / 2]);
        let (records, errors) = decode(&cut);
        assert_eq!(records.len(), 1);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].reason(), "truncated_input");
    }
}
