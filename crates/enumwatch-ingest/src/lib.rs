//! Where bytes come from: the user's paths expanded into inputs (directories walked in sorted
//! order, `-` for stdin), each opened as a buffered reader with compression removed.
//!
//! Compression is recognised from magic bytes, never from the file name. Every gzip member is
//! read; a truncated or corrupt stream surfaces as a read error only after every byte that could
//! be decompressed was delivered, so the decoder keeps each complete record before the break.
//! This crate knows nothing about record formats.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::bufread::MultiGzDecoder;
use thiserror::Error;

mod tar_members;
mod zip_members;

pub use tar_members::TarMember;
pub use zip_members::ZipMember;

/// What an input is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputKind {
    Path(PathBuf),
    Stdin,
    /// A member of a zip archive on disk (`zip_members`).
    ZipMember(Arc<ZipMember>),
    /// A member of a tar archive, plain or compressed (`tar_members`).
    TarMember(Arc<TarMember>),
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
    /// The same bytes as a seekable file, for a format read by seeking (EVTX): only for an
    /// uncompressed file on disk larger than `SEEKABLE_FROM`. Nothing is opened until it is
    /// first read.
    pub seekable: Option<Seekable>,
}

/// An uncompressed input file opened again, by path, for reading at any offset: the EVTX parser
/// seeks to the chunk holding the oldest records, and reading a multi-gigabyte log this way
/// holds one chunk at a time instead of the whole file. Reads of at least `PROGRESS_READ` bytes
/// advance the input's byte count to their end (the parser's small reads of chunk headers,
/// all over the file, would not say how far it has got); when dropped, the count is the file's
/// size if it was opened.
pub struct Seekable {
    path: PathBuf,
    file: Option<File>,
    len: u64,
    /// Where the next read starts.
    at: u64,
    bytes_read: Arc<AtomicU64>,
}

/// Files up to this size are not offered seekable: the stream's first fill holds most of them,
/// and opening a second handle costs more than reading the rest (EVTX samples of one chunk).
const SEEKABLE_FROM: u64 = 1 << 20;

/// Reads at least this large count as progress through a seekable input (an EVTX chunk is
/// 64 KiB; its header, read apart, 512 bytes).
const PROGRESS_READ: usize = 4096;

impl Seekable {
    fn file(&mut self) -> io::Result<&mut File> {
        if self.file.is_none() {
            let file = File::open(&self.path)?;
            self.len = file.metadata()?.len();
            self.file = Some(file);
        }
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file could not be opened"))
    }
}

impl Read for Seekable {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file()?.read(buf)?;
        self.at += n as u64;
        if n >= PROGRESS_READ {
            self.bytes_read.fetch_max(self.at, Ordering::Relaxed);
        }
        Ok(n)
    }
}

impl Seek for Seekable {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.at = self.file()?.seek(to)?;
        Ok(self.at)
    }
}

impl Drop for Seekable {
    fn drop(&mut self) {
        if self.file.is_some() {
            self.bytes_read.fetch_max(self.len, Ordering::Relaxed);
        }
    }
}

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IngestError {
    #[error("{path}: no such file or directory; check the path")]
    NotFound { path: String },
    #[error("{path}: cannot read: {source}; check permissions")]
    Unreadable { path: String, source: io::Error },
    /// A pipe, socket or device met inside a directory: opening it could block the walk
    /// forever, so only one named on the command line is read.
    #[error(
        "{path}: is a {kind}, not a regular file: left out of the directory walk; name it on the command line to read it"
    )]
    NotRegular { path: String, kind: &'static str },
    /// A zip archive, or one of its members, that cannot be read.
    #[error("{path}: {detail}")]
    Archive { path: String, detail: String },
}

impl IngestError {
    /// The path the error is about, as the user gave it.
    pub fn path_display(&self) -> String {
        match self {
            IngestError::NotFound { path }
            | IngestError::Unreadable { path, .. }
            | IngestError::NotRegular { path, .. }
            | IngestError::Archive { path, .. } => path.clone(),
        }
    }
}

