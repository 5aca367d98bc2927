//! End-to-end tests of the `enumwatch` binary: one integration test binary, every case runs the
//! real executable on files in `testdata/` and checks exit status, stdout and stderr.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers may panic: a panic is a test failure"
)]

mod archives;
mod cloud;
mod coverage;
mod emulate;
mod encodings;
mod fuzz_corpus;
mod hunt;
mod limits;
mod prefilter;
mod report;
mod rules;
mod spool;
mod syslog;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crate sits two levels below the repository root")
        .to_path_buf()
}

/// Run `enumwatch` from the repository root (so paths in output are repo-relative).
pub(crate) fn enumwatch(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_enumwatch"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the enumwatch binary runs")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An alert without where its evidence was read (file, record number, line), and the ids
/// derived from those: what two exports of the same records must agree on.
pub(crate) fn without_locations(mut alert: serde_json::Value) -> serde_json::Value {
    if let Some(map) = alert.as_object_mut() {
        map.remove("id");
        map.remove("evidence");
    }
    alert
}
