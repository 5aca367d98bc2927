//! Fuzz zip archives as inputs: the central directory read by the `zip` crate, each member read
//! and checked by `enumwatch_ingest` (see `shared/zip_check.rs` for the property).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../shared/zip_check.rs"]
mod zip_check;

fuzz_target!(|data: &[u8]| {
    zip_check::check(data);
});
