//! `enumwatch coverage`: which analytics the given logs can feed, and how to switch on what is
//! missing.

use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use enumwatch_ingest::expand;
use enumwatch_pipeline::{HuntOptions, survey};

use crate::cli::{CoverageArgs, CoverageFormat};

pub(crate) fn run(args: &CoverageArgs) -> Result<ExitCode> {
    let (inputs, errors) = expand(&args.paths);
    let coverage = survey(&inputs, &HuntOptions::default());
    let mut out = io::stdout().lock();
    match args.format {
        CoverageFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &coverage).context("writing the coverage")?;
            writeln!(out)?;
        }
        CoverageFormat::Table => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .force_no_tty()
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(160)
                .set_header(["analytic", "telemetry", "status", "events", "how to enable"]);
            for r in &coverage.requirements {
                table.add_row([
                    r.analytic.to_owned(),
                    r.telemetry.to_owned(),
                    r.status.to_owned(),
                    r.seen.to_string(),
                    r.how_to_enable.to_owned(),
                ]);
            }
            writeln!(out, "{table}")?;
            for (analytic, status) in &coverage.analytics {
                writeln!(out, "{analytic}: {status}")?;
            }
        }
    }
    for err in &errors {
        eprintln!("warning: {err}");
    }
    Ok(
        if errors.is_empty() && coverage.stats.inputs_unreadable == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        },
    )
}
