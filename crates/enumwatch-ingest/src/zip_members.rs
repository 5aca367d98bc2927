//! Zip archives read as folders. Triage collections arrive zipped (a Velociraptor offline
//! collector's `Collection-….zip` holds `uploads/…/winevt/Logs/*.evtx`; many exports are
//! downloaded as one `.zip`), so a zip found among the inputs gives one input per member, named
//! `archive.zip:member/path`, in member-name order, and each member is read straight from the
//! archive: no extracted copy is written anywhere.
//!
//! The `zip` crate reads the archive's central directory; a member's bytes are read here (stored,
//! or deflated through `flate2`) and checked against the size and CRC-32 the archive records, so
//! a damaged member is an error after every byte that could be read was delivered, as a cut
//! gzip is. Members that cannot be read (encrypted, or compressed with another method) are
//! reported by name, and the rest of the archive is still read.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{IngestError, Input, InputKind, is_documentation};

/// One member of a zip archive on disk, as its central directory and local header place it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipMember {
    pub archive: PathBuf,
    pub name: String,
    data_start: u64,
    /// Bytes as stored in the archive.
    compressed: u64,
    /// Bytes once decompressed, as the archive records it.
    pub size: u64,
    crc32: u32,
    deflated: bool,
}

/// Whether a file's first bytes are a zip signature (a local file header, or the end of the
/// central directory of an empty archive).
pub(crate) fn is_zip(head: &[u8]) -> bool {
    matches!(head.get(..4), Some([b'P', b'K', 3, 4] | [b'P', b'K', 5, 6]))
}

/// The members of the archive at `path` (named `display`) as inputs, in name order; members
/// that cannot be read as errors. Directories, symbolic links and documentation files are left
/// out, as a directory walk leaves them out.
pub(crate) fn expand(
    path: &Path,
    display: &str,
    inputs: &mut Vec<Input>,
    errors: &mut Vec<IngestError>,
) {
    let archive = File::open(path)
        .map_err(|e| e.to_string())
        .and_then(|file| zip::ZipArchive::new(file).map_err(|e| e.to_string()));
    let mut archive = match archive {
        Ok(archive) => archive,
        Err(detail) => {
            errors.push(IngestError::Archive {
                path: display.to_owned(),
                detail: format!(
                    "not a readable zip archive ({detail}); re-copy it, or extract it and hunt the folder"
                ),
            });
            return;
        }
    };
    // Word, Excel and PowerPoint files are zip archives of XML parts, not of logs.
    if archive.index_for_name("[Content_Types].xml").is_some() {
        errors.push(IngestError::Archive {
            path: display.to_owned(),
            detail: "an Office document (Word, Excel or PowerPoint), not an archive of logs: \
                     left out; export the logs as CSV or JSON"
                .to_owned(),
        });
        return;
    }
    let mut found = Vec::new();
    for index in 0..archive.len() {
        let listed = match archive.name_for_index(index) {
            Some(Ok(name)) => name.into_owned(),
            _ => format!("member {index}"),
        };
        let member = match archive.by_index_raw(index) {
            Ok(member) => member,
            Err(e) => {
                let name = listed;
                errors.push(IngestError::Archive {
                    path: format!("{display}:{name}"),
                    detail: format!(
                        "cannot be read from the archive ({e}); extract it with another tool"
                    ),
                });
                continue;
            }
        };
        let name = member.name().map_or(listed, |n| n.into_owned());
        if member.is_dir() || member.is_symlink() || is_documentation(Path::new(&name)) {
            continue;
        }
        let problem = if member.encrypted() {
            Some("encrypted; extract it with its password and hunt the file".to_owned())
        } else {
            match member.compression() {
                zip::CompressionMethod::Stored | zip::CompressionMethod::DEFLATE => None,
                other => Some(format!(
                    "compressed with {other}, which enumwatch does not read; extract it and hunt the file"
                )),
            }
        };
        match (problem, member.data_start()) {
            (Some(detail), _) => errors.push(IngestError::Archive {
                path: format!("{display}:{name}"),
                detail,
            }),
            (None, None) => errors.push(IngestError::Archive {
                path: format!("{display}:{name}"),
                detail:
                    "its data could not be located in the archive; extract it with another tool"
                        .to_owned(),
            }),
            (None, Some(data_start)) => found.push(ZipMember {
                archive: path.to_owned(),
                data_start,
                compressed: member.compressed_size(),
                size: member.size(),
                crc32: member.crc32(),
                deflated: member.compression() == zip::CompressionMethod::DEFLATE,
                name,
            }),
        }
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    inputs.extend(found.into_iter().map(|member| Input {
        name: Arc::from(format!("{display}:{}", member.name)),
        kind: InputKind::ZipMember(Arc::new(member)),
    }));
}

/// A reader of the member's decompressed bytes, checked against its recorded size and CRC-32,
/// and held to `max_bytes`.
pub(crate) fn open(member: &ZipMember, max_bytes: u64) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(&member.archive)?;
    file.seek(SeekFrom::Start(member.data_start))?;
    let stored = io::BufReader::new(file.take(member.compressed));
    let inner: Box<dyn Read + Send> = if member.deflated {
        Box::new(flate2::bufread::DeflateDecoder::new(stored))
    } else {
        Box::new(stored)
    };
    Ok(Box::new(Checked {
        inner,
        crc: flate2::Crc::new(),
        produced: 0,
        expected_crc: member.crc32,
        expected_size: member.size,
        max_bytes,
        done: false,
    }))
}

