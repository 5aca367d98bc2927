//! CSV exports (Sentinel, Defender, `Search-UnifiedAuditLog`): header-mapped rows; a cell holding
//! JSON (`AuditData`, `InitiatedBy`) is parsed so normalizers see the same shape as a JSON export.

use std::io::BufRead;
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use serde_json::{Map, Value};

use crate::{DecodeError, DecodeErrorKind};

pub(crate) struct CsvRows {
    source: Arc<str>,
    reader: csv::Reader<Box<dyn BufRead + Send>>,
    headers: Option<Vec<String>>,
    record: u64,
    done: bool,
    max_depth: usize,
}

impl CsvRows {
    pub(crate) fn new(source: Arc<str>, reader: Box<dyn BufRead + Send>, max_depth: usize) -> Self {
        let reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(reader);
        Self {
            source,
            reader,
            headers: None,
            record: 0,
            done: false,
            max_depth,
        }
    }
}

/// The header of an Event Viewer CSV export (an English Windows).
const EVENT_VIEWER_COLUMNS: [&str; 5] = [
    "Level",
    "Date and Time",
    "Source",
    "Event ID",
    "Task Category",
];

fn cell_value(text: &str) -> Value {
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(trimmed)
    {
        return value;
    }
    Value::String(text.to_owned())
}

impl Iterator for CsvRows {
    type Item = Result<RawRecord, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let mut row = csv::StringRecord::new();
        loop {
            match self.reader.read_record(&mut row) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {}
                Err(err) => {
                    let line = err.position().map_or(0, csv::Position::line);
                    let location =
                        Location::new(Arc::clone(&self.source), self.record).with_line(line);
                    self.record += 1;
                    let kind = match err.kind() {
                        csv::ErrorKind::Io(io) => {
                            self.done = true;
                            DecodeErrorKind::Truncated(io.to_string())
                        }
                        csv::ErrorKind::Utf8 { .. } => DecodeErrorKind::InvalidUtf8,
                        _ => DecodeErrorKind::InvalidCsv(err.to_string()),
                    };
                    return Some(Err(DecodeError::new(location, kind)));
                }
            }
            let line = row.position().map_or(0, csv::Position::line);
            let Some(headers) = &self.headers else {
                let mut names: Vec<String> = row.iter().map(|h| h.trim().to_owned()).collect();
                if let Some(first) = names.first_mut() {
                    *first = first.trim_start_matches('\u{feff}').to_owned();
                }
                // Event Viewer's "Save As… CSV" names five columns and writes each event's
                // rendered description as an unnamed sixth.
                if names == EVENT_VIEWER_COLUMNS {
                    names.push("Description".to_owned());
                }
                self.headers = Some(names);
                continue;
            };
            let location = Location::new(Arc::clone(&self.source), self.record).with_line(line);
            self.record += 1;
            if row.len() != headers.len() {
                return Some(Err(DecodeError::new(
                    location,
                    DecodeErrorKind::InvalidCsv(format!(
                        "expected {} fields as in the header, found {}",
                        headers.len(),
                        row.len()
                    )),
                )));
            }
            // A Splunk export's `_raw` column holds the vendor's record (`splunk`).
            if let Some(raw) = headers
                .iter()
                .position(|h| h == "_raw")
                .and_then(|at| row.get(at))
                && let Some(held) = crate::splunk::held_record(raw, self.max_depth)
            {
                return Some(match held {
                    Ok(body) => Ok(RawRecord { location, body }),
                    Err(kind) => Err(DecodeError::new(location, kind)),
                });
            }
            let mut map = Map::new();
            for (name, cell) in headers.iter().zip(row.iter()) {
                map.insert(name.clone(), cell_value(cell));
            }
            return Some(Ok(RawRecord {
                location,
                body: Value::Object(map),
            }));
        }
    }
}
