//! Which container format an input is, from its first bytes (never from its name).

/// Container formats enumwatch reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON document: an array, a wrapper (`{"Records": […]}` and the others of
    /// `WRAPPER_KEYS`), or one object
    /// (several concatenated documents are read one after another).
    Json,
    JsonLines,
    Csv,
    Evtx,
    Auditd,
    /// Windows events as XML (`wevtutil qe … /f:xml`, Event Viewer's "Save As XML").
    Xml,
    /// Syslog text, where Sysmon for Linux writes its events as XML.
    Syslog,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::JsonLines => "jsonl",
            Format::Csv => "csv",
            Format::Evtx => "evtx",
            Format::Auditd => "auditd",
            Format::Xml => "xml",
            Format::Syslog => "syslog",
        }
    }
}

/// Sniff the format of a prefix of the (decompressed, BOM-free) input. `None` means empty or
/// unknown.
pub fn sniff(prefix: &[u8]) -> Option<Format> {
    if prefix.starts_with(b"ElfFile\0") {
        return Some(Format::Evtx);
    }
    let start = prefix.iter().position(|b| !b.is_ascii_whitespace())?;
    let text = prefix.get(start..)?;
    let first_line_end = text.iter().position(|&b| b == b'\n').unwrap_or(text.len());
    let first_line = text.get(..first_line_end)?;
    if matches!(text.first(), Some(b'{' | b'[')) {
        // JSON lines when the first line is a complete value and something follows it.
        let mut lines = text
            .split(|&b| b == b'\n')
            .map(|l| l.trim_ascii())
            .filter(|l| !l.is_empty());
        let complete = |l: &[u8]| serde_json::from_slice::<serde_json::Value>(l).is_ok();
        let first = lines.next().unwrap_or_default();
        let second = lines.next();
        // A bare `[` or `{` opens a pretty-printed document; otherwise one complete line out of
        // the first two (the other may be a corrupt record) means one record per line.
        let opener = first.ends_with(b"[") || first.ends_with(b"{");
        let line_records = match second {
            None => false,
            // An array whose first line is incomplete (`[{…},` then one element per line) is
            // a document even when a later line happens to be a complete element.
            Some(second) => {
                !opener && (complete(first) || (first.starts_with(b"{") && complete(second)))
            }
        };
        return Some(if line_records {
            Format::JsonLines
        } else {
            Format::Json
        });
    }
    if is_event_xml(text) {
        return Some(Format::Xml);
    }
    // Syslog first: a host's syslog may open with a forwarded audit line.
    if crate::syslog::looks_like_syslog(text) {
        return Some(Format::Syslog);
    }
    let line = String::from_utf8_lossy(first_line);
    if line.contains("type=") && line.contains("msg=audit(") {
        return Some(Format::Auditd);
    }
    if looks_like_csv_header(&line, text.get(first_line_end..).unwrap_or_default()) {
        return Some(Format::Csv);
    }
    None
}

/// Windows event XML: an `<Event …>` or `<Events>` element first, after an XML declaration or
/// comments if any.
fn is_event_xml(text: &[u8]) -> bool {
    let mut rest = text;
    loop {
        rest = rest.trim_ascii_start();
        let skip = |open: &[u8], close: &[u8]| {
            rest.strip_prefix(open).and_then(|r| {
                memchr::memmem::find(r, close).and_then(|end| r.get(end + close.len()..))
            })
        };
        if let Some(after) = skip(b"<?", b"?>").or_else(|| skip(b"<!--", b"-->")) {
            rest = after;
            continue;
        }
        return rest.starts_with(b"<Events>")
            || rest.starts_with(b"<Event ")
            || rest.starts_with(b"<Event>")
            || rest.starts_with(b"<Events ");
    }
}

fn looks_like_csv_header(header: &str, rest: &[u8]) -> bool {
    let header = header.trim_end_matches('\r');
    // `key: value` is YAML or a log message, not a header row.
    if let Some((key, _)) = header.split_once(": ")
        && !key.contains(',')
    {
        return false;
    }
    if header.contains('\0') || header.chars().any(|c| c.is_control() && c != '\t') {
        return false;
    }
    let n_fields = count_fields(header);
    if n_fields < 2 {
        return false;
    }
    // Header names are short words, not prose.
    if header.split(',').any(|f| f.trim_matches('"').len() > 128) {
        return false;
    }
    let rest = String::from_utf8_lossy(rest);
    let mut rows = rest
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(5)
        .peekable();
    // A single-line file with a plausible header is CSV with no rows.
    if rows.peek().is_none() {
        return true;
    }
    rows.any(|row| count_fields(row) >= n_fields || row.contains('"'))
}

