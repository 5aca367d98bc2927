//! A JSON well-formedness check for the records the prefilter skips, several times cheaper than
//! a parse: it builds nothing, jumps to the end of each string with a bitmap of the quotes no
//! backslash escapes (made in one vectorized pass, which also checks every escape), and checks
//! UTF-8 once per record with the standard library's vectorized validation.
//!
//! It answers "certainly well-formed" or "not sure". It never says yes to a text the parse
//! rejects: it is stricter than serde_json (which, with sonic-rs, decides what is malformed), and
//! what it is unsure of (control bytes, escaped surrogates, exponents, very long numbers, anything
//! past the grammar below) goes to the real parse, which reports the malformed ones.

use wide::u8x16;

/// The member every PowerShell `EventLogRecord` has, quotes included (see `member`).
const QUOTED_PROVIDER_NAME_KEY: &[u8] = b"\"ProviderName\"";

/// Whether `text` is certainly one well-formed JSON value that serde_json accepts (and, when it
/// is a CloudTrail event-history entry, that the record its string holds is; never sure of one).
pub fn certainly_well_formed(text: &[u8]) -> bool {
    check(text).is_some()
}

/// Whether `text` is certainly one well-formed JSON object that is one record: not an array and
/// not a wrapper with a `Records`, `value`, `entries` or `Events` array, which a JSON-lines decoder unwraps
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
        let non_ascii = classify(text, &mut masks)?;
        if non_ascii && std::str::from_utf8(text).is_err() {
            return None;
        }
        let mut checker = Checker {
            text,
            masks: &masks,
            at: 0,
            wrapper: false,
            leading: false,
        };
        checker.document()?;
        Some(checker.wrapper || text.first() == Some(&b'['))
    })
}

thread_local! {
    /// The string-ending quote bits of the text being checked, reused across records.
    static MASKS: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One bit per byte of `text` into `masks` (bit `i % 64` of word `i / 64`), set at each `"` that
/// no backslash escapes, and whether `text` holds a byte above 0x7f (only then is UTF-8 to
/// check); `None` when it holds a byte below 0x20 or an escape that is not certainly valid. One
/// pass of 16-byte vector compares, and a look at each escape; the grammar walk then finds the
/// end of a string in a few instructions, however long the string and however many escapes.
fn classify(text: &[u8], masks: &mut Vec<u64>) -> Option<bool> {
    let (blocks, tail) = text.as_chunks::<64>();
    // Every word is assigned below: only a buffer grown longer needs filling first.
    if masks.len() <= blocks.len() {
        masks.resize(blocks.len() + 1, 0);
    }
    masks.truncate(blocks.len() + 1);
    // The tail padded with spaces, which are none of the bytes looked for (an escape of one is
    // invalid, so a text ending in a backslash is unsure).
    let mut last = [b' '; 64];
    if let Some(head) = last.get_mut(..tail.len()) {
        head.copy_from_slice(tail);
    }
    let (quote, backslash, below) = (u8x16::splat(b'"'), u8x16::splat(b'\\'), u8x16::splat(0x1f));
    let (mut control, mut high) = (u8x16::splat(0), u8x16::splat(0));
    let mut carry = 0u64;
    for ((block, bits), at) in blocks
        .iter()
        .chain([&last])
        .zip(masks.iter_mut())
        .zip((0..).step_by(64))
    {
        let (lanes, _) = block.as_chunks::<16>();
        let (mut quotes, mut backslashes) = (0u64, 0u64);
        for (k, &lane) in lanes.iter().enumerate() {
            let v = u8x16::from(lane);
            quotes |= u64::from(v.simd_eq(quote).to_bitmask()) << (16 * k);
            backslashes |= u64::from(v.simd_eq(backslash).to_bitmask()) << (16 * k);
            control |= v.min(below).simd_eq(v);
            high |= v;
        }
        let escaped = escaped_bits(backslashes, &mut carry);
        // An escaped quote or backslash is a valid escape: only the others are looked at (a
        // Windows path holds a `\\` per directory, a hundred in a process record).
        let mut rest = escaped & !(quotes | backslashes);
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if !valid_escape(block, i, text, at + i) {
                return None;
            }
        }
        *bits = quotes & !escaped;
    }
    if control.to_bitmask() != 0 {
        return None;
    }
    Some(high.to_bitmask() != 0)
}

