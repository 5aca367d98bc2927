//! Replays the fuzz seed corpus (`fuzz/corpus/decode/` at the repository root) through `decode`
//! so `cargo test` exercises every seed without cargo-fuzz.

// Fixture helpers outside `#[test]` functions: a broken fixture should fail loudly.
#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::sync::Arc;

use enumwatch_decode::{DecodeLimits, decode};

#[test]
fn every_seed_decodes_without_panicking() {
    let dir = format!("{}/../../fuzz/corpus/decode", env!("CARGO_MANIFEST_DIR"));
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    assert!(entries.len() >= 5, "seed corpus missing in {dir}");
    let limits = DecodeLimits {
        max_record_bytes: 4096,
        max_depth: 16,
        ..DecodeLimits::default()
    };
    for path in entries {
        let bytes = std::fs::read(&path).unwrap();
        let name: Arc<str> = Arc::from(path.display().to_string().as_str());
        let decoder = decode(Arc::clone(&name), Box::new(Cursor::new(bytes)), &limits);
        let mut seen = 0u64;
        for item in decoder {
            let location = match item {
                Ok(record) => record.location,
                Err(error) => {
                    assert!(!error.reason().is_empty());
                    error.location
                }
            };
            assert_eq!(location.source, name);
            seen += 1;
            assert!(seen < 1_000_000, "{} never ends", path.display());
        }
    }
}
