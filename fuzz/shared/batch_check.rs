//! Shared by the `decode` fuzz target and the corpus replay in `cargo test`: a JSON-lines input
//! decoded through `LineBatches` (small batches, some lines left for `number` to decode) gives
//! exactly the records and errors of the sequential decoder; and the same bytes also handed over
//! as a seekable file (as a file on disk is, which EVTX is then read from) give the same items.

use std::io::Cursor;
use std::sync::Arc;

use enumwatch_decode::{DecodeLimits, LineOutcome, SeekRead, decode, decode_seekable};

pub(crate) fn batches_match_the_sequential_decoder(data: &[u8], limits: &DecodeLimits) {
    let open = || {
        decode(
            Arc::from("fuzz"),
            Box::new(Cursor::new(data.to_vec())),
            limits,
        )
    };
    let want: Vec<_> = open().collect();
    let Ok(mut batches) = open().into_line_batches() else {
        return;
    };
    // Batch sizes and undecoded lines chosen by the data itself.
    let max_bytes = 1 + usize::from(data.first().copied().unwrap_or(0));
    let undecoded = data.last().copied().unwrap_or(0);
    let (framer, decoder, numbering) = batches.parts();
    let mut got = Vec::new();
    while let Some(batch) = framer.read(max_bytes) {
        let outcomes = (0..batch.len())
            .map(|i| {
                if undecoded >> (i % 8) & 1 == 1 {
                    LineOutcome::later()
                } else {
                    decoder.outcome(&batch, i)
                }
            })
            .collect();
        got.extend(numbering.number(batch, outcomes, decoder));
    }
    assert!(
        got == want,
        "batched decoding differs from the sequential decoder"
    );
}

pub(crate) fn seekable_matches_the_stream(data: &[u8], limits: &DecodeLimits) {
    let stream = || Box::new(Cursor::new(data.to_vec()));
    let want: Vec<_> = decode(Arc::from("fuzz"), stream(), limits).collect();
    let file: Box<dyn SeekRead> = stream();
    let got: Vec<_> = decode_seekable(Arc::from("fuzz"), stream(), Some(file), limits).collect();
    assert_eq!(got, want, "read by seeking, the input decodes differently");
}
