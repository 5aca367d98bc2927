//! Provenance of a record: which input it came from and where inside it.
//!
//! Every error, event and alert evidence carries a `Location`, so an analyst can always go back to
//! the exact line or EVTX record that produced it.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

/// Where one record sits in its input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The input as the user named it (a path as given, or `-` for stdin).
    pub source: Arc<str>,
    /// 0-based index of the record within its input (array element, line record, CSV row, EVTX
    /// record, auditd group), counting malformed records too.
    pub record: u64,
    /// 1-based line number where the record starts, for line formats (JSON lines, CSV, auditd) and
    /// for JSON documents where the decoder tracks it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The record's own identifier where the format has one (EVTX `EventRecordID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
}

impl Location {
    /// A location for record `record` of `source`, without line or record id.
    pub fn new(source: Arc<str>, record: u64) -> Self {
        Self {
            source,
            record,
            line: None,
            record_id: None,
        }
    }

    /// Same location with a 1-based line number.
    #[must_use]
    pub fn with_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// Same location with the format's own record identifier.
    #[must_use]
    pub fn with_record_id(mut self, record_id: u64) -> Self {
        self.record_id = Some(record_id);
        self
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.source)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, " (record {}", self.record)?;
        if let Some(id) = self.record_id {
            write!(f, ", record id {id}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_every_part_that_is_known() {
        let loc = Location::new(Arc::from("logs/a.jsonl"), 4).with_line(5);
        assert_eq!(loc.to_string(), "logs/a.jsonl:5 (record 4)");
        let loc = Location::new(Arc::from("x.evtx"), 0).with_record_id(2281);
        assert_eq!(loc.to_string(), "x.evtx (record 0, record id 2281)");
    }
}
