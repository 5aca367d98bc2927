//! CSV output: one row per alert with the triage columns; list fields joined with ` | `. The
//! last column names the tuning entry that suppressed the alert (with `--show-suppressed`),
//! empty for the alerts shown.

use std::io::Write;

use enumwatch_alert::Alert;

use crate::{Sink, SinkError};

const HEADER: [&str; 21] = [
    "id",
    "time",
    "rule_id",
    "rule_title",
    "rule_level",
    "analytic",
    "technique",
    "platform",
    "tool_category",
    "severity",
    "confidence",
    "log_source",
    "actor",
    "host",
    "process",
    "command_line",
    "tool",
    "command",
    "explanation",
    "evidence",
    "suppressed_by",
];

pub struct CsvSink<W: Write> {
    out: csv::Writer<W>,
    header_written: bool,
}

impl<W: Write> CsvSink<W> {
    pub fn new(out: W) -> Self {
        Self {
            out: csv::Writer::from_writer(out),
            header_written: false,
        }
    }

    fn header(&mut self) -> Result<(), SinkError> {
        if !self.header_written {
            self.out.write_record(HEADER)?;
            self.header_written = true;
        }
        Ok(())
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn write(&mut self, alert: &Alert) -> Result<(), SinkError> {
        self.header()?;
        let evidence = alert
            .evidence
            .iter()
            .map(|e| {
                let mut s = format!("{}#{}", e.source, e.record);
                if let Some(line) = e.line {
                    s.push_str(&format!(":{line}"));
                }
                if let Some(id) = e.record_id {
                    s.push_str(&format!("@{id}"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(" | ");
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        self.out.write_record([
            alert.id.clone(),
            opt(&alert.time),
            alert.rule.id.clone(),
            alert.rule.title.clone(),
            alert.rule.level.clone(),
            opt(&alert.analytic),
            alert.technique.to_owned(),
            alert.platform.name().to_owned(),
            alert.tool_category.name().to_owned(),
            alert.severity.name().to_owned(),
            alert.confidence.name().to_owned(),
            alert.log_source.name().to_owned(),
            opt(&alert.actor),
            opt(&alert.host),
            opt(&alert.process),
            opt(&alert.command_line),
            opt(&alert.tool),
            opt(&alert.command),
            alert.explanation.clone(),
            evidence,
            alert
                .suppressed_by
                .as_ref()
                .map(|s| s.entry.clone())
                .unwrap_or_default(),
        ])?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        self.header()?;
        self.out.flush()?;
        Ok(())
    }
}
