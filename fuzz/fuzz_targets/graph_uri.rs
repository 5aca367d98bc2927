//! Fuzz the Graph request-URI parser (`graph_uri`, private to enumwatch-normalize) through the
//! normalizer: `shared/graph_record.rs` turns the input into a Graph activity record whose
//! `requestUri` is arbitrary text. Normalizing must never panic; a typed shape is never unrecognized.
#![no_main]

#[path = "../shared/graph_record.rs"]
mod graph_record;

use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(body) = graph_record::graph_record(data) else {
        return;
    };
    let record = RawRecord {
        location: Location::new(Arc::from("fuzz"), 0),
        body,
    };
    let mut normalizer = enumwatch_normalize::Normalizer::new();
    let mut out = Vec::new();
    let outcome = normalizer.push(record, &mut out);
    // The three typed shapes name their category, so they are always recognised.
    let typed = data.first().is_some_and(|b| b % 4 != 3);
    assert!(!typed || outcome != enumwatch_normalize::Disposition::Unrecognized);
    normalizer.finish(&mut out);
});
