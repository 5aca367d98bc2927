//! A JSON well-formedness check for the records the prefilter skips, several times cheaper than
//! a parse: it builds nothing, jumps through strings with a bitmap of their quotes and
//! backslashes made in one vectorized pass, and checks UTF-8 once per record with the standard
//! library's vectorized validation.
//!
//! It answers "certainly well-formed" or "not sure". It never says yes to a text the parse
//! rejects: it is stricter than serde_json (which, with sonic-rs, decides what is malformed), and
//! what it is unsure of (control bytes, escaped surrogates, exponents, very long numbers, anything
//! past the grammar below) goes to the real parse, which reports the malformed ones.

use wide::u8x16;

/// Whether `text` is certainly one well-formed JSON value that serde_json accepts.
pub fn certainly_well_formed(text: &[u8]) -> bool {
    check(text).is_some()
}

/// Whether `text` is certainly one well-formed JSON object that is one record: not an array and
/// not a wrapper with a `Records`, `value` or `entries` array, which a JSON-lines decoder unwraps
/// into several records (a skipped line keeps the record numbers of a parsed one only if it is one
/// record).
pub(crate) fn certainly_one_record(text: &[u8]) -> bool {
    check(text).is_some_and(|wrapper| !wrapper)
}

/// `Some(whether it may be a wrapper)` when `text` certainly parses.
fn check(text: &[u8]) -> Option<bool> {
    // JSON's whitespace at the ends (a CRLF line keeps its CR); not `trim_ascii`, which also
    // takes the form feed JSON does not allow.
    let json_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = text
        .iter()
        .position(|b| !json_space(b))
        .unwrap_or(text.len());
    let end = text
        .iter()
        .rposition(|b| !json_space(b))
        .map_or(start, |i| i + 1);
    let text = text.get(start..end).unwrap_or_default();
    // Without control bytes a string needs no check for unescaped ones, and whitespace between
    // tokens is only spaces. Records holding a tab or a CR are left to the parse.
    MASKS.with(|cell| {
        let mut masks = cell.borrow_mut();
        let (control, non_ascii) = classify(text, &mut masks);
        if control || (non_ascii && std::str::from_utf8(text).is_err()) {
            return None;
        }
        let mut checker = Checker {
            text,
            masks: &masks,
            at: 0,
            wrapper: false,
        };
        checker.document()?;
        Some(checker.wrapper || text.first() == Some(&b'['))
    })
}

thread_local! {
    /// The quote and backslash bits of the text being checked, reused across records.
    static MASKS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One bit per byte of `text` into `masks` (bit `i % 64` of word `i / 64`), set at each `"` and
/// `\\`, and whether `text` holds a byte below 0x20 and one above 0x7f (only then is UTF-8 to
/// check). One pass of 16-byte vector compares; the grammar walk then finds the end of a string
/// from the bits in a few instructions, however short the string.
fn classify(text: &[u8], masks: &mut Vec<u64>) -> (bool, bool) {
    let (blocks, tail) = text.as_chunks::<64>();
    // Every word is assigned below: only a buffer grown longer needs filling first.
    if masks.len() <= blocks.len() {
        masks.resize(blocks.len() + 1, 0);
    }
    masks.truncate(blocks.len() + 1);
    // The tail padded with spaces, which are none of the bytes looked for.
    let mut last = [b' '; 64];
    if let Some(head) = last.get_mut(..tail.len()) {
        head.copy_from_slice(tail);
    }
    let (quote, backslash, below) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    let (mut control, mut high) = (u8x16::splat(0), u8x16::splat(0));
    for (block, bits) in blocks.iter().chain([&last]).zip(masks.iter_mut()) {
        let (lanes, _) = block.as_chunks::<16>();
        *bits = 0;
        for (k, &lane) in lanes.iter().enumerate() {
            let v = u8x16::from(lane);
            let hits = v.simd_eq(quote) | v.simd_eq(backslash);
            *bits |= u64::from(hits.to_bitmask()) << (16 * k);
            control |= v.min(below).simd_eq(v);
            high |= v;
        }
    }
    (control.to_bitmask() != 0, high.to_bitmask() != 0)
}

/// Containers deeper than this are left to the parse (and its depth limit, 128 by default).
pub(crate) const MAX_DEPTH: usize = 100;

struct Checker<'a> {
    text: &'a [u8],
    /// `classify`'s bits of `text`.
    masks: &'a [u64],
    at: usize,
    /// A top-level member named `Records`, `value` or `entries` holds an array.
    wrapper: bool,
}

