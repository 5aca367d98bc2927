//! `enumwatch emulate` and `enumwatch validate`: every emulation through the real binary.

use crate::{enumwatch, stderr, stdout};

#[test]
fn validate_passes_and_its_matrix_is_stable() {
    let out = enumwatch(&["validate"]);
    assert!(
        out.status.success(),
        "validate failed:\n{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    insta::assert_snapshot!("validate_matrix", stdout(&out));
}

#[test]
fn validate_json_lists_every_cell() {
    let out = enumwatch(&["validate", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cells = v["cells"].as_array().unwrap();
    assert!(cells.iter().any(|c| c["status"] == "fired"));
    assert!(cells.iter().all(|c| c["regression"] == false));
}

#[test]
fn emulate_list_names_every_test() {
    let out = enumwatch(&["emulate", "--list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for name in [
        "azure-cli-user-list",
        "roadtools",
        "exchange-mailbox-sweep-benign",
    ] {
        assert!(text.contains(name), "{name} missing:\n{text}");
    }
}

#[test]
fn emulate_writes_files_that_hunt_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("rt");
    let out = enumwatch(&["emulate", "roadtools", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let logs = out_dir.join("logs");
    let hunt = enumwatch(&[
        "hunt",
        logs.to_str().unwrap(),
        "--format",
        "jsonl",
        "--no-progress",
    ]);
    assert!(hunt.status.success(), "{}", stderr(&hunt));
    assert!(stdout(&hunt).contains("device-code") || stdout(&hunt).contains("Device Code"));
    let unknown = enumwatch(&["emulate", "no-such-test"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("emulate --list"));
}
