//! The `archive` property, shared by the fuzz target and the corpus replay in `cargo test`: any
//! bytes written as a file and handed to `enumwatch_ingest::expand_with` give inputs and errors
//! that name the file, and every member input (of a zip or a tar, plain or compressed) reads to
//! its end or to an error, within the decompressed-size limit, never a panic.

use std::io::Read;

/// Check the property on `data`.
pub(crate) fn check(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("fuzz.archive");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let display = path.display().to_string();
    let limits = enumwatch_ingest::Limits {
        max_decompressed_bytes: 1 << 20,
    };
    let (inputs, errors) = enumwatch_ingest::expand_with(std::slice::from_ref(&path), &limits);
    for error in &errors {
        assert!(error.path_display().starts_with(&display), "{error}");
    }
    for input in &inputs {
        assert!(input.name.starts_with(&display), "{}", input.name);
        let Ok(opened) = enumwatch_ingest::open(input, &limits) else {
            continue;
        };
        let mut reader = opened.reader;
        let mut buf = vec![0u8; 64 * 1024];
        let mut total = 0usize;
        loop {
            match reader.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    total += n;
                    // The limit holds (one read may cross it before the error).
                    assert!(total <= (1 << 20) + buf.len(), "{total}");
                }
            }
        }
    }
}
