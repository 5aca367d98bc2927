//! The primitives of the on-disk records of a spool: variable-length integers, strings and
//! exact JSON values, and a bounds-checked reader that reports damage instead of panicking.
//!
//! Hand-written rather than a serde format because held events carry `serde_json::Value`s: the
//! compact serde formats (postcard, bincode) cannot read them back (`Value` needs a
//! self-describing format), and JSON text would not give every float back bit for bit
//! (serde_json parses floats to within an ulp unless `float_roundtrip` is on). Here every number
//! keeps its kind (`u64`, `i64`, `f64` bits) and every object its key order.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

/// Deepest JSON nesting read back (a guard against a damaged file; records were parsed under
/// serde_json's own limit of 128).
const MAX_DEPTH: usize = 512;

/// Why a record could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Damaged(pub(crate) &'static str);

/// Reserve a record's length prefix in `out`; returns where the record starts.
pub(crate) fn begin(out: &mut Vec<u8>) -> usize {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    start
}

/// Fill in the length prefix of the record begun at `start`.
pub(crate) fn end(out: &mut [u8], start: usize) {
    let len = u32::try_from(out.len() - start - 4).unwrap_or(u32::MAX);
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// A record's length from its first four bytes.
pub(crate) fn record_len(prefix: [u8; 4]) -> usize {
    u32::from_le_bytes(prefix) as usize
}

pub(crate) fn put_uint(out: &mut Vec<u8>, mut n: u64) {
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

pub(crate) fn put_opt(out: &mut Vec<u8>, n: Option<u64>) {
    match n {
        None => out.push(0),
        Some(n) => {
            out.push(1);
            put_uint(out, n);
        }
    }
}

pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
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

pub(crate) fn put_value(out: &mut Vec<u8>, value: &Value) {
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

pub(crate) struct Reader<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) at: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], Damaged> {
        let end = self.at.checked_add(n).ok_or(Damaged("length"))?;
        let out = self.bytes.get(self.at..end).ok_or(Damaged("truncated"))?;
        self.at = end;
        Ok(out)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, Damaged> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], Damaged> {
        self.take(N)?.try_into().map_err(|_| Damaged("truncated"))
    }

    pub(crate) fn uint(&mut self) -> Result<u64, Damaged> {
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

    pub(crate) fn opt(&mut self) -> Result<Option<u64>, Damaged> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.uint()?)),
            _ => Err(Damaged("option tag")),
        }
    }

    pub(crate) fn len(&mut self) -> Result<usize, Damaged> {
        let n = usize::try_from(self.uint()?).map_err(|_| Damaged("length"))?;
        // Every element takes a byte at least: a length past the bytes left is damage, and
        // checking it here keeps a damaged length from reserving memory.
        if n > self.bytes.len() - self.at {
            return Err(Damaged("length past the record"));
        }
        Ok(n)
    }

    pub(crate) fn str(&mut self) -> Result<&'a str, Damaged> {
        let n = self.len()?;
        std::str::from_utf8(self.take(n)?).map_err(|_| Damaged("text is not UTF-8"))
    }

    pub(crate) fn value(&mut self, depth: usize) -> Result<Value, Damaged> {
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

impl Reader<'_> {
    /// An input name, sharing the allocation of the previous record's when it is the same, so
    /// the records of a run share one `Arc` as they did before they were written.
    pub(crate) fn source(&mut self, last: &mut Option<Arc<str>>) -> Result<Arc<str>, Damaged> {
        let name = self.str()?;
        Ok(match last {
            Some(s) if s.as_ref() == name => Arc::clone(s),
            _ => {
                let s: Arc<str> = Arc::from(name);
                *last = Some(Arc::clone(&s));
                s
            }
        })
    }

    /// An optional string written by `put_opt_str`.
    pub(crate) fn opt_str(&mut self) -> Result<Option<&str>, Damaged> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.str()?)),
            _ => Err(Damaged("option tag")),
        }
    }
}

pub(crate) fn put_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}
