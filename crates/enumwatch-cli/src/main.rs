//! The `enumwatch` binary: parses the command line, runs one subcommand, and turns the outcome
//! into an exit code. Everything else lives in the library crates.

#![allow(
    clippy::print_stderr,
    clippy::print_stdout,
    reason = "the binary's edge is where output to the user belongs"
)]

mod cli;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, RulesCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Hunt(args) => commands::hunt::run(&args),
        Command::Rules { command } => match command {
            RulesCommand::List(args) => commands::rules::list(&args),
            RulesCommand::Show(args) => commands::rules::show(&args),
            RulesCommand::Lint(args) => commands::rules::lint(&args),
        },
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(1)
        }
    }
}
