//! The literal prefilter on an EVTX chunk as stored, before any of its records is rendered.
//!
//! Rendering binary XML into JSON text is most of the cost of reading EVTX, and a record the
//! JSON-text prefilter then rejects was rendered for nothing. A chunk (64 KiB, a few to a few
//! hundred records) stores the text of its records as UTF-16LE strings (element and attribute
//! names in its string and template tables, text and substitution values in its records) and,
//! rarely, as 8-bit ANSI strings. A literal that occurs in a rendered record's JSON text lies
//! within one JSON string or one run of non-string JSON (literals hold no `"`), so it occurs in
//! the chunk's stored text unless it lies in something the renderer makes rather than copies:
//!
//! - non-string values rendered as text: numbers, `true`/`false`/`null`, hex integers (`0x…`),
//!   GUIDs, SIDs (`S-1-5-…`), times (`2019-03-19T23:34:25.1234567Z`), binary as hex — so a
//!   literal made only of the characters such a rendering can hold is refused
//!   (`stored_as_text`), which disables the chunk gate;
//! - the keys the renderer adds, `#attributes` and `#text` (each a JSON string of its own), and
//!   the `_N` suffix of a repeated key (`Data_1`): a literal that is part of such a key, or could
//!   end in such a suffix, is refused;
//! - entity references (`&amp;` → `&`, and `"`, `'`, `<`, `>`): literals holding those
//!   characters are refused; character references (a token `0x08` and a UTF-16 code unit):
//!   a chunk holding the byte `0x08` (or `0x48`) before the code unit of a character some
//!   literal holds is rendered;
//! - characters that `str::to_lowercase` folds to ASCII (U+0130, U+212A): a chunk holding
//!   either code unit is rendered.
//!
//! The one assumption beyond the renderer: an element's text is one stored string (a literal
//! run, or one substitution value), not text and values side by side that the rendering joins
//! into one JSON string. Windows' event templates write each `Data` element as one
//! substitution; the tests check it on every record of the real samples.
//!
//! Case: the search runs over an ASCII-lower-cased copy of the chunk; lower-casing the bytes of
//! UTF-16 code units outside ASCII can only add matches. Literals outside ASCII are refused.
//!
//! Records that hold no signature literal of any log source are admitted by the JSON-text
//! prefilter (to be reported as unrecognized). Every EVTX record's `System` element holds
//! `EventID`, the Windows sources' signature, so a chunk is required to hold some signature
//! literal, as stored, before it is skipped (signature literals that are not stored as text are
//! left out of that test, which only makes it stricter).

use super::{Gate, lower_case_into};

/// The characters a value rendered as a JSON string can hold when it is not stored as text. A
/// literal made only of one group's characters could lie in such a rendering.
const RENDERED: [&str; 4] = [
    // hex integers (`0x…`) and binary
    "0123456789abcdefxABCDEFX",
    // GUIDs
    "0123456789abcdefABCDEF-{}",
    // SIDs
    "sS0123456789-",
    // times
    "0123456789-:.tTzZ +",
];

/// Keys the renderer adds; a literal inside one is not stored.
const RENDERER_KEYS: [&str; 2] = ["#attributes", "#text"];

/// JSON's words, and the non-finite numbers a float could be written as.
const WORDS: [&str; 5] = ["true", "false", "null", "nan", "infinity"];

/// Whether `literal` could lie in JSON text outside any string: numbers and words between
/// punctuation and white space.
fn outside_strings(literal: &str) -> bool {
    literal
        .split(|c: char| ",:[]{} \t\r\n".contains(c))
        .all(|piece| {
            piece.chars().all(|c| "0123456789.-+eE".contains(c))
                || WORDS.iter().any(|w| w.contains(piece))
        })
}

