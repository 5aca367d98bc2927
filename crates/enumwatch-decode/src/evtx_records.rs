//! EVTX through the `evtx` crate: each record becomes the crate's JSON rendering (the same as
//! `evtx_dump -o json`), located by its `EventRecordID`. The whole file is read into memory
//! first (the parser needs to seek); EVTX files are bounded by Windows' log size settings.

use std::io::{BufRead, Read};
use std::sync::Arc;

use enumwatch_event::{Location, RawRecord};
use evtx::{EvtxParser, ParserSettings};

use crate::{DecodeError, DecodeErrorKind};

pub(crate) fn records(
    source: Arc<str>,
    mut reader: Box<dyn BufRead + Send>,
) -> Vec<Result<RawRecord, DecodeError>> {
    let mut out = Vec::new();
    let mut buffer = Vec::new();
    let read_error = reader.read_to_end(&mut buffer).err();
    let parser = EvtxParser::from_buffer(buffer)
        .map(|p| p.with_configuration(ParserSettings::new().num_threads(1)));
    let mut parser = match parser {
        Ok(parser) => parser,
        Err(err) => {
            out.push(Err(DecodeError::new(
                Location::new(source, 0),
                DecodeErrorKind::EvtxRecord(format!(
                    "cannot open the EVTX file: {}",
                    with_causes(&err)
                )),
            )));
            return out;
        }
    };
    for (idx, item) in parser.records_json_value().enumerate() {
        let location = Location::new(Arc::clone(&source), idx as u64);
        out.push(match item {
            Ok(record) => {
                // The rendered `EventRecordID` is what Event Viewer shows; the chunk header id
                // can differ in files re-exported from a larger log.
                let shown = record.data["Event"]["System"]["EventRecordID"].as_u64();
                Ok(RawRecord {
                    location: location.with_record_id(shown.unwrap_or(record.event_record_id)),
                    body: record.data,
                })
            }
            Err(err) => Err(DecodeError::new(
                location,
                DecodeErrorKind::EvtxRecord(with_causes(&err)),
            )),
        });
    }
    if let Some(err) = read_error {
        let n = out.len() as u64;
        out.push(Err(DecodeError::new(
            Location::new(source, n),
            DecodeErrorKind::Truncated(err.to_string()),
        )));
    }
    out
}

/// An evtx error with its causes: the crate's top-level message ("Failed to parse chunk number
/// 3") alone does not say what was wrong with the chunk.
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut cause = err.source();
    while let Some(inner) = cause {
        let message = inner.to_string();
        if !text.contains(&message) {
            text.truncate(text.trim_end_matches('.').len());
            text.push_str(": ");
            text.push_str(&message);
        }
        cause = inner.source();
    }
    text
}
