//! The one pass every record the prefilter is asked about takes: its text lower-cased for the
//! case-sensitive literal search, and the bytes that decide whether it must be parsed anyway.

use wide::u8x16;

/// What the lower-casing pass saw of a text, for `forces_parse_given`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TextFlags {
    pub(super) backslash: bool,
    /// A byte above 0x7f.
    pub(super) non_ascii: bool,
}

/// `text` lower-cased (ASCII) into the start of `out`, and what bytes it holds (`TextFlags`):
/// one pass of 16-byte vector operations, where finding each flag afterwards would take a pass
/// of its own.
pub(super) fn lower_case_into<'a>(text: &[u8], out: &'a mut Vec<u8>) -> (&'a [u8], TextFlags) {
    // Every byte is written below, so the buffer only grows (filled once) and is never
    // shortened: a shortened one would be filled again up to each longer record.
    if out.len() < text.len() {
        out.resize(text.len(), 0);
    }
    let out = out.get_mut(..text.len()).unwrap_or_default();
    let (blocks, tail) = text.as_chunks::<16>();
    let (lowered, lowered_tail) = out.as_chunks_mut::<16>();
    let (upper_a, span, case_bit, slash) = (
        u8x16::splat(b'A'),
        u8x16::splat(25),
        u8x16::splat(0x20),
        u8x16::splat(b'\\'),
    );
    let (mut backslash, mut high) = (u8x16::splat(0), u8x16::splat(0));
    for (&block, dst) in blocks.iter().zip(lowered.iter_mut()) {
        let v = u8x16::from(block);
        // `v - 'A'` wraps below 'A', so "at most 25" holds for 'A'..='Z' only.
        let from_a = v - upper_a;
        let upper = from_a.min(span).simd_eq(from_a);
        *dst = (v | (upper & case_bit)).to_array();
        backslash |= v.simd_eq(slash);
        high |= v;
    }
    let (mut tail_backslash, mut tail_high) = (false, false);
    for (&b, dst) in tail.iter().zip(lowered_tail.iter_mut()) {
        tail_backslash |= b == b'\\';
        tail_high |= b > 0x7f;
        *dst = b.to_ascii_lowercase();
    }
    let flags = TextFlags {
        backslash: tail_backslash || backslash.to_bitmask() != 0,
        non_ascii: tail_high || high.to_bitmask() != 0,
    };
    (out, flags)
}
