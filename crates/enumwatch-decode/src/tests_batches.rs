//! `LineBatches` gives exactly what the sequential JSON-lines decoder gives: the same records at
//! the same locations, the same errors, the same count of skipped records, whatever the batch
//! sizes and whichever lines the caller leaves undecoded.

use std::io::{BufReader, Cursor, Read};
use std::sync::Arc;

use enumwatch_event::RecordPrefilter;
use proptest::prelude::*;

use super::*;

#[derive(Debug)]
struct KeepOnly;

impl RecordPrefilter for KeepOnly {
    fn admits(&self, text: &[u8]) -> bool {
        text.windows(4).any(|w| w == b"keep")
    }
}

fn reader(bytes: &[u8], fail: bool) -> Box<dyn BufRead + Send> {
    let cut = Failing(fail.then(|| std::io::Error::other("connection reset")));
    Box::new(BufReader::new(Cursor::new(bytes.to_vec()).chain(cut)))
}

fn limits(prefilter: bool, check_skipped: bool) -> DecodeLimits {
    DecodeLimits {
        max_record_bytes: 80,
        max_depth: 4,
        prefilter: prefilter.then(|| Arc::new(KeepOnly) as Arc<dyn RecordPrefilter>),
        check_skipped,
    }
}

type Items = Vec<Result<RawRecord, DecodeError>>;

fn sequential(bytes: &[u8], fail: bool, limits: &DecodeLimits) -> (Items, u64) {
    let mut decoder = decode(Arc::from("t"), reader(bytes, fail), limits);
    let items = (&mut decoder).collect();
    (items, decoder.prefiltered())
}

fn batched(
    bytes: &[u8],
    fail: bool,
    limits: &DecodeLimits,
    max_bytes: usize,
    undecoded: u64,
) -> (Items, u64) {
    let decoder = decode(Arc::from("t"), reader(bytes, fail), limits);
    let mut batches = match decoder.into_line_batches() {
        Ok(batches) => batches,
        Err(decoder) => panic!("not JSON lines: {:?}", decoder.format()),
    };
    let mut items = Vec::new();
    let (framer, decoder, numbering) = batches.parts();
    while let Some(batch) = framer.read(max_bytes) {
        let outcomes = (0..batch.len())
            .map(|i| {
                if undecoded >> (i % 64) & 1 == 1 {
                    LineOutcome::later()
                } else {
                    decoder.outcome(&batch, i)
                }
            })
            .collect();
        items.extend(numbering.number(batch, outcomes, decoder));
    }
    (items, batches.prefiltered())
}

fn line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"a":"keep"}"#.to_owned()),
        Just(r#"{"a":"drop"}"#.to_owned()),
        Just(r#"{"Records":[{"a":"keep"},{"a":"drop"}]}"#.to_owned()),
        Just(r#"{"value": [{"a": "drop"}]}"#.to_owned()),
        Just(r#"[{"a":"keep"}, 2]"#.to_owned()),
        Just("[]".to_owned()),
        Just(r#"{"a":"keep","#.to_owned()),
        Just(r#"{"a":tru}"#.to_owned()),
        Just("   ".to_owned()),
        Just("[[[[[[1]]]]]]".to_owned()),
        Just(format!(r#"{{"a":"{}"}}"#, "x".repeat(100))),
        Just("{\"a\":\"keep\"}\r".to_owned()),
        Just("{\"a\":\"\u{e9}\"}".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn batches_decode_exactly_like_the_sequential_decoder(
        lines in prop::collection::vec(line(), 1..24),
        trailing_newline in any::<bool>(),
        fail in any::<bool>(),
        prefilter in any::<bool>(),
        check_skipped in any::<bool>(),
        max_bytes in 1usize..200,
        undecoded in any::<u64>(),
    ) {
        // A JSON-lines input must sniff as one: start it with a plain record.
        let mut text = format!("{{\"a\":\"keep\"}}\n{}", lines.join("\n"));
        if trailing_newline {
            text.push('\n');
        }
        let limits = limits(prefilter, check_skipped);
        // What sniffs as a JSON document (a damaged second line can) is not this test's.
        let format = decode(Arc::from("t"), reader(text.as_bytes(), fail), &limits).format();
        prop_assume!(format == Some(Format::JsonLines));
        let (want, want_skipped) = sequential(text.as_bytes(), fail, &limits);
        let (got, got_skipped) = batched(text.as_bytes(), fail, &limits, max_bytes, undecoded);
        prop_assert_eq!(got, want);
        prop_assert_eq!(got_skipped, want_skipped);
    }
}

#[test]
fn other_formats_stay_decoders() {
    let decoder = decode(
        Arc::from("t"),
        reader(b"[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n", false),
        &DecodeLimits::default(),
    );
    let decoder = match decoder.into_line_batches() {
        Ok(_) => panic!("a JSON document is not JSON lines"),
        Err(decoder) => decoder,
    };
    assert_eq!(decoder.count(), 2);
}
