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
    /// Per column, the path of object keys a dotted name stands for (`None`: the name as is).
    paths: Vec<Option<Vec<String>>>,
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
            paths: Vec::new(),
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

/// Kibana's and Splunk's CSV exports flatten nested fields into dotted column names
/// (`winlog.event_data.CommandLine`, `userIdentity.arn`): such a column is put back at
/// its path, so the record has the shape its normalizer knows. A name that is also the prefix
/// of another column (`a` beside `a.b`), or has an empty part, stays as it is.
fn dotted_paths(names: &[String]) -> Vec<Option<Vec<String>>> {
    let all: std::collections::HashSet<&str> = names.iter().map(String::as_str).collect();
    let is_prefix_of_another = |name: &str| {
        names
            .iter()
            .any(|other| other.starts_with(name) && other.as_bytes().get(name.len()) == Some(&b'.'))
    };
    names
        .iter()
        .map(|name| {
            if !name.contains('.') || is_prefix_of_another(name) {
                return None;
            }
            let parts: Vec<&str> = name.split('.').collect();
            if parts.iter().any(|p| p.is_empty()) {
                return None;
            }
            // A shorter prefix that is itself a column keeps this one flat.
            let clash = (1..parts.len())
                .any(|n| all.contains(parts.get(..n).unwrap_or_default().join(".").as_str()));
            (!clash).then(|| parts.iter().map(|p| (*p).to_owned()).collect())
        })
        .collect()
}

fn insert_at(map: &mut Map<String, Value>, path: &[String], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = map;
    for key in parents {
        let slot = map
            .entry(key.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(inner) = slot else {
            return;
        };
        map = inner;
    }
    map.insert(last.clone(), value);
}

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
                self.paths = dotted_paths(&names);
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
            for ((name, path), cell) in headers.iter().zip(&self.paths).zip(row.iter()) {
                match path {
                    Some(path) => insert_at(&mut map, path, cell_value(cell)),
                    None => {
                        map.insert(name.clone(), cell_value(cell));
                    }
                }
            }
            return Some(Ok(RawRecord {
                location,
                body: Value::Object(map),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(names: &[&str]) -> Vec<Option<Vec<String>>> {
        dotted_paths(&names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn dotted_names_are_paths_unless_they_clash() {
        let got = paths(&[
            "winlog.event_data.CommandLine",
            "a",
            "a.b",
            "x.y",
            "x.y.z",
            "p..q",
            ".r",
            "plain",
        ]);
        let path = |p: &[&str]| Some(p.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>());
        assert_eq!(
            got,
            vec![
                path(&["winlog", "event_data", "CommandLine"]),
                None,
                None,
                None,
                None,
                None,
                None,
                None
            ]
        );
        let mut map = Map::new();
        insert_at(&mut map, &["a".to_owned(), "b".to_owned()], Value::from(1));
        insert_at(&mut map, &["a".to_owned(), "c".to_owned()], Value::from(2));
        assert_eq!(
            Value::Object(map),
            serde_json::json!({"a": {"b": 1, "c": 2}})
        );
    }
}
