//! Replays every fuzz corpus file through the functions the fuzz targets call, so the corpora
//! (and any crash kept there as a regression case) run in `cargo test` without cargo-fuzz.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use enumwatch_normalize::Disposition;
use enumwatch_rules::{RuleSource, lint};

use crate::repo_root;

#[path = "../../../../fuzz/shared/graph_record.rs"]
mod graph_record;

#[path = "../../../../fuzz/shared/batch_check.rs"]
mod batch_check;

#[path = "../../../../fuzz/shared/archive_check.rs"]
mod archive_check;

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
    let limits = enumwatch_decode::DecodeLimits {
        max_record_bytes: 4096,
        max_depth: 32,
        ..enumwatch_decode::DecodeLimits::default()
    };
    for (file, data) in corpus("decode") {
        let _ = (file, decode(&data));
        batch_check::batches_match_the_sequential_decoder(&data, &limits);
        batch_check::seekable_matches_the_stream(&data, &limits);
    }
}

#[test]
fn normalize_corpus_replays() {
    let mut reached = std::collections::BTreeSet::new();
    for (file, data) in corpus("normalize") {
        let mut normalizer = enumwatch_normalize::Normalizer::new();
        let mut out = Vec::new();
        for record in decode(&data) {
            match normalizer.push(record, &mut out) {
                Disposition::Ignored { source, .. } => {
                    reached.insert(source.name());
                }
                Disposition::Unrecognized => {
                    assert!(file.contains("bad_line"), "{file}: a seed is unrecognized")
                }
                Disposition::Emitted(_) | Disposition::Held | Disposition::NoEvent { .. } => {}
            }
        }
        normalizer.finish(&mut out);
        reached.extend(out.iter().map(|e| e.source.name()));
    }
    // One real record of every vendor log seeds the target, so mutations start inside each
    // normalizer rather than at the shape detector.
    for source in [
        "cloudtrail",
        "graph_activity",
        "aad_graph_activity",
        "entra_signin",
        "entra_audit",
        "m365_audit",
        "gcp_audit",
        "workspace_activity",
        "okta_system_log",
        "slack_audit",
        "sysmon",
        "sysmon_linux",
        "security_4688",
        "powershell_4104",
        "defender_process",
        "auditd",
    ] {
        assert!(
            reached.contains(source),
            "no seed reaches {source}: {reached:?}"
        );
    }
}

#[test]
fn graph_uri_corpus_replays() {
    for (file, data) in corpus("graph_uri") {
        let body = graph_record::graph_record(&data).unwrap();
        let record = enumwatch_event::RawRecord {
            location: enumwatch_event::Location::new(Arc::from("fuzz"), 0),
            body,
        };
        let mut normalizer = enumwatch_normalize::Normalizer::new();
        let mut out = Vec::new();
        let outcome = normalizer.push(record, &mut out);
        assert!(
            !matches!(outcome, Disposition::Unrecognized),
            "{file}: every shape is a Graph record"
        );
    }
}

#[test]
fn config_corpus_replays() {
    for (file, data) in corpus("config") {
        let Ok(text) = std::str::from_utf8(&data) else {
            continue;
        };
        match enumwatch_config::Config::parse(text, "fuzz.toml") {
            Ok(config) => {
                for key in enumwatch_config::Config::number_keys() {
                    let _ = config.number(key);
                }
            }
            Err(error) => assert!(error.to_string().contains("fuzz.toml"), "{file}: {error}"),
        }
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

#[path = "../../../../fuzz/shared/prefilter_check.rs"]
mod prefilter_check;

/// The prefilter target's property on its seeds, each of which matches one of its rules (so the
/// check is not vacuous: a seed the prefilter rejected would fail here).
#[test]
fn prefilter_corpus_replays_and_every_seed_is_admitted() {
    for (name, data) in corpus("prefilter") {
        prefilter_check::check(&data);
        if name.contains("regression_") {
            // A case the fuzzer found: only the property must hold.
            continue;
        }
        if name.contains("evtx_") {
            // EVTX records are prefiltered inside the decoder: a seed of each outcome.
            assert_eq!(
                prefilter_check::evtx_matches_some_rule(&data),
                name.contains("evtx_hit_"),
                "{name}"
            );
            continue;
        }
        if name.contains("builtin_") {
            assert!(
                prefilter_check::matches_some_builtin_rule(&data),
                "{name}: the seed should match a built-in rule"
            );
        } else {
            assert!(
                prefilter_check::matches_some_rule(&data),
                "{name}: the seed should match a fuzz rule"
            );
        }
    }
}

#[test]
fn archive_corpus_replays() {
    for (_, data) in corpus("archive") {
        archive_check::check(&data);
    }
}
