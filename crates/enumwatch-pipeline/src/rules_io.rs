//! Reading the user's rule folders (`--rules DIR`): every `.yml`/`.yaml` file, recursively, in
//! sorted order, as `RuleSource`s for `enumwatch-rules` to parse.

use std::fs;
use std::path::{Path, PathBuf};

use enumwatch_rules::RuleSource;
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RulesIoError {
    #[error("cannot read rules from {path}: {source}; check that the path exists and is readable")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid UTF-8; save the rule file as UTF-8")]
    NotUtf8 { path: PathBuf },
}

/// All rule files under `path` (or `path` itself if it is a file), sorted by path.
pub fn read_rule_dir(path: &Path) -> Result<Vec<RuleSource>, RulesIoError> {
    let mut files = Vec::new();
    collect(path, &mut files, 0)?;
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let bytes = fs::read(&file).map_err(|source| RulesIoError::Read {
                path: file.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes)
                .map_err(|_| RulesIoError::NotUtf8 { path: file.clone() })?;
            Ok(RuleSource {
                name: file.display().to_string(),
                text,
            })
        })
        .collect()
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, depth: usize) -> Result<(), RulesIoError> {
    let meta = fs::metadata(path).map_err(|source| RulesIoError::Read {
        path: path.to_owned(),
        source,
    })?;
    if meta.is_file() {
        files.push(path.to_owned());
        return Ok(());
    }
    // Symlinked directory cycles end here rather than recursing forever.
    if depth > 32 {
        return Ok(());
    }
    let entries = fs::read_dir(path).map_err(|source| RulesIoError::Read {
        path: path.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| RulesIoError::Read {
            path: path.to_owned(),
            source,
        })?;
        let child = entry.path();
        if child.is_dir() {
            collect(&child, files, depth + 1)?;
        } else if matches!(
            child.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml")
        ) {
            files.push(child);
        }
    }
    Ok(())
}
