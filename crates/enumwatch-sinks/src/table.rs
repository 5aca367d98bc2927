//! The terminal table: what an analyst reads first. Severity is colored when the output is a
//! terminal; long command lines are shortened here only (JSON and CSV keep them whole). A table
//! is laid out from all its rows, so a hunt raising more than `BLOCK_ROWS` alerts is written as
//! consecutive tables of that many rows each, each with its header: memory stays bounded
//! however many alerts there are (a broad pack's 128,000 alerts took 551 MiB as one table).

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use enumwatch_alert::{Alert, Severity};

use crate::{Sink, SinkError};

/// Rows of one table.
pub(crate) const BLOCK_ROWS: usize = 1000;

pub struct TableSink<W: Write> {
    out: W,
    color: bool,
    width: Option<u16>,
    rows: Vec<Vec<Cell>>,
    /// Some table was written already.
    written: bool,
}

impl<W: Write> TableSink<W> {
    /// `color`: emit ANSI colors; `width`: terminal width to wrap to (None = no wrapping).
    pub fn new(out: W, color: bool, width: Option<u16>) -> Self {
        Self {
            out,
            color,
            width,
            rows: Vec::new(),
            written: false,
        }
    }
}

fn severity_color(severity: Severity) -> Color {
    match severity {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Informational => Color::Grey,
    }
}

fn shorten(text: &str, max_chars: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    match flat.char_indices().nth(max_chars) {
        Some((idx, _)) => format!("{}…", flat.get(..idx).unwrap_or(&flat)),
        None => flat,
    }
}

impl<W: Write> Sink for TableSink<W> {
    fn write(&mut self, alert: &Alert) -> Result<(), SinkError> {
        let mut severity = Cell::new(alert.severity.name());
        if self.color {
            severity = severity.fg(severity_color(alert.severity));
        }
        let who = match (&alert.actor, &alert.host) {
            (Some(a), Some(h)) => format!("{a} @ {h}"),
            (Some(a), None) => a.clone(),
            (None, Some(h)) => format!("@ {h}"),
            (None, None) => String::new(),
        };
        let what = alert
            .command
            .as_deref()
            .or(alert.command_line.as_deref())
            .map(|c| shorten(c, 120))
            .unwrap_or_default();
        let evidence = alert
            .evidence
            .first()
            .map(|e| match e.line {
                Some(line) => format!("{}:{line}", e.source),
                None => match e.record_id {
                    Some(id) => format!("{} #{id}", e.source),
                    None => format!("{} [{}]", e.source, e.record),
                },
            })
            .unwrap_or_default();
        self.rows.push(vec![
            Cell::new(alert.time.as_deref().unwrap_or("-")),
            severity,
            Cell::new(match &alert.suppressed_by {
                Some(s) => format!(
                    "{}\n(suppressed by {}: {})",
                    alert.rule.title, s.entry, s.reason
                ),
                None => alert.rule.title.clone(),
            }),
            Cell::new(format!(
                "{}\n{}",
                alert.platform.name(),
                alert.analytic.as_deref().unwrap_or("-")
            )),
            Cell::new(alert.tool_category.name()),
            Cell::new(who),
            Cell::new(what),
            Cell::new(evidence),
        ]);
        if self.rows.len() >= BLOCK_ROWS {
            self.write_table()?;
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if !self.rows.is_empty() {
            self.write_table()?;
        } else if !self.written {
            writeln!(self.out, "no alerts")?;
        }
        self.out.flush()?;
        Ok(())
    }
}

impl<W: Write> TableSink<W> {
    /// Lay out the rows gathered so far as one table and write it.
    fn write_table(&mut self) -> Result<(), SinkError> {
        self.written = true;
        let mut table = Table::new();
        table.load_style(UTF8_FULL_CONDENSED);
        if !self.color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        match self.width {
            Some(width) => {
                table
                    .set_content_arrangement(ContentArrangement::Dynamic)
                    .set_width(width);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        table.set_header(vec![
            "time",
            "severity",
            "rule",
            "platform",
            "tool category",
            "actor @ host",
            "command",
            "evidence",
        ]);
        for row in self.rows.drain(..) {
            table.add_row(row);
        }
        writeln!(self.out, "{table}")?;
        Ok(())
    }
}
