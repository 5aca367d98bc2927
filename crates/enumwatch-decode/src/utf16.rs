//! UTF-16 text to UTF-8, as a stream.
//!
//! Windows PowerShell 5.1 writes UTF-16 by default (`Out-File`, `>`, `Export-Csv -Encoding
//! Unicode`), so `Get-WinEvent | ConvertTo-Json > events.json` or a `Search-UnifiedAuditLog`
//! export can reach us as UTF-16LE, usually with a byte-order mark and sometimes without (a
//! .NET `StreamWriter` given `UnicodeEncoding(false, false)`). Such a file can be as large as
//! any other export, so it is transcoded as it is read, never held whole.

use std::io::{self, Read};

/// How far into the raw bytes the code units start: after a byte-order mark, or at 0.
pub(crate) struct Utf16 {
    pub(crate) little_endian: bool,
    pub(crate) bom_len: usize,
}

/// Recognize UTF-16 from the first bytes: a byte-order mark, or, without one, four ASCII
/// characters each followed (LE) or preceded (BE) by a NUL byte. Text formats read here never
/// hold NUL bytes, and EVTX (`ElfFile\0`) and compressed inputs (already inflated) do not
/// begin that way, so the second test cannot take another format for UTF-16.
pub(crate) fn detect(prefix: &[u8]) -> Option<Utf16> {
    match prefix.get(..2) {
        Some([0xff, 0xfe]) => {
            return Some(Utf16 {
                little_endian: true,
                bom_len: 2,
            });
        }
        Some([0xfe, 0xff]) => {
            return Some(Utf16 {
                little_endian: false,
                bom_len: 2,
            });
        }
        _ => {}
    }
    let head = prefix.get(..8)?;
    let ascii = |b: u8| (1..0x80).contains(&b);
    let pairs = || head.chunks_exact(2);
    if pairs().all(|p| ascii(p[0]) && p[1] == 0) {
        return Some(Utf16 {
            little_endian: true,
            bom_len: 0,
        });
    }
    if pairs().all(|p| p[0] == 0 && ascii(p[1])) {
        return Some(Utf16 {
            little_endian: false,
            bom_len: 0,
        });
    }
    None
}

/// Raw bytes read from the source per refill.
const RAW_CHUNK: usize = 64 * 1024;

/// A reader of UTF-8 over a reader of UTF-16 code units. Unpaired surrogates and a lone
/// trailing byte become U+FFFD, as `String::from_utf16_lossy` makes them, so the text stays
/// valid UTF-8 and the record holding them is still read.
pub(crate) struct Utf16Reader<R> {
    inner: R,
    little_endian: bool,
    raw: Vec<u8>,
    /// A byte of a code unit split between two reads.
    carry: Option<u8>,
    /// A high surrogate waiting for its low half.
    high: Option<u16>,
    out: Vec<u8>,
    pos: usize,
    done: bool,
}

impl<R: Read> Utf16Reader<R> {
    pub(crate) fn new(inner: R, little_endian: bool) -> Self {
        Self {
            inner,
            little_endian,
            raw: vec![0; RAW_CHUNK],
            carry: None,
            high: None,
            out: Vec::with_capacity(RAW_CHUNK * 3 / 2),
            pos: 0,
            done: false,
        }
    }

    fn push(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.out
            .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }

    fn unit(&mut self, unit: u16) {
        if let Some(high) = self.high.take() {
            if (0xdc00..0xe000).contains(&unit) {
                let code =
                    0x10000 + ((u32::from(high) - 0xd800) << 10) + (u32::from(unit) - 0xdc00);
                self.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                return;
            }
            self.push(char::REPLACEMENT_CHARACTER);
        }
        if (0xd800..0xdc00).contains(&unit) {
            self.high = Some(unit);
        } else {
            self.push(char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }

    /// Decode the next piece of the source into `out`; false at the end of the source.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        while self.out.is_empty() {
            if self.done {
                return Ok(false);
            }
            let n = loop {
                match self.inner.read(&mut self.raw) {
                    Ok(n) => break n,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            };
            if n == 0 {
                self.done = true;
                if self.high.take().is_some() {
                    self.push(char::REPLACEMENT_CHARACTER);
                }
                if self.carry.take().is_some() {
                    self.push(char::REPLACEMENT_CHARACTER);
                }
                continue;
            }
            let raw = std::mem::take(&mut self.raw);
            let mut bytes = raw.get(..n).unwrap_or_default();
            if let Some(first) = self.carry.take()
                && let Some((&second, rest)) = bytes.split_first()
            {
                self.unit(self.code_unit(first, second));
                bytes = rest;
            }
            let mut pairs = bytes.chunks_exact(2);
            for pair in pairs.by_ref() {
                if let [a, b] = pair {
                    self.unit(self.code_unit(*a, *b));
                }
            }
            self.carry = pairs.remainder().first().copied();
            self.raw = raw;
        }
        Ok(true)
    }

    fn code_unit(&self, a: u8, b: u8) -> u16 {
        if self.little_endian {
            u16::from_le_bytes([a, b])
        } else {
            u16::from_be_bytes([a, b])
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let ready = self.out.get(self.pos..).unwrap_or_default();
        let n = ready.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(ready.get(..n).unwrap_or_default());
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use super::*;
    use proptest::prelude::*;

    fn encode(text: &str, little_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if little_endian {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                }
            })
            .collect()
    }

    /// Reads in pieces of `step` bytes, so units and surrogate pairs straddle reads.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.0.len().min(self.1).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn transcode(bytes: &[u8], little_endian: bool, step: usize) -> String {
        let mut out = String::new();
        Utf16Reader::new(Trickle(bytes, step), little_endian)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn byte_order_marks_and_bare_ascii_units_are_recognized() {
        let le = detect(&[0xff, 0xfe, b'{', 0]).unwrap();
        assert!(le.little_endian && le.bom_len == 2);
        let be = detect(&[0xfe, 0xff, 0, b'{']).unwrap();
        assert!(!be.little_endian && be.bom_len == 2);
        let bare = detect(&encode("[{\"a\"", true)).unwrap();
        assert!(bare.little_endian && bare.bom_len == 0);
        let bare = detect(&encode("Time,", false)).unwrap();
        assert!(!bare.little_endian && bare.bom_len == 0);
        for other in [
            &b"{\"Records\":[]}"[..],
            b"ElfFile\0\0\0\0\0",
            b"\x1f\x8b\x08\0\0\0\0\0",
            b"{\0\0\0\"\0a\0",
            b"{\0",
        ] {
            assert!(detect(other).is_none(), "{other:?}");
        }
    }

    #[test]
    fn a_large_text_with_surrogate_pairs_across_reads_is_transcoded_exactly() {
        let text = "{\"actor\": \"zoë 🙂\", \"n\": 1}\r\n".repeat(20_000);
        for little_endian in [true, false] {
            let bytes = encode(&text, little_endian);
            assert!(bytes.len() > RAW_CHUNK * 10);
            for step in [1, 3, 4093, RAW_CHUNK + 1] {
                assert_eq!(transcode(&bytes, little_endian, step), text, "step {step}");
            }
        }
    }

    #[test]
    fn unpaired_surrogates_and_a_lone_last_byte_become_replacement_characters() {
        let mut bytes = Vec::new();
        for unit in [0x61, 0xd83d, 0x62, 0xde42, 0x63, 0xd83d] {
            bytes.extend_from_slice(&u16::to_le_bytes(unit));
        }
        bytes.push(b'x');
        assert_eq!(
            transcode(&bytes, true, 5),
            "a\u{fffd}b\u{fffd}c\u{fffd}\u{fffd}"
        );
    }

    #[test]
    fn a_read_error_is_passed_on() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("unexpected end of gzip stream"))
            }
        }
        let err = Utf16Reader::new(Broken, true)
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("gzip"), "{err}");
    }

    proptest! {
        #[test]
        fn any_bytes_transcode_as_std_does(bytes in proptest::collection::vec(any::<u8>(), 0..600), step in 1usize..40) {
            let units: Vec<u16> = bytes.chunks_exact(2).map(|p| u16::from_le_bytes([p[0], p[1]])).collect();
            let mut expected = String::from_utf16_lossy(&units);
            if bytes.len() % 2 == 1 {
                expected.push(char::REPLACEMENT_CHARACTER);
            }
            prop_assert_eq!(transcode(&bytes, true, step), expected);
        }
    }
}
