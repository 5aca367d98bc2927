//! A minimal MaxMind DB *writer*, so tests can build a tiny `.mmdb` file instead of shipping a
//! real GeoIP database (whose licence forbids redistribution) or downloading one.
//!
//! It writes format 2.0 as <https://maxmind.github.io/MaxMind-DB/> describes: a binary search
//! tree (24, 28 or 32-bit records), the 16-byte zero separator, a data section of
//! pointer-free values, and the metadata map after the `\xAB\xCD\xEFMaxMind.com` marker. An IPv6
//! tree keeps IPv4 networks under `::/96`, where readers look for them. It is built for a handful
//! of networks, not for speed, and the real `maxminddb` reader is its oracle in this crate's
//! tests. Compiled for tests and under the `test-writer` feature only.

use std::io;
use std::net::IpAddr;
use std::path::Path;

use thiserror::Error;

/// A value of the MaxMind DB data section, as far as the writer supports them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// UTF-8 string (type 2).
    String(String),
    /// Unsigned 16-bit integer (type 5).
    Uint16(u16),
    /// Unsigned 32-bit integer (type 6).
    Uint32(u32),
    /// Unsigned 64-bit integer (extended type 9).
    Uint64(u64),
    /// Map with string keys, written in the given order (type 7).
    Map(Vec<(String, Value)>),
    /// Array (extended type 11).
    Array(Vec<Value>),
    /// Boolean (extended type 14).
    Bool(bool),
}

impl Value {
    /// A string value.
    pub fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    /// A map from `(key, value)` pairs.
    pub fn map<const N: usize>(pairs: [(&str, Value); N]) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The record GeoLite2-Country writes, reduced to what enumwatch reads:
    /// `{"country": {"iso_code": iso_code}}`.
    pub fn country(iso_code: &str) -> Value {
        Value::map([(
            "country",
            Value::map([("iso_code", Value::string(iso_code))]),
        )])
    }
}

/// Why a network could not be added.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WriterError {
    /// The text is not `address/prefix`.
    #[error("`{0}` is not a network: write it as address/prefix, such as 203.0.113.0/24")]
    BadNetwork(String),
    /// An IPv6 network does not fit an IPv4 tree.
    #[error("`{0}` is an IPv6 network but the database is IPv4-only: build it with `ipv6()`")]
    Ipv6InIpv4Tree(String),
}

/// One record of a search-tree node while the tree is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Empty,
    Node(usize),
    Data(usize),
}

/// Builds a MaxMind DB file in memory.
#[derive(Debug, Clone)]
pub struct MmdbWriter {
    database_type: String,
    ip_version: u16,
    record_size: u16,
    build_epoch: u64,
    nodes: Vec<[Record; 2]>,
    values: Vec<Value>,
}

impl MmdbWriter {
    /// An empty IPv6 database (IPv4 networks land under `::/96`) with 28-bit records.
    pub fn ipv6(database_type: &str) -> MmdbWriter {
        MmdbWriter::new(database_type, 6)
    }

    /// An empty IPv4-only database with 28-bit records.
    pub fn ipv4(database_type: &str) -> MmdbWriter {
        MmdbWriter::new(database_type, 4)
    }

    fn new(database_type: &str, ip_version: u16) -> MmdbWriter {
        MmdbWriter {
            database_type: database_type.to_owned(),
            ip_version,
            record_size: 28,
            build_epoch: 1_700_000_000,
            nodes: vec![[Record::Empty; 2]],
            values: Vec::new(),
        }
    }

    /// Chooses the record size: 24, 28 or 32 bits (other sizes are kept as given, which makes
    /// a database the reader rejects).
    #[must_use]
    pub fn record_size(mut self, bits: u16) -> MmdbWriter {
        self.record_size = bits;
        self
    }

    /// Maps `network` (`address/prefix`) to `value`. A network inside one inserted earlier
    /// overrides it there; a network around earlier, more specific ones fills only the gaps.
    pub fn insert(&mut self, network: &str, value: Value) -> Result<(), WriterError> {
        let bits = self.network_bits(network)?;
        let data = self.values.len();
        self.values.push(value);
        let Some((&last, path)) = bits.split_last() else {
            // `/0`: everything.
            self.fill(0, data);
            return Ok(());
        };
        let mut node = 0;
        for &bit in path {
            node = match self.nodes[node][bit] {
                Record::Node(next) => next,
                covering => {
                    let next = self.nodes.len();
                    let inherited = match covering {
                        Record::Data(_) => covering,
                        _ => Record::Empty,
                    };
                    self.nodes.push([inherited; 2]);
                    self.nodes[node][bit] = Record::Node(next);
                    next
                }
            };
        }
        match self.nodes[node][last] {
            Record::Node(below) => self.fill(below, data),
            _ => self.nodes[node][last] = Record::Data(data),
        }
        Ok(())
    }

    /// Shorthand for `insert(network, Value::country(iso_code))`.
    pub fn insert_country(&mut self, network: &str, iso_code: &str) -> Result<(), WriterError> {
        self.insert(network, Value::country(iso_code))
    }

