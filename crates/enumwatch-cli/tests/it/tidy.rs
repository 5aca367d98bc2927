//! Repository hygiene that review alone does not keep: every source file says what it owns, no
//! file grows past 800 lines without a stated reason, no test is ignored or expected to panic,
//! and every file under `testdata/` is covered by a PROVENANCE.md.

use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate sits two levels below the repository root")
        .to_path_buf()
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("target") || name == ".git" {
            continue;
        }
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn rust_sources() -> Vec<PathBuf> {
    let root = repo_root();
    let mut files = Vec::new();
    files_under(&root.join("crates"), &mut files);
    files_under(&root.join("fuzz"), &mut files);
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect()
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    let missing: Vec<_> = rust_sources()
        .into_iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` doc: {missing:#?}"
    );
}

#[test]
fn no_file_is_longer_than_800_lines_without_a_reason() {
    let long: Vec<_> = rust_sources()
        .into_iter()
        .filter(|p| {
            let text = fs::read_to_string(p).unwrap_or_default();
            text.lines().count() > 800 && !text.contains("tidy: long-file:")
        })
        .collect();
    assert!(long.is_empty(), "files over 800 lines: {long:#?}");
}

#[test]
fn no_ignored_or_should_panic_tests_and_no_debug_leftovers() {
    // Built from pieces so this file does not flag itself.
    let banned = [
        format!("#[{}]", "ignore"),
        format!("#[{}", "should_panic"),
        format!("{}!(", "dbg"),
        format!("{}!(", "todo"),
    ];
    let mut offenders = Vec::new();
    for path in rust_sources() {
        let text = fs::read_to_string(&path).unwrap_or_default();
        for pattern in &banned {
            if text.contains(pattern.as_str()) {
                offenders.push(format!("{}: {pattern}", path.display()));
            }
        }
    }
    assert!(offenders.is_empty(), "banned patterns: {offenders:#?}");
}

#[test]
fn every_testdata_file_has_provenance() {
    let root = repo_root().join("testdata");
    let mut files = Vec::new();
    files_under(&root, &mut files);
    let mut uncovered = Vec::new();
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name == "PROVENANCE.md" || name.ends_with(".snap") {
            continue;
        }
        // A PROVENANCE.md in the file's folder or any parent up to testdata/ must name it.
        let covered = file
            .ancestors()
            .skip(1)
            .take_while(|d| d.starts_with(&root))
            .any(|dir| {
                fs::read_to_string(dir.join("PROVENANCE.md")).is_ok_and(|text| {
                    text.contains(name) || text.contains("every file in this folder")
                })
            });
        if !covered {
            uncovered.push(file.clone());
        }
    }
    assert!(
        uncovered.is_empty(),
        "testdata files without provenance: {uncovered:#?}"
    );
}