fn count_fields(line: &str) -> usize {
    let mut n = 1;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => n += 1,
            _ => {}
        }
    }
    n
}

/// What an input enumwatch does not read is, when its first bytes say so, and what to do with
/// it: formats logs are often kept or handed over in.
pub(crate) fn known_other(prefix: &[u8]) -> Option<&'static str> {
    const KNOWN: [(&[u8], &str); 8] = [
        (
            b"LPKSHHRH",
            "a systemd journal file: export it with `journalctl -o json --file FILE > FILE.jsonl` and hunt that",
        ),
        (
            b"PAR1",
            "a Parquet file (Amazon Security Lake, a data lake export): convert it to JSON lines (for example `duckdb -c \"COPY (SELECT * FROM 'FILE') TO 'FILE.jsonl'\"`) and hunt that",
        ),
        (
            b"SQLite format 3\0",
            "an SQLite database (ROADrecon's roadrecon.db, a browser's history): not a log; hunt the logs of the host or tenant it was taken from",
        ),
        (
            b"BZh",
            "bzip2-compressed: decompress it (`bunzip2 -k FILE`) and hunt the result; gzip and zip are read as they are",
        ),
        (
            b"\xfd7zXZ\0",
            "xz-compressed: decompress it (`unxz -k FILE`) and hunt the result; gzip and zip are read as they are",
        ),
        (
            b"\x28\xb5\x2f\xfd",
            "zstd-compressed: decompress it (`zstd -d FILE`) and hunt the result; gzip and zip are read as they are",
        ),
        (
            b"7z\xbc\xaf\x27\x1c",
            "a 7-Zip archive: extract it (`7z x FILE`) and hunt the folder; zip and tar archives are read as they are",
        ),
        (
            b"Rar!\x1a\x07",
            "a RAR archive: extract it and hunt the folder; zip and tar archives are read as they are",
        ),
    ];
    // Archives are read as folders when named as files on disk, not as a stream or a member.
    if prefix.starts_with(b"PK\x03\x04") || prefix.starts_with(b"PK\x05\x06") {
        return Some(
            "a zip archive read as a stream or inside another archive: name the file itself (its members are then read), or extract it",
        );
    }
    if prefix.get(257..262) == Some(b"ustar") {
        return Some(
            "a tar archive read as a stream or inside another archive: name the file itself (its members are then read), or extract it",
        );
    }
    KNOWN
        .iter()
        .find(|(magic, _)| prefix.starts_with(magic))
        .map(|(_, what)| *what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart_by_content() {
        assert_eq!(sniff(b"ElfFile\0rest"), Some(Format::Evtx));
        assert_eq!(sniff(b"{\"a\":1}\n{\"a\":2}\n"), Some(Format::JsonLines));
        assert_eq!(
            sniff(b"  {\"Records\": [\n {\"a\":1}\n]}"),
            Some(Format::Json)
        );
        assert_eq!(sniff(b"[{\"a\":1}]"), Some(Format::Json));
        assert_eq!(sniff(b"[{\"a\":1},\n{\"a\":2}\n]\n"), Some(Format::Json));
        assert_eq!(sniff(b"[1,2]\n[3]\n"), Some(Format::JsonLines));
        assert_eq!(
            sniff(b"{\"broken\": \n{\"a\":2}\n"),
            Some(Format::JsonLines)
        );
        assert_eq!(sniff(b"{\"a\":1}"), Some(Format::Json));
        assert_eq!(
            sniff(b"type=EXECVE msg=audit(1.0:2): argc=1 a0=\"x\"\n"),
            Some(Format::Auditd)
        );
        assert_eq!(
            sniff(b"TimeGenerated,OperationName\n2024,Add\n"),
            Some(Format::Csv)
        );
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"  \n "), None);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), None);
        assert_eq!(sniff(b"just some prose\n"), None);
        assert_eq!(sniff(b"description: a, b and c\nid: 1\n"), None);
    }
}