/// The bits of the bytes a backslash escapes, given the bits of the backslashes of a 64-byte
/// block; `carry` says whether the first byte is escaped, and is set for the next block. A run
/// of backslashes escapes every other byte from its start, so which bytes are escaped depends
/// on the parity of where each run starts: one subtraction finds it for the whole block (the
/// method of simdjson's escape scanner).
fn escaped_bits(backslashes: u64, carry: &mut u64) -> u64 {
    const ODD_BITS: u64 = 0xAAAA_AAAA_AAAA_AAAA;
    let potential = backslashes & !*carry;
    let maybe_escaped = potential << 1;
    let codes = (maybe_escaped | ODD_BITS).wrapping_sub(potential) ^ ODD_BITS;
    let escaped = codes ^ (backslashes | *carry);
    *carry = (codes & backslashes) >> 63;
    escaped
}

/// Whether the byte a backslash escapes, `i` of `block` (at `at` of `text`), makes one of
/// JSON's simple escapes, or `\u` and four hex digits that are not half of a surrogate pair
/// (pairs and lone halves are left to the parse).
fn valid_escape(block: &[u8; 64], i: usize, text: &[u8], at: usize) -> bool {
    match block.get(i) {
        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => true,
        Some(b'u') => text.get(at + 1..at + 5).is_some_and(|hex| {
            let surrogate = hex.first().is_some_and(|b| b.eq_ignore_ascii_case(&b'd'))
                && !matches!(hex.get(1), Some(b'0'..=b'7'));
            hex.iter().all(u8::is_ascii_hexdigit) && !surrogate
        }),
        _ => false,
    }
}

/// Containers deeper than this are left to the parse (and its depth limit, 128 by default).
pub(crate) const MAX_DEPTH: usize = 100;

/// The grammar walk over a text `classify` accepted (so it holds no byte below 0x20: a 0 read
/// past its end stops every loop and fails every match, with no bounds to test on the way).
struct Checker<'a> {
    text: &'a [u8],
    /// `classify`'s bits of `text`.
    masks: &'a [u64],
    at: usize,
    /// A top-level member named as in `WRAPPER_KEYS` holds an array.
    wrapper: bool,
    /// The top-level object's first member is named as in `LEADING_WRAPPER_KEYS`: a repeated key
    /// keeps the first one's place (and the last one's value), so any of them may make it a
    /// wrapper (any leading key after it counts: a superset, which only makes the check less
    /// sure).
    leading: bool,
}