/// Expand user paths into inputs: files as given, directories recursively in sorted order,
/// `-` as stdin. Paths that cannot be read are returned as errors; the rest still expand.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<IngestError>) {
    expand_with(paths, &Limits::default())
}

/// `expand`, a compressed tar inflated within `limits`.
pub fn expand_with(paths: &[PathBuf], limits: &Limits) -> (Vec<Input>, Vec<IngestError>) {
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
        let mut visited = HashSet::new();
        let mut walk = Walk {
            inputs: &mut inputs,
            errors: &mut errors,
            visited: &mut visited,
            limits,
        };
        walk.path(path, 0);
    }
    (inputs, errors)
}

/// Recursion deeper than this is treated as a loop even when canonical paths differ.
const MAX_DEPTH: usize = 64;

/// The state of one path's walk.
struct Walk<'a> {
    inputs: &'a mut Vec<Input>,
    errors: &'a mut Vec<IngestError>,
    visited: &'a mut HashSet<PathBuf>,
    limits: &'a Limits,
}

impl Walk<'_> {
    fn path(&mut self, path: &Path, depth: usize) {
        let name = path.display().to_string();
        let meta = match fs::metadata(path) {
            Ok(meta) => meta,
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                self.errors.push(IngestError::NotFound { path: name });
                return;
            }
            Err(source) => {
                self.errors
                    .push(IngestError::Unreadable { path: name, source });
                return;
            }
        };
        // An archive is read as the folder it packs.
        if meta.is_file() {
            let head = tar_members::head(path);
            if zip_members::is_zip(&head) {
                zip_members::expand(path, &name, self.inputs, self.errors);
                return;
            }
            if let Some(kind) = tar_members::detect(path, &head) {
                tar_members::expand(path, &name, kind, self.limits, self.inputs, self.errors);
                return;
            }
        }
        // A path named on the command line that is not a directory is read whatever it is: a
        // process substitution (`<(zcat trail.json.gz)`) is a pipe, and so is a named FIFO.
        if meta.is_file() || (depth == 0 && !meta.is_dir()) {
            self.inputs.push(Input {
                name: Arc::from(name.as_str()),
                kind: InputKind::Path(path.to_owned()),
            });
            return;
        }
        if !meta.is_dir() {
            self.errors.push(IngestError::NotRegular {
                path: name,
                kind: special_kind(&meta),
            });
            return;
        }
        // A directory reached twice (through a symlink back up the tree) is walked once; absurd
        // nesting is treated the same way rather than recursing forever.
        let canonical = fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
        if depth > MAX_DEPTH || !self.visited.insert(canonical) {
            return;
        }
        let entries = match fs::read_dir(path) {
            Ok(entries) => entries,
            Err(source) => {
                self.errors
                    .push(IngestError::Unreadable { path: name, source });
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| !is_documentation(p))
            .collect();
        children.sort();
        for child in children {
            self.path(&child, depth + 1);
        }
    }
}

/// What kind of special file a path is, for the message that leaves it out.
fn special_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = meta.file_type();
        if kind.is_fifo() {
            return "named pipe (FIFO)";
        }
        if kind.is_socket() {
            return "socket";
        }
        if kind.is_block_device() || kind.is_char_device() {
            return "device";
        }
    }
    let _ = meta;
    "special file"
}

/// Documentation and rule files found inside a directory (`.md`, `.yml`, `.yaml`) are not
/// logs; a directory walk leaves them out. Named explicitly, they are read like any input.
pub fn is_documentation(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["md", "yml", "yaml"].contains(&e.to_ascii_lowercase().as_str()))
}

