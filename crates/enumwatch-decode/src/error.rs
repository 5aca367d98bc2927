//! `DecodeError`: what went wrong with one record, where, and whether reading can go on.

use std::fmt;

use enumwatch_event::Location;

/// What went wrong. Messages say what was expected and what the user can do.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    InvalidJson(String),
    InvalidCsv(String),
    InvalidAuditd(String),
    RecordTooLarge {
        limit: usize,
    },
    TooDeep {
        limit: usize,
    },
    Truncated(String),
    /// No format enumwatch reads; with what the input is instead, when its first bytes say
    /// (`sniff::known_other`).
    UnknownFormat(Option<&'static str>),
    EvtxRecord(String),
    InvalidUtf8,
    InvalidXml(String),
}

/// One record that could not be decoded, at its location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub location: Location,
    pub kind: DecodeErrorKind,
}

impl DecodeError {
    pub fn new(location: Location, kind: DecodeErrorKind) -> Self {
        Self { location, kind }
    }

    /// Stable counter label.
    pub fn reason(&self) -> &'static str {
        match self.kind {
            DecodeErrorKind::InvalidJson(_) | DecodeErrorKind::TooDeep { .. } => "invalid_json",
            DecodeErrorKind::InvalidCsv(_) => "invalid_csv",
            DecodeErrorKind::InvalidAuditd(_) => "invalid_auditd",
            DecodeErrorKind::RecordTooLarge { .. } => "record_too_large",
            DecodeErrorKind::Truncated(_) => "truncated_input",
            DecodeErrorKind::UnknownFormat(_) => "unknown_format",
            DecodeErrorKind::EvtxRecord(_) => "evtx_record",
            DecodeErrorKind::InvalidUtf8 => "invalid_utf8",
            DecodeErrorKind::InvalidXml(_) => "invalid_xml",
        }
    }

    /// False when nothing more can be read from this input (unknown format, broken stream).
    pub fn can_continue(&self) -> bool {
        !matches!(
            self.kind,
            DecodeErrorKind::UnknownFormat(_) | DecodeErrorKind::Truncated(_)
        )
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            DecodeErrorKind::InvalidJson(detail) => {
                write!(f, "invalid JSON: {detail}; the record was skipped")
            }
            DecodeErrorKind::InvalidCsv(detail) => {
                write!(f, "invalid CSV row: {detail}; the row was skipped")
            }
            DecodeErrorKind::InvalidAuditd(detail) => write!(
                f,
                "invalid auditd line: {detail}; expected `type=… msg=audit(<time>:<serial>): …`"
            ),
            DecodeErrorKind::RecordTooLarge { limit } => write!(
                f,
                "record longer than {limit} bytes was skipped; raise --max-record-mib if it is legitimate"
            ),
            DecodeErrorKind::TooDeep { limit } => {
                write!(
                    f,
                    "JSON nested deeper than {limit} levels; the record was skipped"
                )
            }
            DecodeErrorKind::Truncated(detail) => write!(f, "input ends early: {detail}"),
            DecodeErrorKind::UnknownFormat(None) => write!(
                f,
                "unknown format: expected JSON, JSON lines, CSV with a header, EVTX, Windows event XML, auditd text or syslog text (optionally gzip-compressed)"
            ),
            DecodeErrorKind::UnknownFormat(Some(what)) => {
                write!(f, "unknown format: {what}")
            }
            DecodeErrorKind::EvtxRecord(detail) => {
                write!(
                    f,
                    "unreadable EVTX record: {detail}; the record was skipped"
                )
            }
            DecodeErrorKind::InvalidUtf8 => {
                write!(f, "text is not valid UTF-8; the record was skipped")
            }
            DecodeErrorKind::InvalidXml(detail) => {
                write!(f, "invalid event XML: {detail}; the event was skipped")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// What a JSON parse failure of `bytes` is: bytes that are not UTF-8 at all are `InvalidUtf8`
/// (serde_json only says "invalid unicode code point"), anything else `InvalidJson`.
/// One JSON text to a value. sonic-rs does the parse (SIMD; 1.3–1.6× serde_json into the same
/// `serde_json::Value` on CloudTrail lines); text it refuses goes to serde_json, whose verdict
/// stands — so what is accepted, and every error message, is serde_json's either way.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<serde_json::Value, DecodeErrorKind> {
    match sonic_rs::from_slice::<crate::value::Built>(bytes).map(|b| b.0) {
        Ok(value) => Ok(value),
        Err(_) => serde_json::from_slice(bytes).map_err(|err| json_failure(bytes, &err)),
    }
}

pub(crate) fn json_failure(bytes: &[u8], err: &serde_json::Error) -> DecodeErrorKind {
    if std::str::from_utf8(bytes).is_err() {
        DecodeErrorKind::InvalidUtf8
    } else {
        DecodeErrorKind::InvalidJson(err.to_string())
    }
}
