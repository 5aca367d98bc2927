//! The on-disk form of a held event (an event matched by a rule some correlation aggregates):
//! compact, exact and read back in pieces.
//!
//! A record is its length (`u32`, little-endian) and then two parts: the *key* the merge orders
//! by (event time, location, input, sequence) and the *body* (log source, fields, raw record,
//! hits). Passes that only need the time of an event skip decoding its body. Every number keeps
//! its kind, every object its key order, and every field its place, so an event read back
//! renders the same bytes as the one written.

use std::sync::Arc;

use enumwatch_engine::Hit;
use enumwatch_event::{Event, Fields, Location, LogSource};
use jiff::Timestamp;

use super::codec::{Damaged, Reader, begin, end, put_opt, put_str, put_uint, put_value};
use super::{Spilled, Stored};
use crate::hunt::Matched;

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

impl Spilled for Matched {
    type Key = Key;
    type Context = ();

    fn order(a: &Stored<Self>, b: &Stored<Self>) -> std::cmp::Ordering {
        let (x, y) = (&a.item.event, &b.item.event);
        (x.time, &x.location, a.input, a.seq).cmp(&(y.time, &y.location, b.input, b.seq))
    }

    fn estimate(&self) -> u64 {
        estimate(self)
    }

    fn encode(_: &(), out: &mut Vec<u8>, input: u32, seq: u64, m: &Self) {
        encode(out, input, seq, m);
    }

    fn decode_key(
        payload: &[u8],
        last_source: &mut Option<Arc<str>>,
    ) -> Result<(Key, usize), Damaged> {
        decode_key(payload, last_source)
    }

    fn position(key: &Key) -> (u32, u64) {
        (key.input, key.seq)
    }

    fn decode_body(_: &(), body: &[u8], key: &Key) -> Result<Self, Damaged> {
        decode_body(body, key)
    }
}

/// Append one record (length, key, body) to `out`.
pub(crate) fn encode(out: &mut Vec<u8>, input: u32, seq: u64, m: &Matched) {
    let start = begin(out);
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
    end(out, start);
}

/// Decode the key of a record (without its length prefix); returns it and where the body
/// starts.
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
    let location = Location {
        source: r.source(last_source)?,
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

/// Allocator bookkeeping per allocation, roughly.
pub(crate) const ALLOCATION: u64 = 16;

/// Estimated heap bytes of a held event, from lengths only (capacities depend on growth
/// history), so that the same events give the same total on every run. The sum of the lengths
/// below comes to about three quarters of what held CloudTrail events cost in resident memory
/// (`bench/scaling.sh`: 2.4 KiB against 3.1 KiB; size classes and spare capacity make up the
/// rest), hence the last factor.
pub(crate) fn estimate(m: &Matched) -> u64 {
    lengths(m) * 4 / 3
}

fn lengths(m: &Matched) -> u64 {
    let value = size_of::<serde_json::Value>() as u64;
    let mut bytes = size_of::<Stored<Matched>>() as u64 + ALLOCATION;
    // Fields: tag, name, value per entry.
    bytes += m.event.fields.len() as u64 * (8 + 16 + value);
    for (_, v) in m.event.fields.iter() {
        bytes += value_heap(v);
    }
    bytes += ALLOCATION + 16 + value + value_heap(&m.event.raw);
    bytes += ALLOCATION + m.hits.len() as u64 * size_of::<enumwatch_engine::Hit>() as u64;
    for hit in &m.hits {
        for (k, v) in &hit.matched_fields {
            bytes += 48 + 2 * ALLOCATION + (k.len() + v.len()) as u64;
        }
    }
    bytes
}

fn value_heap(v: &serde_json::Value) -> u64 {
    use serde_json::Value;
    let value = size_of::<Value>() as u64;
    match v {
        Value::String(s) => ALLOCATION + s.len() as u64,
        Value::Array(items) => {
            ALLOCATION + items.len() as u64 * value + items.iter().map(value_heap).sum::<u64>()
        }
        // An ordered map: entries (key, value, hash) plus an index of the entries.
        Value::Object(map) => {
            2 * ALLOCATION
                + map
                    .iter()
                    .map(|(k, v)| 24 + value + 8 + 8 + ALLOCATION + k.len() as u64 + value_heap(v))
                    .sum::<u64>()
        }
        _ => 0,
    }
}