/// Open an input and strip its compression.
pub fn open(input: &Input, limits: &Limits) -> Result<Opened, IngestError> {
    let bytes_read = Arc::new(AtomicU64::new(0));
    let mut size = 0;
    let raw: Box<dyn Read + Send> = match &input.kind {
        InputKind::Stdin => Box::new(io::stdin()),
        InputKind::TarMember(member) => {
            size = member.size;
            tar_members::open(member).map_err(|source| IngestError::Unreadable {
                path: input.name.to_string(),
                source,
            })?
        }
        InputKind::ZipMember(member) => {
            size = member.size;
            zip_members::open(member, limits.max_decompressed_bytes).map_err(|source| {
                IngestError::Unreadable {
                    path: input.name.to_string(),
                    source,
                }
            })?
        }
        InputKind::Path(path) => Box::new(
            File::open(path)
                .inspect(|file| size = file.metadata().map_or(0, |m| m.len()))
                .map_err(|source| {
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
                })?,
        ),
    };
    let mut counted = Counted {
        inner: raw,
        count: Arc::clone(&bytes_read),
    };
    // Read the two magic bytes even when the first read returns one (a slow pipe on stdin).
    let mut head = Vec::with_capacity(2);
    let mut byte = [0u8; 2];
    while head.len() < 2 {
        let want = 2 - head.len();
        match counted.read(byte.get_mut(..want).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(byte.get(..n).unwrap_or_default()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(IngestError::Unreadable {
                    path: input.name.to_string(),
                    source,
                });
            }
        }
    }
    let gzip = head == [0x1f, 0x8b];
    let buffered = BufReader::with_capacity(256 * 1024, io::Cursor::new(head).chain(counted));
    if !gzip {
        let seekable = match &input.kind {
            InputKind::Path(path) if size > SEEKABLE_FROM => Some(Seekable {
                path: path.clone(),
                file: None,
                len: 0,
                at: 0,
                bytes_read: Arc::clone(&bytes_read),
            }),
            InputKind::Path(_)
            | InputKind::Stdin
            | InputKind::ZipMember(_)
            | InputKind::TarMember(_) => None,
        };
        return Ok(Opened {
            reader: Box::new(buffered),
            compression: Compression::None,
            bytes_read,
            seekable,
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
        seekable: None,
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
    inner: MultiGzDecoder<BufReader<io::Chain<io::Cursor<Vec<u8>>, Counted>>>,
    consumed: Arc<AtomicU64>,
    produced: u64,
    limit: u64,
}

impl GzipReader {
    fn limit_error(&self) -> io::Error {
        io::Error::other(format!(
            "decompressed size exceeds the limit of {} bytes (gzip bomb?); raise --max-decompressed-mib if the input is legitimate",
            self.limit
        ))
    }

    fn broken(&self, err: &io::Error) -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "gzip stream truncated or corrupt near compressed byte offset {} ({err}); the records before it were read, re-copy or re-download the file",
                self.consumed.load(Ordering::Relaxed)
            ),
        )
    }
}