    /// Points every empty record under `node` at `data`.
    fn fill(&mut self, node: usize, data: usize) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            for side in 0..2 {
                match self.nodes[n][side] {
                    Record::Empty => self.nodes[n][side] = Record::Data(data),
                    Record::Node(below) => stack.push(below),
                    Record::Data(_) => {}
                }
            }
        }
    }

    /// The tree path of a network: one entry (0 or 1) per prefix bit.
    fn network_bits(&self, network: &str) -> Result<Vec<usize>, WriterError> {
        let bad = || WriterError::BadNetwork(network.to_owned());
        let (address, prefix) = network.split_once('/').ok_or_else(bad)?;
        let address: IpAddr = address.parse().map_err(|_| bad())?;
        let prefix: usize = prefix.parse().map_err(|_| bad())?;
        let (octets, offset) = match (address, self.ip_version) {
            (IpAddr::V4(v4), 4) => (v4.octets().to_vec(), 0),
            (IpAddr::V4(v4), _) => (v4.octets().to_vec(), 96),
            (IpAddr::V6(v6), 6) => (v6.octets().to_vec(), 0),
            (IpAddr::V6(_), _) => return Err(WriterError::Ipv6InIpv4Tree(network.to_owned())),
        };
        if prefix > octets.len() * 8 {
            return Err(bad());
        }
        let bit = |i: usize| usize::from((octets[i / 8] >> (7 - i % 8)) & 1);
        Ok(std::iter::repeat_n(0, offset)
            .chain((0..prefix).map(bit))
            .collect())
    }

    /// The whole file: search tree, separator, data section, metadata marker and metadata.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(self.values.len());
        for value in &self.values {
            offsets.push(data.len());
            encode(value, &mut data);
        }
        let node_count = self.nodes.len();
        let record = |r: Record| -> u64 {
            let n = match r {
                Record::Empty => node_count,
                Record::Node(next) => next,
                Record::Data(i) => node_count + 16 + offsets[i],
            };
            n as u64
        };
        let mut out = Vec::new();
        for [left, right] in &self.nodes {
            let (l, r) = (record(*left), record(*right));
            match self.record_size {
                24 => {
                    out.extend_from_slice(&l.to_be_bytes()[5..]);
                    out.extend_from_slice(&r.to_be_bytes()[5..]);
                }
                28 => {
                    out.extend_from_slice(&l.to_be_bytes()[5..]);
                    let nibbles = ((l >> 24) & 0x0F) << 4 | ((r >> 24) & 0x0F);
                    out.push(nibbles as u8);
                    out.extend_from_slice(&r.to_be_bytes()[5..]);
                }
                _ => {
                    out.extend_from_slice(&l.to_be_bytes()[4..]);
                    out.extend_from_slice(&r.to_be_bytes()[4..]);
                }
            }
        }
        out.extend_from_slice(&[0; 16]);
        out.extend_from_slice(&data);
        out.extend_from_slice(b"\xAB\xCD\xEFMaxMind.com");
        encode(&self.metadata(node_count), &mut out);
        out
    }

    fn metadata(&self, node_count: usize) -> Value {
        let description = format!("enumwatch test database ({})", self.database_type);
        Value::map([
            ("binary_format_major_version", Value::Uint16(2)),
            ("binary_format_minor_version", Value::Uint16(0)),
            ("build_epoch", Value::Uint64(self.build_epoch)),
            ("database_type", Value::string(&self.database_type)),
            (
                "description",
                Value::map([("en", Value::String(description))]),
            ),
            ("ip_version", Value::Uint16(self.ip_version)),
            ("languages", Value::Array(vec![Value::string("en")])),
            (
                "node_count",
                Value::Uint32(u32::try_from(node_count).unwrap_or(u32::MAX)),
            ),
            ("record_size", Value::Uint16(self.record_size)),
        ])
    }

    /// Writes the file to `path`.
    pub fn write(&self, path: &Path) -> io::Result<()> {
        std::fs::write(path, self.to_bytes())
    }
}

/// Appends the data-section encoding of `value` to `out`.
fn encode(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::String(text) => {
            control(2, text.len(), out);
            out.extend_from_slice(text.as_bytes());
        }
        Value::Uint16(n) => unsigned(5, u64::from(*n), out),
        Value::Uint32(n) => unsigned(6, u64::from(*n), out),
        Value::Uint64(n) => unsigned(9, *n, out),
        Value::Map(pairs) => {
            control(7, pairs.len(), out);
            for (key, value) in pairs {
                encode(&Value::String(key.clone()), out);
                encode(value, out);
            }
        }
        Value::Array(items) => {
            control(11, items.len(), out);
            for item in items {
                encode(item, out);
            }
        }
        Value::Bool(b) => control(14, usize::from(*b), out),
    }
}

/// An unsigned integer in the fewest big-endian bytes (zero bytes for zero).
fn unsigned(type_number: u8, n: u64, out: &mut Vec<u8>) {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    control(type_number, bytes.len() - skip, out);
    out.extend_from_slice(&bytes[skip..]);
}

/// The control byte (type in the top three bits, size in the low five), the extended type
/// byte for types above 7, then the size's extra bytes.
fn control(type_number: u8, size: usize, out: &mut Vec<u8>) {
    let (size_bits, extra): (u8, Vec<u8>) = match size {
        0..29 => (size as u8, Vec::new()),
        29..285 => (29, vec![(size - 29) as u8]),
        285..65_821 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if type_number <= 7 {
        out.push(type_number << 5 | size_bits);
    } else {
        out.push(size_bits);
        out.push(type_number - 7);
    }
    out.extend_from_slice(&extra);
}