impl Checker<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// One value and nothing after it. Containers are tracked on an explicit stack, so a deep
    /// text cannot exhaust the call stack.
    fn document(&mut self) -> Option<()> {
        let mut open: Vec<u8> = Vec::new();
        'value: loop {
            self.spaces();
            match self.peek()? {
                open_byte @ (b'{' | b'[') => {
                    if open.len() >= MAX_DEPTH {
                        return None;
                    }
                    let close = if open_byte == b'{' { b'}' } else { b']' };
                    self.at += 1;
                    self.spaces();
                    if self.eat(close).is_none() {
                        open.push(close);
                        if close == b'}' {
                            self.member(open.len())?;
                        }
                        continue 'value;
                    }
                }
                b'"' => self.string()?,
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'n' => self.word(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            // After a value: the next member or element, or the end of containers.
            loop {
                self.spaces();
                let Some(&close) = open.last() else {
                    return (self.at == self.text.len()).then_some(());
                };
                match self.peek()? {
                    b',' => {
                        self.at += 1;
                        if close == b'}' {
                            self.spaces();
                            self.member(open.len())?;
                        }
                        continue 'value;
                    }
                    b if b == close => {
                        self.at += 1;
                        open.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A member's name and its colon.
    /// A member's name and its colon, noting a top-level wrapper array.
    fn member(&mut self, depth: usize) -> Option<()> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.at;
        self.string()?;
        let name = self.text.get(start..self.at)?;
        self.spaces();
        self.eat(b':')?;
        if depth == 1 && matches!(name, b"\"Records\"" | b"\"value\"" | b"\"entries\"") {
            self.spaces();
            self.wrapper |= self.peek() == Some(b'[');
        }
        Some(())
    }

    /// A string from its opening quote: escapes checked, the rest skipped with `memchr`.
    fn string(&mut self) -> Option<()> {
        self.at += 1;
        loop {
            self.at = self.quote_or_backslash()?;
            if self.peek()? == b'"' {
                self.at += 1;
                return Some(());
            }
            // A backslash: one of the simple escapes, or `\u` and four hex digits that are not
            // half of a surrogate pair (pairs and lone halves are left to the parse).
            match self.text.get(self.at + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 2,
                b'u' => {
                    let hex = self.text.get(self.at + 2..self.at + 6)?;
                    let surrogate = hex.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'd'))
                        && !matches!(hex.get(1), Some(b'0'..=b'7'));
                    if !hex.iter().all(u8::is_ascii_hexdigit) || surrogate {
                        return None;
                    }
                    self.at += 6;
                }
                _ => return None,
            }
        }
    }

    /// The first `"` or `\\` at `self.at` or after.
    fn quote_or_backslash(&self) -> Option<usize> {
        let mut word = self.at / 64;
        let mut bits = self.masks.get(word)? & (u64::MAX << (self.at % 64));
        while bits == 0 {
            word += 1;
            bits = *self.masks.get(word)?;
        }
        Some(word * 64 + bits.trailing_zeros() as usize)
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)?` of at most 300 digits: always in range as an `f64` or
    /// an integer. Exponents are left to the parse (an overflowing one is an error there).
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        let _ = self.eat(b'-');
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.eat(b'.').is_some() {
            let before = self.at;
            self.digits();
            if self.at == before {
                return None;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.at - start > 300 {
            return None;
        }
        Some(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    use super::certainly_well_formed;

    fn parses(text: &[u8]) -> bool {
        serde_json::from_slice::<Value>(text).is_ok()
    }

    #[test]
    fn accepts_ordinary_records_and_rejects_or_defers_the_rest() {
        for ok in [
            r#"{"a":1}"#,
            r#"  {"a": [1, -2.5, 0, true, false, null, "x\"\\\/\b\f\n\r\tA"], "b": {}}  "#,
            r#"[]"#,
            r#""just a string""#,
            r#"{"eventSource":"iam.amazonaws.com","n":-0.0,"u":"\u00e9\uD7FF"}"#,
        ] {
            assert!(certainly_well_formed(ok.as_bytes()), "{ok}");
            assert!(parses(ok.as_bytes()), "{ok}");
        }
        for unsure in [
            r#"{"a":1,"#,
            r#"{"a":tru}"#,
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":1e5}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\uD83D\uDE00"}"#,
            "{\"a\":\"\t\"}",
            "{\"a\":\t1}",
            r#"{"a":1} {"b":2}"#,
            r#"{a:1}"#,
            r#"{"a" 1}"#,
            r#"[1 2]"#,
            "",
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(!certainly_well_formed(unsure.as_bytes()), "{unsure}");
        }
        assert!(!certainly_well_formed(b"{\"a\":\"\xff\"}"));
        let deep = format!("{}{}", "[".repeat(101), "]".repeat(101));
        assert!(!certainly_well_formed(deep.as_bytes()));
        let fine = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(certainly_well_formed(fine.as_bytes()));
        assert!(parses(fine.as_bytes()));
    }

    fn arb_json() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just(r#"{"Records": [1], "x": 2}"#.to_owned()),
            Just(r#"{"value": []}"#.to_owned()),
            Just("null".to_owned()),
            Just("true".to_owned()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| serde_json::to_string(&f).unwrap()),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[a-z\\\\\"/u0-9dD]{0,8}".prop_map(|s| format!("\"{s}\"")),
        ];
        leaf.prop_recursive(4, 32, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((any::<String>(), inner), 0..5).prop_map(|m| {
                    let members: Vec<String> = m
                        .into_iter()
                        .map(|(k, v)| format!("{}: {v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{{}}}", members.join(", "))
                }),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// The bits mark exactly the quotes and backslashes, and the flags say whether some
        /// byte is below 0x20 and some above 0x7f.
        #[test]
        fn classify_marks_every_quote_and_backslash(
            bytes in prop::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), Just(0x80u8 | b'"'), Just(b'a'), any::<u8>()], 0..200),
        ) {
            // A buffer left dirty by a longer text, as the reused one is.
            let mut masks = vec![u64::MAX; 5];
            let (control, high) = super::classify(&bytes, &mut masks);
            prop_assert_eq!(control, bytes.iter().any(|&b| b < 0x20));
            if !control {
                prop_assert_eq!(high, bytes.iter().any(|&b| b > 0x7f));
                for (i, &b) in bytes.iter().enumerate() {
                    let bit = masks.get(i / 64).is_some_and(|m| m >> (i % 64) & 1 == 1);
                    prop_assert_eq!(bit, b == b'"' || b == b'\\', "byte {}", i);
                }
            }
        }

        /// Never yes to a text serde_json rejects, however the text was damaged.
        #[test]
        fn never_accepts_what_the_parse_rejects(
            text in arb_json(),
            cut in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            edit in 0u8..4,
        ) {
            let mut bytes = text.into_bytes();
            if !bytes.is_empty() {
                let at = cut.index(bytes.len());
                match edit {
                    0 => bytes.truncate(at),
                    1 => bytes[at] = byte,
                    2 => bytes.insert(at, byte),
                    _ => {}
                }
            }
            if certainly_well_formed(&bytes) {
                prop_assert!(parses(&bytes), "{:?}", String::from_utf8_lossy(&bytes));
            }
            if super::certainly_one_record(&bytes) {
                let mut value: Value = serde_json::from_slice(&bytes).unwrap();
                prop_assert!(crate::jsonl::unwrap_container(&mut value).is_none());
            }
        }

        /// Arbitrary bytes: the same, and no panic.
        #[test]
        fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if certainly_well_formed(&bytes) {
                prop_assert!(parses(&bytes));
            }
        }
    }
}
