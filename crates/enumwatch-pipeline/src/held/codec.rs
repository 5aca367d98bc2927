//! The on-disk form of a held event: compact, exact and read back in pieces.
//!
//! Hand-written rather than a serde format because a held event's raw record and fields are
//! `serde_json::Value`s: the compact serde formats (postcard, bincode) cannot read them back
//! (`Value` needs a self-describing format), and JSON text would not give every float back bit
//! for bit (serde_json parses floats to within an ulp unless `float_roundtrip` is on). Here every
//! number keeps its kind (`u64`, `i64`, `f64` bits), every object its key order, and every field
//! its place, so an event read back renders the same bytes as the one written.
//!
//! A record is its length (`u32`, little-endian) and then two parts: the *key* the merge orders
//! by (event time, location, input, sequence) and the *body* (log source, fields, raw record,
//! hits). Passes that only need the time of an event skip decoding its body.

use std::sync::Arc;

use enumwatch_engine::Hit;
use enumwatch_event::{Event, Fields, Location, LogSource};
use jiff::Timestamp;
use serde_json::{Map, Number, Value};

use crate::hunt::Matched;

/// Deepest JSON nesting read back (a guard against a damaged file; records were parsed under
/// serde_json's own limit of 128).
const MAX_DEPTH: usize = 512;

/// Where a held event sits in the order of the correlation pass: event time, location, then
/// input and sequence within its input, which make the order total and equal to a stable sort
/// by (time, location) of the events concatenated in input order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) time: Option<Timestamp>,
    pub(crate) location: Location,
    pub(crate) input: u32,
    pub(crate) seq: u64,
}

/// Why a record could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damaged(pub(crate) &'static str);

/// Append one record (length, key, body) to `out`.
pub(crate) fn encode(out: &mut Vec<u8>, input: u32, seq: u64, m: &Matched) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let event = &m.event;
    match event.time {
        None => out.push(0),
        Some(t) => {
            out.push(1);
            out.extend_from_slice(&t.as_second().to_le_bytes());
            out.extend_from_slice(&t.subsec_nanosecond().to_le_bytes());
        }
    }
    let loc = &event.location;
    put_str(out, &loc.source);
    put_uint(out, loc.record);
    put_opt(out, loc.line);
    put_opt(out, loc.record_id);
    put_uint(out, u64::from(input));
    put_uint(out, seq);
    // Body.
    let source = LogSource::ALL
        .iter()
        .position(|s| *s == event.source)
        .unwrap_or(usize::MAX);
    put_uint(out, source as u64);
    put_uint(out, event.fields.len() as u64);
    for (name, value) in event.fields.iter() {
        put_str(out, name);
        put_value(out, value);
    }
    put_value(out, &event.raw);
    put_uint(out, m.hits.len() as u64);
    for hit in &m.hits {
        put_uint(out, hit.rule as u64);
        put_uint(out, hit.matched_fields.len() as u64);
        for (k, v) in &hit.matched_fields {
            put_str(out, k);
            put_str(out, v);
        }
    }
    let len = u32::try_from(out.len() - start - 4).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// A record's length from its first four bytes.
pub(crate) fn record_len(prefix: [u8; 4]) -> usize {
    u32::from_le_bytes(prefix) as usize
}

/// Decode the key of a record (without its length prefix); returns it and where the body
/// starts. `last_source` reuses the input name of the previous record when it is the same, so
/// a run's events share one allocation as they did before they were written.
pub(crate) fn decode_key(
    bytes: &[u8],
    last_source: &mut Option<Arc<str>>,
) -> Result<(Key, usize), Damaged> {
    let mut r = Reader { bytes, at: 0 };
    let time = match r.byte()? {
        0 => None,
        1 => {
            let secs = i64::from_le_bytes(r.array()?);
            let nanos = i32::from_le_bytes(r.array()?);
            Some(Timestamp::new(secs, nanos).map_err(|_| Damaged("event time out of range"))?)
        }
        _ => return Err(Damaged("event time tag")),
    };
    let name = r.str()?;
    let source = match last_source {
        Some(s) if s.as_ref() == name => Arc::clone(s),
        _ => {
            let s: Arc<str> = Arc::from(name);
            *last_source = Some(Arc::clone(&s));
            s
        }
    };
    let location = Location {
        source,
        record: r.uint()?,
        line: r.opt()?,
        record_id: r.opt()?,
    };
    let input = u32::try_from(r.uint()?).map_err(|_| Damaged("input index"))?;
    let seq = r.uint()?;
    Ok((
        Key {
            time,
            location,
            input,
            seq,
        },
        r.at,
    ))
}

