//! `enumwatch rules list|show|lint` and user rule folders.

use crate::{enumwatch, stderr, stdout};

#[test]
fn list_shows_builtin_rules_with_default_marks() {
    let out = enumwatch(&["rules", "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn show_prints_metadata_and_steps() {
    let out = enumwatch(&["rules", "show", "sentinel-kql-t1087-004"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("default:     off"), "{text}");
    assert!(text.contains("sentinel-kql"), "{text}");
}

#[test]
fn lint_names_file_yaml_path_and_expectation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad_modifier.yml");
    std::fs::write(
        &path,
        "title: Bad modifier\nid: 0b5c6f4e-1a2b-4c3d-8e9f-0a1b2c3d4e5f\nlogsource:\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|containz: 'aws iam'\n  condition: selection\nlevel: medium\n",
    )
    .unwrap();
    let out = enumwatch(&["rules", "lint", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out).replace(dir.path().to_str().unwrap(), "<tmp>");
    assert!(text.contains("<tmp>/bad_modifier.yml"), "{text}");
    assert!(text.contains("detection.selection"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn user_rules_are_added_and_selectable() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("gcloud.yml"),
        "title: Any gcloud process\nid: 6f1d2a4b-3c5e-4f70-8a91-b2c3d4e5f607\nlogsource:\n  category: process_creation\ndetection:\n  selection:\n    CommandLine|contains: 'gcloud.py'\n  condition: selection\nlevel: low\n",
    )
    .unwrap();
    let out = enumwatch(&[
        "hunt",
        "testdata/demo/auditd_gcloud.log",
        "--rules",
        dir.path().to_str().unwrap(),
        "--rule",
        "6f1d2a4b-3c5e-4f70-8a91-b2c3d4e5f607",
        "--format",
        "jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out).lines().count(), 2);
}
