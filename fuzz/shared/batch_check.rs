//! Shared by the `decode` fuzz target and the corpus replay in `cargo test`: a JSON-lines input
//! decoded through `LineBatches` (small batches, some lines left for `number` to decode) gives
//! exactly the records and errors of the sequential decoder.

use std::io::Cursor;
use std::sync::Arc;

use enumwatch_decode::{DecodeLimits, LineOutcome, decode};

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