/// Whether `literal` could end in the `_N` suffix the renderer gives a repeated key (`Data_1`).
fn in_key_suffix(literal: &str) -> bool {
    literal
        .rsplit_once('_')
        .is_some_and(|(_, after)| after.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `literal` (lower-case), wherever it occurs in a rendered record's JSON text, also
/// occurs in the chunk's stored text (as UTF-16LE or as ANSI), under the module's assumption.
pub(super) fn stored_as_text(literal: &str) -> bool {
    !literal.is_empty()
        && literal.is_ascii()
        && !literal
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\' | b'&' | b'\'' | b'<' | b'>') || b < 0x20)
        && !RENDERER_KEYS.iter().any(|k| k.contains(literal))
        && !outside_strings(literal)
        && !in_key_suffix(literal)
        && !RENDERED
            .iter()
            .any(|set| literal.chars().all(|c| set.contains(c)))
}

/// The form of a literal the gates search for: `"auditd"` (the key the filter adds for auditd
/// groups, quoted so that it names the key) is searched without its quotes.
fn unquoted(literal: &str) -> &str {
    literal
        .strip_prefix('"')
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or(literal)
}

/// `literal` (ASCII) as UTF-16LE bytes, as a chunk stores it.
fn utf16le(literal: &str) -> String {
    // Each ASCII byte followed by a NUL byte is valid UTF-8, so the automaton can take it.
    literal.chars().flat_map(|c| [c, '\0']).collect()
}

/// Both stored forms of each literal.
fn stored_forms(literals: &[&str]) -> Vec<String> {
    literals
        .iter()
        .flat_map(|l| [utf16le(l), (*l).to_owned()])
        .collect()
}

pub(super) struct ChunkGate {
    /// Every literal of every clause, in both stored forms.
    literals: Gate,
    /// Every signature literal, in both stored forms; `None` when records need not hold one.
    signatures: Option<Gate>,
    /// The ASCII characters (lower-case) the literals hold, for character references.
    chars: [bool; 128],
}