/// Decode a record's body into the held event it was made from.
pub(crate) fn decode_body(body: &[u8], key: &Key) -> Result<Matched, Damaged> {
    let mut r = Reader { bytes: body, at: 0 };
    let source = usize::try_from(r.uint()?)
        .ok()
        .and_then(|i| LogSource::ALL.get(i).copied())
        .ok_or(Damaged("log source"))?;
    let mut fields = Fields::new();
    for _ in 0..r.uint()? {
        let name = r.str()?.to_owned();
        let value = r.value(0)?;
        // Stored fields are never null or empty, so `insert` keeps every one, in order.
        fields.insert(name, value);
    }
    let raw = Arc::new(r.value(0)?);
    let mut hits = Vec::new();
    for _ in 0..r.uint()? {
        let rule = usize::try_from(r.uint()?).map_err(|_| Damaged("rule index"))?;
        let mut matched_fields = Vec::new();
        for _ in 0..r.uint()? {
            matched_fields.push((r.str()?.to_owned(), r.str()?.to_owned()));
        }
        hits.push(Hit {
            rule,
            matched_fields,
        });
    }
    if r.at != body.len() {
        return Err(Damaged("trailing bytes"));
    }
    let mut event = Event::new(source, key.location.clone(), raw);
    event.time = key.time;
    event.fields = fields;
    Ok(Matched { event, hits })
}

fn put_uint(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn put_opt(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        None => out.push(0),
        Some(n) => {
            out.push(1);
            put_uint(out, n);
        }
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_uint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UINT: u8 = 3;
const NEG_INT: u8 = 4;
const FLOAT: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

fn put_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(UINT);
                put_uint(out, u);
            } else if let Some(i) = n.as_i64() {
                out.push(NEG_INT);
                out.extend_from_slice(&i.to_le_bytes());
            } else {
                out.push(FLOAT);
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_bits().to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(STRING);
            put_str(out, s);
        }
        Value::Array(items) => {
            out.push(ARRAY);
            put_uint(out, items.len() as u64);
            for item in items {
                put_value(out, item);
            }
        }
        Value::Object(map) => {
            out.push(OBJECT);
            put_uint(out, map.len() as u64);
            for (k, v) in map {
                put_str(out, k);
                put_value(out, v);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], Damaged> {
        let end = self.at.checked_add(n).ok_or(Damaged("length"))?;
        let out = self.bytes.get(self.at..end).ok_or(Damaged("truncated"))?;
        self.at = end;
        Ok(out)
    }

    fn byte(&mut self) -> Result<u8, Damaged> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Damaged> {
        self.take(N)?.try_into().map_err(|_| Damaged("truncated"))
    }

    fn uint(&mut self) -> Result<u64, Damaged> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            n |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(Damaged("integer too long"))
    }

    fn opt(&mut self) -> Result<Option<u64>, Damaged> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.uint()?)),
            _ => Err(Damaged("option tag")),
        }
    }

    fn len(&mut self) -> Result<usize, Damaged> {
        let n = usize::try_from(self.uint()?).map_err(|_| Damaged("length"))?;
        // Every element takes a byte at least: a length past the bytes left is damage, and
        // checking it here keeps a damaged length from reserving memory.
        if n > self.bytes.len() - self.at {
            return Err(Damaged("length past the record"));
        }
        Ok(n)
    }

    fn str(&mut self) -> Result<&'a str, Damaged> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Damaged("text is not UTF-8"))
    }

    fn value(&mut self, depth: usize) -> Result<Value, Damaged> {
        if depth > MAX_DEPTH {
            return Err(Damaged("nesting too deep"));
        }
        Ok(match self.byte()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            UINT => Value::Number(Number::from(self.uint()?)),
            NEG_INT => Value::Number(Number::from(i64::from_le_bytes(self.array()?))),
            FLOAT => {
                let f = f64::from_bits(u64::from_le_bytes(self.array()?));
                Value::Number(Number::from_f64(f).ok_or(Damaged("float"))?)
            }
            STRING => Value::String(self.str()?.to_owned()),
            ARRAY => {
                let n = self.len()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            OBJECT => {
                let n = self.len()?;
                let mut map = Map::with_capacity(n);
                for _ in 0..n {
                    let k = self.str()?.to_owned();
                    map.insert(k, self.value(depth + 1)?);
                }
                Value::Object(map)
            }
            _ => return Err(Damaged("value tag")),
        })
    }
}
