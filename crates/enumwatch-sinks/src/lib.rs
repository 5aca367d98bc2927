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

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SinkError {
    #[error(
        "cannot write alerts: {0}; check that the output path is writable and the disk is not full"
    )]
    Io(#[from] io::Error),
    #[error("cannot encode an alert as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot encode an alert as JSON: {0}")]
    Encode(#[from] sonic_rs::Error),
    #[error("cannot write CSV: {0}")]
    Csv(#[from] csv::Error),
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
