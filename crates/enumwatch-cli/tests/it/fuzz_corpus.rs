//! Replays every fuzz corpus file through the functions the fuzz targets call, so the corpora
//! (and any crash kept there as a regression case) run in `cargo test` without cargo-fuzz.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use enumwatch_rules::{RuleSource, lint};

use crate::repo_root;

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = repo_root().join("fuzz/corpus").join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
        .iter()
        .map(|p: &std::path::PathBuf| (name(p), std::fs::read(p).unwrap()))
        .collect()
}

fn name(p: &Path) -> String {
    p.display().to_string()
}

fn decode(data: &[u8]) -> Vec<enumwatch_event::RawRecord> {
    enumwatch_decode::decode(
        Arc::from("fuzz"),
        Box::new(Cursor::new(data.to_vec())),
        &enumwatch_decode::DecodeLimits::default(),
    )
    .flatten()
    .collect()
}

#[test]
fn decode_corpus_replays() {
    for (file, data) in corpus("decode") {
        let _ = (file, decode(&data));
    }
}

#[test]
fn normalize_corpus_replays() {
    for (_, data) in corpus("normalize") {
        let mut normalizer = enumwatch_normalize::Normalizer::new();
        let mut out = Vec::new();
        for record in decode(&data) {
            normalizer.push(record, &mut out);
        }
        normalizer.finish(&mut out);
    }
}

#[test]
fn cmdline_corpus_replays() {
    for (_, data) in corpus("cmdline") {
        let text = String::from_utf8_lossy(&data);
        let _ = enumwatch_enrich::recognize(None, &text, None);
        let _ = enumwatch_enrich::recognize_script(&text);
    }
}

#[test]
fn sigma_rule_corpus_replays() {
    for (file, data) in corpus("sigma_rule") {
        let text = String::from_utf8_lossy(&data).into_owned();
        // The seeds are the built-in rules: they must stay lint-clean.
        assert!(
            lint(&RuleSource {
                name: file.clone(),
                text
            })
            .is_empty(),
            "{file}"
        );
    }
}
