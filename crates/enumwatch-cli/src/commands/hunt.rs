//! `enumwatch hunt`: read the inputs, run the selected rules, write alerts and the summary.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use enumwatch_config::Config;
use enumwatch_event::RunStats;
use enumwatch_ingest::{Input, InputKind, Limits, expand_with};
use enumwatch_pipeline::{HuntOptions, HuntOutput, Hunter};
use enumwatch_sinks::{CsvSink, JsonArraySink, JsonlSink, Sink, TableSink, render_summary};

use crate::cli::{ColorChoice, HuntArgs, OutputFormat};
use crate::commands::load_rules;
use crate::progress::Progress;

pub(crate) fn run(args: &HuntArgs) -> Result<ExitCode> {
    let (hunter, inputs, early, mut progress) = prepare(args)?;
    let mut sink = open_sink(args)?;
    let mut failed = None;
    let hunted = hunter.hunt_each(&inputs, args.show_suppressed, &mut |alert| {
        // Every input is read once alerts come: the bar goes before they are written.
        if let Some(progress) = progress.take() {
            progress.finish();
        }
        match sink.write(alert) {
            Ok(()) => true,
            Err(e) => {
                failed = Some(e);
                false
            }
        }
    });
    if let Some(progress) = progress {
        progress.finish();
    }
    let mut stats = early;
    stats.merge(hunted?);
    // A reader that went away (`| head`) wanted no more alerts: like other filters, stop
    // writing without an error.
    let finished = match failed {
        Some(e) => Err(e),
        None => sink.finish(),
    };
    match finished {
        Err(e) if e.is_broken_pipe() => {}
        other => other.context("writing alerts")?,
    }
    finish(args, &stats)
}

/// Write the stats file and the summary; the exit code says whether every input was read.
pub(crate) fn finish(args: &HuntArgs, stats: &RunStats) -> Result<ExitCode> {
    if let Some(path) = &args.stats_json {
        let file = File::create(path)
            .with_context(|| format!("cannot create the stats file {}", path.display()))?;
        serde_json::to_writer_pretty(BufWriter::new(file), stats)
            .with_context(|| format!("cannot write the stats file {}", path.display()))?;
    }
    if !args.quiet {
        eprint!("{}", render_summary(stats));
    }
    Ok(if stats.has_input_errors() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// Load the configuration and rules, hunt through the inputs, and return the alerts (shown and
/// suppressed) with the run's stats (including unreadable paths).
pub(crate) fn execute(args: &HuntArgs) -> Result<(HuntOutput, RunStats)> {
    let (hunter, inputs, early, progress) = prepare(args)?;
    let output = hunter.hunt(&inputs);
    if let Some(progress) = progress {
        progress.finish();
    }
    let output = output?;
    let mut stats = early;
    stats.merge(output.stats.clone());
    Ok((output, stats))
}

/// The hunter of `args`, its inputs, the stats of the paths that could not be read, and the
/// progress display.
fn prepare(args: &HuntArgs) -> Result<(Hunter, Vec<Input>, RunStats, Option<Progress>)> {
    let mut config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    for path in &args.profiles {
        let profile = Config::load(path)?;
        config.tuning.extend(profile.tuning);
    }
    // Profiles are checked alone on load; together their names must still be unique.
    let mut names = std::collections::BTreeSet::new();
    for entry in &config.tuning {
        if !names.insert(entry.name.as_str()) {
            bail!(
                "tuning entry `{}` is defined twice (in --config and a --profile, or two profiles); rename one",
                entry.name
            );
        }
    }
    let today = match &args.today {
        Some(text) => Some(
            enumwatch_config::parse_date(text)
                .with_context(|| format!("--today `{text}` is not a date such as 2026-11-30"))?,
        ),
        None => {
            let now = jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date();
            Some((now.year(), now.month(), now.day()))
        }
    };
    let baseline = match &args.baseline {
        Some(path) => Some(Arc::new(enumwatch_pipeline::Baseline::load(path)?)),
        None => None,
    };
    // The unselected rules (and their compiled forms) are dropped before the hunt.
    let rules = load_rules(&args.rule_args)?.select(&args.rule);
    if rules.rules().is_empty() {
        if args.rule.is_empty() {
            bail!(
                "no rule is enabled by default; choose rules with --rule (see `enumwatch rules list`)"
            );
        }
        bail!(
            "no rule matches --rule {}; see `enumwatch rules list` for ids, names and tags",
            args.rule.join(", --rule ")
        );
    }

    let limits = Limits {
        max_decompressed_bytes: args.max_decompressed_mib.saturating_mul(1024 * 1024),
    };
    let (inputs, input_errors) = expand_with(&args.paths, &limits);
    let mut early = RunStats::default();
    for err in &input_errors {
        early.inputs += 1;
        early.inputs_unreadable += 1;
        early.note_problem(err.path_display(), "unreadable_input", err.to_string());
    }

    let show_progress = !args.no_progress && !args.quiet && io::stderr().is_terminal();
    let progress = show_progress.then(|| Progress::start(total_size(&inputs)));
    let mut options = HuntOptions {
        threads: args.threads,
        limits,
        progress: progress.as_ref().map(|p| Arc::clone(&p.counter)),
        config,
        today,
        baseline,
        prefilter: !args.no_prefilter,
        max_held_bytes: Some(args.max_held_mib.saturating_mul(1024 * 1024)),
        max_alert_bytes: Some(args.max_alerts_mib.saturating_mul(1024 * 1024)),
        ..HuntOptions::default()
    };
    options.decode_limits.max_record_bytes = args.max_record_mib.saturating_mul(1024 * 1024);
    options.decode_limits.check_skipped = !args.trust_json;
    let hunter = Hunter::new(rules, options)?;
    Ok((hunter, inputs, early, progress))
}

/// Bytes of alerts gathered before each write: a hunt can write hundreds of megabytes, and with
/// `BufWriter`'s default 8 KiB every alert of a few KiB was nearly a system call of its own
/// (a 1 MiB buffer took 31,000 writes down to 220 and a tenth of a second off a 225 MB output).
const OUTPUT_BUFFER: usize = 1 << 20;

/// The sink `args` ask for, its file created (before the hunt: a path that cannot be written
/// is reported before the inputs are read).
fn open_sink(args: &HuntArgs) -> Result<Box<dyn Sink>> {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::with_capacity(
            OUTPUT_BUFFER,
            File::create(path)
                .with_context(|| format!("cannot create the output file {}", path.display()))?,
        )),
        None => Box::new(BufWriter::with_capacity(OUTPUT_BUFFER, io::stdout().lock())),
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    Ok(match args.format {
        OutputFormat::Table => Box::new(TableSink::new(out, color, terminal_width(to_terminal))),
        OutputFormat::Jsonl => Box::new(JsonlSink::new(out)),
        OutputFormat::Json => Box::new(JsonArraySink::new(out)),
        OutputFormat::Csv => Box::new(CsvSink::new(out)),
    })
}

fn terminal_width(to_terminal: bool) -> Option<u16> {
    if !to_terminal {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(160))
}

fn total_size(inputs: &[Input]) -> u64 {
    inputs
        .iter()
        .map(|input| match &input.kind {
            InputKind::Path(path) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            InputKind::Stdin => 0,
            InputKind::ZipMember(member) => member.size,
            InputKind::TarMember(member) => member.size,
        })
        .sum()
}
