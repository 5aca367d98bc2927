//! Fuzz target: any bytes through format sniffing and every decoder must never panic, and every
//! item must carry a location inside the input it came from; JSON lines decoded in batches give
//! exactly what the sequential decoder gives, and so does reading the input by seeking.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use enumwatch_decode::{DecodeLimits, decode};
use libfuzzer_sys::fuzz_target;

#[path = "../shared/batch_check.rs"]
mod batch_check;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits {
        max_record_bytes: 4096,
        max_depth: 32,
        ..DecodeLimits::default()
    };
    let source: Arc<str> = Arc::from("fuzz");
    let decoder = decode(
        Arc::clone(&source),
        Box::new(Cursor::new(data.to_vec())),
        &limits,
    );
    for item in decoder {
        let location = match item {
            Ok(record) => record.location,
            Err(error) => {
                let _ = error.reason();
                let _ = error.to_string();
                error.location
            }
        };
        assert_eq!(location.source, source);
    }
    batch_check::batches_match_the_sequential_decoder(data, &limits);
    batch_check::seekable_matches_the_stream(data, &limits);
});
