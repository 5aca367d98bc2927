//! Attack emulations for DET0386 (cloud account enumeration, T1087.004) and their benign twins,
//! written as the telemetry each test produces in the vendors' own log formats (Sysmon and
//! PowerShell as evtx-rs JSON, auditd text, CloudTrail, Graph and AAD Graph activity, Entra
//! sign-ins, GCP audit, the Microsoft 365 unified audit log), with a fixed base time so the
//! output is byte-for-byte deterministic. `validate` runs them through the real pipeline and
//! compares what fired with the expected outcome table in `expect`.
//!
//! The emulations exist so that a rule or normalizer change that silently stops detecting an
//! attack, or starts alerting on the routine work that looks like it, fails a test.

mod clock;
mod cloud;
mod endpoint;
mod expect;
mod scenarios;
mod validate;

use std::path::{Path, PathBuf};

use enumwatch_event::LogSource;
use thiserror::Error;

pub use expect::{EXPECTATIONS, Expectation, Outcome};
pub use validate::{Cell, Matrix, Status, validate};

/// Why an emulation could not be produced or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EmulateError {
    #[error("unknown test {0:?}; `enumwatch emulate --list` shows the tests")]
    UnknownTest(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the shipped configuration of {test} is invalid: {message}")]
    Config { test: String, message: String },
    #[error("validation could not run: {0}")]
    Pipeline(String),
}

/// One log file of an emulation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmuFile {
    /// A realistic file name (`Microsoft-Windows-Sysmon-Operational.jsonl`, a CloudTrail object key).
    pub name: String,
    /// The log source its records normalize to (the main one, for Sysmon files that also carry
    /// event 11 file creations).
    pub source: LogSource,
    pub contents: String,
}

/// A test: an attack emulation or its benign twin.
#[derive(Debug, Clone, Copy)]
pub struct TestInfo {
    pub name: &'static str,
    /// What the emulation does.
    pub summary: &'static str,
    /// For an attack, the analytic it is meant to fire; for a twin, how it stays quiet.
    pub intended: &'static str,
    /// The attack this is the benign twin of.
    pub twin_of: Option<&'static str>,
    /// The `enumwatch.toml` snippet a benign twin ships with.
    pub config: Option<&'static str>,
    build: fn() -> Vec<EmuFile>,
}

impl TestInfo {
    pub fn is_benign(&self) -> bool {
        self.twin_of.is_some()
    }

    /// The files this test writes.
    pub fn files(&self) -> Vec<EmuFile> {
        (self.build)()
    }
}

/// Every test, attacks first, each followed by its twin.
pub fn tests() -> &'static [TestInfo] {
    scenarios::TESTS
}

/// The test named `name`.
pub fn find(name: &str) -> Result<&'static TestInfo, EmulateError> {
    tests()
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| EmulateError::UnknownTest(name.to_owned()))
}

/// Write a test's log files into `dir`, creating it; returns the paths written. (A twin's
/// `config` goes elsewhere: `enumwatch hunt` would read a `.toml` among the logs as input.)
pub fn write(test: &TestInfo, dir: &Path) -> Result<Vec<PathBuf>, EmulateError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| EmulateError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut written = Vec::new();
    for file in test.files() {
        let path = dir.join(&file.name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        std::fs::write(&path, file.contents.as_bytes()).map_err(io(&path))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests;
