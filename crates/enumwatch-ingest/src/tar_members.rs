//! Tar archives read as folders. A Linux triage collection (UAC's `uac-host-linux-….tar.gz`)
//! packs the host's `var/log/syslog`, `var/log/audit/audit.log` and the rest in one tar, so a
//! tar found among the inputs gives one input per regular member, named
//! `archive.tar.gz:member/path`, in member-name order.
//!
//! A tar's members can be reached only in order, so a compressed tar is inflated once into a
//! temporary file (in `TMPDIR`, removed when the run ends), within `--max-decompressed-mib`;
//! members are then read from the uncompressed tar by offset, like files. An archive cut short
//! or a damaged gzip stream is reported, and the members before the damage are still read.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flate2::bufread::MultiGzDecoder;

use crate::{IngestError, Input, InputKind, Limits, is_documentation};

/// An uncompressed tar on disk: the input itself, or the temporary copy of a compressed one.
#[derive(Debug)]
pub(crate) struct TarFile {
    path: PathBuf,
    /// Removes the temporary copy when the last member is dropped.
    _temporary: Option<tempfile::TempPath>,
}

/// One regular member of a tar archive.
#[derive(Debug, Clone)]
pub struct TarMember {
    tar: Arc<TarFile>,
    pub name: String,
    offset: u64,
    pub size: u64,
}

impl PartialEq for TarMember {
    fn eq(&self, other: &Self) -> bool {
        self.tar.path == other.tar.path && self.name == other.name && self.offset == other.offset
    }
}

impl Eq for TarMember {}

/// Where a tar header says `ustar` (POSIX and GNU tars both).
const MAGIC_AT: usize = 257;

/// Whether `head` (a file's first bytes, uncompressed) opens with a tar header.
fn is_tar_header(head: &[u8]) -> bool {
    head.get(MAGIC_AT..MAGIC_AT + 5) == Some(b"ustar")
}

/// How a file holds a tar, if it does.
pub(crate) enum Tar {
    Plain,
    Gzip,
}

/// Whether the file at `path`, whose first bytes are `head`, is a tar, plain or
/// gzip-compressed.
pub(crate) fn detect(path: &Path, head: &[u8]) -> Option<Tar> {
    if is_tar_header(head) {
        return Some(Tar::Plain);
    }
    if !head.starts_with(&[0x1f, 0x8b]) {
        return None;
    }
    let mut inflated = [0u8; 512];
    let file = File::open(path).ok()?;
    let mut gz = MultiGzDecoder::new(BufReader::new(file));
    let n = read_up_to(&mut gz, &mut inflated);
    is_tar_header(inflated.get(..n)?).then_some(Tar::Gzip)
}

/// The first bytes of the file at `path`, as many as a tar header (empty when unreadable: the
/// file is then opened, and its error reported, as any input's).
pub(crate) fn head(path: &Path) -> Vec<u8> {
    let mut head = vec![0u8; 512];
    let n = File::open(path).map_or(0, |mut file| read_up_to(&mut file, &mut head));
    head.truncate(n);
    head
}

/// Fill `buf` as far as the reader goes; errors end it.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(buf.get_mut(filled..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// The regular members of the tar at `path` (named `display`) as inputs, in name order; what
/// cannot be read as errors. Directories, links, devices and documentation files are left out,
/// as a directory walk leaves them out.
pub(crate) fn expand(
    path: &Path,
    display: &str,
    kind: Tar,
    limits: &Limits,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<IngestError>,
) {
    let archive_error = |detail: String| IngestError::Archive {
        path: display.to_owned(),
        detail,
    };
    let tar = match kind {
        Tar::Plain => TarFile {
            path: path.to_owned(),
            _temporary: None,
        },
        Tar::Gzip => match inflate(path, limits.max_decompressed_bytes) {
            Ok((tar, None)) => tar,
            Ok((tar, Some(damage))) => {
                errors.push(archive_error(damage));
                tar
            }
            Err(detail) => {
                errors.push(archive_error(detail));
                return;
            }
        },
    };
    let tar = Arc::new(tar);
    let mut found = Vec::new();
    if let Err(detail) = list(&tar, &mut found) {
        errors.push(archive_error(format!(
            "the archive is cut short or damaged after {} member(s) ({detail}); the members before are read",
            found.len()
        )));
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    inputs.extend(found.into_iter().map(|member| Input {
        name: Arc::from(format!("{display}:{}", member.name)),
        kind: InputKind::TarMember(Arc::new(member)),
    }));
}

/// Inflate a `.tar.gz` into a temporary file: the copy, and what went wrong part way (the
/// copy then holds everything before it).
fn inflate(path: &Path, max_bytes: u64) -> Result<(TarFile, Option<String>), String> {
    let file = File::open(path).map_err(|e| format!("cannot read: {e}; check permissions"))?;
    let mut temporary = tempfile::NamedTempFile::new().map_err(|e| {
        format!(
            "cannot make a temporary copy to read the compressed tar from ({e}); set TMPDIR to a writable folder"
        )
    })?;
    let mut gz = MultiGzDecoder::new(BufReader::new(file)).take(max_bytes.saturating_add(1));
    let damage = match io::copy(&mut gz, temporary.as_file_mut()) {
        Ok(n) if n > max_bytes => Some(format!(
            "decompressed size exceeds the limit of {max_bytes} bytes (gzip bomb?); the members within it are read; raise --max-decompressed-mib if the input is legitimate"
        )),
        Ok(_) => None,
        Err(e) if e.kind() == io::ErrorKind::StorageFull => {
            return Err(format!(
                "no room for the temporary copy of the tar ({e}); set TMPDIR to a folder with room"
            ));
        }
        Err(e) => Some(format!(
            "the gzip stream is damaged ({e}); the members before the damage are read; re-copy the archive"
        )),
    };
    Ok((
        TarFile {
            path: temporary.path().to_owned(),
            _temporary: Some(temporary.into_temp_path()),
        },
        damage,
    ))
}

/// List the regular members of `tar` into `found`; an error ends the listing.
fn list(tar: &Arc<TarFile>, found: &mut Vec<TarMember>) -> io::Result<()> {
    let file = File::open(&tar.path)?;
    let len = file.metadata()?.len();
    let mut archive = tar::Archive::new(file);
    for entry in archive.entries_with_seek()? {
        let entry = entry?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            continue;
        }
        let name = entry.path()?.to_string_lossy().into_owned();
        if is_documentation(Path::new(&name)) {
            continue;
        }
        let offset = entry.raw_file_position();
        let size = entry.size();
        if offset.saturating_add(size) > len {
            return Err(io::Error::other(format!(
                "`{name}` runs past the end of the archive"
            )));
        }
        found.push(TarMember {
            tar: Arc::clone(tar),
            name,
            offset,
            size,
        });
    }
    Ok(())
}

