//! JSON outputs: one alert per line (for pipelines and SIEM ingestion) or one array document.

use std::io::Write;

use enumwatch_alert::Alert;

use crate::{Sink, SinkError};

/// One JSON object per line.
///
/// A line is encoded by sonic-rs, whose SIMD string escaping matters when a hunt writes a
/// hundred thousand alerts with their hunting queries; its bytes are serde_json's
/// (`tests::jsonl_lines_are_what_serde_json_writes`).
pub struct JsonlSink<W: Write> {
    out: W,
    /// The line being encoded, reused from alert to alert.
    line: Vec<u8>,
}

impl<W: Write> JsonlSink<W> {
    pub fn new(out: W) -> Self {
        Self {
            out,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Sink for JsonlSink<W> {
    fn write(&mut self, alert: &Alert) -> Result<(), SinkError> {
        self.line.clear();
        sonic_rs::to_writer(&mut self.line, alert)?;
        self.line.push(b'\n');
        self.out.write_all(&self.line)?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.out.flush()?;
        Ok(())
    }
}

/// One pretty-printed JSON array.
pub struct JsonArraySink<W: Write> {
    out: W,
    n_written: usize,
}

impl<W: Write> JsonArraySink<W> {
    pub fn new(out: W) -> Self {
        Self { out, n_written: 0 }
    }
}

impl<W: Write> Sink for JsonArraySink<W> {
    fn write(&mut self, alert: &Alert) -> Result<(), SinkError> {
        self.out
            .write_all(if self.n_written == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer_pretty(&mut self.out, alert)?;
        self.n_written += 1;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.out.write_all(if self.n_written == 0 {
            b"[]\n"
        } else {
            b"\n]\n"
        })?;
        self.out.flush()?;
        Ok(())
    }
}