impl Checker<'_> {
    /// The byte at the cursor, 0 past the end.
    fn byte(&self) -> u8 {
        self.text.get(self.at).copied().unwrap_or(0)
    }

    fn spaces(&mut self) {
        while self.byte() == b' ' {
            self.at += 1;
        }
    }

    /// One value and nothing after it. Open containers are bits of a word (set: an object), so
    /// a deep text needs no stack and cannot exhaust the call stack.
    fn document(&mut self) -> Option<()> {
        const _: () = assert!(MAX_DEPTH <= 128);
        // `object`: whether the innermost open container is an object.
        let (mut objects, mut depth, mut object) = (0u128, 0usize, false);
        'value: loop {
            self.spaces();
            match self.byte() {
                open @ (b'{' | b'[') => {
                    if depth >= MAX_DEPTH {
                        return None;
                    }
                    self.at += 1;
                    self.spaces();
                    let opened = open == b'{';
                    if self.byte() != if opened { b'}' } else { b']' } {
                        objects = (objects & !(1 << depth)) | (u128::from(opened) << depth);
                        depth += 1;
                        object = opened;
                        if object {
                            self.member(depth, true)?;
                        }
                        continue 'value;
                    }
                    self.at += 1;
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
                if depth == 0 {
                    return (self.at == self.text.len()).then_some(());
                }
                match (self.byte(), object) {
                    (b',', _) => {
                        self.at += 1;
                        if object {
                            self.spaces();
                            self.member(depth, false)?;
                        }
                        continue 'value;
                    }
                    (b'}', true) | (b']', false) => {
                        self.at += 1;
                        depth -= 1;
                        object = depth > 0 && objects >> (depth - 1) & 1 == 1;
                    }
                    _ => return None,
                }
            }
        }
    }

    /// A member's name and its colon, noting a top-level wrapper array. Inlined into its two
    /// callers: a call per member cost a tenth of the walk.
    #[inline(always)]
    fn member(&mut self, depth: usize, first: bool) -> Option<()> {
        if self.byte() != b'"' {
            return None;
        }
        let start = self.at;
        self.string()?;
        let mut wrapper = false;
        if depth == 1 {
            match self.text.get(start..self.at) {
                // Never sure of a CloudTrail event-history entry: its record is in a string that
                // only the parse checks (`embedded`), and one that holds no record is reported.
                // Nor of a page of query results, which holds many records (`result_set`): an
                // Athena result, a Splunk export line or `results` page, an Elasticsearch
                // search response. Nor of a PowerShell `EventLogRecord`, whose fields hold no
                // name the prefilter searches for (the prefilter itself knows only those
                // opening with a property a user puts first). One pattern: the match compares
                // lengths first, so most keys cost no byte comparison.
                Some(
                    crate::embedded::QUOTED_KEY
                    | crate::result_set::QUOTED_KEY
                    | crate::splunk::QUOTED_PREVIEW_KEY
                    | crate::elastic::QUOTED_TOOK_KEY
                    | QUOTED_PROVIDER_NAME_KEY,
                ) => return None,
                Some(key) => {
                    self.leading |= first && crate::is_wrapper_key(key, true);
                    wrapper = crate::is_wrapper_key(key, self.leading);
                }
                None => {}
            }
        }
        self.spaces();
        if self.byte() != b':' {
            return None;
        }
        self.at += 1;
        if wrapper {
            self.spaces();
            self.wrapper |= self.byte() == b'[';
        }
        Some(())
    }

    /// A string from its opening quote to the quote that ends it (`classify` checked its
    /// escapes).
    fn string(&mut self) -> Option<()> {
        let from = self.at + 1;
        let mut word = from / 64;
        let mut bits = self.masks.get(word)? & (u64::MAX << (from % 64));
        while bits == 0 {
            word += 1;
            bits = *self.masks.get(word)?;
        }
        self.at = word * 64 + bits.trailing_zeros() as usize + 1;
        // A bit of the padding past the text is no quote.
        (self.at <= self.text.len()).then_some(())
    }

    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.text.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)?` of at most 300 digits: always in range as an `f64` or
    /// an integer. Exponents are left to the parse (an overflowing one is an error there).
    fn number(&mut self) -> Option<()> {
        let start = self.at;
        if self.byte() == b'-' {
            self.at += 1;
        }
        match self.byte() {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.byte() == b'.' {
            self.at += 1;
            let before = self.at;
            self.digits();
            if self.at == before {
                return None;
            }
        }
        if matches!(self.byte(), b'e' | b'E') || self.at - start > 300 {
            return None;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.byte().is_ascii_digit() {
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
            // Closers that do not match their opener, at the top and nested.
            r#"{"a":1]"#,
            r#"[1}"#,
            r#"{"a":[1}]"#,
            r#"[{"a":1]]"#,
            r#"{"a":{"b":[]]}"#,
            r#"{a:1}"#,
            r#"{"a" 1}"#,
            r#"[1 2]"#,
            "",
            "{\"a\":\"\u{1}\"}",
        ] {
            assert!(!certainly_well_formed(unsure.as_bytes()), "{unsure}");
        }
        // Records that are never skipped unread: an event-history entry, pages of many
        // records, a PowerShell `EventLogRecord` whatever property opens it; a key only nested
        // deeper does not count.
        for held in [
            r#"{"EventId":"1","CloudTrailEvent":"{}"}"#,
            r#"{"UpdateCount":0,"ResultSet":{"Rows":[]}}"#,
            r#"{"preview":false,"result":{"_raw":"{}"}}"#,
            r#"{"took":1,"hits":{"hits":[]}}"#,
            r#"{"Keywords":1,"Id":4688,"ProviderName":"Microsoft-Windows-Security-Auditing"}"#,
        ] {
            assert!(parses(held.as_bytes()), "{held}");
            assert!(!certainly_well_formed(held.as_bytes()), "{held}");
        }
        assert!(certainly_well_formed(
            br#"{"a":{"ProviderName":"x","took":1}}"#
        ));
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
            Just(r#"{"NextToken": "x", "Events": [2]}"#.to_owned()),
            Just(r#"{"events": [3], "nextToken": "x"}"#.to_owned()),
            Just(r#"{"records": [5]}"#.to_owned()),
            Just(r#"{"a": 1, "records": [6]}"#.to_owned()),
            Just(r#"{"messageType": "DATA_MESSAGE", "owner": "1", "logEvents": [4]}"#.to_owned()),
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

        /// The bits mark exactly the quotes no backslash escapes, where a plain scan finds
        /// them, and the flag says whether some byte is above 0x7f.
        #[test]
        fn classify_marks_every_unescaped_quote(
            pieces in prop::collection::vec(prop_oneof![
                20 => prop::sample::select(vec![
                    &b"a"[..], b"\"", b"\\\\", b"\\\"", b"\\n", b"\\/", b"\\u00e9", b"\xc3\xa9",
                ]).prop_map(<[u8]>::to_vec),
                // A lone backslash: with the next piece, a longer run or an invalid escape.
                1 => Just(b"\\".to_vec()),
            ], 0..120),
            damage in prop::option::weighted(0.3, (any::<prop::sample::Index>(), prop_oneof![
                prop::sample::select(vec![&b"\\ud800"[..], b"\\x", b"\\u12", b"\\"]).prop_map(<[u8]>::to_vec),
                any::<u8>().prop_map(|b| vec![b]),
            ])),
        ) {
            let mut bytes = pieces.concat();
            if let Some((at, piece)) = damage {
                let at = at.index(bytes.len() + 1);
                bytes.splice(at..at, piece);
            }
            // A buffer left dirty by a longer text, as the reused one is.
            let mut masks = vec![u64::MAX; 9];
            let classified = super::classify(&bytes, &mut masks);
            // The plain scan: a backslash escapes the byte after it.
            let (mut escaped, mut valid, mut i) = (vec![false; bytes.len()], true, 0);
            while i < bytes.len() {
                if bytes[i] == b'\\' {
                    match bytes.get(i + 1) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => valid &= bytes.get(i + 2..i + 6).is_some_and(|h| {
                            h.iter().all(u8::is_ascii_hexdigit)
                                && (!h[0].eq_ignore_ascii_case(&b'd') || (b'0'..=b'7').contains(&h[1]))
                        }),
                        _ => valid = false,
                    }
                    if let Some(e) = escaped.get_mut(i + 1) {
                        *e = true;
                    }
                    i += 2;
                } else {
                    i += 1;
                }
            }
            let control = bytes.iter().any(|&b| b < 0x20);
            prop_assert_eq!(classified.is_some(), valid && !control);
            if let Some(high) = classified {
                prop_assert_eq!(high, bytes.iter().any(|&b| b > 0x7f));
                for (i, &b) in bytes.iter().enumerate() {
                    let bit = masks.get(i / 64).is_some_and(|m| m >> (i % 64) & 1 == 1);
                    prop_assert_eq!(bit, b == b'"' && !escaped[i], "byte {}", i);
                }
            }
        }

        /// Never yes to a text serde_json rejects, however the text was damaged.
        #[test]
        fn never_accepts_what_the_parse_rejects(
            text in arb_json(),
            cut in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            edit in 0u8..5,
        ) {
            let mut bytes = text.into_bytes();
            if !bytes.is_empty() {
                let at = cut.index(bytes.len());
                match edit {
                    0 => bytes.truncate(at),
                    1 => bytes[at] = byte,
                    2 => bytes.insert(at, byte),
                    // A closer swapped for the other kind: `}` for `]` and back.
                    3 => {
                        if let Some(b) = bytes.iter_mut().skip(at).find(|b| matches!(b, b'}' | b']')) {
                            *b = if *b == b'}' { b']' } else { b'}' };
                        }
                    }
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
