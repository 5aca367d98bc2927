//! The terminal table: what an analyst reads first. Severity is colored when the output is a
//! terminal; long command lines are shortened here only (JSON and CSV keep them whole).

use std::io::Write;

use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use enumwatch_alert::{Alert, Severity};

use crate::{Sink, SinkError};

pub struct TableSink<W: Write> {
    out: W,
    color: bool,
    width: Option<u16>,
    rows: Vec<Vec<Cell>>,
}

impl<W: Write> TableSink<W> {
    /// `color`: emit ANSI colors; `width`: terminal width to wrap to (None = no wrapping).
    pub fn new(out: W, color: bool, width: Option<u16>) -> Self {
        Self {
            out,
            color,
            width,
            rows: Vec::new(),
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
        Ok(())
    }

    fn finish(&mut self) -> Result<(), SinkError> {
        if self.rows.is_empty() {
            writeln!(self.out, "no alerts")?;
            self.out.flush()?;
            return Ok(());
        }
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
        self.out.flush()?;
        Ok(())
    }
}