impl ChunkGate {
    /// The gate of `literals` (every clause's, lower-case), requiring a chunk to hold one of
    /// `signatures` as well when given; `None` when some literal is not stored as text, or no
    /// signature is.
    pub(super) fn build(literals: &[String], signatures: Option<&[&str]>) -> Option<ChunkGate> {
        let literals: Vec<&str> = literals.iter().map(|l| unquoted(l)).collect();
        if literals.is_empty() || !literals.iter().all(|l| stored_as_text(l)) {
            return None;
        }
        let signatures: Option<Vec<&str>> =
            signatures.map(|s| s.iter().copied().filter(|l| stored_as_text(l)).collect());
        if signatures.as_ref().is_some_and(Vec::is_empty) {
            return None;
        }
        let mut chars = [false; 128];
        for b in literals.iter().flat_map(|l| l.bytes()) {
            if let Some(slot) = chars.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        Some(ChunkGate {
            literals: Gate::build(&stored_forms(&literals)).ok()?,
            signatures: match signatures {
                Some(s) => Some(Gate::build(&stored_forms(&s)).ok()?),
                None => None,
            },
            chars,
        })
    }

    /// Whether some record of `chunk` may be admitted once rendered.
    pub(super) fn admits(&self, chunk: &[u8], lowered: &mut Vec<u8>) -> bool {
        let (text, _) = lower_case_into(chunk, lowered);
        self.literals.is_match(text)
            || self.signatures.as_ref().is_some_and(|g| !g.is_match(text))
            || self.may_hide_a_literal(chunk)
    }

    /// Whether `chunk` holds a code unit that folds to ASCII, or a character reference of a
    /// character some literal holds (in either case), wherever the bytes fall.
    fn may_hide_a_literal(&self, chunk: &[u8]) -> bool {
        const FOLDS: [[u8; 2]; 2] = [[0x30, 0x01], [0x2a, 0x21]];
        if FOLDS
            .iter()
            .any(|f| memchr::memmem::find(chunk, f).is_some())
        {
            return true;
        }
        memchr::memchr2_iter(0x08, 0x48, chunk).any(|at| {
            match (chunk.get(at + 1), chunk.get(at + 2)) {
                (Some(&low), Some(0)) if low < 0x80 => self
                    .chars
                    .get(usize::from(low.to_ascii_lowercase()))
                    .copied()
                    .unwrap_or(false),
                _ => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_a_rendering_can_make_are_refused() {
        for made in [
            "true",
            "null",
            "als",
            "0x1f",
            "s-1-5-18",
            "2019-03-19t",
            "{6a3f",
            "attributes",
            "text",
            "#tex",
            "a&b",
            "it's",
            "1.5e3",
            "abcdef",
            "t:z",
            "data_1",
            "data_",
            "rue,1",
            ": fals",
        ] {
            assert!(!stored_as_text(made), "{made}");
        }
        for stored in [
            "cmd.exe",
            "list-users",
            "net user",
            "get-mguser",
            "eventid",
            "commandline",
            "iam",
            "auditd",
            "useraccount get",
            "state",
            "data_x",
            "list",
        ] {
            assert!(stored_as_text(stored), "{stored}");
        }
    }

    #[test]
    fn a_chunk_is_searched_in_utf16_and_ansi_in_any_case() {
        let gate = ChunkGate::build(&["list-users".to_owned()], None).unwrap();
        let mut buffer = Vec::new();
        let utf16: Vec<u8> = "aws IAM List-Users --x"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(gate.admits(&utf16, &mut buffer));
        assert!(gate.admits(b"\x02\x00aws iam LIST-USERS", &mut buffer));
        let other: Vec<u8> = "aws iam list-roles"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!gate.admits(&other, &mut buffer));
        // A character reference of a literal's character, or a code unit folding to ASCII.
        assert!(gate.admits(&[0x08, b'U', 0x00], &mut buffer));
        assert!(!gate.admits(&[0x08, b'z', 0x00], &mut buffer));
        assert!(gate.admits(&[0x00, 0x2a, 0x21, 0x00], &mut buffer));
    }

    #[test]
    fn a_chunk_without_any_signature_is_rendered() {
        let gate = ChunkGate::build(&["list-users".to_owned()], Some(&["eventid"])).unwrap();
        let mut buffer = Vec::new();
        let with: Vec<u8> = "EventID CommandLine"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert!(!gate.admits(&with, &mut buffer));
        assert!(gate.admits(b"nothing known here", &mut buffer));
        assert!(ChunkGate::build(&["true".to_owned()], None).is_none());
        assert!(ChunkGate::build(&["cmd".to_owned()], Some(&["0x"])).is_none());
        // A signature that is not stored is left out of the test.
        assert!(ChunkGate::build(&["cmd".to_owned()], Some(&["0x", "eventid"])).is_some());
    }
}

/// The module's assumption, on every record of the real EVTX samples: each string of a rendered
/// record (key or value) is stored in its chunk's text, or is one the renderer makes.
#[cfg(test)]
mod samples {
    use super::*;
    use serde_json::Value;

    /// Whether `s`, lower-cased, is in `lowered` (a lower-cased chunk) as UTF-16LE or ANSI.
    fn stored(s: &str, lowered: &[u8]) -> bool {
        let s = s.to_ascii_lowercase();
        // Lower-casing the chunk touched every byte in 'A'..='Z', high bytes of code units too.
        let wide: Vec<u8> = s
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .map(|b| b.to_ascii_lowercase())
            .collect();
        memchr::memmem::find(lowered, s.as_bytes()).is_some()
            || memchr::memmem::find(lowered, &wide).is_some()
    }

    /// Whether the renderer can have made `s` from no stored text, or from a stored name and a
    /// `_N` suffix.
    fn made(s: &str, lowered: &[u8]) -> bool {
        RENDERER_KEYS.contains(&s)
            || RENDERED
                .iter()
                .any(|set| s.chars().all(|c| set.contains(c)))
            || s.rsplit_once('_').is_some_and(|(name, n)| {
                n.bytes().all(|b| b.is_ascii_digit()) && stored(name, lowered)
            })
    }

    fn strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::String(s) => out.push(s),
            Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| {
                out.push(k);
                strings(v, out);
            }),
            _ => {}
        }
    }

    fn evtx_files() -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let mut dirs = vec![root.join("logs/sysmon"), root.join("logs/windows")];
        // More samples for a manual run: ENUMWATCH_EVTX_DIRS=dir1:dir2.
        if let Some(extra) = std::env::var_os("ENUMWATCH_EVTX_DIRS") {
            dirs.extend(std::env::split_paths(&extra));
        }
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "evtx") {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn every_rendered_string_of_the_real_samples_is_stored_or_made() {
        let settings = std::sync::Arc::new(evtx::ParserSettings::new().num_threads(1));
        let (mut checked, mut records) = (0, 0);
        let files = evtx_files();
        assert!(files.len() >= 5, "{files:?}");
        for path in files {
            let parser = evtx::EvtxParser::from_path(&path).unwrap();
            for chunk in parser.into_chunks() {
                let mut data = chunk.unwrap();
                let mut lowered = Vec::new();
                let text = lower_case_into(&data.data, &mut lowered).0.to_vec();
                let mut chunk = data.parse(std::sync::Arc::clone(&settings)).unwrap();
                for record in chunk.iter() {
                    let json = record.unwrap().into_json_bytes().unwrap().data;
                    let value: Value = serde_json::from_slice(&json).unwrap();
                    let mut found = Vec::new();
                    strings(&value, &mut found);
                    for s in found {
                        // Entity references resolve to these: what lies between them is stored.
                        let pieces = s.split(['"', '\'', '&', '<', '>']);
                        for piece in pieces.filter(|p| !p.is_empty()) {
                            assert!(
                                stored(piece, &text) || made(piece, &text),
                                "{}: `{piece}` is neither stored nor made",
                                path.display()
                            );
                            checked += 1;
                        }
                    }
                    records += 1;
                }
            }
        }
        assert!(
            records >= 5 && checked > 100,
            "{records} records, {checked} strings"
        );
    }
}

/// The gate of a real rule set on the real Sysmon samples: a chunk holding the rule's command
/// line is admitted, the others are not.
#[cfg(test)]
mod real_chunks {
    use enumwatch_event::{LogSource, RecordPrefilter};
    use enumwatch_rules::{RuleSource, load};