/// Passes a member's bytes through, then checks them once the member ends.
struct Checked {
    inner: Box<dyn Read + Send>,
    crc: flate2::Crc,
    /// Bytes passed through (`Crc::amount` wraps at 4 GiB).
    produced: u64,
    expected_crc: u32,
    expected_size: u64,
    max_bytes: u64,
    done: bool,
}

impl Read for Checked {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done {
            return Ok(0);
        }
        let n = self.inner.read(buf)?;
        self.crc.update(buf.get(..n).unwrap_or_default());
        self.produced += n as u64;
        let got = self.produced;
        if got > self.max_bytes {
            self.done = true;
            return Err(io::Error::other(format!(
                "decompressed size exceeds the limit of {} bytes (zip bomb?); raise --max-decompressed-mib if the input is legitimate",
                self.max_bytes
            )));
        }
        if n > 0 {
            return Ok(n);
        }
        self.done = true;
        if got != self.expected_size || self.crc.sum() != self.expected_crc {
            return Err(io::Error::other(format!(
                "the member is damaged: {got} bytes with CRC-32 {:08x} where the archive records {} bytes with {:08x}; re-copy the archive",
                self.crc.sum(),
                self.expected_size,
                self.expected_crc
            )));
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]

    use std::io::Write;

    use super::*;
    use crate::{Limits, expand as expand_paths, open as open_input};

    /// An archive of (name, bytes, deflated) members, written by the `zip` crate.
    fn archive(members: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        for (name, bytes, deflated) in members {
            let method = if *deflated {
                zip::CompressionMethod::DEFLATE
            } else {
                zip::CompressionMethod::Stored
            };
            if name.ends_with('/') {
                writer
                    .add_directory(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                continue;
            }
            writer
                .start_file(
                    *name,
                    zip::write::SimpleFileOptions::default().compression_method(method),
                )
                .unwrap();
            writer.write_all(bytes).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn read_all(input: &Input, limits: &Limits) -> (Vec<u8>, Option<String>) {
        let mut reader = open_input(input, limits).unwrap().reader;
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (out, None),
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) => return (out, Some(e.to_string())),
            }
        }
    }

