//! Fuzz the raw-text prefilter's soundness: a text whose decoded, normalized record matches a
//! rule must never be rejected (`shared/prefilter_check.rs`).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../shared/prefilter_check.rs"]
mod prefilter_check;

fuzz_target!(|data: &[u8]| prefilter_check::check(data));
