//! Where bytes come from: the user's paths expanded into inputs (directories walked in sorted
//! order, `-` for stdin), each opened as a buffered reader with compression removed.
//!
//! Compression is recognised from magic bytes, never from the file name. Every gzip member is
//! read; a truncated or corrupt stream surfaces as a read error only after every byte that could
//! be decompressed was delivered, so the decoder keeps each complete record before the break.
//! This crate knows nothing about record formats.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;
use thiserror::Error;

/// What an input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Path(PathBuf),
    Stdin,
}

/// One input to read, named as the user named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The path as given (directory entries joined onto it), or `-` for stdin.
    pub name: Arc<str>,
    pub kind: InputKind,
}

/// Resource limits applied while reading.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest decompressed size of one input; guards against gzip bombs.
    pub max_decompressed_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: 16 * 1024 * 1024 * 1024,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
}

/// An opened input.
pub struct Opened {
    pub reader: Box<dyn BufRead + Send>,
    pub compression: Compression,
    /// Raw (compressed) bytes consumed so far.
    pub bytes_read: Arc<AtomicU64>,
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("{path}: no such file or directory; check the path")]
    NotFound { path: String },
    #[error("{path}: cannot read: {source}; check permissions")]
    Unreadable { path: String, source: io::Error },
}

impl IngestError {
    /// The path the error is about, as the user gave it.
    pub fn path_display(&self) -> String {
        match self {
            IngestError::NotFound { path } | IngestError::Unreadable { path, .. } => path.clone(),
        }
    }
}

/// Expand user paths into inputs: files as given, directories recursively in sorted order,
/// `-` as stdin. Paths that cannot be read are returned as errors; the rest still expand.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<IngestError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input {
                name: Arc::from("-"),
                kind: InputKind::Stdin,
            });
            continue;
        }
        walk(path, &mut inputs, &mut errors, 0);
    }
    (inputs, errors)
}

fn walk(path: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<IngestError>, depth: usize) {
    let name = path.display().to_string();
    let meta = match fs::metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => {
            errors.push(IngestError::NotFound { path: name });
            return;
        }
        Err(source) => {
            errors.push(IngestError::Unreadable { path: name, source });
            return;
        }
    };
    if meta.is_file() {
        inputs.push(Input {
            name: Arc::from(name.as_str()),
            kind: InputKind::Path(path.to_owned()),
        });
        return;
    }
    // Deep nesting is almost always a symlink loop; stop rather than recurse forever.
    if depth > 64 {
        return;
    }
    let entries = match fs::read_dir(path) {
        Ok(entries) => entries,
        Err(source) => {
            errors.push(IngestError::Unreadable { path: name, source });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    children.sort();
    for child in children {
        walk(&child, inputs, errors, depth + 1);
    }
}

/// Open an input and strip its compression.
pub fn open(input: &Input, limits: &Limits) -> Result<Opened, IngestError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let raw: Box<dyn Read + Send> = match &input.kind {
        InputKind::Stdin => Box::new(io::stdin()),
        InputKind::Path(path) => Box::new(File::open(path).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                IngestError::NotFound {
                    path: input.name.to_string(),
                }
            } else {
                IngestError::Unreadable {
                    path: input.name.to_string(),
                    source,
                }
            }
        })?),
    };
    let counted = Counted {
        inner: raw,
        count: Arc::clone(&bytes_read),
    };
    let mut buffered = BufReader::with_capacity(256 * 1024, counted);
    let head = buffered
        .fill_buf()
        .map_err(|source| IngestError::Unreadable {
            path: input.name.to_string(),
            source,
        })?;
    let gzip = head.starts_with(&[0x1f, 0x8b]);
    if !gzip {
        return Ok(Opened {
            reader: Box::new(buffered),
            compression: Compression::None,
            bytes_read,
        });
    }
    let decoder = GzipReader {
        inner: MultiGzDecoder::new(buffered),
        consumed: Arc::clone(&bytes_read),
        produced: 0,
        limit: limits.max_decompressed_bytes,
    };
    Ok(Opened {
        reader: Box::new(BufReader::with_capacity(256 * 1024, decoder)),
        compression: Compression::Gzip,
        bytes_read,
    })
}

/// Counts raw bytes as they are read (for progress and the run summary).
struct Counted {
    inner: Box<dyn Read + Send>,
    count: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Gzip with a decompressed-size cap and errors that say where the stream broke.
struct GzipReader {
    inner: MultiGzDecoder<BufReader<Counted>>,
    consumed: Arc<AtomicU64>,
    produced: u64,
    limit: u64,
}

impl Read for GzipReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.produced >= self.limit {
            return Err(io::Error::other(format!(
                "decompressed size exceeds the limit of {} bytes (gzip bomb?); raise --max-decompressed-mib",
                self.limit
            )));
        }
        match self.inner.read(buf) {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            Err(err) => Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "gzip stream truncated or corrupt after {} compressed bytes ({err})",
                    self.consumed.load(Ordering::Relaxed)
                ),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression as Level;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Level::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn read_all(opened: Opened) -> (Vec<u8>, Option<io::Error>) {
        let mut reader = opened.reader;
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    fn input_for(dir: &Path, name: &str, bytes: &[u8]) -> Input {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        Input {
            name: Arc::from(path.display().to_string().as_str()),
            kind: InputKind::Path(path),
        }
    }

    #[test]
    fn every_gzip_member_is_read_and_compression_comes_from_magic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = gz(b"one\n");
        data.extend(gz(b"two\n"));
        // No .gz suffix: detection is by content.
        let input = input_for(dir.path(), "plain.log", &data);
        let opened = open(&input, &Limits::default()).unwrap();
        assert_eq!(opened.compression, Compression::Gzip);
        let (bytes, err) = read_all(opened);
        assert!(err.is_none());
        assert_eq!(bytes, b"one\ntwo\n");
    }

    #[test]
    fn truncated_gzip_delivers_what_it_can_then_errors() {
        let dir = tempfile::tempdir().unwrap();
        let first = gz(b"complete member\n");
        let second = gz(&b"0123456789abcdef".repeat(4096));
        let mut data = first.clone();
        data.extend_from_slice(&second[..second.len() / 2]);
        let input = input_for(dir.path(), "cut.gz", &data);
        let (bytes, err) = read_all(open(&input, &Limits::default()).unwrap());
        assert!(bytes.starts_with(b"complete member\n"));
        let err = err.expect("a truncated stream is an error");
        assert!(err.to_string().contains("truncated or corrupt"), "{err}");
    }

    #[test]
    fn decompressed_size_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let input = input_for(dir.path(), "bomb.gz", &gz(&vec![b'a'; 1 << 20]));
        let limits = Limits {
            max_decompressed_bytes: 1000,
        };
        let (_, err) = read_all(open(&input, &limits).unwrap());
        assert!(err.unwrap().to_string().contains("gzip bomb"));
    }

    #[test]
    fn directories_expand_sorted_and_missing_paths_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("b.json"), b"{}").unwrap();
        fs::write(dir.path().join("a.json"), b"{}").unwrap();
        fs::write(dir.path().join("sub/c.json"), b"{}").unwrap();
        let missing = dir.path().join("nope.json");
        let (inputs, errors) = expand(&[dir.path().to_owned(), missing, PathBuf::from("-")]);
        let names: Vec<_> = inputs
            .iter()
            .map(|i| i.name.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.json", "b.json", "c.json", "-"]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].path_display().ends_with("nope.json"));
        assert!(errors[0].to_string().contains("no such file"));
    }
}