    use crate::prefilter::{RawFacts, RawPrefilter};

    fn signature(source: LogSource) -> &'static [&'static [&'static str]] {
        match source {
            LogSource::Sysmon | LogSource::Security4688 | LogSource::WindowsOther => {
                &[&["eventid", "event_id"]]
            }
            _ => &[&["elsewhere"]],
        }
    }

    fn no_field_literals(_: &str) -> Option<&'static [&'static str]> {
        None
    }

    /// The first chunk of a sample, as stored (up to its free-space offset).
    fn chunk(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/../../testdata/logs/sysmon/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(path).unwrap();
        let chunk = &bytes[4096..4096 + 65536];
        let free = u32::from_le_bytes(chunk[48..52].try_into().unwrap()) as usize;
        chunk[..free].to_vec()
    }

    #[test]
    fn a_real_rule_set_admits_only_the_chunks_holding_its_literals() {
        let text = "title: wmic account listing\nid: 00000000-0000-4000-8000-000000000001\n\
                    logsource:\n  product: windows\n  category: process_creation\n\
                    detection:\n  selection:\n    CommandLine|contains: 'useraccount get'\n\
                    \x20 condition: selection\nlevel: low\n";
        let (rules, errors) = load(&[RuleSource {
            name: "r.yml".into(),
            text: text.into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        let facts = RawFacts {
            signature,
            field_literals: no_field_literals,
        };
        let prefilter = RawPrefilter::build_with(&rules, None, Some(&facts)).unwrap();
        assert!(prefilter.evtx_chunk.is_some(), "the gate is built");
        assert!(prefilter.admits_evtx_chunk(&chunk("sigma_regression_wmic_useraccount.evtx")));
        for other in [
            "sigma_regression_cmdkey.evtx",
            "sigma_regression_adfind.evtx",
            "sigma_regression_wmic_group.evtx",
        ] {
            assert!(!prefilter.admits_evtx_chunk(&chunk(other)), "{other}");
        }
    }
}
