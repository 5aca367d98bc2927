//! `enumwatch report`: hunt, then write the incident report as self-contained HTML and/or
//! Markdown.

use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use enumwatch_sinks::{render_html, render_markdown};

use crate::cli::ReportArgs;
use crate::commands::hunt;

pub(crate) fn run(args: &ReportArgs) -> Result<ExitCode> {
    if args.html.is_none() && args.markdown.is_none() {
        bail!("say where to write the report: --html FILE and/or --markdown FILE");
    }
    let (output, stats) = hunt::execute(&args.hunt)?;
    if let Some(path) = &args.html {
        std::fs::write(path, render_html(&output.alerts, &stats, &args.title))
            .with_context(|| format!("cannot write the HTML report {}", path.display()))?;
    }
    if let Some(path) = &args.markdown {
        std::fs::write(path, render_markdown(&output.alerts, &stats, &args.title))
            .with_context(|| format!("cannot write the Markdown report {}", path.display()))?;
    }
    hunt::finish(&args.hunt, &stats)
}