    fn lines(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("{{\"eventName\": \"ListUsers\", \"n\": {i}}}\n"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn members_are_inputs_in_name_order_read_stored_or_deflated() {
        let dir = tempfile::tempdir().unwrap();
        let body = lines(2000);
        let gz = {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(&body).unwrap();
            e.finish().unwrap()
        };
        let path = dir.path().join("Collection-host.zip");
        std::fs::write(
            &path,
            archive(&[
                ("uploads/", b"", false),
                ("uploads/b.jsonl", &body, true),
                ("uploads/a.jsonl", &body, false),
                ("uploads/c.json.gz", &gz, true),
                ("uploads/README.md", b"# notes", true),
            ]),
        )
        .unwrap();
        let (inputs, errors) = expand_paths(std::slice::from_ref(&path));
        assert!(errors.is_empty(), "{errors:?}");
        let names: Vec<_> = inputs
            .iter()
            .map(|i| i.name.rsplit_once(".zip:").unwrap().1.to_owned())
            .collect();
        assert_eq!(
            names,
            ["uploads/a.jsonl", "uploads/b.jsonl", "uploads/c.json.gz"]
        );
        for input in &inputs {
            let (bytes, err) = read_all(input, &Limits::default());
            assert!(err.is_none(), "{}: {err:?}", input.name);
            assert_eq!(bytes, body, "{}", input.name);
        }
    }

    #[test]
    fn a_damaged_member_is_an_error_after_its_good_bytes_and_the_others_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let body = lines(3000);
        let mut bytes = archive(&[("a.jsonl", &body, false), ("b.jsonl", &body, true)]);
        // Alter one stored byte of `a.jsonl` (after its 30-byte local header and name).
        let at = 30 + "a.jsonl".len() + body.len() / 2;
        bytes[at] ^= 0x20;
        let path = dir.path().join("x.zip");
        std::fs::write(&path, &bytes).unwrap();
        let (inputs, errors) = expand_paths(std::slice::from_ref(&path));
        assert!(errors.is_empty(), "{errors:?}");
        let (read, err) = read_all(&inputs[0], &Limits::default());
        assert_eq!(read.len(), body.len());
        let err = err.expect("a CRC mismatch is an error");
        assert!(err.contains("the member is damaged"), "{err}");
        assert!(err.contains("re-copy the archive"), "{err}");
        let (read, err) = read_all(&inputs[1], &Limits::default());
        assert!(err.is_none(), "{err:?}");
        assert_eq!(read, body);
    }

    #[test]
    fn a_member_past_the_decompressed_limit_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let body = vec![b'\n'; 4 << 20];
        let path = dir.path().join("bomb.zip");
        std::fs::write(&path, archive(&[("empty_lines.jsonl", &body, true)])).unwrap();
        let (inputs, _) = expand_paths(std::slice::from_ref(&path));
        let limits = Limits {
            max_decompressed_bytes: 1 << 20,
        };
        let (read, err) = read_all(&inputs[0], &limits);
        assert!(read.len() <= (1 << 20) + 65536);
        let err = err.expect("past the limit is an error");
        assert!(err.contains("exceeds the limit of 1048576 bytes"), "{err}");
        assert!(err.contains("--max-decompressed-mib"), "{err}");
    }

    #[test]
    fn unreadable_archives_and_members_are_named_and_the_rest_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let body = lines(10);
        let mut bytes = archive(&[
            ("bz.jsonl", &body, false),
            ("locked.jsonl", &body, false),
            ("ok.jsonl", &body, false),
        ]);
        // Patch the central directory: the first member compressed with bzip2 (method 12), the
        // second encrypted (flag bit 0); local headers too.
        let central: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"PK\x01\x02")
            .map(|(i, _)| i)
            .collect();
        let local: Vec<usize> = bytes
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"PK\x03\x04")
            .map(|(i, _)| i)
            .collect();
        bytes[central[0] + 10] = 12;
        bytes[local[0] + 8] = 12;
        bytes[central[1] + 8] |= 1;
        bytes[local[1] + 6] |= 1;
        let path = dir.path().join("mixed.zip");
        std::fs::write(&path, &bytes).unwrap();
        let (inputs, errors) = expand_paths(std::slice::from_ref(&path));
        assert_eq!(inputs.len(), 1);
        assert!(inputs[0].name.ends_with("mixed.zip:ok.jsonl"));
        let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].contains("mixed.zip:bz.jsonl: compressed with"),
            "{messages:?}"
        );
        assert!(
            messages[1].contains("mixed.zip:locked.jsonl: encrypted"),
            "{messages:?}"
        );

        let office = dir.path().join("audit.xlsx");
        std::fs::write(
            &office,
            archive(&[
                ("[Content_Types].xml", b"<Types/>", true),
                ("xl/workbook.xml", b"<workbook/>", true),
            ]),
        )
        .unwrap();
        let (inputs, errors) = expand_paths(std::slice::from_ref(&office));
        assert!(inputs.is_empty());
        let message = errors[0].to_string();
        assert!(
            message.contains("audit.xlsx: an Office document"),
            "{message}"
        );

        let cut = dir.path().join("cut.zip");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let (inputs, errors) = expand_paths(std::slice::from_ref(&cut));
        assert!(inputs.is_empty());
        let message = errors[0].to_string();
        assert!(message.contains("not a readable zip archive"), "{message}");
    }
}
