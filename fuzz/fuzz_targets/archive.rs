//! Fuzz archives as inputs: a zip's central directory read by the `zip` crate, a tar's headers
//! by the `tar` crate (plain or gzip-compressed), each member read and checked by
//! `enumwatch_ingest` (see `shared/archive_check.rs` for the property).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../shared/archive_check.rs"]
mod archive_check;

fuzz_target!(|data: &[u8]| {
    archive_check::check(data);
});
