//! Where alerts go: the terminal table (default), JSON lines, a JSON array, CSV; and the run
//! summary as text; and the incident report (HTML and Markdown). Each output is a `Sink`; the caller sorts alerts first, so every sink writes
//! in the same deterministic order.

mod csv_sink;
mod json;
mod report;
mod summary;
mod table;

use std::io;

use enumwatch_alert::Alert;
use thiserror::Error;

pub use csv_sink::CsvSink;
pub use json::{JsonArraySink, JsonlSink};
pub use report::{Incident, incidents, render_html, render_markdown};
pub use summary::render_summary;
pub use table::TableSink;

/// An alert output. `write` is called once per alert in output order, then `finish` once.
pub trait Sink {
    fn write(&mut self, alert: &Alert) -> Result<(), SinkError>;
    /// Flush and close the output (write trailers such as a JSON array's `]`).
    fn finish(&mut self) -> Result<(), SinkError>;
}

/// Why alerts could not be written. The cause is part of each message (and not also a
/// `source`, which would print it twice in an error chain).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SinkError {
    #[error(
        "cannot write alerts: {0}; check that the output path is writable and the disk is not full"
    )]
    Io(io::Error),
    #[error("cannot encode an alert as JSON: {0}")]
    Json(serde_json::Error),
    #[error("cannot encode an alert as JSON: {0}")]
    Encode(sonic_rs::Error),
    #[error("cannot write CSV: {0}")]
    Csv(csv::Error),
}

impl SinkError {
    /// The reader of the output went away (`enumwatch hunt … | head`): not a failure of the
    /// hunt, the rest of the output is simply not wanted.
    pub fn is_broken_pipe(&self) -> bool {
        let kind = match self {
            SinkError::Io(e) => Some(e.kind()),
            SinkError::Json(e) => e.io_error_kind(),
            SinkError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e.kind()),
                _ => None,
            },
            SinkError::Encode(_) => None,
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    }
}

impl From<io::Error> for SinkError {
    fn from(e: io::Error) -> Self {
        SinkError::Io(e)
    }
}

impl From<serde_json::Error> for SinkError {
    fn from(e: serde_json::Error) -> Self {
        SinkError::Json(e)
    }
}

impl From<sonic_rs::Error> for SinkError {
    fn from(e: sonic_rs::Error) -> Self {
        SinkError::Encode(e)
    }
}

impl From<csv::Error> for SinkError {
    fn from(e: csv::Error) -> Self {
        SinkError::Csv(e)
    }
}

/// Output formats the CLI offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Jsonl,
    Json,
    Csv,
}

/// Write all alerts to a sink and finish it.
pub fn write_all(sink: &mut dyn Sink, alerts: &[Alert]) -> Result<(), SinkError> {
    for alert in alerts {
        sink.write(alert)?;
    }
    sink.finish()
}

#[cfg(test)]
mod tests;
