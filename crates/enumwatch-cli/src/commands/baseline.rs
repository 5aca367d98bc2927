//! `enumwatch baseline`: learn what each principal normally does from a period of logs.

use std::process::ExitCode;

use anyhow::Result;
use enumwatch_config::Config;
use enumwatch_ingest::expand;
use enumwatch_pipeline::{HuntOptions, learn};

use crate::cli::BaselineArgs;

pub(crate) fn run(args: &BaselineArgs) -> Result<ExitCode> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    let (inputs, errors) = expand(&args.paths);
    for err in &errors {
        eprintln!("warning: {err}");
    }
    let options = HuntOptions {
        config,
        ..HuntOptions::default()
    };
    let learned = learn(&inputs, &options, &args.out)?;
    eprintln!(
        "baseline {}: {} records of {} inputs, {} principals, {} new behaviours recorded ({} malformed, {} unreadable inputs)",
        args.out.display(),
        learned.stats.records,
        learned.stats.inputs,
        learned.principals,
        learned.added,
        learned.stats.malformed_total(),
        learned.stats.inputs_unreadable
    );
    Ok(if errors.is_empty() && !learned.stats.has_input_errors() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
