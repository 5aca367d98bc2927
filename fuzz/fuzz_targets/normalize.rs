//! Fuzz decode then normalize: every decoded record must normalize (or be reported) without panicking.
#![no_main]

use std::io::Cursor;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let decoder = enumwatch_decode::decode(
        Arc::from("fuzz"),
        Box::new(Cursor::new(data.to_vec())),
        &enumwatch_decode::DecodeLimits::default(),
    );
    let mut normalizer = enumwatch_normalize::Normalizer::new();
    let mut out = Vec::new();
    for record in decoder.flatten() {
        normalizer.push(record, &mut out);
    }
    normalizer.finish(&mut out);
});