impl Read for GzipReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.limit.saturating_sub(self.produced);
        if remaining == 0 {
            // At the limit: the input is fine only if nothing more comes out.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe) {
                Ok(0) => Ok(0),
                Ok(_) => Err(self.limit_error()),
                Err(err) => Err(self.broken(&err)),
            };
        }
        let cap = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let window = buf.get_mut(..cap).unwrap_or_default();
        match self.inner.read(window) {
            Ok(n) => {
                self.produced += n as u64;
                Ok(n)
            }
            Err(err) => Err(self.broken(&err)),
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

    #[test]
    fn a_gz_name_without_gzip_bytes_is_read_plain() {
        let dir = tempfile::tempdir().unwrap();
        let input = input_for(dir.path(), "looks.gz", b"{\"a\":1}\n");
        let opened = open(&input, &Limits::default()).unwrap();
        assert_eq!(opened.compression, Compression::None);
        let counter = Arc::clone(&opened.bytes_read);
        let (bytes, err) = read_all(opened);
        assert!(err.is_none());
        assert_eq!(bytes, b"{\"a\":1}\n");
        assert_eq!(counter.load(Ordering::Relaxed), 8);
        // A one-byte file is not gzip and is delivered whole.
        let input = input_for(dir.path(), "one", b"\x1f");
        let (bytes, err) = read_all(open(&input, &Limits::default()).unwrap());
        assert!(err.is_none());
        assert_eq!(bytes, b"\x1f");
    }

    #[test]
    fn output_exactly_at_the_limit_is_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let input = input_for(dir.path(), "exact.gz", &gz(&[b'z'; 1000]));
        let limits = Limits {
            max_decompressed_bytes: 1000,
        };
        let (bytes, err) = read_all(open(&input, &limits).unwrap());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bytes.len(), 1000);
        let limits = Limits {
            max_decompressed_bytes: 999,
        };
        let (bytes, err) = read_all(open(&input, &limits).unwrap());
        assert_eq!(bytes.len(), 999);
        let message = err.unwrap().to_string();
        assert!(
            message.contains("exceeds the limit of 999 bytes"),
            "{message}"
        );
        assert!(message.contains("--max-decompressed"), "{message}");
    }

    #[test]
    fn corrupt_deflate_data_is_an_error_naming_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let mut data = gz(&b"line of text\n".repeat(2000));
        let mid = data.len() / 2;
        for b in data.iter_mut().skip(mid).take(16) {
            *b ^= 0x5a;
        }
        let input = input_for(dir.path(), "corrupt", &data);
        let (_, err) = read_all(open(&input, &Limits::default()).unwrap());
        let message = err.expect("corrupt data is an error").to_string();
        assert!(message.contains("compressed byte offset"), "{message}");
    }

    #[cfg(unix)]
    #[test]
    fn hidden_files_are_included_and_symlink_loops_are_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join(".hidden.json"), b"{}").unwrap();
        fs::write(dir.path().join("sub/x.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
        let (inputs, errors) = expand(&[dir.path().to_owned()]);
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = inputs
            .iter()
            .map(|i| i.name.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, [".hidden.json", "x.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_read_when_named_and_left_out_of_a_directory_walk() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("trail.fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        fs::write(dir.path().join("events.jsonl"), b"{}").unwrap();

        let (inputs, errors) = expand(&[dir.path().to_owned()]);
        let names: Vec<_> = inputs
            .iter()
            .map(|i| i.name.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["events.jsonl"]);
        let [error] = errors.as_slice() else {
            panic!("one error expected: {errors:?}")
        };
        let message = error.to_string();
        assert!(message.contains("named pipe (FIFO)"), "{message}");
        assert!(message.contains("name it on the command line"), "{message}");
        assert_eq!(error.path_display(), fifo.display().to_string());

        let (inputs, errors) = expand(std::slice::from_ref(&fifo));
        assert!(errors.is_empty(), "{errors:?}");
        assert!(matches!(&inputs[..], [Input { kind: InputKind::Path(p), .. }] if *p == fifo));
        let writer = std::thread::spawn({
            let fifo = fifo.clone();
            move || fs::write(fifo, b"{\"a\":1}\n").unwrap()
        });
        let (bytes, err) = read_all(open(&inputs[0], &Limits::default()).unwrap());
        writer.join().unwrap();
        assert!(err.is_none(), "{err:?}");
        assert_eq!(bytes, b"{\"a\":1}\n");
    }

    #[test]
    fn directory_walks_leave_out_documentation_but_named_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("README.md"), b"# notes").unwrap();
        fs::write(dir.path().join("info.yml"), b"id: 1").unwrap();
        fs::write(dir.path().join("events.jsonl"), b"{}").unwrap();
        let (inputs, errors) = expand(&[dir.path().to_owned()]);
        assert!(errors.is_empty());
        let names: Vec<_> = inputs
            .iter()
            .map(|i| i.name.rsplit('/').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["events.jsonl"]);
        let (inputs, _) = expand(&[dir.path().join("README.md")]);
        assert_eq!(inputs.len(), 1);
    }
}