/// A reader of the member's bytes.
pub(crate) fn open(member: &TarMember) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(&member.tar.path)?;
    file.seek(SeekFrom::Start(member.offset))?;
    Ok(Box::new(file.take(member.size)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::io::Write;

    use super::*;
    use crate::{expand_with, open as open_input};

    /// A tar of (name, bytes) members, directories, a symbolic link and a README among them.
    fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_size(0);
        dir.set_mode(0o755);
        builder
            .append_data(&mut dir, "uac/[root]/var/log/", io::empty())
            .unwrap();
        for (name, bytes) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o640);
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        builder
            .append_link(&mut link, "uac/[root]/var/log/messages", "syslog")
            .unwrap();
        let mut readme = tar::Header::new_gnu();
        readme.set_size(5);
        builder
            .append_data(&mut readme, "uac/README.md", &b"# uac"[..])
            .unwrap();
        builder.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn lines(n: usize, tag: &str) -> Vec<u8> {
        (0..n)
            .map(|i| format!("{{\"{tag}\": {i}}}\n"))
            .collect::<String>()
            .into_bytes()
    }

    fn read_all(input: &Input) -> Vec<u8> {
        let mut out = Vec::new();
        open_input(input, &Limits::default())
            .unwrap()
            .reader
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn plain_and_compressed_tars_give_their_regular_members_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        let (b, a) = (lines(3000, "b"), lines(10, "a"));
        let tar = tar_of(&[
            ("uac/[root]/var/log/syslog", &b),
            ("uac/[root]/var/log/auth.log", &a),
        ]);
        for (file, bytes) in [("uac.tar", tar.clone()), ("uac.tar.gz", gzip(&tar))] {
            let path = dir.path().join(file);
            std::fs::write(&path, bytes).unwrap();
            let (inputs, errors) = expand_with(std::slice::from_ref(&path), &Limits::default());
            assert!(errors.is_empty(), "{file}: {errors:?}");
            let names: Vec<_> = inputs
                .iter()
                .map(|i| i.name.rsplit_once(".tar").unwrap().1.to_owned())
                .collect();
            let prefix = if file.ends_with(".gz") { ".gz:" } else { ":" };
            assert_eq!(
                names,
                [
                    format!("{prefix}uac/[root]/var/log/auth.log"),
                    format!("{prefix}uac/[root]/var/log/syslog")
                ],
                "{file}"
            );
            assert_eq!(read_all(&inputs[0]), a, "{file}");
            assert_eq!(read_all(&inputs[1]), b, "{file}");
        }
    }

    #[test]
    fn a_cut_compressed_tar_reports_the_damage_and_keeps_the_members_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = lines(50, "first");
        let second = lines(20_000, "second");
        let tar = tar_of(&[("a/first.jsonl", &first), ("b/second.jsonl", &second)]);
        let gz = gzip(&tar);
        let path = dir.path().join("cut.tar.gz");
        std::fs::write(&path, &gz[..gz.len() / 2]).unwrap();
        let (inputs, errors) = expand_with(std::slice::from_ref(&path), &Limits::default());
        assert_eq!(inputs.len(), 1, "{errors:?}");
        assert!(inputs[0].name.ends_with("cut.tar.gz:a/first.jsonl"));
        assert_eq!(read_all(&inputs[0]), first);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("the gzip stream is damaged")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("cut short or damaged after 1 member(s)")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_compressed_tar_past_the_limit_is_reported_and_read_within_it() {
        let dir = tempfile::tempdir().unwrap();
        let small = lines(10, "small");
        let big = vec![b'\n'; 3 << 20];
        let tar = tar_of(&[("a.jsonl", &small), ("b.jsonl", &big)]);
        let path = dir.path().join("bomb.tar.gz");
        std::fs::write(&path, gzip(&tar)).unwrap();
        let limits = Limits {
            max_decompressed_bytes: 1 << 20,
        };
        let (inputs, errors) = expand_with(std::slice::from_ref(&path), &limits);
        assert_eq!(inputs.len(), 1, "{errors:?}");
        assert_eq!(read_all(&inputs[0]), small);
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("exceeds the limit of 1048576 bytes")),
            "{messages:?}"
        );
    }

    #[test]
    fn gzip_that_is_not_a_tar_stays_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trail.json.gz");
        std::fs::write(&path, gzip(&lines(10, "eventName"))).unwrap();
        let (inputs, errors) = expand_with(std::slice::from_ref(&path), &Limits::default());
        assert!(errors.is_empty());
        assert!(matches!(
            &inputs[..],
            [Input {
                kind: InputKind::Path(_),
                ..
            }]
        ));
    }
}
